#!/usr/bin/env python3
"""Benchmark: the permit path of the SpiffWorkflow peer (../shared/peer/spiffworkflow), through
our engine service, on SQLite (WAL, synchronous=NORMAL) and PostgreSQL, at concurrency 1 and 8.

    submit -> pre_review -> [request_supplement -> supplement -> pre_review] -> accept -> recommend -> approve

N cases (default 1000); every 4th (i % 4 == 3) takes the supplement loop once, so a case takes
4.5 transitions on average, as the peer's 4.5 user tasks. Each case is created with
``EngineService.start_case`` (one transaction: case row, start event, deadline timer) and each
transition is one ``EngineService.fire`` transaction: read the case, decide, compare-and-set the
case row (state, version, clock, data), insert the event row, cancel/arm the acceptance-review
deadline timer when entering or leaving pre_review, commit. Nothing is kept in memory between
steps but the case id. C concurrent asyncio tasks each drive a contiguous block of N/C cases.

How the service does it (govservice/services/engine_sql.py): on PostgreSQL a step is two round
trips, the read and one statement that writes everything (autocommit, synchronous_commit=on);
on SQLite a step runs on the event loop's thread and goes to aiosqlite's thread only when the
database is busy.

Timed: from the moment every task is ready to the last one finishing (case creation included).
Afterwards (not timed) every case, event and timer is read back and checked.

    .venv/bin/python bench/engine.py                       # both stores, concurrency 1 and 8
    .venv/bin/python bench/engine.py 2000 --store sqlite --concurrency 1
    .venv/bin/python bench/engine.py --pg-url postgresql+asyncpg://postgres@/govservice_bench?host=/var/run/postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govservice.config import load_settings  # noqa: E402
from govservice.db.engine import make_engine, make_sessionmaker  # noqa: E402
from govservice.db.migrations import upgrade  # noqa: E402
from govservice.db.models import WorkflowCaseRow, WorkflowEventRow, WorkflowTimerRow  # noqa: E402
from govservice.domain.actor import Actor, Role  # noqa: E402
from govservice.domain.clock import SystemClock  # noqa: E402
from govservice.services.context import ServiceContext  # noqa: E402
from govservice.services.engine import EngineService  # noqa: E402
from govservice.workflow import load_process  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@/govservice_bench?host=/var/run/postgresql"
DEFAULT_SQLITE = "/tmp/govservice_bench.db"

CLERK = Actor(sub="clerk-1", roles=frozenset({Role.CLERK}))
REVIEWER = Actor(sub="reviewer-2", roles=frozenset({Role.CLERK}))
DIRECTOR = Actor(sub="director-3", roles=frozenset({Role.SUPERVISOR}))


def expected_path(i: int) -> list[str]:
    if i % 4 == 3:
        return ["submit", "request_supplement", "supplement", "accept", "recommend", "approve"]
    return ["submit", "accept", "recommend", "approve"]


def actor_for(action: str, applicant: Actor) -> Actor:
    return {"accept": CLERK, "request_supplement": CLERK, "recommend": REVIEWER, "approve": DIRECTOR}.get(
        action, applicant
    )


def remove_sqlite_files(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)


async def fresh_database(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        remove_sqlite_files(url.split("///", 1)[1])
        engine = make_engine(url)
    else:
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    return engine


async def durability(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            version = (await conn.execute(text("select sqlite_version()"))).scalar()
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
                (await conn.execute(text("PRAGMA synchronous"))).scalar()
            ]
            return f"sqlite={version} journal_mode={mode} synchronous={sync}"
        values = [
            (await conn.execute(text(f"SHOW {k}"))).scalar()
            for k in ("server_version", "synchronous_commit", "fsync", "commit_delay")
        ]
        return (
            f"postgresql={str(values[0]).split()[0]} synchronous_commit={values[1]} fsync={values[2]} "
            f"commit_delay={values[3]}"
        )


async def drive(service: EngineService, block: range, stats: dict[str, int]) -> None:
    for i in block:
        applicant = Actor(sub=f"applicant-{i}", roles=frozenset({Role.APPLICANT}))
        case = await service.start_case(
            "permit", subject_kind="bench", subject_ref=str(i), actor=applicant, limit=20
        )
        for action in expected_path(i):
            await service.fire(case.id, action, actor_for(action, applicant))
            stats["transitions"] += 1
        stats["commits"] += 1 + len(expected_path(i))


async def verify(engine: AsyncEngine, n: int) -> None:
    async with engine.connect() as conn:
        cases = (
            await conn.execute(
                select(
                    WorkflowCaseRow.id,
                    WorkflowCaseRow.subject_ref,
                    WorkflowCaseRow.state,
                    WorkflowCaseRow.version,
                )
            )
        ).all()
        events = (
            await conn.execute(
                select(WorkflowEventRow.case_id, WorkflowEventRow.action).order_by(
                    WorkflowEventRow.case_id, WorkflowEventRow.seq
                )
            )
        ).all()
        pending = (
            await conn.execute(select(func.count()).where(WorkflowTimerRow.status == "pending"))
        ).scalar_one()
        armed = (await conn.execute(select(func.count()).select_from(WorkflowTimerRow))).scalar_one()
    if sorted(int(c.subject_ref) for c in cases) != list(range(n)):
        raise RuntimeError(f"{len(cases)} cases, expected {n}")
    per_case: dict[int, list[str]] = {}
    for case_id, action in events:
        per_case.setdefault(case_id, []).append(action)
    for case in cases:
        path = expected_path(int(case.subject_ref))
        if case.state != "approved" or case.version != 1 + len(path):
            raise RuntimeError(f"case {case.id}: {case.state} v{case.version}")
        if per_case.get(case.id) != ["start", *path]:
            raise RuntimeError(f"case {case.id}: events {per_case.get(case.id)}")
    expected_timers = sum(
        path.count("submit") + path.count("supplement") for path in map(expected_path, range(n))
    )
    if pending or armed != expected_timers:
        raise RuntimeError(f"timers: {armed} armed (expected {expected_timers}), {pending} still pending")


async def run(url: str, n: int, concurrency: int) -> str:
    env = {"GOVSERVICE_DATABASE_URL": url, "GOVSERVICE_WORKFLOWS_DIR": str(ROOT / "workflows")}
    settings = load_settings(env)
    engine = await fresh_database(url)
    try:
        ctx = ServiceContext(
            settings=settings, engine=engine, sessions=make_sessionmaker(engine), clock=SystemClock()
        )
        service = EngineService(ctx)
        await service.publish(load_process(ROOT / "workflows" / "processes" / "permit.yaml"))
        settings_line = await durability(engine)
        # open the connections before timing, as the peer's threads connect before its barrier
        conns = [await engine.connect() for _ in range(concurrency)]
        for conn in conns:
            await conn.execute(text("select 1"))
            await conn.close()
        blocks = [range(k * n // concurrency, (k + 1) * n // concurrency) for k in range(concurrency)]
        stats = [{"transitions": 0, "commits": 0} for _ in blocks]
        started = time.perf_counter()
        await asyncio.gather(*(drive(service, block, st) for block, st in zip(blocks, stats, strict=True)))
        elapsed = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        await service.aclose()
        await verify(engine, n)
    finally:
        await engine.dispose()
    transitions = sum(st["transitions"] for st in stats)
    commits = sum(st["commits"] for st in stats)
    store = "sqlite" if url.startswith("sqlite") else "postgresql"
    return (
        f"govservice-engine store={store} concurrency={concurrency} n={n}: instances/s={n / elapsed:.1f} "
        f"transitions/s={transitions / elapsed:.1f} peak_rss_mb={rss:.1f} | transitions={transitions} "
        f"commits={commits} elapsed_s={elapsed:.2f} verified=ok {settings_line}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("n", nargs="?", type=int, default=1000, help="cases (default 1000)")
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated (default 1,8)")
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE)
    parser.add_argument("--pg-url", default=os.environ.get("GOVSERVICE_BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument(
        "--loop",
        choices=["uvloop", "asyncio"],
        default="uvloop",
        help="event loop (default uvloop, as `govservice serve` runs)",
    )
    args = parser.parse_args(argv)
    if args.loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    urls = []
    if args.store in ("sqlite", "both"):
        urls.append(f"sqlite+aiosqlite:///{args.sqlite_path}")
    if args.store in ("postgresql", "both"):
        urls.append(args.pg_url)
    for url in urls:
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            print(asyncio.run(run(url, args.n, concurrency)) + f" loop={args.loop}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
