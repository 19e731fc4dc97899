"""The engine core, pure: which actions an actor may take now, and what taking one does.

No I/O: the service loads the case, calls :func:`decide`, persists the :class:`Move` it
returns (state, version, event, timers) and runs the external effects, all in one transaction.

    options = available(process, case, actor, facts, today=today)   # every action of the state, with reasons
    move = decide(process, case, "approve", actor, facts=facts, today=today, calendar=calendar)

Order of a move: leave the source (its deadline timers end, countersign approvals reset), enter
the target (its ``clock`` mode applies), run the transition's pure effects, stop the clock and
end every timer on a terminal state, arm the target's deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import msgspec

from govservice.domain.actor import Actor
from govservice.domain.calendar import CaseClock, WorkingCalendar
from govservice.workflow.case import NO_FACTS, Approval, CaseData, CaseFacts, CaseState, Situation, Step
from govservice.workflow.definition import ClockMode, Deadline
from govservice.workflow.errors import ActionBlocked, ActionForbidden, ActionNotAvailable, ActionUnknown
from govservice.workflow.process import Process, Transition
from govservice.workflow.registry import Call


class TimerSpec(msgspec.Struct, frozen=True):
    """A timer to arm: take ``action`` once ``due_on`` has passed, or, with ``hours``, that many
    hours after the step (the runtime knows the time of day; this module knows only dates).
    ``state`` None: case-wide."""

    key: str
    action: str
    due_on: date
    state: str | None
    hours: int | None = None


def _deadline_timer(
    state_name: str, deadline: Deadline, today: date, calendar: WorkingCalendar, hours: int | None = None
) -> TimerSpec:
    assert deadline.fire is not None
    key = f"deadline:{state_name}"
    if deadline.hours is not None:
        return TimerSpec(key, deadline.fire, today, state_name, hours=hours or deadline.hours)
    assert deadline.working_days is not None
    return TimerSpec(key, deadline.fire, calendar.add_working_days(today, deadline.working_days), state_name)


class ActionOption(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One action of the case's current state, as seen by one actor."""

    action: str
    to: str
    allowed: bool
    reasons: tuple[str, ...] = ()  # why not, one per rule; empty when allowed
    roles: tuple[str, ...] = ()
    automatic: bool = False  # only the system takes it (a deadline)
    approvals_given: int | None = None  # countersign progress
    approvals_needed: int | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """What a transition does. The service persists exactly this."""

    action: str
    source: str
    target: str
    case: CaseState  # after the move; version + 1
    moved: bool  # False: a countersign approval was recorded and the state stays
    external_effects: tuple[Call, ...] = ()
    arm: tuple[TimerSpec, ...] = ()
    cancel_state_timers: str | None = None  # the source state's deadline timers end
    cancel_keys: tuple[str, ...] = ()
    cancel_all_timers: bool = False  # a terminal state ends every timer
    outcome: str | None = None
    approvals: tuple[int, int] | None = None  # (given, needed) after this step
    notes: Mapping[str, Any] = field(default_factory=dict)


class EffectContext:
    """The draft of a move, handed to pure effects to change."""

    def __init__(
        self,
        process: Process,
        case: CaseState,
        transition: Transition,
        clock: CaseClock,
        calendar: WorkingCalendar,
        today: date,
        facts: CaseFacts = NO_FACTS,
    ) -> None:
        self.process = process
        self.facts = facts  # read-only: what the owning service knew when the step was decided
        self.transition = transition
        self.calendar = calendar
        self.today = today
        self.clock = clock
        self.flags = set(case.data.flags)
        self.counters = dict(case.data.counters)
        self.arm: list[TimerSpec] = []
        self.cancel_keys: list[str] = []
        self.notes: dict[str, Any] = {}

    def count(self, counter: str, by: int = 1) -> None:
        self.counters[counter] = self.counters.get(counter, 0) + by

    def arm_timer(self, key: str, action: str, working_days: int, state: str | None = None) -> None:
        self.arm_timer_on(key, action, self.calendar.add_working_days(self.today, working_days), state)

    def arm_timer_on(self, key: str, action: str, due_on: date, state: str | None = None) -> None:
        self.arm.append(TimerSpec(key, action, due_on, state))


def _forbidden(transition: Transition, case: CaseState, actor: Actor | None, by_timer: bool) -> list[str]:
    if by_timer:
        return []
    if not transition.roles:
        return [f"only the system takes {transition.action} (when a deadline passes)"]
    assert actor is not None
    reasons: list[str] = []
    if not actor.roles & transition.roles:  # Role is a StrEnum: compares equal to its value
        reasons.append(f"{transition.action} needs role {' or '.join(sorted(transition.roles))}")
    if transition.countersign is not None:
        if any(a.sub == actor.sub for a in case.data.approvals):
            reasons.append(f"you have already approved {transition.action} of this case")
        else:
            earlier = [s.action for s in case.data.steps if s.sub == actor.sub]
            if earlier:
                reasons.append(
                    f"{transition.action} needs a person who took no earlier step of this case "
                    f"(you took: {', '.join(dict.fromkeys(earlier))})"
                )
    return reasons


def _blocked(transition: Transition, situation: Situation) -> list[str]:
    reasons: list[str] = []
    for call, entry in transition.guards:
        reason = entry.fn(situation, **call.params)
        if reason is not None:
            reasons.append(f"{reason} (rule: {entry.rule_text(call.params)})")
    return reasons


