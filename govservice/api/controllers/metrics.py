"""Prometheus metrics: request counts and latencies (Litestar's middleware) and the timer backlog."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest

from govservice.api.problems import problems
from govservice.services.engine import EngineService

PROMETHEUS = PrometheusConfig(
    app_name="govservice", prefix="govservice", group_path=True, exclude=["/metrics", "/health", "/docs"]
)

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


class MetricsController(Controller):
    path = "/metrics"
    tags = ["system"]

    @get(
        "/",
        operation_id="getMetrics",
        summary="Prometheus metrics: requests, latencies, timer backlog",
        description="Text exposition format. `govservice_timers_overdue` above zero for long means no worker "
        "is firing deadlines; `govservice_calendar_official_days_left` below 60 means next year's calendar "
        "file should be installed.",
        responses={
            200: ResponseSpec(
                data_container=str,
                media_type=CONTENT_TYPE_LATEST,
                description="Prometheus text format",
                generate_examples=False,
            ),
            **problems(400),
        },
    )
    async def metrics(self, engine_service: NamedDependency[EngineService]) -> Response[bytes]:
        backlog = await engine_service.timer_backlog()
        _PENDING.set(backlog.pending)
        _OVERDUE.set(backlog.overdue)
        _LAG.set(backlog.oldest_overdue_seconds)
        _CALENDAR_LEFT.set(engine_service.calendar.official_days_left(engine_service.today()))
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
