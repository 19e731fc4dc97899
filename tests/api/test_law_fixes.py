"""Decisions to the letter of the law (issue 15): deemed acceptance fixes the acceptance date but
not the file; a permit revoked because the commitment was not kept is a broken commitment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import (
    APPROVAL,
    ENT_A,
    SUPERVISION,
    act,
    create,
    get,
    inspect,
    run_timers,
    upload,
    upload_all,
)
from tests.conftest import TokenFactory

FILING = "FR-KEY-UNIT-FILING"  # offers the tolerant route; unit FR-SUPERVISION
TOLERABLE = ("maintenance_contract", "facility_test_report", "drill_record")


@pytest.fixture
def applicant(auth: TokenFactory) -> dict[str, str]:
    return auth("applicant", sub="user-a", ent=ENT_A)


async def _notices(client: httpx.AsyncClient, headers: dict[str, str], app_id: int, kind: str) -> list[Any]:
    timeline = (await client.get(f"/api/v1/applications/{app_id}/timeline", headers=headers)).json()
    return [n for n in timeline["notices"] if n["kind"] == kind]


async def test_a_deemed_accepted_file_missing_key_materials_cannot_be_approved(
    app: Any, client: httpx.AsyncClient, applicant: dict[str, str], auth: TokenFactory, clock: ManualClock
) -> None:
    head = auth("supervisor", sub="head-1", unit=APPROVAL)
    filed = await create(client, applicant)  # the standard route of FR-PGP-OPENING: 4 key materials
    await upload(client, applicant, filed["id"], filed["materials"][0]["code"])  # 3 of 4 missing
    await act(client, applicant, filed["id"], "file")  # Monday 2026-03-02
    clock.advance(timedelta(days=8))  # no decision on acceptance within 5 working days
    await run_timers(app)
    deemed = await get(client, applicant, filed["id"])
    assert deemed["state"] == "inspecting" and deemed["acceptedOn"] == "2026-03-02"  # the day it arrived
    [notice] = await _notices(client, applicant, filed["id"], "deemed_acceptance")
    assert notice["body"]["acceptedOn"] == "2026-03-02" and "第三十二条" in notice["body"]["legalBasis"]
    await inspect(client, head, filed["id"])
    options = (await client.get(f"/api/v1/applications/{filed['id']}/actions", headers=head)).json()
    approve = next(o for o in options if o["action"] == "approve")
    assert approve["allowed"] is False and any("materials missing" in r for r in approve["reasons"])
    refused = await act(client, head, filed["id"], "approve", expect=422)
    assert "materials missing" in refused["detail"]
    assert (await get(client, applicant, filed["id"]))["licenceNumber"] is None
    denied = await act(client, head, filed["id"], "deny", reasons=["主要材料缺失"])
    assert denied["outcome"] == "denied"


async def test_a_deemed_tolerant_acceptance_opens_the_supplement_window(
    app: Any, client: httpx.AsyncClient, applicant: dict[str, str], auth: TokenFactory, clock: ManualClock
) -> None:
    clerk, head = auth("clerk", unit=SUPERVISION), auth("supervisor", sub="head-s", unit=SUPERVISION)
    filed = await create(client, applicant, FILING, "tolerant", commitmentSigned=True)
    await upload_all(client, applicant, filed, skip=TOLERABLE)  # every tolerable material missing
    await act(client, applicant, filed["id"], "file")
    clock.advance(timedelta(days=8))  # Tuesday 2026-03-10: deemed accepted by the 5-working-day timer
    await run_timers(app)
    deemed = await get(client, applicant, filed["id"])
    assert deemed["state"] == "reviewing" and deemed["acceptedOn"] == "2026-03-02"
    assert deemed["supplementDueOn"] == "2026-03-17"  # the matter's 5 working days from the deemed step
    [window] = await _notices(client, applicant, filed["id"], "tolerant_supplement")
    assert {m["code"] for m in window["body"]["materials"]} == set(TOLERABLE)
    assert len(await _notices(client, applicant, filed["id"], "deemed_acceptance")) == 1
    await act(client, clerk, filed["id"], "forward")
    assert "supplemented" in (await act(client, head, filed["id"], "approve", expect=422))["detail"]
    clock.advance(timedelta(days=8))  # past the supplement deadline, nothing supplemented
    await run_timers(app)
    ended = await get(client, applicant, filed["id"])
    assert (ended["state"], ended["outcome"]) == ("terminated", "terminated")
    standing = (await client.get(f"/api/v1/enterprises/{ENT_A}", headers=applicant)).json()
    assert standing["creditStatus"] == "broken_commitment"


async def test_a_permit_revoked_for_a_broken_commitment_bars_the_commitment_route(
    client: httpx.AsyncClient, applicant: dict[str, str], auth: TokenFactory
) -> None:
    filed = await create(client, applicant, "FR-PGP-OPENING", "commitment", commitmentSigned=True)
    await upload_all(client, applicant, filed)
    await act(client, applicant, filed["id"], "file")
    granted = await act(client, auth("clerk", sub="clerk-a", unit=APPROVAL), filed["id"], "grant")
    inspector = auth("inspector", sub="insp-1", unit=APPROVAL)
    await act(client, inspector, filed["id"], "fail_post_check", comment="二层疏散通道被占用")
    revoked = await act(client, inspector, filed["id"], "fail_recheck", comment="仍未整改")
    assert revoked["outcome"] == "revoked"
    standing = (await client.get(f"/api/v1/enterprises/{ENT_A}", headers=applicant)).json()
    assert standing["creditStatus"] == "broken_commitment"
    [event] = standing["creditHistory"]
    assert granted["licenceNumber"] in event["reason"] and str(event["applicationId"]) == str(filed["id"])
    body = {
        "matterCode": "FR-PGP-OPENING",
        "enterpriseName": "x",
        "route": "commitment",
        "commitmentSigned": True,
    }
    again = await client.post("/api/v1/applications", json=body, headers=applicant)
    assert (again.status_code, again.json()["code"]) == (422, "credit_barred")
    body = {"matterCode": FILING, "enterpriseName": "x", "route": "tolerant"}
    tolerant = await client.post("/api/v1/applications", json=body, headers=applicant)
    assert (tolerant.status_code, tolerant.json()["code"]) == (422, "credit_barred")
