"""Pseudonymised case records: every field an indicator counts, nothing that names anyone.

No enterprise name or USCC (the enterprise is a pseudonym), no person (applicant, officer,
rater, caller), no comment, no file. Ids are the applications' and violation cases' own numbers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import Select, false, or_, select

from govservice.db.models import ApplicationRow, RatingRow, ViolationRow, WorkflowCaseRow, WorkOrderRow
from govservice.services.assessment.periods import Period
from govservice.services.assessment.pseudonyms import Pseudonyms
from govservice.services.assessment.tallies import Scope

A, R, W, V, C = ApplicationRow, RatingRow, WorkOrderRow, ViolationRow, WorkflowCaseRow
WorkOrderCase = C.__table__.alias("work_order_case")


class ApplicationRecord(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    enterprise: str  # pseudonym, stable for the calling assessor
    matter_code: str
    matter_version: int
    unit: str
    route: str
    channel: str
    priority: bool  # key enterprise (green channel)
    outcome: str | None
    statutory_limit: int
    promised_limit: int
    decision_limit: int | None
    accepted_on: date | None
    decided_on: date | None
    decision_working_days: int | None
    concluded_at: datetime | None
    concluded_on: date | None  # concludedAt's local date
    visits: int
    materials: int | None  # materials uploaded, counted at conclusion
    tolerant_due_on: date | None
    supplemented_on: date | None
    post_check_due_on: date | None
    post_checked_on: date | None
    rating_stars: int | None
    rating_excluded: bool
    rating_window_ends_at: datetime | None
    work_order_opened_at: datetime | None
    work_order_opened_on: date | None
    work_order_outcome: str | None


class ViolationRecord(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    enterprise: str
    violation_type: str
    department_unit: str | None
    eligible: bool | None
    corrected: bool | None
    decision: str | None  # no_penalty | penalty | time_barred
    decided_on: date | None
    fine_yuan: int | None
    fine_spared_yuan: int | None


def application_query(period: Period, scope: Scope, after_id: int, limit: int) -> Select[Any]:
    """Applications that any indicator of the period counts, in id order."""
    in_period = or_(
        period.holds_instant(A.concluded_at),
        period.holds_day(A.decided_on),
        period.holds_day(A.accepted_on),
        period.holds_day(A.tolerant_due_on),
        A.id.in_(select(W.application_id).where(period.holds_instant(W.opened_at))),
    )
    query = (
        select(A, C.outcome, R.stars, R.excluded, W.opened_at, WorkOrderCase.c.outcome)
        .join(C, C.id == A.case_id)
        .outerjoin(R, R.application_id == A.id)
        .outerjoin(W, W.rating_id == R.id)
        .outerjoin(WorkOrderCase, WorkOrderCase.c.id == W.case_id)
        .where(in_period, A.id > after_id)
        .order_by(A.id)
        .limit(limit)
    )
    return scope.where(query, A.unit, A.matter_code)


def application_record(
    row: Any, pseudonym: Pseudonyms, zone: ZoneInfo, window: timedelta
) -> ApplicationRecord:
    app, outcome, stars, excluded, opened_at, order_outcome = row
    concluded = app.concluded_at
    return ApplicationRecord(
        id=app.id,
        enterprise=pseudonym(app.enterprise_uscc),
        matter_code=app.matter_code,
        matter_version=app.matter_version,
        unit=app.unit,
        route=app.route,
        channel=app.channel,
        priority=app.priority,
        outcome=outcome,
        statutory_limit=app.statutory_limit,
        promised_limit=app.promised_limit,
        decision_limit=app.decision_limit,
        accepted_on=app.accepted_on,
        decided_on=app.decided_on,
        decision_working_days=app.decision_working_days,
        concluded_at=concluded,
        concluded_on=concluded.astimezone(zone).date() if concluded else None,
        visits=app.visits,
        materials=app.materials_count,
        tolerant_due_on=app.tolerant_due_on,
        supplemented_on=app.supplemented_on,
        post_check_due_on=app.post_check_due_on,
        post_checked_on=app.post_checked_on,
        rating_stars=stars,
        rating_excluded=bool(excluded),
        rating_window_ends_at=concluded + window if concluded else None,
        work_order_opened_at=opened_at,
        work_order_opened_on=opened_at.astimezone(zone).date() if opened_at else None,
        work_order_outcome=order_outcome,
    )


def violation_query(period: Period, scope: Scope, after_id: int, limit: int) -> Select[Any]:
    """Violation cases decided in the period, in id order (a matter filter leaves none)."""
    query = select(V).where(period.holds_day(V.decided_on), V.id > after_id).order_by(V.id).limit(limit)
    if scope.matter:
        query = query.where(false())  # violations belong to no matter
    return Scope(unit=scope.unit).where(query, V.department_unit, None)


def violation_record(row: Any, pseudonym: Pseudonyms) -> ViolationRecord:
    (row,) = row  # a result row holding one ViolationRow
    return ViolationRecord(
        id=row.id,
        enterprise=pseudonym(row.uscc),
        violation_type=row.violation_type,
        department_unit=row.department_unit,
        eligible=row.eligible,
        corrected=row.corrected,
        decision=row.decision,
        decided_on=row.decided_on,
        fine_yuan=row.fine_yuan,
        fine_spared_yuan=row.fine_spared_yuan,
    )
