"""Recording to the audit trail, sealing it into a hash chain, verifying it, and listing reads of an
enterprise's data.

Recording takes no lock: ``add`` puts an unsealed entry into the caller's transaction, so the entry
commits (or rolls back) with the change it records. ``seal`` (the worker, each round) chains the
entries recorded since, in one short transaction; see ``sealer``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import String, cast, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import (
    ApplicationRow,
    AuditEntryRow,
    EnterpriseRequestRow,
    RatingRow,
    ViolationRow,
    WorkflowCaseRow,
    WorkflowEventRow,
    WorkOrderRow,
)
from govservice.domain.actor import Actor, Role
from govservice.errors import Forbidden
from govservice.services.audit.sealer import seal_batch
from govservice.services.audit.verify import ChainReport, verify_chain
from govservice.services.context import ServiceContext
from govservice.services.cursors import decode_id_cursor, encode_id_cursor

__all__ = [
    "CALENDAR_ACTOR",
    "SYSTEM_ACTORS",
    "TIMER_ACTOR",
    "AuditEntry",
    "AuditLog",
    "ChainReport",
    "DataAccess",
    "Kind",
]

TIMER_ACTOR = "system:timer"  # how the engine signs the steps its timers take
CALENDAR_ACTOR = "system:calendar"  # deadlines re-derived when an official calendar year is loaded
SYSTEM_ACTORS = (TIMER_ACTOR, CALENDAR_ACTOR)
EVENTS, CASES, APPS = WorkflowEventRow, WorkflowCaseRow, ApplicationRow
ORDERS, RATINGS = WorkOrderRow, RatingRow
VIOLATIONS, REQUESTS = ViolationRow, EnterpriseRequestRow


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


class DataAccess(msgspec.Struct, kw_only=True, rename="camel"):
    """One read of an enterprise's data by someone other than the enterprise itself."""

    id: int
    at: datetime
    actor_sub: str
    actor_roles: list[str]
    unit: str | None
    action: str
    subject: str


class AuditLog:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    # -- recording -----------------------------------------------------------------------------

    def read(
        self,
        session: AsyncSession,
        actor: Actor,
        action: str,
        subject: str,
        *,
        enterprise: str,
        unit: str | None = None,
    ) -> None:
        """A staff read of an enterprise's records, for its data-access log, in the read's own
        transaction (the enterprise's own users reading their records are not logged)."""
        if actor.is_staff:
            self.add(session, actor, Kind.READ, action, subject, enterprise=enterprise, unit=unit)

    def add(
        self,
        session: AsyncSession,
        actor: Actor | None,
        kind: Kind | str,
        action: str,
        subject: str,
        *,
        enterprise: str | None = None,
        unit: str | None = None,
        detail: Mapping[str, Any] | None = None,
        source: str | None = None,
        at: datetime | None = None,
        system: str = "system",
    ) -> AuditEntryRow:
        """Record one entry in ``session``'s transaction: it commits with the change it records, or
        not at all. Unsealed until the next ``seal``; no lock, no flush (its id is set on flush)."""
        row = AuditEntryRow(
            **self._values(
                actor,
                kind,
                action,
                subject,
                enterprise=enterprise,
                unit=unit,
                detail=detail,
                source=source,
                at=at,
                system=system,
            )
        )
        session.add(row)
        return row

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
        """Record one entry in a transaction of its own and return its id once committed. For callers
        whose change has already committed; prefer ``add`` in the change's own transaction."""
        async with self._ctx.transaction() as session:
            row = self.add(
                session, actor, kind, action, subject, enterprise=enterprise, unit=unit, detail=detail
            )
        return row.id

    def _values(
        self,
        actor: Actor | None,
        kind: Kind | str,
        action: str,
        subject: str,
        *,
        enterprise: str | None,
        unit: str | None,
        detail: Mapping[str, Any] | None,
        source: str | None,
        at: datetime | None,
        system: str,
    ) -> dict[str, Any]:
        return {
            "at": at or self._ctx.clock.now(),
            "kind": str(kind),
            "action": action[:64],
            "actor_sub": (actor.sub if actor else system)[:255],
            "actor_roles": ",".join(sorted(r.value for r in actor.roles)) if actor else "",
            "unit": actor.unit if actor and actor.unit else unit,
            "enterprise_uscc": enterprise,
            "subject": subject[:64],
            "detail": dict(detail or {}),
            "source": source,
        }

    async def seal(self, limit: int = 5000) -> int:
        """Chain up to ``limit`` unsealed entries, oldest id first, in one transaction; returns how
        many. Safe to run from several workers at once: they queue on the chain head."""
        async with self._ctx.transaction() as session:
            return await seal_batch(session, limit)

    async def record_system_step(self, session: AsyncSession, case_id: int, seq: int) -> None:
        """Record the step the system just took (a timer's) in that step's own transaction."""
        await self._record_steps(session, (EVENTS.case_id == case_id) & (EVENTS.seq == seq), 1)

    async def record_timer_steps(self, limit: int = 500) -> int:
        """Catch up: record an entry for each step the system took (a timer's, or a calendar
        re-derivation's) that is not in the trail yet; returns how many it recorded. Timer steps are
        recorded in their own transaction (``record_system_step``), so this finds only re-derivations
        and steps taken before that; the worker runs it once at start. Idempotent and safe to run from
        several workers at once: each entry's ``source`` is unique (``ON CONFLICT DO NOTHING``)."""
        source = literal("event:") + cast(EVENTS.case_id, String) + literal(":") + cast(EVENTS.seq, String)
        async with self._ctx.transaction() as session:
            missing = select(AuditEntryRow.id).where(AuditEntryRow.source == source).exists()
            return await self._record_steps(session, EVENTS.actor_sub.in_(SYSTEM_ACTORS) & ~missing, limit)

    async def _record_steps(self, session: AsyncSession, which: Any, limit: int) -> int:
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
                .where(which)
                .order_by(EVENTS.at, EVENTS.case_id, EVENTS.seq)
                .limit(limit)
            )
        ).all()
        entries = [self._step_entry(step) for step in steps]
        if not entries:
            return 0
        # In the steps' order, so two workers inserting overlapping sets wait on each other's
        # rows in the same order (no deadlock) and the later one skips what the first recorded.
        insert = (pg_insert if self._ctx.engine.dialect.name == "postgresql" else sqlite_insert)(
            AuditEntryRow
        )
        recorded = await session.scalars(
            insert.on_conflict_do_nothing(index_elements=["source"]).returning(AuditEntryRow.id), entries
        )
        return len(recorded.all())

    def _step_entry(self, step: Any) -> dict[str, Any]:
        (
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
        ) = step
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
        return self._values(
            None,
            Kind.CHANGE,
            action,
            subject,
            enterprise=enterprise,
            unit=unit,
            detail={"from": from_state, "to": to_state},
            source=f"event:{case_id}:{seq}",
            at=at,
            system=system,
        )

    # -- verifying -------------------------------------------------------------------------------

    async def verify(self, actor: Actor) -> ChainReport:
        """Walk the sealed entries in chain order checking each position, link and hash, and the
        head; count the entries not sealed yet."""
        if not actor.has(Role.ASSESSOR, Role.ADMIN):
            raise Forbidden(
                "the audit chain is verified by assessors and administrators", code="role_required"
            )
        async with self._ctx.sessions() as session:
            return await verify_chain(session)

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
