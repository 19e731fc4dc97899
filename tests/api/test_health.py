"""Probes: live answers always; ready only when the database answers and is at the migrations' head."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.api.app import create_app
from govservice.auth import KeyStore
from govservice.config import Settings
from govservice.db.engine import make_engine
from govservice.db.migrations import downgrade, head_revision, upgrade
from govservice.domain.clock import ManualClock

PROBLEM = "application/problem+json"


async def test_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "revision": head_revision()}


async def test_not_ready_while_migrations_are_pending(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    # The engine may be the shared PostgreSQL test database: put the schema back whatever happens.
    await downgrade(engine, "base")
    try:
        response = await client.get("/health/ready")
        live = await client.get("/health/live")
    finally:
        await upgrade(engine)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "migrations_pending"
    assert head_revision() in body["detail"] and "govservice migrate" in body["detail"]
    assert live.status_code == 200  # not ready is not dead: the orchestrator must not restart it


async def test_not_ready_when_the_database_does_not_answer(
    settings: Settings, keys: KeyStore, clock: ManualClock
) -> None:
    unreachable = make_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")  # port 9: nothing listens
    app = create_app(settings, engine=unreachable, keys=keys, clock=clock)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await c.get("/health/ready")
            live = await c.get("/health/live")
    finally:
        await unreachable.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "database_unavailable"
    assert "Traceback" not in response.text
    assert live.status_code == 200
