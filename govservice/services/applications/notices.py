"""The notices of a decision, a refusal, an extension and a clock pause, issued in the step's
transaction (declared on :data:`NOTICES`, part of the applications context's engine extension)."""

from __future__ import annotations

from typing import Any

from govservice.db.models import ApplicationRow
from govservice.services.applications import records
from govservice.services.engine import EffectRun, EngineExtension

GRANTED = frozenset({"approved", "granted"})

NOTICES = EngineExtension("applications.notices")


def _payload(run: EffectRun) -> dict[str, Any]:
    return dict(run.payload or {})


async def _app(run: EffectRun) -> ApplicationRow:
    return await records.application_for_case(run.session, run.case.id)


@NOTICES.effect_handler("notify_refusal")
async def notify_refusal(run: EffectRun) -> None:
    app = await _app(run)
    records.add_notice(
        run, app, "refusal", {"reasons": _payload(run).get("reasons"), "remedies": records.REMEDIES}
    )


@NOTICES.effect_handler("notify_decision")
async def notify_decision(run: EffectRun) -> None:
    app = await _app(run)
    await records.record_decision(run, app)
    # a decision that leaves the case open is the commitment route's permit: granted, post-check to come
    outcome = run.move.outcome or "granted"
    body: dict[str, Any] = {"outcome": outcome, "reasons": _payload(run).get("reasons")}
    if outcome not in GRANTED:  # appeal rights are for refusals
        body["remedies"] = records.REMEDIES
    if app.post_check_due_on is not None:
        body["postCheckDueOn"] = app.post_check_due_on.isoformat()
    records.add_notice(run, app, "decision", body)


@NOTICES.effect_handler("notify_extension")
async def notify_extension(run: EffectRun) -> None:
    app = await _app(run)
    due = run.case.clock.due(records.calendar_of(run))
    records.add_notice(
        run,
        app,
        "extension",
        {
            "reason": _payload(run).get("reason"),
            "newDueOn": due.isoformat() if due else None,
            "legalBasis": "《中华人民共和国行政许可法》第四十二条",
        },
        due_on=due,
    )


@NOTICES.effect_handler("notify_pause")
async def notify_pause(run: EffectRun) -> None:
    """Art. 45: the applicant is told when the clock stops and when it restarts."""
    app = await _app(run)
    records.add_notice(
        run,
        app,
        "clock",
        {
            "clock": run.move.notes.get("clock"),
            "action": run.move.action,
            "reason": _payload(run).get("reason"),
        },
    )
