"""Reading aggregate results the same way on both databases."""

from __future__ import annotations

from datetime import UTC, datetime


def seconds_since(oldest: datetime | str | None, now: datetime) -> float:
    """How long ago ``MIN(<timestamp column>)`` was (0 when there is none). SQLite returns such an
    aggregate as text, and naive; PostgreSQL as an aware datetime."""
    if oldest is None:
        return 0.0
    moment = datetime.fromisoformat(oldest) if isinstance(oldest, str) else oldest
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((now - moment).total_seconds(), 0.0)
