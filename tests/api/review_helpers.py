"""The quality-review tests' scenario: a March with licensing decisions at FR-APPROVAL and
inspections and decided violation cases at FR-SUPERVISION, a panel, and a round drawn over it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from tests.api.apps_helpers import APPROVAL, ENT_A, SUPERVISION, act, create, upload_all
from tests.conftest import TokenFactory

LONG = 60 * 24 * 3600
LICENSING = "FR-PGP-OPENING-APPROVAL"  # FR-APPROVAL, on the licensing process
ENT = "91510100MA6CX12348"
PANEL = {  # sub -> (kind, unit, chair)
    "lawyer-wang": ("lawyer", None, True),
    "adviser-li": ("adviser", None, False),
    "staff-zhao": ("staff", SUPERVISION, False),
    "staff-chen": ("staff", APPROVAL, False),
    "insp-2": ("staff", APPROVAL, False),  # an inspector of FR-SUPERVISION's inspections, now on the panel
}


class Cast:
    def __init__(self, auth: TokenFactory) -> None:
        self.admin = auth("admin", sub="admin-1", ttl=LONG)
        self.applicant = auth("applicant", sub="user-a", ent=ENT_A, ttl=LONG)
        self.clerk = auth("clerk", sub="clerk-1", unit=APPROVAL, ttl=LONG)
        self.supervisor = auth("supervisor", sub="head-1", unit=APPROVAL, ttl=LONG)
        self.inspector = auth("inspector", sub="insp-1", unit=SUPERVISION, ttl=LONG)
        self.legal = auth("legal", sub="legal-9", unit=SUPERVISION, ttl=LONG)
        self.assessor = auth("assessor", sub="assessor-1", ttl=LONG)
        self.reviewers = {
            sub: auth("reviewer", sub=sub, unit=unit, ttl=LONG) for sub, (_, unit, _) in PANEL.items()
        }


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def seed_period(client: httpx.AsyncClient, cast: Cast, licences: int = 4, inspections: int = 2) -> None:
    for _ in range(licences):
        app = await create(client, cast.applicant, LICENSING)
        await upload_all(client, cast.applicant, app)
        await act(client, cast.applicant, app["id"], "file")
        await act(client, cast.clerk, app["id"], "accept")
        await act(client, cast.clerk, app["id"], "forward")
        await act(client, cast.supervisor, app["id"], "approve")
    for n in range(inspections):
        body = {
            "uscc": ENT,
            "unitName": f"某某餐饮{n}",
            "address": "成都市锦江区某某路1号",
            "inspectedOn": "2026-03-02",
            "officers": ["insp-1", "insp-2"],
            "evidence": ["照片 P-1"],
            "findings": [
                {
                    "violationType": "HYDRANT-BLOCKED",
                    "harmLevel": "minor",
                    "measurements": [{"quantity": "blocked_hydrants", "value": 1}],
                }
            ],
        }
        inspection = await ok(
            await client.post("/api/v1/inspections", json=body, headers=cast.inspector), 201
        )
        vid = inspection["findings"][0]["violationId"]
        url = f"/api/v1/violations/{vid}/actions"
        await ok(await client.post(f"{url}/correct_on_spot", json={}, headers=cast.inspector))
        await ok(await client.post(f"{url}/countersign", json={}, headers=cast.legal))


async def seat_panel(
    client: httpx.AsyncClient, cast: Cast, panel: Mapping[str, tuple[str, str | None, bool]] = PANEL
) -> None:
    for sub, (kind, unit, chair) in panel.items():
        body = {"name": sub, "kind": kind, "unit": unit, "chair": chair}
        await ok(await client.put(f"/api/v1/review-panel/{sub}", json=body, headers=cast.admin))


async def open_round(client: httpx.AsyncClient, cast: Cast, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "2026年3月执法质量考评",
        "periodFrom": "2026-03-01",
        "periodTo": "2026-03-31",
        "units": [APPROVAL, SUPERVISION],
        "categories": ["licensing", "inspections", "penalties"],
        "perUnit": 2,
        "callbacksPerUnit": 1,
        "onsitePerUnit": 1,
        "threshold": 10,
        **overrides,
    }
    return await ok(await client.post("/api/v1/review-rounds", json=body, headers=cast.admin), 201)  # type: ignore[no-any-return]


async def draw(client: httpx.AsyncClient, cast: Cast, round_id: int, seed: str = "2026-03") -> dict[str, Any]:
    url = f"/api/v1/review-rounds/{round_id}/draw"
    return await ok(await client.post(url, json={"seed": seed}, headers=cast.admin))  # type: ignore[no-any-return]


async def files(client: httpx.AsyncClient, headers: dict[str, str], round_id: int) -> list[dict[str, Any]]:
    return await ok(await client.get(f"/api/v1/review-rounds/{round_id}/files", headers=headers))  # type: ignore[no-any-return]


async def assign(
    client: httpx.AsyncClient, cast: Cast, file_id: int, reviewer: str, status: int = 200
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/review-files/{file_id}/reviewers", json={"reviewerSub": reviewer}, headers=cast.admin
    )
    return await ok(response, status)  # type: ignore[no-any-return]


async def score(
    client: httpx.AsyncClient,
    cast: Cast,
    file_id: int,
    reviewer: str,
    deductions: list[tuple[str, int]],
    status: int = 200,
    pointer: str = "event:1",
) -> dict[str, Any]:
    body = {
        "deductions": [
            {"item": item, "points": points, "comment": f"扣{points}分", "pointer": pointer}
            for item, points in deductions
        ]
    }
    response = await client.post(
        f"/api/v1/review-files/{file_id}/score", json=body, headers=cast.reviewers[reviewer]
    )
    return await ok(response, status)  # type: ignore[no-any-return]
