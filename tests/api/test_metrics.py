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


async def test_the_text_format_names_one_charset_and_openmetrics_is_served_by_accept(
    client: httpx.AsyncClient,
) -> None:
    plain = await client.get("/metrics")
    assert plain.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    scraper = {
        "Accept": "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    }
    openmetrics = await client.get("/metrics", headers=scraper)
    assert openmetrics.status_code == 200
    media_type, *parameters = openmetrics.headers["content-type"].split(";")
    assert media_type == "application/openmetrics-text"
    assert [p.strip().split("=")[0] for p in parameters].count("charset") == 1
    assert openmetrics.text.rstrip().endswith("# EOF")
    assert "govservice_timers_overdue" in openmetrics.text


async def test_series_carry_no_placeholder_or_constant_labels_and_unknown_routes_share_one(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/v1/matters")).status_code == 200
    for probe in ("/wp-login.php", "/api/v1/no-such-thing/123", "/.env"):
        assert (await client.get(probe)).status_code == 404
    text = (await client.get("/metrics")).text
    assert "app_name" not in text
    in_progress = [line for line in text.splitlines() if line.startswith("govservice_requests_in_progress{")]
    assert in_progress and all("status_code" not in line for line in in_progress)
    assert "wp-login" not in text and ".env" not in text and "no-such-thing" not in text
    unmatched = next(
        line
        for line in text.splitlines()
        if line.startswith("govservice_requests_total{") and 'path="<unmatched>"' in line
    )
    assert 'method="GET"' in unmatched and 'status_code="404"' in unmatched
    assert float(unmatched.split()[-1]) >= 3
