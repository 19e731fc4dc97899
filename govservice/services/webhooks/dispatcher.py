"""Turns workflow events into deliveries. Events are the durable record of every step (written in
the step's own transaction), so following them loses nothing: a round reads the events after the
cursor, inserts a delivery per matching active subscription and moves the cursor, all in one
transaction, under the cursor row's lock (two workers never enqueue the same event twice, and the
unique (subscription, event) key would refuse it anyway).

Events are followed in (at, case, seq) order, and only once they are ``SETTLE`` old: a step's time
is taken before its transaction commits, so a younger event could still be joined by an older one
committing late."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import (
    ApplicationRow,
    EnterpriseRequestRow,
    ViolationRow,
    WebhookCursorRow,
    WebhookDeliveryRow,
    WebhookSubscriptionRow,
    WorkflowCaseRow,
    WorkflowEventRow,
    WorkOrderRow,
)
from govservice.services.context import ServiceContext

CURSOR_ID = 1
SETTLE = timedelta(seconds=10)
PENDING = "pending"
EVENTS, CASES, APPS = WorkflowEventRow, WorkflowCaseRow, ApplicationRow
ORDERS, VIOLATIONS, REQUESTS = WorkOrderRow, ViolationRow, EnterpriseRequestRow
SUBS = WebhookSubscriptionRow


def matches(patterns: Sequence[str], event_type: str) -> bool:
    """``application.*`` matches every application event; ``*`` matches all; else exact."""
    return any(fnmatchcase(event_type, p) for p in patterns)


class Dispatcher:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    async def dispatch(self, limit: int = 500) -> int:
        """One round: enqueue deliveries for up to ``limit`` events; returns how many events it read."""
        horizon = self._ctx.clock.now() - SETTLE
        async with self._ctx.sessions() as session, session.begin():
            subs = list(await session.scalars(select(SUBS).where(SUBS.active.is_(True)).order_by(SUBS.id)))
            cursor = await self._lock_cursor(session, subs)
            if cursor is None:
                return 0
            after = _after(cursor)
            if not subs:  # nobody listens: skip to the settled end (later subscribers start later)
                last = (await session.execute(
                    select(EVENTS.at, EVENTS.case_id, EVENTS.seq).where(after, EVENTS.at <= horizon)
                    .order_by(EVENTS.at.desc(), EVENTS.case_id.desc(), EVENTS.seq.desc()).limit(1)
                )).first()
                if last is not None:
                    cursor.last_at, cursor.last_case_id, cursor.last_seq = last
                return 0
            events = (await session.execute(
                select(EVENTS.case_id, EVENTS.seq, EVENTS.action, EVENTS.from_state, EVENTS.to_state,
                       EVENTS.at,
                       CASES.subject_kind, CASES.state, CASES.outcome, APPS.id, APPS.enterprise_uscc,
                       ORDERS.id, VIOLATIONS.id, REQUESTS.id)
                .join(CASES, CASES.id == EVENTS.case_id)
                .outerjoin(APPS, APPS.case_id == EVENTS.case_id)
                .outerjoin(ORDERS, ORDERS.case_id == EVENTS.case_id)
                .outerjoin(VIOLATIONS, VIOLATIONS.case_id == EVENTS.case_id)
                .outerjoin(REQUESTS, REQUESTS.case_id == EVENTS.case_id)
                .where(after, EVENTS.at <= horizon)
                .order_by(EVENTS.at, EVENTS.case_id, EVENTS.seq)
                .limit(limit)
            )).all()
            now = self._ctx.clock.now()
            for event in events:
                payload = _payload(event)
                for sub in subs:
                    if event.at >= sub.created_at and matches(sub.events, payload["type"]):
                        session.add(WebhookDeliveryRow(
                            subscription_id=sub.id, event_id=payload["id"], type=payload["type"],
                            payload=payload,
                            status=PENDING, attempts=0, next_attempt_at=now, created_at=now,
                        ))
            if events:
                last = events[-1]
                cursor.last_at, cursor.last_case_id, cursor.last_seq = last.at, last.case_id, last.seq
        return len(events)

    async def _lock_cursor(
        self, session: AsyncSession, subs: list[WebhookSubscriptionRow]
    ) -> WebhookCursorRow | None:
        query = (select(WebhookCursorRow).where(WebhookCursorRow.id == CURSOR_ID).with_for_update()
                 .execution_options(populate_existing=True))
        cursor = await session.scalar(query)
        if cursor is None and subs:  # the first subscription ever: start where it starts
            start = min(s.created_at for s in subs) - timedelta(microseconds=1)
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            values = {"id": CURSOR_ID, "last_at": start, "last_case_id": 0, "last_seq": 0}
            await session.execute(  # a racing worker's insert does nothing
                insert(WebhookCursorRow).values(**values).on_conflict_do_nothing(index_elements=["id"])
            )
            cursor = await session.scalar(query)
        return cursor


def _after(cursor: WebhookCursorRow) -> Any:
    at, case_id, seq = cursor.last_at, cursor.last_case_id, cursor.last_seq
    return or_(
        EVENTS.at > at,
        and_(EVENTS.at == at,
             or_(EVENTS.case_id > case_id, and_(EVENTS.case_id == case_id, EVENTS.seq > seq))),
    )


def _payload(event: Any) -> dict[str, Any]:
    (case_id, seq, action, from_state, to_state, at, kind, state, outcome,
     app_id, app_ent, order_id, violation_id, request_id) = event
    subject_id = next((i for i in (app_id, order_id, violation_id, request_id) if i is not None), None)
    payload: dict[str, Any] = {
        "id": f"{case_id}:{seq}",
        "type": f"{kind}.{action}",
        "caseId": case_id,
        "subjectKind": kind,
        "subjectId": subject_id,
        "fromState": from_state,
        "toState": to_state,
        "outcome": outcome if to_state == state else None,  # a final state's outcome, once the case is in it
        "at": _iso(at),
    }
    if app_id is not None:
        payload["enterpriseUscc"] = app_ent
    return payload


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
