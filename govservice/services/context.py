from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from govservice.auth import KeyStore
from govservice.config import Settings
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
