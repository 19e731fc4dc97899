"""Complete applications per second through the HTTP API: create → upload → file → accept →
assign the inspector → record the on-site inspection → approve (the licence is signed and stored
in that step) → verify the licence.

    .venv/bin/python bench/lifecycle.py                          # SQLite and PostgreSQL, 1, 16 and 64 clients
    .venv/bin/python bench/lifecycle.py --store sqlite --cases 200

A real server (`govservice serve`, granian) runs on a throwaway var dir, with `--workers` server
processes on PostgreSQL (2 by default: one per core of the reference machine; SQLite is served by
one). The clients are asyncio aiohttp clients (one connection each; `pip install -e '.[bench]'`)
spread over `--client-processes` processes (2 by default), each client walking its own cases one
after another; the processes start together after a warm-up case each. Prints, per store and
number of clients:
- applications/s and HTTP requests/s of the lifecycle, the median latency of each step, and the
  99th percentile and the slowest of every request;
- the server's CPU milliseconds per application (its whole process tree, from /proc) and, on
  PostgreSQL, the database's (every postgres process; nothing else should use it meanwhile);
- the same clients' rate on `/health/live` against the same server, and the ratio to the
  lifecycle's request rate: the client is not the bottleneck while it is well above 5x.
Loopback only. PostgreSQL: a database `govservice_bench_lifecycle` is dropped and created on
127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu import postgres_seconds, tree_seconds  # noqa: E402
from http_catalogue import prepare, running_server_process  # noqa: E402

from govservice.auth import KeyStore, mint_token  # noqa: E402
from govservice.domain.clock import SystemClock  # noqa: E402

PDF = b"%PDF-1.7\n% bench\n%%EOF\n"
ENT = "91350100M000100Y43"
PG_DB = "govservice_bench_lifecycle"
STEPS = ("create", "upload", "file", "accept", "assign", "inspect", "approve", "verify")


def _token(keys: KeyStore, role: str, **claims: str) -> dict[str, str]:
    token = mint_token(
        keys,
        issuer="govservice",
        audience="govservice",
        sub=f"bench-{role}",
        roles=[role],
        now=SystemClock().now(),
        ttl_seconds=3600,
        **claims,
    )  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


async def _one_case(
    http: aiohttp.ClientSession, tokens: dict[str, dict[str, str]], latencies: dict[str, list[float]]
) -> None:
    async def timed(step: str, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> Any:
        start = time.perf_counter()
        async with http.request(method, url, headers=headers, **kwargs) as response:
            body = await response.read()
        latencies[step].append(time.perf_counter() - start)
        if response.status >= 400:
            raise RuntimeError(f"{step}: {response.status} {body[:300]!r}")
        return json.loads(body)

    applicant, clerk, head = tokens["applicant"], tokens["clerk"], tokens["supervisor"]
    app = await timed(
        "create",
        "POST",
        "/api/v1/applications",
        applicant,
        json={"matterCode": "FR-PGP-OPENING", "enterpriseName": "bench", "route": "standard"},
    )
    base = f"/api/v1/applications/{app['id']}"
    for material in app["materials"]:
        form = aiohttp.FormData()
        form.add_field("material", material["code"])
        form.add_field("file", PDF, filename="doc.pdf", content_type="application/pdf")
        await timed("upload", "POST", f"{base}/materials", applicant, data=form)
    await timed("file", "POST", f"{base}/actions/file", applicant, json={})
    await timed("accept", "POST", f"{base}/actions/accept", clerk, json={})
    await timed(
        "assign", "POST", f"{base}/actions/assign_inspector", head, json={"inspector": "bench-inspector"}
    )
    inspection = {"result": "pass", "findings": "疏散通道畅通，消防设施完好有效"}
    await timed("inspect", "POST", f"{base}/actions/record_inspection", tokens["inspector"], json=inspection)
    done = await timed("approve", "POST", f"{base}/actions/approve", head, json={})
    await timed("verify", "GET", f"/api/v1/licences/{done['licenceNumber']}", {})


# The clients are aiohttp's (its HTTP parser is compiled): on this machine one httpx client reached
# 970-1,050 requests/s on /health/live at 1 client, aiohttp 2,190, so httpx's own cost was too close
# to the lifecycle's at 1 client (a ratio of 4.7x). 64 clients sharing one httpx pool reached 143/s
# (its bookkeeping, not the server, was the limit); aiohttp's pool, 7,180. One connection a client.
@asynccontextmanager
async def _session(base: str, clients: int) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=60.0)
    async with aiohttp.ClientSession(base_url=base, connector=connector, timeout=timeout) as http:
        yield http


async def _bare(base: str, clients: int, seconds: float = 3.0) -> float:
    """Requests/s of the same clients on /health/live (no database, no auth)."""
    done = 0
    async with _session(base, clients) as http:
        end = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < end:
                async with http.get("/health/live") as response:
                    response.raise_for_status()
                    await response.read()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return done / (time.perf_counter() - start)


async def _drive(
    base: str, keys: KeyStore, clients: int, cases: int, start: Any
) -> tuple[float, float, dict[str, list[float]]]:
    """``clients`` concurrent clients walking ``cases`` applications; waits on ``start`` (a barrier
    of every client process) after its warm-up. Returns (started, finished, latencies)."""
    tokens = {
        "applicant": _token(keys, "applicant", ent=ENT),
        "clerk": _token(keys, "clerk", unit="FR-APPROVAL"),
        "supervisor": _token(keys, "supervisor", unit="FR-APPROVAL"),
        "inspector": _token(keys, "inspector", unit="FR-APPROVAL"),
    }
    latencies: dict[str, list[float]] = defaultdict(list)
    per_client = [cases // clients + (1 if i < cases % clients else 0) for i in range(clients)]
    async with _session(base, clients) as http:
        await _one_case(http, tokens, defaultdict(list))  # warm-up: caches, prepared statements

        async def worker(n: int) -> None:
            for _ in range(n):
                await _one_case(http, tokens, latencies)

        start.wait()
        started = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        await asyncio.gather(*(worker(n) for n in per_client))
        return started, time.perf_counter(), latencies


def _client_process(base: str, var: str, clients: int, cases: int, start: Any, results: Any) -> None:
    keys = KeyStore.load_or_create(Path(var))
    results.put(asyncio.run(_drive(base, keys, clients, cases, start)))


def _bare_process(base: str, clients: int, results: Any) -> None:
    results.put(asyncio.run(_bare(base, clients)))


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _in_processes(target: Any, jobs: list[tuple[Any, ...]]) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=target, args=(*job, results)) for job in jobs]
    for process in processes:
        process.start()
    collected = [results.get() for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a client process failed (exit {process.exitcode})")
    return collected


def measure(
    base: str, var: str, clients: int, cases: int, processes: int
) -> tuple[float, dict[str, list[float]]]:
    """Applications/s of ``clients`` clients spread over ``processes`` client processes."""
    processes = min(processes, clients)
    start = multiprocessing.get_context("spawn").Barrier(processes)
    shares = zip(_shares(clients, processes), _shares(cases, processes), strict=True)
    jobs = [(base, var, c, n, start) for c, n in shares]
    runs = _in_processes(_client_process, jobs)
    latencies: dict[str, list[float]] = defaultdict(list)
    for _, _, measured in runs:
        for step, values in measured.items():
            latencies[step].extend(values)
    elapsed = max(finished for _, finished, _ in runs) - min(started for started, _, _ in runs)
    return cases / elapsed, latencies


def bare_rate(base: str, clients: int, processes: int) -> float:
    processes = min(processes, clients)
    return float(sum(_in_processes(_bare_process, [(base, c) for c in _shares(clients, processes)])))


def _pg_url() -> str:
    admin = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]
    subprocess.run([*admin, f"DROP DATABASE IF EXISTS {PG_DB}"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*admin, f"CREATE DATABASE {PG_DB}"], check=True, stdout=subprocess.DEVNULL)
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"


def run(store: str, clients_list: list[int], cases: int, workers: int, client_processes: int) -> None:
    workers = workers if store == "postgresql" else 1  # SQLite is served by one process
    with tempfile.TemporaryDirectory() as var:
        env = {
            **os.environ,
            "GOVSERVICE_VAR_DIR": var,
            "GOVSERVICE_LOG_LEVEL": "WARNING",
            "GOVSERVICE_RUN_WORKER": "false",
            "GOVSERVICE_SERVE_WORKERS": str(workers),
        }
        if store == "postgresql":
            env["GOVSERVICE_DATABASE_URL"] = _pg_url()
        else:
            env.pop("GOVSERVICE_DATABASE_URL", None)
        prepare(env)
        KeyStore.load_or_create(Path(var))
        with running_server_process("serve", env) as (base, server):
            for clients in clients_list:
                warmups = min(client_processes, clients)
                server_before, pg_before = tree_seconds(server.pid), postgres_seconds()
                rate, latencies = measure(base, var, clients, cases, client_processes)
                server_ms = (tree_seconds(server.pid) - server_before) * 1000 / (cases + warmups)
                pg_ms = (postgres_seconds() - pg_before) * 1000 / (cases + warmups)
                requests = sum(len(v) for v in latencies.values()) / cases * rate
                bare = bare_rate(base, clients, client_processes)
                medians = "  ".join(
                    f"{step} {statistics.median(latencies[step]) * 1000:.1f}"
                    for step in STEPS
                    if latencies[step]
                )
                every = sorted(v for values in latencies.values() for v in values)
                p99 = every[min(len(every) - 1, int(len(every) * 0.99))] * 1000
                database = f"  postgres CPU ms/application={pg_ms:5.1f}" if store == "postgresql" else ""
                print(
                    f"store={store:<10} server processes={workers} clients={clients:<3} "
                    f"(in {min(client_processes, clients)} processes) applications/s={rate:7.1f}  "
                    f"requests/s={requests:7.1f}"
                    f"  server CPU ms/application={server_ms:5.1f}{database}\n"
                    f"    same clients on /health/live: {bare:7.1f} requests/s = {bare / requests:4.1f}x the "
                    f"lifecycle's rate\n    median ms per step: {medians}\n"
                    f"    every request: p99 {p99:.0f} ms, slowest {every[-1] * 1000:.0f} ms",
                    flush=True,
                )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--cases", type=int, default=200, help="complete applications per measurement")
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes on PostgreSQL (SQLite: always 1)"
    )
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes the clients are spread over"
    )
    args = parser.parse_args()
    for store in ["sqlite", "postgresql"] if args.store == "both" else [args.store]:
        run(store, args.clients, args.cases, args.workers, args.client_processes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
