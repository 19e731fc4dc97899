"""Running counts behind the indicators (table ``application_counts``), kept by the steps.

The application steps call :func:`add` in their own transaction when they write a fact the
indicators count: an acceptance, a tolerant acceptance, a decision, a post-check, a conclusion.
The increments are written by one upsert when that transaction commits, so the counts are exactly
the aggregate that :func:`rebuild` computes from the applications' fact columns; the migration that
introduced them and the benchmark's bulk load call :func:`rebuild`.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, insert, literal, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from govservice.db.engine import before_commit
from govservice.db.models import ApplicationCountRow, ApplicationRow

T, A = ApplicationCountRow.__table__, ApplicationRow
KEY = ("milestone", "day", "unit", "matter_code", "route", "working_days")
MEASURES = (
    "n",
    "online",
    "zero_visit",
    "at_most_one_visit",
    "visits",
    "materials",
    "on_time_promised",
    "on_time_statutory",
    "promised_days",
    "statutory_days",
    "same_day",
    "tolerant",
    "post_checked",
    "post_checked_on_time",
)
ACCEPTED, DECIDED, CONCLUDED = "accepted", "decided", "concluded"
NO_ROUTE, NO_DAYS = "", -1


def add(
    session: AsyncSession,
    milestone: str,
    day: date,
    app: ApplicationRow,
    *,
    route: str = NO_ROUTE,
    working_days: int = NO_DAYS,
    **measures: int,
) -> None:
    """Add ``measures`` to the (milestone, day, unit, matter, route, working days) row of ``app``,
    when the unit of work commits (:func:`_write_pending`)."""
    unknown = set(measures) - set(MEASURES)
    if unknown:
        raise ValueError(f"not a count: {', '.join(sorted(unknown))}")
    pending: dict[tuple[Any, ...], dict[str, int]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = {}
        before_commit(session, _write_pending)
    row = pending.setdefault((milestone, day, app.unit, app.matter_code, route, working_days), {})
    for measure, value in measures.items():
        row[measure] = row.get(measure, 0) + int(value)


_PENDING = "govservice.counts"  # session.info: the increments of this unit of work, by row


def _write_pending(session: Session) -> None:
    """Last in the unit of work: its other writes are flushed first, then one upsert adds every
    increment, rows in key order. A count row is a hot row (every step of a matter and day adds to
    it), and PostgreSQL holds its lock from the upsert to the commit: only that commit now."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()
    rows = [
        dict(zip(KEY, key, strict=True)) | {m: row.get(m, 0) for m in MEASURES}
        for key, row in sorted(pending.items(), key=lambda item: tuple(str(part) for part in item[0]))
    ]
    session.execute(_upsert(session.get_bind().dialect.name), rows)


@functools.cache
def _upsert(dialect: str) -> Executable:
    """One statement per dialect, built once (its values are parameters)."""
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(T)
    return statement.on_conflict_do_update(
        index_elements=list(KEY), set_={m: T.c[m] + statement.excluded[m] for m in MEASURES}
    )


def count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def rebuild() -> list[Executable]:
    """Statements that replace every count by the aggregate of the applications' fact columns."""
    days = func.coalesce(A.decision_working_days, NO_DAYS)
    zero = literal(0)

    def rows(
        milestone: str, day: Any, route: Any, working_days: Any, where: Any, **measures: Any
    ) -> Executable:
        columns = [
            literal(milestone),
            day,
            A.unit,
            A.matter_code,
            route,
            working_days,
            *(measures.get(m, zero) for m in MEASURES),
        ]
        query = select(*columns).where(where).group_by(day, A.unit, A.matter_code, route, working_days)
        return insert(T).from_select([*KEY, *MEASURES], query)

    return [
        delete(T),
        rows(
            ACCEPTED,
            A.accepted_on,
            A.route,
            literal(NO_DAYS),
            A.accepted_on.is_not(None),
            n=func.count(),
            tolerant=count_if(A.tolerant_due_on.is_not(None)),
        ),
        rows(
            DECIDED,
            A.decided_on,
            literal(NO_ROUTE),
            days,
            A.decided_on.is_not(None),
            n=func.count(),
            on_time_promised=count_if(A.decision_working_days <= A.promised_limit),
            on_time_statutory=count_if(A.decision_working_days <= A.decision_limit),
            promised_days=func.sum(A.promised_limit),
            statutory_days=func.sum(A.statutory_limit),
            same_day=count_if(A.decided_on == A.accepted_on),
            post_checked=count_if(A.post_checked_on.is_not(None)),
            post_checked_on_time=count_if(A.post_checked_on <= A.post_check_due_on),
        ),
        rows(
            CONCLUDED,
            A.concluded_on,
            literal(NO_ROUTE),
            literal(NO_DAYS),
            A.concluded_on.is_not(None),
            n=func.count(),
            online=count_if(A.channel == "online"),
            zero_visit=count_if(A.visits == 0),
            at_most_one_visit=count_if(A.visits <= 1),
            visits=func.sum(A.visits),
            materials=func.sum(func.coalesce(A.materials_count, 0)),
        ),
    ]


async def recount(engine: AsyncEngine) -> int:
    """Replace every count by the aggregate of the applications' facts (after facts were repaired
    outside the steps); returns how many count rows there are. On PostgreSQL the table is locked
    for the duration, so steps that add to it wait instead of interleaving."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("LOCK TABLE application_counts IN EXCLUSIVE MODE"))
        for statement in rebuild():
            await conn.execute(statement)
        return int(await conn.scalar(select(func.count()).select_from(T)) or 0)
