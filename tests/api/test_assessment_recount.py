"""`govservice recount`: the running counts behind the indicators can be recomputed from the facts."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

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
