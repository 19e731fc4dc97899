"""Authentication through the HTTP API: the service's own tokens, an outside identity provider's
(its JWKS served through httpx.MockTransport), and the attacks a bearer-token API must refuse.

Tokens are crafted by hand (base64url + cryptography), so a refusal proves the service refused,
not that a JOSE library declined to produce the token. The protected route is
``POST /api/v1/matters`` (admin only); every refused request is checked to have published nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.api.app import create_app
from govservice.auth import KeyStore, sign_detached
from govservice.auth.authenticator import LEEWAY_SECONDS
from govservice.config import PROJECT_ROOT, Settings, load_settings
from govservice.domain.clock import ManualClock
from tests.conftest import WORKFLOWS, TokenFactory

PROTECTED = "/api/v1/matters"
CODE = "FR-AUTH-PROBE"
GUIDE: dict[str, Any] = {
    "code": CODE,
    "name": "认证探针事项",
    "nameEn": "Authentication probe",
    "kind": "service",
    "unit": "FR-WINDOW",
    "legalBasis": ["《中华人民共和国消防法》"],
    "statutoryLimit": 20,
    "promisedLimit": 10,
    "maxVisits": 0,
    "routes": ["standard"],
    "processes": {"standard": "service"},
    "materials": [{"code": "application_form", "name": "申请表", "kind": "key", "formats": ["pdf"]}],
}


# -- crafting tokens by hand ----------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode())


Signer = Callable[[bytes], bytes]


def es256(private: ec.EllipticCurvePrivateKey) -> Signer:
    def sign(data: bytes) -> bytes:
        r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    return sign


def rs256(private: rsa.RSAPrivateKey) -> Signer:
    return lambda data: private.sign(data, padding.PKCS1v15(), hashes.SHA256())


def hs256(secret: bytes) -> Signer:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def compact(header: dict[str, Any], claims: dict[str, Any] | bytes, sign: Signer) -> str:
    payload = b64(claims) if isinstance(claims, bytes) else b64json(claims)
    signing_input = f"{b64json(header)}.{payload}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def own_private(keys: KeyStore) -> ec.EllipticCurvePrivateKey:
    private = serialization.load_pem_private_key(keys.private_pem.encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return private


ClaimsFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def claims(settings: Settings, clock: ManualClock) -> ClaimsFactory:
    """claims(exp=..., roles=...) -> the claims of a valid admin token now; None drops a claim."""

    def make(**changes: Any) -> dict[str, Any]:
        now = int(clock.now().timestamp())
        base: dict[str, Any] = {
            "sub": "admin-1",
            "name": "Admin One",
            "roles": ["admin"],
            "iss": settings.issuer,
            "aud": settings.audience,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
        }
        base.update(changes)
        return {k: v for k, v in base.items() if v is not None}

    return make


OwnToken = Callable[..., str]


@pytest.fixture
def own_token(keys: KeyStore, claims: ClaimsFactory) -> OwnToken:
    """A token signed by hand with the service's own key: own_token(header={...}, **claim_changes)."""
    sign = es256(own_private(keys))

    def make(header: dict[str, Any] | None = None, **changes: Any) -> str:
        return compact(
            {"alg": "ES256", "typ": "JWT", "kid": keys.kid, **(header or {})}, claims(**changes), sign
        )

    return make


_edition = itertools.count(1)


async def publish(client: httpx.AsyncClient, headers: dict[str, str] | None) -> httpx.Response:
    # Each publication differs: the catalogue answers 409 to a version identical to the current one.
    return await client.post(
        PROTECTED, json={**GUIDE, "nameEn": f"Authentication probe #{next(_edition)}"}, headers=headers
    )


async def published_versions(client: httpx.AsyncClient) -> int:
    response = await client.get(f"{PROTECTED}/{CODE}/versions")
    return len(response.json()) if response.status_code == 200 else 0


