"""A reviewer's score of one file against its checklist, and the reconciliation of the scores.

A file starts at the checklist's 100 points; each deduction names an item, takes off up to that
item's points in all, and says why and where (``event:SEQ`` of the case, or a document id). Two
reviewers' scores within ``threshold`` points of each other are averaged; further apart, a third
reviewer scores the file and the median of the three stands (the outlier drops out).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from govservice.domain.quality_review.checklists import Checklist


class ScoreRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Deduction(msgspec.Struct, kw_only=True, rename="camel"):
    item: str
    points: int
    comment: str
    pointer: str  # event:SEQ of the case, or material:ID / evidence:ID


def score_of(checklist: Checklist, deductions: Sequence[Deduction]) -> int:
    """The file's score after ``deductions``; ScoreRefused names the first bad deduction."""
    taken: dict[str, int] = {}
    for n, d in enumerate(deductions):
        item = checklist.item(d.item)
        if item is None:
            raise ScoreRefused(f"deductions[{n}].item", f"{d.item!r} is not an item of {checklist.id}")
        if d.points < 1:
            raise ScoreRefused(f"deductions[{n}].points", "a deduction takes off at least 1 point")
        taken[d.item] = taken.get(d.item, 0) + d.points
        if taken[d.item] > item.points:
            raise ScoreRefused(
                f"deductions[{n}].points", f"item {d.item} is worth {item.points} points; more are deducted"
            )
    return checklist.total - sum(taken.values())


@dataclass(frozen=True, slots=True)
class Reconciliation:
    final: float | None  # None: not yet decided
    needs_third: bool


def reconcile(scores: Sequence[int], threshold: int) -> Reconciliation:
    """Scores in the order they came in: the first two, then the third reviewer's, if any."""
    if len(scores) < 2:
        return Reconciliation(None, False)
    first, second = scores[0], scores[1]
    if abs(first - second) <= threshold:
        return Reconciliation(round((first + second) / 2, 1), False)
    if len(scores) < 3:
        return Reconciliation(None, True)
    return Reconciliation(float(statistics.median(scores[:3])), True)
