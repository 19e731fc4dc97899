from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.db.models.idempotency import IdempotencyRecord
from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import ENT_A, ENT_B
from tests.conftest import TokenFactory


async def _new_version(client: httpx.AsyncClient, promised: int) -> dict[str, Any]:
    guide = (await client.get("/api/v1/matters/FR-PGP-OPENING")).json()
    for key in ("version", "publishedAt", "contentHash"):
        guide.pop(key)
    guide["promisedLimit"] = promised
    return guide


async def test_same_key_and_body_replays_first_response(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    admin = auth("admin")
    guide = await _new_version(client, 4)
    headers = {**admin, "Idempotency-Key": "publish-4"}
    first = await client.post("/api/v1/matters", json=guide, headers=headers)
    again = await client.post("/api/v1/matters", json=guide, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    versions = (await client.get("/api/v1/matters/FR-PGP-OPENING/versions")).json()
    assert [v["version"] for v in versions] == [1, 2]  # published once, not twice


async def test_same_key_other_body_is_422(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = {**auth("admin"), "Idempotency-Key": "k1"}
    assert (
        await client.post("/api/v1/matters", json=await _new_version(client, 4), headers=headers)
    ).status_code == 201
    other = await client.post("/api/v1/matters", json=await _new_version(client, 3), headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


async def test_keys_are_scoped_to_the_caller(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    guide = await _new_version(client, 4)
    first = await client.post(
        "/api/v1/matters", json=guide, headers={**auth("admin", sub="admin-a"), "Idempotency-Key": "same"}
    )
    assert first.status_code == 201
    second = await client.post(
        "/api/v1/matters", json=guide, headers={**auth("admin", sub="admin-b"), "Idempotency-Key": "same"}
    )
    # Not a replay of admin-a's response: the request ran, and the content is unchanged -> 409.
    assert second.status_code == 409
    assert "idempotent-replayed" not in second.headers


# -- authenticate -> size limit -> buffer ----------------------------------------------------------

MATTERS = "/api/v1/matters"
CHUNK = b"x" * (1 << 20)


async def _records(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(IdempotencyRecord.owner, IdempotencyRecord.key))
        return [(owner, key) for owner, key in rows]


class EndlessBody:
    """An ASGI ``receive`` that would send 1 MiB chunks for ever; counts the chunks read."""

    def __init__(self) -> None:
        self.reads = 0

    async def __call__(self) -> dict[str, Any]:
        self.reads += 1
        return {"type": "http.request", "body": CHUNK, "more_body": True}


async def _post_raw(
    app: Litestar, headers: dict[str, str], receive: EndlessBody
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """POST straight to the ASGI app, so that the test controls (and counts) every chunk read."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": MATTERS,
        "raw_path": MATTERS.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, json.loads(body)


async def test_anonymous_with_a_key_is_401_and_writes_no_record(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    guide = await _new_version(client, 4)
    headers = {"Idempotency-Key": "anon-1"}
    first = await client.post(MATTERS, json=guide, headers=headers)
    assert first.status_code == 401 and first.json()["code"] == "not_authenticated"
    # The same key with another body: still 401 (no idempotency handling), not 422.
    other = await client.post(MATTERS, json=await _new_version(client, 3), headers=headers)
    assert other.status_code == 401 and other.json()["code"] == "not_authenticated"
    assert "idempotent-replayed" not in other.headers
    assert await _records(engine) == []


async def test_an_anonymous_body_is_never_read(app: Litestar, engine: AsyncEngine) -> None:
    body = EndlessBody()
    status, _, problem = await _post_raw(
        app, {"Idempotency-Key": "anon-big", "Content-Type": "application/json"}, body
    )
    assert (status, problem["code"]) == (401, "not_authenticated")
    assert body.reads == 0  # the route said 401 before anything was buffered
    assert await _records(engine) == []


async def test_a_declared_oversized_body_is_413_before_a_byte_is_read(
    app: Litestar, auth: TokenFactory, engine: AsyncEngine
) -> None:
    limit = app.request_max_body_size
    assert isinstance(limit, int)
    body = EndlessBody()
    headers = {
        **auth("admin"),
        "Idempotency-Key": "big-1",
        "Content-Type": "application/json",
        "Content-Length": str(limit + 1),
    }
    status, response_headers, problem = await _post_raw(app, headers, body)
    assert status == 413
    assert response_headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "payload_too_large"
    assert body.reads == 0
    assert await _records(engine) == []


async def test_an_undeclared_oversized_body_is_413_as_soon_as_it_goes_over(
    app: Litestar, auth: TokenFactory, engine: AsyncEngine
) -> None:
    limit = app.request_max_body_size
    assert isinstance(limit, int)
    body = EndlessBody()  # chunked: no Content-Length, and no end
    headers = {**auth("admin"), "Idempotency-Key": "big-2", "Content-Type": "application/json"}
    status, _, problem = await _post_raw(app, headers, body)
    assert (status, problem["code"]) == (413, "payload_too_large")
    assert body.reads == limit // len(CHUNK) + 1  # stopped at the first chunk past the limit
    assert await _records(engine) == []


async def test_a_declared_oversized_body_through_http(
    client: httpx.AsyncClient, app: Litestar, auth: TokenFactory
) -> None:
    limit = app.request_max_body_size
    assert isinstance(limit, int)
    response = await client.post(
        MATTERS,
        content=b"{" + b" " * limit + b"}",
        headers={**auth("admin"), "Idempotency-Key": "big-3", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "payload_too_large"


async def test_two_users_with_the_same_key_are_independent(
    client: httpx.AsyncClient, auth: TokenFactory, engine: AsyncEngine
) -> None:
    a = {**auth("applicant", sub="user-a", ent=ENT_A), "Idempotency-Key": "draft"}
    b = {**auth("applicant", sub="user-b", ent=ENT_B), "Idempotency-Key": "draft"}
    body = {"matterCode": "FR-PGP-OPENING", "enterpriseName": "某某公司", "route": "standard"}
    first_a = await client.post("/api/v1/applications", json=body, headers=a)
    first_b = await client.post("/api/v1/applications", json={**body, "enterpriseName": "另一家"}, headers=b)
    assert first_a.status_code == first_b.status_code == 201  # b's other body is not a 422
    assert first_a.json()["id"] != first_b.json()["id"]
    again_a = await client.post("/api/v1/applications", json=body, headers=a)
    assert again_a.headers["idempotent-replayed"] == "true" and again_a.json() == first_a.json()
    assert sorted(await _records(engine)) == [("user-a", "draft"), ("user-b", "draft")]


async def test_an_expired_record_no_longer_replays_and_is_purged(
    client: httpx.AsyncClient, app: Litestar, auth: TokenFactory, clock: ManualClock, engine: AsyncEngine
) -> None:
    ttl = timedelta(hours=app.state.settings.idempotency_ttl_hours)
    assert ttl == timedelta(hours=24)
    headers = {**auth("applicant", sub="user-a", ent=ENT_A), "Idempotency-Key": "draft"}
    body = {"matterCode": "FR-PGP-OPENING", "enterpriseName": "某某公司", "route": "standard"}
    first = await client.post("/api/v1/applications", json=body, headers=headers)
    clock.advance(ttl - timedelta(seconds=1))
    assert (await client.post("/api/v1/applications", json=body, headers=headers)).json() == first.json()

    clock.advance(timedelta(seconds=2))  # past the TTL: as if the key had never been used
    fresh = await client.post("/api/v1/applications", json=body, headers=headers)
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    assert fresh.json()["id"] != first.json()["id"]
    # The fresh record replays in its turn.
    again = await client.post("/api/v1/applications", json=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true" and again.json()["id"] == fresh.json()["id"]

    other = {**auth("applicant", sub="user-a", ent=ENT_A), "Idempotency-Key": "later"}
    clock.advance(ttl - timedelta(hours=1))
    await client.post("/api/v1/applications", json=body, headers=other)
    clock.advance(timedelta(hours=2))  # "draft" is now expired, "later" is not
    await app.state.services.background_round()
    assert await _records(engine) == [("user-a", "later")]
