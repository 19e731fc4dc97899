"""Engine and session factories for SQLite (embedded default) and PostgreSQL.

Every request runs on exactly one pooled connection (one unit of work), so the pool's size bounds
the requests a process serves at once; the rest wait, in arrival order, for a unit of work to end
(:class:`UnitSession`), up to ``pool_timeout``.

SQLite: statements run on the event loop (:mod:`govservice.db.sqlite_driver`). The driver's own
transaction handling is switched off and SQLAlchemy emits ``BEGIN`` itself, so that a writing unit
of work starts with ``BEGIN IMMEDIATE`` (it takes the write lock at once, waiting for another
process's writer in a thread), while reads start with a plain deferred ``BEGIN`` and never wait
for a writer (WAL). A deferred transaction that reads and then writes could otherwise fail
with "database is locked" the moment another writer commits in between.

The SQLite file and its ``-wal``/``-shm`` files are the owner's only (0600), in a 0700 directory:
see :func:`_private_sqlite_file`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import time
import weakref
from collections.abc import Callable
from contextvars import ContextVar, Token
from functools import partial
from pathlib import Path
from typing import Any, Self

from sqlalchemy import event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from govservice.db import sqlite_driver

WRITE = "govservice_write"  # execution option: this transaction writes (BEGIN IMMEDIATE on SQLite)
_IN_UNIT: ContextVar[bool] = ContextVar("govservice_in_unit_of_work", default=False)
log = logging.getLogger("govservice.db")


class NestedUnitOfWork(RuntimeError):
    """A session was opened while this task already holds one: a second connection inside a unit of
    work. On SQLite it waits for the write lock its own task holds; under load it exhausts the pool."""


class UnitSyncSession(Session):
    """The synchronous session under a unit of work: it runs the unit's commit hooks
    (:func:`before_commit`) and forgets what the unit noted in ``info`` when it rolls back."""


_COMMIT_HOOKS = "govservice.commit_hooks"


def before_commit(session: AsyncSession, hook: Callable[[Session], None]) -> None:
    """Run ``hook`` once, last before the unit of work commits; not at all if it rolls back."""
    session.info.setdefault(_COMMIT_HOOKS, []).append(hook)


@event.listens_for(UnitSyncSession, "before_commit")
def _run_commit_hooks(session: Session) -> None:
    for hook in session.info.pop(_COMMIT_HOOKS, ()):
        hook(session)


@event.listens_for(UnitSyncSession, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.clear()


def _turns(pool: QueuePool) -> asyncio.Semaphore:
    """The units of work of this pool and event loop take turns here, first come first served, as
    many at once as the pool has connections, so that no checkout waits inside the pool: its queue
    lets a newcomer take a connection handed back for a waiter, who goes to the back (at 64 clients
    on PostgreSQL some requests waited 2 s while the median was 0.4 s)."""
    by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
    by_loop = pool.__dict__.setdefault("_govservice_turns", weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    turns = by_loop.get(loop)
    if turns is None:
        turns = by_loop[loop] = asyncio.Semaphore(pool.size() + pool._max_overflow)
    return turns


def refuse_nested_unit() -> None:
    """Raises :class:`NestedUnitOfWork` when this task already holds a unit of work's session."""
    if _IN_UNIT.get():
        raise NestedUnitOfWork("a second database session inside a unit of work: pass the session down")


class UnitSession(AsyncSession):
    """A unit of work's session: it refuses to be opened (``async with``) inside another one of the
    same task, and it waits for its turn (:func:`_turns`) before it may take a connection."""

    sync_session_class = UnitSyncSession
    _unit_token: Token[bool] | None = None
    _turn: asyncio.Semaphore | None = None

    async def __aenter__(self) -> Self:
        refuse_nested_unit()
        pool = getattr(self.sync_session.bind, "pool", None)  # an engine's; none when bound to a connection
        if isinstance(pool, QueuePool) and pool._max_overflow >= 0:  # else the pool never makes one wait
            turn = _turns(pool)
            try:
                async with asyncio.timeout(pool.timeout()):
                    await turn.acquire()
            except TimeoutError:
                raise PoolTimeout(f"no database connection within {pool.timeout():.0f} s") from None
            self._turn = turn
        self._unit_token = _IN_UNIT.set(True)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await super().__aexit__(*exc)
        finally:
            self._leave()

    def _leave(self) -> None:
        if self._unit_token is not None:
            _IN_UNIT.reset(self._unit_token)
            self._unit_token = None
        if self._turn is not None:
            self._turn.release()
            self._turn = None


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


def _private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 before SQLite first opens it (its directory 0700 when this
    creates it), and restrict an existing file, ``-wal`` or ``-shm`` wider than that.

    Why not a process umask of 0o077: the umask is process-wide state (it would change every file
    the app, its libraries and its tests write) and would have to be set before any connection in
    any process. Instead this relies on SQLite's unix VFS, which creates the ``-wal`` and ``-shm``
    files, whenever it does so later, with the permissions of the database file itself; so a 0600
    database has 0600 companions whatever the umask (checked by tests/api/test_files_at_rest.py).
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):  # an empty file is an empty database to SQLite
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & 0o077:
                log.warning("%s was readable by others (mode %o); restricting it to 0600", file, mode)
                file.chmod(0o600)
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("could not restrict %s: %s", file, exc)


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10, **kwargs: Any) -> AsyncEngine:
    kwargs.setdefault("pool_size", pool_size)
    kwargs.setdefault("max_overflow", max_overflow)
    kwargs.setdefault("pool_timeout", 60)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_sqlite_file(Path(path))
        engine = create_async_engine(
            url, async_creator=partial(sqlite_driver.connect, path or ":memory:"), **kwargs
        )
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    # No pre-ping on every checkout: asyncpg's costs three round trips (BEGIN, a query, ROLLBACK),
    # i.e. on every request. Only a connection that sat idle (a restart at night finds every one
    # idle) is pinged, and a dead one replaced before the request gets it. A connection a restart
    # broke while busy fails its request (503 database_unavailable) and SQLAlchemy then replaces
    # the whole pool; connections are also renewed every half hour, before firewalls drop them.
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine.pool, "checkin", _note_idle)
    event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
    return engine


PING_IDLE_AFTER = 10.0  # seconds a pooled PostgreSQL connection may sit unused before it is pinged
_IDLE_SINCE = "govservice_idle_since"


def _note_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.pop(_IDLE_SINCE, None)
    if idle_since is None or time.monotonic() - idle_since < PING_IDLE_AFTER:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:  # the driver's error, whatever broke the connection
        log.info(
            "a pooled connection idle for %.0f s was dead (%s); replacing it",
            time.monotonic() - idle_since,
            exc,
        )
        raise DisconnectionError("idle pooled connection is dead") from exc


def make_sessionmaker(engine: AsyncEngine, *, write: bool = False) -> async_sessionmaker[AsyncSession]:
    """Sessions for reads (``write=False``) or for units of work that write."""
    bind = engine.execution_options(**{WRITE: True}) if write else engine
    return async_sessionmaker(bind, expire_on_commit=False, class_=UnitSession)
