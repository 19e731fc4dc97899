"""Migration 0009 fills the assessment facts and counts for applications that existed before it."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.db.migrations import downgrade, upgrade
from govservice.domain.clock import ManualClock
from tests.api.assessment_scenario import build
from tests.api.test_assessment import PERIOD, _all, _get
from tests.conftest import TokenFactory


async def test_the_upgrade_recomputes_every_fact_and_count_the_steps_wrote(
    app: Any, client: httpx.AsyncClient, clock: ManualClock, auth: TokenFactory, engine: AsyncEngine
) -> None:
    await build(app, client, clock, auth)
    assessor = auth("assessor", sub="assessor-1", ttl=90 * 86400)
    before = (
        await _get(client, "/indicators", assessor, groupBy="unit", **PERIOD),
        await _all(client, "/applications", assessor, **PERIOD),
    )
    while await app.state.services.audit.seal():  # 0012's downgrade holds only a trail sealed in id order
        pass
    await downgrade(engine, "0008")  # the facts, the counts and the ratings' copies are gone
    await upgrade(engine)  # and computed again from the cases, events, timers and notices
    after = (
        await _get(client, "/indicators", assessor, groupBy="unit", **PERIOD),
        await _all(client, "/applications", assessor, **PERIOD),
    )
    assert after == before
