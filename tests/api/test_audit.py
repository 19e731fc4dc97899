"""The audit trail through the HTTP API: reads and changes are recorded at once and chained when
sealed, tampering is named, and an enterprise sees who read its data."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import APPROVAL, ENT_A, ENT_B, get, run_timers
from tests.api.rating_helpers import approved, filed
from tests.conftest import TokenFactory

LONG = 60 * 24 * 3600  # tokens outlive the clock the tests advance

VERIFY = "/api/v1/assessment/audit/verify"


@pytest.fixture
def applicant(auth: TokenFactory) -> dict[str, str]:
    return auth("applicant", sub="user-a", ent=ENT_A, ttl=LONG)


@pytest.fixture
def clerk(auth: TokenFactory) -> dict[str, str]:
    return auth("clerk", sub="clerk-1", unit=APPROVAL, ttl=LONG)


@pytest.fixture
def supervisor(auth: TokenFactory) -> dict[str, str]:
    return auth("supervisor", sub="head-1", unit=APPROVAL, ttl=LONG)


@pytest.fixture
def assessor(auth: TokenFactory) -> dict[str, str]:
    return auth("assessor", sub="assessor-1")


async def seal(app: Any) -> int:
    return await app.state.services.audit.seal()


async def test_entries_are_visible_at_once_and_chained_when_sealed(
    client: httpx.AsyncClient,
    app: Any,
    applicant: dict[str, str],
    clerk: dict[str, str],
    assessor: dict[str, str],
) -> None:
    filed_app = await filed(client, applicant)
    await get(client, clerk, filed_app["id"])
    unsealed = (await client.get(VERIFY, headers=assessor)).json()
    assert unsealed["intact"] is True and unsealed["entries"] == 0 and unsealed["unsealed"] >= 2
    assert unsealed["headHash"] is None
    page = (await client.get(f"/api/v1/enterprises/{ENT_A}/data-access", headers=applicant)).json()
    assert [i["action"] for i in page["items"]] == ["get_application"]  # listed before it is sealed

    assert await seal(app) == unsealed["unsealed"]
    assert await seal(app) == 0
    sealed = (await client.get(VERIFY, headers=assessor)).json()
    assert sealed["intact"] is True and sealed["entries"] == unsealed["unsealed"] and sealed["unsealed"] == 0
    assert sealed["headHash"] and len(sealed["headHash"]) == 64


async def test_tampering_with_one_entry_is_named_by_the_verification(
    client: httpx.AsyncClient,
    app: Any,
    engine: AsyncEngine,
    applicant: dict[str, str],
    clerk: dict[str, str],
    supervisor: dict[str, str],
    assessor: dict[str, str],
) -> None:
    application = await approved(client, applicant, clerk, supervisor)
    await get(client, clerk, application["id"])
    await seal(app)
    intact = (await client.get(VERIFY, headers=assessor)).json()
    assert intact["intact"] is True and intact["entries"] >= 6 and intact["firstBrokenId"] is None

    async with engine.begin() as conn:
        approval_id, approval_seq = (
            await conn.execute(text("SELECT id, seq FROM audit_entries WHERE action = 'approve'"))
        ).one()
        # Someone rewrites who decided: the row still looks plausible, its hash no longer matches.
        await conn.execute(
            text("UPDATE audit_entries SET actor_sub = 'someone-else' WHERE id = :id"), {"id": approval_id}
        )
    report = (await client.get(VERIFY, headers=assessor)).json()
    assert report["intact"] is False
    assert report["firstBrokenId"] == approval_id and report["firstBrokenSeq"] == approval_seq
    assert report["entries"] == approval_seq - 1
    assert report["problem"] == "its content does not match its hash"


async def test_deleting_an_entry_breaks_the_chain_there(
    client: httpx.AsyncClient,
    app: Any,
    engine: AsyncEngine,
    applicant: dict[str, str],
    clerk: dict[str, str],
    auth: TokenFactory,
) -> None:
    application = await filed(client, applicant)
    for _ in range(3):
        await get(client, clerk, application["id"])
    await seal(app)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
        after = (await conn.execute(text("SELECT id FROM audit_entries WHERE seq = 4"))).scalar_one()
    report = (await client.get(VERIFY, headers=auth("admin"))).json()
    assert report["intact"] is False and report["firstBrokenSeq"] == 3 and report["entries"] == 2
    assert report["firstBrokenId"] == after  # the entry whose predecessor is gone
    assert report["problem"] == "the entry at chain position 3 is missing"


async def test_only_assessors_and_admins_verify(
    client: httpx.AsyncClient, applicant: dict[str, str], clerk: dict[str, str]
) -> None:
    assert (await client.get(VERIFY)).status_code == 401
    assert (await client.get(VERIFY, headers=applicant)).status_code == 403
    assert (await client.get(VERIFY, headers=clerk)).status_code == 403


async def test_concurrent_requests_extend_one_chain(
    client: httpx.AsyncClient,
    app: Any,
    applicant: dict[str, str],
    clerk: dict[str, str],
    assessor: dict[str, str],
) -> None:
    application = await filed(client, applicant)
    await seal(app)
    before = (await client.get(VERIFY, headers=assessor)).json()["entries"]
    responses = await asyncio.gather(
        *(client.get(f"/api/v1/applications/{application['id']}", headers=clerk) for _ in range(12)),
        *(seal(app) for _ in range(3)),  # sealers running while the requests record
    )
    assert all(r.status_code == 200 for r in responses[:12])
    await seal(app)
    report = (await client.get(VERIFY, headers=assessor)).json()
    assert report["intact"] is True and report["entries"] == before + 12 and report["unsealed"] == 0


async def test_an_enterprise_lists_who_read_its_data(
    client: httpx.AsyncClient, auth: TokenFactory, applicant: dict[str, str], clerk: dict[str, str]
) -> None:
    app = await filed(client, applicant)
    await get(client, applicant, app["id"])  # its own reads are not listed
    await get(client, clerk, app["id"])
    assert (await client.get(f"/api/v1/applications/{app['id']}/timeline", headers=clerk)).status_code == 200
    assert (await client.get(f"/api/v1/applications/{app['id']}/materials", headers=clerk)).status_code == 200
    assert (await client.get("/api/v1/applications", headers=clerk)).json()["items"][0]["id"] == app["id"]

    url = f"/api/v1/enterprises/{ENT_A}/data-access"
    page = (await client.get(url, headers=applicant)).json()
    reads = [(i["actorSub"], i["actorRoles"], i["action"], i["subject"]) for i in page["items"]]
    subject = f"application:{app['id']}"
    assert reads[0] == ("clerk-1", ["clerk"], "list_applications", subject)  # a queue listing is a read too
    reads = reads[1:]
    assert reads == [
        ("clerk-1", ["clerk"], "list_materials", subject),
        ("clerk-1", ["clerk"], "get_timeline", subject),
        ("clerk-1", ["clerk"], "get_application", subject),
    ]
    assert all(i["at"].startswith("2026-03-02T02:00") and i["unit"] == APPROVAL for i in page["items"])

    first = (await client.get(url + "?limit=3", headers=applicant)).json()
    assert len(first["items"]) == 3 and first["nextCursor"]
    rest = (await client.get(url + f"?limit=3&cursor={first['nextCursor']}", headers=applicant)).json()
    assert [i["action"] for i in rest["items"]] == ["get_application"] and rest["nextCursor"] is None

    other = auth("applicant", sub="user-b", ent=ENT_B)
    assert (await client.get(url, headers=other)).status_code == 403
    assert (await client.get(url, headers=clerk)).status_code == 403
    assert (await client.get(url, headers=auth("admin"))).status_code == 200
    assert (await client.get(f"/api/v1/enterprises/{ENT_B}/data-access", headers=other)).json()["items"] == []


async def test_steps_a_timer_took_are_recorded_once(
    client: httpx.AsyncClient,
    app: Any,
    clock: ManualClock,
    engine: AsyncEngine,
    applicant: dict[str, str],
    assessor: dict[str, str],
) -> None:
    filed_app = await filed(client, applicant)
    other_app = await filed(client, applicant)
    clock.advance(timedelta(days=8))  # past the 5 working days for the acceptance review
    await run_timers(app)
    audit = app.state.services.audit
    # Each step's entry was written in the step's own transaction: a catch-up run by two workers at
    # once finds nothing left to record, and records nothing twice.
    assert sum(await asyncio.gather(audit.record_timer_steps(), audit.record_timer_steps())) == 0
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT action, actor_sub, subject, enterprise_uscc FROM audit_entries"
                    " WHERE source IS NOT NULL ORDER BY id"
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("deem_accepted", "system:timer", f"application:{filed_app['id']}", ENT_A),
        ("deem_accepted", "system:timer", f"application:{other_app['id']}", ENT_A),
    ]
    await audit.seal()
    report = await client.get(VERIFY, headers=assessor)
    assert report.status_code == 200, report.text
    assert report.json()["intact"] is True and report.json()["unsealed"] == 0


async def test_a_staff_read_of_an_enterprise_standing_is_in_its_data_access_log(
    client: httpx.AsyncClient, applicant: dict[str, str], auth: TokenFactory
) -> None:
    await filed(client, applicant)  # the enterprise is known
    clerk = auth("clerk", sub="clerk-7", unit=APPROVAL)
    assert (await client.get(f"/api/v1/enterprises/{ENT_A}", headers=clerk)).status_code == 200
    assert (await client.get(f"/api/v1/enterprises/{ENT_A}", headers=applicant)).status_code == 200
    log = (await client.get(f"/api/v1/enterprises/{ENT_A}/data-access", headers=applicant)).json()["items"]
    standing = [item for item in log if item["action"] == "get_enterprise"]
    assert [(i["actorSub"], i["subject"]) for i in standing] == [("clerk-7", f"enterprise:{ENT_A}")]
