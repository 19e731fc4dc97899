"""Bearer-token verification: the service's own key, or an outside identity provider's JWKS.

Every refusal is a :class:`NotAuthenticated` (401) with one of these stable codes:

* token_malformed           not a compact JWS (three base64url parts), longer than MAX_TOKEN_LENGTH,
                            or a header or payload that is not a JSON object
* token_header_rejected     an encrypted token (JWE), ``crit``, ``zip``, ``b64``, a key or a key URL in
                            the header (``jwk``, ``jku``, ``x5c``, ``x5u``), or, on a token naming this
                            service's key, a ``typ`` other than JWT (a signed document is no token)
* token_algorithm_rejected  ``alg`` none, HMAC or unsupported, or not an algorithm of the key ``kid`` names
* token_key_unknown         no ``kid``, or one that is neither this service's nor the identity provider's
* token_signature_invalid   the signature does not match
* token_expired, token_not_yet_valid, token_claims_invalid   see :mod:`govservice.auth.claims`

The verification key is chosen by ``kid`` alone, among keys the service already trusts, and the
algorithm must be one that key is for: the service's key verifies ES256 only, so an ``HS256``
token "signed" with the published public key, or an ``RS256`` token naming our kid, is refused
before any signature is computed. Headers that carry keys or key URLs are refused, not ignored:
nothing a token says is ever fetched. Own tokens are checked against the service's issuer and
audience, the identity provider's against its own, so neither can stand in for the other.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

import httpx
from jose import jwk, jws
from jose.backends.base import Key
from jose.exceptions import JOSEError

from govservice.auth.claims import actor_from_claims
from govservice.auth.jwks import RemoteKeySet
from govservice.auth.keys import ALGORITHM, KeyStore, Purpose
from govservice.auth.tokens import TOKEN_TYPE
from govservice.config import ConfigError, Settings
from govservice.domain.actor import Actor
from govservice.domain.clock import Clock
from govservice.errors import NotAuthenticated

MAX_TOKEN_LENGTH = 8192
LEEWAY_SECONDS = 30
VERIFIED_TOKENS_KEPT = 4096  # signatures remembered per process (see Authenticator._verified)

_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")  # strict base64url: no padding, no characters a decoder would skip
_REFUSED_HEADERS = ("crit", "zip", "b64", "jwk", "jku", "x5c", "x5u")


class Authenticator:
    def __init__(
        self, settings: Settings, keys: KeyStore, clock: Clock, http: httpx.AsyncClient | None = None
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._own_keys: dict[str, Key] = {}  # by kid: the active token key and retired ones in force
        # Tokens whose signature this process has checked, oldest first, with the key that checked it.
        # A client sends the same token on every request; its key is still looked up (so a key no
        # longer trusted still refuses it) and its claims (expiry) still checked each time: only the
        # signature check is not repeated while the key is the same object. A key set fetched anew
        # brings new objects, so a key replaced under the same kid checks every token again.
        self._verified: dict[str, Key] = {}
        self._clock = clock
        self._idp: RemoteKeySet | None = None
        self._idp_issuer = settings.external_issuer or ""
        self._idp_audience = settings.external_audience or ""
        if settings.jwks_url:
            if not (self._idp_issuer and self._idp_audience):
                raise ConfigError(
                    "GOVSERVICE_JWKS_URL needs GOVSERVICE_JWKS_ISSUER and GOVSERVICE_JWKS_AUDIENCE"
                )
            self._idp = RemoteKeySet(
                settings.jwks_url, http, clock, min_interval=settings.jwks_refetch_seconds
            )

    async def authenticate(self, token: str) -> Actor:
        header, payload_segment = _parse(token)
        alg, kid = header["alg"], header.get("kid")
        own = self._own_key(kid)
        if own is not None:
            # Typed (RFC 8725 §3.11): a document this service signed (typ JOSE) is no bearer token.
            if header.get("typ") != TOKEN_TYPE:
                raise _refuse(
                    "token_header_rejected", f"a token typed {header.get('typ')!r} is not a bearer token"
                )
            if alg != ALGORITHM:
                raise _refuse(
                    "token_algorithm_rejected", f"this service's key verifies {ALGORITHM} only, not {alg}"
                )
            key, issuer, audience = own, self._settings.issuer, self._settings.audience
        elif isinstance(kid, str) and self._keys.verifying_key(Purpose.DOCUMENT, kid, self._clock.now()):
            raise _refuse("token_header_rejected", "a document signed by this service is not a bearer token")
        else:
            key = await self._idp_key(kid, alg)
            issuer, audience = self._idp_issuer, self._idp_audience
        if self._verified.get(token) is not key:
            try:
                jws.verify(token, key, algorithms=[alg])
            except JOSEError as exc:
                raise _refuse("token_signature_invalid", "the token's signature does not match") from exc
            self._verified.pop(token, None)
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = key
        claims = _json_object(payload_segment, "payload")
        return actor_from_claims(
            claims, issuer=issuer, audience=audience, now=self._clock.now().timestamp(), leeway=LEEWAY_SECONDS
        )

    def _own_key(self, kid: Any) -> Key | None:
        """This service's token key named ``kid``: the active one, or a retired one still trusted."""
        if not isinstance(kid, str):
            return None
        public = self._keys.verifying_key(Purpose.TOKEN, kid, self._clock.now())
        if public is None:
            return None
        if kid not in self._own_keys:
            self._own_keys[kid] = jwk.construct(public, ALGORITHM)
        return self._own_keys[kid]

    async def _idp_key(self, kid: Any, alg: str) -> Key:
        if not isinstance(kid, str) or not kid:
            raise _refuse("token_key_unknown", "the token names no signing key ('kid')")
        trusted = await self._idp.get(kid) if self._idp is not None else None
        if trusted is None:
            raise _refuse("token_key_unknown", "the token's signing key is unknown")
        key = trusted.for_algorithm(alg)
        if key is None:
            raise _refuse("token_algorithm_rejected", f"the key {kid!r} does not verify {alg}")
        return key


