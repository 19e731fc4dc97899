"""Appending to the audit chain, verifying it, and listing reads of an enterprise's data.

Appends are serialised: on PostgreSQL by a row lock on the single ``audit_head`` row (``FOR
UPDATE``), held until the appending transaction commits, so concurrent requests and processes
extend one chain; on SQLite the database serialises writers and an in-process lock keeps two
tasks of this process from reading the same head.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import String, cast, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import (
    ApplicationRow,
    AuditEntryRow,
    AuditHeadRow,
    EnterpriseRequestRow,
    RatingRow,
    ViolationRow,
    WorkflowCaseRow,
    WorkflowEventRow,
    WorkOrderRow,
)
from govservice.domain.actor import Actor, Role
from govservice.errors import Forbidden
from govservice.services.audit.chain import GENESIS, entry_hash
from govservice.services.context import ServiceContext
from govservice.services.cursors import decode_id_cursor, encode_id_cursor

HEAD_ID = 1
TIMER_ACTOR = "system:timer"  # how the engine signs the steps its timers take
CALENDAR_ACTOR = "system:calendar"  # deadlines re-derived when an official calendar year is loaded
SYSTEM_ACTORS = (TIMER_ACTOR, CALENDAR_ACTOR)
EVENTS, CASES, APPS = WorkflowEventRow, WorkflowCaseRow, ApplicationRow
ORDERS, RATINGS = WorkOrderRow, RatingRow
VIOLATIONS, REQUESTS = ViolationRow, EnterpriseRequestRow
VERIFY_BATCH = 2000


class Kind(enum.StrEnum):
    READ = "read"  # a data read of an enterprise's records
    CHANGE = "change"  # a state change
    DECISION = "decision"  # a decision (approve, deny, appeal upheld, ...)


class AuditEntry(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    at: datetime
    kind: str
    action: str
    actor_sub: str
    actor_roles: list[str]
    subject: str
    unit: str | None = None


class ChainReport(msgspec.Struct, kw_only=True, rename="camel"):
    intact: bool
    entries: int
    first_broken_id: int | None = None
    problem: str | None = None
    head_hash: str | None = None


class DataAccess(msgspec.Struct, kw_only=True, rename="camel"):
    """One read of an enterprise's data by someone other than the enterprise itself."""

    id: int
    at: datetime
    actor_sub: str
    actor_roles: list[str]
    unit: str | None
    action: str
    subject: str


def _hashed_fields(row: AuditEntryRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at,
        "kind": row.kind,
        "action": row.action,
        "actorSub": row.actor_sub,
        "actorRoles": row.actor_roles,
        "unit": row.unit,
        "enterprise": row.enterprise_uscc,
        "subject": row.subject,
        "detail": row.detail,
        "source": row.source,
    }


@dataclass(frozen=True, slots=True)
class _Pending:
    """An entry waiting to be chained."""

    actor: Actor | None
    kind: str
    action: str
    subject: str
    enterprise: str | None
    unit: str | None
    detail: Mapping[str, Any] | None
    source: str | None = None
    at: datetime | None = None
    system: str = "system"


