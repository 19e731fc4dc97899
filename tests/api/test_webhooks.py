"""Webhooks: workflow events delivered to department systems, signed, retried, never lost."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from govservice.db.models import ApplicationRow
from govservice.domain.actor import Actor, Role
from govservice.services.webhooks.courier import MAX_ATTEMPTS, backoff
from govservice.worker import run_worker
from tests.api.apps_helpers import APPROVAL, ENT_A, create
from tests.api.rating_helpers import approved
from tests.api.webhook_helpers import (
    A_URL,
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
from tests.conftest import PG_URL, TokenFactory


async def settle_and_run(app: Any, clock: Any) -> None:
    """One worker round, with no time passing: the outbox has no settle delay."""
    await app.state.services.webhooks.run_round()


def verified(request: httpx.Request, secret: str) -> dict[str, Any]:
    """The body, after checking the Standard Webhooks signature as a receiver would."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = request.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request.content
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["webhook-signature"], expected)
    return json.loads(request.content)  # type: ignore[no-any-return]


async def test_an_approval_is_delivered_signed_to_the_matching_subscription_only(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], people: Any, receiver: Receiver, clock: Any
) -> None:
    a = await subscribe(client, admin, A_URL, "application.approve")
    b = await subscribe(client, admin, B_URL, "violation.*")
    done = await approved(client, *people)
    await settle_and_run(app, clock)

    assert receiver.addressed() == [A_URL]
    request = receiver.requests[0]
    assert request.method == "POST" and request.headers["Govservice-Event"] == "application.approve"
    body = verified(request, a["secret"])
    assert body["type"] == "application.approve" and body["subjectKind"] == "application"
    assert body["subjectId"] == done["id"] and body["enterpriseUscc"] == ENT_A
    assert (body["toState"], body["outcome"]) == ("approved", "approved")
    assert "enterpriseName" not in body and "成都" not in request.content.decode()
    with pytest.raises(AssertionError):  # another subscription's secret does not verify it
        verified(request, b["secret"])

    [delivery] = await deliveries(client, admin, a["id"])
    assert request.headers["Govservice-Delivery"] == str(delivery["id"])
    assert (delivery["status"], delivery["attempts"], delivery["lastStatusCode"]) == ("delivered", 1, 200)
    assert delivery["eventId"] == body["id"]
    assert await deliveries(client, admin, b["id"]) == []


async def test_a_second_round_never_enqueues_or_sends_again(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], people: Any, receiver: Receiver, clock: Any
) -> None:
    hook = await subscribe(client, admin, A_URL, "application.*")
    await approved(client, *people)
    await settle_and_run(app, clock)
    first = await deliveries(client, admin, hook["id"])
    types = sorted(d["type"] for d in first)
    assert "application.file" in types and "application.approve" in types
    assert len(receiver.requests) == len(first)
    await app.state.services.webhooks.dispatcher.dispatch()
    await settle_and_run(app, clock)
    assert len(await deliveries(client, admin, hook["id"])) == len(first)
    assert len(receiver.requests) == len(first)
    assert len({r.headers["Govservice-Delivery"] for r in receiver.requests}) == len(first)


async def test_workers_sending_at_once_send_each_delivery_once(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], people: Any, receiver: Receiver, clock: Any
) -> None:
    hook = await subscribe(client, admin, A_URL, "*")
    await approved(client, *people)
    webhooks = app.state.services.webhooks
    await asyncio.gather(*(webhooks.dispatcher.dispatch() for _ in range(3)))
    owed = await deliveries(client, admin, hook["id"])
    assert len(owed) >= 4
    while len(receiver.requests) < len(owed):
        runs = await asyncio.gather(*(webhooks.courier.deliver_due(limit=2) for _ in range(3)))
        assert sum(run.claimed for run in runs) > 0
    sent = [r.headers["Govservice-Delivery"] for r in receiver.requests]
    assert sorted(sent) == sorted(str(d["id"]) for d in owed)
    assert {d["status"] for d in await deliveries(client, admin, hook["id"])} == {"delivered"}


async def test_an_event_is_sent_in_the_first_round_after_its_commit(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], people: Any, receiver: Receiver, clock: Any
) -> None:
    await subscribe(client, admin, A_URL, "application.approve")
    await approved(client, *people)
    await app.state.services.webhooks.run_round()  # the clock has not moved: no settle delay
    assert [r.headers["Govservice-Event"] for r in receiver.requests] == ["application.approve"]


