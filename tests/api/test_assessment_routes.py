"""An assessor reaches the assessment API and public pages only: every other route of the app,
found by walking the app's routes (so a route added later is covered without editing this file),
answers an assessor's token with 403."""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar.routes import HTTPRoute

from tests.api.apps_helpers import ENT_A
from tests.conftest import TokenFactory

# Routes anyone may call without a token: the catalogue, licence verification, the public board,
# the waiver rules, the key-enterprise package, health, keys, metrics, the docs and the public HTML
# pages. A new public
# route must be added here.
PUBLIC = {
    ("GET", "/api/v1/matters"),
    ("GET", "/api/v1/matters/{code:str}"),
    ("GET", "/api/v1/matters/{code:str}/versions"),
    ("GET", "/api/v1/matters/{code:str}/versions/{version:int}"),
    ("GET", "/api/v1/licences/{number:str}"),
    ("GET", "/api/v1/licences/{number:str}/qr.svg"),
    ("GET", "/api/v1/public/board"),
    ("GET", "/api/v1/waiver-rules"),
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
    ("GET", "/metrics"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/api/v1/key-enterprises/package"),
    # the public HTML pages and their assets (govservice/api/web)
    ("GET", "/verify"),
    ("GET", "/verify/{number:str}"),
    ("GET", "/board"),
    ("GET", "/board/figures.csv"),
    ("GET", "/guide"),
    ("GET", "/guide/{code:str}"),
    ("GET", "/static/{file_path:path}"),
}
PUBLIC_PREFIXES = ("/docs",)
ASSESSMENT = "/api/v1/assessment/"


def _routes(app: Any) -> list[tuple[str, str, bool]]:
    """(method, path template, public) for every HTTP route handler of the app."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                if method in {"HEAD", "OPTIONS"}:
                    continue
                found.append((method, route.path, not handler.resolve_security()))
    return found


def _concrete(path: str) -> str:
    """Fill the path parameters: ints with 1, USCCs with a real one, other text with a code."""
    path = re.sub(r"\{uscc:str\}", ENT_A, path)
    path = re.sub(r"\{[a-z_]+:int\}", "1", path)
    return re.sub(r"\{[a-z_]+:(str|path)\}", "FR-PGP-OPENING", path)


async def test_an_assessor_gets_403_on_every_route_outside_assessment_and_public_pages(
    app: Any, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    assessor = auth("assessor", sub="assessor-1")
    routes = _routes(app)
    unsecured = {(m, p) for m, p, public in routes if public and not p.startswith(PUBLIC_PREFIXES)}
    assert unsecured == PUBLIC, "a route without a token requirement is public: list it in PUBLIC on purpose"
    checked = []
    for method, path, public in routes:
        if public or path.startswith(ASSESSMENT):
            continue
        response = await client.request(
            method, _concrete(path), headers=assessor, json={} if method in {"POST", "PUT", "PATCH"} else None
        )
        assert response.status_code == 403, (method, path, response.status_code, response.text[:200])
        assert response.headers["content-type"].startswith("application/problem+json")
        checked.append(path)
    # The enterprise-data routes are among them (so the walk really found the app's routes).
    assert {
        "/api/v1/applications/{application_id:int}",
        "/api/v1/enterprises/{uscc:str}",
        "/api/v1/violations",
        "/api/v1/inspections/{inspection_id:int}/evidence/{evidence_id:int}",
    } <= set(checked)


async def test_an_assessor_still_reads_public_pages_and_assessment_routes(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    assessor = auth("assessor", sub="assessor-1")
    assert (await client.get("/api/v1/matters/FR-PGP-OPENING", headers=assessor)).status_code == 200
    assert (await client.get("/api/v1/public/board", headers=assessor)).status_code == 200
    assert (await client.get("/api/v1/assessment/audit/verify", headers=assessor)).status_code == 200
    assert (await client.get("/api/v1/assessment/indicators", headers=assessor)).status_code == 200
    # Another role beside `assessor` is judged by that role's rules, not confined.
    both = auth("assessor", "applicant", sub="user-a", ent=ENT_A)
    assert (await client.get("/api/v1/applications", headers=both)).status_code == 200
