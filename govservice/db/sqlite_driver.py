"""SQLite connections whose statements run on the event loop, for SQLAlchemy's aiosqlite dialect.

Why not aiosqlite's own connection: it runs every call (execute, fetch, close, commit) in a thread
of its own and hands the result back through the event loop, two thread switches per call. A step
makes about twenty such calls, each a few microseconds of SQLite work, so the switches were most
of a step's time (and the GIL hand-offs much of its CPU). Here a call runs where it is made; only
these leave the loop for a thread, so that no request stalls the others:

- a statement that finds the database locked by another process (another ``govservice`` command
  writing): the loop never waits on SQLite's busy handler; the statement is retried in a thread
  that waits up to ``BUSY_TIMEOUT_MS``. SQLite undoes a statement that returned ``SQLITE_BUSY``,
  so running it again is safe. Within one process writers already take turns before they start
  (:meth:`govservice.services.context.ServiceContext.transaction`);
- a read (``SELECT``) that has used ``READ_SLICE`` seconds of CPU, a report over many rows, say
  (CPU, not wall-clock time, so that a busy machine does not move short reads): a progress handler
  interrupts it and it runs again, whole, in a thread. An interrupted ``SELECT``
  leaves its transaction as it was; a write is never interrupted (SQLite would roll back the
  whole transaction), and writes are short;
- the WAL checkpoint, which copies the log into the database file and syncs it (tens of
  milliseconds): SQLite's automatic one would run inside a commit, on the loop, so it is switched
  off and every ``CHECKPOINT_EVERY`` writing commits of this process the committing unit of work
  runs a passive one in a thread before it hands its connection back.

The connection has the part of aiosqlite's interface that SQLAlchemy's adapter uses.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

BUSY_TIMEOUT_MS = 30000
READ_SLICE = 0.002  # CPU seconds a SELECT may take on the event loop before it moves to a thread
CHECKPOINT_EVERY = 200  # writing commits between two WAL checkpoints (SQLite's own: 1,000 pages)
_CHECK_EVERY = 1000  # SQLite virtual-machine instructions between two looks at the clock
_PLAIN_READ = re.compile(r"\s*(SELECT|WITH)\b(?!.*\b(INSERT|UPDATE|DELETE|REPLACE)\b)", re.I | re.S)
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


@functools.lru_cache(maxsize=4096)  # the statements are SQLAlchemy's compiled (cached) strings
def _plain_read(sql: str) -> bool:
    return _PLAIN_READ.match(sql) is not None


_T = TypeVar("_T")


def _pragma(conn: sqlite3.Connection, pragma: str) -> None:
    """Run ``PRAGMA pragma`` to its end. Most pragmas answer a row; a cursor left holding it keeps
    its statement in progress until the cursor is collected, and a commit on the connection
    meanwhile fails ("cannot commit transaction - SQL statements in progress")."""
    cursor = conn.execute(f"PRAGMA {pragma}")
    try:
        cursor.fetchall()
    finally:
        cursor.close()


def _pragmas(conn: sqlite3.Connection) -> None:
    pragmas = (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=0",
        "wal_autocheckpoint=0",
    )
    for pragma in pragmas:
        _pragma(conn, pragma)


async def connect(database: str) -> LoopConnection:
    """A connection to ``database`` (a path, ``:memory:`` or a ``file:`` URI) in autocommit mode:
    SQLAlchemy emits ``BEGIN`` itself (:func:`govservice.db.engine._sqlite_begin`)."""
    conn = sqlite3.connect(
        database, uri=database.startswith("file:"), isolation_level=None, check_same_thread=False
    )
    connection = LoopConnection(conn)
    try:
        # WAL mode waits for a lock another process holds
        await connection.run(functools.partial(_pragmas, conn))
    except BaseException:
        connection.stop()
        raise
    return connection


def _patiently(conn: sqlite3.Connection, work: Callable[[], _T]) -> _T:
    _pragma(conn, f"busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        return work()
    finally:
        _pragma(conn, "busy_timeout=0")


class _Checkpoints:
    writes_since = 0  # writing commits of this process since its last checkpoint


class LoopConnection:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._changes = conn.total_changes
        self.deadline: float | None = None
        conn.set_progress_handler(self._past_deadline, _CHECK_EVERY)

    def _past_deadline(self) -> int:
        return int(self.deadline is not None and time.thread_time() > self.deadline)

    @property
    def _connection(self) -> sqlite3.Connection | None:  # SQLAlchemy's adapter: "still open?"
        return self._conn

    @property
    def raw(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    async def run(self, work: Callable[[], _T], *, read: bool = False) -> _T:
        """``work`` on the loop; in a thread if the database is locked or a read runs long."""
        self.deadline = time.thread_time() + READ_SLICE if read else None
        try:
            return work()
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in _BUSY and exc.sqlite_errorcode != sqlite3.SQLITE_INTERRUPT:
                raise
        finally:
            self.deadline = None
        return await asyncio.to_thread(_patiently, self.raw, work)

    def cursor(self) -> LoopCursor:
        return LoopCursor(self)

    async def commit(self) -> None:
        await self.run(self.raw.commit)
        changes, self._changes = self._changes, self.raw.total_changes
        if changes == self._changes:
            return
        _Checkpoints.writes_since += 1
        if _Checkpoints.writes_since >= CHECKPOINT_EVERY:
            _Checkpoints.writes_since = 0
            await asyncio.to_thread(_pragma, self.raw, "wal_checkpoint(PASSIVE)")

    async def rollback(self) -> None:
        await self.run(self.raw.rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.raw.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class LoopCursor:
    """A cursor that holds its result rows: a ``SELECT`` is run and read whole in one go, so that
    when it has to move to a thread it is run again from the start, never resumed halfway."""

    def __init__(self, connection: LoopConnection) -> None:
        self._connection = connection
        self._cursor = connection.raw.cursor()
        self._rows: deque[Any] = deque()
        self.arraysize = 1

    async def __aenter__(self) -> LoopCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> LoopCursor:
        def run() -> list[Any]:
            self._cursor.execute(sql, parameters)
            return self._cursor.fetchall() if self._cursor.description else []

        self._rows = deque(await self._connection.run(run, read=_plain_read(sql)))
        return self

    async def executemany(self, sql: str, parameters: Sequence[Sequence[Any]]) -> LoopCursor:
        await self._connection.run(lambda: self._cursor.executemany(sql, parameters))
        self._rows = deque()
        return self

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return [self._rows.popleft() for _ in range(min(size or self.arraysize, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()
        self._cursor.close()
