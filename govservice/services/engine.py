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
step's session), given as :class:`Plugins` (see :func:`govservice.bootstrap.engine_extensions`).
The engine holds no connection between calls.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govservice.domain.actor import Actor
from govservice.domain.calendar import WorkingCalendar, load_calendar
from govservice.errors import Conflict, GovServiceError, NotFound, PreconditionFailed
from govservice.services import engine_store as store
from govservice.services.context import ServiceContext
from govservice.services.engine_catalog import CALENDARS, DEFINITIONS, EngineCatalog
from govservice.services.engine_plugins import (
    EffectHandler,
    EffectRun,
    EngineExtension,
    FactsBuilder,
    Plugins,
)
from govservice.services.engine_reading import EngineReading
from govservice.services.engine_rows import CASES, DROPPED, EVENTS, PENDING, TIMERS, EventWrite, NewCase
from govservice.services.engine_steps import (
    actor_roles,
    deterministic,
    fired_view,
    running_due_on,
    step_write,
    timer_arms,
)
from govservice.services.engine_timers import TimerBacklog, TimerGone, TimerRunner
from govservice.services.engine_views import (
    CaseView,
    ClockView,
    EventView,
    Fired,
    TimerRun,
    TimerView,
)
from govservice.workflow import (
    ActionOption,
    Process,
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
    "TIMERS",
    "CaseView",
    "ClockView",
    "EffectHandler",
    "EffectRun",
    "EngineExtension",
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
]

case_view_of_row = store.case_view


class EngineService(EngineReading):
    def __init__(
        self,
        ctx: ServiceContext,
        plugins: Plugins,
        *,
        calendar: WorkingCalendar | None = None,
    ) -> None:
        self._ctx = ctx
        self._plugins = plugins
        self._zone = ZoneInfo(ctx.settings.timezone)
        self._catalog = EngineCatalog(
            ctx, plugins.registry, calendar or load_calendar(ctx.settings.workflows_dir / "calendars")
        )
        self.calendar = self._catalog.calendar
        self._timers = TimerRunner(ctx, self)
        # Called in the transaction of each step a timer takes, with (session, case id, event seq).
        self.system_step_hooks: list[Callable[[AsyncSession, int, int], Awaitable[object]]] = []
        self.publish = self._catalog.publish
        self.publish_directory = self._catalog.publish_directory
        self.store_calendar = self._catalog.store_calendar

    @property
    def database(self) -> AsyncEngine:
        return self._ctx.engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work for callers that have none yet (pass its session to start_case and fire)."""
        async with self._ctx.transaction() as session:
            yield session

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
                    f"{', '.join(sorted(missing))} (a context's EngineExtension.effect_handler)"
                )
            move = start(
                process,
                today=self.today(now),
                calendar=self.calendar,
                limit=limit,
                deadline_hours=deadline_hours,
            )
            after = move.case
            due_on = running_due_on(after, self.calendar)
            event = EventWrite(
                "start",
                None,
                actor.sub if actor else "system",
                actor_roles(actor),
                deterministic(payload) if payload else None,
            )
            case_id = await store.insert_case(
                s,
                NewCase(
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
                    arm=timer_arms(move.arm, now, self.due_at),
                ),
            )
            return store.remember(
                s,
                CaseView(
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
                ),
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
            await store.end_timer(s, timer.id, DROPPED, now, f"the case is in {case.state} now")
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
            await store.end_timer(s, timer.id, DROPPED, now, f"not taken: {exc.detail}")
            return None
        if timer is not None:
            payload = {"timer": {"id": timer.id, "key": timer.key, "dueAt": timer.due_at.isoformat()}}
            if not await store.mark_fired(s, timer.id, now):
                raise TimerGone()
        step = step_write(case, move, actor, now, calendar, payload, timer.id if timer else None, self.due_at)
        if not await store.save(s, step):
            raise Conflict(
                f"case {case.id} was changed by another step while {action} was being taken; "
                "reload it and try again",
                code="concurrent_transition",
            )
        fired = fired_view(case, move, step)
        store.remember(s, fired.case)
        for call in move.external_effects:
            handler = self._plugins.effect_handlers.get(call.name)
            if handler is None:
                raise RuntimeError(
                    f"effect {call.name} has no handler (a context's EngineExtension.effect_handler)"
                )
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
                    engine=self,
                )
            )
        return fired

    # -- timers -------------------------------------------------------------------------------

    async def timer_backlog(self) -> TimerBacklog:
        return await self._timers.backlog()

    async def run_due_timers(
        self, worker: str, *, limit: int = 50, lease: timedelta = timedelta(minutes=5)
    ) -> TimerRun:
        """Claim up to ``limit`` due timers and fire each in its own transaction."""
        return await self._timers.run_due(worker, limit=limit, lease=lease)


def _moved_on(process: Process, case: CaseView, timer: Any) -> bool:
    if timer.state is not None:
        return bool(case.state != timer.state)
    return process.transition(case.state, timer.action) is None
