"""Alembic environment: async engines, batch mode for SQLite, every model imported.

`govservice migrate` (and the tests) hand in an open connection through
``config.attributes["connection"]``; the `alembic` command line builds its own engine from
GOVSERVICE_DATABASE_URL.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Connection

import govservice.db.models  # noqa: F401  (registers every table)
from alembic import context
from govservice.db.base import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    from govservice.config import load_settings
    from govservice.db.engine import make_engine

    engine = make_engine(load_settings().database_url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) mode is not supported; run against a database")

connection = config.attributes.get("connection")
if connection is None:
    asyncio.run(_run_with_own_engine())
else:
    _run(connection)
