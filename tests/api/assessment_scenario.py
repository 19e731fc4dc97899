"""A month of varied cases through the HTTP API, for the assessment tests.

From Monday 2 March 2026 to Thursday 2 April: online and window filings, visits, a deficiency
notice, a clock pause and an extension, tolerant acceptances supplemented and not, commitment
permits checked in time and late, a refusal, a withdrawal, ratings (a bad review rectified, a
malicious one appealed, lapsed windows, an open one), and first-offense waivers and a penalty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import ENT_A, ENT_B, act, create, inspect, run_timers, upload, upload_all
from tests.api.rating_helpers import order_action, rate
from tests.conftest import TokenFactory

ENT_C = "91510100MA6CX12348"
APPROVAL, SUPERVISION, ENFORCEMENT = "FR-APPROVAL", "FR-SUPERVISION", "CD-JJ"
OPENING, FILING = "FR-PGP-OPENING", "FR-KEY-UNIT-FILING"  # FILING offers the tolerant route
TOLERABLE = ("maintenance_contract", "facility_test_report", "drill_record")
LONG = 90 * 86400
NAMES = {ENT_A: "成都某某餐饮管理有限公司", ENT_B: "四川某某影城有限公司", ENT_C: "成都某某网吧"}
PERSONS = (
    "user-a",
    "user-b",
    "user-c",
    "clerk-a",
    "head-a",
    "clerk-s",
    "head-s",
    "insp-1",
    "insp-2",
    "legal-9",
    "王五",
    "张三",
)


@dataclass
class Scenario:
    apps: dict[str, int] = field(default_factory=dict)  # name -> application id
    violations: list[int] = field(default_factory=list)
    licences: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # sha256 of every uploaded material


class Actors:
    def __init__(self, auth: TokenFactory) -> None:
        self.a = auth("applicant", sub="user-a", ent=ENT_A, ttl=LONG, name="王五")
        self.b = auth("applicant", sub="user-b", ent=ENT_B, ttl=LONG)
        self.c = auth("applicant", sub="user-c", ent=ENT_C, ttl=LONG)
        self.clerk = auth("clerk", sub="clerk-a", unit=APPROVAL, ttl=LONG, name="张三")
        self.head = auth("supervisor", sub="head-a", unit=APPROVAL, ttl=LONG)
        self.clerk_s = auth("clerk", sub="clerk-s", unit=SUPERVISION, ttl=LONG)
        self.head_s = auth("supervisor", sub="head-s", unit=SUPERVISION, ttl=LONG)
        self.checker = auth("inspector", sub="insp-1", unit=APPROVAL, ttl=LONG)
        self.inspector = auth("inspector", sub="insp-1", unit=ENFORCEMENT, ttl=LONG)
        self.legal = auth("legal", sub="legal-9", unit=ENFORCEMENT, ttl=LONG)


async def _filed(
    client: httpx.AsyncClient,
    who: dict[str, str],
    matter: str = OPENING,
    route: str = "standard",
    skip: tuple[str, ...] = (),
    **extra: Any,
) -> dict[str, Any]:
    app = await create(client, who, matter, route, **extra)
    await upload_all(client, who, app, skip=skip)
    return await act(client, who, app["id"], "file")


async def _visit(client: httpx.AsyncClient, clerk: dict[str, str], app_id: int, purpose: str) -> None:
    response = await client.post(
        f"/api/v1/applications/{app_id}/visits", json={"purpose": purpose}, headers=clerk
    )
    assert response.status_code == 201, response.text


async def _inspect(
    client: httpx.AsyncClient, inspector: dict[str, str], uscc: str, on: str, kind: str, quantity: str
) -> int:
    body = {
        "uscc": uscc,
        "unitName": NAMES[uscc],
        "address": "成都市锦江区某某路1号",
        "inspectedOn": on,
        "officers": ["insp-1", "insp-2"],
        "evidence": ["照片 P-1"],
        "findings": [
            {
                "violationType": kind,
                "harmLevel": "minor",
                "measurements": [{"quantity": quantity, "value": 1}],
            }
        ],
    }
    response = await client.post("/api/v1/inspections", json=body, headers=inspector)
    assert response.status_code == 201, response.text
    return int(response.json()["findings"][0]["violationId"])


async def _violation(
    client: httpx.AsyncClient, headers: dict[str, str], vid: int, action: str
) -> dict[str, Any]:
    response = await client.post(f"/api/v1/violations/{vid}/actions/{action}", json={}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def build(app: Any, client: httpx.AsyncClient, clock: ManualClock, auth: TokenFactory) -> Scenario:
    """Walk the cases; the clock ends on Thursday 2 April 2026, 10:00 local."""
    who = Actors(auth)
    s = Scenario()
    ids = s.apps

    # -- Monday 2 March --------------------------------------------------------------------------
    a1 = await _filed(client, who.a)  # online, accepted and decided the same day
    ids["same_day"] = a1["id"]
    await act(client, who.clerk, a1["id"], "accept")
    await inspect(client, who.clerk, a1["id"])
    s.licences.append((await act(client, who.head, a1["id"], "approve"))["licenceNumber"])
    assert (await rate(client, who.a, a1["id"], 5, "办理很快")).status_code == 201

    window = await create(
        client, who.clerk, OPENING, channel="window", enterpriseUscc=ENT_B, enterpriseName=NAMES[ENT_B]
    )  # filed at the window, one visit
    ids["paused_extended"] = window["id"]
    await upload_all(client, who.b, window)
    await act(client, who.b, window["id"], "file")
    await _visit(client, who.clerk, window["id"], "递交纸质图纸")
    await act(client, who.clerk, window["id"], "accept")

    deficient = await create(client, who.a, OPENING)  # a deficiency notice, two visits
    ids["deficient"] = deficient["id"]
    assert (await upload(client, who.a, deficient["id"], "application_form")).status_code == 201
    await act(client, who.a, deficient["id"], "file")
    await act(
        client,
        who.clerk,
        deficient["id"],
        "notify_deficiency",
        defects=[{"material": "application_form", "problem": "未签字"}],
    )
    await _visit(client, who.clerk, deficient["id"], "补交原件")
    await _visit(client, who.clerk, deficient["id"], "再次补交")

    tolerant_ok = await _filed(client, who.a, FILING, "tolerant", skip=TOLERABLE, commitmentSigned=True)
    ids["tolerant_supplemented"] = tolerant_ok["id"]
    await act(client, who.clerk_s, tolerant_ok["id"], "accept_tolerant")  # supplements due 03-09
    tolerant_late = await _filed(client, who.c, FILING, "tolerant", skip=TOLERABLE, commitmentSigned=True)
    ids["tolerant_terminated"] = tolerant_late["id"]
    await act(client, who.clerk_s, tolerant_late["id"], "accept_tolerant")

    for name, applicant in (("commitment_on_time", who.a), ("commitment_late", who.b)):
        permit = await _filed(client, applicant, OPENING, "commitment", commitmentSigned=True)
        ids[name] = permit["id"]
        s.licences.append(
            (await act(client, who.clerk, permit["id"], "grant"))["licenceNumber"]
        )  # post-check by 03-30

    refused = await _filed(client, who.b)
    ids["refused"] = refused["id"]
    await act(client, who.clerk, refused["id"], "refuse_acceptance", reasons=["不属于本机关职权范围"])
    withdrawn = await create(client, who.c, OPENING)
    ids["withdrawn"] = withdrawn["id"]
    await act(client, who.c, withdrawn["id"], "withdraw")

    for uscc, kind, quantity in (
        (ENT_A, "HYDRANT-BLOCKED", "blocked_hydrants"),
        (ENT_A, "FIRE-DOOR-FAULTY", "faulty_fire_doors"),
        (ENT_B, "HYDRANT-BLOCKED", "blocked_hydrants"),
    ):
        vid = await _inspect(client, who.inspector, uscc, "2026-03-02", kind, quantity)
        await _violation(client, who.inspector, vid, "correct_on_spot")
        assert (await _violation(client, who.legal, vid, "countersign"))["decision"] == "no_penalty"
        s.violations.append(vid)

    # -- Tuesday 3 March: the window case's clock stops for an inspection ------------------------
    clock.advance(timedelta(days=1))
    await act(client, who.clerk, window["id"], "hold", reason="inspection")

    # -- Thursday 5 March: supplements and corrections arrive ----------------------------------------
    clock.advance(timedelta(days=2))
    for code in TOLERABLE:
        assert (await upload(client, who.a, tolerant_ok["id"], code)).status_code == 201
    await act(client, who.clerk_s, tolerant_ok["id"], "accept_supplements")
    await upload_all(client, who.a, deficient, skip=("application_form",))
    assert (await upload(client, who.a, deficient["id"], "application_form")).status_code == 201
    await act(client, who.a, deficient["id"], "submit_corrections")
    await act(client, who.clerk, deficient["id"], "accept")

    # -- Tuesday 10 March -----------------------------------------------------------------------------
    clock.advance(timedelta(days=5))
    await run_timers(app)  # the unsupplemented tolerant case ends (its deadline was 03-09)
    await act(client, who.clerk, window["id"], "resume")
    await inspect(client, who.clerk, window["id"])
    await act(client, who.head, window["id"], "extend", reason="专家评审")
    s.licences.append((await act(client, who.head, window["id"], "approve"))["licenceNumber"])
    bad = await rate(client, who.b, window["id"], 1, "窗口让我跑了三次")
    assert bad.status_code == 201, bad.text
    order = bad.json()["workOrderId"]
    await order_action(client, who.clerk, order, "record_callback", summary="已电话回访王五")
    await order_action(client, who.clerk, order, "report_fixed")
    await order_action(client, who.b, order, "rate_fix", stars=4)
    await act(client, who.clerk_s, tolerant_ok["id"], "forward")
    s.licences.append((await act(client, who.head_s, tolerant_ok["id"], "approve"))["licenceNumber"])
    await act(client, who.checker, ids["commitment_on_time"], "pass_post_check")

    # -- Thursday 12 March: a denial, rated 2, appealed as malicious and upheld ---------------------
    clock.advance(timedelta(days=2))
    await inspect(client, who.clerk, deficient["id"])
    await act(client, who.head, deficient["id"], "deny", reasons=["安全出口数量不符合规范"])
    malicious = await rate(client, who.a, deficient["id"], 2, "恶意差评")
    assert malicious.status_code == 201, malicious.text
    order = malicious.json()["workOrderId"]
    await order_action(client, who.clerk, order, "appeal", reason="评价内容与本件无关")
    await order_action(client, who.head, order, "uphold_appeal")

    # -- Thursday 2 April: the late post-check, a repeat offense, a case concluded today -------------
    clock.advance(timedelta(days=21))
    await run_timers(app)  # the post-check limit (03-30) has passed: post_check_late
    await act(client, who.checker, ids["commitment_late"], "fail_post_check", comment="二层疏散通道被占用")
    vid = await _inspect(client, who.inspector, ENT_A, "2026-04-02", "HYDRANT-BLOCKED", "blocked_hydrants")
    await _violation(client, who.inspector, vid, "correct_on_spot")
    assert (await _violation(client, who.legal, vid, "countersign"))["decision"] == "penalty"
    s.violations.append(vid)
    fresh = await _filed(client, who.c)  # concluded today: its rating window is still open
    ids["window_open"] = fresh["id"]
    await act(client, who.clerk, fresh["id"], "accept")
    await inspect(client, who.clerk, fresh["id"])
    s.licences.append((await act(client, who.head, fresh["id"], "approve"))["licenceNumber"])
    return s
