"""The demo's last part: a short enforcement quality review (执法质量考评) round over this month's
licensing decisions at FR-APPROVAL, through the HTTP API like the rest of the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from govservice.demo import Demo

PANEL = {"demo-lawyer": ("lawyer", True), "demo-adviser": ("adviser", False)}


def _items(demo: Demo, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """A GET that answers a JSON list."""
    return cast(list[dict[str, Any]], demo.call("GET", path, headers))


def review_round(demo: Demo) -> None:
    demo.say("\n7. enforcement quality review: a seeded draw scored by a lawyer and an adviser")
    admin = demo.token("admin", "demo-admin")
    reviewers = {sub: demo.token("reviewer", sub) for sub in PANEL}
    for sub, (kind, chair) in PANEL.items():
        demo.call(
            "PUT", f"/api/v1/review-panel/{sub}", admin, json={"name": sub, "kind": kind, "chair": chair}
        )
    today = demo.clock.now().astimezone(ZoneInfo(demo.settings.timezone)).date()
    body = {
        "title": f"{today:%Y年%m月} 许可案卷评查 (demo)",
        "periodFrom": today.replace(day=1).isoformat(),
        "periodTo": today.isoformat(),
        "units": ["FR-APPROVAL"],
        "categories": ["licensing"],
        "perUnit": 2,
        "callbacksPerUnit": 1,
        "onsitePerUnit": 0,
        "excludePrevious": False,
    }
    round_ = demo.call("POST", "/api/v1/review-rounds", admin, json=body)
    drawn = demo.call("POST", f"/api/v1/review-rounds/{round_['id']}/draw", admin, json={})
    population = drawn["population"]["licensing"]["FR-APPROVAL"]
    picked = drawn["drawn"]["licensing"]["FR-APPROVAL"]
    demo.say(f"  seed {drawn['seed']}: drew {picked} of {len(population)} concluded licensing files")
    demo.call("POST", f"/api/v1/review-rounds/{round_['id']}/assign", admin)
    for sub, headers in reviewers.items():
        for file in _items(demo, f"/api/v1/review-rounds/{round_['id']}/files", headers):
            deductions = (
                []
                if sub == "demo-lawyer"
                else [{"item": "filing", "points": 2, "comment": "归档顺序不规范", "pointer": "event:1"}]
            )
            scored = demo.call(
                "POST", f"/api/v1/review-files/{file['id']}/score", headers, json={"deductions": deductions}
            )
            if scored["finalScore"] is not None:
                demo.say(f"  file {file['subject']}: reconciled {scored['finalScore']} ({scored['grade']})")
    lawyer = reviewers["demo-lawyer"]
    for check in _items(demo, f"/api/v1/review-rounds/{round_['id']}/checks", lawyer):
        answers = {"courtesy": 5, "clarity": 4, "fairness": 5, "overall": 5}
        demo.call("POST", f"/api/v1/review-checks/{check['id']}", lawyer, json={"answers": answers})
    demo.call("POST", f"/api/v1/review-rounds/{round_['id']}/actions/close_scoring", admin)
    demo.call("POST", f"/api/v1/review-rounds/{round_['id']}/actions/publish_results", admin)
    [result] = demo.call("GET", f"/api/v1/review-rounds/{round_['id']}/results", admin)["units"]
    demo.say(
        f"  published: FR-APPROVAL reviewed {result['filesReviewed']} file(s), "
        f"average {result['averageScore']}, unqualified {result['unqualified']}, "
        f"callback satisfaction {result['callbackSatisfaction']}"
    )
