"""Audit-trail appends per second: one at a time, and many at once (group commit).

    .venv/bin/python bench/audit.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/audit.py --store sqlite --appends 2000

Every request that reads or changes an enterprise's records appends one hash-chained entry and
returns only once it is committed; concurrent requests share one commit. Prints the latency of a
lone append and the throughput of N concurrent appends. PostgreSQL: a database
`govservice_bench_audit` is dropped and created on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time

from sqlalchemy import text

from govservice.config import load_settings
from govservice.db.engine import make_engine, make_sessionmaker
from govservice.db.migrations import upgrade
from govservice.domain.actor import Actor, Role
from govservice.domain.clock import SystemClock
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext

PG_DB = "govservice_bench_audit"
ACTOR = Actor(sub="clerk-1", roles=frozenset({Role.CLERK}), unit="FR-APPROVAL")


async def run(store: str, appends: int) -> None:
    var = tempfile.mkdtemp(prefix="govservice-bench-audit-")
    if store == "postgresql":
        for sql in (f"DROP DATABASE IF EXISTS {PG_DB}", f"CREATE DATABASE {PG_DB}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True,
                           stderr=subprocess.DEVNULL)
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"
    else:
        url = f"sqlite+aiosqlite:///{var}/bench.db"
    settings = load_settings({"GOVSERVICE_VAR_DIR": var, "GOVSERVICE_DATABASE_URL": url})
    engine = make_engine(url)
    await upgrade(engine)
    log = AuditLog(ServiceContext(settings=settings, engine=engine, sessions=make_sessionmaker(engine),
                                  clock=SystemClock()))

    def append() -> asyncio.Future[int]:
        return asyncio.ensure_future(log.record(ACTOR, Kind.READ, "read_application", "application:1",
                                                enterprise="91350100M000100Y43", unit="FR-APPROVAL"))

    for _ in range(50):  # warm-up
        await append()
    started = time.perf_counter()
    for _ in range(appends):
        await append()
    lone = (time.perf_counter() - started) / appends
    started = time.perf_counter()
    await asyncio.gather(*(append() for _ in range(appends)))
    together = appends / (time.perf_counter() - started)
    async with engine.connect() as conn:
        total = (await conn.execute(text("SELECT count(*) FROM audit_entries"))).scalar_one()
    await engine.dispose()
    print(f"{store:<10} one at a time: {lone * 1000:.2f} ms per append ({1 / lone:,.0f}/s); "
          f"{appends} at once: {together:,.0f} appends/s; {total} entries chained")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--appends", type=int, default=1000)
    args = parser.parse_args()
    for store in ("sqlite", "postgresql") if args.store == "both" else (args.store,):
        asyncio.run(run(store, args.appends))


if __name__ == "__main__":
    main()
