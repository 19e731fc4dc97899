"""The service's own signing key: an EC P-256 key pair in ``var/signing-key.pem`` (mode 0600)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from govservice.config import ConfigError

ALGORITHM = "ES256"
KEY_FILE = "signing-key.pem"

log = logging.getLogger("govservice.auth")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _thumbprint(public: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a stable key id derived from the public key alone."""
    canonical = json.dumps(
        {k: public[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    return _b64(hashlib.sha256(canonical.encode()).digest())


def _public_jwk(private: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    numbers = private.public_key().public_numbers()
    public: dict[str, Any] = {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(numbers.x.to_bytes(32, "big")),
        "y": _b64(numbers.y.to_bytes(32, "big")),
    }
    kid = _thumbprint(public)
    return {**public, "kid": kid, "use": "sig", "alg": ALGORITHM}


@dataclass(frozen=True, slots=True)
class KeyStore:
    # repr=False: a KeyStore in a log line or a test failure must not print the private key.
    private_pem: str = field(repr=False)
    public_jwk: dict[str, Any]
    kid: str

    @classmethod
    def from_pem(cls, pem: str) -> KeyStore:
        """Raises ValueError unless ``pem`` is an unencrypted EC P-256 private key."""
        private = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(private.curve, ec.SECP256R1):
            raise ValueError(f"not an EC P-256 private key (the service signs with {ALGORITHM})")
        public = _public_jwk(private)
        return cls(private_pem=pem, public_jwk=public, kid=public["kid"])

    @classmethod
    def generate(cls) -> KeyStore:
        private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return cls.from_pem(pem)

    @classmethod
    def load_or_create(cls, var_dir: Path) -> KeyStore:
        """The key in ``var_dir``, created on first use. Safe when several processes start at once."""
        path = var_dir / KEY_FILE
        if not path.exists():
            var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_private_file(path, cls.generate().private_pem)
        restrict_to_owner(path)
        try:
            return cls.from_pem(path.read_text())
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{path} is not a usable signing key ({exc}); move it away to have a new one created"
            ) from exc

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self.public_jwk)]}


def write_private_file(path: Path, pem: str) -> None:
    """Write the whole key to a private temporary file, then link it into place: another
    process never sees a half-written key, and when two race the first link wins."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
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
