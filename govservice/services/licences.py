"""E-licence verification: anyone may check a licence by number, offline with the JWKS too."""

from __future__ import annotations

import io
from datetime import date, datetime

import msgspec
import segno

from govservice.auth import InvalidSignature, verify_document
from govservice.db.models import LicenceRow
from govservice.domain.licence import LicenceContent, LicenceStatus, effective_status, signed_forms
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


class SignatureCheck(msgspec.Struct, kw_only=True, frozen=True):
    """The server's own check of a licence's signature, as the verification page shows it."""

    valid: bool
    key_id: str | None  # the signing key of the published JWKS, when the signature is valid
    signed_by: str  # who signs licences: this service's issuer name
    signed_on: date  # the licence is signed when it is issued
    problem: str | None = None  # why the check failed


class LicenceService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def verify_url(self, number: str) -> str:
        """The QR target: the public verification page (the JSON stays at /api/v1/licences/{number})."""
        return f"{self._ctx.settings.public_base_url}/verify/{number}"

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

    def check_signature(self, view: LicenceView) -> SignatureCheck:
        """Verify the licence's signature with the published key and that it covers exactly its content.
        The one place that knows which key signs licences."""
        keys = self._ctx.signing_keys
        problem: str | None = None
        key_id: str | None = None
        if keys is None:
            problem = "this process holds no signing key"
        else:
            try:  # the document key, active or retired (licences outlive a rotation)
                signed = verify_document(keys, view.signature)
                if signed.payload in signed_forms(view.content):
                    key_id = signed.kid
                else:
                    problem = "the signature does not cover this content"
            except InvalidSignature as exc:
                problem = str(exc)
        return SignatureCheck(
            valid=problem is None,
            key_id=key_id,
            signed_by=self._ctx.settings.issuer,
            signed_on=view.content.issued_on,
            problem=problem,
        )

    async def qr_svg(self, number: str) -> bytes:
        async with self._ctx.sessions() as session:
            if await session.get(LicenceRow, number) is None:
                raise NotFound(f"no licence numbered {number}", code="licence_not_found")
        buffer = io.BytesIO()
        segno.make(self.verify_url(number), error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
        return buffer.getvalue()
