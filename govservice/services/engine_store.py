"""The engine's rows, on SQLAlchemy Core, inside the caller's unit of work (one session, one
transaction) on either database: load a case, insert one, compare-and-set save a step with its
event, its outbox row and its timers, and claim due timers (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL). On PostgreSQL a step is one data-modifying statement (CTEs); on SQLite triggers write
the outbox row with the event and end a finished case's timers with its UPDATE. Nothing here
commits; the use case's transaction does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from govservice.db.results import rowcount
from govservice.domain.calendar import CaseClock
from govservice.services import engine_store_pg
from govservice.services.engine_rows import (
    CANCELLED,
    CASES,
    EVENTS,
    FIRED,
    OUTBOX,
    PENDING,
    TIMERS,
    EventWrite,
    NewCase,
    StepWrite,
    TimerArm,
    event_values,
    new_case_values,
    step_values,
    timer_values,
)
from govservice.services.engine_views import CaseView
from govservice.workflow import CaseData


def case_view(row: Any) -> CaseView:
    return case_view_of(row._mapping)


def case_view_of(m: Mapping[str, Any]) -> CaseView:
    return CaseView(
        id=m["id"],
        process_id=m["process_id"],
        process_version=m["process_version"],
        state=m["state"],
        version=m["version"],
        outcome=m["outcome"],
        subject_kind=m["subject_kind"],
        subject_ref=m["subject_ref"],
        calendar_version=m["calendar_version"],
        due_on=m["due_on"],
        clock=msgspec.convert(m["clock"], CaseClock),
        data=msgspec.convert(m["data"], CaseData),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


# Built once: a statement made per call costs more CPU to build and cache-key than to execute.
_LOAD = select(CASES).where(CASES.c.id == bindparam("b_id"))
_INSERT_EVENT = insert(EVENTS)
_SAVE = update(CASES).where(CASES.c.id == bindparam("b_id"), CASES.c.version == bindparam("b_seen"))


_READ = "govservice.cases"  # session.info key: the cases this unit of work has read, by id


def remember(session: AsyncSession, case: CaseView) -> CaseView:
    """Note ``case`` as this unit of work has it (read with its subject, say, or just saved), so that
    :func:`load` need not read it again; the compare-and-set of :func:`save` still guards the write."""
    session.info.setdefault(_READ, {})[case.id] = case
    return case


async def load(session: AsyncSession, case_id: int) -> CaseView | None:
    known: CaseView | None = session.info.get(_READ, {}).get(case_id)
    if known is not None:
        return known
    row = (await session.execute(_LOAD, {"b_id": case_id})).first()
    return remember(session, case_view(row)) if row is not None else None


async def load_many(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, CaseView]:
    known: dict[int, CaseView] = session.info.get(_READ, {})
    cases = {i: known[i] for i in case_ids if i in known}
    missing = [i for i in case_ids if i not in known]
    if missing:
        rows = (await session.execute(select(CASES).where(CASES.c.id.in_(missing)))).all()
        cases |= {row.id: case_view(row) for row in rows}
    return cases


async def _event(
    db: AsyncSession | AsyncConnection, case_id: int, seq: int, to_state: str, at: datetime, event: EventWrite
) -> None:
    """The event; on SQLite its outbox row is written by a trigger (migration 0017)."""
    await db.execute(_INSERT_EVENT, {"case_id": case_id, "seq": seq} | event_values(to_state, at, event))


async def record_event(
    conn: AsyncConnection, case_id: int, seq: int, state: str, at: datetime, event: EventWrite
) -> None:
    """An event written outside a step (the calendar's re-derivation of a case's deadlines), the
    state unchanged, with its outbox row as a step's would have: by trigger on SQLite, here on
    PostgreSQL (where a step writes it in its CTE)."""
    await _event(conn, case_id, seq, state, at, event)
    if conn.dialect.name == "postgresql":
        await conn.execute(insert(OUTBOX).values(case_id=case_id, seq=seq, at=at))


async def _arm(session: AsyncSession, case_id: int, arm: Sequence[TimerArm], now: datetime) -> None:
    if arm:
        rows = [{"case_id": case_id, "status": PENDING, "armed_at": now} | timer_values(t) for t in arm]
        await session.execute(insert(TIMERS), rows)


def _on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def insert_case(session: AsyncSession, new: NewCase) -> int:
    if _on_postgresql(session):
        return await engine_store_pg.insert_case(session, new)
    case_id: int = (
        await session.execute(insert(CASES).values(new_case_values(new)).returning(CASES.c.id))
    ).scalar_one()
    await _event(session, case_id, 1, new.state, new.now, new.event)
    await _arm(session, case_id, new.arm, new.now)
    return case_id


async def save(session: AsyncSession, step: StepWrite) -> bool:
    """Compare-and-set on the version; False when another step moved the case first (nothing written)."""
    if _on_postgresql(session):
        return await engine_store_pg.save(session, step)
    moved = await session.execute(
        _SAVE, {"b_id": step.case_id, "b_seen": step.seen_version} | step_values(step)
    )
    if rowcount(moved) != 1:
        return False
    await _event(session, step.case_id, step.version, step.state, step.now, step.event)
    # a step that ends the case (cancel_all) had its pending timers ended by the case's UPDATE, by
    # trigger (migration 0018); the timer that fired the step is marked fired already
    if not step.cancel_all and (step.cancel_state is not None or step.cancel_keys):
        ending = update(TIMERS).where(TIMERS.c.case_id == step.case_id, TIMERS.c.status == PENDING)
        if step.timer_id is not None:
            ending = ending.where(TIMERS.c.id != step.timer_id)
        which = TIMERS.c.state == step.cancel_state
        if step.cancel_keys:
            which = which | TIMERS.c.key.in_(step.cancel_keys)
        await session.execute(ending.where(which).values(status=CANCELLED, cancelled_at=step.now))
    await _arm(session, step.case_id, step.arm, step.now)
    return True


async def mark_fired(session: AsyncSession, timer_id: int, now: datetime) -> bool:
    done = await session.execute(
        update(TIMERS)
        .where(TIMERS.c.id == timer_id, TIMERS.c.status == PENDING)
        .values(status=FIRED, fired_at=now)
    )
    return rowcount(done) == 1


async def end_timer(session: AsyncSession, timer_id: int, status: str, now: datetime, detail: str) -> None:
    await session.execute(
        update(TIMERS)
        .where(TIMERS.c.id == timer_id, TIMERS.c.status == PENDING)
        .values(status=status, cancelled_at=now, detail=detail[:2000])
    )


async def release_timer(session: AsyncSession, timer_id: int) -> None:
    await session.execute(
        update(TIMERS)
        .where(TIMERS.c.id == timer_id, TIMERS.c.status == PENDING)
        .values(claimed_by=None, claimed_until=None)
    )


async def claim_due(
    session: AsyncSession, worker: str, limit: int, lease: timedelta, now: datetime
) -> list[Any]:
    """Due timers no other worker holds, leased to ``worker``. On PostgreSQL rows another worker
    is claiming are skipped, not waited for; SQLite has one writer and the statement is atomic."""
    due = (
        select(TIMERS.c.id)
        .where(
            TIMERS.c.status == PENDING,
            TIMERS.c.due_at <= now,
            TIMERS.c.claimed_until.is_(None) | (TIMERS.c.claimed_until < now),
        )
        .order_by(TIMERS.c.due_at, TIMERS.c.id)
        .limit(limit)
    )
    if _on_postgresql(session):
        due = due.with_for_update(skip_locked=True)
    claim = (
        update(TIMERS)
        .where(TIMERS.c.id.in_(due.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + lease)
        .returning(
            TIMERS.c.id, TIMERS.c.case_id, TIMERS.c.key, TIMERS.c.action, TIMERS.c.state, TIMERS.c.due_at
        )
    )
    return list(await session.execute(claim))


async def latest_version(session: AsyncSession, definitions: Any, process_id: str) -> int | None:
    return (
        await session.execute(
            select(func.max(definitions.c.version)).where(definitions.c.process_id == process_id)
        )
    ).scalar()
