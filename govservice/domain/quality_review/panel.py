"""Who may score a file: never a reviewer of the file's unit, never one who took part in its case,
and the first two of each file of two different kinds (lawyer, adviser, staff)."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass

KINDS = ("lawyer", "adviser", "staff")  # 公职律师, 法律顾问, 内部骨干


@dataclass(frozen=True, slots=True)
class Candidate:
    sub: str
    kind: str
    unit: str | None  # the reviewer's own unit (None: from outside the department)


@dataclass(frozen=True, slots=True)
class FileParties:
    unit: str
    participants: frozenset[str]  # everyone who took a step of the case (from its events)
    assigned: tuple[Candidate, ...] = ()  # reviewers already on the file, in order


def refusal(candidate: Candidate, file: FileParties, *, third: bool = False) -> tuple[str, str] | None:
    """(code, reason) when ``candidate`` may not score ``file``; None when they may."""
    if candidate.unit is not None and candidate.unit == file.unit:
        return "conflict_own_unit", f"{candidate.sub} belongs to the file's unit {file.unit}"
    if candidate.sub in file.participants:
        return "conflict_took_part", f"{candidate.sub} took part in the case under review"
    if any(a.sub == candidate.sub for a in file.assigned):
        return "already_assigned", f"{candidate.sub} already scores this file"
    if not third and len(file.assigned) >= 2:
        return "file_fully_assigned", "the file already has its two reviewers"
    if not third and any(a.kind == candidate.kind for a in file.assigned):
        return "same_kind", f"the file already has a reviewer of kind {candidate.kind}"
    return None


def pick_reviewers(
    seed: str,
    file_ref: str,
    file: FileParties,
    panel: Sequence[Candidate],
    *,
    load: Collection[str] = (),
    third: bool = False,
) -> list[Candidate]:
    """Reviewers to complete the file's pair (and its third reviewer with ``third``), chosen at
    random (seeded by the round and the file) among those the rules allow, preferring members with
    fewer files (``load``: one entry per file a member already has). Fewer than needed when the
    panel cannot supply them."""
    rng = random.Random(f"{seed}:assign:{file_ref}")
    chosen: list[Candidate] = []
    current = file
    while len(current.assigned) < (3 if third else 2):
        as_third = len(current.assigned) >= 2
        allowed = [
            c for c in sorted(panel, key=lambda c: c.sub) if refusal(c, current, third=as_third) is None
        ]
        if not allowed:
            break
        least = min(sum(1 for s in load if s == c.sub) for c in allowed)
        pick = rng.choice([c for c in allowed if sum(1 for s in load if s == c.sub) == least])
        chosen.append(pick)
        current = FileParties(current.unit, current.participants, (*current.assigned, pick))
    return chosen