@pytest.mark.skipif(not PG_URL, reason="SQLite has one writer at a time: a later step cannot commit first")
async def test_a_step_committing_after_later_steps_were_dispatched_is_still_delivered(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], people: Any, receiver: Receiver, clock: Any
) -> None:
    """A step whose transaction is slow to commit: its event is older than events already dispatched,
    and the old cursor would have passed it for good."""
    await subscribe(client, admin, A_URL, "application.*")
    services = app.state.services
    slow_app = await create(client, people[0])
    async with services.engine.transaction() as session:
        slow_case = (await session.get(ApplicationRow, slow_app["id"])).case_id
    applicant = Actor(sub="user-a", roles=frozenset({Role.APPLICANT}), ent=ENT_A)
    ready, release = asyncio.Event(), asyncio.Event()

    async def slow_step() -> None:
        async with services.engine.transaction() as session:
            await services.engine.fire(slow_case, "file", applicant, session=session)
            ready.set()
            await release.wait()  # committed only after the rounds below

    task = asyncio.create_task(slow_step())
    await ready.wait()
    clock.advance(timedelta(minutes=5))
    await approved(client, *people)  # later steps, committed first
    await services.webhooks.run_round()
    before = {r.headers["Govservice-Event"] for r in receiver.requests}
    assert "application.file" in before and "application.approve" in before  # the other application's
    assert sum(1 for r in receiver.requests if r.headers["Govservice-Event"] == "application.file") == 1
    release.set()
    await task
    await services.webhooks.run_round()
    filed = [r for r in receiver.requests if r.headers["Govservice-Event"] == "application.file"]
    assert len(filed) == 2 and json.loads(filed[1].content)["subjectId"] == slow_app["id"]


async def test_a_failing_receiver_is_retried_after_the_backoff(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], people: Any, receiver: Receiver, clock: Any
) -> None:
    hook = await subscribe(client, admin, A_URL, "application.approve")
    receiver.answers = [500]
    await approved(client, *people)
    await settle_and_run(app, clock)
    [delivery] = await deliveries(client, admin, hook["id"], "pending")
    assert (delivery["attempts"], delivery["lastStatusCode"], delivery["lastError"]) == (1, 500, "HTTP 500")

    clock.advance(backoff(1) - timedelta(seconds=1))
    await app.state.services.webhooks.run_round()
    assert len(receiver.requests) == 1  # not due yet
    clock.advance(timedelta(seconds=1))
    await app.state.services.webhooks.run_round()
    assert len(receiver.requests) == 2
    assert receiver.requests[0].content == receiver.requests[1].content  # the same event, re-signed
    [delivery] = await deliveries(client, admin, hook["id"], "delivered")
    assert delivery["attempts"] == 2


async def test_after_the_last_attempt_it_fails_and_an_admin_can_requeue_it(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], people: Any, receiver: Receiver, clock: Any
) -> None:
    hook = await subscribe(client, admin, A_URL, "application.approve")
    receiver.answers = [0] + [503] * (MAX_ATTEMPTS - 1)
    await approved(client, *people)
    await settle_and_run(app, clock)
    for attempt in range(1, MAX_ATTEMPTS):
        clock.advance(backoff(attempt))
        await app.state.services.webhooks.run_round()
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert await deliveries(client, admin, hook["id"], "pending") == []
    [failed] = await deliveries(client, admin, hook["id"], "failed")
    assert (failed["attempts"], failed["lastStatusCode"]) == (MAX_ATTEMPTS, 503)
    assert failed["nextAttemptAt"] is None
    clock.advance(timedelta(days=2))
    await app.state.services.webhooks.run_round()
    assert len(receiver.requests) == MAX_ATTEMPTS  # failed stays failed

    retry = f"{HOOKS}/{hook['id']}/deliveries/{failed['id']}/retry"
    requeued = await client.post(retry, headers=admin)
    assert requeued.status_code == 200, requeued.text
    assert (requeued.json()["status"], requeued.json()["attempts"]) == ("pending", 0)
    await app.state.services.webhooks.run_round()
    assert len(receiver.requests) == MAX_ATTEMPTS + 1
    [delivered] = await deliveries(client, admin, hook["id"], "delivered")
    assert delivered["id"] == failed["id"]
    again = await client.post(retry, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "already_delivered"
    missing = await client.post(f"{HOOKS}/{hook['id']}/deliveries/999/retry", headers=admin)
    assert missing.status_code == 404


async def test_a_connection_error_is_recorded_and_retried(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], people: Any, receiver: Receiver, clock: Any
) -> None:
    hook = await subscribe(client, admin, A_URL, "application.approve")
    receiver.answers = [0]
    await approved(client, *people)
    await settle_and_run(app, clock)
    [delivery] = await deliveries(client, admin, hook["id"], "pending")
    assert delivery["lastStatusCode"] is None and delivery["lastError"].startswith("ConnectError")


