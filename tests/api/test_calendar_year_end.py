"""Time limits that reach into a year with no calendar file (DOMAIN.md "Time limits"): counted on the
provisional calendar and said so, through the API, across the end of 2026; then the official 2027
notice is installed and the deadlines still ahead are re-derived, with a timeline event."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.api.app import create_app
from govservice.auth import KeyStore
from govservice.config import Settings
from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import APPROVAL, ENT_A, act, create, get, inspect, upload_all
from tests.api.webhook_helpers import (
    A_URL,
    deliveries,
    dns,
    http_transport,
    receiver,
    subscribe,
    webhook_resolver,
)
from tests.conftest import WORKFLOWS, TokenFactory, make_settings

OFFICIAL_2027 = """year: 2027
holidays:
  - {name: "New Year's Day", first: 2027-01-01, last: 2027-01-03}
  - {name: "Spring Festival", first: 2027-02-05, last: 2027-02-11}
makeUpWorkingDays: [2027-01-09]
"""
TWENTY_DAYS = "FR-FIRE-REVIEW"  # 20 working days, unit FR-FIRE-INVESTIGATION
INVESTIGATION = "FR-FIRE-INVESTIGATION"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A copy of workflows/, so that the test can install the 2027 calendar file."""
    shutil.copytree(WORKFLOWS, tmp_path / "workflows")
    return make_settings(tmp_path, tmp_path / "workflows")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))  # Friday 4 December, 10:00 in Shanghai


Restart = Callable[[], Awaitable[Litestar]]


@pytest.fixture
def notice_installed(settings: Settings, engine: AsyncEngine, clock: ManualClock, keys: KeyStore) -> Restart:
    """Installs the State Council's 2027 notice and restarts the service an hour later (the same
    database); returns the restarted app, its calendar caught up."""

    async def install() -> Litestar:
        (settings.workflows_dir / "calendars" / "2027.yaml").write_text(OFFICIAL_2027)
        clock.advance(timedelta(hours=1))
        restarted = create_app(settings, engine=engine, clock=clock, keys=keys)
        await restarted.state.services.catch_up_calendar()
        return restarted

    return install


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC)


async def _filed(
    client: httpx.AsyncClient, applicant: dict[str, str], matter: str = TWENTY_DAYS
) -> dict[str, Any]:
    app = await create(client, applicant, matter)
    await upload_all(client, applicant, app)
    return await act(client, applicant, app["id"], "file")


def _provisional(view: dict[str, Any], *years: int) -> None:
    assert view["calendarStatus"] == "provisional", view
    assert view["provisionalYears"] == list(years), view


async def test_deadlines_across_the_year_end_are_provisional_then_re_derived(
    client: httpx.AsyncClient, auth: TokenFactory, clock: ManualClock, notice_installed: Restart
) -> None:
    applicant = auth("applicant", sub="user-a", ent=ENT_A)
    clerk = auth("clerk", sub="clerk-1", unit=INVESTIGATION)
    permit_clerk = auth("clerk", sub="clerk-2", unit=APPROVAL)
    permit_supervisor = auth("supervisor", sub="head-2", unit=APPROVAL)

    # accept a 20-WD matter on 2026-12-04; accept, inspect and extend a 10-WD licence: both reach 2027
    a = await _filed(client, applicant)
    accepted = await act(client, clerk, a["id"], "accept")
    assert accepted["clock"]["dueOn"] == "2027-01-04"  # 1 January 2027 skipped
    _provisional(accepted["clock"], 2027)
    _provisional(accepted, 2027)
    b = await _filed(client, applicant, "FR-PGP-OPENING")
    await act(client, permit_clerk, b["id"], "accept")
    await inspect(client, permit_clerk, b["id"])
    extended = await act(client, permit_supervisor, b["id"], "extend", reason="expert review of the plans")
    assert extended["clock"]["limit"] == 20 and extended["clock"]["dueOn"] == "2027-01-04"
    _provisional(extended["clock"], 2027)

    # grant on the commitment route in late December: the 20-WD post-check reaches 2027
    clock.set(at("2026-12-21"))
    permit = await create(client, applicant, "FR-PGP-OPENING", "commitment", commitmentSigned=True)
    await upload_all(client, applicant, permit)
    await act(client, applicant, permit["id"], "file")
    granted = await act(client, permit_clerk, permit["id"], "grant")
    assert granted["state"] == "post_check"
    post_check = await _deadline(client, applicant, permit["id"], "post_check_overdue")
    assert post_check["dueAt"].startswith("2027-01-19")  # local midnight after 19 January
    _provisional(post_check, 2027)

    # file on 2026-12-28: the 5-WD acceptance review ends on 5 January
    clock.set(at("2026-12-28"))
    c = await _filed(client, applicant)
    review = await _deadline(client, applicant, c["id"], "deem_accepted")
    assert review["dueAt"].startswith("2027-01-05")
    _provisional(review, 2027)

    # read the running case on 2027-01-04
    clock.set(at("2027-01-04"))
    running = await get(client, applicant, a["id"])
    assert running["clock"]["dueOn"] == "2027-01-04" and running["clock"]["remaining"] == 0
    _provisional(running["clock"], 2027)

    # accept the third on 11 January: its 20 WD run across the Spring Festival
    clock.set(at("2027-01-11"))
    festive = await act(client, clerk, c["id"], "accept")
    assert festive["clock"]["dueOn"] == "2027-02-10"  # lunar New Year's Eve and days 1-3 (5-8 Feb) skipped
    _provisional(festive["clock"], 2027)

    # the department's bus hears of moved deadlines as of every other step
    admin = auth("admin", sub="admin-1")
    hook = await subscribe(client, admin, A_URL, "application.rederive_deadlines")

    # the State Council's 2027 notice is installed and the service restarts
    restarted = await notice_installed()
    transport = httpx.ASGITransport(app=restarted)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as again:
        moved = await get(again, applicant, c["id"])
        assert moved["clock"]["dueOn"] == "2027-02-15"  # the notice's longer break (5-11 February)
        assert moved["calendarStatus"] == "official" and moved["clock"]["calendarStatus"] == "official"
        assert moved["version"] == festive["version"] + 1
        events = (await again.get(f"/api/v1/applications/{c['id']}/timeline", headers=applicant)).json()[
            "events"
        ]
        change = events[-1]
        assert change["action"] == "rederive_deadlines"
        assert change["deadlineChanges"] == [
            {"deadline": "statutory", "from": "2027-02-10", "to": "2027-02-15"}
        ]
        assert "official calendar" in change["comment"]

        post_check = await _deadline(again, applicant, permit["id"], "post_check_overdue")
        assert post_check["dueAt"].startswith("2027-01-18")  # Saturday 9 January is worked
        assert post_check["calendarStatus"] == "official"
        timeline = (
            await again.get(f"/api/v1/applications/{permit['id']}/timeline", headers=applicant)
        ).json()
        assert timeline["events"][-1]["deadlineChanges"][0]["from"] == "2027-01-19"

        await restarted.state.services.webhooks.dispatcher.dispatch()
        heard = await deliveries(again, admin, hook["id"])
        assert sorted((d["type"], d["payload"]["subjectId"]) for d in heard) == sorted(
            ("application.rederive_deadlines", moved_app["id"]) for moved_app in (c, permit)
        )

        # deadlines already past are never rewritten
        assert (await get(again, applicant, a["id"]))["version"] == running["version"]
        assert (await get(again, applicant, b["id"]))["clock"]["dueOn"] == "2027-01-04"

        # a second start changes nothing more
        report = await restarted.state.services.rollover.run()
        assert report.cases == 0
        assert (await get(again, applicant, c["id"]))["version"] == moved["version"]


