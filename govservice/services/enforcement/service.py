"""The enforcement service: the violation-type catalogue and the waiver list in force."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import FindingRow, InspectionRow, ViolationRow, WorkflowCaseRow
from govservice.domain.actor import Actor, Role
from govservice.domain.enforcement import RuleSet, ViolationCatalogue, WaiverList, load_default_rules
from govservice.domain.uscc import uscc_problem
from govservice.errors import BadRequest, Forbidden, NotFound, RuleViolation
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.cursors import decode_id_cursor, encode_id_cursor
from govservice.services.enforcement import plugins as _plugins  # noqa: F401  (registers the process's names)
from govservice.services.enforcement.inputs import FindingIn, InspectionIn
from govservice.services.enforcement.views import (
    FindingView,
    InspectionView,
    MeasurementView,
    Statistics,
    StatisticsRow,
    ViolationView,
)
from govservice.services.engine import CaseView, EngineService
from govservice.services.key_enterprises.restraint import InspectionPlans, Purpose, check_cap, plan_view
from govservice.workflow import ActionOption


class WaiverRules(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    """What the department publishes: the rule version every evaluation records, the waiver list
    (thresholds, look-back window, limitation periods) and the violation-type catalogue."""

    version: str
    waiver_list: WaiverList
    violation_types: ViolationCatalogue


class EnforcementService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._rules: RuleSet | None = None

    @property
    def rules(self) -> RuleSet:
        # Loaded on first use: a broken rules file fails the request that needs it (RulesError
        # names file and entry), not the whole app's start-up.
        if self._rules is None:
            self._rules = load_default_rules(self._ctx.settings.workflows_dir)
        return self._rules

    def waiver_rules(self) -> WaiverRules:
        rules = self.rules
        return WaiverRules(
            version=rules.version, waiver_list=rules.waiver_list, violation_types=rules.catalogue
        )


_VIOLATION_CURSOR, _INSPECTION_CURSOR = "vc", "in"


class EnforcementCases:
    """Inspections, and the violation case each finding opens on the ``violation`` process."""

    def __init__(
        self,
        ctx: ServiceContext,
        engine: EngineService,
        rules: EnforcementService,
        audit: AuditLog | None = None,
    ) -> None:
        self._ctx = ctx
        self._audit = audit
        self._engine = engine
        self._rules = rules
        self._plans = InspectionPlans(ctx)
        _plugins.attach_engine(ctx, engine)

    # -- inspections ---------------------------------------------------------------------------

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
            purpose, reason = await self._restrained(session, data)
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
            if self._audit is not None:
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

    async def _restrained(self, session: AsyncSession, data: InspectionIn) -> tuple[Purpose, str | None]:
        """The purpose the inspection records, after the key-enterprise cap is checked. Carrying out
        a plan, it takes the plan's purpose and reason unless it gives its own."""
        purpose, reason = data.purpose, data.reason
        if data.plan_id is not None:
            plan = plan_view(await self._plans.load(session, data.plan_id, lock=True))
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

    async def _inspection(self, session: AsyncSession, inspection_id: int) -> InspectionView:
        row = await session.get(InspectionRow, inspection_id)
        if row is None:
            raise NotFound(f"inspection {inspection_id} does not exist", code="inspection_not_found")
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
            view = await self._inspection(session, inspection_id)
            self._read(
                session, actor, "get_inspection", f"inspection:{view.id}", view.uscc, view.department_unit
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
        query = select(InspectionRow.id).order_by(InspectionRow.id.desc())
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
                self._read(
                    session, actor, "list_inspections", f"inspection:{v.id}", v.uscc, v.department_unit
                )
        return views, encode_id_cursor(_INSPECTION_CURSOR, ids[limit - 1]) if len(ids) > limit else None

    # -- violation cases -------------------------------------------------------------------------

    async def _load(self, session: AsyncSession, actor: Actor, violation_id: int) -> ViolationRow:
        row = await session.get(ViolationRow, violation_id)
        # another enterprise's case is not found, not forbidden: its existence is not disclosed
        if row is None or (not actor.is_staff and actor.ent != row.uscc):
            raise NotFound(f"violation case {violation_id} does not exist", code="violation_not_found")
        return row

    def _read(
        self, session: AsyncSession, actor: Actor, action: str, subject: str, uscc: str, unit: str | None
    ) -> None:
        """A read of an enterprise's enforcement records, for its data-access list (in ``session``)."""
        if self._audit is not None:
            self._audit.add(session, actor, Kind.READ, action, subject, enterprise=uscc, unit=unit)

    async def violation(self, actor: Actor, violation_id: int) -> ViolationView:
        """Audited (the read is on the enterprise's data-access list): its entry commits with it."""
        async with self._ctx.transaction() as session:
            row = await self._load(session, actor, violation_id)
            view = _violation_view(row, await self._engine.get_case(row.case_id, session))
            self._read(session, actor, "get_violation", f"violation:{row.id}", row.uscc, row.department_unit)
        return view

    async def violations(
        self, actor: Actor, *, uscc: str | None, state: str | None, limit: int, cursor: str | None
    ) -> tuple[list[ViolationView], str | None]:
        """Newest first; the state filter is the case's state. Each one listed is audited as a read."""
        query = (
            select(ViolationRow)
            .join(WorkflowCaseRow, WorkflowCaseRow.id == ViolationRow.case_id)
            .order_by(ViolationRow.id.desc())
        )
        if not actor.is_staff:
            query = query.where(ViolationRow.uscc == (actor.ent or ""))
        if uscc:
            query = query.where(ViolationRow.uscc == uscc)
        if state:
            query = query.where(WorkflowCaseRow.state == state)
        if cursor:
            query = query.where(ViolationRow.id < decode_id_cursor(_VIOLATION_CURSOR, cursor))
        async with self._ctx.transaction() as session:
            rows = list(await session.scalars(query.limit(limit + 1)))
            page = rows[:limit]
            cases = await self._engine.get_cases([r.case_id for r in page], session) if page else {}
            views = [_violation_view(r, cases[r.case_id]) for r in page]
            for r in page:
                self._read(session, actor, "list_violations", f"violation:{r.id}", r.uscc, r.department_unit)
        return views, encode_id_cursor(_VIOLATION_CURSOR, page[-1].id) if len(rows) > limit else None

    async def actions(self, actor: Actor, violation_id: int) -> list[ActionOption]:
        async with self._ctx.sessions() as session:
            row = await self._load(session, actor, violation_id)
            return await self._engine.available(row.case_id, actor, session)

    async def act(
        self,
        actor: Actor,
        violation_id: int,
        action: str,
        *,
        payload: dict[str, Any],
        expected_version: int | None = None,
    ) -> ViolationView:
        """One unit of work: the step, the proposal its evaluation allows (same officer, same
        transaction), the view and the audit entry. Either all of it commits or none of it."""
        async with self._ctx.transaction() as session:
            row = await self._load(session, actor, violation_id)
            inspection = await session.get(InspectionRow, row.inspection_id)
            if not actor.is_staff:
                raise Forbidden("violation cases are handled by the department", code="staff_only")
            if action == "countersign":
                if not actor.has(Role.LEGAL):
                    raise Forbidden(
                        "a decision is countersigned by a legal reviewer; inspectors cannot countersign",
                        code="countersign_needs_legal_reviewer",
                    )
                if inspection is not None and actor.sub in (inspection.officer_a, inspection.officer_b):
                    raise Forbidden(
                        "a legal reviewer who was one of the inspecting officers cannot countersign",
                        code="inspecting_officer_cannot_countersign",
                    )
            fired = await self._engine.fire(
                row.case_id,
                action,
                actor,
                session=session,
                expected_version=expected_version,
                payload=payload,
            )
            if fired.case.state == "evaluated":
                # The evaluation decides which proposal is possible: make it at once, as the same officer.
                options = await self._engine.available(row.case_id, actor, session)
                proposal = next(
                    (
                        o.action
                        for o in options
                        if o.allowed and o.action in ("propose_no_penalty", "propose_penalty")
                    ),
                    None,
                )
                if proposal is not None:
                    fired = await self._engine.fire(row.case_id, proposal, actor, session=session, payload={})
            view = _violation_view(row, fired.case)  # ``row`` carries the effects' changes (one identity map)
            if self._audit is not None:
                self._audit.add(
                    session,
                    actor,
                    Kind.DECISION if action == "countersign" else Kind.CHANGE,
                    action,
                    f"violation:{view.id}",
                    enterprise=view.uscc,
                    unit=row.department_unit,
                )
        return view

    async def statistics(
        self, *, from_date: date | None, to_date: date | None, unit: str | None
    ) -> Statistics:
        query = select(ViolationRow).where(ViolationRow.decision.is_not(None))
        if from_date:
            query = query.where(ViolationRow.decided_on >= from_date)
        if to_date:
            query = query.where(ViolationRow.decided_on <= to_date)
        if unit:
            query = query.where(ViolationRow.department_unit == unit)
        async with self._ctx.sessions() as session:
            rows = list(await session.scalars(query))
        groups: dict[tuple[str, str | None], list[ViolationRow]] = {}
        for r in rows:
            assert r.decided_on is not None
            groups.setdefault((r.decided_on.strftime("%Y-%m"), r.department_unit), []).append(r)
        total = _tally(rows)
        return Statistics(
            from_date=from_date,
            to_date=to_date,
            unit=unit,
            **total,
            rows=[
                StatisticsRow(period=p, unit=u, **_tally(g))
                for (p, u), g in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
            ],
        )


def _tally(rows: list[ViolationRow]) -> dict[str, int]:
    waived = [r for r in rows if r.decision == "no_penalty"]
    penalised = [r for r in rows if r.decision == "penalty"]
    return {
        "waivers": len(waived),
        "enterprises_spared": len({r.uscc for r in waived}),
        "fines_spared_yuan": sum(r.fine_spared_yuan or 0 for r in waived),
        "penalties": len(penalised),
        "penalties_yuan": sum(r.fine_yuan or 0 for r in penalised),
    }


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


def _violation_view(row: ViolationRow, case: CaseView) -> ViolationView:
    return ViolationView(
        id=row.id,
        inspection_id=row.inspection_id,
        finding_id=row.finding_id,
        uscc=row.uscc,
        violation_type=row.violation_type,
        state=case.state,
        outcome=case.outcome,
        version=case.version,
        order_served_on=row.order_served_on,
        correct_by=row.correct_by,
        recheck_due_on=row.recheck_due_on,
        corrected=row.corrected,
        corrected_on=row.corrected_on,
        evaluation=row.evaluation,
        rule_version=row.rule_version,
        eligible=row.eligible,
        decision=row.decision,
        fine_yuan=row.fine_yuan,
        fine_spared_yuan=row.fine_spared_yuan,
        education=row.education,
        decided_on=row.decided_on,
        countersigned_by=row.countersigned_by,
    )
