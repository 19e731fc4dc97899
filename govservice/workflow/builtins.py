"""The guards and effects every process may use: :data:`BUILTINS`, which the composition root
hands the engine with every context's extension.

Guards read a :class:`Situation`; the counters they test are written by effects of the same
process: ``{count: deficiency_notices}`` on the transition that issues the notice makes
``no_prior_notice`` hold exactly once, ``extend_limit`` counts ``extensions``.
"""

from __future__ import annotations

from govservice.workflow.case import Situation
from govservice.workflow.checks import ActionName
from govservice.workflow.engine import EffectContext
from govservice.workflow.registry import Extension

BUILTINS = Extension("builtins")
guard = BUILTINS.guard
effect = BUILTINS.effect

DEFICIENCY_NOTICES = "deficiency_notices"
EXTENSIONS = "extensions"


# -- guards ----------------------------------------------------------------------------------


@guard("key_materials_complete", rule="every key material (主要材料) must be present")
def key_materials_complete(s: Situation) -> str | None:
    """Every key material (主要材料) is present."""
    missing = s.facts.key_materials_missing
    return f"key materials missing: {', '.join(missing)}" if missing else None


@guard("materials_complete", rule="every required material, key and tolerable, must be present")
def materials_complete(s: Situation) -> str | None:
    """Every required material, key and tolerable, is present."""
    missing = (*s.facts.key_materials_missing, *s.facts.tolerable_materials_missing)
    return f"materials missing: {', '.join(missing)}" if missing else None


@guard(
    "tolerance_allowed",
    rule="tolerant acceptance (容缺) needs every key material, and only for the tolerable materials "
    "the matter lists",
)
def tolerance_allowed(s: Situation) -> str | None:
    """容缺: the matter allows tolerant acceptance for what is missing, and no key material is."""
    if s.facts.key_materials_missing:
        return "tolerant acceptance needs every key material present"
    if not s.facts.tolerance_allowed:
        return "this matter does not allow tolerant acceptance of the materials missing"
    return None


@guard("commitment_signed", rule="the applicant must have signed the commitment (承诺书)")
def commitment_signed(s: Situation) -> str | None:
    """The applicant has signed the commitment (承诺书)."""
    return None if s.flag("commitment_signed") else "the applicant has not signed the commitment"


@guard(
    "creditworthy",
    rule="the tolerant and commitment routes are barred by a dishonesty record or a broken commitment "
    "until credit is repaired",
)
def creditworthy(s: Situation) -> str | None:
    """No dishonesty record and no earlier broken commitment (the service must affirm it)."""
    if s.flag("creditworthy"):
        return None
    return "the enterprise has a dishonesty record or a broken commitment, or its credit is unknown"


@guard(
    "no_outstanding_supplements",
    rule="no decision or licence while tolerated materials are still to be supplemented",
)
def no_outstanding_supplements(s: Situation) -> str | None:
    """No tolerated material is still awaited (no decision or licence before they are in)."""
    outstanding = s.facts.outstanding_supplements
    return f"materials still to be supplemented: {', '.join(outstanding)}" if outstanding else None


@guard("no_prior_notice", rule="one deficiency notice lists everything, once (一次性告知)")
def no_prior_notice(s: Situation) -> str | None:
    """No deficiency notice was issued yet: the notice lists everything, once (一次性告知)."""
    issued = s.counter(DEFICIENCY_NOTICES)
    return f"a deficiency notice was already issued ({issued}); only one is allowed" if issued else None


@guard("extension_unused", rule="the decision limit may be extended once (art. 42)")
def extension_unused(s: Situation) -> str | None:
    """The decision limit was not extended before (art. 42 allows one extension)."""
    return "the time limit was already extended once" if s.counter(EXTENSIONS) else None


@guard("route_is", rule="only on the {route} route")
def route_is(s: Situation, *, route: str) -> str | None:
    """The application follows ``route`` (standard, tolerant, commitment)."""
    return None if s.facts.route == route else f"the application is not on the {route} route"


@guard("flag", rule="{name} must be set")
def flag(s: Situation, *, name: str) -> str | None:
    """A flag of the case or of the facts is set."""
    return None if s.flag(name) else f"{name} is not set"


@guard("not_flag", rule="{name} must not be set")
def not_flag(s: Situation, *, name: str) -> str | None:
    return f"{name} is set" if s.flag(name) else None


@guard("counter_below", rule="{counter} must stay below {limit}")
def counter_below(s: Situation, *, counter: str, limit: int) -> str | None:
    value = s.counter(counter)
    return None if value < limit else f"{counter} is {value}, the limit is {limit}"


# -- effects ---------------------------------------------------------------------------------


@effect("start_clock")
def start_clock(ctx: EffectContext, *, working_days: int | None = None) -> None:
    """Start the statutory clock afresh from today (e.g. acceptance dating from complete corrections)."""
    ctx.clock = ctx.clock.start(ctx.today, working_days)
    ctx.notes["clock"] = "started"


@effect("pause_clock")
def pause_clock(ctx: EffectContext) -> None:
    ctx.clock = ctx.clock.pause(ctx.today)
    ctx.notes["clock"] = "paused"


@effect("resume_clock")
def resume_clock(ctx: EffectContext) -> None:
    ctx.clock = ctx.clock.resume(ctx.today)
    ctx.notes["clock"] = "resumed"


@effect("stop_clock")
def stop_clock(ctx: EffectContext) -> None:
    ctx.clock = ctx.clock.stop(ctx.today)
    ctx.notes["clock"] = "stopped"


@effect("extend_limit")
def extend_limit(ctx: EffectContext, *, working_days: int) -> None:
    """Extend the statutory limit (counted in ``extensions``; see ``extension_unused``)."""
    ctx.clock = ctx.clock.extend(working_days)
    ctx.count(EXTENSIONS)
    ctx.notes["extendedBy"] = working_days


@effect("set_flag")
def set_flag(ctx: EffectContext, *, name: str) -> None:
    ctx.flags.add(name)


@effect("clear_flag")
def clear_flag(ctx: EffectContext, *, name: str) -> None:
    ctx.flags.discard(name)


@effect("count")
def count(ctx: EffectContext, *, counter: str) -> None:
    """Add one to a counter of the case (e.g. deficiency_notices)."""
    ctx.count(counter)


@effect("arm_timer")
def arm_timer(
    ctx: EffectContext, *, action: ActionName, working_days: int, key: str, on_clock: bool = False
) -> None:
    """A case-wide timer: after ``working_days`` the system takes ``action`` if the case's state
    then has it (e.g. terminate when tolerated materials were not supplemented in time).

    ``onClock``: the working days are the case clock's, counted from its start with paused time
    left out (art. 45). Cancelled on pausing and armed again on resuming, the timer then falls due
    as many working days later as the pause lasted; while the clock does not run, none is armed."""
    if not on_clock:
        ctx.arm_timer(key, action, working_days)
        return
    due_on = ctx.clock.reaches(ctx.calendar, working_days)
    if due_on is not None:
        ctx.arm_timer_on(key, action, max(due_on, ctx.today))


@effect("cancel_timer")
def cancel_timer(ctx: EffectContext, *, key: str) -> None:
    ctx.cancel_keys.append(key)
