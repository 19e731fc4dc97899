"""The assessor API: every indicator recomputed from the pseudonymised records, by code written here
from the definitions (no project code), and the privacy of what an assessor sees."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import ENT_A, ENT_B, PDF
from tests.api.assessment_scenario import ENT_C, NAMES, PERSONS, Scenario, build
from tests.conftest import TokenFactory

BASE = "/api/v1/assessment"
PERIOD = {"from": "2026-03-01", "to": "2026-04-30"}
ZONE = ZoneInfo("Asia/Shanghai")
WORDS = (
    "办理很快",
    "窗口让我跑了三次",
    "恶意差评",
    "已电话回访",
    "评价内容与本件无关",
    "安全出口数量不符合规范",
    "不属于本机关职权范围",
    "专家评审",
    "未签字",
    "递交纸质图纸",
    "二层疏散通道被占用",
    "照片 P-1",
)


@pytest.fixture
async def scenario(app, client: httpx.AsyncClient, clock: ManualClock, auth: TokenFactory) -> Scenario:  # noqa: ANN001
    return await build(app, client, clock, auth)


@pytest.fixture
def assessor(auth: TokenFactory) -> dict[str, str]:
    return auth("assessor", sub="assessor-1", ttl=90 * 86400)


async def _get(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(BASE + path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _all(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        page = await _get(client, path, headers, limit=3, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            return items


# -- the recomputation: plain Python over the records, from the definitions ----------------------


def _rate(numerator: int, denominator: int) -> tuple:
    return (round(numerator / denominator, 4) if denominator else None, numerator, denominator)


def _count(n: int | None) -> tuple:
    return (n, n, None)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def recompute(
    records: list[dict],
    violations: list[dict],
    matters: list[dict],
    start: str,
    end: str,
    as_of: str,
    *,
    by_matter: bool = False,
) -> dict[str, tuple]:
    def within(day: str | None) -> bool:
        return day is not None and start <= day <= end

    concluded = [r for r in records if within(r["concludedOn"])]
    decided = [r for r in records if within(r["decidedOn"])]
    accepted = [r for r in records if within(r["acceptedOn"])]
    days = sorted(r["decisionWorkingDays"] for r in decided)
    settled = [r for r in records if within(r["tolerantDueOn"]) and (r["supplementedOn"] or r["concludedAt"])]
    offering = {m["code"] for m in matters if "commitment" in m["routes"]}
    commitment_matters = [r for r in accepted if r["matterCode"] in offering]
    today = _at(as_of).astimezone(ZONE).date().isoformat()
    post_checks = [
        r for r in decided if r["postCheckDueOn"] and (r["postCheckedOn"] or r["postCheckDueOn"] < today)
    ]
    waived = [v for v in violations if v["decision"] == "no_penalty" and within(v["decidedOn"])]
    counted = [
        r
        for r in concluded
        if not r["ratingExcluded"]
        and (r["ratingStars"] is not None or _at(r["ratingWindowEndsAt"]) < _at(as_of))
    ]
    orders = [
        r for r in records if within(r["workOrderOpenedOn"]) and r["workOrderOutcome"] != "appeal_upheld"
    ]
    changed = [
        m
        for m in matters
        if m["status"] in ("cancelled", "adjusted") and within(m["statusChange"]["effective"])
    ]
    return {
        "online_application_rate": _rate(sum(r["channel"] == "online" for r in concluded), len(concluded)),
        "zero_visit_rate": _rate(sum(r["visits"] == 0 for r in concluded), len(concluded)),
        "one_visit_rate": _rate(sum(r["visits"] <= 1 for r in concluded), len(concluded)),
        "average_visits": _rate(sum(r["visits"] for r in concluded), len(concluded)),
        "average_materials": _rate(sum(r["materials"] for r in concluded), len(concluded)),
        "average_decision_working_days": _rate(sum(days), len(days)),
        "median_decision_working_days": (
            days[math.ceil(len(days) / 2) - 1] if days else None,
            None,
            len(days),
        ),
        "decisions_on_time_promised": _rate(
            sum(r["decisionWorkingDays"] <= r["promisedLimit"] for r in decided), len(decided)
        ),
        "decisions_on_time_statutory": _rate(
            sum(r["decisionWorkingDays"] <= r["decisionLimit"] for r in decided), len(decided)
        ),
        "time_limit_compression": _rate(
            sum(r["statutoryLimit"] - r["promisedLimit"] for r in decided),
            sum(r["statutoryLimit"] for r in decided),
        ),
        "same_day_share": _rate(sum(r["decidedOn"] == r["acceptedOn"] for r in decided), len(decided)),
        "tolerant_acceptances": _count(sum(r["tolerantDueOn"] is not None for r in accepted)),
        "supplement_on_time_rate": _rate(
            sum(bool(r["supplementedOn"]) and r["supplementedOn"] <= r["tolerantDueOn"] for r in settled),
            len(settled),
        ),
        "commitment_route_share": _rate(
            sum(r["route"] == "commitment" for r in commitment_matters), len(commitment_matters)
        ),
        "post_check_on_time_rate": _rate(
            sum(bool(r["postCheckedOn"]) and r["postCheckedOn"] <= r["postCheckDueOn"] for r in post_checks),
            len(post_checks),
        ),
        "first_offense_waivers": _count(None if by_matter else len(waived)),
        "enterprises_spared": _count(None if by_matter else len({v["enterprise"] for v in waived})),
        "fines_spared": _count(None if by_matter else sum(v["fineSparedYuan"] for v in waived)),
        "satisfaction_rate": _rate(
            sum(r["ratingStars"] is None or r["ratingStars"] >= 3 for r in counted), len(counted)
        ),
        "bad_review_rectification_rate": _rate(
            sum(r["workOrderOutcome"] == "rectified" for r in orders), len(orders)
        ),
        "matters_cancelled_or_adjusted": _count(len(changed)),
    }


def figures(indicators: list[dict]) -> dict[str, tuple]:
    return {i["code"]: (i["value"], i["numerator"], i["denominator"]) for i in indicators}


async def _catalogue(client: httpx.AsyncClient) -> list[dict]:
    return (await client.get("/api/v1/matters", params={"limit": 500})).json()["items"]  # type: ignore[no-any-return]


# -- (a) every indicator, recomputed ----------------------------------------------------------------


async def test_every_indicator_is_recomputed_exactly_from_the_pseudonymised_records(
    client: httpx.AsyncClient, scenario: Scenario, assessor: dict[str, str]
) -> None:
    result = await _get(client, "/indicators", assessor, **PERIOD)
    records = await _all(client, "/applications", assessor, **PERIOD)
    violations = await _all(client, "/violations", assessor, **PERIOD)
    matters = await _catalogue(client)
    assert (result["periodFrom"], result["periodTo"]) == (PERIOD["from"], PERIOD["to"])
    assert {r["id"] for r in records} == set(scenario.apps.values())
    assert len(violations) == 4
    expected = recompute(records, violations, matters, PERIOD["from"], PERIOD["to"], result["asOf"])
    assert figures(result["indicators"]) == expected
    assert all(i["definition"] and i["unitOfMeasure"] and i["name"] for i in result["indicators"])

    # The scenario reaches every branch the definitions name (so the equality above is not 0 = 0).
    got = figures(result["indicators"])
    assert got["online_application_rate"][1:] == (8, 9)  # the open commitment case has not concluded
    assert got["one_visit_rate"][1:] == (8, 9) and got["zero_visit_rate"][1:] == (7, 9)
    assert got["decisions_on_time_promised"][1:] == (6, 7) and got["decisions_on_time_statutory"][1:] == (
        7,
        7,
    )
    assert got["supplement_on_time_rate"][1:] == (1, 2) and got["tolerant_acceptances"][0] == 2
    assert got["post_check_on_time_rate"][1:] == (1, 2)
    assert got["satisfaction_rate"][1:] == (6, 7)  # 5, 1 and five lapsed windows; one excluded, one open
    assert got["bad_review_rectification_rate"][1:] == (1, 1)  # the upheld appeal does not count
    assert got["first_offense_waivers"][0] == 3 and got["enterprises_spared"][0] == 2
    by_id = {r["id"]: r for r in records}
    paused = by_id[scenario.apps["paused_extended"]]
    assert (paused["decisionWorkingDays"], paused["decisionLimit"]) == (1, 20)  # a week on hold not counted
    assert by_id[scenario.apps["deficient"]]["acceptedOn"] == "2026-03-05"

    # The catalogue's history: the seeded cancellations took effect in 2019-2021.
    history = {"from": "2019-01-01", "to": "2021-12-31"}
    old = await _get(client, "/indicators", assessor, **history)
    assert (
        figures(old["indicators"])["matters_cancelled_or_adjusted"]
        == recompute([], [], matters, history["from"], history["to"], old["asOf"])[
            "matters_cancelled_or_adjusted"
        ]
    )
    assert figures(old["indicators"])["matters_cancelled_or_adjusted"][0] > 0


async def test_groups_and_filters_are_recomputed_too(
    client: httpx.AsyncClient, scenario: Scenario, assessor: dict[str, str]
) -> None:
    records = await _all(client, "/applications", assessor, **PERIOD)
    violations = await _all(client, "/violations", assessor, **PERIOD)
    matters = await _catalogue(client)
    by_unit = await _get(client, "/indicators", assessor, groupBy="unit", **PERIOD)
    assert figures(by_unit["indicators"]) == figures(
        (await _get(client, "/indicators", assessor, **PERIOD))["indicators"]
    )
    assert {g["key"] for g in by_unit["groups"]} == {"FR-APPROVAL", "FR-SUPERVISION", "CD-JJ"}
    for group in by_unit["groups"]:
        unit = group["key"]
        assert figures(group["indicators"]) == recompute(
            [r for r in records if r["unit"] == unit],
            [v for v in violations if v["departmentUnit"] == unit],
            [m for m in matters if m["unit"] == unit],
            PERIOD["from"],
            PERIOD["to"],
            by_unit["asOf"],
        ), unit
    by_matter = await _get(client, "/indicators", assessor, groupBy="matter", **PERIOD)
    for group in by_matter["groups"]:
        matter = group["key"]
        assert figures(group["indicators"]) == recompute(
            [r for r in records if r["matterCode"] == matter],
            [],
            [m for m in matters if m["code"] == matter],
            PERIOD["from"],
            PERIOD["to"],
            by_matter["asOf"],
            by_matter=True,
        ), matter
    filing = await _get(client, "/indicators", assessor, matter="FR-KEY-UNIT-FILING", **PERIOD)
    only = await _all(client, "/applications", assessor, matter="FR-KEY-UNIT-FILING", **PERIOD)
    assert {r["matterCode"] for r in only} == {"FR-KEY-UNIT-FILING"}
    assert figures(filing["indicators"]) == recompute(
        only,
        [],
        [m for m in matters if m["code"] == "FR-KEY-UNIT-FILING"],
        PERIOD["from"],
        PERIOD["to"],
        filing["asOf"],
        by_matter=True,
    )
    march = {"from": "2026-03-01", "to": "2026-03-31"}
    in_march = await _get(client, "/indicators", assessor, **march)
    assert figures(in_march["indicators"]) == recompute(
        await _all(client, "/applications", assessor, **march),
        await _all(client, "/violations", assessor, **march),
        matters,
        march["from"],
        march["to"],
        in_march["asOf"],
    )
    assert figures(in_march["indicators"])["first_offense_waivers"][0] == 3  # the April penalty is not in it


async def test_the_board_and_the_indicators_agree(
    client: httpx.AsyncClient, scenario: Scenario, assessor: dict[str, str]
) -> None:
    board = (await client.get("/api/v1/public/board", params=PERIOD)).json()
    by_unit = await _get(client, "/indicators", assessor, groupBy="unit", **PERIOD)
    for row in board["units"]:
        group = figures(next(g for g in by_unit["groups"] if g["key"] == row["unit"])["indicators"])
        for board_name, code in (
            ("decisionsOnTimePromised", "decisions_on_time_promised"),
            ("decisionsOnTimeStatutory", "decisions_on_time_statutory"),
            ("satisfaction", "satisfaction_rate"),
            ("badReviewsRectified", "bad_review_rectification_rate"),
        ):
            figure = row[board_name]
            assert (figure["rate"], figure["numerator"], figure["denominator"]) == group[code]


# -- (c) nothing personal, (d) stable pseudonyms ------------------------------------------------------


async def test_no_assessment_response_names_anyone_or_points_to_a_file(
    client: httpx.AsyncClient, scenario: Scenario, assessor: dict[str, str]
) -> None:
    bodies: list[str] = []
    for path, params in (
        ("/indicators", PERIOD),
        ("/indicators", {**PERIOD, "groupBy": "unit"}),
        ("/indicators", {**PERIOD, "groupBy": "matter"}),
        ("/applications", {**PERIOD, "limit": 500}),
        ("/violations", {**PERIOD, "limit": 500}),
        ("/event-log", {"from": "2026-03-01", "to": "2026-03-31"}),
        ("/event-log", {"from": "2026-03-01", "to": "2026-03-31", "format": "csv"}),
        ("/event-log", {"from": "2026-04-01", "to": "2026-04-30"}),
        ("/audit/verify", {}),
    ):
        response = await client.get(BASE + path, params=params, headers=assessor)
        assert response.status_code == 200, (path, response.text)
        bodies.append(response.content.decode())
    text = "\n".join(bodies)
    assert "application:1:" in text  # the event log is in there
    forbidden = [
        ENT_A,
        ENT_B,
        ENT_C,
        *NAMES.values(),
        *PERSONS,
        *WORDS,
        *scenario.licences,
        hashlib.sha256(PDF).hexdigest(),
        "doc.pdf",
        "assessor-1",
    ]
    assert [word for word in forbidden if word in text] == []


async def test_pseudonyms_are_stable_for_one_assessor_and_differ_between_assessors(
    client: httpx.AsyncClient, scenario: Scenario, assessor: dict[str, str], auth: TokenFactory
) -> None:
    owners = {
        scenario.apps["same_day"]: ENT_A,
        scenario.apps["deficient"]: ENT_A,
        scenario.apps["paused_extended"]: ENT_B,
        scenario.apps["commitment_late"]: ENT_B,
        scenario.apps["withdrawn"]: ENT_C,
        scenario.apps["window_open"]: ENT_C,
    }

    async def pseudonyms(headers: dict[str, str]) -> dict[str, str]:
        records = {r["id"]: r["enterprise"] for r in await _all(client, "/applications", headers, **PERIOD)}
        names: dict[str, str] = {}
        for app_id, uscc in owners.items():
            assert names.setdefault(uscc, records[app_id]) == records[app_id]  # one enterprise, one name
        return names

    first = await pseudonyms(assessor)
    assert len(set(first.values())) == 3
    assert await pseudonyms(assessor) == first  # stable across requests
    log = (
        await client.get(
            BASE + "/event-log",
            params={"format": "csv", "from": "2026-03-01", "to": "2026-03-31"},
            headers=assessor,
        )
    ).text
    assert {row["enterprise"] for row in csv.DictReader(io.StringIO(log))} <= set(first.values())
    waived = await _all(client, "/violations", assessor, **PERIOD)
    assert {v["enterprise"] for v in waived} == {first[ENT_A], first[ENT_B]}
    other = await pseudonyms(auth("assessor", sub="assessor-2"))
    assert not set(other.values()) & set(first.values())


# -- (e) the event log --------------------------------------------------------------------------------

OCEL_TYPES = {"string", "time", "integer", "float", "boolean"}


def check_ocel(log: dict) -> list[str]:
    """Structural checks of an OCEL 2.0 JSON log, from the standard's JSON format."""
    problems: list[str] = []
    if set(log) != {"objectTypes", "eventTypes", "objects", "events"}:
        problems.append(f"top-level keys {sorted(log)}")
    declared = {}
    for kind in ("objectTypes", "eventTypes"):
        for t in log[kind]:
            if set(t) != {"name", "attributes"} or any(
                set(a) != {"name", "type"} or a["type"] not in OCEL_TYPES for a in t["attributes"]
            ):
                problems.append(f"{kind} {t}")
            declared[(kind, t["name"])] = {a["name"] for a in t["attributes"]}
    object_ids = [o["id"] for o in log["objects"]]
    if len(object_ids) != len(set(object_ids)):
        problems.append("duplicate object ids")
    for o in log["objects"]:
        if (
            set(o) != {"id", "type", "attributes", "relationships"}
            or ("objectTypes", o["type"]) not in declared
        ):
            problems.append(f"object {o['id']}")
            continue
        for a in o["attributes"]:
            _at(a["time"])
            if set(a) != {"name", "value", "time"} or a["name"] not in declared[("objectTypes", o["type"])]:
                problems.append(f"object attribute {o['id']} {a}")
    ids = set(object_ids)
    event_ids = [e["id"] for e in log["events"]]
    if len(event_ids) != len(set(event_ids)):
        problems.append("duplicate event ids")
    for e in log["events"]:
        _at(e["time"])
        if (
            set(e) != {"id", "type", "time", "attributes", "relationships"}
            or ("eventTypes", e["type"]) not in declared
        ):
            problems.append(f"event {e['id']}")
            continue
        if any(
            set(a) != {"name", "value"} or a["name"] not in declared[("eventTypes", e["type"])]
            for a in e["attributes"]
        ):
            problems.append(f"event attributes {e['id']}")
    for item in log["objects"] + log["events"]:
        for rel in item["relationships"]:
            if set(rel) != {"objectId", "qualifier"} or rel["objectId"] not in ids:
                problems.append(f"relationship {item['id']} -> {rel}")
    return problems


