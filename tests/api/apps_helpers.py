"""Small helpers for the application tests: files that pass the format checks, and common steps."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from govservice.auth import mint_token
from tests.conftest import _KEYS

PDF = b"%PDF-1.7\n% test document\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

ENT_A = "91350100M000100Y43"
ENT_B = "91110000802100433B"
APPROVAL = "FR-APPROVAL"
SUPERVISION = "FR-SUPERVISION"


async def create(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    matter: str = "FR-PGP-OPENING",
    route: str = "standard",
    *,
    file: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "matterCode": matter,
        "enterpriseName": "成都某某餐饮管理有限公司",
        "route": route,
        "file": file,
        **extra,
    }
    response = await client.post("/api/v1/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    app_id: int,
    material: str,
    content: bytes = PDF,
    filename: str = "doc.pdf",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/applications/{app_id}/materials",
        headers=headers,
        data={"material": material},
        files={"file": (filename, content, "application/octet-stream")},
    )


async def upload_all(
    client: httpx.AsyncClient, headers: dict[str, str], app: dict[str, Any], skip: tuple[str, ...] = ()
) -> None:
    for material in app["materials"]:
        if material["code"] in skip:
            continue
        response = await upload(client, headers, app["id"], material["code"])
        assert response.status_code == 201, response.text


async def act(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    app_id: int,
    action: str,
    expect: int = 200,
    **payload: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/applications/{app_id}/actions/{action}", json=payload, headers=headers
    )
    assert response.status_code == expect, response.text
    return response.json()  # type: ignore[no-any-return]


async def get(client: httpx.AsyncClient, headers: dict[str, str], app_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/v1/applications/{app_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def run_timers(app: Any) -> None:
    await app.state.services.engine.run_due_timers("test-worker", limit=100)


INSPECTOR = "inspector-1"
FINDINGS = "疏散通道畅通，消防设施完好有效 / evacuation routes clear, fire equipment in order"


def colleague(headers: dict[str, str], role: str, sub: str) -> dict[str, str]:
    """A token for another person of the same unit as ``headers``' (same issuer, audience and
    issue time), so that a walk needs only one staff token of the unit."""
    token = headers["Authorization"].removeprefix("Bearer ")
    body = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    minted = mint_token(
        _KEYS,
        issuer=claims["iss"],
        audience=claims["aud"],
        sub=sub,
        roles=(role,),
        now=datetime.fromtimestamp(claims["iat"], tz=UTC),
        ttl_seconds=claims["exp"] - claims["iat"],
        unit=claims.get("unit"),
    )
    return {"Authorization": f"Bearer {minted}"}


async def inspect(
    client: httpx.AsyncClient,
    staff: dict[str, str],
    app_id: int,
    *,
    result: str = "pass",
    findings: str = FINDINGS,
) -> dict[str, Any]:
    """The standard route of FR-PGP-OPENING after acceptance: the head of ``staff``'s unit assigns an
    inspector, who records the on-site inspection; the case then waits for the decision."""
    head = colleague(staff, "supervisor", "head-of-inspections")
    await act(client, head, app_id, "assign_inspector", inspector=INSPECTOR)
    inspector = colleague(staff, "inspector", INSPECTOR)
    return await act(client, inspector, app_id, "record_inspection", result=result, findings=findings)
