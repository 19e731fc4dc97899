"""Event logs of applications for process-mining tools: OCEL 2.0 JSON and flat CSV, streamed.

The log holds the applications created in the period (whole cases: every step they took so far,
in order) and, in OCEL, their enterprises as pseudonymous objects. Steps name the role that took
them (``clerk``, ``supervisor``, ``system`` for a timer ...), never the person.

OCEL 2.0 JSON (https://www.ocel-standard.org): ``objectTypes``, ``objects``, ``events`` and
``eventTypes``; object types ``application`` and ``enterprise``; one event type per action.
The event types come last because they are only known once every event has been read (JSON
objects are unordered, so readers do not mind).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select

from govservice.db.models import ApplicationRow, WorkflowCaseRow, WorkflowEventRow
from govservice.services.assessment.periods import Period
from govservice.services.assessment.pseudonyms import Pseudonyms
from govservice.services.assessment.tallies import Scope

A, C, E = ApplicationRow, WorkflowCaseRow, WorkflowEventRow
BATCH = 500
MAX_DAYS = 31  # applications created in at most a month: ~100k cases at a million a year
EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")  # "always" for attributes that never change
CSV_MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8"
CSV_COLUMNS = (
    "case_id",
    "activity",
    "timestamp",
    "role",
    "from_state",
    "to_state",
    "enterprise",
    "matter",
    "unit",
    "route",
    "channel",
)


class OcelAttributeDefinition(msgspec.Struct):
    name: str
    type: str  # string | time | integer | float | boolean


class OcelType(msgspec.Struct):
    name: str
    attributes: list[OcelAttributeDefinition]


class OcelEventAttribute(msgspec.Struct):
    name: str
    value: str


class OcelObjectAttribute(msgspec.Struct):
    name: str
    value: str
    time: datetime


class OcelRelationship(msgspec.Struct, rename="camel"):
    object_id: str
    qualifier: str


class OcelObject(msgspec.Struct):
    id: str
    type: str
    attributes: list[OcelObjectAttribute]
    relationships: list[OcelRelationship]


class OcelEvent(msgspec.Struct):
    id: str
    type: str
    time: datetime
    attributes: list[OcelEventAttribute]
    relationships: list[OcelRelationship]


class OcelLog(msgspec.Struct, rename="camel"):
    """An OCEL 2.0 event log (JSON format); the response is streamed in this shape."""

    object_types: list[OcelType]
    objects: list[OcelObject]
    events: list[OcelEvent]
    event_types: list[OcelType]


_STRINGS = ("matter", "unit", "route", "channel", "outcome")
OBJECT_TYPES = [
    OcelType("application", [OcelAttributeDefinition(n, "string") for n in _STRINGS]),
    OcelType("enterprise", []),
]
EVENT_ATTRIBUTES = [OcelAttributeDefinition(n, "string") for n in ("role", "fromState", "toState")]


def role_of(sub: str, roles: list[str]) -> str:
    """The role a step was taken in: ``system`` for timers, else the actor's first role."""
    if sub.startswith("system"):
        return "system"
    return roles[0] if roles else "unknown"


async def _batches(sessions: Any, period: Period, scope: Scope) -> AsyncIterator[tuple[list[Any], list[Any]]]:
    """The applications created in the period, a batch at a time, with their cases' events."""
    last = 0
    while True:
        query = (
            select(
                A.id,
                A.case_id,
                A.enterprise_uscc,
                A.matter_code,
                A.unit,
                A.route,
                A.channel,
                A.created_at,
                A.concluded_at,
                C.outcome,
            )
            .join(C, C.id == A.case_id)
            .where(period.holds_instant(A.created_at), A.id > last)
            .order_by(A.id)
            .limit(BATCH)
        )
        query = scope.where(query, A.unit, A.matter_code)
        async with sessions() as session:
            apps = list(await session.execute(query))
            if not apps:
                return
            events = list(
                await session.execute(
                    select(
                        E.case_id, E.seq, E.action, E.from_state, E.to_state, E.actor_sub, E.actor_roles, E.at
                    )
                    .where(E.case_id.in_([a.case_id for a in apps]))
                    .order_by(E.case_id, E.seq)
                )
            )
        yield apps, events
        last = apps[-1].id


