"""The engine's own reads and writes, as SQL on the driver connection (asyncpg or aiosqlite).

Why not SQLAlchemy statements here: a step is a handful of tiny statements, and SQLAlchemy's
async layer costs more than the database for them (a pool checkout with pre-ping is a round
trip on PostgreSQL; every aiosqlite statement is three or four thread hand-offs). So:

* the engine keeps a few connections checked out of the app's pool (:class:`Leases`): on
  SQLite exactly one, which also makes it the single writer SQLite wants;
* on PostgreSQL a whole step's write is ONE statement (data-modifying CTEs: compare-and-set the
  case, insert the event, end and arm timers), atomic on its own;
* on SQLite a step's statements and its commit run in one go: on the event loop's own thread
  (:class:`InlineSqlite`), or, when the database is busy, in ONE hand-off to aiosqlite's thread;
* values are stored exactly as the SQLAlchemy column types store them, so ORM and Core reads
  elsewhere see the same rows (JSON text, UTC timestamps).

When a step involves plugin code (a facts builder or an effect handler), the service wraps the
same statements in a SQLAlchemy transaction on the same connection (``commit=False`` here), so
the plugin's session writes commit or roll back with the step.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govservice.domain.calendar import CaseClock
from govservice.errors import GovServiceError
from govservice.services.engine_views import CaseView
from govservice.workflow import CaseData

T = TypeVar("T")

_COLUMNS = (
    "id, process_id, process_version, state, version, outcome, subject_kind, subject_ref, "
    "calendar_version, due_on"
)


def case_view(r: Sequence[Any], due_on: date | None, created_at: datetime, updated_at: datetime) -> CaseView:
    """A case from a row of ``SELECT {_COLUMNS}, clock, data, created_at, updated_at`` (the dialect
    converts the dates it stores as text)."""
    return CaseView(
        id=r[0], process_id=r[1], process_version=r[2], state=r[3], version=r[4], outcome=r[5],
        subject_kind=r[6], subject_ref=r[7], calendar_version=r[8], due_on=due_on,
        clock=msgspec.json.decode(r[10], type=CaseClock), data=msgspec.json.decode(r[11], type=CaseData),
        created_at=created_at, updated_at=updated_at,
    )


@dataclass(frozen=True, slots=True)
class TimerArm:
    key: str
    action: str
    state: str | None
    due_at: datetime


@dataclass(slots=True)
class StepWrite:
    """Everything one step writes (computed once by the service)."""

    case_id: int
    seen_version: int
    state: str
    version: int
    outcome: str | None
    clock: str  # JSON
    data: str  # JSON
    due_on: date | None
    now: datetime
    action: str
    from_state: str | None
    actor_sub: str
    actor_roles: str  # JSON
    payload: str | None  # JSON
    cancel_all: bool = False
    cancel_state: str | None = None
    cancel_keys: tuple[str, ...] = ()
    arm: Sequence[TimerArm] = ()
    timer_id: int | None = None  # the timer this step fires


@dataclass(slots=True)
class NewCase:
    process_id: str
    process_version: int
    state: str
    subject_kind: str
    subject_ref: str | None
    calendar_version: str
    clock: str
    data: str
    due_on: date | None
    now: datetime
    actor_sub: str
    actor_roles: str
    payload: str | None
    arm: Sequence[TimerArm] = field(default_factory=tuple)
    only_if_latest: bool = False  # refuse (return None) if a newer version of the process is published


def json_text(value: Any) -> str:
    return msgspec.json.encode(value, order="deterministic").decode()


class Dialect:
    """What differs between the two databases. ``commit``: end the transaction here (False when a
    SQLAlchemy transaction wraps the step); a refused write is then rolled back here too."""

    async def load(self, raw: Any, case_id: int) -> CaseView | None:
        raise NotImplementedError

    async def latest_version(self, raw: Any, process_id: str) -> int | None:
        raise NotImplementedError

    async def write(self, raw: Any, step: StepWrite, *, commit: bool) -> tuple[bool, bool]:
        """(the case moved, the timer fired)."""
        raise NotImplementedError

    async def insert(self, raw: Any, case: NewCase, *, commit: bool) -> int | None:
        """The new case's id (None: ``only_if_latest`` and a newer version exists)."""
        raise NotImplementedError

    async def end_timer(
        self, raw: Any, timer_id: int, status: str, now: datetime, detail: str, *, commit: bool
    ) -> None:
        raise NotImplementedError

    def in_transaction(self, raw: Any) -> bool:
        raise NotImplementedError


