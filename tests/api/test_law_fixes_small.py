"""Smaller things a user would notice (issue 15, part 5): the licence holder's name is the
enterprise record's; a commitment-route grant reads as a grant; every due date is a local date
beside its UTC instant; a second visit shows as a broken promise at once; errors name the rule in
words."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from govservice.db.models import AuditEntryRow
from tests.api.apps_helpers import APPROVAL, ENT_A, ENT_B, act, create, get, inspect, upload, upload_all
from tests.conftest import TokenFactory

FIRST_NAME = "成都某某餐饮管理有限公司"
NEW_NAME = "成都某某餐饮集团有限公司"


@pytest.fixture
def applicant(auth: TokenFactory) -> dict[str, str]:
    return auth("applicant", sub="user-a", ent=ENT_A)


@pytest.fixture
def clerk(auth: TokenFactory) -> dict[str, str]:
    return auth("clerk", sub="clerk-1", unit=APPROVAL)


@pytest.fixture
def head(auth: TokenFactory) -> dict[str, str]:
    return auth("supervisor", sub="head-1", unit=APPROVAL)


async def _filed(
    client: httpx.AsyncClient, applicant: dict[str, str], route: str = "standard", **extra: Any
) -> dict[str, Any]:
    app = await create(client, applicant, "FR-PGP-OPENING", route, **extra)
    await upload_all(client, applicant, app)
    return await act(client, applicant, app["id"], "file")


async def _notices(client: httpx.AsyncClient, headers: dict[str, str], app_id: int) -> list[dict[str, Any]]:
    timeline = (await client.get(f"/api/v1/applications/{app_id}/timeline", headers=headers)).json()
    return timeline["notices"]  # type: ignore[no-any-return]


async def test_the_licence_holder_is_the_enterprise_record_and_a_rename_is_a_recorded_change(
    app: Any,
    client: httpx.AsyncClient,
    applicant: dict[str, str],
    clerk: dict[str, str],
    head: dict[str, str],
    auth: TokenFactory,
) -> None:
    first = await _filed(client, applicant)  # the first filing creates the record with its name
    assert first["enterpriseName"] == FIRST_NAME
    typed = await create(client, applicant, enterpriseName="随便写的名字")  # later text is not the name
    assert typed["enterpriseName"] == FIRST_NAME
    body = {"matterCode": "FR-PGP-OPENING", "route": "standard"}
    unknown = await client.post("/api/v1/applications", json=body, headers=auth("applicant", ent=ENT_B))
    assert (unknown.status_code, unknown.json()["code"]) == (422, "enterprise_name_required")

    changes = f"/api/v1/enterprises/{ENT_A}/name-changes"
    other = await client.post(
        changes, json={"name": "x", "reason": "y"}, headers=auth("applicant", ent=ENT_B)
    )
    assert other.status_code == 404
    assert (
        await client.post(changes, json={"name": NEW_NAME, "reason": "r"}, headers=clerk)
    ).status_code == 403
    too_long = await client.post(changes, json={"name": "名" * 201, "reason": "r"}, headers=applicant)
    assert too_long.status_code == 400
    renamed = await client.post(
        changes, json={"name": NEW_NAME, "reason": "营业执照变更登记"}, headers=applicant
    )
    assert renamed.status_code == 201, renamed.text
    record = renamed.json()
    assert record["name"] == NEW_NAME
    [change] = record["nameHistory"]
    assert (change["fromName"], change["toName"], change["reason"]) == (
        FIRST_NAME,
        NEW_NAME,
        "营业执照变更登记",
    )
    same = await client.post(changes, json={"name": NEW_NAME, "reason": "again"}, headers=applicant)
    assert (same.status_code, same.json()["code"]) == (422, "name_unchanged")

    await act(client, clerk, first["id"], "accept")  # filed before the change, licensed after it
    await inspect(client, clerk, first["id"])
    done = await act(client, head, first["id"], "approve")
    licence = (await client.get(f"/api/v1/licences/{done['licenceNumber']}")).json()
    assert licence["content"]["holderName"] == NEW_NAME
    async with app.state.services.ctx.sessions() as session:
        audited = list(
            await session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "rename_enterprise"))
        )
    assert [(a.enterprise_uscc, a.detail["to"]) for a in audited] == [(ENT_A, NEW_NAME)]


async def test_a_commitment_grant_reads_as_a_grant_and_its_clock_has_stopped(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> None:
    filed = await _filed(client, applicant, "commitment", commitmentSigned=True)
    granted = await act(client, clerk, filed["id"], "grant")
    clock = granted["clock"]
    assert clock["status"] == "stopped" and clock["remaining"] == 0 and clock["elapsed"] == 0
    assert clock["dueOn"] is None
    [decision] = [n for n in await _notices(client, applicant, filed["id"]) if n["kind"] == "decision"]
    assert decision["body"]["outcome"] == "granted"
    assert "remedies" not in decision["body"]  # appeal rights are for refusals
    assert decision["body"]["postCheckDueOn"] == granted["postCheckDueOn"] == "2026-03-30"


async def test_every_due_date_is_a_local_date_beside_its_utc_instant(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> None:
    filed = await _filed(client, applicant)  # Monday 2 March, 10:00 in Shanghai
    assert (filed["acceptanceDueOn"], filed["acceptanceDueAt"]) == ("2026-03-09", "2026-03-09T16:00:00Z")
    timeline = (await client.get(f"/api/v1/applications/{filed['id']}/timeline", headers=applicant)).json()
    [review] = timeline["deadlines"]
    assert (review["dueOn"], review["dueAt"]) == ("2026-03-09", "2026-03-09T16:00:00Z")
    accepted = await act(client, clerk, filed["id"], "accept")
    assert accepted["acceptanceDueOn"] is None and accepted["acceptanceDueAt"] is None
    assert (accepted["clock"]["dueOn"], accepted["clock"]["dueAt"]) == ("2026-03-16", "2026-03-16T16:00:00Z")
    assert (accepted["promisedDueOn"], accepted["promisedDueAt"]) == ("2026-03-09", "2026-03-09T16:00:00Z")

    permit = await _filed(client, applicant, "commitment", commitmentSigned=True)
    granted = await act(client, clerk, permit["id"], "grant")
    assert (granted["postCheckDueOn"], granted["postCheckDueAt"]) == ("2026-03-30", "2026-03-30T16:00:00Z")
    notices = await _notices(client, applicant, permit["id"])
    assert all(n["dueAt"] is None for n in notices if n["dueOn"] is None)
    timeline = (await client.get(f"/api/v1/applications/{permit['id']}/timeline", headers=applicant)).json()
    [post_check] = timeline["deadlines"]
    assert (post_check["dueOn"], post_check["dueAt"]) == ("2026-03-30", "2026-03-30T16:00:00Z")


async def test_a_second_visit_is_a_broken_promise_at_once_and_the_clerk_is_warned(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> None:
    filed = await _filed(client, applicant)  # FR-PGP-OPENING promises zero visits: one is over it
    visits = f"/api/v1/applications/{filed['id']}/visits"
    first = (await client.post(visits, json={"purpose": "递交纸质图纸"}, headers=clerk)).json()
    assert first["promiseBroken"] is True and "at most 0" in first["warning"]
    assert (await get(client, applicant, filed["id"]))["promiseBroken"] is True  # not only at conclusion


async def test_a_second_visit_of_a_one_visit_matter_warns_only_on_the_second(
    client: httpx.AsyncClient, applicant: dict[str, str], auth: TokenFactory
) -> None:
    clerk_s = auth("clerk", sub="clerk-f", unit="FR-FIRE-INVESTIGATION")
    app = await create(client, applicant, "FR-FIRE-DETERMINATION")  # promises at most one visit
    visits = f"/api/v1/applications/{app['id']}/visits"
    first = (await client.post(visits, json={"purpose": "递交原件"}, headers=clerk_s)).json()
    assert first["promiseBroken"] is False and first["warning"] is None
    assert (await get(client, applicant, app["id"]))["promiseBroken"] is False
    second = (await client.post(visits, json={"purpose": "再次递交"}, headers=clerk_s)).json()
    assert second["number"] == 2 and second["promiseBroken"] is True and "broken" in second["warning"]
    assert (await get(client, applicant, app["id"]))["promiseBroken"] is True


async def test_errors_name_the_rule_in_words_not_the_guard(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> None:
    draft = await create(client, applicant)
    await upload(client, applicant, draft["id"], "application_form")
    await act(client, applicant, draft["id"], "file")
    refused = await act(client, clerk, draft["id"], "accept", expect=422)
    assert "materials missing" in refused["detail"]
    assert "rule: every required material, key and tolerable, must be present" in refused["detail"]
    assert "[materials_complete]" not in refused["detail"] and "materials_complete" not in refused["detail"]
    options = (await client.get(f"/api/v1/applications/{draft['id']}/actions", headers=clerk)).json()
    accept = next(o for o in options if o["action"] == "accept")
    assert accept["reasons"] and all("[" not in r and "rule:" in r for r in accept["reasons"])
