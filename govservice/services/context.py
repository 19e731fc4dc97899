from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from govservice.config import Settings
from govservice.domain.clock import Clock


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What every service needs: configuration, the database and the one clock."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
