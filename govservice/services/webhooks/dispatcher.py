"""Turns workflow events into deliveries, from the outbox.

The engine writes one ``workflow_outbox`` row per event in the step's own transaction, so a row
exists exactly when its step has committed, however long that took: no settle delay, no gap. A
round claims the oldest rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers take
different rows; SQLite has one writer), inserts a delivery per matching active subscription and
deletes the rows, all in one transaction. The unique (subscription, event) key makes a repeat a
no-op. Rows are consumed whether or not anyone subscribes: later subscribers start later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from govservice.db.models import (
    ApplicationRow,
    EnterpriseRequestRow,
    ViolationRow,
    WebhookDeliveryRow,
    WebhookSubscriptionRow,
    WorkflowCaseRow,
    WorkflowEventRow,
    WorkflowOutboxRow,
    WorkOrderRow,
)
from govservice.services.context import ServiceContext

PENDING = "pending"
EVENTS, CASES, APPS, OUTBOX = WorkflowEventRow, WorkflowCaseRow, ApplicationRow, WorkflowOutboxRow
ORDERS, VIOLATIONS, REQUESTS = WorkOrderRow, ViolationRow, EnterpriseRequestRow
SUBS = WebhookSubscriptionRow


def matches(patterns: Sequence[str], event_type: str) -> bool:
    """``application.*`` matches every application event; ``*`` matches all; else exact."""
    return any(fnmatchcase(event_type, p) for p in patterns)


class Dispatcher:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    async def dispatch(self, limit: int = 500) -> int:
        """One round: enqueue deliveries for up to ``limit`` outbox rows; returns how many it consumed."""
        async with self._ctx.transaction() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            claim = (
                select(
                    OUTBOX.id,
                    EVENTS.case_id,
                    EVENTS.seq,
                    EVENTS.action,
                    EVENTS.from_state,
                    EVENTS.to_state,
                    EVENTS.at,
                    CASES.subject_kind,
                    CASES.state,
                    CASES.outcome,
                    APPS.id,
                    APPS.enterprise_uscc,
                    ORDERS.id,
                    VIOLATIONS.id,
                    REQUESTS.id,
                )
                .join(EVENTS, (EVENTS.case_id == OUTBOX.case_id) & (EVENTS.seq == OUTBOX.seq))
                .join(CASES, CASES.id == OUTBOX.case_id)
                .outerjoin(APPS, APPS.case_id == OUTBOX.case_id)
                .outerjoin(ORDERS, ORDERS.case_id == OUTBOX.case_id)
                .outerjoin(VIOLATIONS, VIOLATIONS.case_id == OUTBOX.case_id)
                .outerjoin(REQUESTS, REQUESTS.case_id == OUTBOX.case_id)
                .order_by(OUTBOX.id)
                .limit(limit)
            )
            if postgres:
                claim = claim.with_for_update(skip_locked=True, of=OUTBOX)
            rows = (await session.execute(claim)).all()
            if not rows:
                return 0
            subs = list(await session.scalars(select(SUBS).where(SUBS.active.is_(True)).order_by(SUBS.id)))
            now = self._ctx.clock.now()
            deliveries: list[dict[str, Any]] = []
            for row in rows:
                payload = _payload(row[1:])
                deliveries.extend(
                    {
                        "subscription_id": sub.id,
                        "event_id": payload["id"],
                        "type": payload["type"],
                        "payload": payload,
                        "status": PENDING,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for sub in subs
                    if row.at >= sub.created_at and matches(sub.events, payload["type"])
                )
            if deliveries:
                insert = (pg_insert if postgres else sqlite_insert)(WebhookDeliveryRow)
                await session.execute(
                    insert.on_conflict_do_nothing(index_elements=["subscription_id", "event_id"]), deliveries
                )
            await session.execute(delete(OUTBOX).where(OUTBOX.id.in_([row[0] for row in rows])))
        return len(rows)


def _payload(event: Any) -> dict[str, Any]:
    (
        case_id,
        seq,
        action,
        from_state,
        to_state,
        at,
        kind,
        state,
        outcome,
        app_id,
        app_ent,
        order_id,
        violation_id,
        request_id,
    ) = event
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
