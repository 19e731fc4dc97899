"""What a webhook delivery carries, and which event types there are: the envelope the dispatcher
builds and the OpenAPI document's ``webhooks`` section describes (one entry per event type).

An event type is ``<subjectKind>.<action>``: ``start`` (a case begins), every action of the
process a subject's case runs, and ``rederive_deadlines`` (an official calendar year, once loaded,
moved a deadline that had been counted on the provisional calendar).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import msgspec

from govservice.services.calendar_rollover import ACTION as REDERIVED
from govservice.workflow.definition import ProcessDefinition

# The processes whose cases are not applications' (every other process is an application route).
SUBJECT_OF_PROCESS = {
    "bad_review": "work_order",
    "violation": "violation",
    "key_request": "key_request",
    "review_round": "review_round",
    "review_rectification": "review_rectification",
}
APPLICATION = "application"
_REDERIVED_TEXT = (
    "The State Council's notice for a year was loaded and moved deadlines of the case that had been "
    "counted on the provisional calendar; the state does not change (the new dates: the case's timeline)."
)


def _doc(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


class WebhookEvent(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=True):
    """The body of every delivery: one step of one case. Stable: fields may be added, never renamed."""

    id: Annotated[str, _doc("`<caseId>:<seq>`, also sent as `webhook-id`: receivers de-duplicate by it")]
    type: Annotated[str, _doc("the event type, `<subjectKind>.<action>`")]
    case_id: Annotated[int, _doc("the workflow case")]
    subject_kind: Annotated[str, _doc("application, work_order, violation, key_request, review_round, ...")]
    subject_id: Annotated[int, _doc("the application, work order, violation or request")] | None
    from_state: Annotated[str, _doc("the state before the step")] | None
    to_state: Annotated[str, _doc("the state after the step")]
    outcome: Annotated[str, _doc("the final state's outcome, once the case is in it")] | None
    at: Annotated[
        str,
        msgspec.Meta(
            description="when the step happened, RFC 3339 UTC", extra_json_schema={"format": "date-time"}
        ),
    ]
    enterprise_uscc: Annotated[str, _doc("the applicant enterprise (applications only)")] | None = None


def event_types(definitions: Iterable[ProcessDefinition]) -> dict[str, str]:
    """Every event type, sorted, with the text that says what it is (the transition's description,
    else the process and its states)."""
    found: dict[str, str] = {}
    for definition in definitions:
        kind = SUBJECT_OF_PROCESS.get(definition.id, APPLICATION)
        start = definition.start_state
        found.setdefault(f"{kind}.start", f"A case of process `{definition.id}` starts (in `{start}`).")
        for transition in definition.transitions:
            name = f"{kind}.{transition.action}"
            if name in found:
                continue
            found[name] = transition.description or (
                f"`{transition.action}` in process `{definition.id}` "
                f"({' / '.join(transition.sources)} → {transition.to})"
            )
        found.setdefault(f"{kind}.{REDERIVED}", _REDERIVED_TEXT)
    return dict(sorted(found.items()))
