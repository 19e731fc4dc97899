"""The composition root: settings, database, clock, keys and every service, built once for the app,
the worker and the command line alike (none of them imports another to get them).

    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size, ...)
    services = build_services(settings, engine, SystemClock(), KeyStore.load_or_create(settings.var_dir))

The workflow engine's extensions are listed here too (:func:`engine_extensions`): each context
hands over its guards, effects, facts builders and effect handlers as one object.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.auth import KeyStore
from govservice.config import Settings, ensure_private_dir
from govservice.db.engine import make_engine, make_sessionmaker
from govservice.domain.clock import Clock
from govservice.services.actions import ActionUseCase
from govservice.services.applications import ENGINE_EXTENSION as APPLICATIONS
from govservice.services.applications import ApplicationService
from govservice.services.applications.deadlines import follow_rederived
from govservice.services.assessment import AssessmentService
from govservice.services.audit import AuditLog
from govservice.services.board import BoardService
from govservice.services.calendar_rollover import CalendarRollover
from govservice.services.catalogue import CatalogueService
from govservice.services.context import ServiceContext
from govservice.services.enforcement import ENGINE_EXTENSION as ENFORCEMENT
from govservice.services.enforcement import EnforcementService, Inspections, ViolationCases
from govservice.services.enforcement.evidence import EvidenceService
from govservice.services.engine import EngineService, Plugins
from govservice.services.enterprises import EnterpriseService
from govservice.services.idempotency import IdempotencyService
from govservice.services.key_enterprises import ENGINE_EXTENSION as KEY_ENTERPRISES
from govservice.services.key_enterprises import (
    CareService,
    InspectionPlans,
    KeyEnterpriseRegistry,
    RequestService,
    load_service_package,
)
from govservice.services.licences import LicenceService
from govservice.services.quality_review import ENGINE_EXTENSION as QUALITY_REVIEW
from govservice.services.quality_review import QualityReview
from govservice.services.ratings import ENGINE_EXTENSION as RATINGS
from govservice.services.ratings import RatingService, WorkOrderService
from govservice.services.webhooks import Resolver, WebhookService
from govservice.storage import LocalFileStore
from govservice.workflow import BUILTINS


@dataclass(frozen=True, slots=True)
class Services:
    ctx: ServiceContext
    catalogue: CatalogueService
    idempotency: IdempotencyService
    engine: EngineService
    applications: ApplicationService
    licences: LicenceService
    enterprises: EnterpriseService
    audit: AuditLog
    work_orders: WorkOrderService
    ratings: RatingService
    board: BoardService
    enforcement: EnforcementService
    inspections: Inspections
    violation_cases: ViolationCases
    evidence: EvidenceService
    assessment: AssessmentService
    key_enterprises: KeyEnterpriseRegistry
    key_requests: RequestService
    key_care: CareService
    inspection_plans: InspectionPlans
    webhooks: WebhookService
    rollover: CalendarRollover
    quality_review: QualityReview

    async def catch_up_calendar(self) -> None:
        """Deadlines counted on a provisional year that now has its official file are re-derived,
        and the re-derivations (and any system step not yet in the trail) go to the audit trail
        (before the worker's first round)."""
        await self.rollover.run()
        while await self.audit.record_timer_steps() > 0:
            pass

    async def background_round(self) -> None:
        """What the worker does each round besides firing timers: seal the audit entries recorded
        since the last round into the chain, turn the outbox into webhook deliveries, and purge a
        batch of expired Idempotency-Key records (one short transaction)."""
        while await self.audit.seal() > 0:
            pass
        await self.webhooks.run_round()
        await self.idempotency.purge_expired()


def engine_extensions() -> Plugins:
    """The engine's guards, effects, facts builders and effect handlers: every context's, listed
    here and nowhere else (the app, the worker, ``govservice workflows`` and the tests all take
    them from here). A name two contexts give is a ValueError."""
    return Plugins.compose(BUILTINS, APPLICATIONS, ENFORCEMENT, KEY_ENTERPRISES, RATINGS, QUALITY_REVIEW)


def build_services(
    settings: Settings,
    engine: AsyncEngine,
    clock: Clock,
    keys: KeyStore | None = None,
    http: httpx.AsyncClient | None = None,
    resolve: Resolver | None = None,
) -> Services:
    """``http`` and ``resolve`` (host name to addresses) are the webhook courier's; tests pass a
    mock transport and a fake resolver."""
    ensure_private_dir(settings.var_dir)
    files = LocalFileStore(settings.var_dir / "files")
    files.sweep_staged()
    ctx = ServiceContext(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        clock=clock,
        signing_keys=keys,
        files=files,
        package=load_service_package(settings.workflows_dir),
    )
    catalogue = CatalogueService(ctx)
    workflow = EngineService(ctx, engine_extensions())
    audit = AuditLog(ctx)
    workflow.system_step_hooks.append(audit.record_system_step)
    actions = ActionUseCase(ctx, workflow, audit)
    work_orders = WorkOrderService(ctx, workflow, audit, actions)
    enforcement = EnforcementService(ctx)
    registry = KeyEnterpriseRegistry(ctx, workflow.today, audit)
    return Services(
        ctx=ctx,
        catalogue=catalogue,
        idempotency=IdempotencyService(ctx),
        engine=workflow,
        applications=ApplicationService(ctx, workflow, catalogue, files, audit, actions),
        licences=LicenceService(ctx),
        enterprises=EnterpriseService(ctx, audit),
        audit=audit,
        work_orders=work_orders,
        ratings=RatingService(ctx, work_orders, audit),
        board=BoardService(ctx, workflow),
        enforcement=enforcement,
        inspections=Inspections(ctx, workflow, enforcement, audit),
        violation_cases=ViolationCases(ctx, workflow, audit, actions),
        evidence=EvidenceService(ctx, audit),
        key_enterprises=registry,
        key_requests=RequestService(ctx, workflow, registry, audit, actions),
        key_care=CareService(ctx, registry, audit),
        inspection_plans=InspectionPlans(ctx, audit),
        assessment=AssessmentService(ctx, workflow, catalogue, audit),
        webhooks=WebhookService(ctx, http, resolve),
        rollover=CalendarRollover(workflow, {"application": follow_rederived}),
        quality_review=QualityReview(ctx, workflow, audit, actions),
    )


def make_database(settings: Settings) -> AsyncEngine:
    """The database engine, with the pool sizes of the configuration."""
    return make_engine(
        settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
    )
