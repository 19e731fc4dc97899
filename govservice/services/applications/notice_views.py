"""The notices of an application as the timeline shows them: one type per kind, tagged by ``kind``,
each with the body its effect writes (:mod:`.notices`, :mod:`.plugins`, :mod:`.inspection`).

Bodies are stored as JSON; :func:`notice_view` reads one into its kind's type. A member an earlier
version of the effect may not have written reads as null; one the effect writes only sometimes stays
absent when it is (``UNSET``); members no type names are left out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, get_args

import msgspec
from msgspec import UNSET, UnsetType

from govservice.services.engine_views import CalendarMark


class _Body(msgspec.Struct, kw_only=True, rename="camel"):
    pass


class NoticeMaterial(_Body):
    """A material as a notice names it: what it is, in which formats, up to what size."""

    code: str
    name: str
    kind: str
    formats: list[str] = msgspec.field(default_factory=list)
    max_bytes: int | None = None


class NoticeDefect(_Body):
    material: str
    problem: str


class DeficiencyNoticeBody(_Body):
    """一次性告知: every missing material and every defect, at once (art. 32)."""

    missing: list[NoticeMaterial] = msgspec.field(default_factory=list)
    defects: list[NoticeDefect] = msgspec.field(default_factory=list)
    comment: str | None = None
    legal_basis: str | None = None


class TolerantSupplementNoticeBody(_Body):
    """容缺受理: the tolerated materials still to come, by when, and what happens if they do not."""

    materials: list[NoticeMaterial] = msgspec.field(default_factory=list)
    due_on: date | None = None
    consequence: str | None = None
    legal_basis: str | None = None


class DeemedAcceptanceNoticeBody(_Body):
    """No decision on acceptance within 5 working days: accepted as of the day it arrived (art. 32)."""

    accepted_on: date | None = None
    reason: str | None = None
    legal_basis: str | None = None


class RefusalNoticeBody(_Body):
    """Acceptance refused: the reasons, and the remedies open to the applicant."""

    reasons: list[str] | None = None
    remedies: list[str] = msgspec.field(default_factory=list)


class DecisionNoticeBody(_Body):
    """The decision; remedies only when it refuses, the post-check's date only on the commitment
    route (absent otherwise, not null)."""

    outcome: str
    reasons: list[str] | None = None
    remedies: list[str] | UnsetType = UNSET
    post_check_due_on: date | UnsetType = UNSET


class ExtensionNoticeBody(_Body):
    """The decision limit extended once (art. 42): why, and the new due date."""

    reason: str | None = None
    new_due_on: date | None = None
    legal_basis: str | None = None


class ClockNoticeBody(_Body):
    """The clock stopped or restarted (art. 45): ``clock`` started, paused, resumed or stopped."""

    clock: str | None = None
    action: str | None = None
    reason: str | None = None


class InspectionResultNoticeBody(_Body):
    """The on-site inspection's result and findings; the decision is due by ``decideBy``."""

    result: str
    findings: str | None = None
    inspected_on: date | None = None
    decide_by: date | None = None


class RectificationOrderNoticeBody(_Body):
    """The commitment route's failed post-check: what to correct by when, and the re-check."""

    findings: str | None = None
    correct_by: date | None = None
    recheck_due_on: date | None = None
    consequence: str | None = None
    legal_basis: str | None = None


class RevocationNoticeBody(_Body):
    """The licence revoked: why, and the remedies open to the applicant."""

    reason: str | None = None
    remedies: list[str] = msgspec.field(default_factory=list)


class NoticeView(CalendarMark, frozen=True, kw_only=True, rename="camel", tag_field="kind"):
    """A notice as issued; ``calendarStatus`` says whether its deadline fell in a provisional year
    when it was read (a later official calendar re-derives the deadline, shown in the timeline)."""

    id: int
    due_on: date | None  # local date (the department's zone)
    issued_at: datetime
    due_at: datetime | None = None  # the instant (UTC) the limit has passed: the local midnight after


class DeficiencyNoticeView(NoticeView, frozen=True, kw_only=True, tag="deficiency"):
    body: DeficiencyNoticeBody


class TolerantSupplementNoticeView(NoticeView, frozen=True, kw_only=True, tag="tolerant_supplement"):
    body: TolerantSupplementNoticeBody


class DeemedAcceptanceNoticeView(NoticeView, frozen=True, kw_only=True, tag="deemed_acceptance"):
    body: DeemedAcceptanceNoticeBody


class RefusalNoticeView(NoticeView, frozen=True, kw_only=True, tag="refusal"):
    body: RefusalNoticeBody


class DecisionNoticeView(NoticeView, frozen=True, kw_only=True, tag="decision"):
    body: DecisionNoticeBody


class ExtensionNoticeView(NoticeView, frozen=True, kw_only=True, tag="extension"):
    body: ExtensionNoticeBody


class ClockNoticeView(NoticeView, frozen=True, kw_only=True, tag="clock"):
    body: ClockNoticeBody


class InspectionResultNoticeView(NoticeView, frozen=True, kw_only=True, tag="inspection_result"):
    body: InspectionResultNoticeBody


class RectificationOrderNoticeView(NoticeView, frozen=True, kw_only=True, tag="rectification_order"):
    body: RectificationOrderNoticeBody


class RevocationNoticeView(NoticeView, frozen=True, kw_only=True, tag="revocation"):
    body: RevocationNoticeBody


Notice = (
    DeficiencyNoticeView
    | TolerantSupplementNoticeView
    | DeemedAcceptanceNoticeView
    | RefusalNoticeView
    | DecisionNoticeView
    | ExtensionNoticeView
    | ClockNoticeView
    | InspectionResultNoticeView
    | RectificationOrderNoticeView
    | RevocationNoticeView
)

NOTICE_KINDS: dict[str, type[Notice]] = {str(cls.__struct_config__.tag): cls for cls in get_args(Notice)}


def notice_view(kind: str, body: dict[str, Any], **fields: Any) -> Notice:
    """The stored notice of ``kind`` as its type (``fields``: the view's other fields)."""
    view = NOTICE_KINDS.get(kind)
    if view is None:
        raise ValueError(f"notice kind {kind!r} has no view in notice_views.NOTICE_KINDS")
    (body_type,) = (f.type for f in msgspec.structs.fields(view) if f.name == "body")
    return view(body=msgspec.convert(body, body_type), **fields)
