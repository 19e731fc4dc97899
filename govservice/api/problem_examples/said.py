"""The building blocks of the examples: a problem as the code raises it, and the workflow engine's."""

from __future__ import annotations

from typing import Any, NamedTuple

USCC = "91350100M000100Y43"


class Said(NamedTuple):
    status: int
    code: str
    detail: str
    fields: dict[str, Any] | None = None  # the problem's other members: errors, extra, replacement


def field(name: str, message: str) -> dict[str, Any]:
    return {"errors": [{"field": name, "message": message}]}


def step(
    case: int, action: str, *, state: str, roles: str | None, blocked: str | None = None
) -> tuple[Said, ...]:
    """What the workflow engine answers for ``action`` on ``case``: the action's ``roles`` (None when
    the route's guard already admits no one else), the state it is no action of, a racing step, a
    stale If-Match, and (``blocked``) a guard's reason and rule."""
    said = [
        Said(
            409,
            "action_not_available",
            f"{action} is not an action of state {state}",
            {"extra": {"state": state}},
        ),
        Said(
            409,
            "concurrent_transition",
            f"case {case} was changed by another step while {action} was being taken; "
            "reload it and try again",
        ),
        Said(412, "precondition_failed", f"case {case} is at version 4, not 3", {"extra": {"version": 4}}),
    ]
    if roles is not None:
        refused = f"{action} needs role {roles}"
        said.append(Said(403, "action_not_allowed", refused, {"extra": {"reasons": [refused]}}))
    if blocked is not None:
        said.append(Said(422, "guard_failed", blocked, {"extra": {"reasons": [blocked]}}))
    return tuple(said)
