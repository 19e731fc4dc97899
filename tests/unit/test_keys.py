"""The service's signing key on disk, document signatures, and which identity-provider keys are trusted."""

from __future__ import annotations

import base64
import logging
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from govservice.auth import InvalidSignature, KeyStore, mint_token, sign_detached, verify_detached
from govservice.auth.jwks import trusted_key
from govservice.auth.keys import KEY_FILE, KEY_FILES, Purpose
from govservice.config import ConfigError
from tests.conftest import START

PUBLIC_MEMBERS = {"kty", "crv", "x", "y", "kid", "use", "alg", "key_ops", "purpose"}
DOCUMENT_KEY_FILE = KEY_FILES[Purpose.DOCUMENT]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_start_creates_a_private_key_file_and_the_next_start_reuses_it(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    previous = os.umask(0)  # even with a permissive umask, the key is readable by its owner only
    try:
        first = KeyStore.load_or_create(var_dir)
    finally:
        os.umask(previous)
    assert mode(var_dir / KEY_FILE) == mode(var_dir / DOCUMENT_KEY_FILE) == 0o600
    # no temporary file left behind
    assert sorted(p.name for p in var_dir.iterdir()) == sorted([DOCUMENT_KEY_FILE, KEY_FILE])

    second = KeyStore.load_or_create(var_dir)
    assert second.kid == first.kid and second.document.kid == first.document.kid != first.kid
    assert second.public_jwk == first.public_jwk
    assert KeyStore.generate().kid != first.kid


def test_the_public_jwk_holds_the_public_half_only(tmp_path: Path) -> None:
    keys = KeyStore.load_or_create(tmp_path)
    published, _document = keys.jwks()["keys"]
    assert set(published) == set(_document) == PUBLIC_MEMBERS
    assert "d" not in published
    private = serialization.load_pem_private_key((tmp_path / KEY_FILE).read_bytes(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    numbers = private.public_key().public_numbers()
    assert base64.urlsafe_b64decode(published["x"] + "=") == numbers.x.to_bytes(32, "big")
    assert base64.urlsafe_b64decode(published["y"] + "=") == numbers.y.to_bytes(32, "big")


def test_publishing_the_jwks_cannot_change_the_key(tmp_path: Path) -> None:
    keys = KeyStore.load_or_create(tmp_path)
    keys.jwks()["keys"][0]["kid"] = "tampered"
    assert keys.public_jwk["kid"] == keys.kid != "tampered"


def test_the_private_key_never_shows_in_a_repr() -> None:
    keys = KeyStore.generate()
    assert "PRIVATE" not in repr(keys)
    assert keys.kid in repr(keys)


def test_a_key_file_readable_by_others_is_restricted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kid = KeyStore.load_or_create(tmp_path).kid
    (tmp_path / KEY_FILE).chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="govservice.auth"):
        assert KeyStore.load_or_create(tmp_path).kid == kid
    assert mode(tmp_path / KEY_FILE) == 0o600
    assert "readable by others" in caplog.text


@pytest.mark.parametrize(
    "content",
    [
        b"not a key",
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    ],
    ids=["garbage", "P-384 key"],
)
def test_an_unusable_key_file_is_a_configuration_error_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / KEY_FILE
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(ConfigError, match=KEY_FILE):
        KeyStore.load_or_create(tmp_path)
    assert path.read_bytes() == content  # never silently replaced: tokens and licences depend on it


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        kids = set(pool.map(lambda _: KeyStore.load_or_create(tmp_path).kid, range(16)))
    assert len(kids) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([DOCUMENT_KEY_FILE, KEY_FILE])


def test_document_signatures_round_trip_and_are_not_tokens() -> None:
    keys = KeyStore.generate()
    document = b'{"licence":"FR-2026-000123","holder":"91510100MA61234567"}'
    assert verify_detached(keys, sign_detached(keys, document)) == document
    token = mint_token(
        keys,
        issuer="govservice",
        audience="govservice",
        sub="admin-1",
        roles=["admin"],
        now=START,
        ttl_seconds=60,
    )
    with pytest.raises(InvalidSignature):
        verify_detached(keys, token)
    with pytest.raises(InvalidSignature):
        verify_detached(KeyStore.generate(), sign_detached(keys, document))  # another service's key
    header, payload, signature = sign_detached(keys, document).split(".")
    forged = base64.urlsafe_b64encode(document.replace(b"000123", b"000999")).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        verify_detached(keys, f"{header}.{forged}.{signature}")


# -- which entries of an identity provider's JWKS are trusted ---------------------------------

_RSA_2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64int(value: int) -> str:
    return (
        base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()
    )


def rsa_entry(private: rsa.RSAPrivateKey = _RSA_2048, **extra: Any) -> dict[str, Any]:
    numbers = private.public_key().public_numbers()
    return {"kty": "RSA", "kid": "k1", "n": _b64int(numbers.n), "e": _b64int(numbers.e), **extra}


def ec_entry(curve: ec.EllipticCurve, **extra: Any) -> dict[str, Any]:
    numbers = ec.generate_private_key(curve).public_key().public_numbers()
    size = (curve.key_size + 7) // 8
    coordinate = lambda v: base64.urlsafe_b64encode(v.to_bytes(size, "big")).rstrip(b"=").decode()  # noqa: E731
    names = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
    return {
        "kty": "EC",
        "kid": "e1",
        "crv": names[curve.name],
        "x": coordinate(numbers.x),
        "y": coordinate(numbers.y),
        **extra,
    }


def test_an_rsa_key_verifies_the_rsa_algorithms_only() -> None:
    key = trusted_key(rsa_entry())
    assert key is not None
    assert set(key.verifiers) == {"RS256", "RS384", "RS512"}
    assert key.for_algorithm("ES256") is None
    assert key.for_algorithm("HS256") is None


def test_a_declared_alg_narrows_the_key_to_it() -> None:
    key = trusted_key(rsa_entry(alg="RS384"))
    assert key is not None and set(key.verifiers) == {"RS384"}
    assert trusted_key(rsa_entry(alg="HS256")) is None  # an RSA key claiming an HMAC algorithm


@pytest.mark.parametrize(
    ("curve", "alg"), [(ec.SECP256R1(), "ES256"), (ec.SECP384R1(), "ES384"), (ec.SECP521R1(), "ES512")]
)
def test_an_ec_key_verifies_the_algorithm_of_its_curve(curve: ec.EllipticCurve, alg: str) -> None:
    key = trusted_key(ec_entry(curve))
    assert key is not None and set(key.verifiers) == {alg}
    assert trusted_key(ec_entry(curve, alg="ES256" if alg != "ES256" else "ES384")) is None


@pytest.mark.parametrize(
    "entry",
    [
        rsa_entry(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
        rsa_entry(use="enc"),
        rsa_entry(key_ops=["encrypt"]),
        rsa_entry(kid=""),
        {k: v for k, v in rsa_entry().items() if k != "kid"},
        rsa_entry(n="not*base64"),
        rsa_entry(e=None),
        {"kty": "oct", "kid": "s1", "k": "c2VjcmV0"},
        {"kty": "OKP", "kid": "o1", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        ec_entry(ec.SECP256R1(), x="AAAA"),
        "not a key",
    ],
    ids=[
        "rsa-1024",
        "use-enc",
        "key_ops-encrypt",
        "empty-kid",
        "no-kid",
        "bad-n",
        "no-e",
        "oct",
        "okp",
        "ec-bad-point",
        "string",
    ],
)
def test_entries_that_are_never_trusted(entry: Any) -> None:
    assert trusted_key(entry) is None


def test_private_members_in_a_jwks_entry_are_not_used() -> None:
    numbers = _RSA_2048.private_numbers()
    key = trusted_key(rsa_entry(d=_b64int(numbers.d), p=_b64int(numbers.p), q=_b64int(numbers.q)))
    assert key is not None
    assert key.for_algorithm("RS256").is_public()  # type: ignore[union-attr]
