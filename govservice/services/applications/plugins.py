"""What the application processes name: the facts their guards read, and their external effects.

Declared on :data:`APPLICATIONS`, which the applications context hands the engine (see
``govservice.services.applications.ENGINE_EXTENSION``). Every handler runs inside the transaction of
the step that names it, with the step's session: a notice or licence exists if and only if the
step happened.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import ApplicationRow, EnterpriseRow, LicenceRow
from govservice.domain.catalogue import MatterGuide, Route
from govservice.domain.enterprise import CreditStatus, is_creditworthy
from govservice.domain.licence import LicenceStatus
from govservice.domain.materials import find_material, material_gaps
from govservice.services.applications import records
from govservice.services.assessment import counts
from govservice.services.engine import CaseView, EffectRun, EngineExtension
from govservice.workflow import CaseFacts, EffectContext, Situation

SUPPLEMENT_REVIEW = "supplement_review"  # every tolerated material is in; a clerk has yet to check them
SUPPLEMENT_TIMER = "supplement"

APPLICATIONS = EngineExtension("applications")


# -- facts -------------------------------------------------------------------------------------


@APPLICATIONS.facts_builder("application")
async def application_facts(session: AsyncSession, case: CaseView) -> CaseFacts:
    app = await records.application_for_case(session, case.id)
    guide = await records.guide(session, app)
    present = await records.present_materials(session, app.id)
    route = Route(app.route)
    gaps = material_gaps(guide, route, present)
    enterprise = await session.get(EnterpriseRow, app.enterprise_uscc)
    flags = set()
    if enterprise is not None and is_creditworthy(CreditStatus(enterprise.credit_status)):
        flags.add("creditworthy")
    if app.commitment_signed:
        flags.add("commitment_signed")
    return CaseFacts(
        route=app.route,
        materials_present=frozenset(present),
        key_materials_missing=tuple(m.code for m in gaps.missing_key),
        tolerable_materials_missing=tuple(m.code for m in gaps.missing_tolerable),
        tolerance_allowed=Route.TOLERANT in guide.routes,
        outstanding_supplements=await outstanding_supplements(session, app, present),
        flags=frozenset(flags),
        values={
            "arrivedOn": app.arrived_on.isoformat() if app.arrived_on else "",
            "supplementDays": str(_supplement_days(guide)),
            "inspector": app.inspector_sub or "",
            "inspectionResult": app.inspection_result or "",
        },
    )


async def outstanding_supplements(
    session: AsyncSession, app: ApplicationRow, present: set[str]
) -> tuple[str, ...]:
    if app.supplement_due_on is None:
        return ()
    notice = await records.latest_notice(session, app.id, "tolerant_supplement")
    listed = [item["code"] for item in notice.body.get("materials", [])] if notice else []
    missing = tuple(code for code in listed if code not in present)
    return missing or (SUPPLEMENT_REVIEW,)


def _supplement_days(guide: MatterGuide) -> int:
    limit = guide.tolerant_supplement_limit
    return guide.promised_limit if limit is None else limit


# -- pure parts of effects ---------------------------------------------------------------------


@APPLICATIONS.effect("start_clock_on_arrival")
def start_clock_on_arrival(ctx: EffectContext) -> None:
    """Deemed acceptance (art. 32) dates from the day the application (or its complete
    corrections) arrived, not from the day the review limit ran out."""
    arrived = ctx.facts.values.get("arrivedOn") if ctx.facts else None
    ctx.clock = ctx.clock.start(date.fromisoformat(arrived) if arrived else ctx.today)
    ctx.notes["clock"] = "started on arrival"


@APPLICATIONS.effect("arm_supplement_timer")
def arm_supplement_timer(ctx: EffectContext, *, action: str) -> None:
    """容缺: at the supplement deadline (the matter's, at most its promised limit) the system
    takes ``action`` if tolerated materials are still outstanding."""
    days = int(ctx.facts.values.get("supplementDays", "0")) if ctx.facts else 0
    ctx.arm_timer(SUPPLEMENT_TIMER, action, max(days, 1))


@APPLICATIONS.guard("supplements_outstanding", rule="only while tolerated materials are still awaited")
def supplementsoutstanding_supplements(s: Situation) -> str | None:
    """Tolerated materials are still awaited (the supplement deadline may terminate the case)."""
    return None if s.facts.outstanding_supplements else "every tolerated material has been supplemented"


@APPLICATIONS.guard("supplements_delivered", rule="every tolerated material must be in")
def supplements_delivered(s: Situation) -> str | None:
    """Every tolerated material is in, waiting for the clerk's check."""
    outstanding = s.facts.outstanding_supplements
    if outstanding == (SUPPLEMENT_REVIEW,):
        return None
    if not outstanding:
        return "no supplement is awaited"
    return f"materials still to be supplemented: {', '.join(outstanding)}"


@APPLICATIONS.effect("issue_rectification_order", external=True)
def issue_rectification_order(ctx: EffectContext, *, working_days: int, recheck_within: int) -> None:
    """责令限期改正: correct within ``working_days``; the re-check is due ``recheck_within`` WD after."""


def _no_pure_part(ctx: EffectContext) -> None:
    """Carried out by the application service inside the step's transaction."""


APPLICATIONS.externals(
    _no_pure_part,
    "record_arrival",
    "record_acceptance",
    "issue_deficiency_notice",
    "open_supplement_window",
    "open_supplement_window_if_missing",
    "notify_deemed_acceptance",
    "close_supplement_window",
    "break_commitment",
    "issue_licence",
    "revoke_licence",
    "conclude",
    "notify_refusal",
    "notify_decision",
    "notify_extension",
    "notify_pause",
)


# -- external effects -----------------------------------------------------------------------------


def _payload(run: EffectRun) -> dict[str, Any]:
    return dict(run.payload or {})


async def _app(run: EffectRun) -> ApplicationRow:
    return await records.application_for_case(run.session, run.case.id)


def _issuer(run: EffectRun) -> str:
    return run.actor.sub if run.actor else "system:timer"


@APPLICATIONS.effect_handler("record_arrival")
async def record_arrival(run: EffectRun) -> None:
    """Filing, or complete corrections: acceptance (and deemed acceptance) date from today."""
    app = await _app(run)
    app.arrived_on = records.today(run)


@APPLICATIONS.effect_handler("record_acceptance")
async def record_acceptance(run: EffectRun) -> None:
    app = await _app(run)
    started = run.case.clock.started_on
    app.accepted_on = started or records.today(run)
    counts.add(run.session, counts.ACCEPTED, app.accepted_on, app, route=app.route, n=1)


@APPLICATIONS.effect_handler("issue_deficiency_notice")
async def issue_deficiency_notice(run: EffectRun) -> None:
    """一次性告知: ONE notice listing every missing material and every defect the clerk found."""
    app = await _app(run)
    guide = await records.guide(run.session, app)
    present = await records.present_materials(run.session, app.id)
    gaps = material_gaps(guide, Route(app.route), present)
    defects = _payload(run).get("defects") or []
    for defect in defects:
        if find_material(guide, defect["material"]) is None:
            raise records.unknown_material(defect["material"])
    body = {
        "missing": [records.material_entry(m) for m in gaps.all_missing],
        "defects": defects,
        "comment": _payload(run).get("comment"),
        "legalBasis": "《中华人民共和国行政许可法》第三十二条",
    }
    if not body["missing"] and not defects:
        raise records.nothing_to_notify()
    records.add_notice(run, app, "deficiency", body)


@APPLICATIONS.effect_handler("open_supplement_window")
async def open_supplement_window(run: EffectRun) -> None:
    """容缺受理: the notice names each outstanding material, its form, deadline and consequence."""
    await _open_supplement_window(run, only_if_missing=False)


@APPLICATIONS.effect_handler("open_supplement_window_if_missing")
async def open_supplement_window_if_missing(run: EffectRun) -> None:
    """A deemed acceptance on the tolerant route: tolerable materials still missing get the same
    supplement deadline and notice as a clerk's tolerant acceptance would give them."""
    await _open_supplement_window(run, only_if_missing=True)


@APPLICATIONS.effect_handler("notify_deemed_acceptance")
async def notify_deemed_acceptance(run: EffectRun) -> None:
    """Art. 32: no decision on acceptance within 5 working days, so the application is accepted
    as of the day it arrived; the applicant is told so."""
    app = await _app(run)
    records.add_notice(
        run,
        app,
        "deemed_acceptance",
        {
            "acceptedOn": app.arrived_on.isoformat() if app.arrived_on else None,
            "reason": "逾期未作出是否受理的决定，自收到申请材料之日起即为受理 / no decision on acceptance "
            "within 5 working days: the application is accepted as of the day it arrived",
            "legalBasis": "《中华人民共和国行政许可法》第三十二条",
        },
    )


async def _open_supplement_window(run: EffectRun, *, only_if_missing: bool) -> None:
    app = await _app(run)
    guide = await records.guide(run.session, app)
    present = await records.present_materials(run.session, app.id)
    gaps = material_gaps(guide, Route(app.route), present)
    if only_if_missing and not gaps.missing_tolerable:
        return
    due = records.calendar_of(run).add_working_days(records.today(run), _supplement_days(guide))
    app.supplement_due_on = app.tolerant_due_on = due
    if app.accepted_on is not None:
        counts.add(run.session, counts.ACCEPTED, app.accepted_on, app, route=app.route, tolerant=1)
    records.add_notice(
        run,
        app,
        "tolerant_supplement",
        {
            "materials": [records.material_entry(m) for m in gaps.missing_tolerable],
            "dueOn": due.isoformat(),
            "consequence": "材料逾期未补齐或补正材料不符合要求的，终止办理，并记入承诺失信记录，"
            "信用修复前不得适用容缺受理和告知承诺。 Not supplemented by the deadline, or "
            "supplemented with unacceptable material: the application is terminated and the "
            "enterprise is recorded as having broken a commitment.",
            "legalBasis": "容缺受理承诺书",
        },
        due_on=due,
    )


@APPLICATIONS.effect_handler("issue_rectification_order")
async def rectification_order(run: EffectRun) -> None:
    app = await _app(run)
    await records.record_post_check(run, app)  # the order is served with the failed post-check
    deadline = run.calendar.add_working_days(run.today, int(run.params["working_days"]))
    recheck = run.calendar.add_working_days(deadline, int(run.params["recheck_within"]))
    records.add_notice(
        run,
        app,
        "rectification_order",
        {
            "findings": _payload(run).get("comment"),
            "correctBy": deadline.isoformat(),
            "recheckDueOn": recheck.isoformat(),
            "consequence": "复查仍不符合承诺的，撤销许可并依法立案查处 / "
            "if the re-check fails, the permit is revoked and a penalty case opens",
            "legalBasis": "《中华人民共和国消防法》第五十八条",
        },
        due_on=deadline,
    )


@APPLICATIONS.effect_handler("close_supplement_window")
async def close_supplement_window(run: EffectRun) -> None:
    app = await _app(run)
    app.supplement_due_on = None
    if run.move.outcome is None:  # accepted supplements; rejection or the deadline end the case
        app.supplemented_on = run.today


@APPLICATIONS.effect_handler("break_commitment")
async def break_commitment(run: EffectRun) -> None:
    """A broken commitment bars the tolerant and commitment routes until credit is repaired."""
    app = await _app(run)
    licence = await run.session.scalar(select(LicenceRow.number).where(LicenceRow.application_id == app.id))
    if licence is not None:  # the commitment route: a permit revoked because the commitment was not kept
        reason = (
            f"commitment not kept: licence {licence} of application {app.id} revoked after the failed "
            f"re-check (case {run.case.id})"
        )
    else:
        reason = _payload(run).get("comment") or (
            "tolerated materials not supplemented by the deadline"
            if run.actor is None
            else "supplemented materials not acceptable"
        )
    await records.set_credit(
        run.session,
        app.enterprise_uscc,
        CreditStatus.BROKEN_COMMITMENT,
        reason,
        actor=_issuer(run),
        at=run.now,
        application_id=app.id,
    )


@APPLICATIONS.effect_handler("issue_licence")
async def issue_licence(run: EffectRun) -> None:
    app = await _app(run)
    await records.issue_licence(run, app)


@APPLICATIONS.effect_handler("revoke_licence")
async def revoke_licence(run: EffectRun) -> None:
    app = await _app(run)
    await run.session.execute(
        update(LicenceRow)
        .where(LicenceRow.application_id == app.id)
        .values(
            status=LicenceStatus.REVOKED.value,
            status_changed_at=run.now,
            status_reason=_payload(run).get("comment")
            or "post-check failed twice: the commitment was not kept",
        )
    )
    records.add_notice(
        run, app, "revocation", {"reason": _payload(run).get("comment"), "remedies": records.REMEDIES}
    )


@APPLICATIONS.effect_handler("conclude")
async def conclude(run: EffectRun) -> None:
    """Tag the case zero-visit or one-visit; more visits than the matter promises is a broken promise."""
    app = await _app(run)
    guide = await records.guide(run.session, app)
    app.concluded_at, app.concluded_on = run.now, run.today
    if run.move.outcome in {"approved", "denied", "completed"} and app.decided_on is None:
        await records.record_decision(run, app)
    await records.record_post_check(run, app)
    app.materials_count = len(await records.present_materials(run.session, app.id))
    app.visit_tag = "zero_visit" if app.visits == 0 else "one_visit" if app.visits == 1 else "multi_visit"
    app.promise_broken = app.visits > guide.max_visits
    counts.add(
        run.session,
        counts.CONCLUDED,
        run.today,
        app,
        n=1,
        online=app.channel == "online",
        zero_visit=app.visits == 0,
        at_most_one_visit=app.visits <= 1,
        visits=app.visits,
        materials=app.materials_count,
    )
