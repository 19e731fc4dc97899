"""The application factory: wires settings, database, clock and keys into Litestar."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice import __version__
from govservice.api.controllers.matters import MatterController
from govservice.api.controllers.system import SystemController
from govservice.api.docs import assets_router, openapi_config
from govservice.api.problems import EXCEPTION_HANDLERS
from govservice.api.idempotency import IdempotencyMiddleware
from govservice.api.security import BearerAuthentication
from govservice.auth import Authenticator, KeyStore
from govservice.config import Settings
from govservice.db.engine import make_engine, make_sessionmaker
from govservice.db.migrations import head_revision
from govservice.domain.clock import Clock, SystemClock
from govservice.services.catalogue import CatalogueService
from govservice.services.context import ServiceContext
from govservice.services.idempotency import IdempotencyService


@dataclass(frozen=True, slots=True)
class Services:
    ctx: ServiceContext
    catalogue: CatalogueService
    idempotency: IdempotencyService


def build_services(settings: Settings, engine: AsyncEngine, clock: Clock) -> Services:
    ctx = ServiceContext(settings=settings, engine=engine, sessions=make_sessionmaker(engine), clock=clock)
    return Services(ctx=ctx, catalogue=CatalogueService(ctx), idempotency=IdempotencyService(ctx))


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
    services = build_services(settings, engine, clock)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owns_engine:
                await engine.dispose()

    def provide(value: object) -> Provide:
        return Provide(lambda: value, sync_to_thread=False)

    app = Litestar(
        route_handlers=[SystemController, MatterController, assets_router()],
        dependencies={"catalogue": provide(services.catalogue)},
        middleware=[BearerAuthentication, IdempotencyMiddleware],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=openapi_config(__version__),
        compression_config=CompressionConfig(backend="gzip", minimum_size=2048),
        lifespan=[lifespan],
        logging_config=None,
        debug=False,
    )
    app.state.settings = settings
    app.state.ctx = services.ctx
    app.state.services = services
    app.state.keys = keys
    app.state.authenticator = Authenticator(settings, keys, clock, http)
    app.state.head_revision = head_revision()
    return app
