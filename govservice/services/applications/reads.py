"""Reading applications: access, views, the unit's queue, the timeline, materials."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import and_, bindparam, false, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import (
    ApplicationRow,
    EnterpriseRow,
    LicenceRow,
    MaterialRow,
    NoticeRow,
    VisitRow,
    WorkflowCaseRow,
)
from govservice.domain.actor import Actor, Role
from govservice.errors import Forbidden, NotFound
from govservice.services.access import grants, visible_clause
from govservice.services.applications import records
from govservice.services.applications.due_dates import due_fields, overdue_clause
from govservice.services.applications.notice_views import notice_view
from govservice.services.applications.plugins import outstanding_supplements
from govservice.services.applications.views import (
    ApplicationView,
    DeadlineChange,
    MaterialView,
    Timeline,
    TimelineEvent,
    VisitView,
    application_view,
)
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.catalogue import CatalogueService
from govservice.services.context import ServiceContext
from govservice.services.engine import CaseView, EngineService
from govservice.services.engine_rows import CASES
from govservice.services.engine_store import case_view_of
from govservice.services.engine_store import remember as remember_case
from govservice.services.engine_views import calendar_mark
from govservice.storage import FileStore

_LOAD = (
    select(
        ApplicationRow,
        EnterpriseRow,
        LicenceRow.number.label("licence_number"),
        select(func.aggregate_strings(MaterialRow.material_code, ","))  # codes have no comma
        .where(MaterialRow.application_id == ApplicationRow.id, MaterialRow.current.is_(True))
        .scalar_subquery()
        .label("materials"),
        *(c.label(f"case_{c.key}") for c in CASES.c),
    )
    .join(CASES, CASES.c.id == ApplicationRow.case_id)
    .outerjoin(EnterpriseRow, EnterpriseRow.uscc == ApplicationRow.enterprise_uscc)
    .outerjoin(LicenceRow, LicenceRow.application_id == ApplicationRow.id)
    .where(ApplicationRow.id == bindparam("b_id"))
)
TERMINAL_OUTCOMES = ("approved", "denied", "refused", "withdrawn", "terminated", "completed", "revoked")
# States in which an applicant may upload; supplements may come in any open state.
UPLOAD_STATES = frozenset({"draft", "correcting"})


class ApplicationReads:
    """The read side: who may see an application, its views, the queue, the timeline. The use
    cases of :class:`~govservice.services.applications.service.ApplicationService` build on it."""

    def __init__(
        self,
        ctx: ServiceContext,
        engine: EngineService,
        catalogue: CatalogueService,
        files: FileStore,
        audit: AuditLog | None = None,
    ) -> None:
        self._ctx = ctx
        self._engine = engine
        self._catalogue = catalogue
        self._files = files
        self._audit = audit

    def _audited(
        self,
        session: AsyncSession,
        actor: Actor,
        kind: Kind,
        action: str,
        app: ApplicationRow | ApplicationView,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """One audit entry per state change, decision and read of the enterprise's records, in the use
        case's own transaction: it commits with what it records, or not at all."""
        if self._audit is not None:
            self._audit.add(
                session,
                actor,
                kind,
                action,
                f"application:{app.id}",
                enterprise=app.enterprise_uscc,
                unit=app.unit,
                detail=detail,
            )

    # -- access ------------------------------------------------------------------------------

    @staticmethod
    def _may_read(actor: Actor, app: ApplicationRow) -> bool:
        return grants(actor, advisers=False).allows(app.unit, app.enterprise_uscc)

    async def _load(self, session: AsyncSession, application_id: int, actor: Actor) -> ApplicationRow:
        """The application, with its case, its enterprise, its current materials and its licence's
        number in one statement (the step's facts, the licence and the view find them in this unit
        of work)."""
        row = (await session.execute(_LOAD, {"b_id": application_id})).first()
        # Someone else's application is reported as absent, not as forbidden: its existence is private.
        if row is None or not self._may_read(actor, row[0]):
            raise NotFound(f"application {application_id} does not exist", code="application_not_found")
        app: ApplicationRow = row[0]
        enterprise: EnterpriseRow | None = row[1]
        records.hold(session, app, enterprise)
        records.note_licence(session, app.id, row.licence_number)
        records.note_materials(session, app.id, frozenset(row.materials.split(",")) if row.materials else ())
        remember_case(session, case_view_of({c.key: row._mapping[f"case_{c.key}"] for c in CASES.c}))
        return app

    async def materials(self, actor: Actor, application_id: int) -> list[MaterialView]:
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            rows = await session.scalars(
                select(MaterialRow).where(MaterialRow.application_id == app.id).order_by(MaterialRow.id)
            )
            views = [material_view(r) for r in rows]
            self._audited(session, actor, Kind.READ, "list_materials", app)
        return views

    # -- reading ------------------------------------------------------------------------------------

    async def get(self, actor: Actor, application_id: int) -> ApplicationView:
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            (view,) = await self._views(session, actor, [app])
            self._audited(session, actor, Kind.READ, "get_application", view)
        return view

    async def _views(
        self,
        session: AsyncSession,
        actor: Actor,
        apps: list[ApplicationRow],
        known: Mapping[int, CaseView] | None = None,
    ) -> list[ApplicationView]:
        """The views of ``apps`` (already checked as visible) with a fixed number of statements;
        ``known``: cases this unit of work already has (a step's result), by id."""
        if not apps:
            return []
        present: dict[int, set[str]] = {}
        licences: dict[int, str | None] = {}
        for app in apps:  # what this unit of work has read already (a step's facts, the load)
            materials = records.known_materials(session, app.id)
            licence_known, number = records.known_licence(session, app.id)
            if materials is not None and licence_known:
                present[app.id], licences[app.id] = set(materials), number
        ids = [app.id for app in apps if app.id not in present]
        if ids:
            present |= {app_id: set() for app_id in ids}
            materials_and_licences = union_all(  # one round trip for both
                select(
                    MaterialRow.application_id, MaterialRow.material_code, literal(False).label("licence")
                ).where(MaterialRow.application_id.in_(ids), MaterialRow.current.is_(True)),
                select(LicenceRow.application_id, LicenceRow.number, literal(True)).where(
                    LicenceRow.application_id.in_(ids)
                ),
            )
            for app_id, code, is_licence in await session.execute(materials_and_licences):
                if is_licence:
                    licences[app_id] = code
                else:
                    present[app_id].add(code)
        known = known or {}
        missing = [app.case_id for app in apps if app.case_id not in known]
        cases = {**(await self._engine.get_cases(missing, session) if missing else {}), **known}
        views = []
        today = self._engine.today()
        for app in apps:
            case = cases[app.case_id]
            clock = self._engine.clock_view(case)
            promised_due = self._promised_due(case, app)
            dues = due_fields(
                app,
                case,
                clock,
                await self._engine.process(case.process_id, case.process_version, session),
                self._engine.calendar_for_view(case),
                today=today,
                promised_due=promised_due,
                due_at=self._engine.due_at,
                staff_view=actor.is_staff,
            )
            mark = calendar_mark(
                self._engine.calendar_for_view(case),
                clock.started_on,
                clock.due_on,
                promised_due,
                app.supplement_due_on,
            )
            views.append(
                application_view(
                    app,
                    case,
                    clock,
                    await records.guide(session, app),  # published versions are cached
                    present[app.id],
                    await outstanding_supplements(
                        session, app, present[app.id]
                    ),  # a statement only while 容缺 runs
                    licences.get(app.id),
                    promised_due=promised_due,
                    mark=mark,
                    dues=dues,
                )
            )
        return views

    def _promised_due(self, case: CaseView, app: ApplicationRow) -> date | None:
        if case.clock.started_on is None:
            return None
        promised = msgspec.structs.replace(case.clock, limit=app.promised_limit)
        return promised.due(self._engine.calendar_for_view(case))

    async def list(
        self,
        actor: Actor,
        *,
        state: str | None,
        matter: str | None,
        overdue: bool | None,
        priority: bool | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[ApplicationView], str | None]:
        query = select(ApplicationRow).join(WorkflowCaseRow, WorkflowCaseRow.id == ApplicationRow.case_id)
        if actor.is_staff and not actor.has(Role.ADMIN) and not actor.unit:
            raise Forbidden("a staff token must name its unit (unit claim)", code="no_unit")
        if not grants(actor, advisers=False).anything and not actor.has(Role.APPLICANT):
            raise Forbidden(
                "applications are visible to applicants and to staff of the unit", code="role_required"
            )
        query = query.where(
            visible_clause(
                actor, unit=ApplicationRow.unit, uscc=ApplicationRow.enterprise_uscc, advisers=False
            )
        )
        if state:
            query = query.where(WorkflowCaseRow.state == state)
        if matter:
            query = query.where(ApplicationRow.matter_code == matter)
        if priority is not None:
            query = query.where(ApplicationRow.priority.is_(priority))
        if overdue is not None:
            late = overdue_clause(self._engine.today())
            query = query.where(late if overdue else ~func.coalesce(late, false()))
        # Queue order: key enterprises first (green channel), then first come first served.
        if cursor:
            first, last_id = _decode_cursor(cursor)
            query = query.where(
                or_(
                    and_(ApplicationRow.priority.is_(first), ApplicationRow.id > last_id),
                    ApplicationRow.priority.is_(False) if first else false(),
                )
            )
        query = query.order_by(ApplicationRow.priority.desc(), ApplicationRow.id).limit(limit + 1)
        async with self._ctx.transaction() as session:
            rows = list(await session.scalars(query))
            views = await self._views(session, actor, rows[:limit])
            for view in views:  # one read entry per application listed
                self._audited(session, actor, Kind.READ, "list_applications", view)
        next_cursor = _encode_cursor(views[-1].priority, views[-1].id) if len(rows) > limit else None
        return views, next_cursor

    async def timeline(self, actor: Actor, application_id: int) -> Timeline:
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            (view,) = await self._views(session, actor, [app])
            self._audited(session, actor, Kind.READ, "get_timeline", view)
            events = await self._engine.events(app.case_id, session)
            timers = await self._engine.timers(app.case_id, session)
            notices = list(
                await session.scalars(
                    select(NoticeRow).where(NoticeRow.application_id == app.id).order_by(NoticeRow.id)
                )
            )
            visits = list(
                await session.scalars(
                    select(VisitRow).where(VisitRow.application_id == app.id).order_by(VisitRow.id)
                )
            )
        staff_view = actor.is_staff
        return Timeline(
            application=view,
            events=[
                TimelineEvent(
                    seq=e.seq,
                    action=e.action,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    at=e.at,
                    by_role=_by_role(e.actor_sub, e.actor_roles),
                    by=e.actor_sub if staff_view else None,
                    comment=(e.payload or {}).get("comment"),
                    deadline_changes=msgspec.convert(e.payload["changes"], list[DeadlineChange])
                    if e.payload and "changes" in e.payload
                    else None,
                )
                for e in events
            ],
            notices=[
                notice_view(
                    n.kind,
                    n.body,
                    id=n.id,
                    due_on=n.due_on,
                    due_at=self._engine.due_at(n.due_on) if n.due_on else None,
                    issued_at=n.issued_at,
                    **calendar_mark(self._engine.calendar, n.due_on),
                )
                for n in notices
            ],
            visits=[
                VisitView(id=v.id, purpose=v.purpose, at=v.at, number=i + 1) for i, v in enumerate(visits)
            ],
            deadlines=[t for t in timers if t.status == "pending"],
        )

    async def count_for_enterprise(self, uscc: str) -> int:
        async with self._ctx.sessions() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(ApplicationRow)
                    .where(ApplicationRow.enterprise_uscc == uscc)
                )
                or 0
            )


def _by_role(sub: str, roles: list[str]) -> str:
    if sub.startswith("system"):
        return "system"
    return roles[0] if roles else "unknown"


def material_view(row: MaterialRow) -> MaterialView:
    return MaterialView(
        id=row.id,
        material_code=row.material_code,
        sha256=row.sha256,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        current=row.current,
        uploaded_at=row.uploaded_at,
    )


def _encode_cursor(priority: bool, app_id: int) -> str:
    return f"{int(priority)}.{app_id}"


def _decode_cursor(cursor: str) -> tuple[bool, int]:
    """The one strict cursor codec: anything but what ``_encode_cursor`` gives out is a 400."""
    from govservice.services.cursors import decode_priority_cursor

    return decode_priority_cursor(cursor)
