"""Application use cases: create or file, upload materials, take actions, read, list, timeline."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import and_, false, func, literal, or_, select, union_all, update
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
from govservice.db.upsert import insert_if_absent
from govservice.domain.actor import Actor, Role
from govservice.domain.catalogue import Route
from govservice.domain.enterprise import CreditStatus, is_creditworthy
from govservice.domain.materials import find_material, required_uploads
from govservice.domain.uscc import uscc_problem
from govservice.errors import BadRequest, Forbidden, NotFound, RuleViolation
from govservice.services.applications import plugins as _plugins  # noqa: F401  (registers names)
from govservice.services.applications import records
from govservice.services.applications.uploads import check_upload
from govservice.services.applications.views import (
    ApplicationView,
    DeadlineChange,
    MaterialView,
    NoticeView,
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
from govservice.services.engine_views import calendar_mark
from govservice.storage import FileStore
from govservice.workflow import ActionOption

TERMINAL_OUTCOMES = ("approved", "denied", "refused", "withdrawn", "terminated", "completed", "revoked")
# States in which an applicant may upload; supplements may come in any open state.
UPLOAD_STATES = frozenset({"draft", "correcting"})


class ApplicationService:
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
        if actor.has(Role.ADMIN):
            return True
        if actor.has(Role.APPLICANT) and actor.ent == app.enterprise_uscc:
            return True
        staff = actor.has(Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.LEGAL)
        return staff and actor.unit is not None and actor.unit == app.unit

    async def _load(self, session: AsyncSession, application_id: int, actor: Actor) -> ApplicationRow:
        app = await session.get(ApplicationRow, application_id)
        # Someone else's application is reported as absent, not as forbidden: its existence is private.
        if app is None or not self._may_read(actor, app):
            raise NotFound(f"application {application_id} does not exist", code="application_not_found")
        return app

    # -- creating and filing -------------------------------------------------------------------

    async def create(
        self,
        actor: Actor,
        *,
        matter_code: str,
        route: Route,
        enterprise_name: str,
        enterprise_uscc: str | None,
        channel: str,
        commitment_signed: bool,
        file: bool,
        comment: str | None = None,
    ) -> ApplicationView:
        uscc = self._enterprise_of(actor, enterprise_uscc, channel)
        matter = await self._catalogue.for_filing(matter_code)
        guide = matter.guide
        if route not in guide.routes:
            raise RuleViolation(
                f"matter {matter_code} offers the routes {', '.join(guide.routes)}, not {route}",
                code="route_not_offered",
            )
        process_id = guide.processes[route]
        async with self._ctx.transaction() as session:  # the enterprise, the case and the application
            credit = await self._enterprise(session, uscc, enterprise_name)
            if route in (Route.TOLERANT, Route.COMMITMENT) and not is_creditworthy(CreditStatus(credit)):
                raise RuleViolation(
                    f"enterprise {uscc} has a {credit.replace('_', ' ')} record: the {route} "
                    "route is barred until its credit is repaired",
                    code="credit_barred",
                )
            case = await self._engine.start_case(
                process_id,
                session=session,
                subject_kind="application",
                actor=actor,
                limit=guide.statutory_limit,
                payload={"comment": comment} if comment else None,
            )
            row = ApplicationRow(
                case_id=case.id,
                enterprise_uscc=uscc,
                enterprise_name=enterprise_name,
                applicant_sub=actor.sub,
                matter_code=guide.code,
                matter_version=matter.version,
                route=route.value,
                channel=channel,
                unit=guide.unit,
                priority=False,
                statutory_limit=guide.statutory_limit,
                promised_limit=guide.promised_limit,
                commitment_signed=commitment_signed,
                visits=0,
                created_at=self._ctx.clock.now(),
            )
            session.add(row)
            await session.flush()
            if file:
                return await self._act(
                    session, actor, row, "file", payload={"comment": comment} if comment else {}
                )
            (view,) = await self._views(session, [row])
            self._audited(session, actor, Kind.CHANGE, "create", view)
        return view

    @staticmethod
    def _enterprise_of(actor: Actor, given: str | None, channel: str) -> str:
        if actor.has(Role.APPLICANT):
            if not actor.ent:
                raise Forbidden(
                    "an applicant's token must name its enterprise (ent claim)", code="no_enterprise"
                )
            if given is not None and given != actor.ent:
                raise Forbidden("an applicant files only for its own enterprise", code="other_enterprise")
            uscc = actor.ent
        elif actor.has(Role.CLERK) and channel == "window":
            if given is None:
                raise BadRequest(
                    "filing at the window needs the enterprise's USCC",
                    code="validation_failed",
                    errors=[{"field": "enterpriseUscc", "message": "required at the window"}],
                )
            uscc = given
        else:
            raise Forbidden(
                "applications are filed by applicants, or by clerks at the window", code="role_required"
            )
        problem = uscc_problem(uscc)
        if problem:
            raise BadRequest(
                f"USCC {uscc!r} {problem}",
                code="validation_failed",
                errors=[{"field": "enterpriseUscc", "message": problem}],
            )
        return uscc

    async def _enterprise(self, session: AsyncSession, uscc: str, name: str) -> str:
        """The enterprise's credit status, registering it on its first application: an upsert, so
        many first applications at once all succeed."""
        await insert_if_absent(
            session,
            EnterpriseRow,
            ["uscc"],
            uscc=uscc,
            name=name,
            credit_status=CreditStatus.GOOD.value,
            created_at=self._ctx.clock.now(),
        )
        credit = await session.scalar(select(EnterpriseRow.credit_status).where(EnterpriseRow.uscc == uscc))
        return str(credit)

    # -- materials --------------------------------------------------------------------------------

    async def upload(
        self,
        actor: Actor,
        application_id: int,
        *,
        material_code: str,
        filename: str,
        content_type: str,
        content: bytes,
    ) -> MaterialView:
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            case = await self._engine.get_case(app.case_id, session)
            guide = await records.guide(session, app)
            outstanding: tuple[str, ...] = ()
            if case.state not in UPLOAD_STATES and case.outcome is None:  # only supplements may come now
                present = await records.present_materials(session, app.id)
                outstanding = await _plugins._outstanding(session, app, present)
            return await self._store_upload(
                session, actor, app, case, guide, outstanding, material_code, filename, content_type, content
            )

    async def _store_upload(
        self,
        session: AsyncSession,
        actor: Actor,
        app: ApplicationRow,
        case: CaseView,
        guide: Any,
        outstanding: tuple[str, ...],
        material_code: str,
        filename: str,
        content_type: str,
        content: bytes,
    ) -> MaterialView:
        if not (actor.has(Role.APPLICANT) and actor.ent == app.enterprise_uscc) and not actor.has(Role.CLERK):
            raise Forbidden(
                "materials are uploaded by the applicant (or a clerk at the window)", code="role_required"
            )
        material = find_material(guide, material_code)
        if material is None:
            raise RuleViolation(
                f"matter {guide.code} has no material {material_code!r}", code="unknown_material"
            )
        if material.shared_source is not None:
            raise RuleViolation(
                f"{material.name} is obtained by the department itself ({material.shared_source}); "
                "it must not be uploaded",
                code="material_from_shared_source",
            )
        if case.outcome is not None:
            raise RuleViolation("the application is concluded", code="application_concluded")
        if case.state not in UPLOAD_STATES and material_code not in outstanding:
            raise RuleViolation(
                f"materials can be uploaded while the application is a draft or being corrected, or when "
                f"they are awaited as supplements; it is {case.state}",
                code="upload_not_open",
            )
        check_upload(material, filename, content_type, content)
        digest = await self._files.put(content)  # content-addressed: a rollback leaves a harmless orphan
        await session.execute(
            update(MaterialRow)
            .where(
                MaterialRow.application_id == app.id,
                MaterialRow.material_code == material_code,
                MaterialRow.current.is_(True),
            )
            .values(current=False)
        )
        row = MaterialRow(
            application_id=app.id,
            material_code=material_code,
            sha256=digest,
            filename=filename[:255],
            content_type=content_type[:100],
            size=len(content),
            current=True,
            uploaded_at=self._ctx.clock.now(),
            uploaded_by=actor.sub,
        )
        session.add(row)
        await session.flush()
        self._audited(
            session, actor, Kind.CHANGE, "upload_material", app, {"material": material_code, "sha256": digest}
        )
        return _material_view(row)

    async def materials(self, actor: Actor, application_id: int) -> list[MaterialView]:
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            rows = await session.scalars(
                select(MaterialRow).where(MaterialRow.application_id == app.id).order_by(MaterialRow.id)
            )
            views = [_material_view(r) for r in rows]
            self._audited(session, actor, Kind.READ, "list_materials", app)
        return views

    # -- actions ----------------------------------------------------------------------------------

    async def actions(self, actor: Actor, application_id: int) -> list[ActionOption]:
        async with self._ctx.sessions() as session:
            app = await self._load(session, application_id, actor)
            options = await self._engine.available(app.case_id, actor, session)
        return [_with_ownership(option, actor, app) for option in options]

    async def act(
        self,
        actor: Actor,
        application_id: int,
        action: str,
        *,
        payload: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> ApplicationView:
        _check_payload(action, payload)
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            return await self._act(session, actor, app, action, payload, expected_version)

    async def _act(
        self,
        session: AsyncSession,
        actor: Actor,
        app: ApplicationRow,
        action: str,
        payload: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> ApplicationView:
        """Fire ``action`` on the application's case, its effects, view and audit entry on ``session``."""
        if actor.has(Role.APPLICANT) and not actor.is_staff and actor.ent != app.enterprise_uscc:
            raise Forbidden("this is another enterprise's application", code="other_enterprise")
        fired = await self._engine.fire(
            app.case_id,
            action,
            actor,
            session=session,
            expected_version=expected_version,
            payload=dict(payload),
        )
        # The effects changed ``app`` itself (the same object: application_for_case finds it loaded).
        (view,) = await self._views(session, [app], {fired.case.id: fired.case})
        kind = Kind.DECISION if view.outcome is not None else Kind.CHANGE
        self._audited(session, actor, kind, action, view, {"state": view.state, "outcome": view.outcome})
        return view

    async def record_visit(self, actor: Actor, application_id: int, purpose: str) -> VisitView:
        if not actor.has(Role.CLERK, Role.SUPERVISOR):
            raise Forbidden("visits are recorded by staff at the window", code="role_required")
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            if app.concluded_at is not None:
                raise RuleViolation("the application is concluded", code="application_concluded")
            app.visits += 1
            row = VisitRow(
                application_id=app.id, purpose=purpose, at=self._ctx.clock.now(), recorded_by=actor.sub
            )
            session.add(row)
            await session.flush()
            self._audited(session, actor, Kind.CHANGE, "record_visit", app)
            return VisitView(id=row.id, purpose=row.purpose, at=row.at, number=app.visits)

    async def sign_commitment(self, actor: Actor, application_id: int) -> ApplicationView:
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            if not (actor.has(Role.APPLICANT) and actor.ent == app.enterprise_uscc):
                raise Forbidden("only the applicant signs its commitment", code="role_required")
            if app.concluded_at is not None:
                raise RuleViolation("the application is concluded", code="application_concluded")
            app.commitment_signed = True
            await session.flush()
            (view,) = await self._views(session, [app])
            self._audited(session, actor, Kind.CHANGE, "sign_commitment", view)
        return view

    # -- reading ------------------------------------------------------------------------------------

    async def get(self, actor: Actor, application_id: int) -> ApplicationView:
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            (view,) = await self._views(session, [app])
            self._audited(session, actor, Kind.READ, "get_application", view)
        return view

    async def _views(
        self, session: AsyncSession, apps: list[ApplicationRow], known: Mapping[int, CaseView] | None = None
    ) -> list[ApplicationView]:
        """The views of ``apps`` (already checked as visible) with a fixed number of statements;
        ``known``: cases this unit of work already has (a step's result), by id."""
        if not apps:
            return []
        ids = [app.id for app in apps]
        present: dict[int, set[str]] = {app_id: set() for app_id in ids}
        licences: dict[int, str] = {}
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
        for app in apps:
            case = cases[app.case_id]
            clock = self._engine.clock_view(case)
            promised_due = self._promised_due(case, app)
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
                    await _plugins._outstanding(
                        session, app, present[app.id]
                    ),  # a statement only while 容缺 runs
                    licences.get(app.id),
                    promised_due=promised_due,
                    mark=mark,
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
        if actor.has(Role.ADMIN):
            pass
        elif actor.has(Role.APPLICANT) and not actor.is_staff:
            if not actor.ent:
                return [], None
            query = query.where(ApplicationRow.enterprise_uscc == actor.ent)
        elif actor.has(Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.LEGAL):
            if not actor.unit:
                raise Forbidden("a staff token must name its unit (unit claim)", code="no_unit")
            query = query.where(ApplicationRow.unit == actor.unit)
        else:
            raise Forbidden(
                "applications are visible to applicants and to staff of the unit", code="role_required"
            )
        if state:
            query = query.where(WorkflowCaseRow.state == state)
        if matter:
            query = query.where(ApplicationRow.matter_code == matter)
        if priority is not None:
            query = query.where(ApplicationRow.priority.is_(priority))
        if overdue is not None:
            late = and_(WorkflowCaseRow.outcome.is_(None), WorkflowCaseRow.due_on < self._engine.today())
            query = query.where(late if overdue else or_(WorkflowCaseRow.due_on.is_(None), ~late))
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
            views = await self._views(session, rows[:limit])
            for view in views:  # one read entry per application listed
                self._audited(session, actor, Kind.READ, "list_applications", view)
        next_cursor = _encode_cursor(views[-1].priority, views[-1].id) if len(rows) > limit else None
        return views, next_cursor

    async def timeline(self, actor: Actor, application_id: int) -> Timeline:
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            (view,) = await self._views(session, [app])
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
                NoticeView(
                    id=n.id,
                    kind=n.kind,
                    body=n.body,
                    due_on=n.due_on,
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


# -- helpers ------------------------------------------------------------------------------------------

_PAYLOAD_NEEDS = {
    "refuse_acceptance": ("reasons", "the reasons for refusing acceptance"),
    "deny": ("reasons", "the reasons for the denial"),
    "extend": ("reason", "the reason for the extension, sent to the applicant"),
    "hold": ("reason", "why the clock stops: inspection, testing, expert_review or hearing"),
    "fail_post_check": ("comment", "what did not match the commitment"),
    "fail_recheck": ("comment", "what is still not corrected"),
}
HOLD_REASONS = frozenset({"inspection", "testing", "expert_review", "hearing"})


def _check_payload(action: str, payload: Mapping[str, Any]) -> None:
    need = _PAYLOAD_NEEDS.get(action)
    if need and not payload.get(need[0]):
        raise BadRequest(
            f"{action} needs {need[1]}",
            code="validation_failed",
            errors=[{"field": need[0], "message": f"required for {action}"}],
        )
    if action == "hold" and payload.get("reason") not in HOLD_REASONS:
        raise BadRequest(
            "the clock stops only for inspection, testing, expert_review or hearing (art. 45)",
            code="validation_failed",
            errors=[{"field": "reason", "message": "one of " + ", ".join(sorted(HOLD_REASONS))}],
        )


def _with_ownership(option: ActionOption, actor: Actor, app: ApplicationRow) -> ActionOption:
    """An applicant's roles allow the applicant actions of every application; only its own count."""
    if (
        option.allowed
        and actor.has(Role.APPLICANT)
        and not actor.is_staff
        and actor.ent != app.enterprise_uscc
    ):
        return msgspec.structs.replace(
            option, allowed=False, reasons=("this is another enterprise's application",)
        )
    return option


def _by_role(sub: str, roles: list[str]) -> str:
    if sub.startswith("system"):
        return "system"
    return roles[0] if roles else "unknown"


def _material_view(row: MaterialRow) -> MaterialView:
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


__all__ = ["HOLD_REASONS", "TERMINAL_OUTCOMES", "ApplicationService", "required_uploads"]
