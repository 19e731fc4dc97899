"""The public board (晾晒) through the HTTP API, without a token."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import APPROVAL, ENT_A
from tests.api.rating_helpers import accepted, approve, order_action, rate
from tests.conftest import TokenFactory

LONG = 60 * 24 * 3600  # tokens outlive the clock the tests advance

BOARD = "/api/v1/public/board"


@pytest.fixture
def applicant(auth: TokenFactory) -> dict[str, str]:
    return auth("applicant", sub="user-a", ent=ENT_A, ttl=LONG)


@pytest.fixture
def clerk(auth: TokenFactory) -> dict[str, str]:
    return auth("clerk", sub="clerk-1", unit=APPROVAL, ttl=LONG)


@pytest.fixture
def supervisor(auth: TokenFactory) -> dict[str, str]:
    return auth("supervisor", sub="head-1", unit=APPROVAL, ttl=LONG)


def figure(board: dict, unit: str, name: str) -> tuple[int, int]:
    row = next(u for u in board["units"] if u["unit"] == unit)
    return row[name]["numerator"], row[name]["denominator"]


async def test_board_counts_on_time_decisions_satisfaction_and_rectification(
    client: httpx.AsyncClient,
    clock: ManualClock,
    applicant: dict[str, str],
    clerk: dict[str, str],
    supervisor: dict[str, str],
) -> None:
    quick = await accepted(client, applicant, clerk)
    slow = await accepted(client, applicant, clerk)
    await approve(client, supervisor, quick["id"])  # same day: within both limits
    clock.advance(timedelta(days=9))  # Wednesday 11 March: 7 working days, over the promised 5
    # ... and 7 working days after its on-site inspection of 2 March: over the 3 the law allows
    await approve(client, supervisor, slow["id"])
    # The quick one's 7-day rating window has passed unrated: it counts as 3. The slow one is rated 1.
    bad = (await rate(client, applicant, slow["id"], 1)).json()

    board = (await client.get(BOARD, params={"from": "2026-03-01", "to": "2026-03-31"})).json()
    assert board["periodFrom"] == "2026-03-01" and board["periodTo"] == "2026-03-31"
    assert [u["unit"] for u in board["units"]] == [APPROVAL]
    assert figure(board, APPROVAL, "decisionsOnTimePromised") == (1, 2)
    assert figure(board, APPROVAL, "decisionsOnTimeStatutory") == (1, 2)
    assert figure(board, APPROVAL, "satisfaction") == (1, 2)
    assert figure(board, APPROVAL, "badReviewsRectified") == (0, 1)
    row = board["units"][0]
    assert row["satisfaction"]["rate"] == 0.5
    assert board["notShown"]  # re-checks and waivers: not on the board yet, and it says so

    order_id = bad["workOrderId"]
    await order_action(client, clerk, order_id, "record_callback", summary="已回访")
    await order_action(client, clerk, order_id, "report_fixed")
    await order_action(client, applicant, order_id, "rate_fix", stars=5)
    board = (await client.get(BOARD, params={"from": "2026-03-01", "to": "2026-03-31"})).json()
    assert figure(board, APPROVAL, "badReviewsRectified") == (1, 1)


async def test_board_filters_by_unit_and_period(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str], supervisor: dict[str, str]
) -> None:
    app = await accepted(client, applicant, clerk)
    await approve(client, supervisor, app["id"])
    assert (await client.get(BOARD, params={"unit": APPROVAL})).json()["units"][0]["unit"] == APPROVAL
    assert (await client.get(BOARD, params={"unit": "FR-SUPERVISION"})).json()["units"] == []
    april = (await client.get(BOARD, params={"from": "2026-04-01", "to": "2026-04-30"})).json()
    assert april["units"] == []
    wrong = await client.get(BOARD, params={"from": "2026-04-30", "to": "2026-04-01"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_period"
    assert (await client.get(BOARD, params={"from": "yesterday"})).status_code == 400


async def test_a_period_out_of_range_is_a_400(client) -> None:  # noqa: ANN001
    response = await client.get("/api/v1/public/board?from=0001-01-01&to=0003-01-02")
    assert response.status_code == 400 and response.json()["code"] == "invalid_period"
