"""The workflow runtime: cases, transitions and timers, persisted. One transaction per step.

The pure engine (:mod:`govservice.workflow`) decides; this service loads the case, asks it,
and writes the result — case state and version, one event row, timers, external effects —
all in one transaction. A concurrent step on the same case loses with
``Conflict(code="concurrent_transition")``: the write is a compare-and-set on the version.

    engine = EngineService(ctx)                      # ctx: ServiceContext; close with aclose()
    await engine.publish_directory()                 # workflows/processes/*.yaml (idempotent)
    case = await engine.start_case("permit", subject_kind="application", subject_ref="A-1",
                                   actor=applicant, limit=20)
    for option in await engine.available(case.id, clerk):
        print(option.action, option.allowed, option.reasons)
    fired = await engine.fire(case.id, "submit", applicant, expected_version=case.version,
                              payload={"comment": "filed online"})
    fired.case.state, fired.event.seq, engine.clock_view(fired.case).remaining

Extension points (register at import time of your module):

* ``@facts_builder("application")`` — ``async def build(session, case: CaseView) -> CaseFacts``:
  the facts the guards see for cases of that subject kind, read inside the step's transaction.
* ``@effect_handler("issue_licence")`` — ``async def handle(run: EffectRun) -> None``: carries out
  an external effect (declared with ``@REGISTRY.effect(name, external=True)``) inside the
  step's transaction, with ``run.session`` bound to it. A case cannot start on a process whose
  external effects have no handler.

Timers: :meth:`EngineService.run_due_timers` claims due rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL) and fires each in its own transaction, exactly once; a timer whose case has left
the state it was armed in is dropped. :mod:`govservice.worker` runs it in a loop.

Plugin code (facts builders, effect handlers) may call ``start_case`` and ``fire`` again: those
steps join the transaction of the step in progress (all or nothing).

Storage (:mod:`govservice.services.engine_sql`): the engine's own statements run on the driver
connection of a few connections it keeps checked out of the pool (``aclose()`` gives them back):
on PostgreSQL a step is the read plus ONE statement that writes everything; on SQLite a plain
step runs on the event loop's thread (a few page-cache writes) and moves to aiosqlite's thread
only when the database is busy. Reads for display (get_case, events, timers) use the pool.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from govservice.db.models.workflow import (
    WorkflowCalendarRow,
    WorkflowCaseRow,
    WorkflowDefinitionRow,
    WorkflowEventRow,
    WorkflowTimerRow,
)
from govservice.domain.actor import Actor
from govservice.domain.calendar import CaseClock, ClockStatus, WorkingCalendar, load_calendar
from govservice.errors import Conflict, GovServiceError, NotFound, PreconditionFailed
from govservice.services.context import ServiceContext
from govservice.services.engine_plugins import (
    PLUGINS,
    EffectHandler,
    EffectRun,
    FactsBuilder,
    Plugins,
    effect_handler,
    facts_builder,
)
from govservice.services.engine_sql import (
    Busy,
    Leases,
    NewCase,
    StepWrite,
    TimerArm,
    dialect_for,
    in_sqlite_thread,
    inline_sqlite,
    json_text,
    transact,
)
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
    CaseData,
    CaseState,
    InvalidDefinition,
    Move,
    Process,
    ProcessDefinition,
    Registry,
    TimerSpec,
    available,
    compile_process,
    decide,
    load_directory,
    load_plugins,
    start,
)
from govservice.workflow.case import NO_FACTS

log = logging.getLogger("govservice.engine")


class TimerBacklog(msgspec.Struct, frozen=True, kw_only=True):
    pending: int
    overdue: int
    oldest_overdue_seconds: float

__all__ = [
    "PLUGINS",
    "CaseView",
    "ClockView",
    "EffectHandler",
    "EffectRun",
    "EngineService",
    "EventView",
    "FactsBuilder",
    "Fired",
    "Plugins",
    "TimerRun",
    "TimerView",
    "effect_handler",
    "facts_builder",
]

CASES = WorkflowCaseRow.__table__
EVENTS = WorkflowEventRow.__table__
TIMERS = WorkflowTimerRow.__table__
DEFINITIONS = WorkflowDefinitionRow.__table__
CALENDARS = WorkflowCalendarRow.__table__

TIMER_ACTOR = "system:timer"
PENDING, FIRED, DROPPED, CANCELLED, FAILED = "pending", "fired", "dropped", "cancelled", "failed"


class _Tx:
    """An ORM session on the step's connection, made only when a plugin needs one."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = AsyncSession(bind=self.conn, expire_on_commit=False)
        return self._session

    async def finish(self) -> None:
        if self._session is not None:
            await self._session.flush()
            await self._session.close()