async def assert_refused(
    client: httpx.AsyncClient, headers: dict[str, str] | None, code: str
) -> dict[str, Any]:
    before = await published_versions(client)
    response = await publish(client, headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer ")
    problem = response.json()
    assert problem["code"] == code, problem
    assert problem["status"] == 401
    assert await published_versions(client) == before, "a refused request published something"
    return problem


async def assert_accepted(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await publish(client, headers)
    assert response.status_code == 201, response.text


# -- the service's own tokens ---------------------------------------------------------------


async def test_a_token_crafted_like_the_attacks_below_but_valid_is_accepted(
    client: httpx.AsyncClient, own_token: OwnToken
) -> None:
    await assert_accepted(client, bearer(own_token()))


async def test_missing_token_on_a_protected_route(client: httpx.AsyncClient) -> None:
    await assert_refused(client, None, "not_authenticated")


async def test_a_refused_token_gets_the_rfc6750_invalid_token_challenge(
    client: httpx.AsyncClient, own_token: OwnToken
) -> None:
    response = await publish(client, bearer(own_token(aud="someone-else")))
    assert response.headers["www-authenticate"] == 'Bearer realm="govservice", error="invalid_token"'


async def test_expiry_follows_the_service_clock(
    client: httpx.AsyncClient, auth: TokenFactory, clock: ManualClock
) -> None:
    headers = auth("admin", ttl=600)
    clock.advance(timedelta(seconds=600 + LEEWAY_SECONDS - 1))
    await assert_accepted(client, headers)
    clock.advance(timedelta(seconds=2))
    response = await publish(client, headers)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


async def test_the_system_clock_is_not_consulted(
    client: httpx.AsyncClient, auth: TokenFactory, clock: ManualClock
) -> None:
    # Expired by the wall clock by decades, valid by the service's clock.
    clock.set(datetime(2001, 5, 1, tzinfo=UTC))
    await assert_accepted(client, auth("admin", ttl=60))


async def test_not_yet_valid_until_the_clock_reaches_nbf(
    client: httpx.AsyncClient, own_token: OwnToken, clock: ManualClock
) -> None:
    nbf = int(clock.now().timestamp()) + 600
    token = own_token(nbf=nbf, exp=nbf + 600)
    await assert_refused(client, bearer(token), "token_not_yet_valid")
    clock.advance(timedelta(seconds=600))
    await assert_accepted(client, bearer(token))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"aud": "another-service"}, "token_claims_invalid"),
        ({"aud": ["another-service", "a-third"]}, "token_claims_invalid"),
        ({"iss": "https://evil.example"}, "token_claims_invalid"),
        ({"sub": None}, "token_claims_invalid"),
        ({"sub": ""}, "token_claims_invalid"),
        ({"exp": None}, "token_claims_invalid"),
        ({"aud": None}, "token_claims_invalid"),
        ({"iss": None}, "token_claims_invalid"),
        ({"exp": "tomorrow"}, "token_claims_invalid"),
        ({"exp": True}, "token_claims_invalid"),
        ({"iat": 4_102_444_800}, "token_not_yet_valid"),  # issued in 2100
        ({"roles": "admin"}, "token_claims_invalid"),
        ({"roles": {"admin": True}}, "token_claims_invalid"),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else value,
)
async def test_claims_that_are_refused(
    client: httpx.AsyncClient, own_token: OwnToken, changes: dict[str, Any], code: str
) -> None:
    await assert_refused(client, bearer(own_token(**changes)), code)


async def test_audience_may_be_a_list_that_names_this_service(
    client: httpx.AsyncClient, own_token: OwnToken, settings: Settings
) -> None:
    await assert_accepted(client, bearer(own_token(aud=["another-service", settings.audience])))


async def test_unknown_roles_are_ignored(client: httpx.AsyncClient, own_token: OwnToken) -> None:
    await assert_accepted(client, bearer(own_token(roles=["superuser", "admin", 7, None])))
    response = await publish(client, bearer(own_token(roles=["superuser", "root"])))
    assert response.status_code == 403
    assert response.json()["code"] == "role_required"


