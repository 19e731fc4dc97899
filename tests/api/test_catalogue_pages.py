"""The catalogue list is served from encoded pages while the catalogue is unchanged; a
publication shows at once, and the ETag lets clients revalidate for free."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.api.app import create_app
from govservice.auth import KeyStore
from govservice.config import PROJECT_ROOT, Settings
from govservice.domain.actor import Actor, Role
from govservice.domain.clock import ManualClock
from tests.conftest import TokenFactory


@pytest.fixture
async def cached_client(
    settings: Settings, engine: AsyncEngine, clock: ManualClock, keys: KeyStore
) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose catalogue cache is on, as in production (the shared fixture turns it off)."""
    app: Litestar = create_app(
        dataclasses.replace(settings, catalogue_cache_seconds=60), engine=engine, clock=clock, keys=keys
    )
    files = sorted((PROJECT_ROOT / "workflows" / "catalog").glob("*.yaml"))
    await app.state.services.catalogue.seed(files, Actor(sub="seed", roles=frozenset({Role.ADMIN})))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def test_a_publication_shows_in_the_list_at_once(
    cached_client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    first = await cached_client.get("/api/v1/matters")
    assert first.status_code == 200
    assert (await cached_client.get("/api/v1/matters")).content == first.content  # served from the page cache
    guide = next(m for m in first.json()["items"] if m["code"] == "FR-PGP-OPENING")
    for key in ("version", "publishedAt", "contentHash"):
        guide.pop(key)
    guide["promisedLimit"] = 2
    assert (await cached_client.post("/api/v1/matters", json=guide, headers=auth("admin"))).status_code == 201

    after = await cached_client.get("/api/v1/matters")
    changed = next(m for m in after.json()["items"] if m["code"] == "FR-PGP-OPENING")
    assert (changed["version"], changed["promisedLimit"]) == (2, 2)
    assert after.headers["etag"] != first.headers["etag"]


async def test_filters_are_cached_apart(cached_client: httpx.AsyncClient) -> None:
    everything = (await cached_client.get("/api/v1/matters")).json()["items"]
    cancelled = (await cached_client.get("/api/v1/matters?status=cancelled")).json()["items"]
    assert cancelled and all(m["status"] == "cancelled" for m in cancelled)
    assert len(cancelled) < len(everything)
    page = await cached_client.get("/api/v1/matters?limit=2")
    assert len(page.json()["items"]) == 2 and page.json()["nextCursor"] == page.json()["items"][1]["code"]


async def test_gzip_when_accepted_identity_otherwise(cached_client: httpx.AsyncClient) -> None:
    plain = await cached_client.get("/api/v1/matters", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    for accept in ("gzip", "br, gzip;q=0.8", "*"):
        zipped = await cached_client.get("/api/v1/matters", headers={"Accept-Encoding": accept})
        assert zipped.headers["content-encoding"] == "gzip"
        assert int(zipped.headers["content-length"]) < len(plain.content) / 3
        assert zipped.json() == plain.json()  # httpx decoded it
        assert zipped.headers["etag"] != plain.headers["etag"]  # one tag per representation
        assert "Accept-Encoding" in zipped.headers["vary"]
    refused = await cached_client.get("/api/v1/matters", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


async def test_etag_revalidation(cached_client: httpx.AsyncClient) -> None:
    for accept in ("identity", "gzip"):
        first = await cached_client.get("/api/v1/matters", headers={"Accept-Encoding": accept})
        etag = first.headers["etag"]
        for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            again = await cached_client.get(
                "/api/v1/matters", headers={"Accept-Encoding": accept, "If-None-Match": if_none_match}
            )
            assert again.status_code == 304 and again.content == b""
            assert again.headers["etag"] == etag
        stale = await cached_client.get(
            "/api/v1/matters", headers={"Accept-Encoding": accept, "If-None-Match": '"other"'}
        )
        assert stale.status_code == 200