class AuditLog:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._lock = asyncio.Lock()
        self._waiting: list[tuple[_Pending, asyncio.Future[int]]] = []

    # -- appending -----------------------------------------------------------------------------

    async def record(
        self,
        actor: Actor | None,
        kind: Kind | str,
        action: str,
        subject: str,
        *,
        enterprise: str | None = None,
        unit: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one entry, after the change it records has committed, and return its id once it
        is committed. Appends are group-committed: whoever holds the chain lock writes every entry
        waiting at that moment in one transaction, so concurrent requests share one commit instead
        of queueing for one each (the lock spans the commit: no two tasks of this process read the
        same head)."""
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((_Pending(actor, str(kind), action, subject, enterprise, unit, detail), done))
        async with self._lock:
            if not done.done():
                batch, self._waiting = self._waiting, []
                try:
                    async with self._ctx.sessions() as session, session.begin():
                        ids = await self._append(session, [pending for pending, _ in batch])
                except BaseException as exc:
                    for _, waiter in batch:
                        if not waiter.done():
                            waiter.set_exception(exc)
                    raise
                for (_, waiter), entry_id in zip(batch, ids, strict=True):
                    waiter.set_result(entry_id)
        return done.result()

    async def _append(self, session: AsyncSession, entries: list[_Pending]) -> list[int]:
        """Chain ``entries`` after the head, in order, under the head's row lock."""
        head = await self._lock_head(session)
        last_id, last_hash = head.last_id, head.last_hash
        rows = []
        for e in entries:
            actor = e.actor
            row = AuditEntryRow(
                id=last_id + 1,
                at=e.at or self._ctx.clock.now(),
                kind=e.kind,
                action=e.action[:64],
                actor_sub=(actor.sub if actor else e.system)[:255],
                actor_roles=",".join(sorted(r.value for r in actor.roles)) if actor else "",
                unit=(actor.unit if actor and actor.unit else e.unit),
                enterprise_uscc=e.enterprise,
                subject=e.subject[:64],
                detail=dict(e.detail or {}),
                source=e.source,
                prev_hash=last_hash,
                hash="",
            )
            row.hash = entry_hash(row.prev_hash, _hashed_fields(row))
            last_id, last_hash = row.id, row.hash
            rows.append(row)
        session.add_all(rows)
        await session.flush()
        await session.execute(
            update(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).values(last_id=last_id, last_hash=last_hash)
        )
        return [row.id for row in rows]

    async def record_timer_steps(self, limit: int = 500) -> int:
        """Append an entry for each step the system took: a timer's (deemed acceptance, a work order marked
        overdue, ...) that is not in the trail yet; returns how many. People's steps are recorded by
        the services that take them; timer steps run in the worker, which calls this after a round.
        Idempotent and safe to run from several workers: it reads under the chain-head lock, and
        each entry's ``source`` is unique."""
        source = literal("event:") + cast(EVENTS.case_id, String) + literal(":") + cast(EVENTS.seq, String)
        async with self._lock, self._ctx.sessions() as session, session.begin():
            await self._lock_head(session)
            steps = (
                await session.execute(
                    select(
                        EVENTS.case_id,
                        EVENTS.seq,
                        EVENTS.action,
                        EVENTS.from_state,
                        EVENTS.to_state,
                        EVENTS.at,
                        EVENTS.actor_sub,
                        CASES.subject_kind,
                        APPS.id,
                        APPS.enterprise_uscc,
                        APPS.unit,
                        ORDERS.id,
                        ORDERS.unit,
                        RATINGS.enterprise_uscc,
                        VIOLATIONS.id,
                        VIOLATIONS.uscc,
                        VIOLATIONS.department_unit,
                        REQUESTS.id,
                        REQUESTS.uscc,
                        REQUESTS.unit,
                    )
                    .join(CASES, CASES.id == EVENTS.case_id)
                    .outerjoin(APPS, APPS.case_id == EVENTS.case_id)
                    .outerjoin(ORDERS, ORDERS.case_id == EVENTS.case_id)
                    .outerjoin(RATINGS, RATINGS.id == ORDERS.rating_id)
                    .outerjoin(VIOLATIONS, VIOLATIONS.case_id == EVENTS.case_id)
                    .outerjoin(REQUESTS, REQUESTS.case_id == EVENTS.case_id)
                    .outerjoin(AuditEntryRow, AuditEntryRow.source == source)
                    .where(EVENTS.actor_sub.in_(SYSTEM_ACTORS), AuditEntryRow.id.is_(None))
                    .order_by(EVENTS.at, EVENTS.case_id, EVENTS.seq)
                    .limit(limit)
                )
            ).all()
            pending: list[_Pending] = []
            for (
                case_id,
                seq,
                action,
                from_state,
                to_state,
                at,
                system,
                kind,
                app_id,
                app_ent,
                app_unit,
                order_id,
                order_unit,
                order_ent,
                violation_id,
                violation_ent,
                violation_unit,
                request_id,
                request_ent,
                request_unit,
            ) in steps:
                if app_id is not None:
                    subject, enterprise, unit = f"application:{app_id}", app_ent, app_unit
                elif order_id is not None:
                    subject, enterprise, unit = f"work_order:{order_id}", order_ent, order_unit
                elif violation_id is not None:
                    subject, enterprise, unit = f"violation:{violation_id}", violation_ent, violation_unit
                elif request_id is not None:
                    subject, enterprise, unit = f"request:{request_id}", request_ent, request_unit
                else:
                    subject, enterprise, unit = f"{kind}_case:{case_id}", None, None
                pending.append(_Pending(None, Kind.CHANGE.value, action, subject, enterprise, unit,
                                        {"from": from_state, "to": to_state}, source=f"event:{case_id}:{seq}",
                                        at=at, system=system))
            if pending:
                await self._append(session, pending)
        return len(steps)

    async def _lock_head(self, session: AsyncSession) -> AuditHeadRow:
        # populate_existing: the head was updated by a statement, not through this session's object.
        query = (
            select(AuditHeadRow)
            .where(AuditHeadRow.id == HEAD_ID)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        head = await session.scalar(query)
        if head is None:
            values = {"id": HEAD_ID, "last_id": 0, "last_hash": GENESIS}
            postgres = session.bind.dialect.name == "postgresql"
            stmt = (pg_insert if postgres else sqlite_insert)(AuditHeadRow).values(**values)
            await session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))
            head = await session.scalar(query)
        assert head is not None
        return head

    # -- verifying -------------------------------------------------------------------------------

    async def verify(self, actor: Actor) -> ChainReport:
        if not actor.has(Role.ASSESSOR, Role.ADMIN):
            raise Forbidden(
                "the audit chain is verified by assessors and administrators", code="role_required"
            )
        expected_prev, expected_id, count = GENESIS, 1, 0
        async with self._ctx.sessions() as session:
            while True:
                rows = list(
                    await session.scalars(
                        select(AuditEntryRow)
                        .where(AuditEntryRow.id >= expected_id)
                        .order_by(AuditEntryRow.id)
                        .limit(VERIFY_BATCH)
                    )
                )
                for row in rows:
                    problem = None
                    if row.id != expected_id:
                        problem, broken = f"entry {expected_id} is missing", expected_id
                    elif row.prev_hash != expected_prev:
                        problem, broken = "its previous hash does not match the entry before it", row.id
                    elif entry_hash(row.prev_hash, _hashed_fields(row)) != row.hash:
                        problem, broken = "its content does not match its hash", row.id
                    if problem:
                        return ChainReport(
                            intact=False, entries=count, first_broken_id=broken, problem=problem
                        )
                    expected_prev, expected_id, count = row.hash, row.id + 1, count + 1
                if len(rows) < VERIFY_BATCH:
                    break
            head = await session.get(AuditHeadRow, HEAD_ID)
        if head is not None and (head.last_id != expected_id - 1 or head.last_hash != expected_prev):
            return ChainReport(
                intact=False,
                entries=count,
                first_broken_id=expected_id,
                problem=f"the chain head names entry {head.last_id}; entries after "
                f"{expected_id - 1} are missing",
            )
        return ChainReport(intact=True, entries=count, head_hash=expected_prev if count else None)

    # -- who read an enterprise's data -----------------------------------------------------------

    async def data_access(
        self, actor: Actor, uscc: str, *, limit: int, cursor: str | None
    ) -> tuple[list[DataAccess], str | None]:
        own = actor.has(Role.APPLICANT) and actor.ent == uscc
        if not (own or actor.has(Role.ADMIN)):
            raise Forbidden(
                "an enterprise's data-access log is for that enterprise and administrators",
                code="other_enterprise",
            )
        query = select(AuditEntryRow).where(
            AuditEntryRow.enterprise_uscc == uscc,
            AuditEntryRow.kind == Kind.READ.value,
            # The enterprise's own users reading their own records are not what this list is for.
            AuditEntryRow.actor_roles != Role.APPLICANT.value,
        )
        if cursor:
            query = query.where(AuditEntryRow.id < _decode_cursor(cursor))
        async with self._ctx.sessions() as session:
            rows = list(await session.scalars(query.order_by(AuditEntryRow.id.desc()).limit(limit + 1)))
        items = [
            DataAccess(
                id=r.id,
                at=r.at,
                actor_sub=r.actor_sub,
                actor_roles=r.actor_roles.split(",") if r.actor_roles else [],
                unit=r.unit,
                action=r.action,
                subject=r.subject,
            )
            for r in rows[:limit]
        ]
        next_cursor = _encode_cursor(items[-1].id) if len(rows) > limit else None
        return items, next_cursor


def _encode_cursor(last_id: int) -> str:
    return encode_id_cursor("a", last_id)


def _decode_cursor(cursor: str) -> int:
    return decode_id_cursor("a", cursor)
