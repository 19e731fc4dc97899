"""The tolerant (容缺) and commitment (告知承诺) routes, and the e-licence's offline verification."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import ENT_A, SUPERVISION, act, create, get, run_timers, upload, upload_all
from tests.conftest import TokenFactory

FILING = "FR-KEY-UNIT-FILING"  # offers the tolerant route; unit FR-SUPERVISION
TOLERABLE = ("maintenance_contract", "facility_test_report", "drill_record")


@pytest.fixture
def applicant(auth: TokenFactory) -> dict[str, str]:
    return auth("applicant", sub="user-a", ent=ENT_A)


@pytest.fixture
def clerk(auth: TokenFactory) -> dict[str, str]:
    return auth("clerk", sub="clerk-s", unit=SUPERVISION)


@pytest.fixture
def supervisor(auth: TokenFactory) -> dict[str, str]:
    return auth("supervisor", sub="head-s", unit=SUPERVISION)


async def _tolerant(client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]) -> dict:
    app = await create(client, applicant, FILING, "tolerant", commitmentSigned=True)
    await upload_all(client, applicant, app, skip=TOLERABLE)
    await act(client, applicant, app["id"], "file")
    accepted = await act(client, clerk, app["id"], "accept_tolerant")
    assert accepted["state"] == "reviewing"
    return accepted


async def test_tolerant_acceptance_then_supplements_in_time(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str], supervisor: dict[str, str]
) -> None:
    app = await _tolerant(client, applicant, clerk)
    assert app["supplementDueOn"] == "2026-03-09"  # the matter's supplement limit: 5 working days
    timeline = (await client.get(f"/api/v1/applications/{app['id']}/timeline", headers=applicant)).json()
    notice = next(n for n in timeline["notices"] if n["kind"] == "tolerant_supplement")
    assert {m["code"] for m in notice["body"]["materials"]} <= set(TOLERABLE)
    assert notice["body"]["dueOn"] == "2026-03-09" and "terminated" in notice["body"]["consequence"]
    await act(client, clerk, app["id"], "forward")
    refused = await act(client, supervisor, app["id"], "approve", expect=422)
    assert "supplemented" in refused["detail"]
    await act(client, supervisor, app["id"], "return_to_review")
    for code in {m["code"] for m in notice["body"]["materials"]}:
        assert (await upload(client, applicant, app["id"], code)).status_code == 201
    await act(client, clerk, app["id"], "accept_supplements")
    await act(client, clerk, app["id"], "forward")
    done = await act(client, supervisor, app["id"], "approve")
    assert done["outcome"] == "approved" and done["licenceNumber"]


async def test_unsupplemented_tolerant_case_is_terminated_and_credit_barred(
    app,
    client: httpx.AsyncClient,
    applicant: dict[str, str],
    clerk: dict[str, str],  # noqa: ANN001
    auth: TokenFactory,
    clock: ManualClock,
) -> None:
    case = await _tolerant(client, applicant, clerk)
    clock.advance(timedelta(days=8))  # past 2026-03-09
    await run_timers(app)
    ended = await get(client, applicant, case["id"])
    assert ended["state"] == "terminated" and ended["outcome"] == "terminated"
    enterprise = (await client.get(f"/api/v1/enterprises/{ENT_A}", headers=applicant)).json()
    assert enterprise["creditStatus"] == "broken_commitment"
    body = {"matterCode": FILING, "enterpriseName": "x", "route": "tolerant"}
    barred = await client.post("/api/v1/applications", json=body, headers=applicant)
    assert barred.status_code == 422 and barred.json()["code"] == "credit_barred"
    commitment = await client.post(
        "/api/v1/applications",
        headers=applicant,
        json={"matterCode": "FR-PGP-OPENING", "enterpriseName": "x", "route": "commitment"},
    )
    assert commitment.status_code == 422
    repaired = await client.post(
        f"/api/v1/enterprises/{ENT_A}/credit-repairs",
        json={"reason": "信用修复：已补齐并公开承诺"},
        headers=auth("admin"),
    )
    assert repaired.status_code == 201 and repaired.json()["creditStatus"] == "good"
    assert (await client.post("/api/v1/applications", json=body, headers=applicant)).status_code == 201


async def test_tolerant_acceptance_needs_every_key_material_and_the_commitment(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> None:
    app = await create(client, applicant, FILING, "tolerant")
    await upload_all(client, applicant, app, skip=(*TOLERABLE, "safety_rules"))
    await act(client, applicant, app["id"], "file")
    refused = await act(client, clerk, app["id"], "accept_tolerant", expect=422)
    assert "safety_rules" in refused["detail"] and "commitment" in refused["detail"]


async def test_standard_route_offers_no_tolerance(
    client: httpx.AsyncClient, applicant: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/applications",
        headers=applicant,
        json={"matterCode": "FR-PGP-OPENING", "enterpriseName": "x", "route": "tolerant"},
    )
    assert response.status_code == 422 and response.json()["code"] == "route_not_offered"


async def _commitment_permit(
    client: httpx.AsyncClient, applicant: dict[str, str], auth: TokenFactory
) -> dict:
    app = await create(client, applicant, "FR-PGP-OPENING", "commitment", commitmentSigned=True)
    assert {m["code"] for m in app["materials"]} == {"application_form", "commitment_letter"}
    await upload_all(client, applicant, app)
    await act(client, applicant, app["id"], "file")
    granted = await act(client, auth("clerk", sub="clerk-a", unit="FR-APPROVAL"), app["id"], "grant")
    assert granted["state"] == "post_check" and granted["licenceNumber"]
    assert granted["decidedOn"] == "2026-03-02"  # the same day
    return granted


async def test_commitment_route_permit_and_post_check(
    client: httpx.AsyncClient, applicant: dict[str, str], auth: TokenFactory
) -> None:
    granted = await _commitment_permit(client, applicant, auth)
    timeline = (await client.get(f"/api/v1/applications/{granted['id']}/timeline", headers=applicant)).json()
    post_check = next(d for d in timeline["deadlines"] if d["action"] == "post_check_overdue")
    assert post_check["dueAt"].startswith("2026-03-30")  # after 20 working days (ends 03-30 local midnight)
    inspector = auth("inspector", sub="insp-1", unit="FR-APPROVAL")
    closed = await act(client, inspector, granted["id"], "pass_post_check")
    assert closed["outcome"] == "approved"


async def test_failed_post_check_twice_revokes_the_licence(
    client: httpx.AsyncClient, applicant: dict[str, str], auth: TokenFactory
) -> None:
    granted = await _commitment_permit(client, applicant, auth)
    inspector = auth("inspector", sub="insp-1", unit="FR-APPROVAL")
    await act(client, inspector, granted["id"], "fail_post_check", comment="二层疏散通道被占用")
    timeline = (await client.get(f"/api/v1/applications/{granted['id']}/timeline", headers=applicant)).json()
    order = next(n for n in timeline["notices"] if n["kind"] == "rectification_order")
    assert order["body"]["correctBy"] == "2026-03-16" and order["body"]["recheckDueOn"] == "2026-03-19"
    assert any(
        d["action"] == "recheck_overdue" and d["dueAt"].startswith("2026-03-19")
        for d in timeline["deadlines"]
    )
    revoked = await act(client, inspector, granted["id"], "fail_recheck", comment="仍未整改")
    assert revoked["outcome"] == "revoked"
    licence = (await client.get(f"/api/v1/licences/{granted['licenceNumber']}")).json()
    assert licence["status"] == "revoked"


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _verify_with_jwks(token: str, jwks: dict) -> bytes:
    """An independent verifier: ES256 compact JWS against a JWKS, with `cryptography` only."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(_b64(header_b64))
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    assert header["alg"] == "ES256" and key["crv"] == "P-256"
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(_b64(key["x"]), "big"), int.from_bytes(_b64(key["y"]), "big"), ec.SECP256R1()
    ).public_key()
    raw = _b64(signature_b64)
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(signature, f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    return _b64(payload_b64)


async def test_licence_signature_verifies_offline_and_breaks_on_one_byte(
    client: httpx.AsyncClient, applicant: dict[str, str], auth: TokenFactory
) -> None:
    granted = await _commitment_permit(client, applicant, auth)
    licence = (await client.get(f"/api/v1/licences/{granted['licenceNumber']}")).json()
    jwks = (await client.get("/.well-known/jwks.json")).json()
    payload = _verify_with_jwks(licence["signature"], jwks)
    assert json.loads(payload) == licence["content"]
    header_b64, payload_b64, signature_b64 = licence["signature"].split(".")
    tampered = bytearray(_b64(payload_b64))
    tampered[10] ^= 0x01
    forged = ".".join(
        [header_b64, base64.urlsafe_b64encode(bytes(tampered)).rstrip(b"=").decode(), signature_b64]
    )
    with pytest.raises(InvalidSignature):
        _verify_with_jwks(forged, jwks)
    qr = await client.get(f"/api/v1/licences/{granted['licenceNumber']}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in qr.content
