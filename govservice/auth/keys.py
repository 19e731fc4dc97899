"""The service's own signing key: an EC P-256 key pair in ``var/signing-key.pem`` (mode 0600)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk

ALGORITHM = "ES256"
KEY_FILE = "signing-key.pem"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _thumbprint(public: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a stable key id derived from the public key alone."""
    canonical = json.dumps({k: public[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True, slots=True)
class KeyStore:
    private_pem: str
    public_jwk: dict[str, Any]
    kid: str

    @classmethod
    def from_pem(cls, pem: str) -> KeyStore:
        key = jwk.construct(pem, algorithm=ALGORITHM)
        public = key.public_key().to_dict()
        kid = _thumbprint(public)
        public = {**public, "kid": kid, "use": "sig", "alg": ALGORITHM}
        return cls(private_pem=pem, public_jwk=public, kid=kid)

    @classmethod
    def generate(cls) -> KeyStore:
        private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return cls.from_pem(pem)

    @classmethod
    def load_or_create(cls, var_dir: Path) -> KeyStore:
        path = var_dir / KEY_FILE
        if path.exists():
            return cls.from_pem(path.read_text())
        var_dir.mkdir(parents=True, exist_ok=True)
        store = cls.generate()
        # O_EXCL: two processes starting at once must not both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls.from_pem(path.read_text())
        with os.fdopen(fd, "w") as handle:
            handle.write(store.private_pem)
        return store

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}
