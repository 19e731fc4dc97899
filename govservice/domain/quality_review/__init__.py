"""Pure rules of the enforcement quality review (执法质量考评): the reproducible draw, the panel's
conflict-of-interest and pairing rules, checklist scoring, grading and reconciliation, and the
unit results. No I/O: the services in :mod:`govservice.services.quality_review` load and store."""

from govservice.domain.quality_review.checklists import (
    CallbackQuestions,
    Checklist,
    ChecklistItem,
    Grades,
    InvalidChecklist,
    load_checklists,
)
from govservice.domain.quality_review.draw import CATEGORIES, Draw, draw_files, draw_sample
from govservice.domain.quality_review.panel import KINDS, Candidate, FileParties, pick_reviewers, refusal
from govservice.domain.quality_review.results import DoneCheck, ScoredFile, UnitResult, unit_results
from govservice.domain.quality_review.scoring import (
    Deduction,
    Reconciliation,
    ScoreRefused,
    reconcile,
    score_of,
)

__all__ = [
    "CATEGORIES",
    "KINDS",
    "CallbackQuestions",
    "Candidate",
    "Checklist",
    "ChecklistItem",
    "Deduction",
    "DoneCheck",
    "Draw",
    "FileParties",
    "Grades",
    "InvalidChecklist",
    "Reconciliation",
    "ScoreRefused",
    "ScoredFile",
    "UnitResult",
    "draw_files",
    "draw_sample",
    "load_checklists",
    "pick_reviewers",
    "reconcile",
    "refusal",
    "score_of",
    "unit_results",
]