# -- PostgreSQL --------------------------------------------------------------------------------


class Postgres(Dialect):
    """asyncpg; statements outside a SQLAlchemy transaction commit on their own (autocommit)."""

    _SELECT = (
        f"SELECT {_COLUMNS}, clock::text, data::text, created_at, updated_at "
        "FROM workflow_cases WHERE id = $1"
    )
    _LATEST = "SELECT max(version) FROM workflow_definitions WHERE process_id = $1"
    _END = (
        "UPDATE workflow_timers SET status = $2, cancelled_at = $3, detail = $4 "
        "WHERE id = $1 AND status = 'pending'"
    )
    _ARM = (
        "SELECT {case}, t.key, t.action, t.state, t.due_at, 'pending', ${now} FROM {case_table}, "
        "unnest(${a}::text[], ${b}::text[], ${c}::text[], ${d}::timestamptz[]) "
        "AS t(key, action, state, due_at)"
    )

    def __init__(self) -> None:
        self._sql: dict[tuple[Any, ...], str] = {}

    async def load(self, raw: Any, case_id: int) -> CaseView | None:
        r = await raw.fetchrow(self._SELECT, case_id)
        if r is None:
            return None
        return case_view(r, r[9], r[12], r[13])

    async def latest_version(self, raw: Any, process_id: str) -> int | None:
        return await raw.fetchval(self._LATEST, process_id)  # type: ignore[no-any-return]

    async def end_timer(
        self, raw: Any, timer_id: int, status: str, now: datetime, detail: str, *, commit: bool
    ) -> None:
        await raw.execute(self._END, timer_id, status, now, detail)

    def in_transaction(self, raw: Any) -> bool:
        return bool(raw.is_in_transaction())

    def _write_sql(self, timer: bool, cancel_all: bool, cancel_some: bool, keys: bool, arm: bool) -> str:
        shape = ("write", timer, cancel_all, cancel_some, keys, arm)
        sql = self._sql.get(shape)
        if sql is not None:
            return sql
        # $1 id, $2 seen version, $3 state, $4 version, $5 outcome, $6 clock, $7 data, $8 due_on, $9 now,
        # $10 action, $11 from_state, $12 actor_sub, $13 actor_roles, $14 payload; then, in this order and
        # only when used: the timer fired, the state and the keys whose timers end, the timers armed.
        numbers = iter(range(15, 30))
        parts = [
            "moved AS (UPDATE workflow_cases SET state = $3, version = $4, outcome = $5, clock = $6::json, "
            "data = $7::json, due_on = $8, updated_at = $9 WHERE id = $1 AND version = $2 RETURNING id)",
            "event AS (INSERT INTO workflow_events (case_id, seq, action, from_state, to_state, actor_sub, "
            "actor_roles, at, payload) "
            "SELECT id, $4, $10, $11, $3, $12, $13::json, $9, $14::json FROM moved)",
        ]
        result = ["(SELECT count(*) FROM moved)"]
        not_fired = ""
        if timer:
            t = next(numbers)
            parts.append(
                f"fired AS (UPDATE workflow_timers SET status = 'fired', fired_at = $9 WHERE id = ${t} "
                "AND status = 'pending' AND EXISTS (SELECT 1 FROM moved) RETURNING id)"
            )
            result.append("(SELECT count(*) FROM fired)")
            not_fired = f" AND id <> ${t}"  # a row is updated once per statement
        ended = (
            "UPDATE workflow_timers SET status = 'cancelled', cancelled_at = $9 WHERE case_id = $1 "
            f"AND status = 'pending'{not_fired} AND EXISTS (SELECT 1 FROM moved)"
        )
        if cancel_all:
            parts.append(f"ended AS ({ended})")
        elif cancel_some:
            state = next(numbers)
            which = (
                f"(state = ${state} OR key = ANY(${next(numbers)}::text[]))" if keys else f"state = ${state}"
            )
            parts.append(f"ended AS ({ended} AND {which})")
        if arm:
            a, b, c, d = (next(numbers) for _ in range(4))
            select = self._ARM.format(case="moved.id", case_table="moved", now=9, a=a, b=b, c=c, d=d)
            parts.append(
                "armed AS (INSERT INTO workflow_timers (case_id, key, action, state, due_at, status, "
                f"armed_at) {select})"
            )
        sql = self._sql[shape] = "WITH " + ",\n".join(parts) + "\nSELECT " + ", ".join(result)
        return sql

    async def write(self, raw: Any, step: StepWrite, *, commit: bool) -> tuple[bool, bool]:
        timer = step.timer_id is not None
        cancel_some = not step.cancel_all and (step.cancel_state is not None or bool(step.cancel_keys))
        keys = cancel_some and bool(step.cancel_keys)
        args: list[Any] = [
            step.case_id,
            step.seen_version,
            step.state,
            step.version,
            step.outcome,
            step.clock,
            step.data,
            step.due_on,
            step.now,
            step.action,
            step.from_state,
            step.actor_sub,
            step.actor_roles,
            step.payload,
        ]
        if timer:
            args.append(step.timer_id)
        if cancel_some:
            args.append(step.cancel_state)
            if keys:
                args.append(list(step.cancel_keys))
        if step.arm:
            args += _arm_columns(step.arm)
        row = await raw.fetchrow(
            self._write_sql(timer, step.cancel_all, cancel_some, keys, bool(step.arm)), *args
        )
        return row[0] == 1, timer and row[1] == 1

    def _insert_sql(self, arm: bool, only_if_latest: bool) -> str:
        shape = ("insert", arm, only_if_latest)
        sql = self._sql.get(shape)
        if sql is not None:
            return sql
        # $1 process, $2 version, $3 state, $4 kind, $5 ref, $6 calendar, $7 clock, $8 data, $9 due_on,
        # $10 now, $11 actor_sub, $12 actor_roles, $13 payload, then the timers armed
        guard = (
            " WHERE NOT EXISTS (SELECT 1 FROM workflow_definitions WHERE process_id = $1 AND version > $2)"
            if only_if_latest
            else ""
        )
        parts = [
            "c AS (INSERT INTO workflow_cases (process_id, process_version, state, version, outcome, "
            "subject_kind, subject_ref, calendar_version, clock, data, due_on, created_at, updated_at) "
            "SELECT $1::varchar, $2::int, $3::varchar, 1, NULL, $4::varchar, $5::varchar, $6::varchar, "
            "$7::json, "
            f"$8::json, $9::date, $10::timestamptz, $10{guard} RETURNING id)",
            "e AS (INSERT INTO workflow_events (case_id, seq, action, from_state, to_state, actor_sub, "
            "actor_roles, at, payload) "
            "SELECT id, 1, 'start', NULL, $3, $11, $12::json, $10, $13::json FROM c)",
        ]
        if arm:
            select = self._ARM.format(case="c.id", case_table="c", now=10, a=14, b=15, c=16, d=17)
            parts.append(
                "t AS (INSERT INTO workflow_timers (case_id, key, action, state, due_at, status, "
                f"armed_at) {select})"
            )
        sql = self._sql[shape] = "WITH " + ",\n".join(parts) + "\nSELECT id FROM c"
        return sql

    async def insert(self, raw: Any, case: NewCase, *, commit: bool) -> int | None:
        args: list[Any] = [
            case.process_id,
            case.process_version,
            case.state,
            case.subject_kind,
            case.subject_ref,
            case.calendar_version,
            case.clock,
            case.data,
            case.due_on,
            case.now,
            case.actor_sub,
            case.actor_roles,
            case.payload,
        ]
        if case.arm:
            args += _arm_columns(case.arm)
        return await raw.fetchval(self._insert_sql(bool(case.arm), case.only_if_latest), *args)  # type: ignore


