"""Enforcement API: waiver rules, inspections, violation cases, countersign, statistics."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from govservice.domain.clock import ManualClock
from tests.conftest import TokenFactory


async def test_waiver_rules_are_public_with_thresholds_look_back_and_limitation(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/waiver-rules")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "fire-first-offense-waivers@1+fire-violation-types@1"
    waivers = body["waiverList"]
    assert waivers["lookBackYears"] == 1
    assert waivers["limitation"]["years"] == 2
    assert waivers["limitation"]["lifeOrHealthYears"] == 5
    evacuation = next(e for e in waivers["entries"] if e["type"] == "EVACUATION-OBSTRUCTED")
    [threshold] = evacuation["thresholds"]
    assert threshold["quantity"] == "obstructed_width_share"
    assert Decimal(threshold["max"]) == Decimal("0.20")
    types = {t["code"]: t for t in body["violationTypes"]["types"]}
    assert {"EVACUATION-OBSTRUCTED", "HYDRANT-BLOCKED", "FIRE-DOOR-FAULTY"} <= set(types)
    hydrant = types["HYDRANT-BLOCKED"]
    assert hydrant["fine"]["minYuan"] < hydrant["fine"]["maxYuan"]
    assert hydrant["legalBasis"]["penalty"]
    # every waivable type is a catalogued type
    assert {e["type"] for e in waivers["entries"]} <= set(types)


ENT = "91510100MA6CX12348"
OTHER = "91110000802100433B"


@pytest.fixture
def inspector(auth: TokenFactory) -> dict[str, str]:
    return auth("inspector", sub="insp-1", unit="CD-JJ")


@pytest.fixture
def legal(auth: TokenFactory) -> dict[str, str]:
    return auth("legal", sub="legal-9", unit="CD-JJ")


def _inspection(
    uscc: str = ENT,
    *,
    on: str = "2026-03-02",
    officers: tuple[str, str] = ("insp-1", "insp-2"),
    blocked: int = 1,
    harm: str = "minor",
) -> dict[str, Any]:
    return {
        "uscc": uscc,
        "unitName": "某某餐饮",
        "address": "成都市锦江区某某路1号",
        "inspectedOn": on,
        "officers": list(officers),
        "evidence": ["照片 P-1"],
        "findings": [
            {
                "violationType": "HYDRANT-BLOCKED",
                "harmLevel": harm,
                "measurements": [{"quantity": "blocked_hydrants", "value": blocked}],
            }
        ],
    }


async def _inspect(client: httpx.AsyncClient, headers: dict[str, str], **kw: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/inspections", json=_inspection(**kw), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _act(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    vid: int,
    action: str,
    body: dict[str, Any] | None = None,
    expect: int = 200,
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/violations/{vid}/actions/{action}", json=body or {}, headers=headers
    )
    assert response.status_code == expect, response.text
    return response.json()  # type: ignore[no-any-return]


async def _corrected_on_spot(
    client: httpx.AsyncClient, inspector: dict[str, str], **kw: Any
) -> dict[str, Any]:
    inspection = await _inspect(client, inspector, **kw)
    vid = inspection["findings"][0]["violationId"]
    return await _act(client, inspector, vid, "correct_on_spot")


async def test_inspection_records_two_officers_and_opens_a_case_per_finding(
    client: httpx.AsyncClient, inspector: dict[str, str]
) -> None:
    inspection = await _inspect(client, inspector)
    assert inspection["officers"] == ["insp-1", "insp-2"]
    [finding] = inspection["findings"]
    assert Decimal(finding["measurements"][0]["value"]) == 1
    again = (await client.get(f"/api/v1/inspections/{inspection['id']}", headers=inspector)).json()
    assert again == inspection
    case = (await client.get(f"/api/v1/violations/{finding['violationId']}", headers=inspector)).json()
    assert case["state"] == "ordering" and case["uscc"] == ENT


async def test_inspection_needs_two_distinct_officers_including_the_caller_and_a_valid_uscc(
    client: httpx.AsyncClient, inspector: dict[str, str], auth: TokenFactory
) -> None:
    same = await client.post(
        "/api/v1/inspections", json=_inspection(officers=("insp-1", "insp-1")), headers=inspector
    )
    assert (same.status_code, same.json()["code"]) == (422, "two_officers_required")
    absent = await client.post(
        "/api/v1/inspections", json=_inspection(officers=("insp-2", "insp-3")), headers=inspector
    )
    assert (absent.status_code, absent.json()["code"]) == (403, "not_an_inspecting_officer")
    bad = await client.post(
        "/api/v1/inspections", json=_inspection(uscc="91510100MA6CX12349"), headers=inspector
    )
    assert bad.status_code == 400
    clerk = await client.post("/api/v1/inspections", json=_inspection(), headers=auth("clerk"))
    assert clerk.status_code == 403


async def test_first_offense_corrected_on_the_spot_is_waived_with_the_fine_it_spared(
    client: httpx.AsyncClient, inspector: dict[str, str], legal: dict[str, str]
) -> None:
    case = await _corrected_on_spot(client, inspector)
    assert case["state"] == "waiver_review"
    assert case["eligible"] is True
    assert case["ruleVersion"] == "fire-first-offense-waivers@1+fire-violation-types@1"
    conditions = case["evaluation"]["conditions"]
    assert conditions and all(c["met"] for c in conditions)
    assert case["fineSparedYuan"] == 11750  # light tier: 5000 + 45000 × 15 %
    decided = await _act(client, legal, case["id"], "countersign")
    assert decided["state"] == "waived" and decided["outcome"] == "no_penalty"
    assert decided["decision"] == "no_penalty" and decided["countersignedBy"] == "legal-9"
    assert decided["education"]["content"]


@pytest.mark.parametrize(("harm", "fine"), [("general", 27500), ("serious", 43250)])
async def test_a_first_corrected_violation_of_more_than_minor_harm_is_not_waived(
    client: httpx.AsyncClient,
    inspector: dict[str, str],
    legal: dict[str, str],
    auth: TokenFactory,
    harm: str,
    fine: int,
) -> None:
    """Administrative Penalty Law art. 33: only a first violation of minor harm (轻微) goes unpunished."""
    case = await _corrected_on_spot(client, inspector, harm=harm)
    assert case["state"] == "penalty_review" and case["eligible"] is False
    [unmet] = [c for c in case["evaluation"]["conditions"] if not c["met"]]
    assert unmet["code"] == "minor_harm" and unmet["compared"]["harmLevel"] == harm
    assert case["fineYuan"] == fine and case["fineSparedYuan"] is None
    decided = await _act(client, legal, case["id"], "countersign")
    assert decided["decision"] == "penalty"
    stats = (await client.get("/api/v1/enforcement/statistics", headers=auth("supervisor"))).json()
    assert (stats["waivers"], stats["finesSparedYuan"], stats["penalties"], stats["penaltiesYuan"]) == (
        0,
        0,
        1,
        fine,
    )


async def test_repeat_within_a_year_gets_a_penalty_proposal(
    client: httpx.AsyncClient, inspector: dict[str, str], legal: dict[str, str], clock: ManualClock
) -> None:
    first = await _corrected_on_spot(client, inspector)
    await _act(client, legal, first["id"], "countersign")
    clock.advance(timedelta(days=30))
    second = await _corrected_on_spot(client, inspector, on="2026-04-01")
    assert second["state"] == "penalty_review" and second["eligible"] is False
    failed = [c["code"] for c in second["evaluation"]["conditions"] if not c["met"]]
    assert failed == ["first_violation"]
    assert second["fineYuan"] == second["evaluation"]["proposal"]["fineYuan"] > 0
    assert second["fineSparedYuan"] is None
    decided = await _act(client, legal, second["id"], "countersign")
    assert decided["state"] == "penalized" and decided["decision"] == "penalty"


async def test_inspector_cannot_countersign(
    client: httpx.AsyncClient, inspector: dict[str, str], auth: TokenFactory
) -> None:
    case = await _corrected_on_spot(client, inspector)
    other_inspector = auth("inspector", sub="insp-7", unit="CD-JJ")
    refused = await _act(client, other_inspector, case["id"], "countersign", expect=403)
    assert refused["code"] == "countersign_needs_legal_reviewer"
    refused = await _act(client, inspector, case["id"], "countersign", expect=403)
    assert refused["code"] == "countersign_needs_legal_reviewer"


async def test_legal_reviewer_who_inspected_cannot_countersign(
    client: httpx.AsyncClient, auth: TokenFactory, legal: dict[str, str]
) -> None:
    inspecting_lawyer = auth("inspector", "legal", sub="insp-2", unit="CD-JJ")
    case = await _corrected_on_spot(client, auth("inspector", sub="insp-1", unit="CD-JJ"))
    refused = await _act(client, inspecting_lawyer, case["id"], "countersign", expect=403)
    assert refused["code"] == "inspecting_officer_cannot_countersign"
    assert (await _act(client, legal, case["id"], "countersign"))["state"] == "waived"


async def test_applicant_sees_only_its_own_enterprises_cases(
    client: httpx.AsyncClient, inspector: dict[str, str], legal: dict[str, str], auth: TokenFactory
) -> None:
    own = await _corrected_on_spot(client, inspector)
    await _act(client, legal, own["id"], "countersign")
    other = await _corrected_on_spot(client, inspector, uscc=OTHER)
    applicant = auth("applicant", ent=ENT)
    listed = (await client.get("/api/v1/violations", headers=applicant)).json()["items"]
    assert [v["id"] for v in listed] == [own["id"]]
    seen = (await client.get(f"/api/v1/violations/{own['id']}", headers=applicant)).json()
    assert seen["decision"] == "no_penalty"
    hidden = await client.get(f"/api/v1/violations/{other['id']}", headers=applicant)
    assert hidden.status_code == 404
    acting = await client.post(
        f"/api/v1/violations/{own['id']}/actions/countersign", json={}, headers=applicant
    )
    assert acting.status_code == 403
    assessor = await client.get("/api/v1/violations", headers=auth("assessor"))
    assert assessor.status_code == 403
    assert (await client.get("/api/v1/inspections", headers=applicant)).status_code == 403


async def test_recheck_timer_fires_after_the_third_working_day_past_the_orders_deadline(
    app, client: httpx.AsyncClient, inspector: dict[str, str], clock: ManualClock
) -> None:  # noqa: ANN001
    inspection = await _inspect(client, inspector)  # Monday 2026-03-02
    vid = inspection["findings"][0]["violationId"]
    served = await _act(client, inspector, vid, "serve_order")
    assert served["correctBy"] == "2026-03-09"  # 5 working days
    assert served["recheckDueOn"] == "2026-03-12"  # 3 working days after the deadline
    clock.advance(timedelta(days=10))  # Thursday 03-12: the re-check is still due today
    await app.state.services.engine.run_due_timers("test-worker", limit=100)
    assert (await client.get(f"/api/v1/violations/{vid}", headers=inspector)).json()["state"] == "rectifying"
    clock.advance(timedelta(days=1))  # Friday 03-13
    await app.state.services.engine.run_due_timers("test-worker", limit=100)
    late = (await client.get(f"/api/v1/violations/{vid}", headers=inspector)).json()
    assert late["state"] == "recheck_late"
    # corrected on the deadline: in time, even though the re-check came late
    rechecked = await _act(client, inspector, vid, "recheck_corrected", {"correctedOn": "2026-03-09"})
    assert rechecked["eligible"] is True and rechecked["state"] == "waiver_review"


async def test_not_corrected_at_recheck_is_a_penalty_proposal(
    client: httpx.AsyncClient, inspector: dict[str, str], clock: ManualClock
) -> None:
    inspection = await _inspect(client, inspector)
    vid = inspection["findings"][0]["violationId"]
    await _act(client, inspector, vid, "serve_order")
    clock.advance(timedelta(days=7))
    case = await _act(client, inspector, vid, "recheck_not_corrected")
    assert case["corrected"] is False and case["state"] == "penalty_review" and case["fineYuan"] > 0


async def test_statistics_add_up(
    client: httpx.AsyncClient,
    inspector: dict[str, str],
    legal: dict[str, str],
    clock: ManualClock,
    auth: TokenFactory,
) -> None:
    spared = []
    for uscc in (ENT, OTHER):
        case = await _corrected_on_spot(client, inspector, uscc=uscc)
        spared.append((await _act(client, legal, case["id"], "countersign"))["fineSparedYuan"])
    clock.advance(timedelta(days=30))
    repeat = await _corrected_on_spot(client, inspector, on="2026-04-01")
    penalty = (await _act(client, legal, repeat["id"], "countersign"))["fineYuan"]
    stats = (await client.get("/api/v1/enforcement/statistics", headers=auth("supervisor"))).json()
    assert stats["waivers"] == 2 and stats["enterprisesSpared"] == 2
    assert stats["finesSparedYuan"] == sum(spared)
    assert (stats["penalties"], stats["penaltiesYuan"]) == (1, penalty)
    assert [(r["period"], r["unit"], r["waivers"], r["penalties"]) for r in stats["rows"]] == [
        ("2026-03", "CD-JJ", 2, 0),
        ("2026-04", "CD-JJ", 0, 1),
    ]
    march = (
        await client.get(
            "/api/v1/enforcement/statistics?from=2026-03-01&to=2026-03-31", headers=auth("supervisor")
        )
    ).json()
    assert (march["waivers"], march["penalties"]) == (2, 0)
    assert (await client.get("/api/v1/enforcement/statistics?unit=XX", headers=auth("supervisor"))).json()[
        "waivers"
    ] == 0
    assert (
        await client.get("/api/v1/enforcement/statistics", headers=auth("applicant", ent=ENT))
    ).status_code == 403


async def test_failed_commitment_recheck_opens_a_violation_case(
    client: httpx.AsyncClient, auth: TokenFactory, legal: dict[str, str]
) -> None:
    from tests.api.apps_helpers import act as app_act
    from tests.api.test_routes import _commitment_permit

    applicant = auth("applicant", ent=ENT)
    granted = await _commitment_permit(client, applicant, auth)
    checker = auth("inspector", sub="insp-1", unit="FR-APPROVAL")
    await app_act(client, checker, granted["id"], "fail_post_check", comment="二层疏散通道被占用")
    assert (await client.get("/api/v1/violations", headers=applicant)).json()["items"] == []
    revoked = await app_act(client, checker, granted["id"], "fail_recheck", comment="仍未整改")
    assert revoked["outcome"] == "revoked"
    [case] = (await client.get("/api/v1/violations", headers=applicant)).json()["items"]
    assert (case["violationType"], case["state"], case["uscc"]) == (
        "PGP-COMMITMENT-MISMATCH",
        "ordering",
        ENT,
    )
    # the checking inspector recorded it and so may not countersign it later, even as a lawyer
    approval_legal = auth("legal", sub="legal-9", unit="FR-APPROVAL")  # the checking unit's reviewer
    inspection = (
        await client.get(f"/api/v1/inspections/{case['inspectionId']}", headers=approval_legal)
    ).json()
    assert "insp-1" in inspection["officers"]


async def test_violation_past_the_limitation_period_is_time_barred_not_fined(
    client: httpx.AsyncClient, inspector: dict[str, str], legal: dict[str, str]
) -> None:
    body = _inspection()
    body["findings"][0]["committedOn"] = "2024-03-01"  # more than 2 years before the inspection
    inspection = (await client.post("/api/v1/inspections", json=body, headers=inspector)).json()
    case = await _act(client, inspector, inspection["findings"][0]["violationId"], "correct_on_spot")
    assert case["evaluation"]["outcome"] == "time_barred" and case["fineYuan"] is None
    decided = await _act(client, legal, case["id"], "countersign")
    assert decided["decision"] == "time_barred" and decided["fineYuan"] is None


@pytest.mark.parametrize(
    ("endangered", "harmed", "outcome"),
    [(True, False, "time_barred"), (False, True, "time_barred"), (True, True, "penalty")],
)
async def test_the_five_year_limitation_needs_life_or_health_and_a_harmful_consequence(
    client: httpx.AsyncClient, inspector: dict[str, str], endangered: bool, harmed: bool, outcome: str
) -> None:
    """Administrative Penalty Law art. 36: 2 years, or 5 where life or health safety is involved and
    there was a harmful consequence; committed three years before the inspection."""
    body = _inspection()
    body["findings"][0].update(
        committedOn="2023-03-01", lifeOrHealthEndangered=endangered, harmfulConsequence=harmed
    )
    inspection = (await client.post("/api/v1/inspections", json=body, headers=inspector)).json()
    case = await _act(client, inspector, inspection["findings"][0]["violationId"], "correct_on_spot")
    limitation = next(c for c in case["evaluation"]["conditions"] if c["code"] == "within_limitation")
    assert case["evaluation"]["outcome"] == outcome
    assert limitation["compared"]["years"] == ("5" if endangered and harmed else "2")


async def test_order_not_served_within_3_working_days_is_flagged_late(
    app,  # noqa: ANN001
    client: httpx.AsyncClient,
    inspector: dict[str, str],
    clock: ManualClock,
) -> None:
    inspection = await _inspect(client, inspector)  # Monday 2026-03-02
    vid = inspection["findings"][0]["violationId"]
    clock.advance(timedelta(days=3))  # Thursday 03-05: the third working day after the inspection
    await app.state.services.engine.run_due_timers("test-worker", limit=100)
    assert (await client.get(f"/api/v1/violations/{vid}", headers=inspector)).json()["state"] == "ordering"
    clock.advance(timedelta(days=1))
    await app.state.services.engine.run_due_timers("test-worker", limit=100)
    assert (await client.get(f"/api/v1/violations/{vid}", headers=inspector)).json()["state"] == "order_late"
    served = await _act(client, inspector, vid, "serve_order")
    assert served["orderServedOn"] == "2026-03-06" and served["state"] == "rectifying"


async def test_lists_page_with_a_cursor_and_reads_show_in_the_enterprises_data_access(
    client: httpx.AsyncClient, inspector: dict[str, str], auth: TokenFactory
) -> None:
    made = [await _corrected_on_spot(client, inspector, on=f"2026-03-0{day}") for day in (2, 2, 2)]
    first = (await client.get("/api/v1/violations?limit=2", headers=inspector)).json()
    assert [v["id"] for v in first["items"]] == [made[2]["id"], made[1]["id"]] and first["nextCursor"]
    rest = (
        await client.get(f"/api/v1/violations?limit=2&cursor={first['nextCursor']}", headers=inspector)
    ).json()
    assert [v["id"] for v in rest["items"]] == [made[0]["id"]] and rest["nextCursor"] is None
    ordering = (await client.get("/api/v1/violations?state=ordering", headers=inspector)).json()["items"]
    assert ordering == []  # each was corrected on the spot
    inspections = (await client.get("/api/v1/inspections?limit=2", headers=inspector)).json()
    assert len(inspections["items"]) == 2 and inspections["nextCursor"]
    assert (await client.get("/api/v1/violations?cursor=bogus", headers=inspector)).status_code == 400

    reads = (
        await client.get(
            f"/api/v1/enterprises/{ENT}/data-access?limit=200", headers=auth("applicant", ent=ENT)
        )
    ).json()["items"]
    actions = {r["action"] for r in reads if r["actorSub"] == "insp-1"}
    assert {"list_violations", "list_inspections"} <= actions


async def test_the_public_board_shows_waivers_granted_over_cases_decided_with_the_fines_spared(
    client: httpx.AsyncClient, inspector: dict[str, str], legal: dict[str, str]
) -> None:
    waived = await _corrected_on_spot(client, inspector)
    await _act(client, legal, waived["id"], "countersign")
    penalised = await _corrected_on_spot(client, inspector, uscc=OTHER, harm="general")
    await _act(client, legal, penalised["id"], "countersign")
    await _corrected_on_spot(client, inspector, uscc=OTHER)  # not decided yet: counts in neither
    board = (
        await client.get("/api/v1/public/board", params={"from": "2026-03-01", "to": "2026-03-31"})
    ).json()
    [unit] = [u for u in board["units"] if u["unit"] == "CD-JJ"]
    assert unit["waiversGranted"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
    assert unit["finesSparedYuan"] == 11750
    assert not any("waivers" in note for note in board["notShown"])