async def test_a_limit_on_the_case_clock_is_counted_again_from_its_start(
    client: httpx.AsyncClient, auth: TokenFactory, clock: ManualClock, notice_installed: Restart
) -> None:
    """The on-site inspection's 10 WD run on the case clock (art. 45): counted from acceptance,
    holds left out. Accepted in a provisional January, held, resumed: the notice then makes a
    Saturday before the hold a working day, so the clock had counted one day more than it showed,
    and the limit comes one working day sooner, though its timer was last armed after that day (the
    case's own clock moved so already; its timer did not)."""
    applicant = auth("applicant", sub="user-a", ent=ENT_A)
    clerk = auth("clerk", sub="clerk-2", unit=APPROVAL)
    clock.set(at("2027-01-05"))  # Tuesday
    opening = await _filed(client, applicant, "FR-PGP-OPENING")
    await act(client, clerk, opening["id"], "accept")
    clock.set(at("2027-01-12"))
    await act(client, clerk, opening["id"], "hold", reason="testing")
    clock.set(at("2027-01-13"))
    resumed = await act(client, clerk, opening["id"], "resume")
    # provisional: 5 WD counted by the hold (6-8, 11, 12 January), the 5 left from the 13th
    assert resumed["inspection"]["dueOn"] == "2027-01-20"
    restarted = await notice_installed()
    transport = httpx.ASGITransport(app=restarted)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as again:
        moved = await get(again, applicant, opening["id"])
        assert moved["inspection"]["dueOn"] == "2027-01-19"  # Saturday 9 January was worked: 6 counted
        deadline = await _deadline(again, applicant, opening["id"], "inspection_overdue")
        assert (deadline["dueOn"], deadline["calendarStatus"]) == ("2027-01-19", "official")
        timeline = (
            await again.get(f"/api/v1/applications/{opening['id']}/timeline", headers=applicant)
        ).json()
        moves = {"from": "2027-01-20", "to": "2027-01-19"}  # the case's clock and its inspection alike
        assert timeline["events"][-1]["deadlineChanges"] == [
            {"deadline": "statutory"} | moves,
            {"deadline": "inspection"} | moves,
        ]


async def _deadline(
    client: httpx.AsyncClient, headers: dict[str, str], app_id: int, action: str
) -> dict[str, Any]:
    timeline = (await client.get(f"/api/v1/applications/{app_id}/timeline", headers=headers)).json()
    return next(d for d in timeline["deadlines"] if d["action"] == action)


__all__ = ["dns", "http_transport", "receiver", "webhook_resolver"]  # the webhook fixtures, used by name


async def test_a_date_before_the_first_calendar_is_a_problem_naming_the_year_and_writes_nothing(
    client: httpx.AsyncClient, auth: TokenFactory, clock: ManualClock
) -> None:
    clock.set(at("2024-12-02"))  # the calendars start with 2025
    applicant = auth("applicant", sub="user-a", ent=ENT_A)
    draft = await create(client, applicant, TWENTY_DAYS)
    await upload_all(client, applicant, draft)
    response = await client.post(
        f"/api/v1/applications/{draft['id']}/actions/file", json={}, headers=applicant
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "calendar_missing" and problem["extra"] == {"year": 2024}
    assert "2024.yaml" in problem["detail"]
    assert (await get(client, applicant, draft["id"]))["state"] == "draft"
