#!/usr/bin/env python3
"""Benchmark: real application cases through the use cases, against the SpiffWorkflow peer
(../shared/peer/spiffworkflow) in the same run, on SQLite and PostgreSQL, at 1 and 8 tasks.

Ours: the `opening_inspection` process (the licensing steps plus the on-site inspection) with
application subjects, driven through `ApplicationService`
(the use cases the HTTP API calls, minus HTTP): each step is one unit of work that loads the
application and its case, runs the facts builder and the guards, writes the case, its event, its
outbox row, timers, the effects' rows (acceptance date, counts, the signed e-licence on approve),
the view and the audit entry, and commits.

    setup (per case, timed apart): create the draft, upload its 4 materials
    steps: file -> accept -> assign_inspector -> record_inspection -> approve; every 4th case
           (i % 4 == 3) takes one deficiency loop: file -> notify_deficiency -> submit_corrections ->
           accept -> assign_inspector -> record_inspection -> approve

so a case takes 5.5 steps on average, against the peer's 4.5 user tasks (where `forward` stands
for the review between acceptance and decision); the rates compared are per step. The peer's
figure is its task completions/s with `--store` (one transaction per task, the workflow's JSON read
and written each time), instance creation included; ours is steps/s of the step phase. Both lines
are printed, and the ratio. Afterwards every case is checked (approved, its events, its licence,
its audit entries).

    .venv/bin/python bench/engine.py                        # both stores, 1 and 8 tasks, 1000 cases
    .venv/bin/python bench/engine.py 400 --store sqlite --concurrency 1
    .venv/bin/python bench/engine.py --no-peer

The peer runs from a venv of its own (created on first use under /tmp, `--peer-venv`), with
SpiffWorkflow and psycopg from the package registry. PostgreSQL: the databases
`govservice_bench_engine` and `govservice_bench_peer` on 127.0.0.1 are dropped and created.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT.parent / "shared" / "peer" / "spiffworkflow"
sys.path.insert(0, str(ROOT))

from govservice.auth import KeyStore  # noqa: E402
from govservice.bootstrap import Services, build_services  # noqa: E402
from govservice.config import load_settings  # noqa: E402
from govservice.db.engine import make_engine  # noqa: E402
from govservice.db.migrations import upgrade  # noqa: E402
from govservice.db.models import AuditEntryRow, LicenceRow, WorkflowCaseRow, WorkflowOutboxRow  # noqa: E402
from govservice.domain.actor import Actor, Role  # noqa: E402
from govservice.domain.catalogue import Route  # noqa: E402
from govservice.domain.clock import SystemClock  # noqa: E402

PDF = b"%PDF-1.7\n% bench\n%%EOF\n"
ENT = "91350100M000100Y43"
UNIT = "FR-APPROVAL"
MATTER = "FR-PGP-OPENING"  # standard route: process opening_inspection
PG_ADMIN = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]
APPLICANT = Actor(sub="applicant-1", roles=frozenset({Role.APPLICANT}), ent=ENT)
CLERK = Actor(sub="clerk-1", roles=frozenset({Role.CLERK}), unit=UNIT)
DIRECTOR = Actor(sub="director-3", roles=frozenset({Role.SUPERVISOR}), unit=UNIT)
INSPECTOR = Actor(sub="inspector-2", roles=frozenset({Role.INSPECTOR}), unit=UNIT)
INSPECTION = {"result": "pass", "findings": "疏散通道畅通，消防设施完好有效"}


def path_of(i: int) -> list[tuple[str, Actor, dict[str, object]]]:
    steps: list[tuple[str, Actor, dict[str, object]]] = [("file", APPLICANT, {})]
    if i % 4 == 3:
        defects = [{"material": "application_form", "problem": "unsigned"}]
        steps += [("notify_deficiency", CLERK, {"defects": defects}), ("submit_corrections", APPLICANT, {})]
    return [
        *steps,
        ("accept", CLERK, {}),
        ("assign_inspector", DIRECTOR, {"inspector": INSPECTOR.sub}),
        ("record_inspection", INSPECTOR, INSPECTION),
        ("approve", DIRECTOR, {}),
    ]


def fresh_pg(name: str) -> None:
    subprocess.run([*PG_ADMIN, f"DROP DATABASE IF EXISTS {name}"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*PG_ADMIN, f"CREATE DATABASE {name}"], check=True, stdout=subprocess.DEVNULL)


async def ours(store: str, n: int, concurrency: int) -> tuple[float, float, int]:
    """(steps/s, setup cases/s, steps) of our engine on real application subjects."""
    with tempfile.TemporaryDirectory() as var:
        env = {"GOVSERVICE_VAR_DIR": var, "GOVSERVICE_WORKFLOWS_DIR": str(ROOT / "workflows")}
        if store == "postgresql":
            fresh_pg("govservice_bench_engine")
            env["GOVSERVICE_DATABASE_URL"] = (
                "postgresql+asyncpg://postgres@127.0.0.1:5432/govservice_bench_engine"
            )
        settings = load_settings(env)
        engine = make_engine(settings.database_url, pool_size=concurrency + 2, max_overflow=0)
        try:
            await upgrade(engine)
            services = build_services(settings, engine, SystemClock(), KeyStore.load_or_create(Path(var)))
            admin = Actor(sub="seed", roles=frozenset({Role.ADMIN}))
            await services.catalogue.seed(sorted((ROOT / "workflows" / "catalog").glob("*.yaml")), admin)
            await services.engine.publish_directory()
            blocks = [range(k * n // concurrency, (k + 1) * n // concurrency) for k in range(concurrency)]

            async def setup(block: range) -> list[int]:
                ids = []
                for _ in block:
                    app = await services.applications.create(
                        APPLICANT,
                        matter_code=MATTER,
                        route=Route.STANDARD,
                        enterprise_name="bench",
                        enterprise_uscc=None,
                        channel="online",
                        commitment_signed=False,
                        file=False,
                    )
                    for material in app.materials:
                        await services.applications.upload(
                            APPLICANT,
                            app.id,
                            material_code=material.code,
                            filename="doc.pdf",
                            content_type="application/pdf",
                            content=PDF,
                        )
                    ids.append(app.id)
                return ids

            async def steps(block: range, ids: list[int]) -> int:
                taken = 0
                for i, app_id in zip(block, ids, strict=True):
                    for action, actor, payload in path_of(i):
                        await services.applications.act(actor, app_id, action, payload=payload)
                        taken += 1
                return taken

            started = time.perf_counter()
            id_blocks = await asyncio.gather(*(setup(block) for block in blocks))
            setup_s = time.perf_counter() - started
            started = time.perf_counter()
            taken = sum(
                await asyncio.gather(*(steps(b, ids) for b, ids in zip(blocks, id_blocks, strict=True)))
            )
            steps_s = time.perf_counter() - started
            await check(services, n, taken)
        finally:
            await engine.dispose()
    return taken / steps_s, n / setup_s, taken


async def check(services: Services, n: int, taken: int) -> None:
    async with services.ctx.sessions() as session:
        approved = await session.scalar(select(func.count()).where(WorkflowCaseRow.outcome == "approved"))
        licences = await session.scalar(select(func.count()).select_from(LicenceRow))
        entries = await session.scalar(
            select(func.count()).where(
                AuditEntryRow.action.in_(
                    [
                        "file",
                        "notify_deficiency",
                        "submit_corrections",
                        "accept",
                        "assign_inspector",
                        "record_inspection",
                        "approve",
                    ]
                )
            )
        )
        outbox = await session.scalar(select(func.count()).select_from(WorkflowOutboxRow))
        await session.execute(text("select 1"))
    if (approved, licences, entries) != (n, n, taken):
        raise SystemExit(
            f"check failed: {approved} approved, {licences} licences, {entries} audit entries "
            f"(expected {n}, {n}, {taken})"
        )
    if not outbox:
        raise SystemExit("check failed: no outbox rows")


def peer(store: str, n: int, concurrency: int, venv: Path) -> float:
    """The peer's task completions/s with the same store and concurrency."""
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "spiffworkflow", "psycopg[binary]"], check=True
        )
    with tempfile.TemporaryDirectory() as tmp:
        if store == "postgresql":
            fresh_pg("govservice_bench_peer")
            url = "postgresql://postgres@127.0.0.1:5432/govservice_bench_peer"
        else:
            url = f"sqlite:///{tmp}/peer.db"
        out = subprocess.run(
            [
                str(venv / "bin" / "python"),
                str(PEER / "bench_spiff.py"),
                str(n),
                "--store",
                url,
                "--concurrency",
                str(concurrency),
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=tmp,
        ).stdout
    match = re.search(r"(?:tasks|task_completions|completions)/s=([0-9.]+)", out)
    if match is None:
        raise SystemExit(f"could not read the peer's rate from: {out}")
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("n", nargs="?", type=int, default=1000, help="cases (default 1000)")
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated (default 1,8)")
    parser.add_argument("--no-peer", action="store_true", help="our engine only")
    parser.add_argument("--peer-venv", type=Path, default=Path("/tmp/govservice-bench-peer-venv"))
    args = parser.parse_args()
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())  # as `govservice serve` runs
    for store in ["sqlite", "postgresql"] if args.store == "both" else [args.store]:
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            rate, setup_rate, taken = asyncio.run(ours(store, args.n, concurrency))
            line = (
                f"store={store:<10} tasks={concurrency}  ours: steps/s={rate:7.1f} ({taken} steps on real "
                f"applications; setup {setup_rate:6.1f} cases/s: create + 4 uploads)"
            )
            if not args.no_peer:
                theirs = peer(store, args.n, concurrency, args.peer_venv)
                line += f"  peer: tasks/s={theirs:7.1f}  ratio={rate / theirs:4.1f}x"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
