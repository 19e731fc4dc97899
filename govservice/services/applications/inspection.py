"""The standard route's on-site inspection (FR-PGP-OPENING, process ``opening_inspection``).

After acceptance the head of unit assigns an inspector of the unit (``assign_inspector``); that
inspector records the result with findings (``record_inspection``); the head of unit decides.
The law's two limits (inspection within 10 WD of acceptance, decision within 3 WD after it) are
case-wide timers armed by the process file; the application keeps their dates so that queues,
the applicant and the on-time figures see them. Declared on :data:`INSPECTION`
(part of the applications context's engine extension).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from govservice.errors import BadRequest
from govservice.services.applications import records
from govservice.services.engine import EffectRun, EngineExtension
from govservice.workflow import EffectContext, Situation

INSPECTION_TIMER = "inspection"  # 10 WD from acceptance (opening_inspection.yaml)
DECISION_TIMER = "decision"  # 3 WD after the inspection
RESULTS = ("pass", "fail")
INSPECTOR_VALUE, RESULT_VALUE = "inspector", "inspectionResult"  # in the case facts' values

INSPECTION = EngineExtension("applications.inspection")


@INSPECTION.guard(
    "assigned_inspector", rule="the on-site inspection is recorded by the inspector the head of unit assigned"
)
def assigned_inspector(s: Situation) -> str | None:
    """The on-site inspection is recorded by the inspector the head of unit assigned to it."""
    assigned = s.facts.values.get(INSPECTOR_VALUE)
    if not assigned:
        return "no inspector is assigned yet: the head of unit assigns one"
    if s.actor is not None and s.actor.sub != assigned:
        return f"the inspection is recorded by the inspector assigned to it ({assigned})"
    return None


@INSPECTION.guard("inspection_passed", rule="a permit only after an on-site inspection that passed")
def inspection_passed(s: Situation) -> str | None:
    """The on-site inspection found the place fit to open (a failed one leads to a denial)."""
    result = s.facts.values.get(RESULT_VALUE)
    if result == "pass":
        return None
    return "the on-site inspection did not pass" if result else "no on-site inspection is recorded"


def _carried_out_here(ctx: EffectContext) -> None:
    """Carried out by the inspection handlers of the application service in the step's transaction."""


INSPECTION.externals(_carried_out_here, "schedule_inspection", "assign_inspector", "record_inspection")


def _timer_due(run: EffectRun, key: str) -> date | None:
    return next((t.due_on for t in run.move.arm if t.key == key), None)


@INSPECTION.effect_handler("schedule_inspection")
async def schedule_inspection(run: EffectRun) -> None:
    """On acceptance (or deemed acceptance): the inspection is due 10 WD later. The application
    shows it (``inspection.dueOn``/``dueAt``) and the timeline lists the timer; named before
    ``record_acceptance`` in the process so both dates are written in one statement."""
    app = await records.application_for_case(run.session, run.case.id)
    app.inspection_due_on = _timer_due(run, INSPECTION_TIMER)


@INSPECTION.effect_handler("assign_inspector")
async def assign_inspector(run: EffectRun) -> None:
    app = await records.application_for_case(run.session, run.case.id)
    app.inspector_sub = str(run.payload["inspector"])


@INSPECTION.effect_handler("record_inspection")
async def record_inspection(run: EffectRun) -> None:
    """The result and findings as the inspector recorded them; the decision is due 3 WD later."""
    app = await records.application_for_case(run.session, run.case.id)
    app.inspected_on = run.today
    app.inspection_result = str(run.payload["result"])
    app.inspection_findings = str(run.payload["findings"])
    app.decision_due_on = _timer_due(run, DECISION_TIMER)
    records.add_notice(
        run,
        app,
        "inspection_result",
        {
            "result": app.inspection_result,
            "findings": app.inspection_findings,
            "inspectedOn": run.today.isoformat(),
            "decideBy": app.decision_due_on.isoformat() if app.decision_due_on else None,
        },
        due_on=app.decision_due_on,
    )


def check_inspection_payload(action: str, payload: Mapping[str, Any]) -> None:
    """The result is pass or fail, and findings are always written down (also on a pass)."""
    if action != "record_inspection":
        return
    if payload.get("result") not in RESULTS:
        raise BadRequest(
            "the inspection result is pass or fail",
            code="validation_failed",
            errors=[{"field": "result", "message": "one of pass, fail"}],
        )
    if not payload.get("findings"):
        raise BadRequest(
            "record_inspection needs the findings of the on-site inspection",
            code="validation_failed",
            errors=[{"field": "findings", "message": "required for record_inspection"}],
        )
