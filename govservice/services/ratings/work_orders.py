"""Rectification work orders opened by bad reviews, run on the ``bad_review`` process.

The real-name callback is not a step of the process: it is a record (who called, when, what was
said) kept here and shown to the process's guards as the fact ``callback_recorded``, so a fix
cannot be reported before the rater was called. Every other action is the engine's.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import ApplicationRow, CallbackRow, RatingRow, WorkflowCaseRow, WorkOrderRow
from govservice.domain.actor import Actor, Role
from govservice.domain.clock import Clock
from govservice.errors import BadRequest, Forbidden, NotFound, RuleViolation
from govservice.services.access import DESK_ROLES, grants, visible_clause
from govservice.services.actions import ActionSubject, ActionUseCase, AuditRecord
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.cursors import decode_id_cursor, encode_id_cursor
from govservice.services.engine import CaseView, EngineExtension, EngineService
from govservice.services.ratings.views import CallbackView, WorkOrderView
from govservice.workflow import ActionOption, CaseFacts

PROCESS = "bad_review"
SUBJECT_KIND = "work_order"
WORK_ORDERS = EngineExtension("ratings")  # the facts of the bad_review process
FIX_DAYS = 15  # the process's deadline; the case clock shows the same limit
CALLBACK = "record_callback"
DECISIONS = frozenset({"uphold_appeal", "reject_appeal"})


class WorkOrder(NamedTuple):
    row: WorkOrderRow
    rating: RatingRow


@WORK_ORDERS.facts_builder(SUBJECT_KIND)
async def work_order_facts(session: AsyncSession, case: CaseView) -> CaseFacts:
    called = await session.scalar(
        select(CallbackRow.id)
        .join(WorkOrderRow, WorkOrderRow.id == CallbackRow.work_order_id)
        .where(WorkOrderRow.case_id == case.id)
        .limit(1)
    )
    return CaseFacts(flags=frozenset({"callback_recorded"}) if called is not None else frozenset())


class WorkOrderService:
    def __init__(
        self, ctx: ServiceContext, engine: EngineService, audit: AuditLog, actions: ActionUseCase
    ) -> None:
        self._ctx = ctx
        self._engine = engine
        self._audit = audit
        self._actions = actions
        self._subject = WorkOrderActions(self, ctx.clock)

    async def open(self, session: AsyncSession, actor: Actor, rating: RatingRow, app: ApplicationRow) -> int:
        """Open the bad review's work order and its case in the caller's unit of work (the rating's)."""
        case = await self._engine.start_case(
            PROCESS,
            session=session,
            subject_kind=SUBJECT_KIND,
            subject_ref=f"rating:{rating.id}",
            actor=actor,
            limit=FIX_DAYS,
        )
        row = WorkOrderRow(
            case_id=case.id,
            rating_id=rating.id,
            application_id=app.id,
            unit=app.unit,
            opened_at=self._ctx.clock.now(),
        )
        session.add(row)
        await session.flush()
        self._audit.add(
            session,
            actor,
            Kind.CHANGE,
            "open_work_order",
            f"work_order:{row.id}",
            enterprise=app.enterprise_uscc,
            unit=app.unit,
            detail={"applicationId": app.id, "stars": rating.stars},
        )
        return row.id

    # -- access ------------------------------------------------------------------------------------

    @staticmethod
    def _may_read(actor: Actor, order: WorkOrderRow, rating: RatingRow) -> bool:
        return grants(actor, roles=DESK_ROLES, advisers=False).allows(order.unit, rating.enterprise_uscc)

    async def _load(self, session: AsyncSession, actor: Actor, order_id: int) -> WorkOrder:
        order = await session.get(WorkOrderRow, order_id)
        rating = await session.get(RatingRow, order.rating_id) if order is not None else None
        if order is None or rating is None or not self._may_read(actor, order, rating):
            raise NotFound(f"work order {order_id} does not exist", code="work_order_not_found")
        return WorkOrder(order, rating)

    def _unit(self, actor: Actor) -> AbstractAsyncContextManager[AsyncSession]:
        """A staff member's reads are audited, so they write: a unit of work; the rater's only read."""
        return self._ctx.transaction() if actor.is_staff else self._ctx.sessions()

    def _audit_read(
        self, session: AsyncSession, actor: Actor, order: WorkOrderRow, rating: RatingRow
    ) -> None:
        if actor.is_staff:
            self._audit.add(
                session,
                actor,
                Kind.READ,
                "get_work_order",
                f"work_order:{order.id}",
                enterprise=rating.enterprise_uscc,
                unit=order.unit,
            )

    # -- reading -------------------------------------------------------------------------------------

    async def get(self, actor: Actor, order_id: int) -> WorkOrderView:
        async with self._unit(actor) as session:
            order, rating = await self._load(session, actor, order_id)
            (view,) = await self._views(session, [(order, rating)])
            self._audit_read(session, actor, order, rating)
        return view

    async def _views(
        self,
        session: AsyncSession,
        orders: Sequence[tuple[WorkOrderRow, RatingRow]],
        known: Mapping[int, CaseView] | None = None,
    ) -> list[WorkOrderView]:
        """The orders' views, their cases and callbacks read in one statement each; ``known``: cases
        this unit of work already has (an action's), by id."""
        if not orders:
            return []
        callbacks: dict[int, list[CallbackRow]] = {order.id: [] for order, _ in orders}
        for c in await session.scalars(
            select(CallbackRow).where(CallbackRow.work_order_id.in_(callbacks)).order_by(CallbackRow.id)
        ):
            callbacks[c.work_order_id].append(c)
        known = known or {}
        missing = [order.case_id for order, _ in orders if order.case_id not in known]
        cases = {**(await self._engine.get_cases(missing, session) if missing else {}), **known}
        return [
            self._view(order, rating, cases[order.case_id], callbacks[order.id]) for order, rating in orders
        ]

    def _view(
        self, order: WorkOrderRow, rating: RatingRow, case: CaseView, callbacks: Sequence[CallbackRow]
    ) -> WorkOrderView:
        clock = self._engine.clock_view(case)
        overdue = case.state == "overdue" or (
            case.outcome is None and case.due_on is not None and case.due_on < self._engine.today()
        )
        return WorkOrderView(
            id=order.id,
            version=case.version,
            application_id=order.application_id,
            unit=order.unit,
            state=case.state,
            outcome=case.outcome,
            stars=rating.stars,
            comment=rating.comment,
            opened_at=order.opened_at,
            fix_due_on=clock.due_on,
            overdue=overdue,
            clock=clock,
            callbacks=[
                CallbackView(
                    id=c.id,
                    caller_sub=c.caller_sub,
                    caller_name=c.caller_name,
                    called_at=c.called_at,
                    summary=c.summary,
                )
                for c in callbacks
            ],
            fix_stars=rating.fix_stars,
        )

    async def list(
        self, actor: Actor, *, state: str | None, limit: int, cursor: str | None
    ) -> tuple[list[WorkOrderView], str | None]:
        query = (
            select(WorkOrderRow, RatingRow)
            .join(WorkflowCaseRow, WorkflowCaseRow.id == WorkOrderRow.case_id)
            .join(RatingRow, RatingRow.id == WorkOrderRow.rating_id)
        )
        if actor.has(Role.CLERK, Role.SUPERVISOR) and not actor.has(Role.ADMIN) and not actor.unit:
            raise Forbidden("a staff token must name its unit (unit claim)", code="no_unit")
        access = grants(actor, roles=DESK_ROLES, advisers=False)
        if access.anything:
            query = query.where(
                visible_clause(
                    actor,
                    unit=WorkOrderRow.unit,
                    uscc=RatingRow.enterprise_uscc,
                    roles=DESK_ROLES,
                    advisers=False,
                )
            )
        else:
            raise Forbidden(
                "work orders are for the handling unit's staff and the rater", code="role_required"
            )
        if state:
            query = query.where(WorkflowCaseRow.state == state)
        if cursor:
            query = query.where(WorkOrderRow.id > _decode_cursor(cursor))
        async with self._unit(actor) as session:
            result = await session.execute(query.order_by(WorkOrderRow.id).limit(limit + 1))
            rows = [(order, rating) for order, rating in result]
            page = rows[:limit]
            items = await self._views(session, page)
            for order, rating in page:  # each order shown to staff is a read of the enterprise's record
                self._audit_read(session, actor, order, rating)
        return items, (_encode_cursor(items[-1].id) if len(rows) > limit else None)

    async def actions(self, actor: Actor, order_id: int) -> builtins.list[ActionOption]:
        return await self._actions.options(self._subject, actor, order_id)

    async def act(
        self,
        actor: Actor,
        order_id: int,
        action: str,
        payload: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> WorkOrderView:
        """The action, the rating it changes (the fix's stars, an upheld appeal's exclusion) and the
        audit entry: one unit of work."""
        return await self._actions.act(self._subject, actor, order_id, action, payload, expected_version)


class WorkOrderActions(ActionSubject[WorkOrder, WorkOrderView]):
    """The handling unit's staff act on their unit's orders, the rater rates the fix (and may
    appeal); the callback is a record of the order's own, not a step of its case."""

    stepless = frozenset({CALLBACK})

    def __init__(self, service: WorkOrderService, clock: Clock) -> None:
        self._service = service
        self._clock = clock
        self.effects = {
            "rate_fix": self._rate_fix,
            "uphold_appeal": self._exclude,
            CALLBACK: self._record_callback,
        }

    async def load(self, session: AsyncSession, actor: Actor, subject_id: int) -> WorkOrder:
        return await self._service._load(session, actor, subject_id)

    def case_id(self, loaded: WorkOrder) -> int:
        return loaded.row.case_id

    async def check(
        self, session: AsyncSession, actor: Actor, loaded: WorkOrder, action: str, payload: Mapping[str, Any]
    ) -> None:
        order, rating = loaded
        in_unit = actor.has(Role.CLERK, Role.SUPERVISOR) and actor.unit == order.unit
        rater = actor.has(Role.APPLICANT) and actor.ent == rating.enterprise_uscc
        if action == CALLBACK:
            if not in_unit:
                raise Forbidden("the handling unit's staff call the rater back", code="role_required")
            _require(payload, "summary", action)
        elif action == "rate_fix":
            if not rater:
                raise Forbidden("the rater rates the fix", code="role_required")
            _require(payload, "stars", action)
        elif actor.has(Role.CLERK, Role.SUPERVISOR) and not in_unit and not rater:
            raise Forbidden("this work order belongs to another unit", code="other_unit")
        elif action == "appeal":
            _require(payload, "reason", action)

    async def _rate_fix(
        self,
        session: AsyncSession,
        actor: Actor,
        loaded: WorkOrder,
        case: CaseView,
        payload: Mapping[str, Any],
    ) -> None:
        loaded.rating.fix_stars = payload["stars"]

    async def _exclude(
        self,
        session: AsyncSession,
        actor: Actor,
        loaded: WorkOrder,
        case: CaseView,
        payload: Mapping[str, Any],
    ) -> None:
        loaded.rating.excluded = True  # an upheld appeal takes the rating out of the satisfaction rate

    async def _record_callback(
        self,
        session: AsyncSession,
        actor: Actor,
        loaded: WorkOrder,
        case: CaseView,
        payload: Mapping[str, Any],
    ) -> None:
        if case.outcome is not None:
            raise RuleViolation("the work order is closed", code="work_order_closed")
        session.add(
            CallbackRow(
                work_order_id=loaded.row.id,
                caller_sub=actor.sub,
                caller_name=actor.name or actor.sub,
                called_at=self._clock.now(),
                summary=payload["summary"],
            )
        )

    def audit(
        self, loaded: WorkOrder, action: str, payload: Mapping[str, Any], case: CaseView
    ) -> AuditRecord:
        order, rating = loaded
        detail = None
        if action != CALLBACK:
            detail = {k: v for k, v in payload.items() if k in ("stars", "reason", "comment")}
        return AuditRecord(
            Kind.DECISION if action in DECISIONS else Kind.CHANGE,
            action,
            f"work_order:{order.id}",
            rating.enterprise_uscc,
            order.unit,
            detail,
        )

    async def view(
        self, session: AsyncSession, actor: Actor, loaded: WorkOrder, case: CaseView
    ) -> WorkOrderView:
        (view,) = await self._service._views(session, [loaded], {case.id: case})
        return view


def _require(payload: Mapping[str, Any], field: str, action: str) -> None:
    if payload.get(field) is None:
        raise BadRequest(
            f"{action} needs {field}",
            code="validation_failed",
            errors=[{"field": field, "message": f"required for {action}"}],
        )


def _encode_cursor(last_id: int) -> str:
    return encode_id_cursor("w", last_id)


def _decode_cursor(cursor: str) -> int:
    return decode_id_cursor("w", cursor)
