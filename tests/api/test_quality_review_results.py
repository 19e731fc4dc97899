"""Quality review results: scoring a whole round, callbacks and on-site checks, publication, the
results for staff, assessors (pseudonymised) and the public board, recomputed from the records;
and a unit's appeal decided by the panel chair."""

from __future__ import annotations

import json
from statistics import mean
from typing import Any

import httpx
import pytest

from tests.api.apps_helpers import APPROVAL, SUPERVISION
from tests.api.review_helpers import ENT, Cast, draw, files, ok, open_round, score, seat_panel, seed_period
from tests.conftest import TokenFactory

FIRST_ITEM = {"licensing": "review", "inspections": "record", "penalties": "procedure"}


@pytest.fixture
def cast(auth: TokenFactory) -> Cast:
    return Cast(auth)


@pytest.fixture
async def scored(client: httpx.AsyncClient, cast: Cast) -> dict[str, Any]:
    """A drawn round, every file's pair assigned at random and scored: the first licensing file
    badly (unqualified), the rest with small deductions."""
    await seed_period(client, cast)
    await seat_panel(client, cast)
    opened = await open_round(client, cast)
    await draw(client, cast, opened["id"])
    assigned = await ok(await client.post(f"/api/v1/review-rounds/{opened['id']}/assign", headers=cast.admin))
    bad = next(f for f in assigned if f["category"] == "licensing")
    for f in assigned:
        pointer = "evidence:P-1" if f["category"] == "inspections" else "event:1"
        for n, s in enumerate(f["scores"]):
            points = (
                [("review", 25), ("decision", 20)]
                if f["id"] == bad["id"]
                else [(FIRST_ITEM[f["category"]], 2 + n)]
            )
            await score(client, cast, f["id"], s["reviewerSub"], points, pointer=pointer)
    return {"round": opened, "bad": bad["id"]}


