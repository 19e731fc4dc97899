"""Complete applications per second through the HTTP API: create → upload → file → accept →
assign the inspector → record the on-site inspection → approve (the licence is signed and stored
in that step) → verify the licence.

    .venv/bin/python bench/lifecycle.py                          # SQLite and PostgreSQL, 1, 16 and 64 clients
    .venv/bin/python bench/lifecycle.py --store sqlite --cases 200

A real server (`govservice serve`'s ASGI server, granian) runs in its own process on a
throwaway var dir; the clients are asyncio httpx clients in this process, each walking its own
cases one after another. Prints, per store and number of clients:
- applications/s and HTTP requests/s of the lifecycle, and the median latency of each step;
- the server's CPU milliseconds per application (its whole process tree, from /proc) and, on
  PostgreSQL, the database's (every postgres process; nothing else should use it meanwhile);
- the same client's rate on `/health/live` against the same server, and the ratio to the
  lifecycle's request rate: the client is not the bottleneck while it is well above 5x.
Loopback only. PostgreSQL: a database `govservice_bench_lifecycle` is dropped and created on
127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

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
    http: httpx.AsyncClient, tokens: dict[str, dict[str, str]], latencies: dict[str, list[float]]
) -> None:
    async def timed(step: str, method: str, url: str, headers: dict[str, str], **kwargs: object) -> dict:
        start = time.perf_counter()
        response = await http.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]
        latencies[step].append(time.perf_counter() - start)
        if response.status_code >= 400:
            raise RuntimeError(f"{step}: {response.status_code} {response.text[:300]}")
        return response.json()  # type: ignore[no-any-return]

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
        await timed(
            "upload",
            "POST",
            f"{base}/materials",
            applicant,
            data={"material": material["code"]},
            files={"file": ("doc.pdf", PDF, "application/pdf")},
        )
    await timed("file", "POST", f"{base}/actions/file", applicant, json={})
    await timed("accept", "POST", f"{base}/actions/accept", clerk, json={})
    await timed(
        "assign", "POST", f"{base}/actions/assign_inspector", head, json={"inspector": "bench-inspector"}
    )
    inspection = {"result": "pass", "findings": "疏散通道畅通，消防设施完好有效"}
    await timed("inspect", "POST", f"{base}/actions/record_inspection", tokens["inspector"], json=inspection)
    done = await timed("approve", "POST", f"{base}/actions/approve", head, json={})
    await timed("verify", "GET", f"/api/v1/licences/{done['licenceNumber']}", {})


async def _bare(base: str, clients: int, seconds: float = 3.0) -> float:
    """Requests/s of the same client on /health/live (no database, no auth)."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    done = 0
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as http:
        end = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < end:
                (await http.get("/health/live")).raise_for_status()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return done / (time.perf_counter() - start)


async def _drive(base: str, keys: KeyStore, clients: int, cases: int) -> tuple[float, dict[str, list[float]]]:
    tokens = {
        "applicant": _token(keys, "applicant", ent=ENT),
        "clerk": _token(keys, "clerk", unit="FR-APPROVAL"),
        "supervisor": _token(keys, "supervisor", unit="FR-APPROVAL"),
        "inspector": _token(keys, "inspector", unit="FR-APPROVAL"),
    }
    latencies: dict[str, list[float]] = defaultdict(list)
    per_client = [cases // clients + (1 if i < cases % clients else 0) for i in range(clients)]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as http:
        await _one_case(http, tokens, defaultdict(list))  # warm-up: caches, prepared statements

        async def worker(n: int) -> None:
            for _ in range(n):
                await _one_case(http, tokens, latencies)

        start = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in per_client))
        elapsed = time.perf_counter() - start
    return cases / elapsed, latencies


def _pg_url() -> str:
    admin = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]
    subprocess.run([*admin, f"DROP DATABASE IF EXISTS {PG_DB}"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*admin, f"CREATE DATABASE {PG_DB}"], check=True, stdout=subprocess.DEVNULL)
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"


def run(store: str, clients_list: list[int], cases: int) -> None:
    with tempfile.TemporaryDirectory() as var:
        env = {
            **os.environ,
            "GOVSERVICE_VAR_DIR": var,
            "GOVSERVICE_LOG_LEVEL": "WARNING",
            "GOVSERVICE_RUN_WORKER": "false",
        }
        if store == "postgresql":
            env["GOVSERVICE_DATABASE_URL"] = _pg_url()
        else:
            env.pop("GOVSERVICE_DATABASE_URL", None)
        prepare(env)
        keys = KeyStore.load_or_create(Path(var))
        with running_server_process("serve", env) as (base, server):
            for clients in clients_list:
                server_before, pg_before = tree_seconds(server.pid), postgres_seconds()
                rate, latencies = asyncio.run(_drive(base, keys, clients, cases))
                server_ms = (tree_seconds(server.pid) - server_before) * 1000 / (cases + 1)  # + the warm-up
                pg_ms = (postgres_seconds() - pg_before) * 1000 / (cases + 1)
                requests = sum(len(v) for v in latencies.values()) / cases * rate
                bare = asyncio.run(_bare(base, clients))
                medians = "  ".join(
                    f"{step} {statistics.median(latencies[step]) * 1000:.1f}"
                    for step in STEPS
                    if latencies[step]
                )
                database = f"  postgres CPU ms/application={pg_ms:5.1f}" if store == "postgresql" else ""
                print(
                    f"store={store:<10} clients={clients:<3} applications/s={rate:7.1f}  "
                    f"requests/s={requests:7.1f}"
                    f"  server CPU ms/application={server_ms:5.1f}{database}\n"
                    f"    same client on /health/live: {bare:7.1f} requests/s = {bare / requests:4.1f}x the "
                    f"lifecycle's rate\n    median ms per step: {medians}",
                    flush=True,
                )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--cases", type=int, default=200, help="complete applications per measurement")
    args = parser.parse_args()
    for store in ["sqlite", "postgresql"] if args.store == "both" else [args.store]:
        run(store, args.clients, args.cases)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
