"""`govservice recount`: the running counts behind the indicators can be recomputed from the facts."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.db.engine import make_sessionmaker
from govservice.db.models import ApplicationRow
from govservice.services.assessment import counts
from govservice.services.assessment.counts import recount
from tests.api.apps_helpers import APPROVAL, ENT_A
from tests.api.rating_helpers import approved
from tests.conftest import TokenFactory

URL = "/api/v1/assessment/indicators?from=2026-01-01&to=2026-12-31"


async def test_counts_drifted_by_a_repair_are_recomputed(
    app: Any, client: httpx.AsyncClient, engine: AsyncEngine, auth: TokenFactory
) -> None:
    staff = auth("clerk", unit=APPROVAL), auth("supervisor", unit=APPROVAL)
    for _ in range(2):
        await approved(client, auth("applicant", ent=ENT_A), *staff)
    assessor = auth("assessor", sub="assessor-1")
    before = (await client.get(URL, headers=assessor)).json()["indicators"]
    decided = next(i for i in before if i["code"] == "decisions_on_time_statutory")
    assert decided["denominator"] == 2

    async with engine.begin() as conn:  # a repair outside the steps leaves the counts wrong
        await conn.execute(text("UPDATE application_counts SET n = n + 5 WHERE milestone = 'decided'"))
    drifted = (await client.get(URL, headers=assessor)).json()["indicators"]
    assert next(i for i in drifted if i["code"] == "decisions_on_time_statutory")["denominator"] == 7

    assert await recount(engine) > 0
    assert (await client.get(URL, headers=assessor)).json()["indicators"] == before


async def test_counts_are_written_when_the_step_commits_and_not_when_it_fails(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine, write=True)
    app = ApplicationRow(unit=APPROVAL, matter_code="FR-PGP-OPENING")
    day = date(2026, 3, 2)
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            counts.add(session, counts.ACCEPTED, day, app, n=1)
            raise RuntimeError("an effect failed after counting")
    async with sessions() as session, session.begin():
        counts.add(session, counts.ACCEPTED, day, app, n=1)
        counts.add(session, counts.ACCEPTED, day, app, n=1, tolerant=1)  # the same row: one upsert
        counts.add(session, counts.DECIDED, day, app, n=1, same_day=1)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT milestone, n, tolerant, same_day FROM application_counts"))
        ).all()
    assert sorted(tuple(r) for r in rows) == [("accepted", 2, 1, 0), ("decided", 1, 0, 1)]
