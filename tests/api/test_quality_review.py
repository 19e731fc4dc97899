"""Enforcement quality review through the HTTP API: a round over a seeded March, its reproducible
draw, conflict-of-interest assignment, reconciliation, the rectification of an unqualified file."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from govservice.db.models import AuditEntryRow
from govservice.domain.clock import ManualClock
from govservice.domain.quality_review import draw_files
from tests.api.apps_helpers import APPROVAL, SUPERVISION, run_timers
from tests.api.review_helpers import Cast, assign, draw, files, ok, open_round, score, seat_panel, seed_period
from tests.conftest import TokenFactory


@pytest.fixture
def cast(auth: TokenFactory) -> Cast:
    return Cast(auth)


@pytest.fixture
async def drawn(client: httpx.AsyncClient, cast: Cast) -> dict[str, Any]:
    await seed_period(client, cast)
    await seat_panel(client, cast)
    opened = await open_round(client, cast)
    assert opened["state"] == "drawing"
    assert opened["checklists"]["penalties"] == "penalties v1"
    result = await draw(client, cast, opened["id"])
    return {"round": opened, "draw": result}


def _by(items: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    return next(i for i in items if all(i[k] == v for k, v in match.items()))


async def test_the_draw_reproduces_from_its_recorded_seed_and_population(
    client: httpx.AsyncClient, cast: Cast, drawn: dict[str, Any], app: Any
) -> None:
    round_id, result = drawn["round"]["id"], drawn["draw"]
    population = result["population"]
    assert len(population["licensing"][APPROVAL]) == 4 and population["licensing"][SUPERVISION] == []
    assert len(population["inspections"][SUPERVISION]) == 2
    assert len(population["penalties"][SUPERVISION]) == 2
    assert len(result["drawn"]["licensing"][APPROVAL]) == 2
    assert set(result["drawn"]["licensing"][APPROVAL]) <= set(population["licensing"][APPROVAL])

    recorded = await ok(await client.get(f"/api/v1/review-rounds/{round_id}/draw", headers=cast.admin))
    assert recorded["reproduced"] is True and recorded["seed"] == "2026-03"
    again = draw_files(recorded["seed"], recorded["population"], recorded["perUnit"])
    assert again.drawn == recorded["drawn"] == result["drawn"]
    other_seed = draw_files("another seed", recorded["population"], recorded["perUnit"])
    assert other_seed.population == again.population

    async with app.state.services.ctx.sessions() as session:
        entry = await session.scalar(select(AuditEntryRow).where(AuditEntryRow.action == "draw_review_files"))
    assert entry is not None and entry.subject == f"review_round:{round_id}"
    assert entry.detail["seed"] == "2026-03" and entry.detail["population"] == population
    assert entry.detail["drawn"] == result["drawn"]

    view = await ok(await client.get(f"/api/v1/review-rounds/{round_id}", headers=cast.admin))
    assert view["state"] == "scoring" and view["files"] == 6 and view["dueOn"] is not None
    again_draw = await client.post(f"/api/v1/review-rounds/{round_id}/draw", json={}, headers=cast.admin)
    assert (again_draw.status_code, again_draw.json()["code"]) == (409, "already_drawn")


async def test_the_next_round_leaves_out_the_files_drawn_in_the_last_one(
    client: httpx.AsyncClient, cast: Cast, drawn: dict[str, Any]
) -> None:
    first = drawn["draw"]["drawn"]["licensing"][APPROVAL]
    second = await open_round(client, cast, categories=["licensing"])
    result = await draw(client, cast, second["id"], seed="other")
    assert sorted(result["excluded"]) == sorted(first)
    assert set(result["drawn"]["licensing"][APPROVAL]).isdisjoint(first)
    kept = await open_round(client, cast, categories=["licensing"], excludePrevious=False)
    everything = await draw(client, cast, kept["id"], seed="x")
    assert len(everything["population"]["licensing"][APPROVAL]) == 4 and everything["excluded"] == []


async def test_conflicts_of_interest_are_refused_and_reviewers_see_only_their_files(
    client: httpx.AsyncClient, cast: Cast, drawn: dict[str, Any]
) -> None:
    round_id = drawn["round"]["id"]
    all_files = await files(client, cast.admin, round_id)
    licensing = _by(all_files, category="licensing")
    inspection = _by(all_files, category="inspections")
    own_unit = await assign(client, cast, licensing["id"], "staff-chen", 422)
    assert own_unit["code"] == "conflict_own_unit"
    took_part = await assign(client, cast, inspection["id"], "insp-2", 422)
    assert took_part["code"] == "conflict_took_part"
    await assign(client, cast, licensing["id"], "lawyer-wang")
    same_kind = await client.post(
        f"/api/v1/review-files/{licensing['id']}/reviewers",
        json={"reviewerSub": "lawyer-wang"},
        headers=cast.admin,
    )
    assert (same_kind.status_code, same_kind.json()["code"]) == (422, "already_assigned")
    await assign(client, cast, licensing["id"], "adviser-li")
    full = await assign(client, cast, licensing["id"], "staff-zhao", 422)
    assert full["code"] == "file_fully_assigned"

    mine = await files(client, cast.reviewers["lawyer-wang"], round_id)
    assert [f["id"] for f in mine] == [licensing["id"]]
    assert mine[0]["checklist"]["id"] == "licensing" and mine[0]["events"]
    for outsider in ("staff-zhao", "staff-chen"):
        response = await client.get(
            f"/api/v1/review-files/{licensing['id']}", headers=cast.reviewers[outsider]
        )
        assert response.status_code == 404
    assert await files(client, cast.reviewers["staff-chen"], round_id) == []
    # the unit's staff see nothing before the file is scored
    assert await files(client, cast.clerk, round_id) == []


async def test_random_assignment_pairs_different_kinds_and_keeps_the_rules(
    client: httpx.AsyncClient, cast: Cast, drawn: dict[str, Any]
) -> None:
    assigned = await ok(
        await client.post(f"/api/v1/review-rounds/{drawn['round']['id']}/assign", headers=cast.admin)
    )
    for f in assigned:
        kinds = [s["reviewerKind"] for s in f["scores"]]
        assert len(kinds) == 2 and len(set(kinds)) == 2, f
        subs = {s["reviewerSub"] for s in f["scores"]}
        assert "insp-2" not in subs  # an APPROVAL member who inspected FR-SUPERVISION's cases
        if f["unit"] == APPROVAL:
            assert "staff-chen" not in subs


async def test_two_scores_reconciled_and_an_unqualified_file_opens_a_rectification(
    client: httpx.AsyncClient, cast: Cast, drawn: dict[str, Any]
) -> None:
    round_id = drawn["round"]["id"]
    close_early = await client.post(
        f"/api/v1/review-rounds/{round_id}/actions/close_scoring", headers=cast.admin
    )
    assert close_early.status_code == 422
    first, second = [f for f in await files(client, cast.admin, round_id) if f["category"] == "licensing"]
    for f in (first, second):
        await assign(client, cast, f["id"], "lawyer-wang")
        await assign(client, cast, f["id"], "adviser-li")
    # close: 90 and 85 are within the threshold of 10 -> 87.5, qualified
    await score(client, cast, first["id"], "lawyer-wang", [("review", 5), ("filing", 5)])
    not_yet = await score(client, cast, first["id"], "lawyer-wang", [], status=409)
    assert not_yet["code"] == "already_scored"
    bad_item = await score(client, cast, first["id"], "adviser-li", [("nonsense", 5)], status=400)
    assert bad_item["errors"][0]["field"] == "deductions[0].item"
    too_much = await score(client, cast, first["id"], "adviser-li", [("filing", 11)], status=400)
    assert "worth 10 points" in too_much["detail"]
    done = await score(client, cast, first["id"], "adviser-li", [("time_limit", 10), ("filing", 5)])
    assert (done["finalScore"], done["grade"], done["rectification"]) == (87.5, "qualified", None)

    # far apart: 100 and 45 -> a third reviewer; the median of 100, 45, 40 is 45: unqualified
    await score(client, cast, second["id"], "lawyer-wang", [])
    split = await score(
        client, cast, second["id"], "adviser-li", [("review", 25), ("decision", 20), ("acceptance", 10)]
    )
    assert split["needsThird"] is True and split["finalScore"] is None
    # the third reviewer is put on the file at once, by the rules (not of the file's unit, not a
    # party to its case) and the round's seed; nobody has to notice the split and assign one
    assert [s["position"] for s in split["scores"]] == [1, 2, 3]
    as_admin = await ok(await client.get(f"/api/v1/review-files/{second['id']}", headers=cast.admin))
    third = as_admin["scores"][2]["reviewerSub"]
    assert third in cast.reviewers and third not in {"lawyer-wang", "adviser-li"}
    again = await assign(client, cast, second["id"], "staff-zhao", 422)
    assert again["code"] in {"file_fully_assigned", "already_assigned"}
    graded = await score(
        client, cast, second["id"], third, [("review", 25), ("decision", 25), ("acceptance", 10)]
    )
    assert (graded["finalScore"], graded["grade"]) == (45.0, "unqualified")
    order = graded["rectification"]
    assert order["state"] == "fixing" and order["dueOn"] == "2026-03-23"  # 15 working days

    # the unit sees its scored files with every deduction, reviewers unnamed
    unit_view = await files(client, cast.clerk, round_id)
    assert {f["id"] for f in unit_view} == {first["id"], second["id"]}
    shown = _by(unit_view, id=second["id"])
    assert all(s["reviewerSub"] is None for s in shown["scores"])
    assert shown["scores"][1]["deductions"][0] == {
        "item": "review",
        "points": 25,
        "comment": "扣25分",
        "pointer": "event:1",
    }
    url = f"/api/v1/review-files/{second['id']}/rectification/actions"
    foreign = await client.post(f"{url}/report_fixed", json={}, headers=cast.inspector)
    assert foreign.status_code == 404
    fixed = await ok(
        await client.post(f"{url}/report_fixed", json={"comment": "已补正"}, headers=cast.supervisor)
    )
    assert fixed["state"] == "verifying"
    accepted = await ok(await client.post(f"{url}/accept_fix", json={}, headers=cast.admin))
    assert accepted["outcome"] == "rectified"


async def test_the_scoring_deadline_counts_working_days_and_marks_the_round_late(
    client: httpx.AsyncClient, cast: Cast, drawn: dict[str, Any], clock: ManualClock, app: Any
) -> None:
    url = f"/api/v1/review-rounds/{drawn['round']['id']}"
    view = await ok(await client.get(url, headers=cast.admin))
    assert view["dueOn"] == "2026-03-16"  # 10 working days after Monday 2 March
    clock.advance(timedelta(days=15))
    await run_timers(app)
    late = await ok(await client.get(url, headers=cast.admin))
    assert late["state"] == "scoring_late" and late["dueOn"] is None


async def test_rounds_and_the_panel_are_an_admins_and_their_input_is_checked(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    body = {"title": "t", "periodFrom": "2026-03-01", "periodTo": "2026-03-31", "units": [APPROVAL]}
    unknown = await client.post(
        "/api/v1/review-rounds", json={**body, "categories": ["parking"]}, headers=cast.admin
    )
    assert unknown.status_code == 400
    backwards = await client.post(
        "/api/v1/review-rounds",
        json={**body, "categories": ["licensing"], "periodTo": "2026-02-01"},
        headers=cast.admin,
    )
    assert backwards.status_code == 400 and backwards.json()["errors"][0]["field"] == "periodTo"
    by_clerk = await client.post(
        "/api/v1/review-rounds", json={**body, "categories": ["licensing"]}, headers=cast.clerk
    )
    assert by_clerk.status_code == 403
    wrong_kind = await client.put(
        "/api/v1/review-panel/x", json={"name": "x", "kind": "judge"}, headers=cast.admin
    )
    assert wrong_kind.status_code == 400
    not_on_panel = await client.post(
        "/api/v1/review-files/1/score", json={"deductions": []}, headers=cast.reviewers["lawyer-wang"]
    )
    assert (not_on_panel.status_code, not_on_panel.json()["code"]) == (403, "not_on_panel")
    missing = await client.get("/api/v1/review-rounds/99", headers=cast.admin)
    assert (missing.status_code, missing.json()["code"]) == (404, "review_round_not_found")
