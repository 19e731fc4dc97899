"""Contention in the database is a 503 to retry, not a 500: the unit of work was rolled back whole."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from govservice.api.problems import _transient


class _DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def test_deadlocks_serialization_failures_locks_and_an_exhausted_pool_are_transient() -> None:
    assert _transient(DBAPIError("UPDATE …", {}, _DriverError("deadlock detected", "40P01")))
    assert _transient(DBAPIError("UPDATE …", {}, _DriverError("could not serialize access", "40001")))
    assert _transient(DBAPIError("BEGIN IMMEDIATE", {}, _DriverError("database is locked")))
    assert _transient(PoolTimeout("QueuePool limit of size 10 overflow 10 reached"))


def test_a_constraint_violation_or_a_bug_is_not() -> None:
    assert not _transient(IntegrityError("INSERT …", {}, _DriverError("duplicate key", "23505")))
    assert not _transient(DBAPIError("SELECT …", {}, _DriverError("syntax error", "42601")))
    assert not _transient(RuntimeError("database is locked"))
