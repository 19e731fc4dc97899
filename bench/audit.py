"""Audit-trail throughput: entries recorded per second, and entries sealed per second.

    .venv/bin/python bench/audit.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/audit.py --store sqlite --entries 20000

Requests record an unsealed entry in their own transaction (``AuditLog.add``): no lock, no hash.
Prints the rate of short transactions that each add one entry, one at a time and from concurrent
tasks, then the rate at which ``seal`` chains the backlog (``--batch`` entries per transaction),
and the rate of a full verification. PostgreSQL: a database `govservice_bench_audit` is dropped
and created on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time

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
ADMIN = Actor(sub="admin-1", roles=frozenset({Role.ADMIN}))


async def run(store: str, entries: int, concurrency: int, batch: int) -> None:
    var = tempfile.mkdtemp(prefix="govservice-bench-audit-")
    if store == "postgresql":
        for sql in (f"DROP DATABASE IF EXISTS {PG_DB}", f"CREATE DATABASE {PG_DB}"):
            subprocess.run(  # noqa: ASYNC221 (setup, not timed)
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql],
                check=True,
                stderr=subprocess.DEVNULL,
            )
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"
    else:
        url = f"sqlite+aiosqlite:///{var}/bench.db"
    settings = load_settings({"GOVSERVICE_VAR_DIR": var, "GOVSERVICE_DATABASE_URL": url})
    engine = make_engine(url, pool_size=concurrency, max_overflow=0)
    await upgrade(engine)
    ctx = ServiceContext(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        clock=SystemClock(),
    )
    log = AuditLog(ctx)

    async def record(n: int) -> None:
        for _ in range(n):  # one short transaction per entry, as a request makes
            async with ctx.transaction() as session:
                log.add(
                    session,
                    ACTOR,
                    Kind.READ,
                    "get_application",
                    "application:1",
                    enterprise="91350100M000100Y43",
                    unit="FR-APPROVAL",
                )

    await record(50)  # warm-up
    started = time.perf_counter()
    await record(entries)
    alone = entries / (time.perf_counter() - started)
    started = time.perf_counter()
    await asyncio.gather(*(record(entries // concurrency) for _ in range(concurrency)))
    together = entries // concurrency * concurrency / (time.perf_counter() - started)

    started = time.perf_counter()
    sealed = rounds = 0
    while n := await log.seal(limit=batch):
        sealed, rounds = sealed + n, rounds + 1
    seal_rate = sealed / (time.perf_counter() - started)

    started = time.perf_counter()
    report = await log.verify(ADMIN)
    verify_rate = report.entries / (time.perf_counter() - started)
    assert report.intact and report.unsealed == 0, report
    await engine.dispose()
    print(
        f"{store:<10} recorded one at a time: {alone:,.0f}/s; from {concurrency} tasks: {together:,.0f}/s | "
        f"sealed {sealed} in {rounds} rounds: {seal_rate:,.0f}/s | verified {report.entries}: "
        f"{verify_rate:,.0f}/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--entries", type=int, default=5000, help="entries recorded in each of the two runs")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent recording tasks")
    parser.add_argument("--batch", type=int, default=5000, help="entries sealed per transaction")
    args = parser.parse_args()
    for store in ("sqlite", "postgresql") if args.store == "both" else (args.store,):
        asyncio.run(run(store, args.entries, args.concurrency, args.batch))


if __name__ == "__main__":
    main()
