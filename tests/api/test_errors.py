"""The framework's own errors are problem+json with stable codes, and no body carries a trace."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from litestar import Litestar, get

from tests.conftest import TokenFactory

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith("/" + code)
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def fields(body: dict[str, Any]) -> set[str]:
    return {error["field"] for error in body["errors"]}


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")
    body = assert_problem(response, 404, "not_found")
    assert body["instance"] == "/api/v1/no-such-thing#request-id=" + response.headers["x-request-id"]


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/matters")
    assert_problem(response, 405, "method_not_allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


async def test_body_in_another_media_type_is_415(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    # a JSON text sent as text/plain would parse: the media type alone must refuse it
    guide = (await client.get("/api/v1/matters/FR-PGP-OPENING")).json()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        response = await client.post(
            "/api/v1/matters",
            content=httpx.Response(200, json=guide).content,
            headers={**auth("admin"), "Content-Type": content_type},
        )
        body = assert_problem(response, 415, "unsupported_media_type")
        assert "application/json" in body["detail"]


async def test_json_with_charset_is_accepted(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await client.post(
        "/api/v1/matters/FR-PGP-OPENING/status",
        content=b"{}",
        headers={**auth("admin"), "Content-Type": "application/json; charset=utf-8"},
    )
    assert_problem(response, 400, "validation_failed")  # got past the media-type check


async def test_malformed_json_is_400(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await client.post(
        "/api/v1/matters",
        content=b'{"code": "FR-X", ',
        headers={**auth("admin"), "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "malformed_json")


async def test_missing_and_unknown_body_fields_are_named(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    guide = (await client.get("/api/v1/matters/FR-PGP-OPENING")).json()
    for key in ("version", "publishedAt", "contentHash", "name"):
        guide.pop(key)
    body = assert_problem(
        await client.post("/api/v1/matters", json=guide, headers=auth("admin")), 400, "validation_failed"
    )
    assert fields(body) == {"name"}

    change = {
        "status": "cancelled",
        "effective": "2026-12-01",
        "reason": "r",
        "legalBasis": "b",
        "colour": "red",
    }
    body = assert_problem(
        await client.post("/api/v1/matters/FR-PGP-OPENING/status", json=change, headers=auth("admin")),
        400,
        "validation_failed",
    )
    assert fields(body) == {"colour"}

    change = {"status": "cancelled", "effective": "2026-02-30", "reason": "r", "legalBasis": "b"}
    body = assert_problem(
        await client.post("/api/v1/matters/FR-PGP-OPENING/status", json=change, headers=auth("admin")),
        400,
        "validation_failed",
    )
    assert fields(body) == {"effective"}


async def test_nested_fields_are_named_with_their_path(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    guide = (await client.get("/api/v1/matters/FR-PGP-OPENING")).json()
    for key in ("version", "publishedAt", "contentHash"):
        guide.pop(key)
    guide["materials"][0]["kind"] = "optional"
    body = assert_problem(
        await client.post("/api/v1/matters", json=guide, headers=auth("admin")), 400, "validation_failed"
    )
    assert fields(body) == {"materials[0].kind"}
    del guide["materials"][1]["formats"]
    guide["materials"][0]["kind"] = "key"
    body = assert_problem(
        await client.post("/api/v1/matters", json=guide, headers=auth("admin")), 400, "validation_failed"
    )
    assert fields(body) == {"materials[1].formats"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("status=open", "status"),
        ("kind=permit", "kind"),
        ("cursor=" + "x" * 65, "cursor"),
    ],
)
async def test_bad_query_parameters_are_400_naming_the_parameter(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    body = assert_problem(await client.get(f"/api/v1/matters?{query}"), 400, "validation_failed")
    assert fields(body) == {field}


async def test_bad_path_parameter_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/matters/FR-PGP-OPENING/versions/0")
    body = assert_problem(response, 400, "validation_failed")
    assert fields(body) == {"version"}


async def test_unexpected_exception_is_a_bare_500(
    app: Litestar, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    @get("/test-only/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("connection string postgresql://secret@db leaked")

    app.register(boom)
    with caplog.at_level(logging.ERROR, logger="govservice.api"):
        response = await client.get("/test-only/boom")
    body = assert_problem(response, 500, "internal_error")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert body["detail"] == "the server could not complete the request"
    # the operator still gets the whole story in the log
    assert any(record.exc_info and "leaked" in str(record.exc_info[1]) for record in caplog.records)


async def test_unexpected_exception_in_a_service_is_a_bare_500(
    app: Litestar, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise KeyError("guide")

    monkeypatch.setattr(app.state.services.catalogue, "current", broken)
    response = await client.get("/api/v1/matters")
    assert_problem(response, 500, "internal_error")
    assert "KeyError" not in response.text


async def test_binary_in_a_multipart_text_field_is_a_400_not_a_500(client, auth) -> None:  # noqa: ANN001
    headers = {
        **auth("applicant", sub="u", ent="91350100M000100Y43"),
        "Content-Type": "multipart/form-data; boundary=b0undary",
    }
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"\r\n\r\n\x89PNG\xfd\xfe\r\n'
        b"--b0undary--\r\n"
    )
    response = await client.post("/api/v1/applications/1/materials", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_encoding"
