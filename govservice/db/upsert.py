"""``INSERT ... ON CONFLICT`` for either database: creating a row that may already exist is an upsert
inside the use case's transaction, never a unique violation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from govservice.db.base import Base
from govservice.db.results import rowcount


def insert_for(
    bind: AsyncSession | AsyncConnection | AsyncEngine, table: Table | type[Base]
) -> PgInsert | SqliteInsert:
    """The dialect's insert construct for ``table`` (it has ``on_conflict_do_nothing/update``)."""
    dialect = bind.get_bind().dialect.name if isinstance(bind, AsyncSession) else bind.dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


async def insert_if_absent(
    session: AsyncSession, table: Table | type[Base], keys: list[str], **values: Any
) -> bool:
    """Insert the row unless one with the same ``keys`` exists; True if this call inserted it."""
    statement = insert_for(session, table).values(**values).on_conflict_do_nothing(index_elements=keys)
    result = await session.execute(statement)
    return bool(rowcount(result))