async def test_a_valid_token_without_the_role_is_403(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await publish(client, auth("clerk", "applicant"))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "role_required"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
@pytest.mark.parametrize("signature", [b"", b"\x00" * 64])
async def test_alg_none_is_refused(
    client: httpx.AsyncClient, keys: KeyStore, claims: ClaimsFactory, alg: str, signature: bytes
) -> None:
    token = compact({"alg": alg, "typ": "JWT", "kid": keys.kid}, claims(), lambda _: signature)
    await assert_refused(client, bearer(token), "token_algorithm_rejected")


def _public_pem(keys: KeyStore) -> bytes:
    return (
        own_private(keys)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


@pytest.mark.parametrize("secret_form", ["pem", "jwk-json", "pem-no-newline"])
@pytest.mark.parametrize("with_kid", [True, False])
async def test_hs256_signed_with_the_public_key_is_refused(
    client: httpx.AsyncClient, keys: KeyStore, claims: ClaimsFactory, secret_form: str, with_kid: bool
) -> None:
    secret = {
        "pem": _public_pem(keys),
        "pem-no-newline": _public_pem(keys).strip(),
        "jwk-json": json.dumps(keys.public_jwk).encode(),
    }[secret_form]
    header = {"alg": "HS256", "typ": "JWT", **({"kid": keys.kid} if with_kid else {})}
    await assert_refused(client, bearer(compact(header, claims(), hs256(secret))), "token_algorithm_rejected")


async def test_rs256_naming_the_service_key_is_refused(
    client: httpx.AsyncClient, keys: KeyStore, claims: ClaimsFactory
) -> None:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = compact({"alg": "RS256", "typ": "JWT", "kid": keys.kid}, claims(), rs256(attacker))
    await assert_refused(client, bearer(token), "token_algorithm_rejected")


async def test_unknown_kid_is_refused(client: httpx.AsyncClient, claims: ClaimsFactory) -> None:
    stranger = es256(ec.generate_private_key(ec.SECP256R1()))
    await assert_refused(
        client, bearer(compact({"alg": "ES256", "kid": "not-ours"}, claims(), stranger)), "token_key_unknown"
    )
    await assert_refused(client, bearer(compact({"alg": "ES256"}, claims(), stranger)), "token_key_unknown")


async def test_tampered_payload_is_refused(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    token = auth("clerk")["Authorization"].removeprefix("Bearer ")
    assert (await publish(client, bearer(token))).status_code == 403  # the genuine token: valid, wrong role
    header, payload, signature = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["roles"] = ["admin"]
    await assert_refused(client, bearer(f"{header}.{b64json(forged)}.{signature}"), "token_signature_invalid")


async def test_zero_signature_is_refused(
    client: httpx.AsyncClient, keys: KeyStore, claims: ClaimsFactory
) -> None:
    # r = s = 0 verified as valid in some ECDSA implementations (CVE-2022-21449).
    token = compact({"alg": "ES256", "typ": "JWT", "kid": keys.kid}, claims(), lambda _: b"\x00" * 64)
    await assert_refused(client, bearer(token), "token_signature_invalid")


async def test_a_signed_document_is_not_a_token(
    client: httpx.AsyncClient, keys: KeyStore, claims: ClaimsFactory
) -> None:
    """An e-licence signature over bytes that happen to be valid claims must not log anyone in."""
    document = sign_detached(keys, json.dumps(claims()).encode())
    await assert_refused(client, bearer(document), "token_header_rejected")


@pytest.mark.parametrize(
    "header",
    [
        {"crit": ["exp"], "exp": 1},
        {"crit": []},
        {"zip": "DEF"},
        {"b64": False},
        {"typ": "JOSE"},
        {"typ": "licence+jwt"},
        {"typ": ["JWT"]},
    ],
    ids=json.dumps,
)
async def test_header_parameters_that_are_refused(
    client: httpx.AsyncClient, own_token: OwnToken, header: dict[str, Any]
) -> None:
    # Correctly signed with the service's key: only the header makes it unacceptable.
    await assert_refused(client, bearer(own_token(header=header)), "token_header_rejected")


async def test_encrypted_tokens_are_refused(client: httpx.AsyncClient) -> None:
    jwe = ".".join(
        [
            b64json({"alg": "dir", "enc": "A256GCM"}),
            "",
            b64(os.urandom(12)),
            b64(os.urandom(40)),
            b64(os.urandom(16)),
        ]
    )
    await assert_refused(client, bearer(jwe), "token_header_rejected")


async def test_very_long_tokens_are_refused(client: httpx.AsyncClient, own_token: OwnToken) -> None:
    token = own_token(name="x" * 20_000)
    await assert_refused(client, bearer(token), "token_malformed")


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("Bearer garbage", "token_malformed"),
        ("Bearer a.b.c", "token_malformed"),
        ("Bearer ...", "token_malformed"),
        ("Bearer", "token_malformed"),
        ("Basic YWRtaW46YWRtaW4=", "token_malformed"),
        ("Bearer " + b64json([1, 2]) + ".e30.c2ln", "token_malformed"),
        ("Bearer " + b64(b"\xff\xfe{") + ".e30.c2ln", "token_malformed"),
        ("Bearer " + b64(b"[" * 3000) + ".e30.c2ln", "token_malformed"),
        ("Bearer " + b64json({"alg": "ES256"}) + "=.e30.c2ln", "token_malformed"),
        ("Bearer " + b64json({"alg": "ES256"}) + ".e3*0.c2ln", "token_malformed"),
        ("Bearer " + b64json({"alg": ["ES256"], "kid": "x"}) + ".e30.c2ln", "token_algorithm_rejected"),
        ("Bearer " + b64json({"alg": {"a": 1}}) + ".e30.c2ln", "token_algorithm_rejected"),
        ("Bearer " + b64json({"alg": "ES256", "kid": ["x"]}) + ".e30.c2ln", "token_key_unknown"),
        ("Bearer " + b64json({"alg": "ES256", "kid": {"x": 1}}) + ".e30.c2ln", "token_key_unknown"),
    ],
)
async def test_garbage_in_the_authorization_header(
    client: httpx.AsyncClient, authorization: str, code: str
) -> None:
    await assert_refused(client, {"Authorization": authorization}, code)


async def test_non_ascii_bytes_in_the_header(client: httpx.AsyncClient) -> None:
    response = await client.post(
        PROTECTED, json=GUIDE, headers={"Authorization": b"Bearer \xff\xfe.\xc3\xa9.x"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "token_malformed"


async def test_payload_that_is_not_json_but_correctly_signed(
    client: httpx.AsyncClient, keys: KeyStore
) -> None:
    header = {"alg": "ES256", "typ": "JWT", "kid": keys.kid}
    for payload in (b"not json", b"[1,2,3]", b'{"exp": NaN}'):
        await assert_refused(
            client, bearer(compact(header, payload, es256(own_private(keys)))), "token_malformed"
        )


async def test_jwks_publishes_exactly_the_public_key(
    client: httpx.AsyncClient, keys: KeyStore, auth: TokenFactory
) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    published, document = response.json()["keys"]  # the token key, then the e-licence key
    for key in (published, document):
        assert set(key) == {"kty", "crv", "x", "y", "kid", "use", "alg", "key_ops", "purpose"}
        assert (key["kty"], key["crv"], key["alg"], key["use"], key["key_ops"]) == (
            "EC",
            "P-256",
            "ES256",
            "sig",
            ["verify"],
        )
    assert (published["kid"], published["purpose"]) == (keys.kid, "token")
    assert (document["kid"], document["purpose"]) == (keys.document.kid, "document")
    # What a relying party does with it: rebuild the key from the JWKS alone and verify a token.
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(base64.urlsafe_b64decode(published["x"] + "="), "big"),
        int.from_bytes(base64.urlsafe_b64decode(published["y"] + "="), "big"),
        ec.SECP256R1(),
    ).public_key()
    token = auth("admin")["Authorization"].removeprefix("Bearer ")
    signing_input, signature = token.rsplit(".", 1)
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))  # raises if it does not match


