"""The workflow runtime: cases, transitions and timers, persisted inside the use case's unit of work.

The pure engine (:mod:`govservice.workflow`) decides; this service loads the case, asks it, and
writes the result — case state and version, one event row, one outbox row, timers, external
effects — on the session it is given, so that the use case's own rows and audit entries commit
with the step or not at all. A concurrent step on the same case loses with
``Conflict(code="concurrent_transition")``: the write is a compare-and-set on the version.

    async with ctx.transaction() as session:                          # the use case's unit of work
        case = await engine.start_case("permit", session=session, subject_kind="application",
                                       actor=applicant, limit=20)
        fired = await engine.fire(case.id, "submit", applicant, session=session,
                                  expected_version=case.version, payload={"comment": "filed online"})
    fired.case.state, fired.event.seq, engine.clock_view(fired.case).remaining

Without ``session`` each call runs in a short transaction of its own (timers, scripts, tests).

Extension points (``govservice.services.engine_plugins``): a facts builder per subject kind (the
facts the guards see, read on the step's session) and a handler per external effect (run on the
step's session). The engine holds no connection between calls.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govservice.domain.actor import Actor
from govservice.domain.calendar import ClockStatus, WorkingCalendar, load_calendar
from govservice.errors import Conflict, GovServiceError, NotFound, PreconditionFailed
from govservice.services import engine_store as store
from govservice.services.context import ServiceContext
from govservice.services.engine_catalog import CALENDARS, DEFINITIONS, EngineCatalog
from govservice.services.engine_plugins import (
    PLUGINS,
    EffectHandler,
    EffectRun,
    FactsBuilder,
    Plugins,
    effect_handler,
    facts_builder,
)
from govservice.services.engine_store import CASES, EVENTS, PENDING, TIMERS, EventWrite, StepWrite, TimerArm
from govservice.services.engine_timers import TimerBacklog, TimerGone, TimerRunner
from govservice.services.engine_views import (
    CaseView,
    ClockView,
    EventView,
    Fired,
    TimerRun,
    TimerView,
    calendar_mark,
)
from govservice.workflow import (
    REGISTRY,
    ActionOption,
    CaseState,
    Move,
    Process,
    Registry,
    TimerSpec,
    available,
    decide,
    start,
)
from govservice.workflow.case import NO_FACTS

log = logging.getLogger("govservice.engine")

__all__ = [
    "CALENDARS",
    "CASES",
    "DEFINITIONS",
    "EVENTS",
    "PENDING",
    "PLUGINS",
    "TIMERS",
    "CaseView",
    "ClockView",
    "EffectHandler",
    "EffectRun",
    "EngineService",
    "EventView",
    "FactsBuilder",
    "Fired",
    "Plugins",
    "TimerBacklog",
    "TimerGone",
    "TimerRun",
    "TimerView",
    "case_view_of_row",
    "effect_handler",
    "facts_builder",
]

TIMER_ACTOR = "system:timer"
case_view_of_row = store.case_view


def _roles(actor: Actor | None) -> list[str]:
    return sorted(str(r) for r in actor.roles) if actor else []


class EngineService:
    def __init__(
        self,
        ctx: ServiceContext,
        *,
        calendar: WorkingCalendar | None = None,
        registry: Registry = REGISTRY,
        plugins: Plugins = PLUGINS,
    ) -> None:
        self._ctx = ctx
        self._plugins = plugins
        self._zone = ZoneInfo(ctx.settings.timezone)
        self._catalog = EngineCatalog(
            ctx, registry, calendar or load_calendar(ctx.settings.workflows_dir / "calendars")
        )
        self.calendar = self._catalog.calendar
        self._timers = TimerRunner(ctx, self)
        # Called in the transaction of each step a timer takes, with (session, case id, event seq).
        self.system_step_hooks: list[Callable[[AsyncSession, int, int], Awaitable[object]]] = []
        self.publish = self._catalog.publish
        self.publish_directory = self._catalog.publish_directory
        self.store_calendar = self._catalog.store_calendar

    async def aclose(self) -> None:
        """Nothing to give back: the engine holds no connection between calls."""

    @property
    def database(self) -> AsyncEngine:
        return self._ctx.engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work for callers that have none yet (pass its session to start_case and fire)."""
        async with self._ctx.transaction() as session:
            yield session

    # -- time ---------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._ctx.clock.now()

    def today(self, now: datetime | None = None) -> date:
        """The department's local date (working days are local dates)."""
        return (now or self._ctx.clock.now()).astimezone(self._zone).date()

    def local_day(self, at: datetime) -> date:
        """The local date of a limit that has passed at ``at`` (the midnight after its last day)."""
        return (at.astimezone(self._zone) - timedelta(microseconds=1)).date()

    def due_at(self, due_on: date) -> datetime:
        """A limit ending on ``due_on`` has passed at the local midnight after it."""
        return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=self._zone).astimezone(UTC)

    def calendar_for_view(self, case: CaseView) -> WorkingCalendar:
        """The calendar the case pinned (when loaded in this process), else the current one."""
        return self._catalog.pinned(case.calendar_version)

    def clock_view(self, case: CaseView, now: datetime | None = None) -> ClockView:
        """The case's clock today, on the calendar it pinned (loaded by get_case, fire, start_case).
        Marked provisional when its span (start to due date, and today while running) touches a
        provisional year."""
        calendar = self._catalog.pinned(case.calendar_version)
        today = self.today(now)
        clock = case.clock
        due_on = clock.due(calendar)
        return ClockView(
            status=clock.status,
            limit=clock.limit,
            elapsed=clock.elapsed(calendar, today),
            remaining=clock.remaining(calendar, today),
            due_on=due_on,
            started_on=clock.started_on,
            pauses=clock.pauses,
            **calendar_mark(
                calendar, clock.started_on, due_on, today if clock.status is ClockStatus.RUNNING else None
            ),
        )

    async def process(
        self, process_id: str, version: int | None = None, session: AsyncSession | None = None
    ) -> Process:
        return await self._catalog.process(process_id, version, session)

    # -- cases --------------------------------------------------------------------------------

    async def start_case(
        self,
        process_id: str,
        *,
        subject_kind: str,
        session: AsyncSession | None = None,
        subject_ref: str | None = None,
        actor: Actor | None = None,
        limit: int = 0,
        version: int | None = None,
        payload: Mapping[str, Any] | None = None,
        deadline_hours: int | None = None,
    ) -> CaseView:
        """A new case in the process's start state, on its latest published version (or ``version``),
        pinned to today's calendar. ``limit``: the statutory clock's working days;
        ``deadline_hours``: the length of the start state's deadline when it counts hours."""
        now = self._ctx.clock.now()
        async with self._ctx.writing(session) as s:
            await self._catalog.store_calendar(s)
            process = await self._catalog.process(process_id, version, s)
            missing = process.external_effects() - self._plugins.effect_handlers.keys()
            if missing:
                raise RuntimeError(
                    f"process {process.id} v{process.version} uses effects with no handler: "
                    f"{', '.join(sorted(missing))} (register them with @effect_handler)"
                )
            move = start(
                process,
                today=self.today(now),
                calendar=self.calendar,
                limit=limit,
                deadline_hours=deadline_hours,
            )
            after = move.case
            due_on = self._due_on(after, self.calendar)
            event = EventWrite(
                "start",
                None,
                actor.sub if actor else "system",
                _roles(actor),
                _builtins(payload) if payload else None,
            )
            case_id = await store.insert_case(
                s,
                store.NewCase(
                    process_id=process.id,
                    process_version=process.version,
                    state=after.state,
                    subject_kind=subject_kind,
                    subject_ref=subject_ref,
                    calendar_version=self.calendar.version,
                    clock=after.clock,
                    data=after.data,
                    due_on=due_on,
                    now=now,
                    event=event,
                    arm=self._arms(move.arm, now),
                ),
            )
        return CaseView(
            id=case_id,
            process_id=process.id,
            process_version=process.version,
            state=after.state,
            version=after.version,
            outcome=None,
            subject_kind=subject_kind,
            subject_ref=subject_ref,
            calendar_version=self.calendar.version,
            due_on=due_on,
            clock=after.clock,
            data=after.data,
            created_at=now,
            updated_at=now,
        )

    async def get_cases(
        self, case_ids: Sequence[int], session: AsyncSession | None = None
    ) -> dict[int, CaseView]:
        """Several cases by id, in one statement (for lists)."""
        async with self._ctx.reading(session) as s:
            cases = await store.load_many(s, case_ids)
            missing = set(case_ids) - cases.keys()
            if missing:
                raise NotFound(f"case {min(missing)} does not exist", code="case_not_found")
            for version in {case.calendar_version for case in cases.values()}:
                await self._catalog.calendar_for(version, s)  # so that clock_view() uses the pinned ones
        return cases

    async def get_case(self, case_id: int, session: AsyncSession | None = None) -> CaseView:
        return (await self.get_cases([case_id], session))[case_id]

    async def available(
        self, case_id: int, actor: Actor, session: AsyncSession | None = None
    ) -> list[ActionOption]:
        """Every action of the case's current state, and for each one not allowed, why."""
        async with self._ctx.reading(session) as s:
            case = await store.load(s, case_id)
            if case is None:
                raise NotFound(f"case {case_id} does not exist", code="case_not_found")
            builder = self._plugins.facts_builders.get(case.subject_kind)
            facts = await builder(s, case) if builder is not None else NO_FACTS
            process = await self._catalog.process(case.process_id, case.process_version, s)
        return available(process, case.engine_state, actor, facts, today=self.today())

    async def fire(
        self,
        case_id: int,
        action: str,
        actor: Actor,
        *,
        session: AsyncSession | None = None,
        expected_version: int | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> Fired:
        """Take ``action`` on the case as ``actor``, inside ``session``'s unit of work (all or nothing).

        Raises ActionUnknown (404), ActionNotAvailable (409), ActionForbidden (403), ActionBlocked
        (422), PreconditionFailed (412) when ``expected_version`` (If-Match) is not the case's
        version, Conflict ``concurrent_transition`` (409) when another step won the race.
        """
        async with self._ctx.writing(session) as s:
            fired = await self.step(s, case_id, action, actor, expected_version, dict(payload or {}))
        assert fired is not None
        return fired

    async def step(
        self,
        s: AsyncSession,
        case_id: int,
        action: str,
        actor: Actor | None,
        expected_version: int | None,
        payload: dict[str, Any],
        timer: Any = None,
    ) -> Fired | None:
        """One step on ``s``. A timer's step returns None when the timer is dropped (its case moved
        on, or its action is not allowed now)."""
        now = self._ctx.clock.now()
        case = await store.load(s, case_id)
        if case is None:
            raise NotFound(f"case {case_id} does not exist", code="case_not_found")
        if expected_version is not None and case.version != expected_version:
            raise PreconditionFailed(
                f"case {case.id} is at version {case.version}, not {expected_version}", version=case.version
            )
        process = await self._catalog.process(case.process_id, case.process_version, s)
        calendar = await self._catalog.calendar_for(case.calendar_version, s)
        if timer is not None and _moved_on(process, case, timer):
            await store.end_timer(s, timer.id, store.DROPPED, now, f"the case is in {case.state} now")
            return None
        builder = self._plugins.facts_builders.get(case.subject_kind)
        facts = await builder(s, case) if builder is not None else NO_FACTS
        try:
            move = decide(
                process,
                case.engine_state,
                action,
                actor,
                facts=facts,
                today=self.today(now),
                calendar=calendar,
                by_timer=timer is not None,
            )
        except GovServiceError as exc:
            if timer is None:
                raise
            await store.end_timer(s, timer.id, store.DROPPED, now, f"not taken: {exc.detail}")
            return None
        if timer is not None:
            payload = {"timer": {"id": timer.id, "key": timer.key, "dueAt": timer.due_at.isoformat()}}
            if not await store.mark_fired(s, timer.id, now):
                raise TimerGone()
        step = self._write(case, move, actor, now, calendar, payload, timer.id if timer else None)
        if not await store.save(s, step):
            raise Conflict(
                f"case {case.id} was changed by another step while {action} was being taken; "
                "reload it and try again",
                code="concurrent_transition",
            )
        fired = _fired(case, move, step)
        for call in move.external_effects:
            handler = self._plugins.effect_handlers.get(call.name)
            if handler is None:
                raise RuntimeError(f"effect {call.name} has no handler (register one with @effect_handler)")
            await handler(
                EffectRun(
                    session=s,
                    call=call,
                    case=fired.case,
                    move=move,
                    actor=actor,
                    now=now,
                    today=self.today(now),
                    calendar=calendar,
                    payload=payload,
                    ctx=self._ctx,
                )
            )
        return fired

    def _due_on(self, case: CaseState, calendar: WorkingCalendar) -> date | None:
        return case.clock.due(calendar) if case.clock.status is ClockStatus.RUNNING else None

    def _arms(self, specs: tuple[TimerSpec, ...], now: datetime) -> list[TimerArm]:
        return [
            TimerArm(
                s.key,
                s.action,
                s.state,
                now + timedelta(hours=s.hours) if s.hours is not None else self.due_at(s.due_on),
            )
            for s in specs
        ]

    def _write(
        self,
        case: CaseView,
        move: Move,
        actor: Actor | None,
        now: datetime,
        calendar: WorkingCalendar,
        payload: dict[str, Any],
        timer_id: int | None,
    ) -> StepWrite:
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
            due_on=self._due_on(after, calendar),
            now=now,
            event=EventWrite(
                move.action,
                move.source,
                actor.sub if actor else TIMER_ACTOR,
                _roles(actor),
                _builtins(payload) if payload else None,
            ),
            cancel_all=move.cancel_all_timers,
            cancel_state=move.cancel_state_timers,
            cancel_keys=move.cancel_keys,
            arm=self._arms(move.arm, now),
            timer_id=timer_id,
        )

    # -- reading ------------------------------------------------------------------------------

    async def events(self, case_id: int, session: AsyncSession | None = None) -> list[EventView]:
        async with self._ctx.reading(session) as s:
            rows = await s.execute(
                select(
                    EVENTS.c.seq,
                    EVENTS.c.action,
                    EVENTS.c.from_state,
                    EVENTS.c.to_state,
                    EVENTS.c.actor_sub,
                    EVENTS.c.actor_roles,
                    EVENTS.c.at,
                    EVENTS.c.payload,
                )
                .where(EVENTS.c.case_id == case_id)
                .order_by(EVENTS.c.seq)
            )
            return [msgspec.convert(dict(row._mapping), EventView) for row in rows]

    async def timers(self, case_id: int, session: AsyncSession | None = None) -> list[TimerView]:
        async with self._ctx.reading(session) as s:
            rows = await s.execute(
                select(
                    TIMERS.c.id,
                    TIMERS.c.key,
                    TIMERS.c.action,
                    TIMERS.c.state,
                    TIMERS.c.due_at,
                    TIMERS.c.status,
                    TIMERS.c.fired_at,
                    TIMERS.c.cancelled_at,
                    TIMERS.c.detail,
                )
                .where(TIMERS.c.case_id == case_id)
                .order_by(TIMERS.c.id)
            )
            timers = [TimerView(**row._mapping) for row in rows]
        return [
            msgspec.structs.replace(t, **calendar_mark(self.calendar, self.local_day(t.due_at)))
            if t.status == PENDING
            else t
            for t in timers
        ]

    # -- timers -------------------------------------------------------------------------------

    async def timer_backlog(self) -> TimerBacklog:
        return await self._timers.backlog()

    async def run_due_timers(
        self, worker: str, *, limit: int = 50, lease: timedelta = timedelta(minutes=5)
    ) -> TimerRun:
        """Claim up to ``limit`` due timers and fire each in its own transaction."""
        return await self._timers.run_due(worker, limit=limit, lease=lease)


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value, order="deterministic")


def _moved_on(process: Process, case: CaseView, timer: Any) -> bool:
    if timer.state is not None:
        return bool(case.state != timer.state)
    return process.transition(case.state, timer.action) is None


def _fired(case: CaseView, move: Move, step: StepWrite) -> Fired:
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
