"""Webhook targets at send time: a name resolving to a link-local or metadata address is refused
(recorded, retried, nothing sent, no traceback), unless GOVSERVICE_WEBHOOK_ALLOW_HOSTS admits it;
an unsendable stored URL or a name that does not resolve is recorded, never raised."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from govservice.config import Settings, load_settings
from govservice.db.models import WebhookSubscriptionRow
from govservice.services.webhooks.courier import MAX_ATTEMPTS, backoff
from govservice.worker import run_worker
from tests.api.rating_helpers import approved
from tests.api.webhook_helpers import (
    B_URL,
    HOOKS,
    FakeDNS,
    Receiver,
    admin,
    deliveries,
    dns,
    http_transport,
    people,
    receiver,
    subscribe,
    webhook_resolver,
)
from tests.conftest import PG_URL, WORKFLOWS, make_settings

REBOUND = "http://rebound.gov.internal/hooks"
REFUSED = "target address refused: rebound.gov.internal resolves to 169.254.169.254, link-local"


async def worker_round(app: Any) -> None:
    """One round of the worker loop itself, which logs (with a traceback) whatever a round raises."""
    services, stop = app.state.services, asyncio.Event()

    async def one_round() -> None:
        await services.webhooks.run_round()
        stop.set()

    await run_worker(services.engine, stop, each_round=one_round)


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert "Traceback" not in caplog.text


async def test_a_name_resolving_to_a_link_local_address_is_refused_at_send_time(
    app: Any,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    people: Any,
    receiver: Receiver,
    dns: FakeDNS,
    clock: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook = await subscribe(client, admin, REBOUND, "application.approve")  # a name: allowed at creation
    dns.answers["rebound.gov.internal"] = ["10.20.0.9", "169.254.169.254"]  # ... then it rebinds
    await approved(client, *people)
    caplog.set_level(logging.INFO)
    await worker_round(app)

    assert ("rebound.gov.internal", 80) in dns.asked
    assert receiver.requests == []  # nothing was sent
    [delivery] = await deliveries(client, admin, hook["id"], "pending")
    assert (delivery["attempts"], delivery["lastStatusCode"], delivery["lastError"]) == (1, None, REFUSED)
    no_traceback(caplog)

    for attempt in range(1, MAX_ATTEMPTS):  # retried with the backoff, then failed, still never sent
        clock.advance(backoff(attempt))
        await worker_round(app)
    [failed] = await deliveries(client, admin, hook["id"], "failed")
    assert (failed["attempts"], failed["lastError"], failed["nextAttemptAt"]) == (MAX_ATTEMPTS, REFUSED, None)
    assert receiver.requests == []
    no_traceback(caplog)

    dns.answers["rebound.gov.internal"] = ["10.20.0.9"]  # fixed: an admin re-queues it
    retry = await client.post(f"{HOOKS}/{hook['id']}/deliveries/{failed['id']}/retry", headers=admin)
    assert retry.status_code == 200, retry.text
    await worker_round(app)
    assert [r.headers["Govservice-Event"] for r in receiver.requests] == ["application.approve"]


async def test_a_delivery_connects_to_the_address_that_was_checked_not_to_the_name_again(
    app: Any,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    people: Any,
    receiver: Receiver,
    dns: FakeDNS,
) -> None:
    await subscribe(client, admin, B_URL, "application.approve")
    dns.answers["enforcement.gov.internal"] = ["10.20.0.9", "10.20.0.10"]
    await approved(client, *people)
    await worker_round(app)

    [request] = receiver.requests
    assert dns.asked == [("enforcement.gov.internal", 443)]  # resolved once, by the check
    # a second lookup by the HTTP client could answer a metadata address: there is none
    assert request.url.host == "10.20.0.9" and request.headers["host"] == "enforcement.gov.internal"
    assert request.extensions["sni_hostname"] == "enforcement.gov.internal"  # TLS checks the name
    assert receiver.addressed() == [B_URL]


@pytest.mark.parametrize("answer", [["fe80::1%eth0"], ["::ffff:169.254.169.254"], ["100.100.100.200"]])
async def test_every_refused_range_is_refused_after_resolution(
    app: Any,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    people: Any,
    receiver: Receiver,
    dns: FakeDNS,
    answer: list[str],
) -> None:
    hook = await subscribe(client, admin, REBOUND, "application.approve")
    dns.answers["rebound.gov.internal"] = answer
    await approved(client, *people)
    await worker_round(app)
    [delivery] = await deliveries(client, admin, hook["id"], "pending")
    assert delivery["lastError"].startswith("target address refused: rebound.gov.internal resolves to ")
    assert receiver.requests == []


async def test_a_name_that_does_not_resolve_is_recorded_and_retried(
    app: Any,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    people: Any,
    receiver: Receiver,
    dns: FakeDNS,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook = await subscribe(client, admin, REBOUND, "application.approve")
    dns.answers["rebound.gov.internal"] = []
    await approved(client, *people)
    caplog.set_level(logging.INFO)
    await worker_round(app)
    [delivery] = await deliveries(client, admin, hook["id"], "pending")
    assert delivery["attempts"] == 1 and delivery["nextAttemptAt"] is not None
    assert delivery["lastError"].startswith("cannot resolve rebound.gov.internal: ")
    assert receiver.requests == []
    no_traceback(caplog)


# A NUL can be stored only on SQLite (PostgreSQL's text refuses it), so only there can such a row exist.
NUL_URL = pytest.param(
    "http://hooks.gov.internal/\x00",
    marks=pytest.mark.skipif(bool(PG_URL), reason="PostgreSQL cannot store a NUL in text"),
)


@pytest.mark.parametrize("url", ["http://hooks.gov.internal/a\r\nX-Injected: 1", NUL_URL, "ftp://x.gov/"])
async def test_a_stored_url_that_cannot_be_sent_fails_at_once_without_a_traceback(
    app: Any,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    people: Any,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    url: str,
) -> None:
    """A subscription saved before URLs were checked (the API refuses such a URL now)."""
    async with app.state.services.ctx.transaction() as session:
        row = WebhookSubscriptionRow(
            url=url,
            secret="whsec_legacy",
            events=["application.approve"],
            active=True,
            created_by="admin-1",
            created_at=datetime(2026, 3, 1, tzinfo=UTC),
        )
        session.add(row)
        await session.flush()
        hook_id = row.id
    await approved(client, *people)
    caplog.set_level(logging.INFO)
    await worker_round(app)
    await worker_round(app)
    [failed] = await deliveries(client, admin, hook_id, "failed")
    assert failed["attempts"] == 1 and failed["lastError"].startswith("invalid URL: ")
    assert receiver.requests == []
    no_traceback(caplog)


class TestAllowList:
    """GOVSERVICE_WEBHOOK_ALLOW_HOSTS admits a refused target by network or by name."""

    @pytest.fixture
    def settings(self, tmp_path: Path) -> Settings:
        allowed = load_settings(
            {
                "GOVSERVICE_WORKFLOWS_DIR": str(WORKFLOWS),
                "GOVSERVICE_WEBHOOK_ALLOW_HOSTS": " 169.254.169.254 , Metadata.Google.Internal. ,",
            }
        ).webhook_allow_hosts
        assert allowed == ("169.254.169.254/32", "metadata.google.internal")
        return replace(make_settings(tmp_path), webhook_allow_hosts=allowed)

    async def test_an_allowed_address_is_subscribed_and_delivered_to(
        self,
        app: Any,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        people: Any,
        receiver: Receiver,
        dns: FakeDNS,
    ) -> None:
        literal = await subscribe(client, admin, "http://169.254.169.254/hooks", "application.approve")
        named = await subscribe(client, admin, "http://metadata.google.internal/x", "application.approve")
        rebound = await subscribe(client, admin, REBOUND, "application.approve")
        dns.answers["rebound.gov.internal"] = ["169.254.169.254"]
        other = await client.post(
            HOOKS, json={"url": "http://169.254.169.253/", "events": ["*"]}, headers=admin
        )
        assert other.status_code == 400 and other.json()["errors"][0]["field"] == "url"

        await approved(client, *people)
        await worker_round(app)
        assert len(receiver.requests) == 3
        for hook in (literal, named, rebound):
            [delivery] = await deliveries(client, admin, hook["id"])
            assert (delivery["status"], delivery["lastError"]) == ("delivered", None)
        assert ("metadata.google.internal", 80) not in dns.asked  # admitted by name: not resolved
