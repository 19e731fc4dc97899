"""Token keys and the e-licence (document) key: separate, published with their purpose, rotated
each on its own, and nothing they signed stops verifying while it may still be valid."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import msgspec
import pytest
import rfc8785
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.api.app import create_app
from govservice.auth import KeyStore, Purpose, mint_token, rotate_key, sign_detached
from govservice.auth.keys import KEY_FILE, KEY_FILES, SigningKey, write_private_file
from govservice.config import PROJECT_ROOT, Settings
from govservice.db.models import LicenceRow
from govservice.domain.clock import ManualClock
from tests.api.rating_helpers import approved
from tests.api.webhook_helpers import people
from tests.conftest import WORKFLOWS, TokenFactory

__all__ = ["people"]  # a fixture, used by name

WEBHOOKS = "/api/v1/webhooks"  # any admin-only read: does this token still log in?


@pytest.fixture
def keys(request: pytest.FixtureRequest, settings: Settings, keys: KeyStore) -> KeyStore:
    """The test keys (the walk's helpers sign with them too), kept in the var dir as `govservice serve`
    keeps them; ``"shared"``: an installation from before the split, whose one key signed tokens and
    licences alike."""
    settings.var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private_file(settings.var_dir / KEY_FILE, keys.token.private_pem)
    if getattr(request, "param", None) == "shared":
        return KeyStore(
            token=keys.token, document=SigningKey.from_pem(keys.token.private_pem, Purpose.DOCUMENT)
        )
    write_private_file(settings.var_dir / KEY_FILES[Purpose.DOCUMENT], keys.document.private_pem)
    return KeyStore.load_or_create(settings.var_dir)


@asynccontextmanager
async def restarted(
    settings: Settings, engine: AsyncEngine, clock: ManualClock
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The service restarted on the same var dir and database, as after `govservice keys rotate`."""
    app = create_app(settings, engine=engine, clock=clock, keys=KeyStore.load_or_create(settings.var_dir))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield app, client


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


async def verified_offline(client: httpx.AsyncClient, number: str) -> tuple[str, bytes]:
    """What a relying party does with the licence and the JWKS alone: finds the key the signature
    names, checks that it is a document key and that it signed; returns its kid and the payload."""
    licence = (await client.get(f"/api/v1/licences/{number}")).json()
    jwks = (await client.get("/.well-known/jwks.json")).json()["keys"]
    header, payload, signature = licence["signature"].split(".")
    kid = json.loads(_b64(header))["kid"]
    [key] = [k for k in jwks if k["kid"] == kid]
    assert (key["purpose"], key["use"], key["key_ops"]) == ("document", "sig", ["verify"])
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(_b64(key["x"]), "big"), int.from_bytes(_b64(key["y"]), "big"), ec.SECP256R1()
    ).public_key()
    raw = _b64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    assert json.loads(_b64(payload)) == licence["content"]
    return kid, _b64(payload)


async def check(app: Any, number: str) -> Any:
    """The server's own check, as the public verification page makes it."""
    licences = app.state.services.licences
    return licences.check_signature(await licences.get(number, app.state.services.ctx.clock.now().date()))


