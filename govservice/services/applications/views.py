"""What the application service returns (msgspec Structs, camelCase on the wire)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from govservice.db.models import ApplicationRow
from govservice.domain.catalogue import MatterGuide, Route
from govservice.domain.materials import required_uploads
from govservice.services.applications.notice_views import Notice
from govservice.services.engine import CaseView, ClockView, TimerView
from govservice.services.engine_views import CalendarMark


class View(msgspec.Struct, kw_only=True, rename="camel"):
    pass


class MaterialStatus(View):
    code: str
    name: str
    kind: str
    present: bool
    outstanding: bool  # awaited as a 容缺 supplement


class InspectionView(View):
    """The standard route's on-site inspection: who, by when (10 WD from acceptance), what was
    found, and the decision's limit after it (3 WD). Each due date is the local date (the
    department's zone) with ``…At``, the UTC instant it has passed (the local midnight after)."""

    inspector: str | None  # staff see who; the applicant sees "assigned"
    due_on: date | None
    due_at: datetime | None
    inspected_on: date | None
    result: str | None
    findings: str | None
    overdue: bool
    decision_due_on: date | None
    decision_due_at: datetime | None
    decision_overdue: bool


class ApplicationView(CalendarMark, frozen=True, kw_only=True, rename="camel"):
    """``calendarStatus``: whether any of its dates (clock, promised and supplement due dates)
    rests on a provisional calendar year. Every ``…DueOn`` (a local date in the department's zone)
    has its ``…DueAt`` beside it: the UTC instant the limit has passed (the local midnight after).
    ``overdue``: open, and a limit it must keep has passed (the clock, the acceptance review, the
    inspection or the decision after it, the post-check)."""

    id: int
    version: int  # the ETag: send it back in If-Match
    matter_code: str
    matter_version: int
    matter_name: str
    route: Route
    channel: str
    enterprise_uscc: str
    enterprise_name: str
    unit: str
    priority: bool
    state: str
    outcome: str | None
    statutory_limit: int
    promised_limit: int
    arrived_on: date | None
    accepted_on: date | None
    decided_on: date | None
    concluded_at: datetime | None
    clock: ClockView
    promised_due_on: date | None
    promised_due_at: datetime | None
    supplement_due_on: date | None
    supplement_due_at: datetime | None
    acceptance_due_on: date | None  # the acceptance review's 5 WD (art. 32), while it runs
    acceptance_due_at: datetime | None
    post_check_due_on: date | None  # the commitment route's post-check (20 WD from the permit)
    post_check_due_at: datetime | None
    inspection: InspectionView | None  # routes with an on-site inspection
    overdue: bool
    commitment_signed: bool
    materials: list[MaterialStatus]
    visits: int
    visit_tag: str | None
    promise_broken: bool
    licence_number: str | None
    created_at: datetime


class MaterialView(View):
    id: int
    material_code: str
    sha256: str
    filename: str
    content_type: str
    size: int
    current: bool
    uploaded_at: datetime


class VisitView(View):
    id: int
    purpose: str
    at: datetime
    number: int
    promise_broken: bool | None = None  # when recording: this visit is more than the matter promises
    warning: str | None = None  # when recording a broken promise: what the clerk is told


def visit_warning(visits: int, max_visits: int) -> str | None:
    if visits <= max_visits:
        return None
    return (
        f"visit {visits} of an application whose matter promises at most {max_visits}: the one-visit "
        "promise (一次办) is broken and counted; say why in the purpose and serve the rest without a visit"
    )


class DeadlineChange(View):
    deadline: str  # "statutory", or the timer's key (e.g. "supplement", "deadline:post_check")
    from_: date = msgspec.field(name="from")
    to: date


class TimelineEvent(View):
    seq: int
    action: str
    from_state: str | None
    to_state: str
    at: datetime
    by_role: str
    by: str | None = None  # staff see who; the applicant sees the role
    comment: str | None = None
    deadline_changes: list[DeadlineChange] | None = None  # deadlines re-derived on an official calendar


class Timeline(View):
    application: ApplicationView
    events: list[TimelineEvent]
    notices: list[Notice]
    visits: list[VisitView]
    deadlines: list[TimerView]


def application_view(
    app: ApplicationRow,
    case: CaseView,
    clock: ClockView,
    guide: MatterGuide,
    present: set[str],
    outstanding: tuple[str, ...],
    licence: str | None,
    *,
    promised_due: date | None,
    mark: dict[str, Any],
    dues: dict[str, Any],
) -> ApplicationView:
    materials = [
        MaterialStatus(
            code=m.code,
            name=m.name,
            kind=m.kind.value,
            present=m.code in present,
            outstanding=m.code in outstanding,
        )
        for m in required_uploads(guide, Route(app.route))
    ]
    return ApplicationView(
        id=app.id,
        version=case.version,
        matter_code=app.matter_code,
        matter_version=app.matter_version,
        matter_name=guide.name,
        route=Route(app.route),
        channel=app.channel,
        enterprise_uscc=app.enterprise_uscc,
        enterprise_name=app.enterprise_name,
        unit=app.unit,
        priority=app.priority,
        state=case.state,
        outcome=case.outcome,
        statutory_limit=app.statutory_limit,
        promised_limit=app.promised_limit,
        arrived_on=app.arrived_on,
        accepted_on=app.accepted_on,
        decided_on=app.decided_on,
        concluded_at=app.concluded_at,
        clock=clock,
        promised_due_on=promised_due,
        supplement_due_on=app.supplement_due_on,
        commitment_signed=app.commitment_signed,
        materials=materials,
        visits=app.visits,
        visit_tag=app.visit_tag,
        promise_broken=app.promise_broken,
        licence_number=licence,
        created_at=app.created_at,
        **dues,
        **mark,
    )
