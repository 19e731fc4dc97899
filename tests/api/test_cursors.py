"""Crafted cursors: every cursor-paged list answers 400 ``invalid_cursor`` naming ``cursor``, never
a 500 (superscript and full-width digits, signs, 40-digit ids, foreign formats, NUL, base64 junk,
and each list's own base64 format wrapped around such values)."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.api.apps_helpers import ENT_A, create
from tests.api.test_enforcement import _inspect
from tests.conftest import TokenFactory

UNIT = "CD-JJ"


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


HOSTILE_VALUES = ["²", "¹²", "１２", "-1", "+1", "0", "007", "9" * 40, str(2**63), " 1", "1 ", "1\x00", "1_0"]
# The prefixes the lists' base64 cursors use; each list refuses the others' and these wrapped values.
PREFIXES = ["in", "vc", "aa", "av", "a", "w", "d", "rq", "ke:"]

HOSTILE = sorted(
    {
        *HOSTILE_VALUES,
        "a.b",
        "",
        "\x00",
        "%00",
        "1.²",
        "1.-1",
        "2.5",
        "1." + "9" * 40,
        "１.1",
        "!!!!",
        "bm90IGEgY3Vyc29y",  # "not a cursor"
        "aW4x====",  # padded
        "aW4x\n",
        "a" * 64,
        *(_b64(prefix + value) for prefix in PREFIXES for value in HOSTILE_VALUES),
        _b64("ke:91350100m000100y43"),  # a USCC in lower case
        _b64("ke:" + "Z" * 65),
        _b64("\xff\xfe"),
    }
)
# Matter codes are cursors of the catalogue as they are (`a.b` or 40 nines could be codes).
MATTER_HOSTILE = [c for c in HOSTILE if c and not (c.isascii() and c[:1].isalnum() and "%" not in c)]

LISTS = [
    "/api/v1/applications",
    "/api/v1/inspections",
    "/api/v1/violations",
    "/api/v1/key-enterprises",
    f"/api/v1/key-enterprises/{ENT_A}/requests",
    "/api/v1/enterprise-requests",
    "/api/v1/assessment/applications",
    "/api/v1/assessment/violations",
    "/api/v1/webhooks",
    "/api/v1/webhooks/1/deliveries",
    "/api/v1/work-orders",
    f"/api/v1/enterprises/{ENT_A}/data-access",
]


def _assert_invalid_cursor(response: httpx.Response, url: str, cursor: str) -> None:
    assert response.status_code == 400, (url, cursor, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    # Past the lists' 64-character bound the parameter itself fails validation.
    assert problem["code"] == ("validation_failed" if len(cursor) > 64 else "invalid_cursor"), (url, cursor)
    assert [e["field"] for e in problem["errors"]] == ["cursor"], problem


@pytest.mark.parametrize("url", LISTS)
async def test_hostile_cursors_are_400_on_every_list(
    client: httpx.AsyncClient, auth: TokenFactory, url: str
) -> None:
    admin = auth("admin", unit=UNIT)
    # The list itself works for this caller: what follows is about the cursor only.
    assert (await client.get(url, headers=admin)).status_code in (200, 404)
    for cursor in HOSTILE:
        response = await client.get(url, params={"cursor": cursor}, headers=admin)
        _assert_invalid_cursor(response, url, cursor)


async def test_hostile_cursors_are_400_on_the_catalogue(client: httpx.AsyncClient) -> None:
    assert MATTER_HOSTILE
    for cursor in MATTER_HOSTILE:
        _assert_invalid_cursor(
            await client.get("/api/v1/matters", params={"cursor": cursor}), "/api/v1/matters", cursor
        )
    # A code-shaped cursor is the catalogue's own format: the page after it.
    assert (await client.get("/api/v1/matters", params={"cursor": "a.b"})).status_code == 200


async def test_the_cursors_the_lists_give_out_still_page(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    first = (await client.get("/api/v1/matters", params={"limit": 2})).json()
    second = await client.get("/api/v1/matters", params={"limit": 2, "cursor": first["nextCursor"]})
    assert second.status_code == 200
    assert {m["code"] for m in first["items"]}.isdisjoint(m["code"] for m in second.json()["items"])

    applicant = auth("applicant", sub="user-a", ent=ENT_A)
    created = [(await create(client, applicant))["id"] for _ in range(3)]
    page = (await client.get("/api/v1/applications", params={"limit": 2}, headers=applicant)).json()
    assert page["nextCursor"] == f"0.{created[1]}"
    rest = await client.get("/api/v1/applications", params={"cursor": page["nextCursor"]}, headers=applicant)
    assert [a["id"] for a in rest.json()["items"]] == created[2:]

    inspector = auth("inspector", sub="insp-1", unit=UNIT)
    ids = [(await _inspect(client, inspector, uscc=ENT_A))["id"] for _ in range(3)]
    page = (await client.get("/api/v1/inspections", params={"limit": 2}, headers=inspector)).json()
    rest = await client.get("/api/v1/inspections", params={"cursor": page["nextCursor"]}, headers=inspector)
    assert rest.status_code == 200
    assert sorted(i["id"] for i in page["items"] + rest.json()["items"]) == ids