def available(
    process: Process, case: CaseState, actor: Actor, facts: CaseFacts = NO_FACTS, *, today: date
) -> list[ActionOption]:
    """Every action of the case's current state, allowed or not; for those not allowed, why."""
    situation = Situation(case, facts, actor, today)
    options: list[ActionOption] = []
    for transition in process.transitions_from(case.state):
        reasons = _forbidden(transition, case, actor, False) + _blocked(transition, situation)
        countersign = transition.countersign
        options.append(
            ActionOption(
                action=transition.action,
                to=transition.target,
                allowed=not reasons,
                reasons=tuple(reasons),
                roles=tuple(sorted(transition.roles)),
                automatic=not transition.roles,
                approvals_given=len(case.data.approvals) if countersign else None,
                approvals_needed=countersign.approvals if countersign else None,
            )
        )
    return options


def start(
    process: Process,
    *,
    today: date,
    calendar: WorkingCalendar,
    limit: int = 0,
    deadline_hours: int | None = None,
) -> Move:
    """A new case in the start state (version 1), with its clock and deadline as that state says.
    ``deadline_hours`` sets the length of a start state's deadline counted in hours (e.g. the
    response time a service package promises); the process's figure is the default."""
    state = process.states[process.start]
    clock = CaseClock(limit=limit)
    if state.clock is ClockMode.RUNNING:
        clock = clock.start(today)
    arm: tuple[TimerSpec, ...] = ()
    if state.deadline is not None and state.deadline.fire is not None:
        arm = (_deadline_timer(process.start, state.deadline, today, calendar, deadline_hours),)
    case = CaseState(state=process.start, version=1, clock=clock)
    return Move(action="start", source="", target=process.start, case=case, moved=True, arm=arm)


def decide(
    process: Process,
    case: CaseState,
    action: str,
    actor: Actor | None,
    *,
    facts: CaseFacts = NO_FACTS,
    today: date,
    calendar: WorkingCalendar,
    by_timer: bool = False,
) -> Move:
    """The move ``actor`` makes by taking ``action`` now, or the error saying why it may not.

    ``by_timer``: a deadline fires it; roles and countersign do not apply, guards do.
    """
    transition = process.transition(case.state, action)
    if transition is None:
        if action not in process.actions:
            raise ActionUnknown(f"process {process.id} has no action {action!r}")
        raise ActionNotAvailable(f"{action} is not an action of state {case.state}", state=case.state)
    if not by_timer and actor is None:
        raise ValueError("a person's move needs an actor")
    forbidden = _forbidden(transition, case, actor, by_timer)
    if forbidden:
        raise ActionForbidden("; ".join(forbidden), reasons=forbidden)
    blocked = _blocked(transition, Situation(case, facts, None if by_timer else actor, today))
    if blocked:
        raise ActionBlocked("; ".join(blocked), reasons=blocked)
    return _move(process, transition, case, None if by_timer else actor, today, calendar, facts)


def _move(
    process: Process,
    transition: Transition,
    case: CaseState,
    actor: Actor | None,
    today: date,
    calendar: WorkingCalendar,
    facts: CaseFacts = NO_FACTS,
) -> Move:
    data = case.data
    steps = data.steps if actor is None else (*data.steps, Step(actor.sub, transition.action))
    countersign = transition.countersign
    if countersign is not None and actor is not None:
        role = min(r for r in actor.roles if r in transition.roles)
        approvals = (*data.approvals, Approval(actor.sub, str(role)))
        if len(approvals) < countersign.approvals:
            after = CaseState(
                state=case.state,
                version=case.version + 1,
                clock=case.clock,
                data=msgspec.structs.replace(data, steps=steps, approvals=approvals),
            )
            return Move(
                action=transition.action,
                source=case.state,
                target=case.state,
                case=after,
                moved=False,
                approvals=(len(approvals), countersign.approvals),
            )
    target = process.states[transition.target]
    clock = case.clock
    if target.clock is ClockMode.RUNNING:
        clock = clock.resume(today)
    elif target.clock is ClockMode.PAUSED:
        clock = clock.pause(today)
    ctx = EffectContext(process, case, transition, clock, calendar, today, facts)
    external: list[Call] = []
    for call, entry in transition.effects:
        if entry.external:
            external.append(call)
        else:
            entry.fn(ctx, **call.params)
    clock = ctx.clock
    if target.terminal is not None:
        clock = clock.stop(today)
    arm = list(ctx.arm)
    if target.deadline is not None and target.deadline.fire is not None:
        arm.append(_deadline_timer(transition.target, target.deadline, today, calendar))
    after = CaseState(
        state=transition.target,
        version=case.version + 1,
        clock=clock,
        data=CaseData(flags=frozenset(ctx.flags), counters=ctx.counters, steps=steps, approvals=()),
    )
    return Move(
        action=transition.action,
        source=case.state,
        target=transition.target,
        case=after,
        moved=True,
        external_effects=tuple(external),
        arm=tuple(arm),
        cancel_state_timers=case.state if case.state in process.timed_states else None,
        cancel_keys=tuple(ctx.cancel_keys),
        cancel_all_timers=target.terminal is not None,
        outcome=target.terminal,
        approvals=(countersign.approvals, countersign.approvals) if countersign else None,
        notes=ctx.notes,
    )
