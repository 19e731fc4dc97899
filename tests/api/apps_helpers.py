"""Small helpers for the application tests: files that pass the format checks, and common steps."""

from __future__ import annotations

from typing import Any

import httpx

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
