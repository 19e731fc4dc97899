"""A unit's result in a round, recomputable by anyone from the file scores and the checks.

``overall`` weighs the file review 80 %, callback satisfaction 10 % (answers 1-5 mapped to
0-100) and on-site checks passed 10 %; a part with nothing recorded drops out and the others are
scaled up, so a unit with no callbacks is judged on its files and on-site checks alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import msgspec

WEIGHTS = {"files": 0.8, "callbacks": 0.1, "onsite": 0.1}


@dataclass(frozen=True, slots=True)
class ScoredFile:
    unit: str
    final_score: float | None
    grade: str | None
    rectified: bool


@dataclass(frozen=True, slots=True)
class DoneCheck:
    unit: str
    kind: str  # callback | onsite
    answers: Sequence[int] = field(default_factory=tuple)
    passed: bool | None = None


class UnitResult(msgspec.Struct, kw_only=True, rename="camel"):
    unit: str
    files_drawn: int = 0
    files_reviewed: int = 0  # with a reconciled score
    average_score: float | None = None
    excellent: int = 0
    qualified: int = 0
    unqualified: int = 0
    rectified: int = 0  # unqualified files whose rectification was accepted
    callbacks_answered: int = 0
    callback_satisfaction: float | None = None  # the mean answer, 1-5
    onsite_checked: int = 0
    onsite_passed: int = 0
    overall: float | None = None


def _overall(result: UnitResult) -> float | None:
    parts: dict[str, float] = {}
    if result.average_score is not None:
        parts["files"] = result.average_score
    if result.callback_satisfaction is not None:
        parts["callbacks"] = (result.callback_satisfaction - 1) / 4 * 100
    if result.onsite_checked:
        parts["onsite"] = result.onsite_passed / result.onsite_checked * 100
    if not parts:
        return None
    weight = sum(WEIGHTS[k] for k in parts)
    return round(sum(WEIGHTS[k] * v for k, v in parts.items()) / weight, 1)


def unit_results(
    units: Iterable[str], files: Iterable[ScoredFile], checks: Iterable[DoneCheck]
) -> list[UnitResult]:
    results = {u: UnitResult(unit=u) for u in units}
    scores: dict[str, list[float]] = {u: [] for u in results}
    answers: dict[str, list[int]] = {u: [] for u in results}
    for f in files:
        r = results.setdefault(f.unit, UnitResult(unit=f.unit))
        r.files_drawn += 1
        if f.final_score is None:
            continue
        r.files_reviewed += 1
        scores.setdefault(f.unit, []).append(f.final_score)
        if f.grade == "excellent":
            r.excellent += 1
        elif f.grade == "qualified":
            r.qualified += 1
        else:
            r.unqualified += 1
            r.rectified += int(f.rectified)
    for c in checks:
        r = results.setdefault(c.unit, UnitResult(unit=c.unit))
        if c.kind == "callback" and c.answers:
            r.callbacks_answered += 1
            answers.setdefault(c.unit, []).extend(c.answers)
        elif c.kind == "onsite" and c.passed is not None:
            r.onsite_checked += 1
            r.onsite_passed += int(c.passed)
    for unit, r in results.items():
        if scores.get(unit):
            r.average_score = round(sum(scores[unit]) / len(scores[unit]), 1)
        if answers.get(unit):
            r.callback_satisfaction = round(sum(answers[unit]) / len(answers[unit]), 2)
        r.overall = _overall(r)
    return [results[u] for u in sorted(results)]
