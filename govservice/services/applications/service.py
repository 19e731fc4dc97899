"""Application use cases: create or file, upload materials, take actions, record visits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import (
    ApplicationRow,
    MaterialRow,
    VisitRow,
)
from govservice.domain.actor import Actor, Role
from govservice.domain.catalogue import Route
from govservice.domain.enterprise import CreditStatus, is_creditworthy
from govservice.domain.materials import find_material, required_uploads
from govservice.domain.uscc import uscc_problem
from govservice.errors import BadRequest, Forbidden, RuleViolation
from govservice.services import enterprise_names
from govservice.services.actions import ActionUseCase
from govservice.services.applications import records
from govservice.services.applications.actions import ApplicationActions
from govservice.services.applications.plugins import outstanding_supplements
from govservice.services.applications.reads import ApplicationReads, material_view
from govservice.services.applications.uploads import check_upload
from govservice.services.applications.views import (
    ApplicationView,
    MaterialView,
    VisitView,
    visit_warning,
)
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.catalogue import CatalogueService
from govservice.services.context import ServiceContext
from govservice.services.engine import CaseView, EngineService
from govservice.storage import FileStore, StagedFile
from govservice.workflow import ActionOption


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """An upload as received: its file already staged (:meth:`FileStore.staged`)."""

    filename: str
    content_type: str
    content: bytes
    staged: StagedFile


TERMINAL_OUTCOMES = ("approved", "denied", "refused", "withdrawn", "terminated", "completed", "revoked")
# States in which an applicant may upload; supplements may come in any open state.
UPLOAD_STATES = frozenset({"draft", "correcting"})


class ApplicationService(ApplicationReads):
    """The use cases that change an application, each one unit of work."""

    def __init__(
        self,
        ctx: ServiceContext,
        engine: EngineService,
        catalogue: CatalogueService,
        files: FileStore,
        audit: AuditLog,
        actions: ActionUseCase,
    ) -> None:
        super().__init__(ctx, engine, catalogue, files, audit)
        self._actions = actions
        self._subject = ApplicationActions(self)

    # -- creating and filing -------------------------------------------------------------------

    async def create(
        self,
        actor: Actor,
        *,
        matter_code: str,
        route: Route,
        enterprise_name: str | None,
        enterprise_uscc: str | None,
        channel: str,
        commitment_signed: bool,
        file: bool,
        comment: str | None = None,
    ) -> ApplicationView:
        uscc = self._enterprise_of(actor, enterprise_uscc, channel)
        # one unit of work: the matter's version, the enterprise, the case and the application
        async with self._ctx.transaction() as session:
            matter = await self._catalogue.for_filing(matter_code, session)
            guide = matter.guide
            if route not in guide.routes:
                raise RuleViolation(
                    f"matter {matter_code} offers the routes {', '.join(guide.routes)}, not {route}",
                    code="route_not_offered",
                )
            process_id = guide.processes[route]
            enterprise = await enterprise_names.register_or_read(
                session, uscc, enterprise_name, at=self._ctx.clock.now()
            )
            credit = enterprise.credit_status
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
                enterprise_name=enterprise.name,  # the record's name, not this filing's text
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
            records.note_new(session, row.id)
            if file:
                return await self._actions.act_on(
                    session, self._subject, actor, row, "file", {"comment": comment} if comment else {}
                )
            (view,) = await self._views(session, actor, [row])
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
        # staged (written and synced) before the unit of work, placed inside it if the upload is taken
        async with self._files.staged(content) as staged, self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            case = await self._engine.get_case(app.case_id, session)
            guide = await records.guide(session, app)
            outstanding: tuple[str, ...] = ()
            if case.state not in UPLOAD_STATES and case.outcome is None:  # only supplements may come now
                present = await records.present_materials(session, app.id)
                outstanding = await outstanding_supplements(session, app, present)
            incoming = IncomingFile(filename, content_type, content, staged)
            return await self._store_upload(
                session, actor, app, case, guide, outstanding, material_code, incoming
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
        incoming: IncomingFile,
    ) -> MaterialView:
        filename, content_type, content = incoming.filename, incoming.content_type, incoming.content
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
        digest = await incoming.staged.keep()  # content-addressed: a rollback leaves a harmless orphan
        if material_code in await records.present_materials(session, app.id):  # read with the application
            await session.execute(
                update(MaterialRow)
                .where(
                    MaterialRow.application_id == app.id,
                    MaterialRow.material_code == material_code,
                    MaterialRow.current.is_(True),
                )
                .values(current=False)
            )
        records.materials_changed(session, app.id)
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
        return material_view(row)

    # -- actions ----------------------------------------------------------------------------------

    async def actions(self, actor: Actor, application_id: int) -> list[ActionOption]:
        return await self._actions.options(self._subject, actor, application_id)

    async def act(
        self,
        actor: Actor,
        application_id: int,
        action: str,
        *,
        payload: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> ApplicationView:
        return await self._actions.act(
            self._subject, actor, application_id, action, payload, expected_version
        )

    async def record_visit(self, actor: Actor, application_id: int, purpose: str) -> VisitView:
        if not actor.has(Role.CLERK, Role.SUPERVISOR):
            raise Forbidden("visits are recorded by staff at the window", code="role_required")
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            if app.concluded_at is not None:
                raise RuleViolation("the application is concluded", code="application_concluded")
            app.visits += 1
            max_visits = (await records.guide(session, app)).max_visits
            app.promise_broken = app.visits > max_visits  # shown at once, not only at conclusion
            row = VisitRow(
                application_id=app.id, purpose=purpose, at=self._ctx.clock.now(), recorded_by=actor.sub
            )
            session.add(row)
            await session.flush()
            self._audited(session, actor, Kind.CHANGE, "record_visit", app)
            return VisitView(
                id=row.id,
                purpose=row.purpose,
                at=row.at,
                number=app.visits,
                promise_broken=app.promise_broken,
                warning=visit_warning(app.visits, max_visits),
            )

    async def sign_commitment(self, actor: Actor, application_id: int) -> ApplicationView:
        async with self._ctx.transaction() as session:
            app = await self._load(session, application_id, actor)
            if not (actor.has(Role.APPLICANT) and actor.ent == app.enterprise_uscc):
                raise Forbidden("only the applicant signs its commitment", code="role_required")
            if app.concluded_at is not None:
                raise RuleViolation("the application is concluded", code="application_concluded")
            app.commitment_signed = True
            await session.flush()
            (view,) = await self._views(session, actor, [app])
            self._audited(session, actor, Kind.CHANGE, "sign_commitment", view)
        return view


__all__ = ["TERMINAL_OUTCOMES", "ApplicationService", "required_uploads"]
