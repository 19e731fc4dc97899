"""What the rating and work-order services return."""

from __future__ import annotations

import enum
from datetime import date, datetime

import msgspec

from govservice.services.engine import ClockView


class View(msgspec.Struct, kw_only=True, rename="camel"):
    pass


class RatingStatus(enum.StrEnum):
    RATED = "rated"  # the applicant rated
    OPEN = "open"  # concluded, the rating window is still open
    DEFAULTED = "defaulted"  # the window passed without a rating: counts as the default
    NOT_CONCLUDED = "not_concluded"  # nothing to rate yet


class RatingView(View):
    application_id: int
    status: RatingStatus
    stars: int | None  # the given rating, or the default once the window has passed
    comment: str | None = None
    rated_at: datetime | None = None
    window_closes_at: datetime | None = None
    bad_review: bool = False
    excluded: bool = False  # an upheld appeal took it out of the satisfaction rate
    fix_stars: int | None = None  # the rater's rating of the rectification
    work_order_id: int | None = None


class CallbackView(View):
    id: int
    caller_sub: str
    caller_name: str
    called_at: datetime
    summary: str


class WorkOrderView(View):
    id: int
    version: int  # send back in If-Match
    application_id: int
    unit: str
    state: str
    outcome: str | None
    stars: int
    comment: str | None
    opened_at: datetime
    fix_due_on: date | None
    overdue: bool
    clock: ClockView
    callbacks: list[CallbackView]
    fix_stars: int | None = None
