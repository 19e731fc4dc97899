"""Request logs an operator can use: one line per request with its id, the id echoed and in problems."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from govservice.config import ConfigError, load_settings
from govservice.domain.clock import ManualClock
from govservice.logs import LineFormatter, RequestIdFilter
from tests.api.apps_helpers import ENT_A, act, create, run_timers, upload_all
from tests.conftest import WORKFLOWS, TokenFactory

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def stamped(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The lines captured from now on (in the test's body: each phase has its own handler), stamped
    with the request id as the process's log handler stamps them; the test client's httpx lines left out."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.WARNING, logger="httpx")
    caplog.set_level(logging.INFO)  # last: it sets the capturing handler's level too
    return caplog


def access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "govservice.access"]


async def test_each_request_has_one_line_with_route_status_duration_id_and_subject_never_the_token(
    client: httpx.AsyncClient, auth: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    logs = stamped(caplog)
    applicant = auth("applicant", ent=ENT_A, sub="applicant-7")
    application = await create(client, applicant)
    logs.clear()
    response = await client.get(
        f"/api/v1/applications/{application['id']}?secret=query",
        headers={**applicant, "X-Request-ID": "lb-4711"},
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "lb-4711"

    (line,) = access_lines(logs)
    assert line.levelno == logging.INFO and line.request_id == "lb-4711"  # type: ignore[attr-defined]
    message = line.getMessage()
    assert message.startswith("GET /api/v1/applications/{")  # the route template, not the id
    assert f"/{application['id']}" not in message
    assert " 200 " in message and re.search(r" \d+\.\dms ", message) and message.endswith("sub=applicant-7")
    token = applicant["Authorization"].removeprefix("Bearer ")
    assert token not in logs.text and "secret=query" not in logs.text


async def test_a_request_id_is_generated_when_missing_or_unfit_and_put_into_problems(
    client: httpx.AsyncClient,
) -> None:
    for sent in ({}, {"X-Request-ID": "x" * 129}, {"X-Request-ID": "two words"}, {"X-Request-ID": "bad\x7f"}):
        response = await client.get("/api/v1/matters/FR-NO-SUCH", headers=sent)
        assert response.status_code == 404
        request_id = response.headers["X-Request-ID"]
        assert GENERATED_ID.fullmatch(request_id), sent
        assert response.json()["instance"] == f"/api/v1/matters/FR-NO-SUCH#request-id={request_id}"
    kept = await client.get("/api/v1/matters/FR-NO-SUCH", headers={"X-Request-ID": "a/b+c=" + "7" * 122})
    assert kept.headers["X-Request-ID"] == "a/b+c=" + "7" * 122
    assert kept.json()["instance"].endswith("#request-id=a%2Fb%2Bc%3D" + "7" * 122)


async def test_every_line_of_a_request_carries_its_id_and_json_lines_have_fields(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    logs = stamped(caplog)
    tokens = await client.get(
        "/api/v1/applications", headers={"Authorization": "Bearer x.y.z", "X-Request-ID": "t0"}
    )
    assert tokens.status_code == 401
    refused = [r for r in logs.records if r.request_id == "t0"]  # type: ignore[attr-defined]
    assert [r.name for r in refused][-1] == "govservice.access" and "x.y.z" not in logs.text
    logs.clear()
    response = await client.get("/api/v1/no-such-thing", headers={"X-Request-ID": "trace-1"})
    assert response.status_code == 404
    (line,) = access_lines(logs)
    assert line.getMessage().startswith("GET <unmatched> 404 ")

    text = LineFormatter("text").format(line)
    assert "INFO govservice.access [trace-1]: GET <unmatched> 404" in text
    parsed = json.loads(LineFormatter("json").format(line))
    assert parsed["level"] == "INFO" and parsed["logger"] == "govservice.access"
    assert parsed["requestId"] == "trace-1"
    assert (parsed["method"], parsed["route"], parsed["status"], parsed["sub"]) == (
        "GET",
        "<unmatched>",
        404,
        "-",
    )
    assert isinstance(parsed["durationMs"], float)
    assert parsed["time"].endswith("+00:00")

    outside = logging.LogRecord(
        "govservice.worker", logging.INFO, __file__, 1, "timer worker started", None, None
    )
    assert "requestId" not in json.loads(LineFormatter("json").format(outside))
    assert "[-]: timer worker started" in LineFormatter("text").format(outside)


def test_the_log_format_is_text_or_json_and_anything_else_names_the_variable() -> None:
    base = {"GOVSERVICE_WORKFLOWS_DIR": str(WORKFLOWS)}
    assert load_settings(base).log_format == "text"
    assert load_settings({**base, "GOVSERVICE_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(
        ConfigError, match=r"^GOVSERVICE_LOG_FORMAT='yaml' is not valid: expected text or json$"
    ):
        load_settings({**base, "GOVSERVICE_LOG_FORMAT": "yaml"})


async def test_a_timer_firing_is_logged_with_its_ids(
    app: Any,
    client: httpx.AsyncClient,
    clock: ManualClock,
    auth: TokenFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    applicant = auth("applicant", ent=ENT_A)
    application = await create(client, applicant)
    await upload_all(client, applicant, application)
    await act(client, applicant, application["id"], "file")  # arms the acceptance deadline
    clock.advance(timedelta(days=10))
    caplog.set_level(logging.INFO, logger="govservice.engine")
    await run_timers(app)
    fired = [r.getMessage() for r in caplog.records if r.name == "govservice.engine"]
    assert any(re.fullmatch(r"timer \d+ fired: case \d+, action \w+", m) for m in fired), fired


async def test_the_openapi_document_declares_the_request_id_both_ways(client: httpx.AsyncClient) -> None:
    document = (await client.get("/docs/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            [sent] = [p for p in operation["parameters"] if p["name"] == "X-Request-ID"]
            assert (sent["in"], sent["required"]) == ("header", False), (method, path)
            for status, response in operation["responses"].items():
                assert response["headers"]["X-Request-ID"]["schema"] == {
                    "type": "string",
                    "maxLength": 128,
                }, (
                    method,
                    path,
                    status,
                )
