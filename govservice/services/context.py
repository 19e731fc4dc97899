from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from govservice.auth import KeyStore
from govservice.config import Settings
from govservice.db.engine import make_sessionmaker, refuse_nested_unit
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
    # SQLite: this process's writing units of work take turns here, in arrival order, before their
    # session takes a connection. Left to SQLite's busy handler, waiting writers poll with sleeps of up to
    # 100 ms and the unlucky ones wait seconds (p99 2 s at 16 clients); PostgreSQL locks rows.
    write_turns: asyncio.Lock | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "writers", make_sessionmaker(self.engine, write=True))
        sqlite = self.engine.dialect.name == "sqlite"
        object.__setattr__(self, "write_turns", asyncio.Lock() if sqlite else None)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work that writes: one connection, one transaction, committed on leaving the
        block (rolled back on an exception). Everything the use case reads and writes goes through
        this session, its audit entries included."""
        turn = self.write_turns if self.write_turns is not None else contextlib.nullcontext()
        refuse_nested_unit()  # before it would wait for the turn its own task holds
        # The write turn before the session's turn for a connection: writers waiting for theirs hold
        # no connection that a reader could use meanwhile.
        async with turn, self.writers() as session, session.begin():
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
