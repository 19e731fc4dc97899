"""Signing with the service's own keys: bearer tokens (the token key) and documents (e-licences,
the document key); see :mod:`.keys` for their rotation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jose import jws, jwt
from jose.exceptions import JOSEError

from govservice.auth.keys import ALGORITHM, KeyStore, Purpose

TOKEN_TYPE = "JWT"
# Explicit typing (RFC 8725 §3.11): a signed document is never accepted as a bearer token, nor
# a token as a document signature (keys of both purposes are published in one JWKS).
DOCUMENT_TYPE = "JOSE"


def mint_token(
    keys: KeyStore,
    *,
    issuer: str,
    audience: str,
    sub: str,
    roles: Iterable[str],
    now: datetime,
    ttl_seconds: int,
    name: str | None = None,
    ent: str | None = None,
    unit: str | None = None,
) -> str:
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "sub": sub,
        "name": name or sub,
        "roles": sorted(set(roles)),
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
    }
    if ent:
        claims["ent"] = ent
    if unit:
        claims["unit"] = unit
    return jwt.encode(
        claims, keys.private_pem, algorithm=ALGORITHM, headers={"kid": keys.kid, "typ": TOKEN_TYPE}
    )


def sign_detached(keys: KeyStore, payload: bytes) -> str:
    """A compact JWS over ``payload`` (e-licences) with the document key: verifiable with the
    published JWKS alone."""
    key = keys.document
    return jws.sign(
        payload, key.private_pem, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": DOCUMENT_TYPE}
    )


class InvalidSignature(ValueError):
    """The signature is not this service's signature over a document."""


@dataclass(frozen=True, slots=True)
class VerifiedDocument:
    payload: bytes
    kid: str  # the document key that signed it: the active one or a retired one


def verify_document(keys: KeyStore, token: str) -> VerifiedDocument:
    """The signed payload and its key; raises :class:`InvalidSignature` for anything else, bearer
    tokens included. Documents signed with a retired document key still verify."""
    try:
        header = jws.get_unverified_header(token)
        kid = header.get("kid")
        public = (
            keys.verifying_key(Purpose.DOCUMENT, kid, datetime.now(UTC)) if isinstance(kid, str) else None
        )
        if header.get("typ") != DOCUMENT_TYPE or public is None:
            raise InvalidSignature("not a document signed by this service")
        return VerifiedDocument(payload=jws.verify(token, public, algorithms=[ALGORITHM]), kid=str(kid))
    except JOSEError as exc:
        raise InvalidSignature(str(exc)) from exc


def verify_detached(keys: KeyStore, token: str) -> bytes:
    return verify_document(keys, token).payload
