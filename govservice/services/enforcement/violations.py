"""Violation cases: reading them (the unit's, the enterprise's own), their steps (one unit of work
each, the proposal the evaluation allows included), and the waiver and penalty statistics."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import InspectionRow, ViolationRow, WorkflowCaseRow
from govservice.domain.actor import Actor, Role
from govservice.errors import Forbidden, NotFound
from govservice.services.access import ensure_visible, visible_clause
from govservice.services.actions import ActionSubject, ActionUseCase, AuditRecord
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.cursors import decode_id_cursor, encode_id_cursor
from govservice.services.enforcement.views import (
    Statistics,
    StatisticsRow,
    ViolationView,
    stored_education,
    stored_evaluation,
)
from govservice.services.engine import CaseView, EngineService
from govservice.workflow import ActionOption

_VIOLATION_CURSOR = "vc"
# The steps that store the waiver evaluation (to ``evaluated`` in violation.yaml), and the
# proposals that follow them.
EVALUATING = ("correct_on_spot", "recheck_corrected", "recheck_not_corrected")
PROPOSALS = ("propose_no_penalty", "propose_penalty")


async def load_violation(session: AsyncSession, actor: Actor, violation_id: int) -> ViolationRow:
    row = await session.get(ViolationRow, violation_id)
    # another enterprise's or unit's case is not found, not forbidden: its existence is not disclosed
    missing = NotFound(f"violation case {violation_id} does not exist", code="violation_not_found")
    if row is None:
        raise missing
    await ensure_visible(session, actor, missing, unit=row.department_unit, uscc=row.uscc)
    return row


class Violation(NamedTuple):
    """A violation case and its inspection, held for the whole action: the countersign check and
    the process's facts both read the inspection, and a session keeps only the rows still
    referenced (held here, the second read is the identity map's)."""

    row: ViolationRow
    inspection: InspectionRow | None


class ViolationActions(ActionSubject[Violation, ViolationView]):
    """Violation cases are the department's; a decision is countersigned by a legal reviewer who
    did not inspect. A step that stores the waiver evaluation is followed at once by the proposal
    the evaluation allows, by the same officer."""

    def __init__(self, engine: EngineService) -> None:
        self._engine = engine
        self.effects = dict.fromkeys(EVALUATING, self._propose)

    async def load(self, session: AsyncSession, actor: Actor, subject_id: int) -> Violation:
        row = await load_violation(session, actor, subject_id)
        return Violation(row, await session.get(InspectionRow, row.inspection_id))

    def case_id(self, loaded: Violation) -> int:
        return loaded.row.case_id

    async def check(
        self, session: AsyncSession, actor: Actor, loaded: Violation, action: str, payload: Mapping[str, Any]
    ) -> None:
        if not actor.is_staff:
            raise Forbidden("violation cases are handled by the department", code="staff_only")
        if action != "countersign":
            return
        if not actor.has(Role.LEGAL):
            raise Forbidden(
                "a decision is countersigned by a legal reviewer; inspectors cannot countersign",
                code="countersign_needs_legal_reviewer",
            )
        inspection = loaded.inspection
        if inspection is not None and actor.sub in (inspection.officer_a, inspection.officer_b):
            raise Forbidden(
                "a legal reviewer who was one of the inspecting officers cannot countersign",
                code="inspecting_officer_cannot_countersign",
            )

    async def _propose(
        self,
        session: AsyncSession,
        actor: Actor,
        loaded: Violation,
        case: CaseView,
        payload: Mapping[str, Any],
    ) -> CaseView | None:
        options = await self._engine.available(case.id, actor, session)
        proposal = next((o.action for o in options if o.allowed and o.action in PROPOSALS), None)
        if proposal is None:
            return None
        return (await self._engine.fire(case.id, proposal, actor, session=session, payload={})).case

    def audit(
        self, loaded: Violation, action: str, payload: Mapping[str, Any], case: CaseView
    ) -> AuditRecord:
        return AuditRecord(
            Kind.DECISION if action == "countersign" else Kind.CHANGE,
            action,
            f"violation:{loaded.row.id}",
            loaded.row.uscc,
            loaded.row.department_unit,
        )

    async def view(
        self, session: AsyncSession, actor: Actor, loaded: Violation, case: CaseView
    ) -> ViolationView:
        return _violation_view(loaded.row, case)  # the row carries the effects' changes (one identity map)


class ViolationCases:
    def __init__(
        self, ctx: ServiceContext, engine: EngineService, audit: AuditLog, actions: ActionUseCase
    ) -> None:
        self._ctx = ctx
        self._audit = audit
        self._engine = engine
        self._actions = actions
        self._subject = ViolationActions(engine)

    async def violation(self, actor: Actor, violation_id: int) -> ViolationView:
        """Audited (the read is on the enterprise's data-access list): its entry commits with it."""
        async with self._ctx.transaction() as session:
            row = await load_violation(session, actor, violation_id)
            view = _violation_view(row, await self._engine.get_case(row.case_id, session))
            self._audit.read(
                session,
                actor,
                "get_violation",
                f"violation:{row.id}",
                enterprise=row.uscc,
                unit=row.department_unit,
            )
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
        query = query.where(visible_clause(actor, unit=ViolationRow.department_unit, uscc=ViolationRow.uscc))
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
                self._audit.read(
                    session,
                    actor,
                    "list_violations",
                    f"violation:{r.id}",
                    enterprise=r.uscc,
                    unit=r.department_unit,
                )
        return views, encode_id_cursor(_VIOLATION_CURSOR, page[-1].id) if len(rows) > limit else None

    async def actions(self, actor: Actor, violation_id: int) -> list[ActionOption]:
        return await self._actions.options(self._subject, actor, violation_id)

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
        return await self._actions.act(self._subject, actor, violation_id, action, payload, expected_version)

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
        evaluation=stored_evaluation(row.evaluation),
        rule_version=row.rule_version,
        eligible=row.eligible,
        decision=row.decision,
        fine_yuan=row.fine_yuan,
        fine_spared_yuan=row.fine_spared_yuan,
        education=stored_education(row.education),
        decided_on=row.decided_on,
        countersigned_by=row.countersigned_by,
    )
