"""The standard route of the pre-opening inspection has its on-site inspection (issue 15, part 4):
after acceptance the head of unit assigns an inspector of the unit, who records the result with
findings; the inspection is due within 10 working days of acceptance and the decision within 3
after it, as durable timers; overdue cases show in the staff queue and on the board's on-time
figures. The commitment route of the same matter has no such state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import APPROVAL, ENT_A, act, create, get, run_timers, upload_all
from tests.conftest import TokenFactory

FINDINGS = "安全出口畅通，自动喷水灭火系统末端试水正常 / exits clear, sprinkler test valve works"
BOARD = "/api/v1/public/board"


@pytest.fixture
def applicant(auth: TokenFactory) -> dict[str, str]:
    return auth("applicant", sub="user-a", ent=ENT_A)


@pytest.fixture
def staff(auth: TokenFactory) -> dict[str, dict[str, str]]:
    return {
        "clerk": auth("clerk", sub="clerk-1", unit=APPROVAL),
        "head": auth("supervisor", sub="head-1", unit=APPROVAL),
        "inspector": auth("inspector", sub="insp-7", unit=APPROVAL),
        "other_inspector": auth("inspector", sub="insp-8", unit=APPROVAL),
    }


async def _accepted(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> dict[str, Any]:
    app = await create(client, applicant)
    await upload_all(client, applicant, app)
    await act(client, applicant, app["id"], "file")  # Monday 2026-03-02
    return await act(client, clerk, app["id"], "accept")


async def _actions(client: httpx.AsyncClient, headers: dict[str, str], app_id: int) -> dict[str, Any]:
    options = (await client.get(f"/api/v1/applications/{app_id}/actions", headers=headers)).json()
    return {o["action"]: o for o in options}


async def _timeline(client: httpx.AsyncClient, headers: dict[str, str], app_id: int) -> dict[str, Any]:
    return (await client.get(f"/api/v1/applications/{app_id}/timeline", headers=headers)).json()  # type: ignore[no-any-return]


async def _event_actions(client: httpx.AsyncClient, headers: dict[str, str], app_id: int) -> list[str]:
    return [e["action"] for e in (await _timeline(client, headers, app_id))["events"]]


async def _on_time(client: httpx.AsyncClient) -> tuple[int, int]:
    board = (await client.get(BOARD, params={"from": "2026-03-01", "to": "2026-04-30"})).json()
    [unit] = [u for u in board["units"] if u["unit"] == APPROVAL]
    figure = unit["decisionsOnTimeStatutory"]
    return figure["numerator"], figure["denominator"]


async def test_the_assigned_inspector_records_the_inspection_then_the_head_decides(
    client: httpx.AsyncClient, applicant: dict[str, str], staff: dict[str, dict[str, str]]
) -> None:
    accepted = await _accepted(client, applicant, staff["clerk"])
    assert accepted["state"] == "inspecting"
    inspection = accepted["inspection"]
    assert inspection["dueOn"] == "2026-03-16"  # 10 working days after the acceptance day
    assert inspection["dueAt"] == "2026-03-16T16:00:00Z"  # the midnight after it, in Shanghai
    assert inspection["inspector"] is None and inspection["overdue"] is False
    deadlines = (await _timeline(client, applicant, accepted["id"]))["deadlines"]
    [timer] = [d for d in deadlines if d["key"] == "inspection"]  # the durable timer the applicant sees
    assert (timer["action"], timer["dueOn"]) == ("inspection_overdue", "2026-03-16")

    # Nobody assigned yet: the inspector is told why not, in words.
    record = (await _actions(client, staff["inspector"], accepted["id"]))["record_inspection"]
    assert record["allowed"] is False
    assert any("no inspector is assigned yet" in r and "rule:" in r for r in record["reasons"])
    assert (await _actions(client, staff["clerk"], accepted["id"]))["assign_inspector"]["allowed"] is False
    await act(client, staff["clerk"], accepted["id"], "assign_inspector", expect=403, inspector="insp-7")
    missing = await act(client, staff["head"], accepted["id"], "assign_inspector", expect=400)
    assert missing["errors"][0]["field"] == "inspector"
    assigned = await act(client, staff["head"], accepted["id"], "assign_inspector", inspector="insp-7")
    assert assigned["state"] == "inspecting" and assigned["inspection"]["inspector"] == "insp-7"
    assert assigned["inspection"]["dueOn"] == "2026-03-16"  # assigning does not move the limit
    assert (await get(client, applicant, accepted["id"]))["inspection"]["inspector"] == "assigned"  # not who

    # Only the assigned inspector records it, with a result and findings of bounded length.
    other = await act(
        client,
        staff["other_inspector"],
        accepted["id"],
        "record_inspection",
        expect=422,
        result="pass",
        findings="ok",
    )
    assert "insp-7" in other["detail"] and "[assigned_inspector]" not in other["detail"]
    no_findings = await act(
        client, staff["inspector"], accepted["id"], "record_inspection", expect=400, result="pass"
    )
    assert no_findings["errors"][0]["field"] == "findings"
    await act(
        client,
        staff["inspector"],
        accepted["id"],
        "record_inspection",
        expect=400,
        result="maybe",
        findings="x",
    )
    await act(
        client,
        staff["inspector"],
        accepted["id"],
        "record_inspection",
        expect=400,
        result="pass",
        findings="x" * 2001,
    )
    inspected = await act(
        client, staff["inspector"], accepted["id"], "record_inspection", result="pass", findings=FINDINGS
    )
    assert inspected["state"] == "deciding"
    result = inspected["inspection"]
    assert (result["result"], result["findings"], result["inspectedOn"]) == ("pass", FINDINGS, "2026-03-02")
    assert result["decisionDueOn"] == "2026-03-05"  # 3 working days after the inspection
    notice = [
        n
        for n in (await _timeline(client, applicant, accepted["id"]))["notices"]
        if n["kind"] == "inspection_result"
    ]
    assert notice[0]["body"]["findings"] == FINDINGS and notice[0]["dueOn"] == "2026-03-05"

    done = await act(client, staff["head"], accepted["id"], "approve")
    assert done["outcome"] == "approved" and done["licenceNumber"]
    assert await _on_time(client) == (1, 1)


async def test_a_failed_inspection_cannot_be_approved(
    client: httpx.AsyncClient, applicant: dict[str, str], staff: dict[str, dict[str, str]]
) -> None:
    accepted = await _accepted(client, applicant, staff["clerk"])
    await act(client, staff["head"], accepted["id"], "assign_inspector", inspector="insp-7")
    await act(
        client,
        staff["inspector"],
        accepted["id"],
        "record_inspection",
        result="fail",
        findings="二层安全出口锁闭",
    )
    refused = await act(client, staff["head"], accepted["id"], "approve", expect=422)
    assert "did not pass" in refused["detail"] and "rule:" in refused["detail"]
    denied = await act(client, staff["head"], accepted["id"], "deny", reasons=["二层安全出口锁闭"])
    assert denied["outcome"] == "denied" and denied["licenceNumber"] is None


async def test_an_inspection_past_its_10_working_days_is_overdue_in_the_queue_and_on_the_board(
    app: Any,
    client: httpx.AsyncClient,
    applicant: dict[str, str],
    staff: dict[str, dict[str, str]],
    clock: ManualClock,
) -> None:
    late = await _accepted(client, applicant, staff["clerk"])
    on_time = await _accepted(client, applicant, staff["clerk"])
    await act(client, staff["head"], late["id"], "assign_inspector", inspector="insp-7")
    clock.advance(timedelta(days=15))  # Tuesday 17 March: the 16th was the inspection's last day
    await run_timers(app)
    events = await _event_actions(client, staff["clerk"], late["id"])
    assert events[-1] == "inspection_overdue"  # the durable timer fired, the case stays where it is
    view = await get(client, staff["clerk"], late["id"])
    assert view["state"] == "inspecting" and view["inspection"]["overdue"] is True and view["overdue"] is True

    queue = "/api/v1/applications"
    overdue = (await client.get(queue, params={"overdue": "true"}, headers=staff["clerk"])).json()["items"]
    assert {a["id"] for a in overdue} == {late["id"], on_time["id"]}  # neither inspected in time
    inspected = await act(
        client, staff["inspector"], late["id"], "record_inspection", result="pass", findings=FINDINGS
    )
    assert (
        inspected["inspection"]["overdue"] is False
        and inspected["inspection"]["decisionDueOn"] == "2026-03-20"
    )
    await act(client, staff["head"], late["id"], "approve")  # within 3 WD of the late inspection
    still = (await client.get(queue, params={"overdue": "true"}, headers=staff["clerk"])).json()["items"]
    assert [a["id"] for a in still] == [on_time["id"]]
    not_late = (await client.get(queue, params={"overdue": "false"}, headers=staff["clerk"])).json()["items"]
    assert late["id"] in {a["id"] for a in not_late} and on_time["id"] not in {a["id"] for a in not_late}
    assert await _on_time(client) == (0, 1)  # the inspection broke its limit: not on time


async def test_a_decision_past_3_working_days_after_the_inspection_is_overdue(
    app: Any,
    client: httpx.AsyncClient,
    applicant: dict[str, str],
    staff: dict[str, dict[str, str]],
    clock: ManualClock,
) -> None:
    accepted = await _accepted(client, applicant, staff["clerk"])
    await act(client, staff["head"], accepted["id"], "assign_inspector", inspector="insp-7")
    clock.advance(timedelta(days=2))  # Wednesday 4 March
    await act(
        client, staff["inspector"], accepted["id"], "record_inspection", result="pass", findings=FINDINGS
    )
    pending = [
        d
        for d in (await _timeline(client, staff["head"], accepted["id"]))["deadlines"]
        if d["key"] == "decision"
    ]
    assert pending[0]["dueOn"] == "2026-03-09" and pending[0]["dueAt"] == "2026-03-09T16:00:00Z"
    clock.advance(timedelta(days=6))  # Tuesday 10 March
    await run_timers(app)
    view = await get(client, staff["head"], accepted["id"])
    assert (
        view["state"] == "deciding"
        and view["inspection"]["decisionOverdue"] is True
        and view["overdue"] is True
    )
    events = await _event_actions(client, staff["head"], accepted["id"])
    assert events[-1] == "decision_overdue"
    await act(client, staff["head"], accepted["id"], "approve")
    assert await _on_time(client) == (0, 1)


async def test_the_commitment_route_of_the_same_matter_has_no_inspection_state(
    client: httpx.AsyncClient, applicant: dict[str, str], staff: dict[str, dict[str, str]]
) -> None:
    filed = await create(client, applicant, "FR-PGP-OPENING", "commitment", commitmentSigned=True)
    await upload_all(client, applicant, filed)
    await act(client, applicant, filed["id"], "file")
    granted = await act(client, staff["clerk"], filed["id"], "grant")
    assert granted["state"] == "post_check" and granted["inspection"] is None
    assert "assign_inspector" not in await _actions(client, staff["head"], filed["id"])


async def test_a_hold_moves_the_inspection_limit_by_the_working_days_it_lasted(
    app: Any,
    client: httpx.AsyncClient,
    applicant: dict[str, str],
    staff: dict[str, dict[str, str]],
    clock: ManualClock,
) -> None:
    accepted = await _accepted(client, applicant, staff["clerk"])  # Monday 2 March: due Monday 16 March
    assert accepted["inspection"]["dueOn"] == "2026-03-16"
    clock.advance(timedelta(days=2))  # Wednesday 4 March, 2 WD counted
    await act(client, staff["clerk"], accepted["id"], "hold", reason="testing")
    clock.advance(timedelta(days=7))  # Wednesday 11 March: 5 WD on hold, not counted (art. 45)
    resumed = await act(client, staff["clerk"], accepted["id"], "resume")
    assert resumed["inspection"]["dueOn"] == "2026-03-23"  # 8 WD left, from the resumption

    clock.advance(timedelta(days=6))  # Tuesday 17 March: past the first date, within the moved one
    await run_timers(app)
    events = await _event_actions(client, staff["clerk"], accepted["id"])
    assert "inspection_overdue" not in events
    assert (await get(client, staff["clerk"], accepted["id"]))["inspection"]["overdue"] is False

    clock.advance(timedelta(days=7))  # Tuesday 24 March: the moved limit has passed
    await run_timers(app)
    events = await _event_actions(client, staff["clerk"], accepted["id"])
    assert events[-1] == "inspection_overdue"
    assert (await get(client, staff["clerk"], accepted["id"]))["inspection"]["overdue"] is True


async def test_waiting_on_the_applicant_moves_the_inspection_limit_too(
    client: httpx.AsyncClient, applicant: dict[str, str], staff: dict[str, dict[str, str]], clock: ManualClock
) -> None:
    accepted = await _accepted(client, applicant, staff["clerk"])
    clock.advance(timedelta(days=1))  # Tuesday 3 March, 1 WD counted
    await act(client, staff["inspector"], accepted["id"], "request_information")
    clock.advance(timedelta(days=14))  # Tuesday 17 March: 10 WD waiting on the applicant
    provided = await act(client, applicant, accepted["id"], "provide_information")
    assert provided["inspection"]["dueOn"] == "2026-03-30"  # 9 WD left from Tuesday 17 March


async def test_a_deemed_acceptance_counts_the_inspection_limit_from_arrival(
    app: Any, client: httpx.AsyncClient, applicant: dict[str, str], clock: ManualClock
) -> None:
    filed = await create(client, applicant)
    await upload_all(client, applicant, filed)
    await act(client, applicant, filed["id"], "file")  # Monday 2 March: arrival
    clock.advance(timedelta(days=8))  # Tuesday 10 March: the 5 WD of the acceptance review have passed
    await run_timers(app)
    view = await get(client, applicant, filed["id"])
    assert view["state"] == "inspecting"  # deemed accepted on the day it arrived (art. 32)
    assert view["inspection"]["dueOn"] == "2026-03-16"  # 10 WD from arrival, not from the deeming
