"""What the quality-review use cases return (the API's response bodies)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from govservice.domain.quality_review import Checklist, Deduction, UnitResult


class _View(msgspec.Struct, kw_only=True, rename="camel"):
    pass


class PanelMemberView(_View):
    sub: str
    name: str
    kind: str
    unit: str | None
    chair: bool
    active: bool


class RoundView(_View):
    id: int
    version: int  # the round case's version (If-Match)
    title: str
    state: str
    outcome: str | None
    due_on: date | None  # the current stage's deadline (working days)
    period_from: date
    period_to: date
    units: list[str]
    categories: list[str]
    per_unit: int
    callbacks_per_unit: int
    onsite_per_unit: int
    threshold: int
    exclude_previous: bool
    checklists: dict[str, str]  # category -> "id v<version>" pinned when the round opened
    seed: str | None
    drawn_at: datetime | None
    published_at: datetime | None
    files: int


class DrawView(_View):
    """The draw's inputs and result as recorded; ``reproduced`` re-runs it from the recorded seed
    and population and says whether the same files came out."""

    seed: str
    per_unit: int
    population: dict[str, dict[str, list[str]]]
    excluded: list[str]
    drawn: dict[str, dict[str, list[str]]]
    reproduced: bool


class ScoreView(_View):
    position: int  # 1, 2: the pair; 3: the third reviewer
    reviewer_kind: str
    reviewer_sub: str | None  # shown to admins and the reviewer themself only
    score: int | None
    deductions: list[Deduction]
    scored_at: datetime | None


class CaseEventLine(_View):
    seq: int
    action: str
    from_state: str | None
    to_state: str
    actor_roles: list[str]
    at: datetime


class RectificationView(_View):
    case_id: int
    version: int
    state: str
    outcome: str | None
    due_on: date | None


class AppealView(_View):
    reason: str
    decision: str | None  # upheld | rejected | None while it waits
    score_before: float | None


class FileView(_View):
    id: int
    round_id: int
    category: str
    unit: str
    subject: str
    final_score: float | None
    grade: str | None
    needs_third: bool
    scores: list[ScoreView]
    rectification: RectificationView | None
    appeal: AppealView | None
    events: list[CaseEventLine]  # the case's steps, for the reviewers' pointers (event:SEQ)
    checklist: Checklist


class CheckView(_View):
    id: int
    round_id: int
    kind: str  # callback | onsite
    unit: str
    subject: str
    enterprise: str | None
    answers: dict[str, int] | None
    passed: bool | None
    comment: str | None
    done_at: datetime | None


class ResultsView(_View):
    round_id: int
    title: str
    period_from: date
    period_to: date
    published: bool
    units: list[UnitResult]


class AssessorFileRecord(_View):
    """A file as an assessor sees it: the enterprise pseudonymised, no reviewer, no comment."""

    file_id: int
    category: str
    unit: str
    enterprise: str | None  # pseudonym
    scores: list[int]
    deducted_items: list[str]
    final_score: float | None
    grade: str | None
    rectified: bool


class AssessorResultsView(ResultsView):
    files: list[AssessorFileRecord]