def _application_object(app: Any, enterprise: str) -> OcelObject:
    attributes = [
        OcelObjectAttribute("matter", app.matter_code, app.created_at),
        OcelObjectAttribute("unit", app.unit, app.created_at),
        OcelObjectAttribute("route", app.route, app.created_at),
        OcelObjectAttribute("channel", app.channel, app.created_at),
    ]
    if app.outcome is not None:
        attributes.append(OcelObjectAttribute("outcome", app.outcome, app.concluded_at or app.created_at))
    return OcelObject(
        f"application:{app.id}",
        "application",
        attributes,
        [OcelRelationship(f"enterprise:{enterprise}", "filed by")],
    )


async def ocel_json(
    sessions: Any, period: Period, scope: Scope, pseudonym: Pseudonyms
) -> AsyncIterator[bytes]:
    encode = msgspec.json.encode
    objects: list[bytes] = []
    seen: set[str] = set()
    types: set[str] = set()
    yield b'{"objectTypes":' + encode(OBJECT_TYPES) + b',"events":['
    separator = b""
    async for apps, events in _batches(sessions, period, scope):
        by_case: dict[int, tuple[int, str]] = {}
        for app in apps:
            enterprise = pseudonym(app.enterprise_uscc)
            by_case[app.case_id] = (app.id, enterprise)
            objects.append(encode(_application_object(app, enterprise)))
            if enterprise not in seen:
                seen.add(enterprise)
                objects.append(encode(OcelObject(f"enterprise:{enterprise}", "enterprise", [], [])))
        chunk: list[bytes] = []
        for e in events:
            app_id, enterprise = by_case[e.case_id]
            types.add(e.action)
            chunk.append(
                separator
                + encode(
                    OcelEvent(
                        f"application:{app_id}:{e.seq}",
                        e.action,
                        e.at,
                        [
                            OcelEventAttribute("role", role_of(e.actor_sub, e.actor_roles)),
                            OcelEventAttribute("fromState", e.from_state or ""),
                            OcelEventAttribute("toState", e.to_state),
                        ],
                        [
                            OcelRelationship(f"application:{app_id}", "application"),
                            OcelRelationship(f"enterprise:{enterprise}", "enterprise"),
                        ],
                    )
                )
            )
            separator = b","
        yield b"".join(chunk)
    yield b'],"objects":['
    for start in range(0, len(objects), BATCH):
        yield (b"," if start else b"") + b",".join(objects[start : start + BATCH])
    yield b'],"eventTypes":'
    yield encode([OcelType(name, list(EVENT_ATTRIBUTES)) for name in sorted(types)]) + b"}"


async def csv_rows(
    sessions: Any, period: Period, scope: Scope, pseudonym: Pseudonyms
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        data = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        return data

    writer.writerow(CSV_COLUMNS)
    yield flush()
    async for apps, events in _batches(sessions, period, scope):
        by_case = {app.case_id: app for app in apps}
        for e in events:
            app = by_case[e.case_id]
            writer.writerow(
                (
                    app.id,
                    e.action,
                    e.at.isoformat().replace("+00:00", "Z"),
                    role_of(e.actor_sub, e.actor_roles),
                    e.from_state or "",
                    e.to_state,
                    pseudonym(app.enterprise_uscc),
                    app.matter_code,
                    app.unit,
                    app.route,
                    app.channel,
                )
            )
        yield flush()


FORMATS: dict[str, tuple[str, Callable[..., AsyncIterator[bytes]]]] = {
    "ocel": ("application/json", ocel_json),
    "csv": (CSV_MEDIA_TYPE, csv_rows),
}
