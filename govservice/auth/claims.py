"""The claims of a token whose signature is verified: checked, then turned into an Actor. Pure.

Times are checked against the ``now`` the caller passes (the service's clock), with ``leeway``
seconds for clock skew between the issuer and this service.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from govservice.domain.actor import Actor, Role
from govservice.errors import NotAuthenticated

MAX_SUBJECT_LENGTH = 255
_ROLES = {role.value: role for role in Role}


def actor_from_claims(
    claims: Mapping[str, Any], *, issuer: str, audience: str, now: float, leeway: float
) -> Actor:
    for required in ("sub", "exp", "aud", "iss"):
        if required not in claims:
            raise _invalid(f"the token has no '{required}' claim")
    if claims["iss"] != issuer:
        raise _invalid("the token was issued by another issuer")
    aud = claims["aud"]
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or audience not in audiences:
        raise _invalid("the token is meant for another audience")
    _check_times(claims, now, leeway)
    return _actor(claims)


def _check_times(claims: Mapping[str, Any], now: float, leeway: float) -> None:
    exp = _timestamp(claims, "exp")
    nbf = _timestamp(claims, "nbf")
    iat = _timestamp(claims, "iat")
    if exp is None or now >= exp + leeway:
        raise NotAuthenticated("the token has expired", code="token_expired")
    if nbf is not None and now + leeway < nbf:
        raise NotAuthenticated("the token is not valid yet", code="token_not_yet_valid")
    if iat is not None and now + leeway < iat:
        raise NotAuthenticated("the token was issued in the future", code="token_not_yet_valid")


def _timestamp(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    # bool is an int in Python; NaN and infinity would make every comparison meaningless.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(f"the token's '{name}' claim is not a NumericDate")
    return float(value)


def _actor(claims: Mapping[str, Any]) -> Actor:
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub or len(sub) > MAX_SUBJECT_LENGTH:
        raise _invalid(f"the token's subject must be a string of 1-{MAX_SUBJECT_LENGTH} characters")
    raw_roles = claims.get("roles", [])
    if not isinstance(raw_roles, list):
        raise _invalid("the token's 'roles' claim must be a list")
    # Roles this service does not know (another application's, at a shared identity provider) are ignored.
    roles = frozenset(_ROLES[r] for r in raw_roles if isinstance(r, str) and r in _ROLES)
    name, ent, unit = claims.get("name"), claims.get("ent"), claims.get("unit")
    return Actor(
        sub=sub,
        name=name if isinstance(name, str) and name else sub,
        roles=roles,
        ent=ent if isinstance(ent, str) else None,
        unit=unit if isinstance(unit, str) else None,
    )


def _invalid(detail: str) -> NotAuthenticated:
    return NotAuthenticated(detail, code="token_claims_invalid")
