"""Bearer-token verification: the service's own key, or an outside identity provider's JWKS."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
from jose import JWTError, jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError

from govservice.auth.keys import ALGORITHM, KeyStore
from govservice.config import Settings
from govservice.domain.actor import Actor, Role
from govservice.domain.clock import Clock
from govservice.errors import NotAuthenticated

log = logging.getLogger("govservice.auth")

# Asymmetric only: an HMAC algorithm would let a public key be used as a shared secret.
_ACCEPTED = {"ES256", "ES384", "RS256", "RS384", "RS512", "PS256"}


class Authenticator:
    def __init__(
        self, settings: Settings, keys: KeyStore, clock: Clock, http: httpx.AsyncClient | None = None
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._clock = clock
        self._http = http
        self._external: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None

    async def authenticate(self, token: str) -> Actor:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise NotAuthenticated("the bearer token is not a well-formed JWT", code="token_invalid") from exc
        alg = header.get("alg")
        if alg not in _ACCEPTED:
            raise NotAuthenticated(f"token algorithm {alg!r} is not accepted", code="token_invalid")
        if "enc" in header:
            raise NotAuthenticated("encrypted tokens (JWE) are not accepted", code="token_invalid")
        kid = header.get("kid")
        if kid == self._keys.kid:
            key, issuer, audience = self._keys.public_jwk, self._settings.issuer, self._settings.audience
        else:
            key = await self._external_key(kid)
            issuer, audience = self._settings.external_issuer, self._settings.external_audience
        if key.get("alg") not in (None, alg):
            raise NotAuthenticated("token algorithm does not match its key", code="token_invalid")
        claims = self._decode(token, key, alg, issuer, audience)
        return _actor(claims)

    def _decode(self, token: str, key: dict[str, Any], alg: str, issuer: str | None, audience: str | None
                ) -> dict[str, Any]:
        try:
            # Time claims are checked below against the service's clock, not jose's system clock
            # (jose's require_exp would switch its own check back on, so presence is checked there too).
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[alg], audience=audience, issuer=issuer,
                options={"require_sub": True, "require_aud": True,
                         "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except ExpiredSignatureError as exc:
            raise NotAuthenticated("the token has expired", code="token_expired") from exc
        except JWTClaimsError as exc:
            raise NotAuthenticated(f"the token's claims are not acceptable: {exc}", code="token_invalid") from exc
        except JWTError as exc:
            raise NotAuthenticated(f"the token is not valid: {exc}", code="token_invalid") from exc
        now = self._clock.now().timestamp()
        leeway = 30
        exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
        if not isinstance(exp, int | float) or exp <= now - leeway:
            raise NotAuthenticated("the token has expired", code="token_expired")
        if nbf is not None and (not isinstance(nbf, int | float) or nbf > now + leeway):
            raise NotAuthenticated("the token is not valid yet", code="token_not_yet_valid")
        if not isinstance(iat, int | float) or iat > now + leeway:
            raise NotAuthenticated("the token was issued in the future", code="token_not_yet_valid")
        return claims

    async def _external_key(self, kid: Any) -> dict[str, Any]:
        if not self._settings.jwks_url or not isinstance(kid, str):
            raise NotAuthenticated("the token's signing key is unknown", code="unknown_key")
        key = self._external.get(kid)
        if key is None and self._may_refetch():
            await self._refetch()
            key = self._external.get(kid)
        if key is None:
            raise NotAuthenticated("the token's signing key is unknown", code="unknown_key")
        return key

    def _may_refetch(self) -> bool:
        if self._fetched_at is None:
            return True
        return time.monotonic() - self._fetched_at >= self._settings.jwks_refetch_seconds

    async def _refetch(self) -> None:
        assert self._settings.jwks_url is not None
        self._fetched_at = time.monotonic()
        http = self._http or httpx.AsyncClient(timeout=5.0)
        try:
            response = await http.get(self._settings.jwks_url)
            response.raise_for_status()
            keys = response.json().get("keys", [])
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.warning("could not fetch the identity provider's JWKS from %s: %s", self._settings.jwks_url, exc)
            return
        finally:
            if self._http is None:
                await http.aclose()
        self._external = {
            k["kid"]: k for k in keys
            if isinstance(k, dict) and isinstance(k.get("kid"), str) and k.get("kty") in {"RSA", "EC"}
        }


def _actor(claims: dict[str, Any]) -> Actor:
    raw_roles = claims.get("roles", [])
    if not isinstance(raw_roles, list):
        raise NotAuthenticated("the token's roles claim must be a list", code="token_invalid")
    roles = frozenset(Role(r) for r in raw_roles if isinstance(r, str) and r in Role._value2member_map_)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise NotAuthenticated("the token has no subject", code="token_invalid")
    ent, unit = claims.get("ent"), claims.get("unit")
    return Actor(
        sub=sub,
        name=str(claims.get("name") or sub),
        roles=roles,
        ent=ent if isinstance(ent, str) else None,
        unit=unit if isinstance(unit, str) else None,
    )