async def test_results_on_the_board_and_in_the_assessor_api_match_the_recorded_scores(
    client: httpx.AsyncClient, cast: Cast, scored: dict[str, Any]
) -> None:
    round_id = scored["round"]["id"]
    base = f"/api/v1/review-rounds/{round_id}"
    checks = await ok(await client.get(f"{base}/checks", headers=cast.reviewers["lawyer-wang"]))
    callbacks = [c for c in checks if c["kind"] == "callback"]
    onsite = [c for c in checks if c["kind"] == "onsite"]
    assert {c["unit"] for c in callbacks} == {APPROVAL, SUPERVISION}
    assert [c["unit"] for c in onsite] == [APPROVAL]  # an approved licensing file of the draw
    seen_by_chen = await ok(await client.get(f"{base}/checks", headers=cast.reviewers["staff-chen"]))
    assert {c["unit"] for c in seen_by_chen} == {SUPERVISION}  # never their own unit's
    lawyer = cast.reviewers["lawyer-wang"]
    answers = {
        APPROVAL: {"courtesy": 5, "clarity": 4, "fairness": 5, "overall": 4},
        SUPERVISION: {"courtesy": 3, "clarity": 3, "fairness": 4, "overall": 2},
    }
    for c in callbacks:
        partial = await client.post(
            f"/api/v1/review-checks/{c['id']}", json={"answers": {"courtesy": 5}}, headers=lawyer
        )
        assert partial.status_code == 400
        await ok(
            await client.post(
                f"/api/v1/review-checks/{c['id']}", json={"answers": answers[c["unit"]]}, headers=lawyer
            )
        )
    await ok(
        await client.post(
            f"/api/v1/review-checks/{onsite[0]['id']}",
            json={"passed": False, "comment": "通道堵塞"},
            headers=lawyer,
        )
    )
    twice = await client.post(
        f"/api/v1/review-checks/{onsite[0]['id']}", json={"passed": True}, headers=lawyer
    )
    assert twice.status_code == 409

    early = await client.get(f"{base}/results", headers=cast.clerk)
    assert early.status_code == 404  # the unit sees its results once published
    await ok(await client.post(f"{base}/actions/close_scoring", headers=cast.admin))
    published = await ok(await client.post(f"{base}/actions/publish_results", headers=cast.admin))
    assert published["state"] == "published" and published["publishedAt"]

    # recompute from the records: each file's reconciled score is the mean of its pair's scores
    records = await files(client, cast.admin, round_id)
    expected: dict[str, dict[str, Any]] = {}
    for unit in (APPROVAL, SUPERVISION):
        mine = [f for f in records if f["unit"] == unit]
        finals = [mean(s["score"] for s in f["scores"]) for f in mine]
        assert [f["finalScore"] for f in mine] == finals
        expected[unit] = {
            "filesReviewed": len(mine),
            "averageScore": round(mean(finals), 1),
            "unqualified": sum(1 for f in mine if f["grade"] == "unqualified"),
            "rectified": 0,
            "callbackSatisfaction": mean(answers[unit].values()),
        }
    assert expected[APPROVAL]["unqualified"] == 1 and expected[SUPERVISION]["unqualified"] == 0

    def pick(row: dict[str, Any]) -> dict[str, Any]:
        return {k: row[k] for k in expected[APPROVAL]}

    results = await ok(await client.get(f"{base}/results", headers=cast.admin))
    assert {r["unit"]: pick(r) for r in results["units"]} == expected
    approval = next(r for r in results["units"] if r["unit"] == APPROVAL)
    assert (approval["onsiteChecked"], approval["onsitePassed"]) == (1, 0)
    own = await ok(await client.get(f"{base}/results", headers=cast.clerk))
    assert [r["unit"] for r in own["units"]] == [APPROVAL]

    assessor = await ok(
        await client.get(f"/api/v1/assessment/review-rounds/{round_id}", headers=cast.assessor)
    )
    assert {r["unit"]: pick(r) for r in assessor["units"]} == expected
    text = json.dumps(assessor)
    assert ENT not in text and "lawyer-wang" not in text and "扣" not in text
    assert all(f["enterprise"].startswith("ent-") for f in assessor["files"])
    assert sorted(f["finalScore"] for f in assessor["files"]) == sorted(f["finalScore"] for f in records)
    listed = await ok(await client.get("/api/v1/assessment/review-rounds", headers=cast.assessor))
    assert [r["roundId"] for r in listed] == [round_id]
    confined = await client.get(f"{base}/results", headers=cast.assessor)
    assert confined.status_code == 403

    board = await ok(
        await client.get("/api/v1/public/board", params={"from": "2026-03-01", "to": "2026-03-31"})
    )
    shown = {u["unit"]: u["qualityReview"] for u in board["units"]}
    for unit in (APPROVAL, SUPERVISION):
        assert shown[unit]["roundId"] == round_id
        assert {k: shown[unit][k] for k in expected[unit]} == expected[unit]

    # the unqualified file rectified: the figures follow
    url = f"/api/v1/review-files/{scored['bad']}/rectification/actions"
    await ok(await client.post(f"{url}/report_fixed", json={}, headers=cast.supervisor))
    await ok(await client.post(f"{url}/accept_fix", json={}, headers=cast.reviewers["staff-zhao"]))
    board = await ok(
        await client.get("/api/v1/public/board", params={"from": "2026-03-01", "to": "2026-03-31"})
    )
    assert next(u for u in board["units"] if u["unit"] == APPROVAL)["qualityReview"]["rectified"] == 1


async def test_a_unit_appeals_a_score_once_and_the_panel_chair_decides(
    client: httpx.AsyncClient, cast: Cast, scored: dict[str, Any]
) -> None:
    url = f"/api/v1/review-files/{scored['bad']}/appeal"
    reason = {"reason": "现场核查记录已归档, 见第3页"}
    by_clerk = await client.post(url, json=reason, headers=cast.clerk)
    assert by_clerk.status_code == 403
    other_unit = await client.post(url, json=reason, headers=cast.inspector)
    assert other_unit.status_code in (403, 404)
    appealed = await ok(await client.post(url, json=reason, headers=cast.supervisor))
    assert appealed["appeal"] == {"reason": reason["reason"], "decision": None, "scoreBefore": None}
    again = await client.post(url, json=reason, headers=cast.supervisor)
    assert (again.status_code, again.json()["code"]) == (409, "already_appealed")

    decide = f"{url}/decision"
    not_chair = await client.post(decide, json={"decision": "rejected"}, headers=cast.reviewers["adviser-li"])
    assert not_chair.status_code in (403, 404)
    without_score = await client.post(
        decide, json={"decision": "upheld"}, headers=cast.reviewers["lawyer-wang"]
    )
    assert without_score.status_code == 400
    upheld = await ok(
        await client.post(
            decide, json={"decision": "upheld", "score": 70}, headers=cast.reviewers["lawyer-wang"]
        )
    )
    assert upheld["appeal"] == {"reason": reason["reason"], "decision": "upheld", "scoreBefore": 55.0}
    assert (upheld["finalScore"], upheld["grade"]) == (70.0, "qualified")
    twice = await client.post(decide, json={"decision": "rejected"}, headers=cast.reviewers["lawyer-wang"])
    assert twice.status_code == 409
