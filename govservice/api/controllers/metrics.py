"""Prometheus metrics: requests and latencies per route (:mod:`govservice.api.observe`), the timer
backlog, the calendar horizon and the webhook backlog. The text format by default; OpenMetrics when
the scraper's ``Accept`` asks for ``application/openmetrics-text``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from prometheus_client import REGISTRY, Gauge
from prometheus_client.exposition import choose_encoder

from govservice.api.problems import problems
from govservice.services.engine import EngineService
from govservice.services.webhooks import WebhookService

_PENDING = Gauge("govservice_timers_pending", "Deadline timers armed and not yet fired or cancelled")
_OVERDUE = Gauge(
    "govservice_timers_overdue", "Pending timers past their due time (a worker should have fired them)"
)
_CALENDAR_LEFT = Gauge(
    "govservice_calendar_official_days_left",
    "Days until the last official working-day calendar year ends; below 60, install next "
    "year's calendar file (deadlines beyond it are provisional)",
)
_LAG = Gauge("govservice_timers_oldest_overdue_seconds", "How long the oldest overdue timer has waited")
_HOOKS_PENDING = Gauge(
    "govservice_webhook_deliveries_pending", "Webhook deliveries waiting to be sent (retries included)"
)
_HOOKS_FAILED = Gauge(
    "govservice_webhook_deliveries_failed", "Webhook deliveries given up on after every attempt"
)
_HOOKS_OLDEST = Gauge(
    "govservice_webhook_oldest_pending_seconds", "Age of the oldest webhook delivery still waiting to be sent"
)

TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_FORMAT = "application/openmetrics-text; version=1.0.0; charset=utf-8"


class MetricsController(Controller):
    path = "/metrics"
    tags = ["system"]

    @get(
        "/",
        operation_id="getMetrics",
        summary="Prometheus metrics: requests, latencies, timer and webhook backlogs",
        description="Prometheus text format, or OpenMetrics when `Accept` asks for "
        "`application/openmetrics-text`. `govservice_timers_overdue` above zero for long means no worker "
        "is firing deadlines; `govservice_calendar_official_days_left` below 60 means next year's calendar "
        "file should be installed; `govservice_webhook_oldest_pending_seconds` growing means deliveries "
        "are not leaving (no worker, or a receiver down).",
        responses={
            200: ResponseSpec(
                data_container=str,
                media_type=TEXT_FORMAT,
                description="Prometheus text format (or OpenMetrics, by `Accept`)",
                generate_examples=False,
            ),
            **problems(400),
        },
    )
    async def metrics(
        self,
        request: Request[Any, Any, Any],
        engine_service: NamedDependency[EngineService],
        webhooks: NamedDependency[WebhookService],
    ) -> Response[bytes]:
        backlog = await engine_service.timer_backlog()
        _PENDING.set(backlog.pending)
        _OVERDUE.set(backlog.overdue)
        _LAG.set(backlog.oldest_overdue_seconds)
        _CALENDAR_LEFT.set(engine_service.calendar.official_days_left(engine_service.today()))
        hooks = await webhooks.backlog()
        _HOOKS_PENDING.set(hooks.pending)
        _HOOKS_FAILED.set(hooks.failed)
        _HOOKS_OLDEST.set(hooks.oldest_pending_seconds)
        encode, media_type = choose_encoder(request.headers.get("accept", ""))
        # Set as a header, or Litestar appends a second "; charset=utf-8" to a text/* media type.
        return Response(encode(REGISTRY), media_type=media_type, headers={"content-type": media_type})
