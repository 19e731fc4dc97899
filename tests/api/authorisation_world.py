"""The world the authorisation matrix is checked in: two enterprises, two units, and one record
of every kind that staff act on, all held by unit U1 for enterprise E1 (built through the API);
and a quality-review round over U1's March that drew the concluded application as its one file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.api.apps_helpers import APPROVAL, ENT_A, ENT_B, PDF, act, create, upload_all
from tests.api.rating_helpers import rate
from tests.api.review_helpers import Cast, assign, draw, files, ok, open_round, score, seat_panel
from tests.conftest import TokenFactory

U1, U2 = APPROVAL, "FR-SUPERVISION"
E1, E2 = ENT_A, ENT_B
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64

# Every caller the matrix names: the insiders of U1 / E1 and their counterparts elsewhere.
ACTORS: dict[str, dict[str, Any]] = {
    "admin": {"roles": ("admin",), "sub": "admin-1"},
    "clerk1": {"roles": ("clerk",), "sub": "clerk-1", "unit": U1},
    "sup1": {"roles": ("supervisor",), "sub": "sup-1", "unit": U1},
    "insp1": {"roles": ("inspector",), "sub": "insp-1", "unit": U1},
    "legal1": {"roles": ("legal",), "sub": "legal-1", "unit": U1},
    "adv1": {"roles": ("adviser",), "sub": "adv-1", "unit": U1},  # E1's assigned adviser
    "clerk2": {"roles": ("clerk",), "sub": "clerk-2", "unit": U2},
    "sup2": {"roles": ("supervisor",), "sub": "sup-2", "unit": U2},
    "insp2": {"roles": ("inspector",), "sub": "insp-9", "unit": U2},
    "legal2": {"roles": ("legal",), "sub": "legal-2", "unit": U2},
    "adv2": {"roles": ("adviser",), "sub": "adv-2", "unit": U1},  # same unit, not assigned to E1
    "app1": {"roles": ("applicant",), "sub": "user-e1", "ent": E1},
    "app2": {"roles": ("applicant",), "sub": "user-e2", "ent": E2},
    "assessor": {"roles": ("assessor",), "sub": "assessor-1"},
    # the quality-review panel: the drawn file (U1's) is scored by rev2 and rev_law
    "rev2": {"roles": ("reviewer",), "sub": "rev-2", "unit": U2},  # staff of U2, on the file
    "rev_law": {"roles": ("reviewer",), "sub": "rev-law"},  # an outside lawyer, on the file
    "chair": {"roles": ("reviewer",), "sub": "rev-chair"},  # decides appeals, not on the file
    "rev_idle": {"roles": ("reviewer",), "sub": "rev-idle", "unit": U2},  # on the panel, not on the file
    "rev1": {"roles": ("reviewer",), "sub": "rev-1", "unit": U1},  # of the file's own unit
    "rev0": {"roles": ("reviewer",), "sub": "rev-0"},  # not on the panel
}
# sub -> (kind, unit, chair), as seat_panel takes it
PANEL = {
    "rev-2": ("staff", U2, False),
    "rev-law": ("lawyer", None, False),
    "rev-chair": ("lawyer", None, True),
    "rev-idle": ("adviser", U2, False),
    "rev-1": ("staff", U1, False),
}
UNQUALIFIED = [("review", 25), ("decision", 20), ("acceptance", 10)]  # 45 points of 100


def headers(auth: TokenFactory, name: str) -> dict[str, str]:
    if name == "anonymous":
        return {}
    spec = ACTORS[name]
    return auth(*spec["roles"], sub=spec["sub"], unit=spec.get("unit"), ent=spec.get("ent"))


@dataclass
class World:
    application: int  # concluded (approved), rated one star
    draft: int  # an application still in draft
    work_order: int
    inspection: int
    evidence: int
    violation: int
    plan: int
    other_plan: int
    request: int
    webhook: int
    licence: str
    review_round: int  # drawn, scored, published
    review_file: int  # U1's, scored unqualified by rev2 and rev_law; appealed, rectification open
    review_check: int  # the callback to E1 (U1's), not recorded yet

    def params(self) -> dict[str, Any]:
        return {
            "application_id": self.application,
            "order_id": self.work_order,
            "inspection_id": self.inspection,
            "evidence_id": self.evidence,
            "violation_id": self.violation,
            "plan_id": self.plan,
            "request_id": self.request,
            "webhook_id": self.webhook,
            "uscc": E1,
            "year": 2026,
            "number": self.licence,
            "code": "FR-PGP-OPENING",
            "version": 1,
            "round_id": self.review_round,
            "file_id": self.review_file,
            "check_id": self.review_check,
            "sub": "rev-new",
        }


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


async def build_world(client: httpx.AsyncClient, auth: TokenFactory) -> World:
    def h(name: str) -> dict[str, str]:
        return headers(auth, name)

    await _ok(
        await client.post(
            "/api/v1/key-enterprises",
            headers=h("admin"),
            json={
                "uscc": E1,
                "name": "某锂电科技有限公司",
                "industries": ["lithium_battery"],
                "enrolledFrom": "2026-01-01",
                "enrolledUntil": "2026-12-31",
                "adviser": {"sub": "adv-1", "name": "李专员", "unit": U1},
            },
        )
    )
    # the commitment route: granted at the desk, closed by the post-check (a concluded application)
    app = await create(client, h("app1"), "FR-PGP-OPENING", "commitment", commitmentSigned=True)
    await upload_all(client, h("app1"), app)
    await act(client, h("app1"), app["id"], "file")
    await act(client, h("clerk1"), app["id"], "grant")
    done = await act(client, h("insp1"), app["id"], "pass_post_check")
    assert (done["unit"], done["outcome"]) == (U1, "approved")
    assert (await rate(client, h("app1"), done["id"], 1, "窗口态度差")).status_code == 201
    orders = (await client.get("/api/v1/work-orders", headers=h("sup1"))).json()["items"]
    draft = await create(client, h("app1"))
    inspection = await _ok(
        await client.post(
            "/api/v1/inspections",
            headers=h("insp1"),
            json={
                "uscc": E1,
                "unitName": "某锂电科技有限公司",
                "address": "成都市某某路1号",
                "inspectedOn": "2026-03-02",
                "officers": ["insp-1", "insp-2"],
                "evidence": [],
                "purpose": "complaint",
                "reason": "群众举报",
                "findings": [
                    {
                        "violationType": "HYDRANT-BLOCKED",
                        "harmLevel": "minor",
                        "measurements": [{"quantity": "blocked_hydrants", "value": 1}],
                    }
                ],
            },
        )
    )
    evidence = await _ok(
        await client.post(
            f"/api/v1/inspections/{inspection['id']}/evidence",
            headers=h("insp1"),
            files={"file": ("exit.jpg", JPG, "image/jpeg")},
        )
    )
    plans = [
        await _ok(
            await client.post(
                "/api/v1/inspection-plans",
                headers=h("insp1"),
                json={"uscc": E1, "plannedOn": on, "scope": "复查", "purpose": "fire_risk", "reason": "隐患"},
            )
        )
        for on in ("2026-03-20", "2026-03-23")
    ]
    request = await _ok(
        await client.post(
            f"/api/v1/key-enterprises/{E1}/requests",
            headers=h("app1"),
            json={"kind": "question", "subject": "喷淋", "detail": "喷淋压力不足怎么办"},
        )
    )
    await _ok(
        await client.post(
            f"/api/v1/key-enterprises/{E1}/checkups",
            headers=h("adv1"),
            json={"year": 2026, "scheduledOn": "2026-03-02"},
        )
    )
    await _ok(
        await client.post(
            f"/api/v1/key-enterprises/{E1}/checkups/2026/report",
            headers=h("adv1"),
            files={"file": ("r.pdf", PDF, "application/pdf")},
        )
    )
    webhook = await _ok(
        await client.post(
            "/api/v1/webhooks",
            headers=h("admin"),
            json={"url": "https://hooks.gov.internal/gov", "events": ["application.*"]},
        )
    )
    review = await _review(client, auth)
    return World(
        **review,
        application=done["id"],
        draft=draft["id"],
        work_order=orders[0]["id"],
        inspection=inspection["id"],
        evidence=evidence["id"],
        violation=inspection["findings"][0]["violationId"],
        plan=plans[0]["plan"]["id"],
        other_plan=plans[1]["plan"]["id"],
        request=request["id"],
        webhook=webhook["id"],
        licence=done["licenceNumber"],
    )


async def _review(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, int]:
    """One round over U1's March licensing decisions: the one concluded application is drawn,
    scored unqualified (a rectification opens), the round published, and U1's supervisor appeals."""
    cast = Cast(auth)
    cast.reviewers = {
        spec["sub"]: headers(auth, name) for name, spec in ACTORS.items() if "reviewer" in spec["roles"]
    }
    await seat_panel(client, cast, PANEL)
    opened = await open_round(
        client, cast, units=[U1], categories=["licensing"], perUnit=1, callbacksPerUnit=1, onsitePerUnit=0
    )
    round_id = opened["id"]
    await draw(client, cast, round_id)
    (drawn,) = await files(client, cast.admin, round_id)
    assert (drawn["unit"], drawn["category"]) == (U1, "licensing")
    for reviewer in ("rev-2", "rev-law"):
        await assign(client, cast, drawn["id"], reviewer)
        await score(client, cast, drawn["id"], reviewer, UNQUALIFIED)
    for action in ("close_scoring", "publish_results"):
        await ok(await client.post(f"/api/v1/review-rounds/{round_id}/actions/{action}", headers=cast.admin))
    appeal = {"reason": "扣分依据的文书已归档"}
    url = f"/api/v1/review-files/{drawn['id']}/appeal"
    await ok(await client.post(url, json=appeal, headers=headers(auth, "sup1")))
    (check,) = await ok(await client.get(f"/api/v1/review-rounds/{round_id}/checks", headers=cast.admin))
    return {"review_round": round_id, "review_file": drawn["id"], "review_check": check["id"]}
