"""The application factory: wires settings, database, clock and keys into Litestar."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice import __version__
from govservice.api.controllers.applications import ApplicationController
from govservice.api.controllers.assessment import AssessmentController
from govservice.api.controllers.audit import AuditController
from govservice.api.controllers.board import BoardController
from govservice.api.controllers.enforcement import (
    EnforcementStatisticsController,
    InspectionController,
    ViolationController,
    WaiverRuleController,
)
from govservice.api.controllers.enterprises import EnterpriseController
from govservice.api.controllers.evidence import EvidenceController
from govservice.api.controllers.key_enterprises import (
    EnterpriseRequestController,
    InspectionPlanController,
    KeyEnterpriseController,
)
from govservice.api.controllers.licences import LicenceController
from govservice.api.controllers.matters import MatterController
from govservice.api.controllers.metrics import PROMETHEUS, MetricsController
from govservice.api.controllers.ratings import EvaluationController, WorkOrderController
from govservice.api.controllers.system import SystemController
from govservice.api.controllers.webhooks import WebhookController
from govservice.api.docs import assets_router, openapi_config
from govservice.api.idempotency import IdempotencyMiddleware
from govservice.api.media import require_declared_media_type
from govservice.api.pages import COMPRESS_FROM, SKIP_COMPRESSION
from govservice.api.problems import EXCEPTION_HANDLERS
from govservice.api.security import BearerAuthentication, confine_assessors
from govservice.auth import Authenticator, KeyStore
from govservice.config import Settings
from govservice.db.engine import make_engine, make_sessionmaker
from govservice.db.migrations import head_revision
from govservice.domain.clock import Clock, SystemClock
from govservice.services.applications import ApplicationService
from govservice.services.applications.deadlines import follow_rederived
from govservice.services.assessment import AssessmentService
from govservice.services.audit import AuditLog
from govservice.services.board import BoardService
from govservice.services.calendar_rollover import CalendarRollover
from govservice.services.catalogue import CatalogueService
from govservice.services.context import ServiceContext
from govservice.services.enforcement import EnforcementCases, EnforcementService
from govservice.services.enforcement.evidence import EvidenceService
from govservice.services.engine import EngineService
from govservice.services.enterprises import EnterpriseService
from govservice.services.idempotency import IdempotencyService
from govservice.services.key_enterprises import (
    CareService,
    InspectionPlans,
    KeyEnterpriseRegistry,
    RequestService,
    load_service_package,
)
from govservice.services.licences import LicenceService
from govservice.services.ratings import RatingService, WorkOrderService
from govservice.services.webhooks import WebhookService
from govservice.storage import LocalFileStore
from govservice.worker import run_worker


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
    enforcement_cases: EnforcementCases
    evidence: EvidenceService
    assessment: AssessmentService
    key_enterprises: KeyEnterpriseRegistry
    key_requests: RequestService
    key_care: CareService
    inspection_plans: InspectionPlans
    webhooks: WebhookService
    rollover: CalendarRollover

    async def catch_up_calendar(self) -> None:
        """Deadlines counted on a provisional year that now has its official file are re-derived,
        and the re-derivations go to the audit trail (before the worker's first round)."""
        report = await self.rollover.run()
        if report.cases:
            await self.audit.record_timer_steps()


def build_services(settings: Settings, engine: AsyncEngine, clock: Clock, keys: KeyStore | None = None,
                   http: httpx.AsyncClient | None = None) -> Services:
    files = LocalFileStore(settings.var_dir / "files")
    ctx = ServiceContext(settings=settings, engine=engine, sessions=make_sessionmaker(engine), clock=clock,
                         signing_keys=keys, files=files, package=load_service_package(settings.workflows_dir))
    catalogue = CatalogueService(ctx)
    workflow = EngineService(ctx)
    audit = AuditLog(ctx)
    work_orders = WorkOrderService(ctx, workflow, audit)
    enforcement = EnforcementService(ctx)
    registry = KeyEnterpriseRegistry(ctx, workflow.today, audit)
    return Services(
        ctx=ctx, catalogue=catalogue, idempotency=IdempotencyService(ctx), engine=workflow,
        applications=ApplicationService(ctx, workflow, catalogue, files, audit), licences=LicenceService(ctx),
        enterprises=EnterpriseService(ctx), audit=audit, work_orders=work_orders,
        ratings=RatingService(ctx, work_orders, audit), board=BoardService(ctx, workflow),
        enforcement=enforcement, enforcement_cases=EnforcementCases(ctx, workflow, enforcement, audit),
        evidence=EvidenceService(ctx), key_enterprises=registry,
        key_requests=RequestService(ctx, workflow, registry, audit), key_care=CareService(ctx, registry, audit),
        inspection_plans=InspectionPlans(ctx), assessment=AssessmentService(ctx, workflow, catalogue, audit),
        webhooks=WebhookService(ctx, http),
        rollover=CalendarRollover(workflow, {"application": follow_rederived}),
    )


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    clock: Clock | None = None,
    keys: KeyStore | None = None,
    http: httpx.AsyncClient | None = None,
) -> Litestar:
    """Build the app. Tests pass their own engine, clock, keys and an httpx client with a mock
    transport; `govservice serve` passes only settings."""
    owns_engine = engine is None
    engine = engine or make_engine(settings.database_url)
    clock = clock or SystemClock()
    keys = keys or KeyStore.load_or_create(settings.var_dir)
    services = build_services(settings, engine, clock, keys, http)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The embedded default runs the timer worker in-process; production runs `govservice worker`.
        stop = asyncio.Event()
        worker = (asyncio.create_task(run_worker(services.engine, stop,
                                                 before_start=services.catch_up_calendar,
                                                 after_round=services.audit.record_timer_steps,
                                                 each_round=services.webhooks.run_round))
                  if settings.run_worker else None)
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                await worker
            await services.engine.aclose()
            await services.webhooks.aclose()
            if owns_engine:
                await engine.dispose()

    def provide(value: object) -> Provide:
        return Provide(lambda: value, sync_to_thread=False)

    app = Litestar(
        route_handlers=[EvidenceController, SystemController, MatterController, ApplicationController, LicenceController,
                        EnterpriseController, EvaluationController, WorkOrderController, AuditController,
                        BoardController, WaiverRuleController, InspectionController, ViolationController,
                        EnforcementStatisticsController, KeyEnterpriseController, EnterpriseRequestController,
                        InspectionPlanController, AssessmentController, MetricsController, WebhookController,
                        assets_router()],
        guards=[confine_assessors],
        dependencies={
            "catalogue": provide(services.catalogue),
            "applications": provide(services.applications),
            "licences": provide(services.licences),
            "enterprises": provide(services.enterprises),
            "audit": provide(services.audit),
            "ratings": provide(services.ratings),
            "work_orders": provide(services.work_orders),
            "board": provide(services.board),
            "enforcement": provide(services.enforcement),
            "cases": provide(services.enforcement_cases),
            "evidence": provide(services.evidence),
            "engine_service": provide(services.engine),
            "assessment": provide(services.assessment),
            "key_enterprises": provide(services.key_enterprises),
            "key_requests": provide(services.key_requests),
            "key_care": provide(services.key_care),
            "inspection_plans": provide(services.inspection_plans),
            "webhooks": provide(services.webhooks),
        },
        middleware=[PROMETHEUS.middleware, BearerAuthentication, IdempotencyMiddleware],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_request=require_declared_media_type,
        openapi_config=openapi_config(__version__),
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=COMPRESS_FROM, exclude_opt_key=SKIP_COMPRESSION
        ),
        lifespan=[lifespan],
        logging_config=None,
        debug=False,
    )
    app.state.settings = settings
    app.state.ctx = services.ctx
    app.state.services = services
    app.state.signing_keys = keys  # not `keys`: State is a mapping and has a keys() method
    app.state.authenticator = Authenticator(settings, keys, clock, http)
    app.state.head_revision = head_revision()
    return app
