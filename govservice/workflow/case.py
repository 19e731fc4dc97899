"""The runtime data the engine reasons about: a case's state and the facts around it.

:class:`CaseState` is what the engine keeps about one case (stored on its row);
:class:`CaseFacts` is what the owning service knows about the subject (materials, credit,
route...), built fresh for every decision and never stored by the engine;
:class:`Situation` is both, plus the actor and the day, as handed to a guard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import msgspec

from govservice.domain.actor import Actor
from govservice.domain.calendar import CaseClock


class Approval(msgspec.Struct, frozen=True, array_like=True):
    sub: str
    role: str


class Step(msgspec.Struct, frozen=True, array_like=True):
    """A step a person took (timers are not people): who and which action."""

    sub: str
    action: str


class CaseData(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The engine's bookkeeping for one case, stored as JSON next to its state and version."""

    flags: frozenset[str] = frozenset()
    counters: dict[str, int] = msgspec.field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    approvals: tuple[Approval, ...] = ()  # countersign approvals gathered in the current state


class CaseState(msgspec.Struct, frozen=True, kw_only=True):
    state: str
    version: int = 0
    clock: CaseClock = CaseClock()
    data: CaseData = CaseData()

    @property
    def participants(self) -> frozenset[str]:
        return frozenset(step.sub for step in self.data.steps)


class CaseFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What the owning service knows about the case's subject, for the guards.

    ``flags`` and ``counters`` add to the case's own (an effect such as ``set_flag`` or
    ``extend_limit`` writes those); a counter given here wins over the case's.
    """

    route: str | None = None
    materials_present: frozenset[str] = frozenset()
    key_materials_missing: tuple[str, ...] = ()
    tolerable_materials_missing: tuple[str, ...] = ()
    tolerance_allowed: bool = False  # the matter declares 容缺 for the materials missing
    outstanding_supplements: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()  # e.g. commitment_signed, creditworthy
    counters: Mapping[str, int] = msgspec.field(default_factory=dict)
    values: Mapping[str, str] = msgspec.field(default_factory=dict)


NO_FACTS = CaseFacts()


@dataclass(frozen=True, slots=True)
class Situation:
    """Everything a guard may look at. ``actor`` is None when a timer acts."""

    case: CaseState
    facts: CaseFacts
    actor: Actor | None
    today: date

    def flag(self, name: str) -> bool:
        return name in self.facts.flags or name in self.case.data.flags

    def counter(self, name: str) -> int:
        if name in self.facts.counters:
            return self.facts.counters[name]
        return self.case.data.counters.get(name, 0)
