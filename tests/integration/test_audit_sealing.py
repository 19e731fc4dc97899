"""Sealing the audit trail: entries recorded unsealed in their callers' transactions, chained later in
commit-independent order, never skipped, never forked (SQLite, and PostgreSQL when asked for)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.config import Settings
from govservice.db.engine import make_sessionmaker
from govservice.db.models import AuditEntryRow
from govservice.domain.actor import Actor, Role
from govservice.domain.clock import ManualClock
from govservice.services.audit import AuditLog, ChainReport
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext

CLERK = Actor(sub="clerk-1", roles=frozenset({Role.CLERK}), unit="FR-APPROVAL")
ADMIN = Actor(sub="admin-1", roles=frozenset({Role.ADMIN}))
ENT = "91350100M000100Y43"


@pytest.fixture
def audit(settings: Settings, engine: AsyncEngine, clock: ManualClock) -> AuditLog:
    ctx = ServiceContext(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        clock=clock,
    )
    return AuditLog(ctx)


async def add(audit: AuditLog, n: int, action: str = "get_application") -> list[int]:
    """``n`` entries, each in a short transaction of its own (as requests record them)."""
    ids = []
    for i in range(n):
        async with audit._ctx.transaction() as session:
            row = audit.add(session, CLERK, Kind.READ, action, f"application:{i}", enterprise=ENT)
        ids.append(row.id)
    return ids


async def verify(audit: AuditLog) -> ChainReport:
    return await audit.verify(ADMIN)


async def test_an_entry_commits_with_its_caller_or_not_at_all(audit: AuditLog, engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with audit._ctx.transaction() as session:
            audit.add(session, CLERK, Kind.CHANGE, "approve", "application:1")
            await session.flush()
            raise RuntimeError("the change failed")
    async with audit._ctx.transaction() as session:
        row = audit.add(session, CLERK, Kind.DECISION, "approve", "application:1", detail={"to": "approved"})
    assert row.seq is None and row.hash is None
    report = await verify(audit)
    assert (report.intact, report.entries, report.unsealed) == (True, 0, 1)
    assert await audit.seal() == 1
    async with engine.connect() as conn:
        kinds = (await conn.execute(text("SELECT kind, seq FROM audit_entries"))).all()
    assert [tuple(k) for k in kinds] == [("decision", 1)]


async def test_record_still_appends_in_a_transaction_of_its_own(audit: AuditLog) -> None:
    first = await audit.record(CLERK, Kind.READ, "get_application", "application:1", enterprise=ENT)
    second = await audit.record(CLERK, "change", "approve", "application:1")
    assert second > first
    assert await audit.seal(limit=1) == 1 and await audit.seal() == 1
    report = await verify(audit)
    assert (report.intact, report.entries, report.unsealed) == (True, 2, 0)


async def test_an_entry_committed_after_a_higher_id_was_sealed_is_sealed_later(
    audit: AuditLog, engine: AsyncEngine
) -> None:
    """The skip a cursor over ids would make: the lower id commits last."""
    await add(audit, 2)
    if engine.dialect.name == "postgresql":
        flushed, release = asyncio.Event(), asyncio.Event()
        late_ids: list[int] = []

        async def slow_request() -> None:  # another request: its own task, its own unit of work
            async with audit._ctx.transaction() as slow:
                late = audit.add(slow, CLERK, Kind.READ, "late", "application:9")
                await slow.flush()  # takes the lower id
                late_ids.append(late.id)
                flushed.set()
                await release.wait()

        slow_task = asyncio.create_task(slow_request())
        await flushed.wait()
        async with audit._ctx.transaction() as fast:
            early = audit.add(fast, CLERK, Kind.READ, "early", "application:9")
            await fast.flush()
        assert late_ids[0] < early.id
        assert await audit.seal() == 3  # the two before, and the early one: the late one is not committed
        release.set()
        await slow_task
    else:
        # SQLite serialises writers, so its ids follow commit order; a row with an explicit lower id
        # stands for the transaction that took its id first and committed last.
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE audit_entries SET id = id + 10"))  # leaves ids 1 and 2 free
        async with audit._ctx.transaction() as session:
            audit.add(session, CLERK, Kind.READ, "early", "application:9")
        assert await audit.seal() == 3
        async with audit._ctx.transaction() as session:
            late = audit.add(session, CLERK, Kind.READ, "late", "application:9")
            late.id = 1
    report = await verify(audit)
    assert (report.intact, report.entries, report.unsealed) == (True, 3, 1)
    assert await audit.seal() == 1
    report = await verify(audit)
    assert (report.intact, report.entries, report.unsealed) == (True, 4, 0)
    async with engine.connect() as conn:
        order = (await conn.execute(text("SELECT action FROM audit_entries ORDER BY seq"))).scalars().all()
    assert order[-2:] == ["early", "late"]


async def test_concurrent_sealers_extend_one_chain(audit: AuditLog, engine: AsyncEngine) -> None:
    await add(audit, 120)
    sealed = await asyncio.gather(*(audit.seal(limit=25) for _ in range(8)))
    assert sum(sealed) == 120 and max(sealed) == 25
    report = await verify(audit)
    assert (report.intact, report.entries, report.unsealed) == (True, 120, 0)
    async with engine.connect() as conn:
        seqs = (await conn.execute(select(AuditEntryRow.seq).order_by(AuditEntryRow.seq))).scalars().all()
    assert seqs == list(range(1, 121))


async def test_sealing_while_requests_record(audit: AuditLog) -> None:
    async def sealer(stop: asyncio.Event) -> int:
        total = 0
        while not stop.is_set():
            total += await audit.seal(limit=7)
            await asyncio.sleep(0)
        return total

    stop = asyncio.Event()
    sealers = [asyncio.create_task(sealer(stop)) for _ in range(2)]
    await asyncio.gather(*(add(audit, 15) for _ in range(4)))
    stop.set()
    sealed = sum(await asyncio.gather(*sealers)) + await audit.seal()
    assert sealed == 60
    report = await verify(audit)
    assert (report.intact, report.entries, report.unsealed) == (True, 60, 0)


async def test_a_verification_during_sealing_is_not_a_false_alarm(audit: AuditLog) -> None:
    await add(audit, 300)
    reports = await asyncio.gather(
        *(coro for _ in range(30) for coro in (audit.seal(limit=10), verify(audit)))
    )
    assert all(r.intact for r in reports if isinstance(r, ChainReport))


@pytest.mark.parametrize(
    ("tamper", "broken_seq", "problem"),
    [
        (
            "UPDATE audit_entries SET subject = 'application:99' WHERE seq = 3",
            3,
            "its content does not match its hash",
        ),
        (
            "UPDATE audit_entries SET prev_hash = hash WHERE seq = 3",
            3,
            "its previous hash does not match the entry before it",
        ),
        ("DELETE FROM audit_entries WHERE seq = 3", 3, "the entry at chain position 3 is missing"),
        ("UPDATE audit_entries SET seq = NULL WHERE seq = 3", 3, "the entry at chain position 3 is missing"),
        (
            "DELETE FROM audit_entries WHERE seq = 5",
            5,
            "the chain head names position 5; entries after 4 are missing",
        ),
        (
            "UPDATE audit_head SET last_id = 4",
            5,
            "entries after position 4 are not covered by the chain head",
        ),
        ("UPDATE audit_head SET last_hash = 'f'", 5, "the chain head's hash does not match the last entry"),
        ("DELETE FROM audit_head", 5, "the chain head is missing"),
    ],
)
async def test_a_tampered_chain_is_reported_broken(
    audit: AuditLog, engine: AsyncEngine, tamper: str, broken_seq: int, problem: str
) -> None:
    await add(audit, 5)
    await audit.seal()
    assert (await verify(audit)).intact
    async with engine.begin() as conn:
        await conn.execute(text(tamper))
    report = await verify(audit)
    assert (report.intact, report.first_broken_seq, report.problem) == (False, broken_seq, problem)
    assert report.entries == broken_seq - 1
    # Sealing more does not hide it (an entry turned unsealed is sealed again, at the end).
    await add(audit, 1)
    if "audit_head" not in tamper:
        await audit.seal()
        assert not (await verify(audit)).intact


async def test_record_timer_steps_finds_nothing_to_record_on_an_empty_trail(audit: AuditLog) -> None:
    assert await audit.record_timer_steps() == 0
    report = await verify(audit)
    assert (report.intact, report.entries, report.unsealed, report.head_hash) == (True, 0, 0, None)
