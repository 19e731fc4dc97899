from __future__ import annotations

import httpx

from tests.conftest import TokenFactory


async def test_catalogue_is_public_and_seeded(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/matters")
    assert response.status_code == 200
    codes = {m["code"] for m in response.json()["items"]}
    assert "FR-PGP-OPENING" in codes
    guide = next(m for m in response.json()["items"] if m["code"] == "FR-PGP-OPENING")
    assert guide["routes"] == ["standard", "commitment"]
    assert guide["version"] == 1


async def test_unknown_matter_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/matters/NOPE")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "matter_not_found"


async def test_admin_publishes_new_version(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    guide = (await client.get("/api/v1/matters/FR-PGP-OPENING")).json()
    for key in ("version", "publishedAt", "contentHash"):
        guide.pop(key)
    guide["promisedLimit"] = 3
    response = await client.post("/api/v1/matters", json=guide, headers=auth("admin"))
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2
    assert (await client.get("/api/v1/matters/FR-PGP-OPENING")).json()["promisedLimit"] == 3
    first = await client.get("/api/v1/matters/FR-PGP-OPENING/versions/1")
    assert first.json()["promisedLimit"] == 5


async def test_publishing_needs_admin(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    guide = (await client.get("/api/v1/matters/FR-PGP-OPENING")).json()
    assert (await client.post("/api/v1/matters", json=guide)).status_code == 401
    response = await client.post("/api/v1/matters", json=guide, headers=auth("clerk"))
    assert response.status_code == 403
    assert response.json()["code"] == "role_required"
