"""The package's recorded services: the annual fire-safety check-up (scheduled once a year,
completed with findings and a PDF report) and the compliance-and-training plan with its
training sessions. Recorded by the adviser (or a supervisor of the adviser's unit, or an admin);
visible to the enterprise."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import CheckupRow, KeyEnterpriseRow, ServiceRecordRow
from govservice.domain.actor import Actor
from govservice.domain.catalogue import FileFormat
from govservice.errors import Conflict, Forbidden, NotFound, RuleViolation
from govservice.services.applications.uploads import check_file
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.key_enterprises.registry import KeyEnterpriseRegistry

MAX_REPORT_BYTES = 20 * 1024 * 1024
REPORT_FORMATS = (FileFormat.PDF,)


class Severity(enum.StrEnum):
    HAZARD = "hazard"  # a fire hazard to remove
    ADVICE = "advice"  # an improvement advised


class Finding(msgspec.Struct, kw_only=True, rename="camel"):
    item: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    severity: Severity
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    rectify_by: date | None = None


class ReportView(msgspec.Struct, kw_only=True, rename="camel"):
    filename: str
    sha256: str
    size: int


class CheckupView(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    uscc: str
    year: int
    scheduled_on: date
    status: str  # scheduled | report_filed | completed
    completed_on: date | None
    findings: list[Finding]
    report: ReportView | None


class RecordKind(enum.StrEnum):
    COMPLIANCE_PLAN = "compliance_plan"
    TRAINING = "training"


class ServiceRecordView(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    uscc: str
    kind: RecordKind
    title: str
    held_on: date
    summary: str
    attendees: int | None
    recorded_by: str
    recorded_at: datetime


def _checkup_view(row: CheckupRow) -> CheckupView:
    report = (
        ReportView(
            filename=row.report_filename or "report.pdf", sha256=row.report_sha256, size=row.report_size or 0
        )
        if row.report_sha256
        else None
    )
    status = "completed" if row.completed_on else ("report_filed" if report else "scheduled")
    return CheckupView(
        id=row.id,
        uscc=row.uscc,
        year=row.year,
        scheduled_on=row.scheduled_on,
        status=status,
        completed_on=row.completed_on,
        findings=msgspec.convert(row.findings or [], list[Finding]),
        report=report,
    )


def _record_view(row: ServiceRecordRow) -> ServiceRecordView:
    return ServiceRecordView(
        id=row.id,
        uscc=row.uscc,
        kind=RecordKind(row.kind),
        title=row.title,
        held_on=row.held_on,
        summary=row.summary,
        attendees=row.attendees,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


class CareService:
    def __init__(self, ctx: ServiceContext, registry: KeyEnterpriseRegistry, audit: AuditLog) -> None:
        self._ctx = ctx
        self._registry = registry
        self._audit = audit

    async def _served(self, session: AsyncSession, actor: Actor, uscc: str) -> KeyEnterpriseRow:
        row = await self._registry.entry_for(session, actor, uscc)
        if not self._registry.serves(actor, row):
            raise Forbidden(
                "the package's services are recorded by the enterprise's adviser, a supervisor of "
                "the adviser's unit or an admin",
                code="not_your_enterprise",
            )
        return row

    def _read(self, session: AsyncSession, actor: Actor, uscc: str, what: str) -> None:
        """An audited read: its entry is written in the read's own transaction."""
        self._audit.add(session, actor, Kind.READ, what, f"enterprise:{uscc}", enterprise=uscc)

    # -- check-ups ------------------------------------------------------------------------------

    async def schedule_checkup(
        self, actor: Actor, uscc: str, *, year: int, scheduled_on: date
    ) -> CheckupView:
        if scheduled_on.year != year:
            raise RuleViolation(
                f"the {year} check-up is scheduled within {year}",
                code="invalid_period",
                errors=[{"field": "scheduledOn", "message": f"not in {year}"}],
            )
        async with self._ctx.transaction() as session:
            await self._served(session, actor, uscc)
            existing = await session.scalar(
                select(CheckupRow.id).where(CheckupRow.uscc == uscc, CheckupRow.year == year)
            )
            if existing is not None:
                raise Conflict(
                    f"the {year} check-up of {uscc} is already scheduled (one a year)", code="checkup_exists"
                )
            row = CheckupRow(
                uscc=uscc,
                year=year,
                scheduled_on=scheduled_on,
                scheduled_by=actor.sub,
                created_at=self._ctx.clock.now(),
            )
            session.add(row)
            await session.flush()
            view = _checkup_view(row)
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "schedule_checkup",
                f"checkup:{view.id}",
                enterprise=uscc,
                detail={"year": year},
            )
        return view

    async def _checkup(self, session: AsyncSession, uscc: str, year: int) -> CheckupRow:
        row = await session.scalar(select(CheckupRow).where(CheckupRow.uscc == uscc, CheckupRow.year == year))
        if row is None:
            raise NotFound(f"no {year} check-up is scheduled for {uscc}", code="checkup_not_found")
        return row

    async def file_report(
        self, actor: Actor, uscc: str, year: int, *, filename: str, content: bytes
    ) -> CheckupView:
        # as materials and evidence: the content and the name's extension must both say PDF
        _, safe_name = check_file(
            filename, content, REPORT_FORMATS, max_bytes=MAX_REPORT_BYTES, what="the check-up report"
        )
        assert self._ctx.files is not None
        async with self._ctx.files.staged(content) as staged, self._ctx.transaction() as session:
            await self._served(session, actor, uscc)
            row = await self._checkup(session, uscc, year)
            if row.completed_on is not None:
                raise Conflict(
                    f"the {year} check-up is completed; its report is final", code="checkup_completed"
                )
            digest = await staged.keep()
            row.report_sha256, row.report_filename, row.report_size = digest, safe_name, len(content)
            await session.flush()
            view = _checkup_view(row)
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "file_checkup_report",
                f"checkup:{view.id}",
                enterprise=uscc,
                detail={"sha256": digest},
            )
        return view

    async def complete_checkup(
        self, actor: Actor, uscc: str, year: int, *, completed_on: date, findings: list[Finding]
    ) -> CheckupView:
        if completed_on > self._registry.today():
            raise RuleViolation(
                "a check-up cannot be completed in the future",
                code="date_in_future",
                errors=[{"field": "completedOn", "message": "after today"}],
            )
        async with self._ctx.transaction() as session:
            await self._served(session, actor, uscc)
            row = await self._checkup(session, uscc, year)
            if row.completed_on is not None:
                raise Conflict(f"the {year} check-up is already completed", code="checkup_completed")
            if row.report_sha256 is None:
                raise RuleViolation(
                    "file the check-up report (PDF) before completing it", code="report_missing"
                )
            if completed_on < row.scheduled_on:
                raise RuleViolation(
                    "completed before it was scheduled",
                    code="invalid_period",
                    errors=[{"field": "completedOn", "message": "before scheduledOn"}],
                )
            row.completed_on, row.completed_by = completed_on, actor.sub
            row.findings = [msgspec.to_builtins(f) for f in findings]
            await session.flush()
            view = _checkup_view(row)
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "complete_checkup",
                f"checkup:{view.id}",
                enterprise=uscc,
                detail={"findings": len(findings)},
            )
        return view

    async def checkups(self, actor: Actor, uscc: str) -> list[CheckupView]:
        async with self._ctx.transaction() as session:
            await self._registry.entry_for(session, actor, uscc)
            rows = await session.scalars(
                select(CheckupRow).where(CheckupRow.uscc == uscc).order_by(CheckupRow.year)
            )
            views = [_checkup_view(r) for r in rows]
            self._read(session, actor, uscc, "list_checkups")
        return views

    async def report(self, actor: Actor, uscc: str, year: int) -> tuple[bytes, str]:
        async with self._ctx.transaction() as session:
            await self._registry.entry_for(session, actor, uscc)
            row = await self._checkup(session, uscc, year)
            if row.report_sha256 is None:
                raise NotFound(f"the {year} check-up has no report yet", code="report_not_found")
            assert self._ctx.files is not None
            content = await self._ctx.files.get(row.report_sha256)  # audited only once it is read
            self._read(session, actor, uscc, "read_checkup_report")
        return content, row.report_filename or "report.pdf"

    # -- plan and training ----------------------------------------------------------------------

    async def add_record(
        self,
        actor: Actor,
        uscc: str,
        *,
        kind: RecordKind,
        title: str,
        held_on: date,
        summary: str,
        attendees: int | None,
    ) -> ServiceRecordView:
        async with self._ctx.transaction() as session:
            await self._served(session, actor, uscc)
            row = ServiceRecordRow(
                uscc=uscc,
                kind=kind.value,
                title=title,
                held_on=held_on,
                summary=summary,
                attendees=attendees,
                recorded_by=actor.sub,
                recorded_at=self._ctx.clock.now(),
            )
            session.add(row)
            await session.flush()
            view = _record_view(row)
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                f"record_{kind.value}",
                f"service_record:{view.id}",
                enterprise=uscc,
            )
        return view

    async def records(self, actor: Actor, uscc: str, kind: RecordKind | None) -> list[ServiceRecordView]:
        query = select(ServiceRecordRow).where(ServiceRecordRow.uscc == uscc)
        if kind is not None:
            query = query.where(ServiceRecordRow.kind == kind.value)
        async with self._ctx.transaction() as session:
            await self._registry.entry_for(session, actor, uscc)
            views = [
                _record_view(r)
                for r in await session.scalars(query.order_by(ServiceRecordRow.held_on, ServiceRecordRow.id))
            ]
            self._read(session, actor, uscc, "list_service_records")
        return views
