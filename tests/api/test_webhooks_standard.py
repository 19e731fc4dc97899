"""Webhooks by the Standard Webhooks specification, checked with its published Python library."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from govservice import __version__
from govservice.db.models import WebhookSubscriptionRow
from govservice.domain.clock import ManualClock
from govservice.services.webhooks.events import WebhookEvent
from tests.api.apps_helpers import ENT_A, act, create, upload_all
from tests.api.test_metrics import _value
from tests.api.webhook_helpers import (
    A_URL,
    HOOKS,
    Receiver,
    admin,
    deliveries,
    dns,
    http_transport,
    receiver,
    subscribe,
    webhook_resolver,
)
from tests.conftest import TokenFactory

__all__ = ["admin", "dns", "http_transport", "receiver", "webhook_resolver"]  # fixtures, used by name


@pytest.fixture(autouse=True)
def real_time(clock: ManualClock) -> None:
    """The published verifier refuses a webhook-timestamp more than 5 minutes from its own clock."""
    clock.set(datetime.now(UTC).replace(microsecond=0))


async def file_one(client: httpx.AsyncClient, auth: TokenFactory) -> int:
    applicant = auth("applicant", ent=ENT_A)
    application = await create(client, applicant)
    await upload_all(client, applicant, application)
    await act(client, applicant, application["id"], "file")
    return int(application["id"])


async def worker_round(app: Any) -> None:
    await app.state.services.webhooks.run_round()


async def test_a_delivery_verifies_with_the_published_library_and_keeps_its_id_on_retry(
    app: Any,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    auth: TokenFactory,
    receiver: Receiver,
    clock: ManualClock,
) -> None:
    hook = await subscribe(client, admin, A_URL, "application.file")
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", hook["secret"])  # 32 random bytes, base64
    application_id = await file_one(client, auth)
    receiver.answers = [503]
    await worker_round(app)
    clock.advance(timedelta(minutes=1))  # the first retry is due after a minute
    await worker_round(app)

    first, second = receiver.requests
    verifier = Webhook(hook["secret"])
    body = verifier.verify(second.content, dict(second.headers))
    assert (body["type"], body["subjectId"]) == ("application.file", application_id)
    assert verifier.verify(first.content, dict(first.headers)) == body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == body["id"]
    assert int(second.headers["webhook-timestamp"]) == int(first.headers["webhook-timestamp"]) + 60
    assert second.headers["user-agent"] == f"govservice/{__version__}"
    assert second.headers["webhook-signature"].startswith("v1,")
    assert "govservice-signature" not in second.headers  # the former scheme is kept for former secrets only

    with pytest.raises(WebhookVerificationError):
        verifier.verify(
            second.content.replace(b'"application.file"', b'"application.deny"'), dict(second.headers)
        )
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(second.content, dict(second.headers))  # another secret


async def test_the_openapi_document_declares_every_event_type_with_the_envelope_delivered(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], auth: TokenFactory, receiver: Receiver
) -> None:
    await subscribe(client, admin, A_URL, "*")
    await file_one(client, auth)
    await worker_round(app)
    document = (await client.get("/docs/openapi.json")).json()
    envelope = document["components"]["schemas"]["WebhookEvent"]
    for request in receiver.requests:
        body = msgspec.convert(msgspec.json.decode(request.content), WebhookEvent)  # no unknown field
        entry = document["webhooks"][body.type]["post"]
        schema = entry["requestBody"]["content"]["application/json"]["schema"]
        assert schema["allOf"][1]["properties"]["type"]["const"] == body.type
        assert {p["name"] for p in entry["parameters"]} >= {
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        }
        assert set(msgspec.json.decode(request.content)) <= set(envelope["properties"])
    assert {
        "application.file",
        "application.approve",
        "violation.countersign",
        "key_request.escalate",
    } <= set(document["webhooks"])
    # The subscription's own description gives the scheme, not the legacy header as if it were it.
    create = document["paths"]["/api/v1/webhooks"]["post"]["description"]
    for named in ("webhook-id", "webhook-timestamp", "webhook-signature`: `v1,<base64", "whsec_<base64>"):
        assert named in create, named
    assert "Govservice-Signature" in create and "kept only for receivers written for it" in create


async def test_a_secret_issued_before_the_standard_keeps_working_both_ways(
    app: Any,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    auth: TokenFactory,
    receiver: Receiver,
    clock: Any,
) -> None:
    former = "whsec_" + secrets.token_hex(32)  # the form issued until now, stored as it was shown
    async with app.state.services.ctx.transaction() as session:
        session.add(
            WebhookSubscriptionRow(
                url=A_URL,
                secret=former,
                events=["application.*"],
                active=True,
                created_by="admin-1",
                created_at=clock.now(),
            )
        )
    await file_one(client, auth)
    await worker_round(app)
    request = receiver.requests[-1]
    assert Webhook(former).verify(request.content, dict(request.headers))["type"] == "application.file"
    # A receiver still checking the former header with the same secret is not broken either.
    fields = dict(part.split("=", 1) for part in request.headers["Govservice-Signature"].split(","))
    expected = hmac.new(former.encode(), f"{fields['t']}.".encode() + request.content, hashlib.sha256)
    assert hmac.compare_digest(fields["v1"], expected.hexdigest())


async def test_a_deactivated_subscription_can_be_reactivated(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], auth: TokenFactory, receiver: Receiver
) -> None:
    hook = await subscribe(client, admin, A_URL, "application.file")
    assert (await client.delete(f"{HOOKS}/{hook['id']}", headers=admin)).status_code == 204
    await file_one(client, auth)
    await worker_round(app)
    assert receiver.requests == []

    response = await client.post(f"{HOOKS}/{hook['id']}/reactivate", headers=admin)
    assert response.status_code == 200 and response.json()["active"] is True
    again = await client.post(f"{HOOKS}/{hook['id']}/reactivate", headers=admin)
    assert again.status_code == 200 and again.json() == response.json()
    second = await file_one(client, auth)
    await worker_round(app)
    [request] = receiver.requests  # the event of its inactive time is not made up
    assert Webhook(hook["secret"]).verify(request.content, dict(request.headers))["subjectId"] == second

    clerk = auth("clerk", unit="FR-APPROVAL")
    assert (await client.post(f"{HOOKS}/{hook['id']}/reactivate", headers=clerk)).status_code == 403
    missing = await client.post(f"{HOOKS}/999/reactivate", headers=admin)
    assert (missing.status_code, missing.json()["code"]) == (404, "webhook_not_found")


async def test_the_backlog_shows_in_metrics_and_failures_are_logged_with_ids(
    app: Any,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    auth: TokenFactory,
    receiver: Receiver,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook = await subscribe(client, admin, A_URL, "application.file")
    await file_one(client, auth)
    receiver.answers = [500]
    caplog.set_level(logging.INFO, logger="govservice.webhooks")
    await worker_round(app)
    clock.advance(timedelta(seconds=30))
    stalled = (await client.get("/metrics")).text
    assert _value(stalled, "govservice_webhook_deliveries_pending") == 1
    assert _value(stalled, "govservice_webhook_oldest_pending_seconds") == 30
    assert _value(stalled, "govservice_webhook_deliveries_failed") == 0
    [delivery] = await deliveries(client, admin, hook["id"])
    [line] = [r for r in caplog.records if r.name == "govservice.webhooks"]
    assert line.levelno == logging.INFO
    assert line.getMessage().startswith(
        f"webhook delivery {delivery['id']} (subscription {hook['id']}, event {delivery['eventId']} "
        "application.file) attempt 1 failed, retry after 0:01:00: HTTP 500"
    )
    assert A_URL not in caplog.text

    clock.advance(timedelta(minutes=1))
    await worker_round(app)
    drained = (await client.get("/metrics")).text
    assert _value(drained, "govservice_webhook_deliveries_pending") == 0
    assert _value(drained, "govservice_webhook_oldest_pending_seconds") == 0


async def test_a_delivery_given_up_on_is_a_warning_and_counted_as_failed(
    app: Any,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    auth: TokenFactory,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with app.state.services.ctx.transaction() as session:  # saved before URLs were checked
        row = WebhookSubscriptionRow(
            url="ftp://x.gov/",
            secret="whsec_" + secrets.token_hex(32),
            events=["application.file"],
            active=True,
            created_by="admin-1",
            created_at=clock.now(),
        )
        session.add(row)
        await session.flush()
        hook_id = row.id
    await file_one(client, auth)
    caplog.set_level(logging.INFO, logger="govservice.webhooks")
    await worker_round(app)
    [failed] = await deliveries(client, admin, hook_id, "failed")
    [line] = [r for r in caplog.records if r.name == "govservice.webhooks"]
    assert line.levelno == logging.WARNING
    assert (
        f"webhook delivery {failed['id']} (subscription {hook_id}, event {failed['eventId']}"
        in line.getMessage()
    )
    assert "failed for good after 1 attempt(s): invalid URL" in line.getMessage()
    metrics = (await client.get("/metrics")).text
    assert _value(metrics, "govservice_webhook_deliveries_failed") == 1
    assert _value(metrics, "govservice_webhook_deliveries_pending") == 0
    assert (await client.delete(f"{HOOKS}/{hook_id}", headers=admin)).status_code == 204
    refused = await client.post(f"{HOOKS}/{hook_id}/reactivate", headers=admin)
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_url")  # not revived
    assert (await client.get(f"{HOOKS}/{hook_id}", headers=admin)).json()["active"] is False