_IN_STEP: ContextVar[tuple[AsyncConnection, Any, EngineService] | None] = ContextVar(
    "engine_step", default=None
)


class _Joined:
    """Lends the connection of the step in progress (an async context manager like a lease)."""

    def __init__(self, conn: AsyncConnection, raw: Any) -> None:
        self.conn, self.raw = conn, raw

    async def __aenter__(self) -> tuple[AsyncConnection, Any]:
        return self.conn, self.raw

    async def __aexit__(self, *exc: object) -> None:
        return None


class _TimerGone(Exception):
    """Another worker fired or ended this timer first."""


def case_view_of_row(row: Any) -> CaseView:
    m = row._mapping
    return CaseView(
        id=m["id"],
        process_id=m["process_id"],
        process_version=m["process_version"],
        state=m["state"],
        version=m["version"],
        outcome=m["outcome"],
        subject_kind=m["subject_kind"],
        subject_ref=m["subject_ref"],
        calendar_version=m["calendar_version"],
        due_on=m["due_on"],
        clock=msgspec.convert(m["clock"], CaseClock),
        data=msgspec.convert(m["data"], CaseData),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


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
        connections: int | None = None,
    ) -> None:
        """``connections``: how many connections the engine keeps for its steps (default 8 on
        PostgreSQL; SQLite always 1, its single writer)."""
        self._ctx = ctx
        self._registry = registry
        self._plugins = plugins
        self.calendar = calendar or load_calendar(ctx.settings.workflows_dir / "calendars")
        self._zone = ZoneInfo(ctx.settings.timezone)
        self._is_postgres = ctx.engine.dialect.name == "postgresql"
        self._sql = dialect_for(ctx.engine)
        self._leases = Leases(ctx.engine, self._sql, (connections or 8) if self._is_postgres else 1)
        self._processes: dict[tuple[str, int], Process] = {}
        self._latest: dict[str, int] = {}  # a hint: inserting a case checks that no newer version exists
        self._calendars: dict[str, WorkingCalendar] = {self.calendar.version: self.calendar}
        self._calendar_stored = False
        self._inline = inline_sqlite(ctx.engine)

    async def aclose(self) -> None:
        """Give the kept connections back to the pool (before the engine is disposed)."""
        await self._leases.aclose()
        if self._inline is not None:
            self._inline.close()

    @property
    def database(self) -> AsyncEngine:
        return self._ctx.engine

    async def store_calendar(self) -> None:
        """Keep the calendar this process runs with in the database (before any case pins it)."""
        await self._store_calendar()

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
        return self._calendars.get(case.calendar_version, self.calendar)

    def clock_view(self, case: CaseView, now: datetime | None = None) -> ClockView:
        """The case's clock today, on the calendar it pinned (loaded by get_case, fire, start_case).
        Marked provisional when its span (start to due date, and today while running) touches a
        provisional year."""
        calendar = self._calendars.get(case.calendar_version, self.calendar)
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
            **calendar_mark(calendar, clock.started_on, due_on,
                            today if clock.status is ClockStatus.RUNNING else None),
        )

    # -- definitions --------------------------------------------------------------------------

    async def publish(self, process: Process, *, source: str | None = None, by: str = "system") -> bool:
        """Store a definition under (id, version). True if new, False if already there unchanged;
        ``Conflict(definition_changed)`` if that version was published with other content."""
        async with self._ctx.engine.begin() as conn:
            existing = (
                await conn.execute(
                    select(DEFINITIONS.c.content_hash, DEFINITIONS.c.source).where(
                        DEFINITIONS.c.process_id == process.id, DEFINITIONS.c.version == process.version
                    )
                )
            ).first()
            if existing is not None:
                if existing.content_hash != process.content_hash:
                    raise Conflict(
                        f"{source or process.id}: process {process.id} version {process.version} is already "
                        f"published (from {existing.source or 'elsewhere'}) with different content; "
                        f"publish the change as version {process.version + 1}",
                        code="definition_changed",
                    )
                self._processes[(process.id, process.version)] = process
                return False
            self._latest.pop(process.id, None)
            await conn.execute(
                insert(DEFINITIONS).values(
                    process_id=process.id,
                    version=process.version,
                    content_hash=process.content_hash,
                    definition=msgspec.to_builtins(process.definition),
                    source=source,
                    published_at=self._ctx.clock.now(),
                    published_by=by,
                )
            )
        self._processes[(process.id, process.version)] = process
        return True

    async def publish_directory(self, directory: Path | None = None, *, by: str = "system") -> list[str]:
        """Publish every process file (default ``workflows/processes``); returns those newly stored."""
        load_plugins()
        catalogue = load_directory(
            directory or self._ctx.settings.workflows_dir / "processes", registry=self._registry
        )
        if catalogue.problems:
            raise InvalidDefinition(catalogue.problems)
        added = []
        for key in sorted(catalogue.processes):
            if await self.publish(catalogue.processes[key], source=catalogue.files[key], by=by):
                added.append(f"{key[0]} v{key[1]}")
        return added

    async def process(self, process_id: str, version: int | None = None) -> Process:
        """A published process: ``version``, or the latest."""
        if version is None:
            async with self._ctx.engine.connect() as conn:
                version = (
                    await conn.execute(
                        select(DEFINITIONS.c.version)
                        .where(DEFINITIONS.c.process_id == process_id)
                        .order_by(DEFINITIONS.c.version.desc())
                        .limit(1)
                    )
                ).scalar()
            if version is None:
                raise NotFound(f"no process {process_id!r} is published", code="process_not_found")
        return await self._process(process_id, version)

    async def _process(self, process_id: str, version: int) -> Process:
        cached = self._processes.get((process_id, version))
        if cached is not None:
            return cached
        async with self._ctx.engine.connect() as conn:
            raw = (
                await conn.execute(
                    select(DEFINITIONS.c.definition).where(
                        DEFINITIONS.c.process_id == process_id, DEFINITIONS.c.version == version
                    )
                )
            ).scalar()
        if raw is None:
            raise NotFound(
                f"process {process_id!r} version {version} is not published", code="process_not_found"
            )
        load_plugins()
        process = compile_process(
            msgspec.convert(raw, ProcessDefinition),
            registry=self._registry,
            file=f"{process_id} v{version} (stored)",
        )
        self._processes[(process_id, version)] = process
        return process

    # -- calendars ----------------------------------------------------------------------------

    async def _store_calendar(self, conn: AsyncConnection | None = None) -> None:
        """Keep today's calendar in the database, for the cases that pin it (once per service).
        ``conn``: a connection in a transaction to do it in (a step in progress)."""
        if self._calendar_stored:
            return
        values = {
            "version": self.calendar.version,
            "first_year": self.calendar.first_year,
            "last_year": self.calendar.last_year,
            "content": self.calendar.to_builtins(),
            "created_at": self._ctx.clock.now(),
        }
        upsert = pg_insert(CALENDARS) if self._is_postgres else sqlite_insert(CALENDARS)
        statement = upsert.values(**values).on_conflict_do_nothing(index_elements=["version"])
        if conn is not None:
            await conn.execute(statement)
        else:
            async with self._ctx.engine.begin() as own:
                await own.execute(statement)
            self._calendar_stored = True

    async def _calendar_for(self, version: str) -> WorkingCalendar:
        """The calendar a case pinned, lent the years published since (the pinned ones win)."""
        calendar = self._calendars.get(version)
        if calendar is None:
            async with self._ctx.engine.connect() as conn:
                content = (
                    await conn.execute(select(CALENDARS.c.content).where(CALENDARS.c.version == version))
                ).scalar()
            if content is None:
                raise NotFound(f"calendar {version} is not stored", code="calendar_not_found")
            calendar = WorkingCalendar.from_builtins(content).extended_with(self.calendar)
            self._calendars[version] = calendar
        return calendar

    # -- cases --------------------------------------------------------------------------------

    async def start_case(
        self,
        process_id: str,
        *,
        subject_kind: str,
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
        latest = version is None
        joined = self._joined()
        if joined is None:
            await self._store_calendar()
        else:
            await self._store_calendar(joined.conn)
        case_id = None
        while case_id is None:
            if latest:
                version = self._latest.get(process_id) or await self._latest_version(process_id)
                self._latest[process_id] = version
            assert version is not None
            process = await self._process(process_id, version)
            missing = process.external_effects() - self._plugins.effect_handlers.keys()
            if missing:
                raise RuntimeError(
                    f"process {process.id} v{process.version} uses effects with no handler: "
                    f"{', '.join(sorted(missing))} (register them with @effect_handler)"
                )
            move = start(process, today=self.today(now), calendar=self.calendar, limit=limit,
                         deadline_hours=deadline_hours)
            after = move.case
            due_on = self._due_on(after, self.calendar)
            new = NewCase(
                process_id=process.id,
                process_version=process.version,
                state=after.state,
                subject_kind=subject_kind,
                subject_ref=subject_ref,
                calendar_version=self.calendar.version,
                clock=json_text(after.clock),
                data=json_text(after.data),
                due_on=due_on,
                now=now,
                actor_sub=actor.sub if actor else "system",
                actor_roles=json_text(_roles(actor)),
                payload=json_text(payload) if payload else None,
                arm=self._arms(move.arm, now),
                only_if_latest=latest,
            )
            case_id = await self._insert(new, joined)
            if case_id is None:  # another process published a newer version since we looked
                self._latest.pop(process_id, None)
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

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction for the cases started (and steps taken) inside the block and the caller's
        own rows, written with the session it yields: a subject and its case exist together or not
        at all. Write only through that session inside the block (on SQLite another connection
        would wait for this transaction's lock)."""
        if self._joined() is not None:
            raise RuntimeError("engine.transaction() inside a step in progress: use the step's session")
        async with self._leases.lease() as (conn, raw), conn.begin():
            if self._is_postgres:  # open the transaction that our statements and the session share
                await conn.exec_driver_sql("SELECT 1")
            token = _IN_STEP.set((conn, raw, self))
            tx = _Tx(conn)
            try:
                yield tx.session
                await tx.finish()
            finally:
                _IN_STEP.reset(token)

    async def _latest_version(self, process_id: str) -> int:
        async with self._ctx.engine.connect() as conn:
            version = (
                await conn.execute(
                    select(func.max(DEFINITIONS.c.version)).where(DEFINITIONS.c.process_id == process_id)
                )
            ).scalar()
        if version is None:
            raise NotFound(f"no process {process_id!r} is published", code="process_not_found")
        return int(version)

    async def _insert(self, new: NewCase, joined: _Joined | None) -> int | None:
        if joined is not None:  # plugin code of a step in progress: part of its transaction
            return await self._sql.insert(joined.raw, new, commit=False)
        inline = self._inline
        if inline is not None and not inline.checkpoint_due:
            insert_now = self._sql.insert_now  # type: ignore[attr-defined]  # inline is SQLite only
            done = inline.attempt(
                lambda sqlite: transact(
                    sqlite, True, lambda: insert_now(sqlite, new), lambda r: r is not None
                ),
                writes=lambda result: result is not None,
            )
            if not isinstance(done, Busy):
                return done
        async with self._leases.lease() as (_, raw):
            return await self._sql.insert(raw, new, commit=True)

    async def get_cases(self, case_ids: list[int]) -> dict[int, CaseView]:
        """Several cases by id, in one statement (for lists)."""
        async with self._ctx.engine.connect() as conn:
            rows = (await conn.execute(select(CASES).where(CASES.c.id.in_(case_ids)))).all()
        cases = {row.id: case_view_of_row(row) for row in rows}
        missing = set(case_ids) - cases.keys()
        if missing:
            raise NotFound(f"case {min(missing)} does not exist", code="case_not_found")
        for version in {case.calendar_version for case in cases.values()}:
            await self._calendar_for(version)  # so that clock_view() uses the pinned ones
        return cases

    async def get_case(self, case_id: int) -> CaseView:
        async with self._ctx.engine.connect() as conn:
            row = (await conn.execute(select(CASES).where(CASES.c.id == case_id))).first()
        if row is None:
            raise NotFound(f"case {case_id} does not exist", code="case_not_found")
        case = case_view_of_row(row)
        await self._calendar_for(case.calendar_version)  # so that clock_view() uses the pinned one
        return case

    async def available(self, case_id: int, actor: Actor) -> list[ActionOption]:
        """Every action of the case's current state, and for each one not allowed, why."""
        async with self._ctx.engine.connect() as conn:
            row = (await conn.execute(select(CASES).where(CASES.c.id == case_id))).first()
            if row is None:
                raise NotFound(f"case {case_id} does not exist", code="case_not_found")
            case = case_view_of_row(row)
            builder = self._plugins.facts_builders.get(case.subject_kind)
            facts = NO_FACTS
            if builder is not None:
                tx = _Tx(conn)
                facts = await builder(tx.session, case)
                await tx.finish()
        process = await self._process(case.process_id, case.process_version)
        return available(process, case.engine_state, actor, facts, today=self.today())

    async def fire(
        self,
        case_id: int,
        action: str,
        actor: Actor,
        *,
        expected_version: int | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> Fired:
        """Take ``action`` on the case as ``actor``: one transaction, all or nothing.

        Raises ActionUnknown (404), ActionNotAvailable (409), ActionForbidden (403), ActionBlocked
        (422), PreconditionFailed (412) when ``expected_version`` (If-Match) is not the case's
        version, Conflict ``concurrent_transition`` (409) when another step won the race.
        """
        fired = await self._step(case_id, action, actor, expected_version, dict(payload) if payload else {})
        assert fired is not None
        return fired

    async def _step(
        self,
        case_id: int,
        action: str,
        actor: Actor | None,
        expected_version: int | None,
        payload: dict[str, Any],
        timer: Any = None,
    ) -> Fired | None:
        """One step. A person's step returns what it did; a timer's returns None when the timer is
        dropped (its case moved on, or its action is not allowed now)."""
        now = self._ctx.clock.now()
        joined = self._joined()
        inline = self._inline if timer is None and joined is None else None
        if inline is not None and not inline.checkpoint_due:
            # SQLite, a plain step: done right here unless the database is busy or plugins take part
            done = inline.attempt(
                lambda sqlite: self._step_here(
                    sqlite, case_id, action, actor, expected_version, payload, now
                ),
                writes=lambda result: isinstance(result, Fired),
            )
            if isinstance(done, Fired):
                return done
        async with joined or self._leases.lease() as (conn, raw):
            if inline is not None:
                # the same on the connection's thread (it waits for a busy database); otherwise the case
                checkpoint = inline.checkpoint_due
                done = await in_sqlite_thread(
                    raw,
                    lambda sqlite: self._step_here(
                        sqlite, case_id, action, actor, expected_version, payload, now, checkpoint
                    ),
                )
                if isinstance(done, Fired):
                    if checkpoint:
                        inline.checkpointed()
                    return done
                case = done
            else:
                case = await self._sql.load(raw, case_id)
            if case is None:
                raise NotFound(f"case {case_id} does not exist", code="case_not_found")
            self._check_version(case, expected_version)
            process = await self._process(case.process_id, case.process_version)
            calendar = await self._calendar_for(case.calendar_version)
            if timer is not None and self._moved_on(process, case, timer):
                await self._end_timer(raw, timer.id, DROPPED, now, f"the case is in {case.state} now")
                return None
            if timer is None and joined is None and self._plain(process, case, action):
                # no plugin code: no ORM session and no SQLAlchemy transaction (one statement on PostgreSQL)
                move = decide(
                    process, case.engine_state, action, actor, today=self.today(now), calendar=calendar
                )
                step = self._write(case, move, actor, now, calendar, payload)
                moved, _ = await self._sql.write(raw, step, commit=True)
                if not moved:
                    raise self._lost(case, action)
                return self._fired(case, move, step)
            if joined is not None:  # plugin code of a step in progress called us: part of its transaction
                return await self._with_plugins(
                    conn, raw, case, process, calendar, action, actor, payload, now, timer
                )
            async with conn.begin():
                if self._is_postgres:  # open the transaction that our statements and the plugins share
                    await conn.exec_driver_sql("SELECT 1")
                return await self._with_plugins(
                    conn, raw, case, process, calendar, action, actor, payload, now, timer
                )

    async def _with_plugins(
        self,
        conn: AsyncConnection,
        raw: Any,
        case: CaseView,
        process: Process,
        calendar: WorkingCalendar,
        action: str,
        actor: Actor | None,
        payload: dict[str, Any],
        now: datetime,
        timer: Any,
    ) -> Fired | None:
        """A step with facts builders or effect handlers, inside the caller's transaction."""
        tx = _Tx(conn)
        token = _IN_STEP.set((conn, raw, self))
        try:
            builder = self._plugins.facts_builders.get(case.subject_kind)
            facts = await builder(tx.session, case) if builder is not None else NO_FACTS
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
                await tx.finish()
                await self._end_timer(raw, timer.id, DROPPED, now, f"not taken: {exc.detail}", commit=False)
                return None
            if timer is not None:
                payload = {"timer": {"id": timer.id, "key": timer.key, "dueAt": timer.due_at.isoformat()}}
            step = self._write(case, move, actor, now, calendar, payload, timer.id if timer else None)
            moved, timer_fired = await self._sql.write(raw, step, commit=False)
            if not moved:
                raise self._lost(case, action)
            if timer is not None and not timer_fired:
                raise _TimerGone()
            fired = self._fired(case, move, step)
            for call in move.external_effects:
                handler = self._plugins.effect_handlers.get(call.name)
                if handler is None:
                    raise RuntimeError(
                        f"effect {call.name} has no handler (register one with @effect_handler)"
                    )
                await handler(
                    EffectRun(session=tx.session, call=call, case=fired.case, move=move, actor=actor, now=now,
                              today=self.today(now), calendar=calendar, payload=payload, ctx=self._ctx)
                )
            await tx.finish()
            return fired
        finally:
            _IN_STEP.reset(token)

    def _joined(self) -> _Joined | None:
        """The step in progress on this task, when plugin code calls back into this service."""
        current = _IN_STEP.get()
        return _Joined(current[0], current[1]) if current is not None and current[2] is self else None

    def _step_here(
        self,
        sqlite: sqlite3.Connection,
        case_id: int,
        action: str,
        actor: Actor | None,
        expected_version: int | None,
        payload: dict[str, Any],
        now: datetime,
        checkpoint: bool = False,
    ) -> Fired | CaseView | None:
        """A plain step on SQLite, synchronously on ``sqlite`` (the inline connection, or
        aiosqlite's on its thread): read, decide, write, commit. Returns the case instead when the
        step needs what only the event loop can do (plugin code, a definition or calendar not
        cached yet). ``checkpoint``: then copy the WAL into the database (see InlineSqlite)."""
        case = self._sql.load_now(sqlite, case_id)  # type: ignore[attr-defined]
        if case is None:
            return None
        self._check_version(case, expected_version)
        process = self._processes.get((case.process_id, case.process_version))
        calendar = self._calendars.get(case.calendar_version)
        if process is None or calendar is None or not self._plain(process, case, action):
            return case
        move = decide(process, case.engine_state, action, actor, today=self.today(now), calendar=calendar)
        step = self._write(case, move, actor, now, calendar, payload)
        moved, _ = transact(sqlite, True, lambda: self._sql.write_now(sqlite, step), lambda r: r[0])  # type: ignore
        if not moved:
            raise self._lost(case, action)
        if checkpoint:
            sqlite.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return self._fired(case, move, step)

    def _plain(self, process: Process, case: CaseView, action: str) -> bool:
        """No plugin code takes part in this step (no facts builder, no external effect)."""
        if case.subject_kind in self._plugins.facts_builders:
            return False
        transition = process.transition(case.state, action)
        return transition is None or not any(entry.external for _, entry in transition.effects)

    @staticmethod
    def _check_version(case: CaseView, expected_version: int | None) -> None:
        if expected_version is not None and case.version != expected_version:
            raise PreconditionFailed(
                f"case {case.id} is at version {case.version}, not {expected_version}", version=case.version
            )

    @staticmethod
    def _lost(case: CaseView, action: str) -> Conflict:
        return Conflict(
            f"case {case.id} was changed by another step while {action} was being taken; "
            "reload it and try again",
            code="concurrent_transition",
        )

    @staticmethod
    def _moved_on(process: Process, case: CaseView, timer: Any) -> bool:
        if timer.state is not None:
            return bool(case.state != timer.state)
        return process.transition(case.state, timer.action) is None

    def _due_on(self, case: CaseState, calendar: WorkingCalendar) -> date | None:
        return case.clock.due(calendar) if case.clock.status is ClockStatus.RUNNING else None

    def _arms(self, specs: tuple[TimerSpec, ...], now: datetime) -> list[TimerArm]:
        return [
            TimerArm(s.key, s.action, s.state,
                     now + timedelta(hours=s.hours) if s.hours is not None else self.due_at(s.due_on))
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
        timer_id: int | None = None,
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
            clock=json_text(after.clock),
            data=json_text(after.data),
            due_on=self._due_on(after, calendar),
            now=now,
            action=move.action,
            from_state=move.source,
            actor_sub=actor.sub if actor else TIMER_ACTOR,
            actor_roles=json_text(_roles(actor)),
            payload=json_text(payload) if payload else None,
            cancel_all=move.cancel_all_timers,
            cancel_state=move.cancel_state_timers,
            cancel_keys=move.cancel_keys,
            arm=self._arms(move.arm, now),
            timer_id=timer_id,
        )

    @staticmethod
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
            actor_sub=step.actor_sub,
            actor_roles=msgspec.json.decode(step.actor_roles),
            at=step.now,
            payload=msgspec.json.decode(step.payload) if step.payload else None,
        )
        return Fired(case=view, event=event, moved=move.moved)

    # -- reading ------------------------------------------------------------------------------

    async def events(self, case_id: int) -> list[EventView]:
        async with self._ctx.engine.connect() as conn:
            rows = await conn.execute(
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

    async def timers(self, case_id: int) -> list[TimerView]:
        async with self._ctx.engine.connect() as conn:
            rows = await conn.execute(
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
            if t.status == PENDING else t
            for t in timers
        ]

    # -- timers -------------------------------------------------------------------------------

    async def timer_backlog(self) -> TimerBacklog:
        """Pending timers, and those past due that no worker has fired yet (a stalled worker shows here)."""
        now = self._ctx.clock.now()
        async with self._ctx.engine.connect() as conn:
            pending = await conn.scalar(select(func.count()).select_from(TIMERS).where(TIMERS.c.status == PENDING))
            overdue, oldest = (await conn.execute(
                select(func.count(), func.min(TIMERS.c.due_at)).where(TIMERS.c.status == PENDING,
                                                                       TIMERS.c.due_at <= now))).one()
        if isinstance(oldest, str):  # SQLite returns the aggregate as text
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        lag = (now - oldest).total_seconds() if oldest is not None else 0.0
        return TimerBacklog(pending=int(pending or 0), overdue=int(overdue or 0), oldest_overdue_seconds=lag)

    async def run_due_timers(
        self, worker: str, *, limit: int = 50, lease: timedelta = timedelta(minutes=5)
    ) -> TimerRun:
        """Claim up to ``limit`` due timers and fire each in its own transaction."""
        run = TimerRun()
        for timer in await self._claim(worker, limit, lease):
            run.claimed += 1
            outcome = await self._fire_timer(timer)
            setattr(run, outcome, getattr(run, outcome) + 1)
        return run

    async def _claim(self, worker: str, limit: int, lease: timedelta) -> list[Any]:
        now = self._ctx.clock.now()
        due = (
            select(TIMERS.c.id)
            .where(
                TIMERS.c.status == PENDING,
                TIMERS.c.due_at <= now,
                (TIMERS.c.claimed_until.is_(None)) | (TIMERS.c.claimed_until < now),
            )
            .order_by(TIMERS.c.due_at, TIMERS.c.id)
            .limit(limit)
        )
        claim = update(TIMERS).values(claimed_by=worker, claimed_until=now + lease)
        if self._is_postgres:  # rows another worker holds are skipped, not waited for
            due_cte = due.with_for_update(skip_locked=True).cte("due")
            claim = claim.where(TIMERS.c.id == due_cte.c.id)
        else:  # SQLite: one writer at a time; the statement is atomic
            claim = claim.where(TIMERS.c.id.in_(due.scalar_subquery()))
        claim = claim.returning(
            TIMERS.c.id, TIMERS.c.case_id, TIMERS.c.key, TIMERS.c.action, TIMERS.c.state, TIMERS.c.due_at
        )
        async with self._leases.lease() as (conn, _), conn.begin():
            return list(await conn.execute(claim))

    async def _fire_timer(self, timer: Any) -> str:
        try:
            fired = await self._step(timer.case_id, timer.action, None, None, {}, timer=timer)
            return "fired" if fired is not None else "dropped"
        except _TimerGone:
            return "dropped"
        except Conflict:
            await self._release(timer.id)
            return "retry"
        except DBAPIError:
            log.warning(
                "timer %s: database error; it will be retried after its lease", timer.id, exc_info=True
            )
            return "retry"
        except Exception as exc:  # a bug in an effect handler or a facts builder: park it, visibly
            log.exception("timer %s failed", timer.id)
            async with self._leases.lease() as (_, raw):
                await self._end_timer(
                    raw, timer.id, FAILED, self._ctx.clock.now(), f"{type(exc).__name__}: {exc}"[:2000]
                )
            return "failed"

    async def _end_timer(
        self, raw: Any, timer_id: int, status: str, now: datetime, detail: str, *, commit: bool = True
    ) -> None:
        await self._sql.end_timer(raw, timer_id, status, now, detail, commit=commit)

    async def _release(self, timer_id: int) -> None:
        async with self._leases.lease() as (conn, _), conn.begin():
            await conn.execute(
                update(TIMERS)
                .where(TIMERS.c.id == timer_id, TIMERS.c.status == PENDING)
                .values(claimed_by=None, claimed_until=None)
            )
