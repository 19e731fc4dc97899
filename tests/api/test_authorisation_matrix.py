"""The authorisation matrix (README, "Who sees what"), checked over every operation the app serves.

Every operation in the served OpenAPI document needs a row here: a new endpoint without one fails
``test_every_operation_has_a_rule``. A row names who is let through (``ok``: any answer but
401/403/404), who is told the record does not exist (``hidden``: 404; for lists, 200 without it),
who is refused by role (``refused``: 403, or 401 for the anonymous caller), and whether a staff
read lands in the enterprise's data-access log (``logged``). The world: two enterprises, two units,
one record of each kind held by unit U1 for enterprise E1, and a quality-review round whose one
drawn file is U1's (tests/api/authorisation_world.py).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.authorisation_review_rules import REVIEW_RULES
from tests.api.authorisation_rules import RULES as CORE_RULES
from tests.api.authorisation_rules import Rule
from tests.api.authorisation_world import E1, World, build_world, headers
from tests.conftest import TokenFactory

RULES = {**CORE_RULES, **REVIEW_RULES}


def _operations(document: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: TokenFactory) -> World:
    return await build_world(client, auth)


def _resolve(world: World, value: Any) -> Any:
    """A string naming a World field stands for that record's id."""
    return getattr(world, value) if isinstance(value, str) and value in World.__dataclass_fields__ else value


async def _call(
    client: httpx.AsyncClient, auth: TokenFactory, world: World, operation: str, rule: Rule, who: str
) -> httpx.Response:
    method, template = operation.split(" ", 1)
    values = world.params()
    body = {k: _resolve(world, v) for k, v in (rule.body or {}).items()}
    for name, value in rule.params.items():
        values[name] = _resolve(world, value)
    url = template.format(**values)
    kwargs: dict[str, Any] = {"headers": headers(auth, who)}
    if rule.files is not None:
        kwargs["files"] = rule.files
        kwargs["data"] = rule.data or {}
    elif method in ("POST", "PATCH", "PUT"):
        kwargs["json"] = body
    return await client.request(method, url, **kwargs)


def _ids(payload: Any, field_name: str) -> set[Any]:
    items = payload["items"] if isinstance(payload, dict) else payload
    key = "uscc" if field_name == "uscc" else "id"
    return {item[key] for item in items}


def _listed_value(world: World, field_name: str) -> Any:
    return E1 if field_name == "uscc" else getattr(world, field_name)


async def _newest_read(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any] | None:
    response = await client.get(
        f"/api/v1/enterprises/{E1}/data-access?limit=1", headers=headers(auth, "app1")
    )
    items = response.json()["items"]
    return items[0] if items else None


async def test_every_operation_has_a_rule(client: httpx.AsyncClient) -> None:
    served = _operations((await client.get("/docs/openapi.json")).json())
    assert served - RULES.keys() == set(), "operations without a row in the authorisation matrix"
    assert RULES.keys() - served == set(), "rows for operations the app does not serve"


async def test_outsiders_are_refused_or_told_nothing_exists(
    client: httpx.AsyncClient, auth: TokenFactory, world: World
) -> None:
    wrong: list[str] = []
    for operation, rules in RULES.items():
        for rule in rules:
            for who in rule.refused:
                status = (await _call(client, auth, world, operation, rule, who)).status_code
                if status != (401 if who == "anonymous" else 403):
                    wrong.append(f"{operation} as {who}: {status}, expected a refusal")
            for who in rule.hidden:
                response = await _call(client, auth, world, operation, rule, who)
                if rule.listed is not None and response.status_code == 200:
                    if _listed_value(world, rule.listed) in _ids(response.json(), rule.listed):
                        wrong.append(f"{operation} as {who}: lists the other unit's record")
                elif response.status_code != 404:
                    wrong.append(f"{operation} as {who}: {response.status_code}, expected 404")
    assert not wrong, "\n".join(wrong)


async def test_insiders_are_let_through_and_staff_reads_are_logged(
    client: httpx.AsyncClient, auth: TokenFactory, world: World
) -> None:
    wrong: list[str] = []
    # reads first, then writes (which may change what later rows find), deletions last
    order = sorted(
        RULES.items(), key=lambda kv: ("GET", "POST", "PUT", "PATCH", "DELETE").index(kv[0].split()[0])
    )
    for operation, rules in order:
        for rule in rules:
            for who in rule.ok:
                before = await _newest_read(client, auth) if rule.logged else None
                response = await _call(client, auth, world, operation, rule, who)
                if response.status_code in (401, 403, 404):
                    wrong.append(f"{operation} as {who}: {response.status_code} {response.text[:120]}")
                    continue
                listed = rule.listed
                if listed is not None and _listed_value(world, listed) not in _ids(response.json(), listed):
                    wrong.append(f"{operation} as {who}: the own unit's record is not listed")
                if rule.logged and who not in ("app1", "admin"):
                    after = await _newest_read(client, auth)
                    if after is None or after == before or after["actorSub"] != headers_sub(who):
                        wrong.append(f"{operation} as {who}: not in the enterprise's data-access log")
    assert not wrong, "\n".join(wrong)


def headers_sub(who: str) -> str:
    from tests.api.authorisation_world import ACTORS

    return str(ACTORS[who]["sub"])
