"""The "五个一" key-enterprise package through the API: registry, green channel, 24-hour response
line with escalation, check-ups, plan and training records, restrained inspection."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.apps_helpers import APPROVAL, ENT_A, ENT_B, PDF, PNG, act, create, run_timers, upload_all
from tests.conftest import TokenFactory

ADVISER_UNIT = "FR-ADVISORY"
ADVISER = {"sub": "adviser-li", "name": "李专员", "unit": ADVISER_UNIT}


def _enrolment(uscc: str = ENT_A, **over: Any) -> dict[str, Any]:
    return {
        "uscc": uscc,
        "name": "某锂电科技有限公司",
        "industries": ["lithium_battery", "new_materials"],
        "enrolledFrom": "2026-01-01",
        "enrolledUntil": "2026-12-31",
        "adviser": ADVISER,
        **over,
    }


async def enrol(client: httpx.AsyncClient, admin: dict[str, str], **over: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/key-enterprises", json=_enrolment(**over), headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def admin(auth: TokenFactory) -> dict[str, str]:
    return auth("admin", sub="admin-1")


@pytest.fixture
def adviser(auth: TokenFactory) -> dict[str, str]:
    return auth("adviser", sub="adviser-li", unit=ADVISER_UNIT)


@pytest.fixture
def ent_a(auth: TokenFactory) -> dict[str, str]:
    return auth("applicant", sub="user-a", ent=ENT_A)


# -- registry ----------------------------------------------------------------------------------


async def test_registry_is_kept_by_admins_and_each_enterprise_sees_its_own(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    adviser: dict[str, str],
    ent_a: dict[str, str],
    auth: TokenFactory,
) -> None:
    entry = await enrol(client, admin)
    assert entry["adviser"] == ADVISER and entry["enrolledNow"] is True and entry["packageId"] == "five-ones"

    bad = await client.post("/api/v1/key-enterprises", json=_enrolment(uscc=ENT_A[:-1] + "0"), headers=admin)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "uscc"
    unknown = await client.post(
        "/api/v1/key-enterprises", json=_enrolment(uscc=ENT_B, industries=["casinos"]), headers=admin
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_industry")
    again = await client.post("/api/v1/key-enterprises", json=_enrolment(), headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "already_enrolled")

    own = await client.get(f"/api/v1/key-enterprises/{ENT_A}", headers=ent_a)
    assert own.status_code == 200 and own.json()["adviser"]["name"] == "李专员"
    other = await client.get(f"/api/v1/key-enterprises/{ENT_A}", headers=auth("applicant", ent=ENT_B))
    assert other.status_code == 404
    assert (await client.get("/api/v1/key-enterprises", headers=ent_a)).status_code == 403
    assert (
        await client.get(f"/api/v1/key-enterprises/{ENT_A}", headers=auth("clerk", unit=APPROVAL))
    ).status_code == 403

    assert (await client.get(f"/api/v1/key-enterprises/{ENT_A}", headers=adviser)).status_code == 200
    reads = (await client.get(f"/api/v1/enterprises/{ENT_A}/data-access", headers=ent_a)).json()["items"]
    assert [(r["actorSub"], r["action"]) for r in reads][:1] == [("adviser-li", "read_key_enterprise")]

    mine = await client.get("/api/v1/key-enterprises", headers=adviser)
    assert [e["uscc"] for e in mine.json()["items"]] == [ENT_A]
    someone_else = await client.get("/api/v1/key-enterprises", headers=auth("adviser", sub="adviser-wang"))
    assert someone_else.json()["items"] == []
    by_industry = await client.get("/api/v1/key-enterprises?industry=food_beverage", headers=admin)
    assert by_industry.json()["items"] == []


async def test_changing_an_entry_honours_if_match(
    client: httpx.AsyncClient, admin: dict[str, str], auth: TokenFactory
) -> None:
    await enrol(client, admin)
    supervisor = auth("supervisor", unit=ADVISER_UNIT)
    elsewhere = {"sub": "adviser-zhao", "name": "赵专员", "unit": APPROVAL}
    refused = await client.patch(
        f"/api/v1/key-enterprises/{ENT_A}", json={"adviser": elsewhere}, headers=supervisor
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "adviser_of_another_unit")
    new_adviser = {"sub": "adviser-wang", "name": "王专员", "unit": ADVISER_UNIT}
    stale = await client.patch(
        f"/api/v1/key-enterprises/{ENT_A}",
        json={"adviser": new_adviser},
        headers={**supervisor, "If-Match": '"7"'},
    )
    assert stale.status_code == 412
    changed = await client.patch(
        f"/api/v1/key-enterprises/{ENT_A}",
        json={"adviser": new_adviser, "enrolledUntil": None},
        headers={**supervisor, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["adviser"]["sub"] == "adviser-wang" and changed.json()["enrolledUntil"] is None
    assert changed.headers["etag"] == '"2"'
    backwards = await client.patch(
        f"/api/v1/key-enterprises/{ENT_A}", json={"enrolledUntil": "2025-06-01"}, headers=supervisor
    )
    assert backwards.status_code == 422


async def test_package_is_published_without_a_token(client: httpx.AsyncClient) -> None:
    package = (await client.get("/api/v1/key-enterprises/package")).json()
    assert [i["code"] for i in package["items"]] == [
        "adviser",
        "annual_checkup",
        "compliance_plan",
        "green_channel",
        "response_line",
    ]
    assert package["responseLine"]["responseHours"] == 24
    assert package["inspection"]["annualRoutineCap"] == 1


# -- green channel -----------------------------------------------------------------------------


async def _file(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    app = await create(client, headers)
    await upload_all(client, headers, app)
    return await act(client, headers, app["id"], "file")


async def test_green_channel_halves_the_promised_limit_and_goes_to_the_advisers_unit(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    ent_a: dict[str, str],
    auth: TokenFactory,
) -> None:
    await enrol(client, admin)
    key = await _file(client, ent_a)
    assert key["priority"] is True
    assert key["promisedLimit"] == 3  # FR-PGP-OPENING promises 5: half, rounded up
    assert key["statutoryLimit"] == 10 and key["unit"] == ADVISER_UNIT
    plain = await _file(client, auth("applicant", sub="user-b", ent=ENT_B))
    assert (plain["priority"], plain["promisedLimit"], plain["unit"]) == (False, 5, APPROVAL)

    clerk = auth("clerk", unit=ADVISER_UNIT)
    accepted = await act(client, clerk, key["id"], "accept")
    assert accepted["promisedDueOn"] == "2026-03-05"  # 3 working days after Monday 2 March


async def test_key_enterprises_sort_first_in_the_clerks_queue(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    ent_a: dict[str, str],
    auth: TokenFactory,
) -> None:
    await enrol(client, admin, adviser={**ADVISER, "unit": APPROVAL})
    first = await _file(client, auth("applicant", sub="user-b", ent=ENT_B))
    second = await _file(client, auth("applicant", sub="user-b2", ent=ENT_B))
    key = await _file(client, ent_a)
    queue = (await client.get("/api/v1/applications", headers=auth("clerk", unit=APPROVAL))).json()["items"]
    assert [a["id"] for a in queue] == [key["id"], first["id"], second["id"]]


async def test_no_green_channel_outside_the_enrolment_period(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    ent_a: dict[str, str],
) -> None:
    await enrol(client, admin, enrolledFrom="2026-04-01")
    app = await _file(client, ent_a)
    assert (app["priority"], app["promisedLimit"], app["unit"]) == (False, 5, APPROVAL)


# -- response line -----------------------------------------------------------------------------


async def _raise(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str = "urgent_hazard"
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/key-enterprises/{ENT_A}/requests",
        headers=headers,
        json={"kind": kind, "subject": "喷淋系统失压", "detail": "3号仓库喷淋压力不足"},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_unanswered_request_escalates_after_24_hours(
    app: Any,
    client: httpx.AsyncClient,
    clock: Any,
    admin: dict[str, str],
    ent_a: dict[str, str],
    adviser: dict[str, str],
    auth: TokenFactory,
    engine: AsyncEngine,
) -> None:
    await enrol(client, admin)
    request = await _raise(client, ent_a)
    assert request["state"] == "open"
    assert request["responseClock"]["responseHours"] == 24
    assert request["responseClock"]["remainingSeconds"] == 24 * 3600
    assert request["responseClock"]["respondBy"] == "2026-03-03T02:00:00Z"

    clock.advance(timedelta(hours=23, minutes=59))
    await run_timers(app)
    seen = (await client.get(f"/api/v1/enterprise-requests/{request['id']}", headers=ent_a)).json()
    assert seen["state"] == "open" and seen["responseClock"]["remainingSeconds"] == 60

    clock.advance(timedelta(minutes=1))
    await run_timers(app)
    supervisor = auth("supervisor", sub="sup-1", unit=ADVISER_UNIT)
    queue = (await client.get("/api/v1/enterprise-requests?state=escalated", headers=supervisor)).json()[
        "items"
    ]
    assert [r["id"] for r in queue] == [request["id"]]
    escalated = queue[0]
    assert escalated["escalatedAt"] == "2026-03-03T02:00:00Z"
    assert escalated["escalatedTo"] == f"supervisor of unit {ADVISER_UNIT}"
    assert escalated["responseClock"]["overdue"] is True
    other_unit = auth("supervisor", sub="sup-2", unit=APPROVAL)
    assert (await client.get("/api/v1/enterprise-requests?state=escalated", headers=other_unit)).json()[
        "items"
    ] == []

    answered = await client.post(
        f"/api/v1/enterprise-requests/{request['id']}/response",
        headers=supervisor,
        json={"response": "已派员到场处置"},
    )
    assert answered.status_code == 201, answered.text
    body = answered.json()
    assert body["state"] == "answered" and body["respondedBy"] == "sup-1"
    assert (
        body["responseClock"]["answeredAfterSeconds"] == 24 * 3600
        and body["responseClock"]["overdue"] is True
    )
    mine = (await client.get(f"/api/v1/key-enterprises/{ENT_A}/requests", headers=ent_a)).json()["items"]
    assert mine[0]["response"] == "已派员到场处置"

    # The escalation the timer took is in the audit trail, under the enterprise.
    assert await app.state.services.audit.record_timer_steps() == 0  # recorded with the step itself
    async with engine.connect() as conn:
        entry = (
            await conn.execute(
                text(
                    "SELECT action, actor_sub, subject, enterprise_uscc, unit FROM audit_entries "
                    "WHERE source IS NOT NULL"
                )
            )
        ).one()
    assert tuple(entry) == ("escalate", "system:timer", f"request:{request['id']}", ENT_A, ADVISER_UNIT)


async def test_a_request_answered_in_time_never_escalates(
    app: Any,
    client: httpx.AsyncClient,
    clock: Any,
    admin: dict[str, str],
    ent_a: dict[str, str],
    adviser: dict[str, str],
    auth: TokenFactory,
) -> None:
    await enrol(client, admin)
    request = await _raise(client, ent_a, kind="question")
    clock.advance(timedelta(hours=2))
    outsider = auth("adviser", sub="adviser-wang", unit=ADVISER_UNIT)
    assert (
        await client.post(
            f"/api/v1/enterprise-requests/{request['id']}/response", headers=outsider, json={"response": "?"}
        )
    ).status_code == 404
    answered = await client.post(
        f"/api/v1/enterprise-requests/{request['id']}/response",
        headers=adviser,
        json={"response": "按GB 51309执行"},
    )
    assert answered.json()["responseClock"]["overdue"] is False
    assert answered.json()["responseClock"]["answeredAfterSeconds"] == 7200
    clock.advance(timedelta(days=2))
    await run_timers(app)
    after = (await client.get(f"/api/v1/enterprise-requests/{request['id']}", headers=adviser)).json()
    assert after["state"] == "answered" and after["escalatedAt"] is None
    again = await client.post(
        f"/api/v1/enterprise-requests/{request['id']}/response", headers=adviser, json={"response": "again"}
    )
    assert again.status_code == 409


async def test_only_the_enterprise_raises_requests_and_only_while_enrolled(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    auth: TokenFactory,
) -> None:
    await enrol(client, admin, enrolledUntil="2026-02-28")
    body = {"kind": "consultation", "subject": "s", "detail": "d"}
    other = await client.post(
        f"/api/v1/key-enterprises/{ENT_A}/requests", json=body, headers=auth("applicant", ent=ENT_B)
    )
    assert other.status_code == 404  # another enterprise's entry is not disclosed
    lapsed = await client.post(
        f"/api/v1/key-enterprises/{ENT_A}/requests", json=body, headers=auth("applicant", ent=ENT_A)
    )
    assert (lapsed.status_code, lapsed.json()["code"]) == (422, "not_enrolled")
    bad_kind = await client.post(
        f"/api/v1/key-enterprises/{ENT_A}/requests",
        json={**body, "kind": "gossip"},
        headers=auth("applicant", ent=ENT_A),
    )
    assert bad_kind.status_code == 400


# -- check-up, plan and training ---------------------------------------------------------------


async def test_annual_checkup_with_report_and_findings_is_visible_to_the_enterprise(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    adviser: dict[str, str],
    ent_a: dict[str, str],
    auth: TokenFactory,
) -> None:
    await enrol(client, admin)
    base = f"/api/v1/key-enterprises/{ENT_A}/checkups"
    scheduled = await client.post(base, json={"year": 2026, "scheduledOn": "2026-03-02"}, headers=adviser)
    assert scheduled.status_code == 201 and scheduled.json()["status"] == "scheduled"
    twice = await client.post(base, json={"year": 2026, "scheduledOn": "2026-06-02"}, headers=adviser)
    assert (twice.status_code, twice.json()["code"]) == (409, "checkup_exists")
    stranger = auth("adviser", sub="adviser-wang", unit=ADVISER_UNIT)
    assert (
        await client.post(base, json={"year": 2027, "scheduledOn": "2027-03-02"}, headers=stranger)
    ).status_code == 404

    findings = {
        "completedOn": "2026-03-02",
        "findings": [
            {
                "item": "疏散通道",
                "severity": "hazard",
                "description": "二层通道堆物",
                "rectifyBy": "2026-03-09",
            }
        ],
    }
    early = await client.post(f"{base}/2026/completion", json=findings, headers=adviser)
    assert (early.status_code, early.json()["code"]) == (422, "report_missing")
    not_pdf = await client.post(
        f"{base}/2026/report", files={"file": ("r.png", PNG, "image/png")}, headers=adviser
    )
    assert not_pdf.status_code == 422
    for disguised in ("setup.exe", "report.html"):  # a PDF's bytes under a name that says otherwise
        refused = await client.post(
            f"{base}/2026/report", files={"file": (disguised, PDF, "application/pdf")}, headers=adviser
        )
        assert (refused.status_code, refused.json()["code"]) == (422, "file_type_mismatch")
    filed = await client.post(
        f"{base}/2026/report",
        files={"file": ("../../年度 检查<报告>.PDF", PDF, "application/pdf")},
        headers=adviser,
    )
    assert filed.status_code == 201 and filed.json()["status"] == "report_filed"
    done = await client.post(f"{base}/2026/completion", json=findings, headers=adviser)
    assert done.status_code == 201 and done.json()["status"] == "completed"

    seen = (await client.get(base, headers=ent_a)).json()
    assert seen[0]["findings"][0]["description"] == "二层通道堆物" and seen[0]["report"]["size"] == len(PDF)
    assert seen[0]["report"]["filename"] == "年度 检查_报告_.pdf"  # stored sanitised
    report = await client.get(f"{base}/2026/report", headers=ent_a)
    assert report.status_code == 200 and report.content == PDF
    assert (await client.get(base, headers=auth("applicant", ent=ENT_B))).status_code == 404


async def test_plan_and_training_records(
    client: httpx.AsyncClient, admin: dict[str, str], adviser: dict[str, str], ent_a: dict[str, str]
) -> None:
    await enrol(client, admin)
    base = f"/api/v1/key-enterprises/{ENT_A}/service-records"
    plan = {
        "kind": "compliance_plan",
        "title": "2026年度合规与培训方案",
        "heldOn": "2026-03-02",
        "summary": "锂电池仓储、动火作业与疏散演练三项重点",
    }
    training = {
        "kind": "training",
        "title": "热失控处置培训",
        "heldOn": "2026-03-02",
        "summary": "实操演练",
        "attendees": 35,
    }
    for body in (plan, training):
        response = await client.post(base, json=body, headers=adviser)
        assert response.status_code == 201, response.text
    assert (await client.post(base, json=plan, headers=ent_a)).status_code == 403
    seen = (await client.get(base, headers=ent_a)).json()
    assert [(r["kind"], r["title"]) for r in seen] == [
        ("compliance_plan", plan["title"]),
        ("training", training["title"]),
    ]
    only_training = (await client.get(f"{base}?kind=training", headers=ent_a)).json()
    assert [r["attendees"] for r in only_training] == [35]


# -- restrained inspection ---------------------------------------------------------------------


def _plan(uscc: str = ENT_A, on: str = "2026-03-10", **over: Any) -> dict[str, Any]:
    return {"uscc": uscc, "plannedOn": on, "scope": "年度消防监督检查", **over}


async def test_routine_inspections_are_capped_and_override_reasons_go_through(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    ent_a: dict[str, str],
    auth: TokenFactory,
) -> None:
    await enrol(client, admin)
    inspector = auth("inspector", sub="insp-1", unit="FR-SUPERVISION")
    first = await client.post("/api/v1/inspection-plans", json=_plan(), headers=inspector)
    assert first.status_code == 201, first.text
    assert first.json()["cap"] == {
        "year": 2026,
        "cap": 1,
        "counted": 1,
        "overrideReasons": ["complaint", "fire_risk", "post_check"],
    }

    over = await client.post("/api/v1/inspection-plans", json=_plan(on="2026-09-01"), headers=inspector)
    assert (over.status_code, over.json()["code"]) == (422, "inspection_cap_reached")
    no_reason = await client.post(
        "/api/v1/inspection-plans", json=_plan(on="2026-03-20", purpose="complaint"), headers=inspector
    )
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "reason_required")
    complaint = await client.post(
        "/api/v1/inspection-plans",
        headers=inspector,
        json=_plan(
            on="2026-03-20", purpose="complaint", reason="群众举报安全出口锁闭", scope="安全出口、疏散通道"
        ),
    )
    assert complaint.status_code == 201
    assert [p["id"] for p in complaint.json()["mergeOffers"]] == [first.json()["plan"]["id"]]

    merged = await client.post(
        f"/api/v1/inspection-plans/{complaint.json()['plan']['id']}/merge",
        json={"into": first.json()["plan"]["id"]},
        headers=inspector,
    )
    assert merged.status_code == 201
    target = merged.json()["plan"]
    assert target["purpose"] == "complaint" and "安全出口、疏散通道" in target["scope"]
    notice = (await client.get(f"/api/v1/key-enterprises/{ENT_A}/inspection-plans", headers=ent_a)).json()
    assert sorted(p["status"] for p in notice) == ["merged", "planned"]

    # Another enterprise's plans are not the enterprise's business; ordinary enterprises have no cap.
    assert (
        await client.get(
            f"/api/v1/key-enterprises/{ENT_A}/inspection-plans", headers=auth("applicant", ent=ENT_B)
        )
    ).status_code == 404
    for on in ("2026-03-11", "2026-03-12"):
        assert (
            await client.post("/api/v1/inspection-plans", json=_plan(uscc=ENT_B, on=on), headers=inspector)
        ).status_code == 201


def _inspection(**over: Any) -> dict[str, Any]:
    return {
        "uscc": ENT_A,
        "unitName": "某锂电科技",
        "address": "成都市某某路1号",
        "inspectedOn": "2026-03-02",
        "officers": ["insp-1", "insp-2"],
        **over,
    }


async def test_recorded_inspections_count_against_the_cap(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    auth: TokenFactory,
) -> None:
    await enrol(client, admin)
    inspector = auth("inspector", sub="insp-1", unit="FR-SUPERVISION")
    plan = (
        await client.post("/api/v1/inspection-plans", json=_plan(on="2026-03-02"), headers=inspector)
    ).json()
    carried_out = await client.post(
        "/api/v1/inspections", json=_inspection(planId=plan["plan"]["id"]), headers=inspector
    )
    assert carried_out.status_code == 201, carried_out.text
    assert carried_out.json()["purpose"] == "routine"
    done = (await client.get(f"/api/v1/inspection-plans/{plan['plan']['id']}", headers=inspector)).json()
    assert done["plan"]["status"] == "done" and done["plan"]["inspectionId"] == carried_out.json()["id"]

    second = await client.post("/api/v1/inspections", json=_inspection(), headers=inspector)
    assert (second.status_code, second.json()["code"]) == (422, "inspection_cap_reached")
    fire_risk = await client.post(
        "/api/v1/inspections",
        headers=inspector,
        json=_inspection(purpose="fire_risk", reason="锂电池仓库温度异常报警"),
    )
    assert fire_risk.status_code == 201 and fire_risk.json()["reason"] == "锂电池仓库温度异常报警"
    next_year_plan = await client.post(
        "/api/v1/inspection-plans", json=_plan(on="2027-01-05"), headers=inspector
    )
    assert next_year_plan.status_code == 201  # the cap is per calendar year
