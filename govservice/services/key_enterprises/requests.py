"""The 24-hour response line: a key enterprise's requests to its adviser, on the ``key_request``
process. The response time is the package's (``responseLine.responseHours``); the process's timer
escalates an unanswered request to the supervisor of the adviser's unit."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import EnterpriseRequestRow, KeyEnterpriseRow, WorkflowCaseRow
from govservice.domain.actor import Actor, Role
from govservice.domain.clock import Clock
from govservice.errors import Forbidden, NotFound, RuleViolation
from govservice.services.actions import ActionSubject, ActionUseCase, AuditRecord
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.cursors import decode_id_cursor, encode_id_cursor
from govservice.services.engine import CaseView, EngineService
from govservice.services.key_enterprises.registry import KeyEnterpriseRegistry, enrolled_on

PROCESS = "key_request"
SUBJECT_KIND = "key_request"
_CURSOR = "rq"


class RequestKind(enum.StrEnum):
    QUESTION = "question"
    CONSULTATION = "consultation"
    URGENT_HAZARD = "urgent_hazard"


class ResponseClock(msgspec.Struct, kw_only=True, rename="camel"):
    """How long the adviser has (or had) to answer."""

    response_hours: int
    respond_by: datetime
    remaining_seconds: int | None  # None once answered or withdrawn
    overdue: bool  # past respond_by without an answer (or answered after it)
    answered_after_seconds: int | None


class RequestView(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    uscc: str
    kind: RequestKind
    subject: str
    detail: str
    state: str  # open | escalated | answered | withdrawn
    unit: str
    adviser_sub: str
    raised_by: str
    raised_at: datetime
    response_clock: ResponseClock
    escalated_at: datetime | None
    escalated_to: str | None  # "supervisor of unit X" once escalated
    responded_at: datetime | None
    responded_by: str | None
    response: str | None
    version: int


def request_view(row: EnterpriseRequestRow, case: WorkflowCaseRow | CaseView, now: datetime) -> RequestView:
    hours = round((row.respond_by - row.raised_at).total_seconds() / 3600)
    done = case.state in ("answered", "withdrawn")
    answered_after = (
        int((row.responded_at - row.raised_at).total_seconds()) if row.responded_at is not None else None
    )
    overdue = (
        (row.responded_at >= row.respond_by)
        if row.responded_at is not None
        else (not done and now >= row.respond_by)
    )
    return RequestView(
        id=row.id,
        uscc=row.uscc,
        kind=RequestKind(row.kind),
        subject=row.subject,
        detail=row.detail,
        state=case.state,
        unit=row.unit,
        adviser_sub=row.adviser_sub,
        raised_by=row.raised_by,
        raised_at=row.raised_at,
        response_clock=ResponseClock(
            response_hours=hours,
            respond_by=row.respond_by,
            remaining_seconds=None if done else max(0, int((row.respond_by - now).total_seconds())),
            overdue=overdue,
            answered_after_seconds=answered_after,
        ),
        escalated_at=row.escalated_at,
        escalated_to=f"supervisor of unit {row.unit}" if row.escalated_at is not None else None,
        responded_at=row.responded_at,
        responded_by=row.responded_by,
        response=row.response,
        version=case.version,
    )


class RequestService:
    def __init__(
        self,
        ctx: ServiceContext,
        engine: EngineService,
        registry: KeyEnterpriseRegistry,
        audit: AuditLog,
        actions: ActionUseCase,
    ) -> None:
        self._ctx = ctx
        self._engine = engine
        self._registry = registry
        self._audit = audit
        self._actions = actions
        self._subject = RequestActions(self, ctx.clock)

    async def raise_request(
        self, actor: Actor, uscc: str, *, kind: RequestKind, subject: str, detail: str
    ) -> RequestView:
        if not (actor.has(Role.APPLICANT) and actor.ent == uscc):
            raise NotFound(f"{uscc} is not a key enterprise you can see", code="key_enterprise_not_found")
        hours = self._registry.package.response_line.response_hours
        async with self._ctx.transaction() as session:  # the check, the request, its case and the audit entry
            entry = await session.get(KeyEnterpriseRow, uscc)
            if entry is None:
                raise NotFound(f"{uscc} is not a key enterprise you can see", code="key_enterprise_not_found")
            if not enrolled_on(entry, self._registry.today()):
                raise RuleViolation(
                    "the enterprise's enrolment in the service package is not current", code="not_enrolled"
                )
            case = await self._engine.start_case(
                PROCESS,
                session=session,
                subject_kind=SUBJECT_KIND,
                actor=actor,
                deadline_hours=hours,
                payload={"kind": kind.value},
            )
            row = EnterpriseRequestRow(
                case_id=case.id,
                uscc=uscc,
                kind=kind.value,
                subject=subject,
                detail=detail,
                unit=entry.adviser_unit,
                adviser_sub=entry.adviser_sub,
                raised_by=actor.sub,
                raised_at=case.created_at,
                respond_by=case.created_at + timedelta(hours=hours),
            )
            session.add(row)
            await session.flush()
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "raise_request",
                f"request:{row.id}",
                enterprise=uscc,
                unit=entry.adviser_unit,
                detail={"kind": kind.value},
            )
            return await self._get(session, actor, row.id)

    def _visible(
        self, actor: Actor, query: Select[EnterpriseRequestRow, WorkflowCaseRow]
    ) -> Select[EnterpriseRequestRow, WorkflowCaseRow]:
        if actor.has(Role.ADMIN):
            return query
        clauses = []
        if actor.has(Role.APPLICANT) and actor.ent:
            clauses.append(EnterpriseRequestRow.uscc == actor.ent)
        if actor.has(Role.ADVISER):
            clauses.append(EnterpriseRequestRow.adviser_sub == actor.sub)
        if actor.has(Role.SUPERVISOR) and actor.unit:
            clauses.append(EnterpriseRequestRow.unit == actor.unit)
        if not clauses:
            raise Forbidden(
                "requests are seen by the enterprise, its adviser and the adviser's supervisor",
                code="role_required",
            )
        return query.where(or_(*clauses))

    @staticmethod
    def _base() -> Select[EnterpriseRequestRow, WorkflowCaseRow]:
        return select(EnterpriseRequestRow, WorkflowCaseRow).join(
            WorkflowCaseRow, WorkflowCaseRow.id == EnterpriseRequestRow.case_id
        )

    async def _find(
        self, session: AsyncSession, actor: Actor, request_id: int
    ) -> tuple[EnterpriseRequestRow, WorkflowCaseRow]:
        """The request as ``actor`` may see it, and its case, read afresh in ``session``."""
        query = self._visible(actor, self._base().where(EnterpriseRequestRow.id == request_id))
        found = (await session.execute(query.execution_options(populate_existing=True))).first()
        if found is None:
            raise NotFound(
                f"request {request_id} does not exist or is not yours to see", code="request_not_found"
            )
        return found[0], found[1]

    async def _get(self, session: AsyncSession, actor: Actor, request_id: int) -> RequestView:
        return request_view(*await self._find(session, actor, request_id), self._ctx.clock.now())

    async def get(self, actor: Actor, request_id: int, *, audit: bool = True) -> RequestView:
        if not audit:
            async with self._ctx.sessions() as session:
                return await self._get(session, actor, request_id)
        async with self._ctx.transaction() as session:  # an audited read: the entry is written with it
            view = await self._get(session, actor, request_id)
            self._audit.add(
                session,
                actor,
                Kind.READ,
                "read_request",
                f"request:{view.id}",
                enterprise=view.uscc,
                unit=view.unit,
            )
        return view

    async def list(
        self, actor: Actor, *, uscc: str | None, state: str | None, limit: int, cursor: str | None
    ) -> tuple[list[RequestView], str | None]:
        query = self._visible(actor, self._base())
        if uscc:
            query = query.where(EnterpriseRequestRow.uscc == uscc)
        if state:
            query = query.where(WorkflowCaseRow.state == state)
        if cursor:
            query = query.where(EnterpriseRequestRow.id > decode_id_cursor(_CURSOR, cursor))
        query = query.order_by(EnterpriseRequestRow.id).limit(limit + 1)
        now = self._ctx.clock.now()
        async with self._ctx.transaction() as session:  # an audited read: its entries are written with it
            rows = list(await session.execute(query))
            views = [request_view(r, c, now) for r, c in rows[:limit]]
            for uscc_seen in sorted({v.uscc for v in views}):
                self._audit.add(
                    session,
                    actor,
                    Kind.READ,
                    "list_requests",
                    f"enterprise:{uscc_seen}",
                    enterprise=uscc_seen,
                )
        return views, encode_id_cursor(_CURSOR, views[-1].id) if len(rows) > limit else None

    async def act(
        self,
        actor: Actor,
        request_id: int,
        action: str,
        *,
        response: str | None,
        expected_version: int | None,
    ) -> RequestView:
        payload = {"response": response} if response else {}
        return await self._actions.act(self._subject, actor, request_id, action, payload, expected_version)


class RequestActions(ActionSubject[EnterpriseRequestRow, RequestView]):
    """The enterprise withdraws its request; its adviser (or the supervisor of the adviser's unit)
    answers it."""

    def __init__(self, service: RequestService, clock: Clock) -> None:
        self._service = service
        self._clock = clock

    async def load(self, session: AsyncSession, actor: Actor, subject_id: int) -> EnterpriseRequestRow:
        return (await self._service._find(session, actor, subject_id))[0]

    def case_id(self, loaded: EnterpriseRequestRow) -> int:
        return loaded.case_id

    async def check(
        self,
        session: AsyncSession,
        actor: Actor,
        loaded: EnterpriseRequestRow,
        action: str,
        payload: Mapping[str, Any],
    ) -> None:
        if action != "respond":
            return
        if not payload.get("response"):
            raise RuleViolation(
                "an answer needs its text",
                code="response_required",
                errors=[{"field": "response", "message": "required to respond"}],
            )
        if not (
            actor.has(Role.ADMIN)
            or actor.sub == loaded.adviser_sub
            or (actor.has(Role.SUPERVISOR) and actor.unit == loaded.unit)
        ):
            raise Forbidden(
                "the request is answered by the enterprise's adviser or the supervisor of the adviser's unit",
                code="not_your_request",
            )

    def audit(
        self, loaded: EnterpriseRequestRow, action: str, payload: Mapping[str, Any], case: CaseView
    ) -> AuditRecord:
        return AuditRecord(Kind.CHANGE, f"{action}_request", f"request:{loaded.id}", loaded.uscc, loaded.unit)

    async def view(
        self, session: AsyncSession, actor: Actor, loaded: EnterpriseRequestRow, case: CaseView
    ) -> RequestView:
        return request_view(loaded, case, self._clock.now())  # the effects changed ``loaded`` itself
