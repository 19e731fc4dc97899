"""The service's own signing keys, one per purpose, each an EC P-256 key pair in ``var/`` (mode 0600):

* ``token`` (``var/signing-key.pem``): signs bearer tokens (``govservice token``, the demo);
* ``document`` (``var/document-key.pem``): signs e-licences.

Each rotates on its own (``govservice keys rotate --purpose token|document``): a new key signs from
then on, and the old public key moves to ``var/retired-keys.json``, from where it stays published in
the JWKS (and trusted) while what it signed may still be valid: a token key for the longest token
lifetime (``GOVSERVICE_TOKEN_TTL``) after the rotation, a document key for good, since a licence may
be valid until revoked. Running processes read the keys at start: restart them after a rotation.

Before the split one key signed both. On the first start after it, that key becomes the document key
(it signed every licence issued so far) and a new token key is made; the old one stays trusted for
tokens for one token lifetime, so no one is logged out.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import hashlib
import json
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from govservice.config import ConfigError

ALGORITHM = "ES256"
KEY_FILE = "signing-key.pem"
RETIRED_FILE = "retired-keys.json"

log = logging.getLogger("govservice.auth")


class Purpose(enum.StrEnum):
    TOKEN = "token"
    DOCUMENT = "document"


KEY_FILES = {Purpose.TOKEN: KEY_FILE, Purpose.DOCUMENT: "document-key.pem"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _thumbprint(public: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a stable key id derived from the public key alone."""
    canonical = json.dumps(
        {k: public[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    return _b64(hashlib.sha256(canonical.encode()).digest())


def _public_jwk(private: ec.EllipticCurvePrivateKey, purpose: Purpose) -> dict[str, Any]:
    numbers = private.public_key().public_numbers()
    public: dict[str, Any] = {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(numbers.x.to_bytes(32, "big")),
        "y": _b64(numbers.y.to_bytes(32, "big")),
    }
    kid = _thumbprint(public)
    return {**public, "kid": kid, "use": "sig", "alg": ALGORITHM, "key_ops": ["verify"], "purpose": purpose}


@dataclass(frozen=True, slots=True)
class SigningKey:
    # repr=False: a key in a log line or a test failure must not print the private key.
    private_pem: str = field(repr=False)
    public_jwk: dict[str, Any]
    kid: str

    @classmethod
    def from_pem(cls, pem: str, purpose: Purpose) -> SigningKey:
        """Raises ValueError unless ``pem`` is an unencrypted EC P-256 private key."""
        private = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(private.curve, ec.SECP256R1):
            raise ValueError(f"not an EC P-256 private key (the service signs with {ALGORITHM})")
        public = _public_jwk(private, purpose)
        return cls(private_pem=pem, public_jwk=public, kid=public["kid"])

    @classmethod
    def generate(cls, purpose: Purpose) -> SigningKey:
        return cls.from_pem(_new_pem(), purpose)

    @classmethod
    def load(cls, path: Path, purpose: Purpose) -> SigningKey:
        restrict_to_owner(path)
        try:
            return cls.from_pem(path.read_text(), purpose)
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{path} is not a usable signing key ({exc}); move it away to have a new one created"
            ) from exc


@dataclass(frozen=True, slots=True)
class RetiredKey:
    public_jwk: dict[str, Any]
    retired_at: datetime
    publish_until: datetime | None  # None: for good (document keys)

    @property
    def purpose(self) -> str:
        return str(self.public_jwk["purpose"])

    def in_force(self, now: datetime) -> bool:
        return self.publish_until is None or now <= self.publish_until


@dataclass(frozen=True, slots=True)
class KeyStore:
    """The active key of each purpose and the retired public keys still published."""

    token: SigningKey
    document: SigningKey
    retired: tuple[RetiredKey, ...] = ()

    # The token key's members, as the token code and the tests use them.
    @property
    def private_pem(self) -> str:
        return self.token.private_pem

    @property
    def public_jwk(self) -> dict[str, Any]:
        return self.token.public_jwk

    @property
    def kid(self) -> str:
        return self.token.kid

    @classmethod
    def generate(cls) -> KeyStore:
        return cls(token=SigningKey.generate(Purpose.TOKEN), document=SigningKey.generate(Purpose.DOCUMENT))

    @classmethod
    def load_or_create(cls, var_dir: Path, token_ttl_seconds: int = 3600) -> KeyStore:
        """The keys in ``var_dir``, created on first use. Safe when several processes start at once."""
        var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        token_path, document_path = (var_dir / KEY_FILES[p] for p in Purpose)
        if token_path.exists() and not document_path.exists():
            _split_shared_key(var_dir, token_ttl_seconds)
        # In this order: a token key without a document key means "from before the split".
        for path in (document_path, token_path):
            if not path.exists():
                write_private_file(path, _new_pem())
        return cls(
            token=SigningKey.load(token_path, Purpose.TOKEN),
            document=SigningKey.load(document_path, Purpose.DOCUMENT),
            retired=_read_retired(var_dir),
        )

    def signing_key(self, purpose: Purpose) -> SigningKey:
        return self.token if purpose is Purpose.TOKEN else self.document

    def verifying_key(self, purpose: Purpose, kid: str, now: datetime) -> dict[str, Any] | None:
        """The public JWK of this purpose named ``kid``: the active key or a retired one in force."""
        active = self.signing_key(purpose)
        if kid == active.kid:
            return active.public_jwk
        for key in self.retired:
            if key.purpose == purpose and key.public_jwk["kid"] == kid and key.in_force(now):
                return key.public_jwk
        return None

    def jwks(self, now: datetime | None = None) -> dict[str, Any]:
        """The active keys, then the retired ones still in force (all of them when ``now`` is None)."""
        retired = [k.public_jwk for k in self.retired if now is None or k.in_force(now)]
        published = [self.token.public_jwk, self.document.public_jwk, *retired]
        unique: dict[str, dict[str, Any]] = {}
        for key in published:
            unique.setdefault(key["kid"], key)  # a kid once: the active key's entry wins
        return {"keys": [dict(key) for key in unique.values()]}


def rotate(var_dir: Path, purpose: Purpose, now: datetime, token_ttl_seconds: int) -> tuple[str, str]:
    """A new key of ``purpose`` signs from now on; the old one is retired (published while what it
    signed may be valid). Retired token keys past their time are dropped. Returns (old kid, new kid)."""
    old = KeyStore.load_or_create(var_dir, token_ttl_seconds).signing_key(purpose)
    keep = timedelta(seconds=token_ttl_seconds) if purpose is Purpose.TOKEN else None
    _retire(var_dir, old.public_jwk, now, now + keep if keep is not None else None)
    new_pem = _new_pem()
    write_private_file(var_dir / KEY_FILES[purpose], new_pem, replace=True)
    return old.kid, SigningKey.from_pem(new_pem, purpose).kid


def _split_shared_key(var_dir: Path, token_ttl_seconds: int) -> None:
    """The one key of an installation from before the split becomes its document key; a new key
    signs tokens, and the old one stays trusted for tokens already issued."""
    token_path, document_path = (var_dir / KEY_FILES[p] for p in Purpose)
    shared = SigningKey.load(token_path, Purpose.TOKEN)
    try:
        os.link(token_path, document_path)  # the same file, until the token key is replaced below
    except FileExistsError:
        return  # another process starting at the same time did it
    now = datetime.now().astimezone()
    _retire(var_dir, shared.public_jwk, now, now + timedelta(seconds=token_ttl_seconds))
    write_private_file(token_path, _new_pem(), replace=True)
    log.warning(
        "%s signed both tokens and licences: it is now the licence key %s; tokens get a new key",
        token_path,
        shared.kid,
    )


def _new_pem() -> str:
    private = ec.generate_private_key(ec.SECP256R1())
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _read_retired(var_dir: Path) -> tuple[RetiredKey, ...]:
    path = var_dir / RETIRED_FILE
    if not path.exists():
        return ()
    try:
        entries = json.loads(path.read_text())
        return tuple(
            RetiredKey(
                public_jwk=entry["jwk"],
                retired_at=datetime.fromisoformat(entry["retiredAt"]),
                publish_until=_moment(entry["publishUntil"]),
            )
            for entry in entries
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is not a list of retired keys ({exc})") from exc


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _retire(var_dir: Path, public_jwk: dict[str, Any], now: datetime, until: datetime | None) -> None:
    """Add a public key to the retired ones (once), dropping those no longer in force."""
    kept = [k for k in _read_retired(var_dir) if k.in_force(now)]
    if not any(k.public_jwk["kid"] == public_jwk["kid"] and k.purpose == public_jwk["purpose"] for k in kept):
        kept.append(RetiredKey(public_jwk=public_jwk, retired_at=now, publish_until=until))
    entries = [
        {
            "jwk": k.public_jwk,
            "retiredAt": k.retired_at.isoformat(),
            "publishUntil": k.publish_until.isoformat() if k.publish_until else None,
        }
        for k in kept
    ]
    path = var_dir / RETIRED_FILE
    write_private_file(path, json.dumps(entries, indent=2) + "\n", replace=True)


def write_private_file(path: Path, pem: str, *, replace: bool = False) -> None:
    """Write the whole key to a private temporary file, then link it into place: another
    process never sees a half-written key, and when two race the first link wins (``replace``:
    it takes the place of the file there, as a rotation does)."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temp, path)
            return
        with contextlib.suppress(FileExistsError):  # another process was first: its key is the one
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def restrict_to_owner(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o); restricting it to 0600", path, mode)
        try:
            path.chmod(0o600)
        except OSError as exc:
            log.warning("could not restrict %s: %s", path, exc)
