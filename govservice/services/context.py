from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from govservice.auth import KeyStore
from govservice.config import Settings
from govservice.domain.clock import Clock
from govservice.storage import FileStore


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What every service needs: configuration, the database, the one clock, the signing key
    (e-licences) and the file store (materials)."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    signing_keys: KeyStore | None = None
    files: FileStore | None = None
