"""How a decided move becomes rows: the step's write (case, event, timers) and the view it returns.
Pure: the engine service decides with :mod:`govservice.workflow` and hands the result to the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import msgspec

from govservice.domain.actor import Actor
from govservice.domain.calendar import ClockStatus, WorkingCalendar
from govservice.services.audit.service import TIMER_ACTOR
from govservice.services.engine_rows import EventWrite, StepWrite, TimerArm
from govservice.services.engine_views import CaseView, EventView, Fired
from govservice.workflow import CaseState, Move, TimerSpec


def actor_roles(actor: Actor | None) -> list[str]:
    return sorted(str(r) for r in actor.roles) if actor else []


def deterministic(value: Any) -> Any:
    return msgspec.to_builtins(value, order="deterministic")


def running_due_on(case: CaseState, calendar: WorkingCalendar) -> date | None:
    return case.clock.due(calendar) if case.clock.status is ClockStatus.RUNNING else None


def timer_arms(
    specs: tuple[TimerSpec, ...], now: datetime, due_at: Callable[[date], datetime]
) -> list[TimerArm]:
    return [
        TimerArm(
            s.key,
            s.action,
            s.state,
            now + timedelta(hours=s.hours) if s.hours is not None else due_at(s.due_on),
        )
        for s in specs
    ]


def step_write(
    case: CaseView,
    move: Move,
    actor: Actor | None,
    now: datetime,
    calendar: WorkingCalendar,
    payload: dict[str, Any],
    timer_id: int | None,
    due_at: Callable[[date], datetime],
) -> StepWrite:
    """What a step writes: the case's new row values, its event, the timers it cancels and arms."""
    after = move.case
    if move.approvals is not None:
        payload["approvals"] = {"given": move.approvals[0], "needed": move.approvals[1]}
    if move.external_effects:
        payload["effects"] = [str(call) for call in move.external_effects]
    if move.notes:
        payload["notes"] = dict(move.notes)
    return StepWrite(
        case_id=case.id,
        seen_version=case.version,
        state=after.state,
        version=after.version,
        outcome=move.outcome,
        clock=after.clock,
        data=after.data,
        due_on=running_due_on(after, calendar),
        now=now,
        event=EventWrite(
            move.action,
            move.source,
            actor.sub if actor else TIMER_ACTOR,
            actor_roles(actor),
            deterministic(payload) if payload else None,
        ),
        cancel_all=move.cancel_all_timers,
        cancel_state=move.cancel_state_timers,
        cancel_keys=move.cancel_keys,
        arm=timer_arms(move.arm, now, due_at),
        timer_id=timer_id,
    )


def fired_view(case: CaseView, move: Move, step: StepWrite) -> Fired:
    after = move.case
    view = msgspec.structs.replace(
        case,
        state=after.state,
        version=after.version,
        outcome=move.outcome,
        clock=after.clock,
        data=after.data,
        due_on=step.due_on,
        updated_at=step.now,
    )
    event = EventView(
        seq=after.version,
        action=move.action,
        from_state=move.source,
        to_state=after.state,
        actor_sub=step.event.actor_sub,
        actor_roles=step.event.actor_roles,
        at=step.now,
        payload=step.event.payload,
    )
    return Fired(case=view, event=event, moved=move.moved)
