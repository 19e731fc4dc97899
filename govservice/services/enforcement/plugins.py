"""What the violation process names: its facts, guards and external effects.

Handlers run inside the transaction of the step that names them, with the step's session: an
order, an evaluation or a decision is recorded if and only if the step happened. Declared on
:data:`ENFORCEMENT`, the enforcement context's engine extension.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import FindingRow, InspectionRow, ViolationRow
from govservice.domain.enforcement import (
    EvaluationError,
    Finding,
    HarmLevel,
    Measurement,
    PriorFinding,
    evaluate_waiver,
    load_default_rules,
)
from govservice.errors import NotFound, RuleViolation
from govservice.services.engine import CaseView, EffectRun, EngineExtension
from govservice.workflow import CaseFacts, EffectContext, Situation

ENFORCEMENT = EngineExtension("enforcement")

EDUCATION = (
    "首违不罚：当场进行消防安全教育，告知违法行为的危害及法律后果，责令其改正并签署不再违法承诺。 "
    "First offense, not penalised: the person in charge is taught the hazard and the law, and "
    "signs an undertaking not to repeat it."
)


async def violation_for_case(session: AsyncSession, case_id: int) -> ViolationRow:
    row = await session.scalar(select(ViolationRow).where(ViolationRow.case_id == case_id))
    if row is None:
        raise NotFound(f"no violation case for workflow case {case_id}", code="violation_not_found")
    return row


def finding_of(row: FindingRow, violation: ViolationRow) -> Finding:
    return Finding(
        id=str(row.id),
        uscc=row.uscc,
        violation_type=row.violation_type,
        committed_on=row.committed_on,
        found_on=row.found_on,
        harm_level=HarmLevel(row.harm_level),
        measurements=[
            Measurement(quantity=m["quantity"], value=Decimal(m["value"]), floor=m.get("floor"))
            for m in row.measurements
        ],
        harmful_consequence=row.harmful_consequence,
        life_or_health_endangered=row.life_or_health_endangered,
        corrected_on=violation.corrected_on if violation.corrected else None,
        rectification_deadline=violation.correct_by,
    )


# -- facts and guards ---------------------------------------------------------------------------


@ENFORCEMENT.facts_builder("violation")
async def violation_facts(session: AsyncSession, case: CaseView) -> CaseFacts:
    violation = await violation_for_case(session, case.id)
    inspection = await session.get(InspectionRow, violation.inspection_id)
    flags = set()
    if violation.eligible is not None:
        flags.add("waiver_eligible" if violation.eligible else "waiver_not_eligible")
    officers = f"{inspection.officer_a}\n{inspection.officer_b}" if inspection else ""
    return CaseFacts(flags=frozenset(flags), values={"officers": officers})


@ENFORCEMENT.guard("waiver_eligible")
def waiver_eligible(s: Situation) -> str | None:
    """The stored waiver evaluation found every condition met (首违不罚)."""
    return None if s.flag("waiver_eligible") else "the waiver evaluation does not allow a no-penalty decision"


@ENFORCEMENT.guard("waiver_not_eligible")
def waiver_not_eligible(s: Situation) -> str | None:
    """The stored waiver evaluation found a condition not met: a penalty proposal follows."""
    return None if s.flag("waiver_not_eligible") else "the waiver evaluation allows a no-penalty decision"


@ENFORCEMENT.guard("not_an_inspecting_officer")
def not_an_inspecting_officer(s: Situation) -> str | None:
    """The countersigning legal reviewer was not one of the two inspecting officers."""
    officers = set(s.facts.values.get("officers", "").split("\n"))
    if s.actor is not None and s.actor.sub in officers:
        return "a legal reviewer who was an inspecting officer cannot countersign"
    return None


# -- effects ----------------------------------------------------------------------------------


def _no_pure_part(ctx: EffectContext) -> None:
    """Carried out by the enforcement module inside the step's transaction."""


@ENFORCEMENT.effect("serve_violation_order", external=True)
def serve_violation_order(ctx: EffectContext, *, working_days: int, recheck_within: int) -> None:
    """责令限期改正: correct within ``working_days`` (0: on the spot); re-check ``recheck_within``
    working days after that deadline."""


@ENFORCEMENT.effect("record_recheck", external=True)
def record_recheck(ctx: EffectContext, *, corrected: bool) -> None:
    """The re-check (or the on-the-spot correction) records whether the violation was corrected."""


ENFORCEMENT.externals(
    _no_pure_part, "evaluate_finding", "issue_no_penalty_decision", "issue_penalty_decision"
)


@ENFORCEMENT.effect_handler("serve_violation_order")
async def serve_order(run: EffectRun) -> None:
    violation = await violation_for_case(run.session, run.case.id)
    days, within = int(run.params["working_days"]), int(run.params["recheck_within"])
    violation.order_served_on = run.today
    violation.correct_by = run.calendar.add_working_days(run.today, days) if days else run.today
    violation.recheck_due_on = (
        run.calendar.add_working_days(violation.correct_by, within) if within else violation.correct_by
    )


