"""What ``Session.execute`` returns, told apart where its signature cannot say."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Result


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows a Core INSERT, UPDATE or DELETE matched. Run on a session, such a statement returns
    a :class:`~sqlalchemy.CursorResult`, while ``Session.execute`` is typed to return any Result."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} has no row count: not the result of a DML statement")
    return result.rowcount
