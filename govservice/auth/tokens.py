"""Signing with the service's own key: bearer tokens, and detached signatures (e-licences)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from jose import jws, jwt
from jose.exceptions import JOSEError

from govservice.auth.keys import ALGORITHM, KeyStore

TOKEN_TYPE = "JWT"
# Explicit typing (RFC 8725 §3.11): a signed document is never accepted as a bearer token, nor
# a token as a document signature, although both are signed with the same key.
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
    """A compact JWS over ``payload`` (e-licences): verifiable with the published JWKS alone."""
    return jws.sign(
        payload, keys.private_pem, algorithm=ALGORITHM, headers={"kid": keys.kid, "typ": DOCUMENT_TYPE}
    )


class InvalidSignature(ValueError):
    """The signature is not this service's signature over a document."""


def verify_detached(keys: KeyStore, token: str) -> bytes:
    """The signed payload; raises :class:`InvalidSignature` for anything else, bearer tokens included."""
    try:
        header = jws.get_unverified_header(token)
        if header.get("typ") != DOCUMENT_TYPE or header.get("kid") != keys.kid:
            raise InvalidSignature("not a document signed by this service")
        return jws.verify(token, keys.public_jwk, algorithms=[ALGORITHM])
    except JOSEError as exc:
        raise InvalidSignature(str(exc)) from exc