async def test_event_log_is_valid_ocel_2_and_the_csv_says_the_same(
    client: httpx.AsyncClient, scenario: Scenario, assessor: dict[str, str]
) -> None:
    march = {"from": "2026-03-01", "to": "2026-03-31"}
    response = await client.get(BASE + "/event-log", params=march, headers=assessor)
    assert response.headers["content-type"].startswith("application/json")
    log = json.loads(response.content)
    assert check_ocel(log) == []
    applications = {o["id"] for o in log["objects"] if o["type"] == "application"}
    assert applications == {f"application:{i}" for n, i in scenario.apps.items() if n != "window_open"}
    assert len([o for o in log["objects"] if o["type"] == "enterprise"]) == 3
    roles = {a["value"] for e in log["events"] for a in e["attributes"] if a["name"] == "role"}
    assert roles == {"applicant", "clerk", "supervisor", "inspector", "system"}  # the timers' steps too
    late = [
        e for e in log["events"] if e["id"].startswith(f"application:{scenario.apps['commitment_late']}:")
    ]
    assert [e["type"] for e in late][-2:] == ["post_check_overdue", "fail_post_check"]  # whole cases

    response = await client.get(BASE + "/event-log", params={**march, "format": "csv"}, headers=assessor)
    assert response.headers["content-type"].startswith("text/csv")
    alone = await client.get(BASE + "/event-log.csv", params=march, headers=assessor)
    assert alone.headers["content-type"].startswith("text/csv") and alone.content == response.content
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "case_id",
        "activity",
        "timestamp",
        "role",
        "from_state",
        "to_state",
        "enterprise",
        "matter",
        "unit",
        "route",
        "channel",
    ]
    assert [(f"application:{r['case_id']}", r["activity"], r["timestamp"]) for r in rows] == [
        (rel["objectId"], e["type"], e["time"])
        for e in log["events"]
        for rel in e["relationships"]
        if rel["qualifier"] == "application"
    ]
    empty = json.loads(
        (
            await client.get(
                BASE + "/event-log", params={"from": "2026-05-01", "to": "2026-05-31"}, headers=assessor
            )
        ).content
    )
    assert check_ocel(empty) == [] and empty["events"] == [] and empty["objects"] == []