def _arm_columns(arm: Sequence[TimerArm]) -> list[list[Any]]:
    return [[t.key for t in arm], [t.action for t in arm], [t.state for t in arm], [t.due_at for t in arm]]


# -- SQLite ------------------------------------------------------------------------------------


def _sqlite_time(value: datetime) -> str:
    # exactly what SQLAlchemy's SQLite DATETIME stores for a UtcDateTime column
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]  # "%Y-%m-%d %H:%M:%S.%f"


def _sqlite_parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def transact(conn: sqlite3.Connection, commit: bool, work: Callable[[], T], done: Callable[[T], bool]) -> T:
    """Run ``work``; with ``commit``, commit if ``done(result)`` and roll back otherwise or on an error
    (without it, a SQLAlchemy transaction around the step decides)."""
    try:
        result = work()
    except BaseException:
        if commit:
            conn.rollback()
        raise
    if commit:
        if done(result):
            conn.commit()
        else:
            conn.rollback()
    return result


async def in_sqlite_thread(raw: Any, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``fn(sqlite3_connection)`` in aiosqlite's worker thread: a whole step in one hand-off.

    aiosqlite has no public API for this; ``Connection._execute`` (queue a callable on the
    connection's thread) and ``_conn`` have been stable since 0.17; every SQLite run of
    tests/integration/test_engine_store.py goes through here.
    """
    return await raw._execute(fn, raw._conn)  # type: ignore[no-any-return]


class Sqlite(Dialect):
    """aiosqlite in its default (deferred) mode: the first write of a step opens the transaction."""

    _SELECT = f"SELECT {_COLUMNS}, clock, data, created_at, updated_at FROM workflow_cases WHERE id = ?"
    _LATEST = "SELECT max(version) FROM workflow_definitions WHERE process_id = ?"
    _END = (
        "UPDATE workflow_timers SET status = ?, cancelled_at = ?, detail = ? "
        "WHERE id = ? AND status = 'pending'"
    )
    _UPDATE = (
        "UPDATE workflow_cases SET state = ?, version = ?, outcome = ?, clock = ?, data = ?, due_on = ?, "
        "updated_at = ? WHERE id = ? AND version = ?"
    )
    _FIRE = "UPDATE workflow_timers SET status = 'fired', fired_at = ? WHERE id = ? AND status = 'pending'"
    _EVENT = (
        "INSERT INTO workflow_events (case_id, seq, action, from_state, to_state, actor_sub, actor_roles, "
        "at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    _CANCEL = (
        "UPDATE workflow_timers SET status = 'cancelled', cancelled_at = ? "
        "WHERE case_id = ? AND status = 'pending'"
    )
    _ARM = (
        "INSERT INTO workflow_timers (case_id, key, action, state, due_at, status, armed_at) "
        "VALUES (?, ?, ?, ?, ?, 'pending', ?)"
    )
    _INSERT = (
        "INSERT INTO workflow_cases (process_id, process_version, state, version, outcome, subject_kind, "
        "subject_ref, calendar_version, clock, data, due_on, created_at, updated_at) "
        "SELECT ?, ?, ?, 1, NULL, ?, ?, ?, ?, ?, ?, ?, ?"
    )
    _NEWEST = " WHERE NOT EXISTS (SELECT 1 FROM workflow_definitions WHERE process_id = ? AND version > ?)"

    async def load(self, raw: Any, case_id: int) -> CaseView | None:
        return self._row(await raw.execute_fetchall(self._SELECT, (case_id,)))

    def load_now(self, conn: sqlite3.Connection, case_id: int) -> CaseView | None:
        """The same, on aiosqlite's thread (see :func:`in_sqlite_thread`)."""
        return self._row(conn.execute(self._SELECT, (case_id,)).fetchall())

    @staticmethod
    def _row(rows: Sequence[Any]) -> CaseView | None:
        if not rows:
            return None
        r = rows[0]
        return case_view(r, date.fromisoformat(r[9]) if r[9] else None, _sqlite_parse_time(r[12]),
                         _sqlite_parse_time(r[13]))

    async def latest_version(self, raw: Any, process_id: str) -> int | None:
        rows = await raw.execute_fetchall(self._LATEST, (process_id,))
        return rows[0][0] if rows else None

    async def end_timer(
        self, raw: Any, timer_id: int, status: str, now: datetime, detail: str, *, commit: bool
    ) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute(self._END, (status, _sqlite_time(now), detail, timer_id))
            if commit:
                conn.commit()

        await in_sqlite_thread(raw, run)

    def in_transaction(self, raw: Any) -> bool:
        return bool(raw.in_transaction)

    async def write(self, raw: Any, step: StepWrite, *, commit: bool) -> tuple[bool, bool]:
        def done(result: tuple[bool, bool]) -> bool:
            return result[0] and (result[1] or step.timer_id is None)

        return await in_sqlite_thread(
            raw, lambda conn: transact(conn, commit, lambda: self.write_now(conn, step), done)
        )

    async def insert(self, raw: Any, case: NewCase, *, commit: bool) -> int | None:
        return await in_sqlite_thread(
            raw,
            lambda conn: transact(conn, commit, lambda: self.insert_now(conn, case), lambda r: r is not None),
        )

    def write_now(self, conn: sqlite3.Connection, step: StepWrite) -> tuple[bool, bool]:
        """A step's statements, on aiosqlite's thread; the caller commits."""
        now = _sqlite_time(step.now)
        due_on = step.due_on.isoformat() if step.due_on else None
        moved = (
            conn.execute(
                self._UPDATE,
                (
                    step.state,
                    step.version,
                    step.outcome,
                    step.clock,
                    step.data,
                    due_on,
                    now,
                    step.case_id,
                    step.seen_version,
                ),
            ).rowcount
            == 1
        )
        if not moved:
            return False, False
        fired = False
        if step.timer_id is not None:
            fired = conn.execute(self._FIRE, (now, step.timer_id)).rowcount == 1
            if not fired:
                return True, False
        conn.execute(
            self._EVENT,
            (
                step.case_id,
                step.version,
                step.action,
                step.from_state,
                step.state,
                step.actor_sub,
                step.actor_roles,
                now,
                step.payload,
            ),
        )
        if step.cancel_all:
            conn.execute(self._CANCEL, (now, step.case_id))
        elif step.cancel_state is not None or step.cancel_keys:
            marks = ", ".join("?" * len(step.cancel_keys))
            which = f" AND (state = ? OR key IN ({marks}))" if step.cancel_keys else " AND state = ?"
            conn.execute(self._CANCEL + which, (now, step.case_id, step.cancel_state, *step.cancel_keys))
        if step.arm:
            conn.executemany(
                self._ARM,
                [(step.case_id, t.key, t.action, t.state, _sqlite_time(t.due_at), now) for t in step.arm],
            )
        return True, fired

    def insert_now(self, conn: sqlite3.Connection, case: NewCase) -> int | None:
        """A new case's statements, synchronously; the caller commits."""
        now = _sqlite_time(case.now)
        values = (
            case.process_id,
            case.process_version,
            case.state,
            case.subject_kind,
            case.subject_ref,
            case.calendar_version,
            case.clock,
            case.data,
            case.due_on.isoformat() if case.due_on else None,
            now,
            now,
        )
        if case.only_if_latest:
            cursor = conn.execute(
                self._INSERT + self._NEWEST, (*values, case.process_id, case.process_version)
            )
        else:
            cursor = conn.execute(self._INSERT, values)
        if cursor.rowcount != 1:
            return None
        case_id = int(cursor.lastrowid)  # type: ignore[arg-type]
        conn.execute(
            self._EVENT,
            (case_id, 1, "start", None, case.state, case.actor_sub, case.actor_roles, now, case.payload),
        )
        if case.arm:
            conn.executemany(
                self._ARM,
                [(case_id, t.key, t.action, t.state, _sqlite_time(t.due_at), now) for t in case.arm],
            )
        return case_id


class Busy:
    """Another connection holds SQLite's write lock: take the step to the connection thread."""


BUSY = Busy()


class InlineSqlite:
    """A second SQLite connection, used on the event loop's own thread for plain steps.

    A plain step is a few page-cache writes (no fsync with WAL and synchronous=NORMAL), cheaper
    than the two thread wake-ups a hand-off to aiosqlite costs. It never waits: with
    ``busy_timeout=0`` a locked database makes :meth:`attempt` return :data:`BUSY` and the
    caller goes the threaded way, which waits. Automatic checkpoints (an fsync) are off here;
    every ``CHECKPOINT_EVERY`` commits the caller runs the next step on the thread with a
    checkpoint (:attr:`checkpoint_due`, :meth:`checkpointed`).
    """

    CHECKPOINT_EVERY = 256

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._commits = 0

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path)
            for pragma in (
                "journal_mode=WAL",
                "synchronous=NORMAL",
                "foreign_keys=ON",
                "busy_timeout=0",
                "wal_autocheckpoint=0",
            ):
                conn.execute(f"PRAGMA {pragma}")
            self._conn = conn
        return self._conn

    @property
    def checkpoint_due(self) -> bool:
        return self._commits >= self.CHECKPOINT_EVERY

    def checkpointed(self) -> None:
        self._commits = 0

    def attempt(self, fn: Callable[[sqlite3.Connection], T], *, writes: Callable[[T], bool]) -> T | Busy:
        conn = self._connection()
        try:
            result = fn(conn)
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            if conn.in_transaction:
                conn.rollback()
            return BUSY
        if writes(result):
            self._commits += 1
        return result

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def inline_sqlite(engine: AsyncEngine) -> InlineSqlite | None:
    """The inline connection for a file-backed SQLite database (None for PostgreSQL or memory)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return InlineSqlite(database)


# -- connections -------------------------------------------------------------------------------


class Leases:
    """Connections the engine keeps checked out of the application's pool, lent to one step at a
    time. One that failed unexpectedly, or comes back inside a transaction, goes back to the
    pool (which resets or discards it) instead of being kept."""

    def __init__(self, engine: AsyncEngine, dialect: Dialect, size: int) -> None:
        self._engine = engine
        self._dialect = dialect
        self._idle: list[tuple[AsyncConnection, Any]] = []
        self._slots = asyncio.Semaphore(size)

    def lease(self) -> _Lease:
        return _Lease(self)

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            await conn.close()


class _Lease:
    __slots__ = ("_leases", "_conn", "_raw")

    def __init__(self, leases: Leases) -> None:
        self._leases = leases

    async def __aenter__(self) -> tuple[AsyncConnection, Any]:
        leases = self._leases
        await leases._slots.acquire()
        try:
            if leases._idle:
                self._conn, self._raw = leases._idle.pop()
            else:
                self._conn = await leases._engine.connect()
                self._raw = (await self._conn.get_raw_connection()).driver_connection
        except BaseException:
            leases._slots.release()
            raise
        return self._conn, self._raw

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        leases = self._leases
        try:
            healthy = kind is None or issubclass(
                kind, GovServiceError
            )  # a refusal is not a broken connection
            if healthy and not self._conn.in_transaction() and not leases._dialect.in_transaction(self._raw):
                leases._idle.append((self._conn, self._raw))
            else:
                await self._conn.close()
        finally:
            leases._slots.release()


def dialect_for(engine: AsyncEngine) -> Dialect:
    return Postgres() if engine.dialect.name == "postgresql" else Sqlite()
