"""Errors of the workflow layer.

* InvalidDefinition          a process file fails to decode or a static check (one Problem each)
* ActionUnknown      404     the process has no such action          (code unknown_action)
* ActionNotAvailable 409     not an action of the case's current state (code action_not_available)
* ActionForbidden    403     the actor's roles or the countersign rules say no (code action_not_allowed)
* ActionBlocked      422     a guard said no; ``reasons`` says which rule (code guard_failed)

The last four are :mod:`govservice.errors` types, so the API renders them as problems as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from govservice.errors import Conflict, Forbidden, NotFound, RuleViolation


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition: where (file, state) and which rule."""

    file: str
    rule: str
    message: str
    state: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: state {self.state}" if self.state else self.file
        return f"{where}: {self.message} [{self.rule}]"


class InvalidDefinition(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class ActionUnknown(NotFound):
    code = "unknown_action"


class ActionNotAvailable(Conflict):
    code = "action_not_available"


class ActionForbidden(Forbidden):
    code = "action_not_allowed"


class ActionBlocked(RuleViolation):
    code = "guard_failed"