async def test_tokens_and_licences_outlive_a_rotation_of_either_key(
    app: Any,
    client: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    clock: ManualClock,
    keys: KeyStore,
    auth: TokenFactory,
    people: Any,
) -> None:
    admin = auth("admin")
    first = (await approved(client, *people))["licenceNumber"]
    kid, payload = await verified_offline(client, first)
    assert kid == keys.document.kid != keys.kid
    licence = (await client.get(f"/api/v1/licences/{first}")).json()
    assert payload == rfc8785.dumps(licence["content"])  # JCS: recomputable from the content alone

    assert rotate_key(settings.var_dir, Purpose.DOCUMENT, clock.now(), settings.token_ttl_seconds)[0] == kid
    old_token_kid, new_token_kid = rotate_key(
        settings.var_dir, Purpose.TOKEN, clock.now(), settings.token_ttl_seconds
    )
    assert old_token_kid == keys.kid != new_token_kid

    async with restarted(settings, engine, clock) as (later, client):
        rotated: KeyStore = later.state.signing_keys
        assert await verified_offline(client, first) == (
            kid,
            payload,
        )  # the old document key is still published
        assert (await check(later, first)).valid and (await check(later, first)).key_id == kid
        assert (await client.get(WEBHOOKS, headers=admin)).status_code == 200  # a token of the old key
        second = (await approved(client, *people))["licenceNumber"]
        assert (await verified_offline(client, second))[0] == rotated.document.kid != kid
        published = {
            (k["kid"], k["purpose"]) for k in (await client.get("/.well-known/jwks.json")).json()["keys"]
        }
        assert published == {
            (rotated.kid, "token"),
            (rotated.document.kid, "document"),
            (kid, "document"),
            (old_token_kid, "token"),
        }

        clock.advance(
            timedelta(seconds=settings.token_ttl_seconds + 1)
        )  # every token of the old key has expired
        refused = await client.get(WEBHOOKS, headers=admin)
        assert (refused.status_code, refused.json()["code"]) == (401, "token_key_unknown")
        fresh = mint_token(
            rotated,
            issuer=settings.issuer,
            audience=settings.audience,
            sub="admin-2",
            roles=["admin"],
            now=clock.now(),
            ttl_seconds=60,
        )
        assert (await client.get(WEBHOOKS, headers={"Authorization": f"Bearer {fresh}"})).status_code == 200
        kids = [k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]]
        assert kids == [rotated.kid, rotated.document.kid, kid]  # licences may be valid until revoked
        assert (await verified_offline(client, first))[0] == kid


@pytest.mark.parametrize("keys", ["shared"], indirect=True)
async def test_an_installation_from_before_the_split_keeps_its_licences_and_sessions(
    app: Any,
    client: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    clock: ManualClock,
    keys: KeyStore,
    auth: TokenFactory,
    people: Any,
) -> None:
    admin = auth("admin")  # signed with the one shared key
    number = (await approved(client, *people))["licenceNumber"]
    async with app.state.services.ctx.transaction() as session:  # as issued then: field-order JSON, not JCS
        row = await session.get(LicenceRow, number)
        row.signature = sign_detached(keys, msgspec.json.encode(row.content))

    async with restarted(settings, engine, clock) as (later, client):
        split: KeyStore = later.state.signing_keys
        assert split.document.kid == keys.kid != split.kid  # the old key is now the licence key
        assert (await verified_offline(client, number))[0] == keys.kid
        assert (await check(later, number)).valid
        assert (await client.get(WEBHOOKS, headers=admin)).status_code == 200
        kids = [k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]]
        assert kids == [split.kid, keys.kid]  # each kid once

        async with later.state.services.ctx.transaction() as session:  # a licence altered in the database
            row = await session.get(LicenceRow, number)
            row.content = {**row.content, "holderName": "someone else"}
        tampered = await check(later, number)
        assert not tampered.valid and tampered.problem == "the signature does not cover this content"


async def test_keys_rotate_from_the_command_line(settings: Settings) -> None:
    before = KeyStore.load_or_create(settings.var_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSERVICE_")}
    env.update(GOVSERVICE_VAR_DIR=str(settings.var_dir), GOVSERVICE_WORKFLOWS_DIR=str(WORKFLOWS))
    command = [sys.executable, "-m", "govservice", "keys", "rotate", "--purpose"]
    done = await asyncio.to_thread(
        subprocess.run,
        [*command, "document"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    after = KeyStore.load_or_create(settings.var_dir)
    assert after.kid == before.kid and after.document.kid != before.document.kid
    assert f"{after.document.kid} signs from now on; {before.document.kid} stays published" in done.stdout
    assert [k["kid"] for k in after.jwks()["keys"]] == [before.kid, after.document.kid, before.document.kid]
    assert oct((settings.var_dir / KEY_FILES[Purpose.DOCUMENT]).stat().st_mode & 0o777) == "0o600"
    wrong = await asyncio.to_thread(
        subprocess.run,
        [*command, "both"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 2 and "invalid choice: 'both'" in wrong.stderr
