"""Every limit of an application as the applicant and the queues see it: the last day as a local date
(the department's zone) beside the UTC instant it has passed (the local midnight after), and
whether the open application is overdue on any of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from govservice.db.models import ApplicationRow, WorkflowCaseRow
from govservice.domain.calendar import ClockStatus, WorkingCalendar
from govservice.services.applications.views import InspectionView
from govservice.services.engine import CaseView, ClockView
from govservice.workflow import Process

DEEMED_ACCEPTANCE = "deem_accepted"  # the action an acceptance review's deadline fires (art. 32)
ASSIGNED = "assigned"  # what the applicant sees of the inspector: that one is assigned


def due_fields(
    app: ApplicationRow,
    case: CaseView,
    clock: ClockView,
    process: Process,
    calendar: WorkingCalendar,
    *,
    today: date,
    promised_due: date | None,
    due_at: Callable[[date], datetime],
    staff_view: bool,
) -> dict[str, Any]:
    """The ``…DueOn``/``…DueAt`` pairs of an application view, its inspection and ``overdue``.
    The applicant sees that an inspector is assigned, not who (as the timeline shows roles only)."""

    def at(day: date | None) -> datetime | None:
        return due_at(day) if day is not None else None

    open_ = case.outcome is None
    acceptance_due = _acceptance_due(app, case, process, calendar) if open_ else None
    inspection = _inspection(app, open_, today, at, staff_view)
    post_check_late = app.post_check_due_on is not None and app.post_checked_on is None
    late = open_ and (
        (clock.due_on is not None and clock.status is ClockStatus.RUNNING and clock.due_on < today)
        or (acceptance_due is not None and acceptance_due < today)
        or (post_check_late and app.post_check_due_on is not None and app.post_check_due_on < today)
        or (inspection is not None and (inspection.overdue or inspection.decision_overdue))
    )
    return {
        "promised_due_at": at(promised_due),
        "supplement_due_at": at(app.supplement_due_on),
        "acceptance_due_on": acceptance_due,
        "acceptance_due_at": at(acceptance_due),
        "post_check_due_on": app.post_check_due_on,
        "post_check_due_at": at(app.post_check_due_on),
        "inspection": inspection,
        "overdue": late,
    }


def _acceptance_due(
    app: ApplicationRow, case: CaseView, process: Process, calendar: WorkingCalendar
) -> date | None:
    state = process.states.get(case.state)
    deadline = state.deadline if state is not None else None
    if deadline is None or deadline.fire != DEEMED_ACCEPTANCE or deadline.working_days is None:
        return None
    if app.arrived_on is None:
        return None
    return calendar.add_working_days(app.arrived_on, deadline.working_days)


def _inspection(
    app: ApplicationRow,
    open_: bool,
    today: date,
    at: Callable[[date | None], datetime | None],
    staff_view: bool,
) -> InspectionView | None:
    if app.inspection_due_on is None:
        return None
    return InspectionView(
        inspector=app.inspector_sub if staff_view or app.inspector_sub is None else ASSIGNED,
        due_on=app.inspection_due_on,
        due_at=at(app.inspection_due_on),
        inspected_on=app.inspected_on,
        result=app.inspection_result,
        findings=app.inspection_findings,
        overdue=open_ and app.inspected_on is None and app.inspection_due_on < today,
        decision_due_on=app.decision_due_on,
        decision_due_at=at(app.decision_due_on),
        decision_overdue=open_
        and app.decided_on is None
        and app.decision_due_on is not None
        and app.decision_due_on < today,
    )


def overdue_clause(today: date) -> ColumnElement[bool]:
    """The queue filter ``overdue=true``: open, and the clock, the inspection, the decision after
    it or the post-check is past its last day."""
    a, c = ApplicationRow, WorkflowCaseRow
    return and_(
        c.outcome.is_(None),
        or_(
            c.due_on < today,
            and_(a.inspected_on.is_(None), a.inspection_due_on < today),
            and_(a.decided_on.is_(None), a.decision_due_on < today),
            and_(a.post_checked_on.is_(None), a.post_check_due_on < today),
        ),
    )
