"""An outside identity provider's signing keys: fetched with httpx, cached, re-fetched sparingly.

The key set is fetched on first need, then again only when a token names a ``kid`` that is
not cached or when the cache is older than ``max_age`` — and never more than once per
``min_interval`` (GOVSERVICE_JWKS_REFETCH_SECONDS), however many tokens with unknown kids
arrive: callers that find a fetch under way wait for it instead of starting their own.
Times come from the service's clock. A failed fetch keeps the last good key set.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from jose import jwk
from jose.backends.base import Key

from govservice.domain.clock import Clock

log = logging.getLogger("govservice.auth")

RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
EC_ALGORITHMS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
MIN_RSA_BITS = 2048
MAX_JWKS_BYTES = 1 << 20
FETCH_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One public key of the identity provider, prepared for each algorithm it may verify."""

    kid: str
    verifiers: Mapping[str, Key]

    def for_algorithm(self, alg: str) -> Key | None:
        return self.verifiers.get(alg)


def trusted_key(entry: Any) -> TrustedKey | None:
    """A usable signature key from one JWKS entry, or None (symmetric, encryption-only,
    too weak, or not well-formed keys are skipped). Only public members are ever read."""
    if not isinstance(entry, dict):
        return None
    kid, kty, declared = entry.get("kid"), entry.get("kty"), entry.get("alg")
    if not isinstance(kid, str) or not kid or entry.get("use", "sig") != "sig":
        return None
    ops = entry.get("key_ops")
    if ops is not None and not (isinstance(ops, list) and "verify" in ops):
        return None
    if kty == "RSA":
        public = {"kty": "RSA", "n": entry.get("n"), "e": entry.get("e")}
        if _bits(public["n"]) < MIN_RSA_BITS:
            return None
        algorithms: tuple[str, ...] = RSA_ALGORITHMS
    elif kty == "EC" and entry.get("crv") in EC_ALGORITHMS:
        public = {"kty": "EC", "crv": entry["crv"], "x": entry.get("x"), "y": entry.get("y")}
        algorithms = (EC_ALGORITHMS[entry["crv"]],)
    else:
        return None
    if declared is not None:
        if declared not in algorithms:
            return None
        algorithms = (declared,)
    try:
        verifiers = {alg: jwk.construct(public, alg) for alg in algorithms}
    except Exception as exc:  # jose raises several types for a malformed key; skip it, whatever it is
        log.warning("skipping identity provider key %r: %s", kid, exc)
        return None
    return TrustedKey(kid=kid, verifiers=verifiers)


def _bits(n: Any) -> int:
    if not isinstance(n, str):
        return 0
    try:
        return int.from_bytes(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)), "big").bit_length()
    except (binascii.Error, ValueError):
        return 0


class RemoteKeySet:
    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient | None,
        clock: Clock,
        *,
        min_interval: float,
        max_age: float = 3600.0,
    ) -> None:
        self._url = url
        self._http = http
        self._clock = clock
        self._min_interval = min_interval
        self._max_age = max_age
        self._keys: dict[str, TrustedKey] = {}
        self._loaded_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> TrustedKey | None:
        if self._wants_fetch(kid):
            async with self._lock:
                # Re-checked under the lock: whoever waited here may find the answer already fetched.
                if self._wants_fetch(kid) and self._may_fetch():
                    await self._fetch()
        return self._keys.get(kid)

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _wants_fetch(self, kid: str) -> bool:
        stale = self._loaded_at is None or not 0 <= self._now() - self._loaded_at < self._max_age
        return stale or kid not in self._keys

    def _may_fetch(self) -> bool:
        # A clock that went backwards counts as "long enough ago".
        return self._attempted_at is None or not 0 <= self._now() - self._attempted_at < self._min_interval

    async def _fetch(self) -> None:
        self._attempted_at = self._now()
        try:
            entries = await self._download()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("could not fetch the identity provider's JWKS from %s: %s", self._url, exc)
            return
        keys = {key.kid: key for key in map(trusted_key, entries) if key is not None}
        if not keys:
            log.warning("the identity provider's JWKS at %s has no usable signature key", self._url)
        self._keys = keys
        self._loaded_at = self._attempted_at

    async def _download(self) -> list[Any]:
        http = self._http or httpx.AsyncClient()
        try:
            response = await http.get(
                self._url, headers={"Accept": "application/json"}, timeout=FETCH_TIMEOUT_SECONDS
            )
            response.raise_for_status()
            if len(response.content) > MAX_JWKS_BYTES:
                raise ValueError(f"the key set is larger than {MAX_JWKS_BYTES} bytes")
            document = response.json()
        finally:
            if self._http is None:
                await http.aclose()
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise ValueError("the response is not a JWK set (no 'keys' list)")
        return keys
