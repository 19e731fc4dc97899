"""好差评 through the HTTP API: one rating per concluded application, the default after the window,
and the rectification work order a bad review opens (callback, fix deadline, rating of the fix,
appeal)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import APPROVAL, ENT_A, ENT_B, run_timers
from tests.api.rating_helpers import EVALUATION, accepted, approve, approved, order_action, rate
from tests.conftest import TokenFactory

LONG = 60 * 24 * 3600  # tokens outlive the clock the tests advance


@pytest.fixture
def applicant(auth: TokenFactory) -> dict[str, str]:
    return auth("applicant", sub="user-a", ent=ENT_A, ttl=LONG)


@pytest.fixture
def clerk(auth: TokenFactory) -> dict[str, str]:
    return auth("clerk", sub="clerk-1", unit=APPROVAL, name="王小明", ttl=LONG)


@pytest.fixture
def supervisor(auth: TokenFactory) -> dict[str, str]:
    return auth("supervisor", sub="head-1", unit=APPROVAL, ttl=LONG)


async def _bad_review(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str], supervisor: dict[str, str]
) -> int:
    app = await approved(client, applicant, clerk, supervisor)
    response = await rate(client, applicant, app["id"], 1, "材料被退回三次")
    assert response.status_code == 201, response.text
    rating = response.json()
    assert rating["badReview"] is True and rating["workOrderId"]
    return rating["workOrderId"]  # type: ignore[no-any-return]


async def test_one_rating_per_concluded_application(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    applicant: dict[str, str],
    clerk: dict[str, str],
    supervisor: dict[str, str],
) -> None:
    app = await accepted(client, applicant, clerk)
    early = await rate(client, applicant, app["id"], 5)
    assert early.status_code == 422 and early.json()["code"] == "application_not_concluded"
    assert (await client.get(EVALUATION.format(app["id"]), headers=applicant)).json()[
        "status"
    ] == "not_concluded"

    await approve(client, supervisor, app["id"])
    assert (await client.get(EVALUATION.format(app["id"]), headers=applicant)).json()["status"] == "open"
    assert (await rate(client, clerk, app["id"], 5)).status_code == 403
    other = auth("applicant", sub="user-b", ent=ENT_B)
    assert (await rate(client, other, app["id"], 5)).status_code == 404
    assert (await rate(client, applicant, app["id"], 6)).status_code == 400

    first = await rate(client, applicant, app["id"], 5, "一次办好")
    assert first.status_code == 201
    assert (
        first.json()["stars"] == 5
        and first.json()["badReview"] is False
        and first.json()["workOrderId"] is None
    )
    second = await rate(client, applicant, app["id"], 4)
    assert second.status_code == 409 and second.json()["code"] == "already_rated"
    seen = (await client.get(EVALUATION.format(app["id"]), headers=clerk)).json()
    assert seen["status"] == "rated" and seen["stars"] == 5 and seen["comment"] == "一次办好"


async def test_no_rating_within_the_window_counts_as_three(
    client: httpx.AsyncClient,
    clock: ManualClock,
    applicant: dict[str, str],
    clerk: dict[str, str],
    supervisor: dict[str, str],
) -> None:
    app = await approved(client, applicant, clerk, supervisor)
    clock.advance(timedelta(days=7, minutes=1))
    view = (await client.get(EVALUATION.format(app["id"]), headers=applicant)).json()
    assert view["status"] == "defaulted" and view["stars"] == 3
    late = await rate(client, applicant, app["id"], 1)
    assert late.status_code == 422 and late.json()["code"] == "rating_window_closed"


async def test_bad_review_work_order_callback_fix_and_rating_of_the_fix(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    applicant: dict[str, str],
    clerk: dict[str, str],
    supervisor: dict[str, str],
) -> None:
    order_id = await _bad_review(client, applicant, clerk, supervisor)
    listed = (await client.get("/api/v1/work-orders", headers=clerk)).json()["items"]
    assert [o["id"] for o in listed] == [order_id]
    order = listed[0]
    assert order["state"] == "fixing" and order["stars"] == 1 and order["unit"] == APPROVAL
    assert order["fixDueOn"] == "2026-03-23"  # 15 working days after Monday 2 March
    other_unit = auth("clerk", sub="clerk-9", unit="FR-SUPERVISION")
    assert (await client.get(f"/api/v1/work-orders/{order_id}", headers=other_unit)).status_code == 404
    assert (await client.get("/api/v1/work-orders", headers=other_unit)).json()["items"] == []
    mine = (await client.get("/api/v1/work-orders", headers=applicant)).json()["items"]  # the rater's view
    assert [o["id"] for o in mine] == [order_id]
    other_enterprise = auth("applicant", sub="user-b", ent=ENT_B)
    assert (await client.get("/api/v1/work-orders", headers=other_enterprise)).json()["items"] == []
    assert (await client.get("/api/v1/work-orders", headers=auth("assessor"))).status_code == 403

    blocked = await order_action(client, clerk, order_id, "report_fixed", expect=422)
    assert "callback_recorded" in blocked["detail"]
    await order_action(client, clerk, order_id, "record_callback", expect=400)  # no summary
    called = await order_action(
        client, clerk, order_id, "record_callback", summary="已回访：窗口补正说明不清"
    )
    assert called["callbacks"][0]["callerSub"] == "clerk-1"
    assert called["callbacks"][0]["callerName"] == "王小明"
    assert called["callbacks"][0]["summary"] == "已回访：窗口补正说明不清"

    fixed = await order_action(
        client, clerk, order_id, "report_fixed", comment="补正清单已改为一次性告知模板"
    )
    assert fixed["state"] == "awaiting_rating"
    await order_action(client, clerk, order_id, "rate_fix", expect=403, stars=5)
    await order_action(client, applicant, order_id, "rate_fix", expect=400)  # no stars
    done = await order_action(client, applicant, order_id, "rate_fix", stars=4)
    assert done["state"] == "rectified" and done["outcome"] == "rectified" and done["fixStars"] == 4
    rating = (await client.get(EVALUATION.format(done["applicationId"]), headers=applicant)).json()
    assert rating["fixStars"] == 4 and rating["stars"] == 1 and rating["excluded"] is False


async def test_fix_deadline_marks_the_work_order_overdue(
    client: httpx.AsyncClient,
    app: object,
    clock: ManualClock,
    applicant: dict[str, str],
    clerk: dict[str, str],
    supervisor: dict[str, str],
) -> None:
    order_id = await _bad_review(client, applicant, clerk, supervisor)
    clock.advance(timedelta(days=21))  # Monday 23 March: the due day, not yet past
    await run_timers(app)
    assert (await client.get(f"/api/v1/work-orders/{order_id}", headers=clerk)).json()["state"] == "fixing"
    clock.advance(timedelta(days=1))
    await run_timers(app)
    order = (await client.get(f"/api/v1/work-orders/{order_id}", headers=clerk)).json()
    assert order["state"] == "overdue" and order["overdue"] is True
    overdue = (await client.get("/api/v1/work-orders?state=overdue", headers=clerk)).json()["items"]
    assert [o["id"] for o in overdue] == [order_id]


async def test_appeal_of_a_malicious_review(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str], supervisor: dict[str, str]
) -> None:
    order_id = await _bad_review(client, applicant, clerk, supervisor)
    await order_action(client, clerk, order_id, "appeal", expect=400)  # no reason
    appealed = await order_action(client, clerk, order_id, "appeal", reason="评价内容与本件无关，系恶意差评")
    assert appealed["state"] == "appealed"
    await order_action(client, clerk, order_id, "uphold_appeal", expect=403)
    rejected = await order_action(client, supervisor, order_id, "reject_appeal")
    assert rejected["state"] == "fixing"
    await order_action(client, clerk, order_id, "appeal", reason="申请人电话中承认误评")
    upheld = await order_action(client, supervisor, order_id, "uphold_appeal")
    assert upheld["outcome"] == "appeal_upheld"
    rating = (await client.get(EVALUATION.format(upheld["applicationId"]), headers=applicant)).json()
    assert rating["excluded"] is True and rating["stars"] == 1
