from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from jose import jws, jwt

from govservice.auth.keys import ALGORITHM, KeyStore


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
    return jwt.encode(claims, keys.private_pem, algorithm=ALGORITHM, headers={"kid": keys.kid})


def sign_detached(keys: KeyStore, payload: bytes) -> str:
    """A compact JWS over ``payload`` (e-licences): verifiable with the published JWKS alone."""
    return jws.sign(payload, keys.private_pem, algorithm=ALGORITHM, headers={"kid": keys.kid})


def verify_detached(keys: KeyStore, token: str) -> bytes:
    return jws.verify(token, keys.public_jwk, algorithms=[ALGORITHM])  # type: ignore[no-any-return]
