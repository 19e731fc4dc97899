"""Migration 0012 on a trail chained by the previous code: its entries still verify, new ones
follow them, and the downgrade refuses a trail the previous schema cannot hold."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.config import Settings
from govservice.db.engine import make_sessionmaker
from govservice.db.migrations import current_revision, downgrade, head_revision, upgrade
from govservice.domain.actor import Actor, Role
from govservice.domain.clock import ManualClock
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext

ADMIN = Actor(sub="admin-1", roles=frozenset({Role.ADMIN}))
AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def old_hash(prev: str, entry: dict[str, object]) -> str:
    """The chain as the previous code computed it, written out independently of the service."""
    fields = {
        "id": entry["id"],
        "at": AT.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "kind": entry["kind"],
        "action": entry["action"],
        "actorSub": entry["actor_sub"],
        "actorRoles": entry["actor_roles"],
        "unit": None,
        "enterprise": None,
        "subject": entry["subject"],
        "detail": {},
        "source": None,
    }
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(prev.encode() + b"\n" + body).hexdigest()


async def chain_the_old_way(engine: AsyncEngine, entries: int) -> None:
    prev = "0" * 64
    async with engine.begin() as conn:
        for i in range(1, entries + 1):
            entry = {
                "id": i,
                "kind": "read",
                "action": "get_application",
                "actor_sub": "clerk-1",
                "actor_roles": "clerk",
                "subject": f"application:{i}",
            }
            digest = old_hash(prev, entry)
            await conn.execute(
                text(
                    "INSERT INTO audit_entries (id, at, kind, action, actor_sub, actor_roles, subject,"
                    " detail, prev_hash, hash) VALUES (:id, :at, :kind, :action, :actor_sub, :actor_roles,"
                    " :subject, '{}', :prev, :hash)"
                ),
                {**entry, "at": AT, "prev": prev, "hash": digest},
            )
            prev = digest
        await conn.execute(
            text("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, :n, :h)"),
            {"n": entries, "h": prev},
        )


@pytest.fixture
def audit(settings: Settings, engine: AsyncEngine, clock: ManualClock) -> AuditLog:
    ctx = ServiceContext(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        clock=clock,
    )
    return AuditLog(ctx)


async def test_a_trail_chained_before_0012_still_verifies_and_grows(
    engine: AsyncEngine, audit: AuditLog, clock: ManualClock
) -> None:
    try:
        await downgrade(engine, "0011")
        await chain_the_old_way(engine, 3)
        await upgrade(engine)
        report = await audit.verify(ADMIN)
        assert (report.intact, report.entries, report.unsealed) == (True, 3, 0)

        # New ids come after the old ones (on PostgreSQL the id sequence was moved past them).
        clock.advance(timedelta(minutes=1))
        new_id = await audit.record(ADMIN, Kind.CHANGE, "publish", "matter:X")
        assert new_id == 4
        assert await audit.seal() == 1
        report = await audit.verify(ADMIN)
        assert (report.intact, report.entries, report.unsealed) == (True, 4, 0)

        # Every entry at the position of its id: the previous schema can hold it, and back again.
        await downgrade(engine, "0011")
        await upgrade(engine)
        assert (await audit.verify(ADMIN)).intact

        # An entry out of id order (or unsealed) cannot be expressed in 0011: the downgrade refuses.
        await audit.record(ADMIN, Kind.CHANGE, "publish", "matter:Y")
        with pytest.raises(RuntimeError, match="1 audit entries are unsealed"):
            await downgrade(engine, "0011")
        assert await current_revision(engine) == head_revision()
        assert await audit.seal() == 1
        assert (await audit.verify(ADMIN)).intact
    finally:
        await upgrade(engine)  # the shared PostgreSQL test database stays at head for the next test