def _parse(token: str) -> tuple[dict[str, Any], str]:
    """The header, checked, and the payload segment (decoded only once the signature holds)."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise _refuse("token_malformed", f"the token is longer than {MAX_TOKEN_LENGTH} characters")
    segments = token.split(".")
    if len(segments) == 5:
        raise _refuse("token_header_rejected", "encrypted tokens (JWE) are not accepted")
    # An empty signature is let through to be refused by name below (alg "none"), never verified.
    if len(segments) != 3 or not (segments[0] and segments[1] and all(map(_SEGMENT.fullmatch, segments))):
        raise _refuse("token_malformed", "the bearer token is not a signed JWT (header.payload.signature)")
    header = _json_object(segments[0], "header")
    alg = header.get("alg")
    if "enc" in header:
        raise _refuse("token_header_rejected", "encrypted tokens (JWE) are not accepted")
    refused = [name for name in _REFUSED_HEADERS if name in header]
    if refused:
        raise _refuse(
            "token_header_rejected", f"the token's header has parameters this service refuses: {refused}"
        )
    if not isinstance(alg, str) or not alg:
        raise _refuse("token_algorithm_rejected", "the token's header names no algorithm ('alg')")
    if alg.lower() == "none" or alg.upper().startswith("HS"):
        raise _refuse(
            "token_algorithm_rejected", f"unsigned and shared-secret tokens ({alg}) are not accepted"
        )
    return header, segments[1]


def _json_object(segment: str, part: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise _refuse("token_malformed", f"the token's {part} is not base64url-encoded JSON") from exc
    if not isinstance(value, dict):
        raise _refuse("token_malformed", f"the token's {part} is not a JSON object")
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _refuse(code: str, detail: str) -> NotAuthenticated:
    return NotAuthenticated(detail, code=code)
