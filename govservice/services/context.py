from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from govservice.auth import KeyStore
from govservice.config import Settings
from govservice.db.engine import make_sessionmaker
from govservice.domain.clock import Clock
from govservice.domain.packages import ServicePackage
from govservice.storage import FileStore


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What every service needs: configuration, the database, the one clock, the signing key
    (e-licences), the file store (materials) and the key-enterprise service package in force."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    signing_keys: KeyStore | None = None
    files: FileStore | None = None
    package: ServicePackage | None = None
    # Sessions of units of work that write, derived from ``engine`` (BEGIN IMMEDIATE on SQLite: a
    # writer waits for the lock, never fails on it).
    writers: async_sessionmaker[AsyncSession] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "writers", make_sessionmaker(self.engine, write=True))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work that writes: one connection, one transaction, committed on leaving the
        block (rolled back on an exception). Everything the use case reads and writes goes through
        this session, its audit entries included."""
        async with self.writers() as session, session.begin():
            yield session

    @asynccontextmanager
    async def writing(self, session: AsyncSession | None) -> AsyncIterator[AsyncSession]:
        """The caller's unit of work, or a new one when it has none (scripts, timers, tests)."""
        if session is not None:
            yield session
        else:
            async with self.transaction() as own:
                yield own

    @asynccontextmanager
    async def reading(self, session: AsyncSession | None) -> AsyncIterator[AsyncSession]:
        """The caller's session, or a read-only one of its own when it has none."""
        if session is not None:
            yield session
        else:
            async with self.sessions() as own:
                yield own
