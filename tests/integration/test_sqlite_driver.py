"""SQLite statements run on the event loop, but nothing that waits or runs long stalls it: a
statement that finds the database locked by another connection waits in a thread, and a long read
moves to a thread (see govservice.db.sqlite_driver)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.db.engine import WRITE, make_engine
from govservice.db.sqlite_driver import CHECKPOINT_EVERY

COUNT_TO = 2_000_000
LONG_READ = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < :top) SELECT count(*) FROM n"
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "driver.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x INTEGER)")
    yield path


@asynccontextmanager
async def engine_on(path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def ticking() -> AsyncIterator[list[float]]:
    """Times at which a coroutine beside the test got the loop, every 5 ms while it could."""
    ticks: list[float] = []

    async def tick() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    try:
        yield ticks
    finally:
        ticker.cancel()


async def test_a_write_finding_the_database_locked_waits_for_it_without_stalling_the_loop(db: Path) -> None:
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    async with engine_on(db) as engine, ticking() as ticks:

        async def write() -> float:
            async with engine.connect() as conn:
                conn = await conn.execution_options(**{WRITE: True})
                await conn.execute(text("INSERT INTO t VALUES (2)"))
                await conn.commit()
            return time.monotonic()

        writer = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writer.done()
        released = time.monotonic()
        other.execute("COMMIT")
        written = await writer
        waiting = [t for t in ticks if t < released]
    assert written >= released
    assert len(waiting) >= 20, f"the loop ran {len(waiting)} times in 0.3 s while the write waited"
    assert [row[0] for row in other.execute("SELECT x FROM t ORDER BY x")] == [1, 2]
    other.close()


async def test_a_long_read_runs_beside_the_loop_and_returns_its_whole_result(db: Path) -> None:
    async with engine_on(db) as engine, ticking() as ticks, engine.connect() as conn:
        started = time.monotonic()
        counted = await conn.scalar(text(LONG_READ), {"top": COUNT_TO})
        took = time.monotonic() - started
    assert counted == COUNT_TO
    assert took > 0.1, "the read was too short to show anything"
    assert len([t for t in ticks if started <= t]) >= took / 0.005 / 4


async def test_a_long_write_is_not_interrupted_and_its_transaction_holds(db: Path) -> None:
    async with engine_on(db) as engine:
        async with engine.connect() as conn:
            conn = await conn.execution_options(**{WRITE: True})
            await conn.execute(text("INSERT INTO t VALUES (-1)"))
            await conn.execute(
                text(
                    "INSERT INTO t WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                    "WHERE x < :top) SELECT x FROM n"
                ),
                {"top": 300_000},
            )
            await conn.commit()
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM t")) == 300_001


async def test_the_wal_is_checkpointed_as_writes_commit(db: Path) -> None:
    """SQLite's own checkpoint is off (it would run on the loop); the driver's keeps the log short."""
    commits = 3 * CHECKPOINT_EVERY
    async with engine_on(db) as engine:
        sizes = []
        for _ in range(commits):
            async with engine.connect() as conn:
                conn = await conn.execution_options(**{WRITE: True})
                await conn.execute(text("INSERT INTO t VALUES (zeroblob(4000))"))
                await conn.commit()
            sizes.append(db.with_name(f"{db.name}-wal").stat().st_size)
    unchecked = commits * sizes[0]  # what the log would hold if nothing were copied back
    assert max(sizes) < unchecked / 2, f"the WAL grew to {max(sizes)} bytes in {commits} commits"
