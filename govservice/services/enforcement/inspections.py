"""Inspections: the record of one visit by two officers, with its findings, each opening a violation
case on the ``violation`` process in the same unit of work; and the unit's reads of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import FindingRow, InspectionRow, ViolationRow
from govservice.domain.actor import Actor
from govservice.domain.enforcement import RuleSet
from govservice.domain.uscc import uscc_problem
from govservice.errors import BadRequest, Forbidden, NotFound, RuleViolation
from govservice.services.access import ensure_visible, visible_clause
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.cursors import decode_id_cursor, encode_id_cursor
from govservice.services.enforcement.inputs import FindingIn, InspectionIn
from govservice.services.enforcement.rules import EnforcementService
from govservice.services.enforcement.views import (
    FindingView,
    InspectionView,
    MeasurementView,
)
from govservice.services.engine import EngineService
from govservice.services.key_enterprises.restraint import InspectionPlans, Purpose, check_cap, plan_view

_INSPECTION_CURSOR = "in"


class Inspections:
    def __init__(
        self, ctx: ServiceContext, engine: EngineService, rules: EnforcementService, audit: AuditLog
    ) -> None:
        self._ctx = ctx
        self._audit = audit
        self._engine = engine
        self._rules = rules
        self._plans = InspectionPlans(ctx, audit)

    async def inspect(self, actor: Actor, data: InspectionIn) -> InspectionView:
        """One unit of work: the cap check, the inspection, the plan it carries out, its findings, the
        violation case each opens (started on the same session) and the audit entry."""
        problem = uscc_problem(data.uscc)
        if problem:
            raise BadRequest(
                f"USCC {data.uscc!r} {problem}",
                code="validation_failed",
                errors=[{"field": "uscc", "message": problem}],
            )
        officer_a, officer_b = data.officers
        if officer_a == officer_b:
            raise RuleViolation("an inspection needs two distinct officers", code="two_officers_required")
        if actor.sub not in data.officers:
            raise Forbidden(
                "the inspector recording an inspection must be one of its two officers",
                code="not_an_inspecting_officer",
            )
        today = self._engine.today()
        if data.inspected_on > today:
            raise RuleViolation(
                f"inspectedOn {data.inspected_on} is in the future", code="inspection_in_future"
            )
        rules = self._rules.rules
        for i, finding in enumerate(data.findings):
            self._check_finding(rules, i, finding, data.inspected_on)

        async with self._ctx.transaction() as session:
            purpose, reason = await self._restrained(session, actor, data)
            cases = [
                await self._engine.start_case(
                    "violation", subject_kind="violation", actor=actor, session=session
                )
                for _ in data.findings
            ]
            inspection = InspectionRow(
                uscc=data.uscc,
                unit_name=data.unit_name,
                address=data.address,
                inspected_on=data.inspected_on,
                officer_a=officer_a,
                officer_b=officer_b,
                department_unit=actor.unit,
                recorded_by=actor.sub,
                evidence=list(data.evidence),
                purpose=purpose.value,
                reason=reason,
                created_at=self._ctx.clock.now(),
            )
            session.add(inspection)
            await session.flush()
            if data.plan_id is not None:
                await self._plans.execute(session, data.plan_id, data.uscc, inspection.id)
            for case, f in zip(cases, data.findings, strict=True):
                row = FindingRow(
                    inspection_id=inspection.id,
                    uscc=data.uscc,
                    violation_type=f.violation_type,
                    committed_on=f.committed_on or data.inspected_on,
                    found_on=data.inspected_on,
                    harm_level=f.harm_level.value,
                    measurements=[
                        {
                            k: v
                            for k, v in (
                                ("quantity", m.quantity),
                                ("value", str(m.value)),
                                ("floor", m.floor),
                            )
                            if v is not None
                        }
                        for m in f.measurements
                    ],
                    harmful_consequence=f.harmful_consequence,
                    life_or_health_endangered=f.life_or_health_endangered,
                    evidence=list(f.evidence),
                )
                session.add(row)
                await session.flush()
                session.add(
                    ViolationRow(
                        case_id=case.id,
                        finding_id=row.id,
                        inspection_id=inspection.id,
                        uscc=data.uscc,
                        violation_type=f.violation_type,
                        department_unit=actor.unit,
                        created_at=self._ctx.clock.now(),
                    )
                )
            await session.flush()
            view = await self._inspection(session, inspection.id)
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "record_inspection",
                f"inspection:{view.id}",
                enterprise=view.uscc,
                unit=view.department_unit,
                detail={"purpose": view.purpose, "findings": len(view.findings)},
            )
        return view

    async def _restrained(
        self, session: AsyncSession, actor: Actor, data: InspectionIn
    ) -> tuple[Purpose, str | None]:
        """The purpose the inspection records, after the key-enterprise cap is checked. Carrying out
        a plan, it takes the plan's purpose and reason unless it gives its own."""
        purpose, reason = data.purpose, data.reason
        if data.plan_id is not None:
            plan = plan_view(await self._plans.load(session, data.plan_id, actor=actor, lock=True))
            if plan.uscc != data.uscc or plan.status != "planned":
                raise RuleViolation(
                    "the plan is not an open plan for this enterprise",
                    code="plan_not_open",
                    errors=[{"field": "planId", "message": "not open for this enterprise"}],
                )
            if purpose is Purpose.ROUTINE and reason is None:
                purpose, reason = plan.purpose, plan.reason
        await check_cap(
            session,
            self._ctx.package,
            data.uscc,
            data.inspected_on,
            purpose,
            reason,
            exclude_plan=data.plan_id,
        )
        return purpose, reason

    @staticmethod
    def _check_finding(rules: RuleSet, index: int, finding: FindingIn, inspected_on: date) -> None:
        where = f"findings[{index}]"
        vtype = rules.violation_type(finding.violation_type)
        if vtype is None:
            raise RuleViolation(
                f"{where}: {finding.violation_type} is not a listed violation type",
                code="unknown_violation_type",
            )
        if finding.harm_level not in vtype.harm_levels:
            raise RuleViolation(
                f"{where}: {vtype.code} does not take harm level {finding.harm_level}",
                code="harm_level_not_allowed",
            )
        known = {q.code for q in vtype.quantities}
        for m in finding.measurements:
            if not m.value.is_finite() or m.value < 0 or m.value > 1_000_000:
                raise BadRequest(
                    f"{where}: {m.quantity} must be a number from 0 to 1000000",
                    code="validation_failed",
                    errors=[{"field": f"{where}.measurements", "message": "out of range"}],
                )
            if m.quantity not in known:
                raise RuleViolation(
                    f"{where}: {vtype.code} measures {', '.join(sorted(known)) or 'nothing'}, "
                    f"not {m.quantity}",
                    code="unknown_quantity",
                )
        if finding.committed_on is not None and finding.committed_on > inspected_on:
            raise RuleViolation(f"{where}: committedOn is after the inspection", code="invalid_committed_on")

    async def _inspection(
        self, session: AsyncSession, inspection_id: int, actor: Actor | None = None
    ) -> InspectionView:
        """The inspection as ``actor`` may see it (404 for another unit's); ``None``: a view built
        inside a use case that already checked its caller."""
        row = await session.get(InspectionRow, inspection_id)
        missing = NotFound(f"inspection {inspection_id} does not exist", code="inspection_not_found")
        if row is None:
            raise missing
        if actor is not None:
            await ensure_visible(
                session, actor, missing, unit=row.department_unit, uscc=row.uscc, to_enterprise=False
            )
        findings = list(
            await session.scalars(
                select(FindingRow).where(FindingRow.inspection_id == row.id).order_by(FindingRow.id)
            )
        )
        violations = {
            v.finding_id: v.id
            for v in await session.scalars(select(ViolationRow).where(ViolationRow.inspection_id == row.id))
        }
        return _inspection_view(row, findings, violations)

    async def inspection(self, actor: Actor, inspection_id: int) -> InspectionView:
        """Audited (the read is on the enterprise's data-access list): its entry commits with it."""
        async with self._ctx.transaction() as session:
            view = await self._inspection(session, inspection_id, actor)
            self._audit.read(
                session,
                actor,
                "get_inspection",
                f"inspection:{view.id}",
                enterprise=view.uscc,
                unit=view.department_unit,
            )
        return view

    async def inspections(
        self,
        actor: Actor,
        *,
        uscc: str | None,
        from_date: date | None,
        to_date: date | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[InspectionView], str | None]:
        """Newest recorded first; each one listed is a read of its enterprise's records (audited)."""
        query = (
            select(InspectionRow.id)
            .where(
                visible_clause(
                    actor, unit=InspectionRow.department_unit, uscc=InspectionRow.uscc, to_enterprise=False
                )
            )
            .order_by(InspectionRow.id.desc())
        )
        if uscc:
            query = query.where(InspectionRow.uscc == uscc)
        if from_date:
            query = query.where(InspectionRow.inspected_on >= from_date)
        if to_date:
            query = query.where(InspectionRow.inspected_on <= to_date)
        if cursor:
            query = query.where(InspectionRow.id < decode_id_cursor(_INSPECTION_CURSOR, cursor))
        async with self._ctx.transaction() as session:
            ids = list(await session.scalars(query.limit(limit + 1)))
            views = [await self._inspection(session, i) for i in ids[:limit]]
            for v in views:
                self._audit.read(
                    session,
                    actor,
                    "list_inspections",
                    f"inspection:{v.id}",
                    enterprise=v.uscc,
                    unit=v.department_unit,
                )
        return views, encode_id_cursor(_INSPECTION_CURSOR, ids[limit - 1]) if len(ids) > limit else None

    # -- violation cases -------------------------------------------------------------------------


def _inspection_view(
    row: InspectionRow, findings: list[FindingRow], violations: dict[int, int]
) -> InspectionView:
    return InspectionView(
        id=row.id,
        uscc=row.uscc,
        unit_name=row.unit_name,
        address=row.address,
        inspected_on=row.inspected_on,
        officers=[row.officer_a, row.officer_b],
        department_unit=row.department_unit,
        recorded_by=row.recorded_by,
        evidence=list(row.evidence),
        purpose=row.purpose,
        reason=row.reason,
        created_at=row.created_at,
        findings=[
            FindingView(
                id=f.id,
                violation_id=violations.get(f.id),
                violation_type=f.violation_type,
                committed_on=f.committed_on,
                harm_level=f.harm_level,
                measurements=[
                    MeasurementView(quantity=m["quantity"], value=Decimal(m["value"]), floor=m.get("floor"))
                    for m in f.measurements
                ],
                harmful_consequence=f.harmful_consequence,
                life_or_health_endangered=f.life_or_health_endangered,
                evidence=list(f.evidence),
            )
            for f in findings
        ],
    )