async def test_a_deactivated_subscription_gets_nothing_more(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], people: Any, receiver: Receiver, clock: Any
) -> None:
    hook = await subscribe(client, admin, A_URL, "application.*")
    response = await client.delete(f"{HOOKS}/{hook['id']}", headers=admin)
    assert response.status_code == 204
    await approved(client, *people)
    await settle_and_run(app, clock)
    assert receiver.requests == []
    shown = (await client.get(f"{HOOKS}/{hook['id']}", headers=admin)).json()
    assert shown["active"] is False


async def test_the_secret_is_shown_only_at_creation(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    hook = await subscribe(client, admin, A_URL, "application.*", "violation.countersign")
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 40
    assert hook["events"] == ["application.*", "violation.countersign"] and hook["active"] is True
    one = await client.get(f"{HOOKS}/{hook['id']}", headers=admin)
    listed = await client.get(HOOKS, headers=admin)
    assert one.status_code == listed.status_code == 200
    assert hook["secret"] not in one.text + listed.text and "secret" not in one.text + listed.text
    assert [h["id"] for h in listed.json()["items"]] == [hook["id"]]
    assert (await client.get(f"{HOOKS}/999", headers=admin)).status_code == 404


@pytest.mark.parametrize("role", ["clerk", "supervisor", "applicant", "assessor"])
async def test_only_admins_manage_webhooks(client: httpx.AsyncClient, auth: TokenFactory, role: str) -> None:
    staff = role != "applicant"
    headers = auth(role, ent=None if staff else ENT_A, unit=APPROVAL if staff else None)
    created = await client.post(HOOKS, json={"url": A_URL, "events": ["*"]}, headers=headers)
    listed = await client.get(HOOKS, headers=headers)
    assert (created.status_code, listed.status_code) == (403, 403)
    assert (await client.get(HOOKS)).status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.gov.internal/x",
        "javascript:alert(1)",
        "http://",
        "not a url at all",
        "http://user:pw@hooks.gov.internal/",
        "http://user@hooks.gov.internal/",
        "http://@hooks.gov.internal/",
        "http://hooks.gov.internal:99999/",
        "http://hooks.gov.internal/a\r\nX-Injected: 1",
        "http://hooks.gov.internal/a\nb",
        "http://hooks.gov.internal/a\x00b",
        "http://hooks.gov.internal\r/",
        "http://hooks.gov.internal/a\tb",
        "http://hooks.gov.internal/a b",
        "http://hooks.gov.internal/\u202e",
        "http://hooks.gov.internal/" + "a" * 2000,
    ],
)
async def test_a_bad_url_is_a_problem(client: httpx.AsyncClient, admin: dict[str, str], url: str) -> None:
    response = await client.post(HOOKS, json={"url": url, "events": ["application.*"]}, headers=admin)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "url"
    assert (await client.get(HOOKS, headers=admin)).json()["items"] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://169.254.170.2/v2/credentials",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://METADATA.Google.Internal./computeMetadata/v1/",
        "http://metadata/computeMetadata/v1/",
        "http://100.100.100.200/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[fe80::1]:8080/hooks",
        "http://[::ffff:169.254.169.254]/",
        "http://2852039166/",  # 169.254.169.254 as the system resolver reads it
        "https://0xa9fea9fe/",
    ],
)
async def test_link_local_and_metadata_targets_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str], url: str
) -> None:
    response = await client.post(HOOKS, json={"url": url, "events": ["application.*"]}, headers=admin)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "url_target_refused" and "GOVSERVICE_WEBHOOK_ALLOW_HOSTS" in problem["detail"]
    [error] = problem["errors"]
    assert error["field"] == "url" and error["message"].startswith("target address refused: ")
    assert (await client.get(HOOKS, headers=admin)).json()["items"] == []


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9000/hooks", "http://10.1.2.3/hooks", "https://192.168.10.4:8443/x", "http://[::1]/"],
)
async def test_loopback_and_private_receivers_are_allowed(
    client: httpx.AsyncClient, admin: dict[str, str], url: str
) -> None:
    assert (await subscribe(client, admin, url, "application.*"))["url"] == url


@pytest.mark.parametrize("events", [[], ["application"], ["Application.*"], ["application.approve; drop"]])
async def test_a_bad_event_pattern_is_a_problem(
    client: httpx.AsyncClient, admin: dict[str, str], events: list[str]
) -> None:
    response = await client.post(HOOKS, json={"url": A_URL, "events": events}, headers=admin)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_worker_loop_delivers_without_any_timer_firing(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], people: Any, receiver: Receiver, clock: Any
) -> None:
    await subscribe(client, admin, A_URL, "application.approve")
    await approved(client, *people)
    services, stop = app.state.services, asyncio.Event()

    async def one_round() -> None:
        await services.webhooks.run_round()
        stop.set()

    await run_worker(services.engine, stop, each_round=one_round)
    assert [r.headers["Govservice-Event"] for r in receiver.requests] == ["application.approve"]
