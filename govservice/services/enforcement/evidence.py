"""Evidence files of an inspection (photos, scanned records): added by its officers, stored
content-addressed, their SHA-256 kept so a file cannot be swapped without it showing."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import EvidenceRow, InspectionRow
from govservice.domain.actor import Actor, Role
from govservice.domain.catalogue import MEDIA_TYPES, FileFormat
from govservice.errors import Forbidden, NotFound
from govservice.services.access import ensure_visible
from govservice.services.applications.uploads import check_file
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext

ALLOWED = (FileFormat.JPG, FileFormat.PNG, FileFormat.PDF)
MAX_BYTES = 20 * 1024 * 1024


class EvidenceView(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    inspection_id: int
    sha256: str
    filename: str
    file_format: str
    size: int
    note: str | None
    uploaded_at: datetime
    uploaded_by: str


def _view(row: EvidenceRow) -> EvidenceView:
    return EvidenceView(
        id=row.id,
        inspection_id=row.inspection_id,
        sha256=row.sha256,
        filename=row.filename,
        file_format=row.file_format,
        size=row.size,
        note=row.note,
        uploaded_at=row.uploaded_at,
        uploaded_by=row.uploaded_by,
    )


class EvidenceService:
    def __init__(self, ctx: ServiceContext, audit: AuditLog | None = None) -> None:
        self._ctx = ctx
        self._audit = audit

    @staticmethod
    async def _inspection(session: AsyncSession, actor: Actor, inspection_id: int) -> InspectionRow:
        """The inspection, if ``actor`` may see it: another unit's is absent (404)."""
        row = await session.get(InspectionRow, inspection_id)
        missing = NotFound(f"inspection {inspection_id} does not exist", code="inspection_not_found")
        if row is None:
            raise missing
        await ensure_visible(
            session, actor, missing, unit=row.department_unit, uscc=row.uscc, to_enterprise=False
        )
        return row

    def _read(
        self, session: AsyncSession, actor: Actor, action: str, subject: str, row: InspectionRow
    ) -> None:
        if self._audit is not None:
            self._audit.add(
                session, actor, Kind.READ, action, subject, enterprise=row.uscc, unit=row.department_unit
            )

    async def add(
        self, actor: Actor, inspection_id: int, *, filename: str, content: bytes, note: str | None
    ) -> EvidenceView:
        """One unit of work: the inspection and its officers checked, the file stored (content-addressed:
        staged before the transaction, placed in it; a rollback leaves a harmless orphan), its row written."""
        assert self._ctx.files is not None
        async with self._ctx.files.staged(content) as staged, self._ctx.transaction() as session:
            inspection = await self._inspection(session, actor, inspection_id)
            if not actor.has(Role.INSPECTOR) or actor.sub not in (inspection.officer_a, inspection.officer_b):
                raise Forbidden(
                    "evidence is added by the inspection's own officers", code="not_an_inspecting_officer"
                )
            # The same checks as applications' materials: type by content and extension, which agree.
            detected, safe_name = check_file(
                filename,
                content,
                ALLOWED,
                max_bytes=MAX_BYTES,
                what="evidence (a JPG or PNG photo, or a PDF)",
            )
            digest = await staged.keep()
            row = EvidenceRow(
                inspection_id=inspection.id,
                sha256=digest,
                filename=safe_name,
                file_format=detected.value,
                size=len(content),
                note=note,
                uploaded_at=self._ctx.clock.now(),
                uploaded_by=actor.sub,
            )
            session.add(row)
            await session.flush()
            return _view(row)

    async def list(self, actor: Actor, inspection_id: int) -> list[EvidenceView]:
        """The files' list is a read of the enterprise's records: audited in the same unit of work."""
        async with self._ctx.transaction() as session:
            inspection = await self._inspection(session, actor, inspection_id)
            rows = await session.scalars(
                select(EvidenceRow).where(EvidenceRow.inspection_id == inspection_id).order_by(EvidenceRow.id)
            )
            views = [_view(r) for r in rows]
            self._read(session, actor, "list_evidence", f"inspection:{inspection_id}", inspection)
            return views

    async def content(self, actor: Actor, inspection_id: int, evidence_id: int) -> tuple[bytes, str]:
        """The file; the download is in the enterprise's data-access log, in the same unit of work."""
        async with self._ctx.transaction() as session:
            row = await session.get(EvidenceRow, evidence_id)
            if row is None or row.inspection_id != inspection_id:
                raise NotFound(
                    f"inspection {inspection_id} has no evidence {evidence_id}", code="evidence_not_found"
                )
            inspection = await self._inspection(session, actor, inspection_id)
            assert self._ctx.files is not None
            content = await self._ctx.files.get(row.sha256)
            self._read(session, actor, "download_evidence", f"evidence:{row.id}", inspection)
        return content, MEDIA_TYPES[FileFormat(row.file_format)]
