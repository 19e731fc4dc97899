"""Helpers for the rating, audit and board tests: walk an application to a decision."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.apps_helpers import act, create, inspect, upload_all

EVALUATION = "/api/v1/applications/{}/evaluation"


async def filed(client: httpx.AsyncClient, applicant: dict[str, str]) -> dict[str, Any]:
    app = await create(client, applicant)
    await upload_all(client, applicant, app)
    return await act(client, applicant, app["id"], "file")


async def accepted(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> dict[str, Any]:
    app = await filed(client, applicant)
    await act(client, clerk, app["id"], "accept")
    return await inspect(client, clerk, app["id"])


async def approve(client: httpx.AsyncClient, supervisor: dict[str, str], app_id: int) -> dict[str, Any]:
    done = await act(client, supervisor, app_id, "approve")
    assert done["outcome"] == "approved"
    return done


async def approved(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str], supervisor: dict[str, str]
) -> dict[str, Any]:
    app = await accepted(client, applicant, clerk)
    return await approve(client, supervisor, app["id"])


async def rate(
    client: httpx.AsyncClient, headers: dict[str, str], app_id: int, stars: int, comment: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"stars": stars}
    if comment is not None:
        body["comment"] = comment
    return await client.post(EVALUATION.format(app_id), json=body, headers=headers)


async def order_action(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    order_id: int,
    action: str,
    expect: int = 200,
    **payload: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/work-orders/{order_id}/actions/{action}", json=payload, headers=headers
    )
    assert response.status_code == expect, response.text
    return response.json()  # type: ignore[no-any-return]
