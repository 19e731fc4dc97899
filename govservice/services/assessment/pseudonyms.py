"""Enterprise pseudonyms for assessors: stable for one assessor, unlinkable between assessors.

``pseudonym = HMAC-SHA256(HMAC-SHA256(secret, "assessor:" + sub), USCC)``, hex, shortened to 128
bits. The secret is 32 random bytes in ``var/pseudonym-secret`` (mode 0600), created on first use
like the signing key; every app process of one deployment must share it (and the same ``var``),
or the pseudonyms change. Without the secret a USCC cannot be tested against a pseudonym, though
USCCs are few enough to enumerate.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from govservice.auth.keys import restrict_to_owner, write_private_file  # one way to write a private file
from govservice.config import ConfigError

SECRET_FILE = "pseudonym-secret"
PREFIX = "ent-"


def load_or_create_secret(var_dir: Path) -> bytes:
    path = var_dir / SECRET_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private_file(path, secrets.token_hex(32))
    restrict_to_owner(path)
    try:
        secret = bytes.fromhex(path.read_text().strip())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not a usable pseudonym secret ({exc})") from exc
    if len(secret) < 32:
        raise ConfigError(f"{path} is not a usable pseudonym secret (shorter than 32 bytes)")
    return secret


class Pseudonyms:
    """Pseudonyms for one assessor (keyed by the token's ``sub``)."""

    def __init__(self, secret: bytes, assessor_sub: str) -> None:
        self._key = hmac.new(secret, f"assessor:{assessor_sub}".encode(), hashlib.sha256).digest()
        self._cache: dict[str, str] = {}

    def __call__(self, uscc: str) -> str:
        found = self._cache.get(uscc)
        if found is None:
            digest = hmac.new(self._key, uscc.encode(), hashlib.sha256).hexdigest()[:32]
            found = self._cache[uscc] = PREFIX + digest
        return found
