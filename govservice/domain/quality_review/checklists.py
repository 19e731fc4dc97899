"""Checklists and callback questions, kept as data in ``workflows/checklists/*.yaml`` and versioned
like the processes: a round pins the content of the versions in force when it opened.

    kind: checklist                        kind: callback
    id: penalties                          id: callback
    version: 1                             version: 1
    category: penalties                    questions:
    grades: {excellent: 90, qualified: 60}   - {id: courtesy, text: ...}
    items:
      - {id: facts, title: ..., points: 25, deduction: ..., legalBasis: [...]}
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import msgspec

from govservice.domain.quality_review.draw import CATEGORIES


class InvalidChecklist(ValueError):
    """A checklist file that does not decode or does not add up; the message names the file."""


class _Data(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel"):
    pass


class ChecklistItem(_Data):
    id: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    title: str
    points: Annotated[int, msgspec.Meta(ge=1, le=100)]
    deduction: str  # what counts as a deduction
    legal_basis: list[str] = msgspec.field(default_factory=list)


class Grades(_Data):
    excellent: Annotated[int, msgspec.Meta(ge=0, le=100)]
    qualified: Annotated[int, msgspec.Meta(ge=0, le=100)]

    def grade(self, score: float) -> str:
        if score >= self.excellent:
            return "excellent"
        return "qualified" if score >= self.qualified else "unqualified"


class Checklist(_Data, tag="checklist", tag_field="kind"):
    id: str
    version: Annotated[int, msgspec.Meta(ge=1)]
    category: str
    title: str
    grades: Grades
    items: list[ChecklistItem]

    @property
    def total(self) -> int:
        return sum(item.points for item in self.items)

    def item(self, item_id: str) -> ChecklistItem | None:
        return next((i for i in self.items if i.id == item_id), None)


class CallbackQuestion(_Data):
    id: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    text: str


class CallbackQuestions(_Data, tag="callback", tag_field="kind"):
    """Asked by telephone of enterprises drawn from the period's cases; answers 1-5."""

    id: str
    version: Annotated[int, msgspec.Meta(ge=1)]
    title: str
    questions: list[CallbackQuestion]


ChecklistFile = Checklist | CallbackQuestions


def _check(path: Path, found: ChecklistFile) -> None:
    if isinstance(found, CallbackQuestions):
        ids = [q.id for q in found.questions]
    else:
        if found.category not in CATEGORIES:
            raise InvalidChecklist(
                f"{path.name}: unknown category {found.category!r} ({', '.join(CATEGORIES)})"
            )
        if found.total != 100:
            raise InvalidChecklist(f"{path.name}: items add up to {found.total} points, not 100")
        if found.grades.qualified > found.grades.excellent:
            raise InvalidChecklist(f"{path.name}: the qualified mark is above the excellent one")
        ids = [i.id for i in found.items]
    if not ids or len(ids) != len(set(ids)):
        raise InvalidChecklist(f"{path.name}: items must be present and their ids unique")


def load_checklists(paths: Iterable[Path]) -> tuple[dict[str, Checklist], CallbackQuestions | None]:
    """The latest version of each category's checklist, and of the callback questions."""
    checklists: dict[str, Checklist] = {}
    callback: CallbackQuestions | None = None
    for path in sorted(paths):
        try:
            found = msgspec.yaml.decode(path.read_bytes(), type=ChecklistFile)
        except msgspec.ValidationError as exc:
            raise InvalidChecklist(f"{path.name}: {exc}") from exc
        _check(path, found)
        if isinstance(found, CallbackQuestions):
            if callback is None or found.version > callback.version:
                callback = found
        elif found.category not in checklists or found.version > checklists[found.category].version:
            checklists[found.category] = found
    return checklists, callback
