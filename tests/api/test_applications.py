"""Applications end to end through the HTTP API, with a clock the tests control."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import (
    APPROVAL,
    ENT_A,
    ENT_B,
    PNG,
    act,
    create,
    get,
    inspect,
    run_timers,
    upload,
    upload_all,
)
from tests.conftest import TokenFactory


@pytest.fixture
def applicant(auth: TokenFactory) -> dict[str, str]:
    return auth("applicant", sub="user-a", ent=ENT_A)


@pytest.fixture
def clerk(auth: TokenFactory) -> dict[str, str]:
    return auth("clerk", sub="clerk-1", unit=APPROVAL)


@pytest.fixture
def supervisor(auth: TokenFactory) -> dict[str, str]:
    return auth("supervisor", sub="head-1", unit=APPROVAL)


async def _filed(client: httpx.AsyncClient, applicant: dict[str, str]) -> dict:
    app = await create(client, applicant)
    await upload_all(client, applicant, app)
    return await act(client, applicant, app["id"], "file")


async def test_standard_route_from_filing_to_licence(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str], supervisor: dict[str, str]
) -> None:
    app = await _filed(client, applicant)
    assert app["state"] == "submitted" and app["arrivedOn"] == "2026-03-02"
    accepted = await act(client, clerk, app["id"], "accept")
    assert accepted["state"] == "inspecting"  # the standard route's on-site inspection comes first
    assert accepted["acceptedOn"] == "2026-03-02"
    assert accepted["clock"]["status"] == "running" and accepted["clock"]["remaining"] == 10
    assert accepted["clock"]["dueOn"] == "2026-03-16"  # 10 working days, the acceptance day not counted
    assert accepted["promisedDueOn"] == "2026-03-09"
    await inspect(client, clerk, app["id"])
    done = await act(client, supervisor, app["id"], "approve")
    assert done["outcome"] == "approved" and done["licenceNumber"]
    assert done["visitTag"] == "zero_visit" and done["promiseBroken"] is False
    licence = (await client.get(f"/api/v1/licences/{done['licenceNumber']}")).json()  # no token
    assert licence["status"] == "valid"
    assert licence["content"]["holderUscc"] == ENT_A


async def test_cancelled_matter_is_410_naming_the_replacement(
    client: httpx.AsyncClient, applicant: dict[str, str]
) -> None:
    body = {"matterCode": "FR-TECH-SERVICE-QUALIFICATION", "enterpriseName": "x", "route": "standard"}
    response = await client.post("/api/v1/applications", json=body, headers=applicant)
    assert response.status_code == 410
    problem = response.json()
    assert problem["code"] == "matter_cancelled"
    assert problem["replacement"]["matterCode"] == "FR-TECH-SERVICE-FILING"


async def test_shared_source_material_is_never_demanded(
    client: httpx.AsyncClient, applicant: dict[str, str]
) -> None:
    app = await create(client, applicant)
    assert "business_licence" not in {m["code"] for m in app["materials"]}
    response = await upload(client, applicant, app["id"], "business_licence")
    assert response.status_code == 422
    assert response.json()["code"] == "material_from_shared_source"


async def test_a_bad_upload_changes_nothing(client: httpx.AsyncClient, applicant: dict[str, str]) -> None:
    app = await create(client, applicant)
    wrong_type = await upload(client, applicant, app["id"], "application_form", PNG, "form.png")
    assert wrong_type.status_code == 422 and wrong_type.json()["code"] == "file_type_not_allowed"
    disguised = await upload(client, applicant, app["id"], "floor_plans", PNG, "plan.pdf")
    assert disguised.status_code == 422
    listed = (await client.get(f"/api/v1/applications/{app['id']}/materials", headers=applicant)).json()
    assert listed == []


async def test_one_deficiency_notice_lists_every_gap(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str], clock: ManualClock
) -> None:
    app = await create(client, applicant)
    await upload(client, applicant, app["id"], "application_form")
    filed = await act(client, applicant, app["id"], "file")
    # Acceptance is refused while materials are missing, with the reason.
    blocked = await act(client, clerk, app["id"], "accept", expect=422)
    assert "materials missing" in blocked["detail"]
    await act(
        client,
        clerk,
        app["id"],
        "notify_deficiency",
        defects=[{"material": "application_form", "problem": "unsigned"}],
    )
    timeline = (await client.get(f"/api/v1/applications/{app['id']}/timeline", headers=applicant)).json()
    notice = next(n for n in timeline["notices"] if n["kind"] == "deficiency")
    assert {m["code"] for m in notice["body"]["missing"]} == {
        "floor_plans",
        "evacuation_plan",
        "staff_training_record",
    }
    assert notice["body"]["defects"] == [{"material": "application_form", "problem": "unsigned"}]
    await upload_all(client, applicant, filed, skip=("application_form",))
    clock.advance(timedelta(days=2))  # corrections arrive on Wednesday 2026-03-04
    resubmitted = await act(client, applicant, app["id"], "submit_corrections")
    assert resubmitted["state"] == "resubmitted" and resubmitted["arrivedOn"] == "2026-03-04"
    second = await act(client, clerk, app["id"], "notify_deficiency", expect=409)
    assert second["code"] == "action_not_available"
    accepted = await act(client, clerk, app["id"], "accept")
    assert accepted["acceptedOn"] == "2026-03-04"


async def test_no_decision_in_5_working_days_is_deemed_accepted_on_arrival(
    app, client: httpx.AsyncClient, applicant: dict[str, str], clock: ManualClock
) -> None:  # noqa: ANN001
    filed = await _filed(client, applicant)  # Monday 2026-03-02
    clock.advance(timedelta(days=7))  # Monday 03-09: 5 working days have passed
    await run_timers(app)
    assert (await get(client, applicant, filed["id"]))["state"] == "submitted"
    clock.advance(timedelta(days=1))  # after the 5th working day ends
    await run_timers(app)
    deemed = await get(client, applicant, filed["id"])
    assert deemed["state"] == "inspecting"
    assert deemed["acceptedOn"] == "2026-03-02"
    assert deemed["clock"]["startedOn"] == "2026-03-02"
    assert deemed["clock"]["dueOn"] == "2026-03-16"


async def test_clock_pauses_and_one_extension(
    client: httpx.AsyncClient,
    applicant: dict[str, str],
    clerk: dict[str, str],
    supervisor: dict[str, str],
    clock: ManualClock,
) -> None:
    filed = await _filed(client, applicant)
    await act(client, clerk, filed["id"], "accept")
    clock.advance(timedelta(days=1))
    held = await act(client, clerk, filed["id"], "hold", reason="inspection")
    assert held["clock"]["status"] == "paused"
    clock.advance(timedelta(days=14))  # two weeks of inspection do not count
    resumed = await act(client, clerk, filed["id"], "resume")
    assert resumed["clock"]["elapsed"] == 1
    assert resumed["clock"]["pauses"]
    bad_hold = await act(client, clerk, filed["id"], "hold", expect=400, reason="lunch")
    assert bad_hold["errors"][0]["field"] == "reason"
    await inspect(client, clerk, filed["id"])
    before = resumed["clock"]["dueOn"]
    extended = await act(client, supervisor, filed["id"], "extend", reason="expert review of the plans")
    assert extended["clock"]["limit"] == 20 and extended["clock"]["dueOn"] > before
    again = await act(client, supervisor, filed["id"], "extend", expect=422, reason="more time")
    assert "already extended" in again["detail"]


async def test_visits_tag_the_case_and_a_second_visit_breaks_the_promise(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str], supervisor: dict[str, str]
) -> None:
    filed = await _filed(client, applicant)
    for purpose in ("hand in the original plans", "collect the certificate"):
        response = await client.post(
            f"/api/v1/applications/{filed['id']}/visits", json={"purpose": purpose}, headers=clerk
        )
        assert response.status_code == 201
    await act(client, clerk, filed["id"], "accept")
    await inspect(client, clerk, filed["id"])
    done = await act(client, supervisor, filed["id"], "approve")
    assert done["visits"] == 2 and done["visitTag"] == "multi_visit" and done["promiseBroken"] is True


async def test_applicant_sees_only_its_enterprise(
    client: httpx.AsyncClient, applicant: dict[str, str], auth: TokenFactory
) -> None:
    mine = await create(client, applicant)
    other = auth("applicant", sub="user-b", ent=ENT_B)
    assert (await client.get(f"/api/v1/applications/{mine['id']}", headers=other)).status_code == 404
    assert (await client.get("/api/v1/applications", headers=other)).json()["items"] == []
    stolen = await client.post(f"/api/v1/applications/{mine['id']}/actions/withdraw", json={}, headers=other)
    assert stolen.status_code == 404
    outsider = auth("clerk", sub="clerk-9", unit="FR-SUPERVISION")
    assert (await client.get(f"/api/v1/applications/{mine['id']}", headers=outsider)).status_code == 404
    assessor = auth("assessor", sub="assessor-1")
    assert (await client.get("/api/v1/applications", headers=assessor)).status_code == 403


async def test_actions_list_says_why_not(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> None:
    app = await create(client, applicant, file=True)
    options = (await client.get(f"/api/v1/applications/{app['id']}/actions", headers=clerk)).json()
    accept = next(o for o in options if o["action"] == "accept")
    assert accept["allowed"] is False and any("materials missing" in r for r in accept["reasons"])
    notify = next(o for o in options if o["action"] == "notify_deficiency")
    assert notify["allowed"] is True


async def test_if_match_guards_against_lost_updates(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> None:
    filed = await _filed(client, applicant)
    response = await client.get(f"/api/v1/applications/{filed['id']}", headers=clerk)
    etag = response.headers["etag"]
    stale = await client.post(
        f"/api/v1/applications/{filed['id']}/actions/accept", json={}, headers={**clerk, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    fresh = await client.post(
        f"/api/v1/applications/{filed['id']}/actions/accept", json={}, headers={**clerk, "If-Match": etag}
    )
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag


async def test_creating_is_idempotent(client: httpx.AsyncClient, applicant: dict[str, str]) -> None:
    body = {"matterCode": "FR-PGP-OPENING", "enterpriseName": "x", "route": "standard"}
    headers = {**applicant, "Idempotency-Key": "new-app-1"}
    first = await client.post("/api/v1/applications", json=body, headers=headers)
    again = await client.post("/api/v1/applications", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert len((await client.get("/api/v1/applications", headers=applicant)).json()["items"]) == 1
    other = await client.post("/api/v1/applications", json={**body, "route": "commitment"}, headers=headers)
    assert other.status_code == 422


async def test_clerk_of_the_unit_sees_the_queue(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> None:
    await _filed(client, applicant)
    await create(client, applicant)
    queue = (await client.get("/api/v1/applications?state=submitted", headers=clerk)).json()["items"]
    assert [a["state"] for a in queue] == ["submitted"]
    page = (await client.get("/api/v1/applications?limit=1", headers=clerk)).json()
    assert len(page["items"]) == 1 and page["nextCursor"]
    rest = (
        await client.get(f"/api/v1/applications?limit=1&cursor={page['nextCursor']}", headers=clerk)
    ).json()
    assert rest["items"][0]["id"] != page["items"][0]["id"]


async def test_uscc_is_checked(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    bad = auth("applicant", sub="user-x", ent="91350100M000100Y44")
    response = await client.post(
        "/api/v1/applications", json={"matterCode": "FR-PGP-OPENING", "enterpriseName": "x"}, headers=bad
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "enterpriseUscc"


async def test_denial_and_refusal_carry_reasons_and_remedies(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str], supervisor: dict[str, str]
) -> None:
    refused = await _filed(client, applicant)
    missing = await act(client, clerk, refused["id"], "refuse_acceptance", expect=400)
    assert missing["errors"][0]["field"] == "reasons"
    ended = await act(client, clerk, refused["id"], "refuse_acceptance", reasons=["不属于本机关职权范围"])
    assert ended["outcome"] == "refused"
    denied = await _filed(client, applicant)
    await act(client, clerk, denied["id"], "accept")
    await inspect(client, clerk, denied["id"])
    done = await act(client, supervisor, denied["id"], "deny", reasons=["安全出口数量不符合规范"])
    assert done["outcome"] == "denied" and done["licenceNumber"] is None
    timeline = (await client.get(f"/api/v1/applications/{denied['id']}/timeline", headers=applicant)).json()
    decision = next(n for n in timeline["notices"] if n["kind"] == "decision")
    assert decision["body"]["reasons"] == ["安全出口数量不符合规范"]
    assert any("行政复议" in remedy for remedy in decision["body"]["remedies"])
    # The applicant sees who acted by role only; staff see the person.
    assert all(e["by"] is None for e in timeline["events"])
