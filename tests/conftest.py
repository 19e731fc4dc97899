"""Shared fixtures. Integration tests run on SQLite by default and on PostgreSQL when
GOVSERVICE_TEST_DATABASE_URL is set (e.g. postgresql+asyncpg://postgres@127.0.0.1/test)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.api.app import create_app
from govservice.auth import KeyStore, mint_token
from govservice.config import PROJECT_ROOT, Settings, load_settings
from govservice.db.base import Base
from govservice.db.engine import make_engine
from govservice.db.migrations import upgrade
from govservice.domain.clock import ManualClock
from govservice.services.webhooks import Resolver

PG_URL = os.environ.get("GOVSERVICE_TEST_DATABASE_URL")
WORKFLOWS = PROJECT_ROOT / "workflows"
# A Monday, 10:00 in Shanghai: a working day in the 2026 calendar.
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

_KEYS = KeyStore.generate()


@pytest.fixture
def keys() -> KeyStore:
    return _KEYS


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


def make_settings(tmp_path: Path, workflows: Path = WORKFLOWS) -> Settings:
    """The test settings: a throwaway var dir, no in-process worker, PostgreSQL when asked for."""
    env = {
        "GOVSERVICE_VAR_DIR": str(tmp_path / "var"),
        "GOVSERVICE_WORKFLOWS_DIR": str(workflows),
        "GOVSERVICE_CATALOGUE_CACHE_SECONDS": "0",
        "GOVSERVICE_RUN_WORKER": "false",
    }
    if PG_URL:
        env["GOVSERVICE_DATABASE_URL"] = PG_URL
    return load_settings(env)


_pg_migrated = False


async def _reset_postgres(engine: AsyncEngine) -> None:
    global _pg_migrated
    if not _pg_migrated:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(engine)
        _pg_migrated = True
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


_sqlite_template: Path | None = None


async def _migrated_sqlite_copy(database: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A copy of a database migrated once per test session (migrating each test's took a fifth
    of the suite's time)."""
    global _sqlite_template
    if _sqlite_template is None:
        template = tmp_path_factory.mktemp("template") / "migrated.db"
        migrated = make_engine(f"sqlite+aiosqlite:///{template}")
        await upgrade(migrated)
        await migrated.dispose()  # the last connection to close checkpoints the WAL into the file
        _sqlite_template = template
    _copy_private(_sqlite_template, database)


def _copy_private(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(source, target)
    target.chmod(0o600)


@pytest.fixture
async def engine(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    if not PG_URL:
        await _migrated_sqlite_copy(Path(make_url(settings.database_url).database or ""), tmp_path_factory)
    engine = make_engine(settings.database_url)
    if PG_URL:
        await _reset_postgres(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def http_transport() -> httpx.AsyncBaseTransport | None:
    """Outgoing HTTP (an identity provider's JWKS); tests override this with a MockTransport."""
    return None


@pytest.fixture
def webhook_resolver() -> Resolver | None:
    """How the webhook courier resolves host names (None: the system's); tests override it."""
    return None


@pytest.fixture
async def app(
    settings: Settings,
    engine: AsyncEngine,
    clock: ManualClock,
    keys: KeyStore,
    http_transport: httpx.AsyncBaseTransport | None,
    webhook_resolver: Resolver | None,
):  # type: ignore[no-untyped-def]
    http = httpx.AsyncClient(transport=http_transport) if http_transport else None
    application = create_app(
        settings, engine=engine, clock=clock, keys=keys, http=http, resolve=webhook_resolver
    )
    files = sorted((WORKFLOWS / "catalog").glob("*.yaml"))
    from govservice.domain.actor import Actor, Role

    await application.state.services.catalogue.seed(files, Actor(sub="seed", roles=frozenset({Role.ADMIN})))
    await application.state.services.engine.publish_directory()
    yield application
    if http is not None:
        await http.aclose()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture
def auth(keys: KeyStore, settings: Settings, clock: ManualClock) -> TokenFactory:
    """auth("admin") or auth("applicant", ent=USCC) -> headers with a bearer token."""

    def make(
        *roles: str,
        sub: str | None = None,
        ent: str | None = None,
        unit: str | None = None,
        name: str | None = None,
        ttl: int = 90 * 86400,
    ) -> dict[str, str]:
        token = mint_token(
            keys,
            issuer=settings.issuer,
            audience=settings.audience,
            sub=sub or f"{roles[0]}-1",
            roles=roles,
            now=clock.now(),
            ttl_seconds=ttl,
            ent=ent,
            unit=unit,
            name=name,
        )
        return {"Authorization": f"Bearer {token}"}

    return make
