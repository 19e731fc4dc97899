"""The authorisation matrix's rows for the enforcement quality review."""

from __future__ import annotations

from tests.api.authorisation_rules import ASSESSMENT, UNIT_STAFF_2, Rule
from tests.api.authorisation_world import U1

ON_FILE = ("rev2", "rev_law")
OFF_FILE = ("rev_idle", "rev1")
NOT_REVIEW_ADMIN = ("anonymous", "sup1", "rev2", "assessor")
STAFF_ONLY = ("anonymous", "app1", "adv1", "assessor")  # the review API is staff's and the panel's
ROUND = {
    "title": "考评",
    "periodFrom": "2026-03-01",
    "periodTo": "2026-03-31",
    "units": [U1],
    "categories": ["licensing"],
}
CALLBACK = {"answers": {"courtesy": 5, "clarity": 4, "fairness": 5, "overall": 5}}


REVIEW_RULES: dict[str, list[Rule]] = {
    # -- enforcement quality review: admins run it; reviewers see only the files drawn for them ------
    "GET /api/v1/review-panel": [Rule(ok=("admin",), refused=(*NOT_REVIEW_ADMIN, "clerk1", "app1"))],
    "PUT /api/v1/review-panel/{sub}": [
        Rule(ok=("admin",), refused=NOT_REVIEW_ADMIN, body={"name": "新成员", "kind": "lawyer"})
    ],
    "GET /api/v1/review-rounds": [
        Rule(ok=("admin", "clerk1", "clerk2", "rev1"), refused=STAFF_ONLY, listed="review_round")
    ],
    "POST /api/v1/review-rounds": [Rule(ok=("admin",), refused=NOT_REVIEW_ADMIN, body=ROUND)],
    "GET /api/v1/review-rounds/{round_id}": [Rule(ok=("admin", "clerk2", "rev1"), refused=STAFF_ONLY)],
    "POST /api/v1/review-rounds/{round_id}/actions/{action}": [
        Rule(ok=("admin",), refused=NOT_REVIEW_ADMIN, params={"action": "publish_results"})
    ],
    "POST /api/v1/review-rounds/{round_id}/assign": [Rule(ok=("admin",), refused=NOT_REVIEW_ADMIN)],
    "GET /api/v1/review-rounds/{round_id}/draw": [
        Rule(ok=("admin", "clerk1", "clerk2", "rev2"), refused=STAFF_ONLY)
    ],
    "POST /api/v1/review-rounds/{round_id}/draw": [
        Rule(ok=("admin",), refused=NOT_REVIEW_ADMIN, body={"seed": "2026-03"})
    ],
    "GET /api/v1/review-rounds/{round_id}/results": [  # a unit's staff: their own unit's, published
        Rule(
            ok=("admin", "clerk1", "sup1", "insp1", "legal1"),
            hidden=("clerk2", "sup2"),
            refused=(*STAFF_ONLY, "rev2"),
        )
    ],
    "GET /api/v1/review-rounds/{round_id}/checks": [  # reviewers: other units' checks only
        Rule(
            ok=("admin", "rev2", "chair", "rev_idle"),
            hidden=("rev1",),
            refused=("anonymous", "clerk1", "app1", "assessor", "rev0"),
            listed="review_check",
        )
    ],
    "GET /api/v1/review-rounds/{round_id}/files": [
        Rule(
            logged=True,
            ok=("admin", *ON_FILE, "clerk1", "sup1", "insp1", "legal1"),
            hidden=(*OFF_FILE, *UNIT_STAFF_2),
            refused=STAFF_ONLY,
            listed="review_file",
        )
    ],
    "GET /api/v1/review-files/{file_id}": [
        Rule(
            logged=True,
            ok=("admin", *ON_FILE, "chair", "clerk1", "sup1", "insp1", "legal1"),
            hidden=(*OFF_FILE, *UNIT_STAFF_2),
            refused=STAFF_ONLY,
        )
    ],
    "POST /api/v1/review-files/{file_id}/reviewers": [
        Rule(ok=("admin",), refused=NOT_REVIEW_ADMIN, body={"reviewerSub": "rev-idle"})
    ],
    "POST /api/v1/review-files/{file_id}/score": [
        Rule(
            ok=ON_FILE,
            hidden=(*OFF_FILE, "chair"),
            refused=("anonymous", "admin", "sup1", "rev0"),
            body={"deductions": []},
        )
    ],
    "POST /api/v1/review-files/{file_id}/appeal": [
        Rule(
            ok=("sup1",),
            hidden=("sup2",),
            refused=("anonymous", "admin", "clerk1", "rev2"),
            body={"reason": "已归档"},
        )
    ],
    "POST /api/v1/review-files/{file_id}/appeal/decision": [
        Rule(
            ok=("chair",),
            hidden=OFF_FILE,
            refused=("anonymous", "admin", "sup1", "rev2", "rev0"),
            body={"decision": "rejected"},
        )
    ],
    "POST /api/v1/review-files/{file_id}/rectification/actions/{action}": [
        Rule(
            ok=("sup1", "clerk1"),
            hidden=(*OFF_FILE, "clerk2", "sup2"),
            refused=("anonymous", "app1", "admin", "rev2"),
            params={"action": "report_fixed"},
            body={"comment": "已补正"},
        ),
        Rule(
            ok=("admin", "rev2"),
            hidden=(*OFF_FILE, "clerk2"),
            refused=("anonymous", "app1", "sup1"),
            params={"action": "accept_fix"},
            body={},
        ),
    ],
    "POST /api/v1/review-checks/{check_id}": [
        Rule(
            ok=("admin", "rev2"),
            hidden=("rev1",),
            refused=("anonymous", "clerk1", "app1", "rev0"),
            body=CALLBACK,
        )
    ],
    "GET /api/v1/assessment/review-rounds": [ASSESSMENT],
    "GET /api/v1/assessment/review-rounds/{round_id}": [ASSESSMENT],
}
