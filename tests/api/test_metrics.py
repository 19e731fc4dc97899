"""/metrics: what an operator's Prometheus scrapes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from govservice.domain.clock import ManualClock
from tests.api.apps_helpers import ENT_A, act, create, run_timers, upload_all
from tests.conftest import TokenFactory


def _value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in the metrics")


async def test_metrics_count_requests_and_show_a_stalled_timer_backlog(
    app: Any,
    client: httpx.AsyncClient,
    clock: ManualClock,
    auth: TokenFactory,
) -> None:
    assert (await client.get("/api/v1/matters")).status_code == 200
    applicant = auth("applicant", ent=ENT_A)
    application = await create(client, applicant)
    await upload_all(client, applicant, application)
    await act(client, applicant, application["id"], "file")  # arms the 5-working-day acceptance deadline

    metrics = await client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert 'path="/api/v1/matters"' in metrics.text and "govservice_requests_total" in metrics.text
    assert _value(metrics.text, "govservice_timers_pending") == 1
    assert _value(metrics.text, "govservice_timers_overdue") == 0

    clock.advance(timedelta(days=10))  # no worker ran: the deadline is overdue
    stalled = (await client.get("/metrics")).text
    assert _value(stalled, "govservice_timers_overdue") == 1
    assert _value(stalled, "govservice_timers_oldest_overdue_seconds") > 0
    await run_timers(app)
    assert _value((await client.get("/metrics")).text, "govservice_timers_overdue") == 0
