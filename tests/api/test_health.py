"""Probes: live answers always; ready only when the database answers and is at the migrations' head."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from govservice.api.app import create_app
from govservice.auth import KeyStore
from govservice.config import Settings
from govservice.db import engine as db_engine
from govservice.db.engine import make_engine
from govservice.db.migrations import downgrade, head_revision, upgrade
from govservice.domain.clock import ManualClock
from tests.conftest import PG_URL, TokenFactory

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


async def _drop_every_other_connection() -> None:
    """What a PostgreSQL restart does to the pool's connections."""
    async with create_async_engine(PG_URL).connect() as other:  # type: ignore[arg-type]
        await other.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )


@pytest.mark.skipif(not PG_URL, reason="a PostgreSQL restart: PostgreSQL only")
async def test_after_the_database_drops_every_connection_one_request_fails_cleanly_and_the_next_works(
    client: httpx.AsyncClient, engine: AsyncEngine, auth: TokenFactory
) -> None:
    """A restart while the connections were just used: they are not pinged before use."""
    admin = auth("admin")
    assert (await client.get("/api/v1/webhooks", headers=admin)).status_code == 200  # a pooled connection
    await _drop_every_other_connection()
    statuses = [(await client.get("/api/v1/webhooks", headers=admin)).status_code for _ in range(3)]
    assert statuses in ([200, 200, 200], [503, 200, 200]), statuses  # at most the first, and never a 500


@pytest.mark.skipif(not PG_URL, reason="a PostgreSQL restart: PostgreSQL only")
async def test_connections_idle_through_a_restart_are_replaced_before_any_request_gets_one(
    client: httpx.AsyncClient, engine: AsyncEngine, auth: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The usual restart: at night, every pooled connection idle. No request sees it."""
    admin = auth("admin")
    assert (await client.get("/api/v1/webhooks", headers=admin)).status_code == 200
    monkeypatch.setattr(db_engine, "PING_IDLE_AFTER", 0.0)  # every pooled connection counts as idle now
    await _drop_every_other_connection()
    statuses = [(await client.get("/api/v1/webhooks", headers=admin)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