@ENFORCEMENT.effect_handler("record_recheck")
async def recheck(run: EffectRun) -> None:
    violation = await violation_for_case(run.session, run.case.id)
    finding = await run.session.get(FindingRow, violation.finding_id)
    assert finding is not None
    corrected = bool(run.params["corrected"])
    violation.corrected = corrected
    violation.rechecked_by = run.actor.sub if run.actor else None
    if corrected:
        raw = run.payload.get("correctedOn")
        corrected_on = date.fromisoformat(raw) if raw else run.today
        if corrected_on > run.today or corrected_on < finding.found_on:
            raise RuleViolation(
                f"correctedOn {corrected_on} must lie between the inspection ({finding.found_on}) and today "
                f"({run.today})",
                code="invalid_correction_date",
            )
        violation.corrected_on = corrected_on


@ENFORCEMENT.effect_handler("evaluate_finding")
async def evaluate_finding(run: EffectRun) -> None:
    """The pure waiver engine over the finding and the enterprise's findings of that type."""
    violation = await violation_for_case(run.session, run.case.id)
    finding = await run.session.get(FindingRow, violation.finding_id)
    assert finding is not None
    history = [
        PriorFinding(id=str(f.id), uscc=f.uscc, violation_type=f.violation_type, found_on=f.found_on)
        for f in await run.session.scalars(
            select(FindingRow).where(
                FindingRow.uscc == finding.uscc, FindingRow.violation_type == finding.violation_type
            )
        )
    ]
    rules = load_default_rules(run.ctx.settings.workflows_dir)
    try:
        result = evaluate_waiver(finding_of(finding, violation), history, rules, as_of=run.today)
    except EvaluationError as exc:  # the finding contradicts the rules in force
        raise RuleViolation(str(exc), code="finding_not_evaluable") from exc
    violation.evaluation = msgspec.to_builtins(result)
    violation.rule_version = result.rule_version
    violation.eligible = result.eligible
    violation.fine_spared_yuan = result.fine_spared_yuan if result.eligible else None
    violation.fine_yuan = None if result.eligible or result.proposal is None else result.proposal.fine_yuan


@ENFORCEMENT.effect_handler("issue_no_penalty_decision")
async def issue_no_penalty_decision(run: EffectRun) -> None:
    violation = await violation_for_case(run.session, run.case.id)
    violation.decision = "no_penalty"
    violation.decided_on = run.today
    violation.countersigned_by = run.actor.sub if run.actor else None
    violation.education = {
        "recordedOn": run.today.isoformat(),
        "content": EDUCATION,
        "legalBasis": "《中华人民共和国行政处罚法》第三十三条第一款",
    }


@ENFORCEMENT.effect_handler("issue_penalty_decision")
async def issue_penalty_decision(run: EffectRun) -> None:
    violation = await violation_for_case(run.session, run.case.id)
    # past the limitation period no penalty may be given (行政处罚法第三十六条): recorded as such
    time_barred = (violation.evaluation or {}).get("outcome") == "time_barred"
    violation.decision = "time_barred" if time_barred else "penalty"
    violation.decided_on = run.today
    violation.countersigned_by = run.actor.sub if run.actor else None


# -- a failed commitment post-check opens a violation case ----------------------------------------

POST_CHECK_TYPE = "PGP-COMMITMENT-MISMATCH"
ENFORCEMENT.externals(_no_pure_part, "open_violation_case")


@ENFORCEMENT.effect_handler("open_violation_case")
async def open_violation_case(run: EffectRun) -> None:
    """The re-check of a commitment-route permit failed: the post-check is recorded as an
    inspection with one finding of the post-check type, whose violation case starts inside this
    step's transaction (the permit is revoked if and only if the case opens)."""
    from govservice.services.applications import records  # the applications module owns that row

    app = await records.application_for_case(run.session, run.case.id)
    officer = run.actor.sub if run.actor else "system"
    inspection = InspectionRow(
        uscc=app.enterprise_uscc,
        unit_name=app.enterprise_name,
        address="（告知承诺核查）",
        inspected_on=run.today,
        officer_a=officer,
        officer_b=officer,
        department_unit=app.unit,
        recorded_by=officer,
        evidence=[f"application {app.id}: post-check failed twice"],
        purpose="post_check",
        reason=f"commitment-route post-check of application {app.id}",
        created_at=run.now,
    )
    run.session.add(inspection)
    await run.session.flush()
    finding = FindingRow(
        inspection_id=inspection.id,
        uscc=app.enterprise_uscc,
        violation_type=POST_CHECK_TYPE,
        committed_on=run.today,
        found_on=run.today,
        harm_level=HarmLevel.GENERAL.value,
        measurements=[],
        harmful_consequence=False,
        life_or_health_endangered=False,
        evidence=[str(run.payload.get("comment") or "commitment not kept at the re-check")],
    )
    run.session.add(finding)
    await run.session.flush()
    case = await run.engine.start_case(
        "violation", subject_kind="violation", actor=run.actor, session=run.session
    )
    run.session.add(
        ViolationRow(
            case_id=case.id,
            finding_id=finding.id,
            inspection_id=inspection.id,
            uscc=app.enterprise_uscc,
            violation_type=POST_CHECK_TYPE,
            department_unit=app.unit,
            created_at=run.now,
        )
    )
