"""E-licence verification: anyone may check a licence by number, offline with the JWKS too."""

from __future__ import annotations

import io
from datetime import date, datetime

import msgspec
import segno

from govservice.db.models import LicenceRow
from govservice.domain.licence import LicenceContent, LicenceStatus, effective_status
from govservice.errors import NotFound
from govservice.services.context import ServiceContext


class LicenceView(msgspec.Struct, kw_only=True, rename="camel"):
    number: str
    status: LicenceStatus
    status_reason: str | None
    status_changed_at: datetime | None
    content: LicenceContent
    signature: str  # compact JWS; its payload is the canonical JSON of `content`
    jwks_url: str
    verify_url: str


class LicenceService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def verify_url(self, number: str) -> str:
        return f"{self._ctx.settings.public_base_url}/api/v1/licences/{number}"

    async def get(self, number: str, today: date) -> LicenceView:
        async with self._ctx.sessions() as session:
            row = await session.get(LicenceRow, number)
        if row is None:
            raise NotFound(f"no licence numbered {number}", code="licence_not_found")
        content = msgspec.convert(row.content, LicenceContent)
        return LicenceView(
            number=row.number,
            status=effective_status(LicenceStatus(row.status), content.valid_until, today),
            status_reason=row.status_reason,
            status_changed_at=row.status_changed_at,
            content=content,
            signature=row.signature,
            jwks_url=f"{self._ctx.settings.public_base_url}/.well-known/jwks.json",
            verify_url=self.verify_url(number),
        )

    async def qr_svg(self, number: str) -> bytes:
        async with self._ctx.sessions() as session:
            if await session.get(LicenceRow, number) is None:
                raise NotFound(f"no licence numbered {number}", code="licence_not_found")
        buffer = io.BytesIO()
        segno.make(self.verify_url(number), error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
        return buffer.getvalue()
