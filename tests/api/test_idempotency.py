from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TokenFactory


async def _new_version(client: httpx.AsyncClient, promised: int) -> dict[str, Any]:
    guide = (await client.get("/api/v1/matters/FR-PGP-OPENING")).json()
    for key in ("version", "publishedAt", "contentHash"):
        guide.pop(key)
    guide["promisedLimit"] = promised
    return guide


async def test_same_key_and_body_replays_first_response(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    admin = auth("admin")
    guide = await _new_version(client, 4)
    headers = {**admin, "Idempotency-Key": "publish-4"}
    first = await client.post("/api/v1/matters", json=guide, headers=headers)
    again = await client.post("/api/v1/matters", json=guide, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    versions = (await client.get("/api/v1/matters/FR-PGP-OPENING/versions")).json()
    assert [v["version"] for v in versions] == [1, 2]  # published once, not twice


async def test_same_key_other_body_is_422(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = {**auth("admin"), "Idempotency-Key": "k1"}
    assert (
        await client.post("/api/v1/matters", json=await _new_version(client, 4), headers=headers)
    ).status_code == 201
    other = await client.post("/api/v1/matters", json=await _new_version(client, 3), headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


async def test_keys_are_scoped_to_the_caller(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    guide = await _new_version(client, 4)
    first = await client.post(
        "/api/v1/matters", json=guide, headers={**auth("admin", sub="admin-a"), "Idempotency-Key": "same"}
    )
    assert first.status_code == 201
    second = await client.post(
        "/api/v1/matters", json=guide, headers={**auth("admin", sub="admin-b"), "Idempotency-Key": "same"}
    )
    # Not a replay of admin-a's response: the request ran, and the content is unchanged -> 409.
    assert second.status_code == 409
    assert "idempotent-replayed" not in second.headers
