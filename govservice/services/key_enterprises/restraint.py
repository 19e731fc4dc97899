"""Restrained inspection of key enterprises ("neither disturb nor be absent").

Routine on-site inspections of an enrolled key enterprise are capped per calendar year (the
package's ``inspection.annualRoutineCap``): recorded routine inspections plus routine plans still
open count against it. Beyond the cap an inspection is refused unless it names a purpose the
package lets override the cap (default: complaint, fire risk, post-check) with a reason. Plans
for the same enterprise within ``mergeWindowDays`` of each other are offered to be merged, and the
enterprise sees what is planned for it (advance notice).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import InspectionPlanRow, InspectionRow
from govservice.domain.actor import Actor, Role
from govservice.domain.packages import ServicePackage
from govservice.domain.uscc import uscc_problem
from govservice.errors import BadRequest, Conflict, NotFound, RuleViolation
from govservice.services.access import ensure_visible, visible_clause
from govservice.services.audit import AuditLog
from govservice.services.context import ServiceContext
from govservice.services.key_enterprises.registry import active_enrolment

ROUTINE = "routine"


class Purpose(enum.StrEnum):
    ROUTINE = "routine"
    COMPLAINT = "complaint"
    FIRE_RISK = "fire_risk"
    POST_CHECK = "post_check"


class CapStatus(msgspec.Struct, kw_only=True, rename="camel"):
    """The key enterprise's routine inspections this year against the package's cap."""

    year: int
    cap: int
    counted: int  # routine inspections recorded plus routine plans still open, this one included
    override_reasons: list[str]


class PlanView(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    uscc: str
    planned_on: date
    purpose: Purpose
    reason: str | None
    scope: str
    status: str  # planned | merged | cancelled | done
    merged_into: int | None
    inspection_id: int | None
    planned_by: str
    created_at: datetime


class PlanResult(msgspec.Struct, kw_only=True, rename="camel"):
    plan: PlanView
    merge_offers: list[PlanView]  # open plans for the same enterprise close enough to merge with
    cap: CapStatus | None  # None: not an enrolled key enterprise, no cap


def plan_view(row: InspectionPlanRow) -> PlanView:
    return PlanView(
        id=row.id,
        uscc=row.uscc,
        planned_on=row.planned_on,
        purpose=Purpose(row.purpose),
        reason=row.reason,
        scope=row.scope,
        status=row.status,
        merged_into=row.merged_into,
        inspection_id=row.inspection_id,
        planned_by=row.planned_by,
        created_at=row.created_at,
    )


async def _routine_count(session: AsyncSession, uscc: str, year: int, exclude_plan: int | None) -> int:
    lo, hi = date(year, 1, 1), date(year, 12, 31)
    done = await session.scalar(
        select(func.count())
        .select_from(InspectionRow)
        .where(
            InspectionRow.uscc == uscc,
            InspectionRow.purpose == ROUTINE,
            InspectionRow.inspected_on >= lo,
            InspectionRow.inspected_on <= hi,
        )
    )
    plans = (
        select(func.count())
        .select_from(InspectionPlanRow)
        .where(
            InspectionPlanRow.uscc == uscc,
            InspectionPlanRow.purpose == ROUTINE,
            InspectionPlanRow.status == "planned",
            InspectionPlanRow.planned_on >= lo,
            InspectionPlanRow.planned_on <= hi,
        )
    )
    if exclude_plan is not None:
        plans = plans.where(InspectionPlanRow.id != exclude_plan)
    return int(done or 0) + int(await session.scalar(plans) or 0)


async def check_cap(
    session: AsyncSession,
    package: ServicePackage | None,
    uscc: str,
    day: date,
    purpose: Purpose,
    reason: str | None,
    *,
    exclude_plan: int | None = None,
    field: str = "purpose",
) -> CapStatus | None:
    """The cap status if ``uscc`` is an enrolled key enterprise on ``day``; raises 422
    ``inspection_cap_reached`` for a routine inspection beyond the cap, or for one whose purpose
    the package does not accept as an override."""
    if purpose is not Purpose.ROUTINE and not (reason and reason.strip()):
        raise RuleViolation(
            f"an inspection for {purpose.value.replace('_', ' ')} records its reason",
            code="reason_required",
            errors=[{"field": "reason", "message": "required"}],
        )
    if package is None or await active_enrolment(session, uscc, day) is None:
        return None
    restraint = package.inspection
    counted = await _routine_count(session, uscc, day.year, exclude_plan)
    status = CapStatus(
        year=day.year,
        cap=restraint.annual_routine_cap,
        counted=counted,
        override_reasons=list(restraint.override_reasons),
    )
    over = counted >= restraint.annual_routine_cap
    if over and purpose.value not in restraint.override_reasons:
        allowed = ", ".join(restraint.override_reasons) or "none"
        raise RuleViolation(
            f"{uscc} is a key enterprise: {counted} routine on-site inspection(s) in {day.year} "
            f"already reach the "
            f"annual cap of {restraint.annual_routine_cap}; another needs a purpose that overrides the cap "
            f"({allowed}) with its reason, or merge it into a planned one",
            code="inspection_cap_reached",
            errors=[{"field": field, "message": f"over the cap; allowed: {allowed}"}],
        )
    status.counted = counted + (purpose is Purpose.ROUTINE)
    return status


class InspectionPlans:
    def __init__(self, ctx: ServiceContext, audit: AuditLog | None = None) -> None:
        self._ctx = ctx
        self._audit = audit

    def _read(self, session: AsyncSession, actor: Actor, action: str, rows: list[InspectionPlanRow]) -> None:
        if self._audit is not None:
            for row in rows:
                self._audit.read(session, actor, action, f"plan:{row.id}", enterprise=row.uscc, unit=row.unit)

    async def _offers(self, session: AsyncSession, row: InspectionPlanRow) -> list[PlanView]:
        assert self._ctx.package is not None
        window = timedelta(days=self._ctx.package.inspection.merge_window_days)
        rows = await session.scalars(
            select(InspectionPlanRow)
            .where(
                InspectionPlanRow.uscc == row.uscc,
                InspectionPlanRow.unit == row.unit,  # a unit merges its own plans, never another's
                InspectionPlanRow.status == "planned",
                InspectionPlanRow.id != row.id,
                InspectionPlanRow.planned_on >= row.planned_on - window,
                InspectionPlanRow.planned_on <= row.planned_on + window,
            )
            .order_by(InspectionPlanRow.planned_on, InspectionPlanRow.id)
        )
        return [plan_view(r) for r in rows]

    async def plan(
        self,
        actor: Actor,
        *,
        uscc: str,
        planned_on: date,
        purpose: Purpose,
        reason: str | None,
        scope: str,
        today: date,
    ) -> PlanResult:
        problem = uscc_problem(uscc)
        if problem:
            raise RuleViolation(
                f"USCC {uscc!r} {problem}",
                code="invalid_uscc",
                errors=[{"field": "uscc", "message": problem}],
            )
        if planned_on < today:
            raise RuleViolation(
                "an inspection is planned for today or later",
                code="date_in_past",
                errors=[{"field": "plannedOn", "message": "before today"}],
            )
        async with self._ctx.transaction() as session:
            cap = await check_cap(session, self._ctx.package, uscc, planned_on, purpose, reason)
            row = InspectionPlanRow(
                uscc=uscc,
                planned_on=planned_on,
                purpose=purpose.value,
                reason=reason,
                scope=scope,
                unit=actor.unit,
                status="planned",
                planned_by=actor.sub,
                created_at=self._ctx.clock.now(),
            )
            session.add(row)
            await session.flush()
            return PlanResult(plan=plan_view(row), merge_offers=await self._offers(session, row), cap=cap)

    async def load(
        self, session: AsyncSession, plan_id: int, *, actor: Actor | None = None, lock: bool = False
    ) -> InspectionPlanRow:
        """The plan, if ``actor`` may see it (another unit's is absent); ``None``: inside a use case
        that checked its caller already."""
        row = await session.get(InspectionPlanRow, plan_id, with_for_update=lock)
        missing = NotFound(f"inspection plan {plan_id} does not exist", code="plan_not_found")
        if row is None:
            raise missing
        if actor is not None:
            await ensure_visible(session, actor, missing, unit=row.unit, uscc=row.uscc, to_enterprise=False)
        return row

    async def get(self, actor: Actor, plan_id: int) -> PlanResult:
        """The plan and its merge offers."""
        async with self._ctx.transaction() as session:
            row = await self.load(session, plan_id, actor=actor)
            offers = await self._offers(session, row) if row.status == "planned" else []
            self._read(session, actor, "get_plan", [row])
            return PlanResult(plan=plan_view(row), merge_offers=offers, cap=None)

    async def merge(self, actor: Actor, plan_id: int, into: int) -> PlanResult:
        """Fold plan ``plan_id`` into plan ``into``: one visit covers both scopes."""
        if plan_id == into:
            raise BadRequest(
                "a plan cannot be merged into itself",
                code="validation_failed",
                errors=[{"field": "into", "message": "the same plan"}],
            )
        async with self._ctx.transaction() as session:
            row = await self.load(session, plan_id, actor=actor, lock=True)
            target = await self.load(session, into, actor=actor, lock=True)
            if row.status != "planned" or target.status != "planned":
                raise Conflict("only plans still open can be merged", code="plan_not_open")
            offers = {p.id for p in await self._offers(session, row)}
            if target.id not in offers:
                raise RuleViolation(
                    "plans merge only for the same enterprise within the merge window",
                    code="not_mergeable",
                    errors=[{"field": "into", "message": "not offered"}],
                )
            row.status, row.merged_into = "merged", target.id
            target.scope = f"{target.scope}\n+ (plan {row.id}) {row.scope}"[:2000]
            if row.purpose != ROUTINE and target.purpose == ROUTINE:
                target.purpose, target.reason = row.purpose, row.reason  # the visit keeps its override
            await session.flush()
            return PlanResult(
                plan=plan_view(target), merge_offers=await self._offers(session, target), cap=None
            )

    async def cancel(self, actor: Actor, plan_id: int) -> PlanView:
        async with self._ctx.transaction() as session:
            row = await self.load(session, plan_id, actor=actor, lock=True)
            if row.status != "planned":
                raise Conflict("only plans still open can be cancelled", code="plan_not_open")
            row.status = "cancelled"
            await session.flush()
            return plan_view(row)

    async def for_enterprise(self, actor: Actor, uscc: str, *, limit: int) -> list[PlanView]:
        """Advance notice: what is planned for the enterprise (its own users, or staff)."""
        if actor.has(Role.APPLICANT) and actor.ent != uscc and not actor.is_staff:
            raise NotFound(f"{uscc} is not an enterprise you can see", code="enterprise_not_found")
        async with self._ctx.transaction() as session:
            rows = list(
                await session.scalars(
                    select(InspectionPlanRow)
                    .where(
                        InspectionPlanRow.uscc == uscc,
                        visible_clause(actor, unit=InspectionPlanRow.unit, uscc=InspectionPlanRow.uscc),
                    )
                    .order_by(InspectionPlanRow.planned_on.desc(), InspectionPlanRow.id)
                    .limit(limit)
                )
            )
            self._read(session, actor, "list_plans", rows)
            return [plan_view(r) for r in rows]

    async def execute(self, session: AsyncSession, plan_id: int, uscc: str, inspection_id: int) -> None:
        """The inspection carried out this plan (inside the inspection's transaction)."""
        row = await self.load(session, plan_id, lock=True)
        if row.uscc != uscc or row.status != "planned":
            raise RuleViolation(
                "the plan is not an open plan for this enterprise",
                code="plan_not_open",
                errors=[{"field": "planId", "message": "not open for this enterprise"}],
            )
        row.status, row.inspection_id = "done", inspection_id