async def test_cli_token_is_accepted_by_the_api(
    tmp_path: Path, engine: AsyncEngine, settings: Settings
) -> None:
    var_dir = tmp_path / "cli-var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSERVICE_")}
    env.update(GOVSERVICE_VAR_DIR=str(var_dir), GOVSERVICE_WORKFLOWS_DIR=str(WORKFLOWS))
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "govservice", "token", "--role", "admin", "--unit", "FR-WINDOW"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = result.stdout.splitlines()[-1]
    assert token.count(".") == 2 and " " not in token
    assert stat.S_IMODE((var_dir / "signing-key.pem").stat().st_mode) == 0o600

    keys = KeyStore.load_or_create(var_dir)
    app = create_app(settings, engine=engine, clock=ManualClock(datetime.now(UTC)), keys=keys)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        await assert_accepted(client, bearer(token))
        jwks = (await client.get("/.well-known/jwks.json")).json()
    assert [k["kid"] for k in jwks["keys"]] == [keys.kid, keys.document.kid]


# -- an outside identity provider ---------------------------------------------------------

IDP_JWKS = "https://idp.example/realms/fire/protocol/openid-connect/certs"
IDP_ISSUER = "https://idp.example/realms/fire"
IDP_AUDIENCE = "govservice-api"
REFETCH_SECONDS = 60
_RSA_POOL = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]


