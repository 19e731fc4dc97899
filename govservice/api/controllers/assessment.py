"""The third-party assessor's API (read-only): indicators, pseudonymised records, event logs.

An actor whose only role is ``assessor`` may use this API and what is public, nothing else:
:func:`govservice.api.security.confine_assessors` is an app-wide guard, so a route added later
is closed to assessors unless it is public or lives under ``/api/v1/assessment/``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import QueryParameter
from litestar.response import Stream

from govservice.api.problems import problems
from govservice.api.schemas import Page
from govservice.api.security import ASSESSMENT_PATH, SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.services.assessment import (
    ApplicationRecord,
    AssessmentService,
    Filters,
    IndicatorSet,
    OcelLog,
    ViolationRecord,
)
from govservice.services.assessment.event_log import CSV_COLUMNS, CSV_MEDIA_TYPE
from govservice.services.assessment.event_log import MAX_DAYS as EVENT_LOG_DAYS
from govservice.services.assessment.periods import PERIOD_FROM, PERIOD_TO

Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Cursor = Annotated[str | None, QueryParameter(max_length=64)]


def filters(
    period_from: Annotated[
        date | None,
        QueryParameter(
            name="from", description=f"{PERIOD_FROM}; for the event log at most {EVENT_LOG_DAYS} days"
        ),
    ] = None,
    period_to: Annotated[date | None, QueryParameter(name="to", description=PERIOD_TO)] = None,
    unit: Annotated[str | None, QueryParameter(max_length=64, description="a unit code")] = None,
    matter: Annotated[str | None, QueryParameter(max_length=64, description="a matter code")] = None,
) -> Filters:
    """The query parameters every assessment operation takes."""
    return Filters(start=period_from, end=period_to, unit=unit, matter=matter)


class GroupBy(enum.StrEnum):
    UNIT = "unit"
    MATTER = "matter"


class LogFormat(enum.StrEnum):
    OCEL = "ocel"
    CSV = "csv"


@dataclass
class _EventLogOperation(Operation):
    """The event log's 200 answers JSON (OCEL 2.0) or CSV, as ``format`` asks."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        content = getattr(ok, "content", None)
        if content is not None:
            content[CSV_MEDIA_TYPE] = OpenAPIMediaType(
                schema=Schema(
                    type=OpenAPIType.STRING, description="one row per step: " + ", ".join(CSV_COLUMNS)
                )
            )


class AssessmentController(Controller):
    path = ASSESSMENT_PATH
    tags = ["assessment"]
    security = SECURED
    guards = [requires(Role.ASSESSOR, Role.ADMIN)]
    dependencies = {"filters": Provide(filters, sync_to_thread=False)}

    @get(
        "/indicators",
        operation_id="getAssessmentIndicators",
        summary="Every business-environment indicator for a period: numerator, denominator, definition",
        description="Read-only, for assessors (and admins). `from`/`to` are local dates, both included "
        "(default: this year so far; at most 1098 days). `unit` and `matter` filter; `groupBy=unit|matter` "
        "adds the same indicators per unit or matter in `groups` (the top-level `indicators` stay the "
        "total). "
        "Each `definition` says how the figure is counted and which date puts a record in the period; "
        "the same figures can be recomputed from `/assessment/applications`, `/assessment/violations` and "
        "the public catalogue. Violation indicators are null under a matter filter or grouping.",
        responses=problems(400, 401, 403),
    )
    async def indicators(
        self,
        assessment: NamedDependency[AssessmentService],
        filters: NamedDependency[Filters],
        group_by: Annotated[GroupBy | None, QueryParameter(name="groupBy")] = None,
    ) -> IndicatorSet:
        return await assessment.indicators(filters, group_by=group_by.value if group_by else None)

    @get(
        "/applications",
        operation_id="listAssessmentApplications",
        summary="Pseudonymised application records: every field the indicators count, nobody named",
        description="The applications any indicator of the period counts (concluded, decided, accepted, with "
        "a supplement deadline, or with a work order opened in it), in id order; the period as for the "
        "indicators. `enterprise` is a pseudonym (HMAC-SHA256 of the USCC under a server secret and the "
        "caller's `sub`): stable for one assessor, different for another. No names, USCCs, people, comments "
        "or files.",
        responses=problems(400, 401, 403),
    )
    async def applications(
        self,
        request: Request[Any, Any, Any],
        assessment: NamedDependency[AssessmentService],
        filters: NamedDependency[Filters],
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> Page[ApplicationRecord]:
        items, next_cursor = await assessment.applications(
            current_actor(request), filters, limit=limit, cursor=cursor
        )
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/violations",
        operation_id="listAssessmentViolations",
        summary="Pseudonymised violation cases decided in the period (for the waiver indicators)",
        description="Violation cases by `decidedOn`, in id order; the period as for the indicators; `unit` "
        "is the inspecting unit. Violations belong to no matter: a `matter` filter leaves none. Enterprises "
        "as in `/assessment/applications`.",
        responses=problems(400, 401, 403),
    )
    async def violations(
        self,
        request: Request[Any, Any, Any],
        assessment: NamedDependency[AssessmentService],
        filters: NamedDependency[Filters],
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> Page[ViolationRecord]:
        items, next_cursor = await assessment.violations(
            current_actor(request), filters, limit=limit, cursor=cursor
        )
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/event-log",
        operation_id="getAssessmentEventLog",
        summary="Event log of the applications created in a period, for process mining: OCEL 2.0 JSON or CSV",
        description="`format=ocel` (default): OCEL 2.0 JSON with object types `application` and `enterprise` "
        "(a pseudonym), one event type per action, each event related to its application and enterprise. "
        "`format=csv`: one row per step with the columns " + ", ".join(CSV_COLUMNS) + ". Every step of "
        "each application created in the period (local dates; default: the last 31 days; at most 31 days), "
        "so cases are whole. Steps name the role that took them (`system` for timers), never the person. "
        "Streamed. `/assessment/event-log.csv` is the CSV on its own, for clients that want one media type.",
        operation_class=_EventLogOperation,
        responses={
            200: ResponseSpec(
                data_container=OcelLog,
                media_type="application/json",
                description="the event log",
                generate_examples=False,
            ),
            **problems(400, 401, 403),
        },
    )
    async def event_log(
        self,
        request: Request[Any, Any, Any],
        assessment: NamedDependency[AssessmentService],
        filters: NamedDependency[Filters],
        log_format: Annotated[LogFormat, QueryParameter(name="format")] = LogFormat.OCEL,
    ) -> Stream:
        media_type, body = await assessment.event_log(current_actor(request), filters, fmt=log_format.value)
        return Stream(body, media_type=media_type)

    @get(
        "/event-log.csv",
        operation_id="getAssessmentEventLogCsv",
        summary="Event log of the applications created in a period, as CSV (one row per step)",
        description="The same steps as `/assessment/event-log` (the period as there), one row each with "
        "the columns " + ", ".join(CSV_COLUMNS) + ". Streamed.",
        media_type=CSV_MEDIA_TYPE,
        responses={
            200: ResponseSpec(
                data_container=str,
                media_type=CSV_MEDIA_TYPE,
                description="the event log, a header row first",
                generate_examples=False,
            ),
            **problems(400, 401, 403),
        },
    )
    async def event_log_csv(
        self,
        request: Request[Any, Any, Any],
        assessment: NamedDependency[AssessmentService],
        filters: NamedDependency[Filters],
    ) -> Stream:
        media_type, body = await assessment.event_log(
            current_actor(request), filters, fmt=LogFormat.CSV.value
        )
        return Stream(body, media_type=media_type)