# -- (f) bad parameters, (b) roles -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/indicators", {"from": "2026-04-30", "to": "2026-04-01"}, "invalid_period"),
        ("/indicators", {"from": "2019-01-01", "to": "2026-04-01"}, "invalid_period"),
        ("/indicators", {"from": "1999-12-31", "to": "2000-01-02"}, "invalid_period"),
        ("/indicators", {"from": "yesterday"}, "validation_failed"),
        ("/indicators", {"groupBy": "enterprise"}, "validation_failed"),
        ("/applications", {"limit": "0"}, "validation_failed"),
        ("/applications", {"cursor": "bm90LWEtY3Vyc29y"}, "invalid_cursor"),
        ("/violations", {"to": "2101-01-01"}, "invalid_period"),
        ("/event-log", {"format": "xes"}, "validation_failed"),
        ("/event-log", {"from": "2026-01-01", "to": "2026-02-01"}, "invalid_period"),
        ("/event-log.csv", {"from": "2026-01-01", "to": "2026-02-01"}, "invalid_period"),
    ],
)
async def test_bad_periods_and_parameters_are_400_problems(
    client: httpx.AsyncClient, assessor: dict[str, str], path: str, params: dict[str, str], code: str
) -> None:
    response = await client.get(BASE + path, params=params, headers=assessor)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def test_only_assessors_and_admins_read_the_assessment_api(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    for path in ("/indicators", "/applications", "/violations", "/event-log"):
        assert (await client.get(BASE + path)).status_code == 401
        for role in ("applicant", "clerk", "supervisor", "inspector", "legal", "adviser"):
            response = await client.get(BASE + path, headers=auth(role, ent=ENT_A, unit="FR-APPROVAL"))
            assert response.status_code == 403, (path, role)
        assert (await client.get(BASE + path, headers=auth("admin"))).status_code == 200
