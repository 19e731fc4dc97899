"""The application factory: wires the services of the composition root into Litestar."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
from govservice.api.controllers.enterprise_requests import EnterpriseRequestController
from govservice.api.controllers.enterprises import EnterpriseController
from govservice.api.controllers.evidence import EvidenceController
from govservice.api.controllers.inspection_plans import InspectionPlanController
from govservice.api.controllers.key_enterprise_care import KeyEnterpriseCareController
from govservice.api.controllers.key_enterprises import KeyEnterpriseController
from govservice.api.controllers.licences import LicenceController
from govservice.api.controllers.matters import MatterController
from govservice.api.controllers.metrics import MetricsController
from govservice.api.controllers.quality_review import (
    AssessorReviewController,
    PanelController,
    ReviewRoundController,
)
from govservice.api.controllers.quality_review_files import (
    ReviewCheckController,
    ReviewFileController,
    ReviewRoundFilesController,
)
from govservice.api.controllers.ratings import EvaluationController, WorkOrderController
from govservice.api.controllers.system import SystemController
from govservice.api.controllers.webhooks import WebhookController
from govservice.api.docs import assets_router, openapi_config
from govservice.api.hooks import before_request
from govservice.api.idempotency import IdempotencyMiddleware
from govservice.api.observe import RequestObserver
from govservice.api.openapi_finish import finish_openapi_when_built
from govservice.api.pages import COMPRESS_FROM, SKIP_COMPRESSION
from govservice.api.problems import EXCEPTION_HANDLERS
from govservice.api.security import BearerAuthentication, confine_assessors
from govservice.api.web import TEMPLATE_CONFIG, web_routers
from govservice.auth import Authenticator, KeyStore
from govservice.bootstrap import build_services, make_database
from govservice.config import Settings
from govservice.db.migrations import head_revision
from govservice.domain.clock import Clock, SystemClock
from govservice.services.webhooks import Resolver
from govservice.worker import run_worker


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    clock: Clock | None = None,
    keys: KeyStore | None = None,
    http: httpx.AsyncClient | None = None,
    resolve: Resolver | None = None,
) -> Litestar:
    """Build the app. Tests pass their own engine, clock, keys, an httpx client with a mock
    transport and a fake resolver of webhook hosts; `govservice serve` passes only settings."""
    owns_engine = engine is None
    engine = engine or make_database(settings)
    clock = clock or SystemClock()
    keys = keys or KeyStore.load_or_create(settings.var_dir, settings.token_ttl_seconds)
    services = build_services(settings, engine, clock, keys, http, resolve)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The embedded default runs the timer worker in-process; production runs `govservice worker`.
        stop = asyncio.Event()
        worker = (
            asyncio.create_task(
                run_worker(
                    services.engine,
                    stop,
                    before_start=services.catch_up_calendar,
                    each_round=services.background_round,
                )
            )
            if settings.run_worker
            else None
        )
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                await worker
            await services.webhooks.aclose()
            if owns_engine:
                await engine.dispose()

    def provide(value: object) -> Provide:
        return Provide(lambda: value, sync_to_thread=False)

    app = Litestar(
        route_handlers=[
            EvidenceController,
            SystemController,
            MatterController,
            ApplicationController,
            LicenceController,
            EnterpriseController,
            EvaluationController,
            WorkOrderController,
            AuditController,
            BoardController,
            WaiverRuleController,
            InspectionController,
            ViolationController,
            EnforcementStatisticsController,
            KeyEnterpriseController,
            KeyEnterpriseCareController,
            EnterpriseRequestController,
            InspectionPlanController,
            AssessmentController,
            MetricsController,
            WebhookController,
            PanelController,
            ReviewRoundController,
            ReviewRoundFilesController,
            ReviewFileController,
            ReviewCheckController,
            AssessorReviewController,
            assets_router(),
            *web_routers(),
        ],
        template_config=TEMPLATE_CONFIG,
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
            "inspections": provide(services.inspections),
            "violation_cases": provide(services.violation_cases),
            "evidence": provide(services.evidence),
            "engine_service": provide(services.engine),
            "assessment": provide(services.assessment),
            "key_enterprises": provide(services.key_enterprises),
            "key_requests": provide(services.key_requests),
            "key_care": provide(services.key_care),
            "inspection_plans": provide(services.inspection_plans),
            "webhooks": provide(services.webhooks),
            "quality_review": provide(services.quality_review),
        },
        middleware=[BearerAuthentication, IdempotencyMiddleware],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=before_request,
        openapi_config=openapi_config(__version__),
        compression_config=CompressionConfig(
            backend="gzip",
            minimum_size=COMPRESS_FROM,
            gzip_compress_level=5,  # the size of level 9 on our JSON at half its CPU
            exclude_opt_key=SKIP_COMPRESSION,
        ),
        lifespan=[lifespan],
        logging_config=None,
        debug=False,
    )
    app.asgi_handler = RequestObserver(app.asgi_handler)  # outside routing: unknown routes are seen too
    app.state.settings = settings
    app.state.ctx = services.ctx
    app.state.services = services
    app.state.signing_keys = keys  # not `keys`: State is a mapping and has a keys() method
    app.state.authenticator = Authenticator(settings, keys, clock, http)
    app.state.head_revision = head_revision()
    finish_openapi_when_built(app)
    return app
