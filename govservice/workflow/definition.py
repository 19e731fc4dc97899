"""A process definition as data: what ``workflows/processes/*.yaml`` decodes into.

```yaml
id: permit
version: 1
start: draft                      # optional: the first state listed
states:
  draft:        {actor: applicant}
  pre_review:   {actor: clerk, deadline: {workingDays: 5, fire: deem_accepted}}
  supplementing: {actor: applicant, clock: paused}
  deciding:     {actor: supervisor, clock: running,
                 countersign: {action: approve, approvals: 2, roles: [supervisor, legal]}}
  approved:     {terminal: approved}
transitions:
  - {action: submit, from: draft, to: pre_review}                 # roles: the state's actor
  - {action: deem_accepted, from: pre_review, to: reviewing, roles: []}   # [] = the system only
  - {action: accept_tolerant, from: pre_review, to: reviewing,
     when: [key_materials_complete, tolerance_allowed, {route_is: tolerant}],
     effects: [{arm_timer: {action: terminate, workingDays: 10, key: supplement}}]}
```

Guards (``when``) and effects are *names* of functions registered in code
(:mod:`govservice.workflow.registry`), each written as ``name`` or ``{name: params}`` where
params is a mapping, or a single value for the function's only parameter. Nothing is evaluated.
YAML 1.1 reads unquoted ``on``/``off``/``yes``/``no`` as booleans: quote such keys and values.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

import msgspec

from govservice.domain.base import Record

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
ProcessId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
# ``name`` or ``{name: params}``; normalised into Call by the registry.
CallSpec = str | dict[str, Any]


class ClockMode(enum.StrEnum):
    RUNNING = "running"  # entering the state starts or resumes the case's statutory clock
    PAUSED = "paused"  # entering it pauses the clock (art. 45: time not counted)


class Deadline(Record, frozen=True):
    """Entering the state arms a timer: after ``working_days`` (a legal limit) or ``hours`` (a
    service promise, counted on the clock) the system takes ``fire``. Exactly one is given."""

    working_days: Annotated[int, msgspec.Meta(ge=1, le=365)] | None = None
    hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 366)] | None = None
    fire: Name | None = None

    def __post_init__(self) -> None:
        if (self.working_days is None) == (self.hours is None):
            raise ValueError("a deadline gives either workingDays or hours")

    def describe(self) -> str:
        return f"{self.working_days} WD" if self.working_days is not None else f"{self.hours} h"


class Countersign(Record, frozen=True):
    """``action`` from this state needs ``approvals`` distinct people holding one of ``roles``,
    none of whom took an earlier step of the same case."""

    action: Name
    approvals: Annotated[int, msgspec.Meta(ge=1, le=20)]
    roles: Annotated[list[Name], msgspec.Meta(min_length=1)]


class StateDef(Record, frozen=True):
    actor: Name | None = None  # the role whose queue holds cases in this state
    clock: ClockMode | None = None  # None: entering the state leaves the clock as it is
    terminal: Name | None = None  # the outcome (approved, refused, ...) of a final state
    deadline: Deadline | None = None
    countersign: Countersign | None = None
    description: Text | None = None


class TransitionDef(Record, frozen=True):
    action: Name
    source: Name | list[Name] = msgspec.field(name="from")
    to: Name
    roles: list[Name] | None = None  # None: the source state's actor; []: only the system (timers)
    when: list[CallSpec] = msgspec.field(default_factory=list)
    effects: list[CallSpec] = msgspec.field(default_factory=list)
    description: Text | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source,) if isinstance(self.source, str) else tuple(self.source)


class ProcessDefinition(Record, frozen=True):
    id: ProcessId
    version: Annotated[int, msgspec.Meta(ge=1)]
    states: Annotated[dict[Name, StateDef], msgspec.Meta(min_length=1)]
    transitions: list[TransitionDef]
    title: Text | None = None
    start: Name | None = None

    @property
    def start_state(self) -> str:
        return self.start or next(iter(self.states))
