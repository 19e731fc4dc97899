"""Units of work take turns for the pool's connections in the order they arrive (SQLite by
default, PostgreSQL when GOVSERVICE_TEST_DATABASE_URL is set).

SQLAlchemy's pool queue lets a unit that arrives just as a connection is handed back take it ahead
of one that was waiting, which goes to the back of the queue: under load a few requests waited
seconds while the median waited a fraction of one (:class:`govservice.db.engine.UnitSession`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.config import Settings
from govservice.db.engine import make_engine, make_sessionmaker

UNITS = 24


@pytest.fixture
async def small_pool(settings: Settings, engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """One connection, no overflow, on the migrated test database (``engine`` prepared it): the
    units hold it one after another, so the order they are served in is the order of their turns."""
    small = make_engine(settings.database_url, pool_size=1, max_overflow=0, pool_timeout=2)
    yield small
    await small.dispose()


async def test_units_of_work_get_a_connection_in_the_order_they_arrive(small_pool: AsyncEngine) -> None:
    sessions = make_sessionmaker(small_pool)
    served: list[int] = []

    async def unit(n: int) -> None:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
            served.append(n)
            await asyncio.sleep(0.005)  # the connection is held a moment, as a request holds it

    tasks = []
    for n in range(UNITS):  # each arrives while an earlier one holds the connection and others wait
        tasks.append(asyncio.create_task(unit(n)))
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks)
    assert served == list(range(UNITS))


async def test_a_unit_that_gets_no_connection_in_time_fails_with_the_pool_timeout(
    small_pool: AsyncEngine,
) -> None:
    sessions = make_sessionmaker(small_pool)
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
            holding.set()
            await release.wait()

    holders = [asyncio.create_task(holder())]
    await holding.wait()
    with pytest.raises(PoolTimeout):  # answered 503 with Retry-After (api/problems.py)
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
    release.set()
    await asyncio.gather(*holders)
    async with sessions() as session:  # the turn it gave up is not lost
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
