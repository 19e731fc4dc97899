"""What the engine keeps beside its cases: the published process definitions and the calendars that
cases pin, cached in the process. Reads run on the caller's session when it has one (a unit of work
never takes a second connection), on a short one of their own otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models.workflow import WorkflowCalendarRow, WorkflowDefinitionRow
from govservice.db.upsert import insert_for
from govservice.domain.calendar import WorkingCalendar
from govservice.errors import Conflict, NotFound
from govservice.services import engine_store as store
from govservice.services.context import ServiceContext
from govservice.workflow import (
    InvalidDefinition,
    Process,
    ProcessDefinition,
    Registry,
    compile_process,
    load_directory,
)

DEFINITIONS = WorkflowDefinitionRow.__table__
CALENDARS = WorkflowCalendarRow.__table__


class EngineCatalog:
    def __init__(self, ctx: ServiceContext, registry: Registry, calendar: WorkingCalendar) -> None:
        self._ctx = ctx
        self._registry = registry
        self.calendar = calendar
        self._processes: dict[tuple[str, int], Process] = {}
        self._calendars: dict[str, WorkingCalendar] = {calendar.version: calendar}
        self._calendar_stored = False

    # -- definitions --------------------------------------------------------------------------

    async def publish(self, process: Process, *, source: str | None = None, by: str = "system") -> bool:
        """Store a definition under (id, version). True if new, False if already there unchanged;
        ``Conflict(definition_changed)`` if that version was published with other content."""
        async with self._ctx.transaction() as session:
            existing = (
                await session.execute(
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
            await session.execute(
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

    async def process(
        self, process_id: str, version: int | None = None, session: AsyncSession | None = None
    ) -> Process:
        """A published process: ``version``, or the latest (read from the database each time, so a
        version another process published is taken up at once)."""
        if version is None:
            async with self._ctx.reading(session) as reading:
                version = await store.latest_version(reading, DEFINITIONS, process_id)
            if version is None:
                raise NotFound(f"no process {process_id!r} is published", code="process_not_found")
        cached = self._processes.get((process_id, version))
        if cached is not None:
            return cached
        async with self._ctx.reading(session) as reading:
            raw = (
                await reading.execute(
                    select(DEFINITIONS.c.definition).where(
                        DEFINITIONS.c.process_id == process_id, DEFINITIONS.c.version == version
                    )
                )
            ).scalar()
        if raw is None:
            raise NotFound(
                f"process {process_id!r} version {version} is not published", code="process_not_found"
            )
        process = compile_process(
            msgspec.convert(raw, ProcessDefinition),
            registry=self._registry,
            file=f"{process_id} v{version} (stored)",
        )
        self._processes[(process_id, version)] = process
        return process

    # -- calendars ----------------------------------------------------------------------------

    async def store_calendar(self, session: AsyncSession | None = None) -> None:
        """Keep the calendar this process runs with in the database, for the cases that pin it."""
        if self._calendar_stored:
            return
        statement = (
            insert_for(session or self._ctx.engine, CALENDARS)
            .values(
                version=self.calendar.version,
                first_year=self.calendar.first_year,
                last_year=self.calendar.last_year,
                content=self.calendar.to_builtins(),
                created_at=self._ctx.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["version"])
        )
        if session is not None:
            await session.execute(statement)  # stored once the caller commits: not asked again after that
            event.listen(session.sync_session, "after_commit", self._calendar_committed, once=True)
        else:
            async with self._ctx.transaction() as own:
                await own.execute(statement)
            self._calendar_stored = True

    def _calendar_committed(self, _session: Any) -> None:
        self._calendar_stored = True

    def pinned(self, version: str) -> WorkingCalendar:
        """The calendar a case pinned if this process has loaded it, else the current one."""
        return self._calendars.get(version, self.calendar)

    async def calendar_for(self, version: str, session: AsyncSession | None = None) -> WorkingCalendar:
        """The calendar a case pinned, lent the official years published since (the pinned ones win)."""
        calendar = self._calendars.get(version)
        if calendar is None:
            async with self._ctx.reading(session) as reading:
                content = (
                    await reading.execute(select(CALENDARS.c.content).where(CALENDARS.c.version == version))
                ).scalar()
            if content is None:
                raise NotFound(f"calendar {version} is not stored", code="calendar_not_found")
            calendar = WorkingCalendar.from_builtins(content).extended_with(self.calendar)
            self._calendars[version] = calendar
        return calendar
