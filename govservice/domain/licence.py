"""Electronic licences (电子证照): the signed content and its status.

The signature is a compact JWS whose payload is exactly :func:`canonical_bytes` of the content: its
JSON canonicalised by RFC 8785 (JCS: keys sorted, no whitespace, one spelling of each value), so anyone
holding the published JWKS can verify a licence offline and recompute the payload in any language.
Licences issued before JCS was adopted carry the content's compact JSON in field order
(:func:`signed_forms` accepts both).
"""

from __future__ import annotations

import enum
import secrets
from datetime import date

import msgspec
import rfc8785

_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


class LicenceStatus(enum.StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class LicenceContent(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    """What the department certifies; field order is fixed, so the encoding is canonical."""

    number: str
    title: str
    holder_uscc: str
    holder_name: str
    matter_code: str
    matter_name: str
    matter_version: int
    application_id: str
    issued_by: str  # unit code
    issued_on: date
    valid_from: date
    valid_until: date | None  # None: valid until revoked


def canonical_bytes(content: LicenceContent) -> bytes:
    return rfc8785.dumps(msgspec.to_builtins(content))


def signed_forms(content: LicenceContent) -> tuple[bytes, bytes]:
    """The payloads a genuine signature over ``content`` may carry: JCS, or the earlier field-order JSON."""
    return canonical_bytes(content), msgspec.json.encode(content)


def new_licence_number(year: int) -> str:
    """Unguessable, so that licences cannot be enumerated through the public verification."""
    return f"FR{year}-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(10))


def effective_status(recorded: LicenceStatus, valid_until: date | None, today: date) -> LicenceStatus:
    """A valid licence past its end date reads as expired; revocation and suspension stand."""
    if recorded is LicenceStatus.VALID and valid_until is not None and today > valid_until:
        return LicenceStatus.EXPIRED
    return recorded