def rsa_jwk(kid: str, private: rsa.RSAPrivateKey, **extra: Any) -> dict[str, Any]:
    numbers = private.public_key().public_numbers()
    n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    return {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "n": b64(n),
        "e": b64(numbers.e.to_bytes(3, "big")),
        **extra,
    }


class FakeIdentityProvider:
    """Serves its JWKS through httpx.MockTransport and counts every request it gets."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {"idp-1": _RSA_POOL[0]}
        self.extra_entries: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.failing = False

    @property
    def fetches(self) -> int:
        return sum(1 for r in self.requests if str(r.url) == IDP_JWKS)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await asyncio.sleep(0.01)  # a real round trip: concurrent requests overlap with it
        if str(request.url) != IDP_JWKS:
            return httpx.Response(404)
        if self.failing:
            return httpx.Response(503)
        return httpx.Response(
            200, json={"keys": [rsa_jwk(kid, key) for kid, key in self.keys.items()] + self.extra_entries}
        )

    def token(
        self,
        now: datetime,
        kid: str = "idp-1",
        key: rsa.RSAPrivateKey | None = None,
        header: dict[str, Any] | None = None,
        **changes: Any,
    ) -> str:
        issued = int(now.timestamp())
        claims: dict[str, Any] = {
            "sub": "f3c1a7e0-user",
            "preferred_username": "zhang.wei",
            "roles": ["admin", "offline_access"],
            "iss": IDP_ISSUER,
            "aud": IDP_AUDIENCE,
            "iat": issued,
            "exp": issued + 300,
            **changes,
        }
        signer = rs256(key or self.keys[kid])
        claims = {k: v for k, v in claims.items() if v is not None}
        return compact({"alg": "RS256", "typ": "JWT", "kid": kid, **(header or {})}, claims, signer)


class TestIdentityProvider:
    @pytest.fixture
    def idp(self) -> FakeIdentityProvider:
        return FakeIdentityProvider()

    @pytest.fixture
    def http_transport(self, idp: FakeIdentityProvider) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(idp.handle)

    @pytest.fixture
    def settings(self, tmp_path: Path) -> Settings:
        env = {
            "GOVSERVICE_VAR_DIR": str(tmp_path / "var"),
            "GOVSERVICE_WORKFLOWS_DIR": str(WORKFLOWS),
            "GOVSERVICE_CATALOGUE_CACHE_SECONDS": "0",
            "GOVSERVICE_RUN_WORKER": "false",
            "GOVSERVICE_JWKS_URL": IDP_JWKS,
            "GOVSERVICE_JWKS_ISSUER": IDP_ISSUER,
            "GOVSERVICE_JWKS_AUDIENCE": IDP_AUDIENCE,
            "GOVSERVICE_JWKS_REFETCH_SECONDS": str(REFETCH_SECONDS),
        }
        if url := os.environ.get("GOVSERVICE_TEST_DATABASE_URL"):
            env["GOVSERVICE_DATABASE_URL"] = url
        return load_settings(env)

    async def test_valid_token_is_accepted_and_the_key_set_fetched_once(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        assert idp.fetches == 0  # nothing is fetched before a token needs it
        for _ in range(3):
            await assert_accepted(client, bearer(idp.token(clock.now())))
            clock.advance(timedelta(seconds=REFETCH_SECONDS))  # cached even after the re-fetch interval
        assert idp.fetches == 1

    async def test_access_tokens_typed_at_jwt_are_accepted(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        await assert_accepted(client, bearer(idp.token(clock.now(), header={"typ": "at+jwt"})))

    async def test_own_tokens_still_work_and_do_not_touch_the_idp(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, auth: TokenFactory
    ) -> None:
        await assert_accepted(client, auth("admin"))
        assert idp.requests == []

    async def test_idp_tokens_expire_by_the_service_clock(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        token = idp.token(clock.now())
        clock.advance(timedelta(seconds=300 + LEEWAY_SECONDS))
        await assert_refused(client, bearer(token), "token_expired")

    async def test_a_new_kid_triggers_exactly_one_refetch(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        await assert_accepted(client, bearer(idp.token(clock.now())))
        idp.keys["idp-2"] = _RSA_POOL[1]  # the provider rotates in a new key
        clock.advance(timedelta(seconds=REFETCH_SECONDS))
        await assert_accepted(client, bearer(idp.token(clock.now(), kid="idp-2")))
        assert idp.fetches == 2
        await assert_accepted(client, bearer(idp.token(clock.now(), kid="idp-1")))
        await assert_accepted(client, bearer(idp.token(clock.now(), kid="idp-2")))
        assert idp.fetches == 2

    async def test_a_key_replaced_under_the_same_kid_refuses_tokens_it_accepted_before(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        signed_by_old_key = bearer(idp.token(clock.now()))
        await assert_accepted(client, signed_by_old_key)
        idp.keys["idp-1"] = _RSA_POOL[1]  # the provider replaces a compromised key, keeping its kid
        idp.keys["idp-2"] = _RSA_POOL[2]
        clock.advance(timedelta(seconds=REFETCH_SECONDS))
        await assert_accepted(client, bearer(idp.token(clock.now(), kid="idp-2")))  # fetches the new set
        assert idp.fetches == 2
        await assert_refused(client, signed_by_old_key, "token_signature_invalid")
        await assert_accepted(client, bearer(idp.token(clock.now())))

    async def test_a_new_kid_within_the_interval_waits_for_it(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        await assert_accepted(client, bearer(idp.token(clock.now())))
        idp.keys["idp-2"] = _RSA_POOL[1]
        clock.advance(timedelta(seconds=REFETCH_SECONDS - 1))
        await assert_refused(client, bearer(idp.token(clock.now(), kid="idp-2")), "token_key_unknown")
        assert idp.fetches == 1
        clock.advance(timedelta(seconds=1))
        await assert_accepted(client, bearer(idp.token(clock.now(), kid="idp-2")))
        assert idp.fetches == 2

    async def test_a_burst_of_unknown_kids_does_not_hammer_the_idp(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        attacker = _RSA_POOL[2]

        async def burst(size: int) -> list[httpx.Response]:
            tokens = [idp.token(clock.now(), kid=f"forged-{i}", key=attacker) for i in range(size)]
            return await asyncio.gather(*(publish(client, bearer(t)) for t in tokens))

        first = await burst(25)  # concurrent, before anything is cached: they share one fetch
        assert idp.fetches == 1
        clock.advance(timedelta(seconds=REFETCH_SECONDS // 2))
        second = await burst(25)
        assert idp.fetches == 1
        clock.advance(timedelta(seconds=REFETCH_SECONDS))
        third = await burst(25)
        assert idp.fetches == 2
        for response in first + second + third:
            assert response.status_code == 401
            assert response.json()["code"] == "token_key_unknown"

    @pytest.mark.parametrize(
        "changes",
        [
            pytest.param({"iss": "https://other-idp.example"}, id="another issuer"),
            pytest.param({"aud": "account"}, id="another audience"),
            pytest.param(
                {"iss": "govservice", "aud": "govservice"}, id="this service's issuer, not the IdP's"
            ),
            pytest.param({"aud": None}, id="no audience"),
        ],
    )
    async def test_idp_token_with_wrong_issuer_or_audience_is_refused(
        self,
        client: httpx.AsyncClient,
        idp: FakeIdentityProvider,
        clock: ManualClock,
        changes: dict[str, Any],
    ) -> None:
        await assert_refused(client, bearer(idp.token(clock.now(), **changes)), "token_claims_invalid")

    async def test_algorithm_must_fit_the_idp_key(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        await assert_accepted(client, bearer(idp.token(clock.now())))  # the key is cached now
        public_pem = (
            idp.keys["idp-1"]
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        claims = {
            "sub": "x",
            "roles": ["admin"],
            "iss": IDP_ISSUER,
            "aud": IDP_AUDIENCE,
            "exp": int(clock.now().timestamp()) + 300,
        }
        confused = compact({"alg": "HS256", "kid": "idp-1"}, claims, hs256(public_pem))
        await assert_refused(client, bearer(confused), "token_algorithm_rejected")
        for alg in ("ES256", "PS256"):
            token = compact({"alg": alg, "kid": "idp-1"}, claims, rs256(idp.keys["idp-1"]))
            await assert_refused(client, bearer(token), "token_algorithm_rejected")

    @pytest.mark.parametrize("parameter", ["jku", "x5u", "jwk", "x5c"])
    async def test_key_and_key_url_headers_are_never_followed(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock, parameter: str
    ) -> None:
        attacker = _RSA_POOL[2]
        value = {
            "jku": "https://attacker.example/jwks.json",
            "x5u": "https://attacker.example/cert.pem",
            "jwk": rsa_jwk("forged", attacker),
            "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
        }[parameter]
        token = idp.token(clock.now(), kid="forged", key=attacker, header={parameter: value})
        await assert_refused(client, bearer(token), "token_header_rejected")
        assert all(r.url.host == "idp.example" for r in idp.requests)
        assert idp.fetches == 0

    async def test_weak_symmetric_and_encryption_keys_in_the_jwks_are_not_trusted(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        encryption = _RSA_POOL[1]
        idp.extra_entries = [
            rsa_jwk("weak-1024", weak),
            rsa_jwk("enc-only", encryption, use="enc"),
            {"kty": "oct", "kid": "shared", "k": b64(b"secret" * 6)},
        ]
        await assert_refused(
            client, bearer(idp.token(clock.now(), kid="weak-1024", key=weak)), "token_key_unknown"
        )
        await assert_refused(
            client, bearer(idp.token(clock.now(), kid="enc-only", key=encryption)), "token_key_unknown"
        )
        shared = compact({"alg": "HS256", "kid": "shared"}, {"sub": "x"}, hs256(b"secret" * 6))
        await assert_refused(client, bearer(shared), "token_algorithm_rejected")
        await assert_accepted(client, bearer(idp.token(clock.now())))  # the good key in the same set works

    async def test_a_key_the_idp_withdraws_stops_working_when_the_cache_ages(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        await assert_accepted(client, bearer(idp.token(clock.now())))
        idp.keys = {"idp-2": _RSA_POOL[1]}  # idp-1 withdrawn (compromised)
        clock.advance(timedelta(hours=1))
        await assert_refused(client, bearer(idp.token(clock.now(), key=_RSA_POOL[0])), "token_key_unknown")
        assert idp.fetches == 2

    async def test_an_unreachable_idp_keeps_the_last_good_keys(
        self, client: httpx.AsyncClient, idp: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        await assert_accepted(client, bearer(idp.token(clock.now())))
        idp.failing = True
        clock.advance(timedelta(hours=1))
        await assert_accepted(client, bearer(idp.token(clock.now())))
        await assert_refused(
            client, bearer(idp.token(clock.now(), kid="idp-9", key=_RSA_POOL[2])), "token_key_unknown"
        )
        assert idp.fetches == 2  # one failed attempt, then the interval holds
