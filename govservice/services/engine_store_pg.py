"""PostgreSQL's form of :func:`engine_store.save` and :func:`engine_store.insert_case`: one statement
per step instead of three to five. The case's compare-and-set UPDATE (or its INSERT) is a
data-modifying CTE; the event, the outbox row, the timers ended and the timers armed are CTEs that
select from it, so they are written exactly when the case row is, and not at all when another step
moved the case first. SQLite has no data-modifying CTEs and keeps the statement-by-statement form.

Each shape (how the timers are ended, how many are armed) is built once; its values are parameters.
Why it exists: ``bench/lifecycle.py`` on PostgreSQL (see README, Benchmarks)."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, bindparam, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.selectable import CTE

from govservice.services import engine_rows as store

CASES, EVENTS, TIMERS, OUTBOX = store.CASES, store.EVENTS, store.TIMERS, store.OUTBOX


def _bind(table: Any, column: str, prefix: str) -> Any:
    return bindparam(f"{prefix}{column}", type_=table.c[column].type)


def _writes_of(case: CTE, cancel: tuple[bool, bool, bool, bool] | None, arms: int) -> list[CTE]:
    """The CTEs that write the event, the outbox row and the timers of the case ``case`` returns."""
    seq = bindparam("e_seq", type_=Integer)
    ctes = [
        insert(EVENTS)
        .from_select(
            ["case_id", "seq", *store.EVENT_COLUMNS],
            select(case.c.id, seq, *(_bind(EVENTS, c, "e_") for c in store.EVENT_COLUMNS)),
        )
        .cte("event"),
        insert(OUTBOX)
        .from_select(["case_id", "seq", "at"], select(case.c.id, seq, _bind(EVENTS, "at", "e_")))
        .cte("outbox"),
    ]
    if cancel is not None:
        everything, by_state, by_keys, fired = cancel
        ending = update(TIMERS).where(
            TIMERS.c.case_id.in_(select(case.c.id)), TIMERS.c.status == store.PENDING
        )
        if fired:
            ending = ending.where(TIMERS.c.id != bindparam("t_fired"))
        if not everything:
            which = TIMERS.c.state == bindparam("t_state") if by_state else TIMERS.c.state.is_(None)
            if by_keys:
                which = which | TIMERS.c.key.in_(bindparam("t_keys", expanding=True))
            ending = ending.where(which)
        ctes.append(
            ending.values(status=store.CANCELLED, cancelled_at=_bind(TIMERS, "cancelled_at", "t_")).cte(
                "ended"
            )
        )
    for i in range(arms):
        armed = select(
            case.c.id,
            *(_bind(TIMERS, c, f"a{i}_") for c in store.TIMER_COLUMNS),
            literal(store.PENDING, TIMERS.c.status.type),
            _bind(TIMERS, "armed_at", "t_"),
        )
        columns = ["case_id", *store.TIMER_COLUMNS, "status", "armed_at"]
        ctes.append(insert(TIMERS).from_select(columns, armed).cte(f"armed{i}"))
    return ctes


@functools.cache
def _save(cancel: tuple[bool, bool, bool, bool] | None, arms: int) -> Executable:
    moved = (
        update(CASES)
        .where(CASES.c.id == bindparam("b_id"), CASES.c.version == bindparam("b_seen"))
        .values({c: _bind(CASES, c, "c_") for c in store.STEP_COLUMNS})
        .returning(CASES.c.id)
        .cte("moved")
    )
    return select(func.count()).select_from(moved).add_cte(*_writes_of(moved, cancel, arms))


@functools.cache
def _insert(arms: int) -> Executable:
    new = (
        insert(CASES)
        .values({c: _bind(CASES, c, "c_") for c in store.NEW_CASE_COLUMNS})
        .returning(CASES.c.id)
        .cte("new")
    )
    return select(new.c.id).add_cte(*_writes_of(new, None, arms))


def _prefixed(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{column}": value for column, value in values.items()}


def _event_params(seq: int, to_state: str, at: Any, event: store.EventWrite) -> dict[str, Any]:
    return {"e_seq": seq} | _prefixed("e_", store.event_values(to_state, at, event))


def _arm_params(arm: Any, now: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"t_armed_at": now}
    for i, timer in enumerate(arm):
        params |= _prefixed(f"a{i}_", store.timer_values(timer))
    return params


async def save(session: AsyncSession, step: store.StepWrite) -> bool:
    cancel: tuple[bool, bool, bool, bool] | None = None
    params: dict[str, Any] = {"b_id": step.case_id, "b_seen": step.seen_version}
    if step.cancel_all or step.cancel_state is not None or step.cancel_keys:
        by_state, by_keys = step.cancel_state is not None, bool(step.cancel_keys)
        cancel = (step.cancel_all, by_state, by_keys, step.timer_id is not None)
        params |= {"t_cancelled_at": step.now, "t_fired": step.timer_id}
        params |= {"t_state": step.cancel_state, "t_keys": list(step.cancel_keys)}
    params |= _prefixed("c_", store.step_values(step))
    params |= _event_params(step.version, step.state, step.now, step.event)
    params |= _arm_params(step.arm, step.now)
    moved = (await session.execute(_save(cancel, len(step.arm)), params)).scalar_one()
    return bool(moved == 1)


async def insert_case(session: AsyncSession, new: store.NewCase) -> int:
    params = _prefixed("c_", store.new_case_values(new))
    params |= _event_params(1, new.state, new.now, new.event)
    params |= _arm_params(new.arm, new.now)
    case_id: int = (await session.execute(_insert(len(new.arm)), params)).scalar_one()
    return case_id
