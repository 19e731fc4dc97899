"""Server time per public page at 16 clients, on a real `govservice serve` process.

    .venv/bin/python bench/pages.py                       # SQLite, 16 clients, 5 s per page
    .venv/bin/python bench/pages.py --store postgresql --clients 16 --seconds 10

The server (granian, as `govservice serve` runs it) starts on a throwaway var dir; one licence is
granted and one revoked through the API first, so the verification page has something to show and
the board something to count. Then each page is loaded by the same asyncio httpx client for a fixed
time, `/health/live` first as the baseline of the same run. Printed per page: requests/s, median and
95th-percentile latency, and the server's CPU milliseconds per request (its whole process tree, from
/proc): the time the server spends on one page. Loopback only; PostgreSQL: the lifecycle bench's
database (`govservice_bench_lifecycle`) is dropped and created on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu import tree_seconds  # noqa: E402
from http_catalogue import prepare, running_server_process  # noqa: E402
from lifecycle import ENT, PDF, _pg_url, _token  # noqa: E402

from govservice.auth import KeyStore  # noqa: E402

UNIT = "FR-APPROVAL"


def _ok(response: httpx.Response) -> dict:
    if response.status_code >= 400:
        raise SystemExit(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response.json()  # type: ignore[no-any-return]


def grant_licence(base: str, keys: KeyStore, *, revoke: bool = False) -> str:
    """A licence granted on the commitment route (and revoked after a failed post-check and re-check)."""
    applicant = _token(keys, "applicant", ent=ENT)
    clerk = _token(keys, "clerk", unit=UNIT)
    inspector = _token(keys, "inspector", unit=UNIT)
    with httpx.Client(base_url=base, timeout=30.0) as http:
        body = {
            "matterCode": "FR-PGP-OPENING",
            "enterpriseName": "成都某某餐饮管理有限公司",
            "route": "commitment",
        }
        app = _ok(
            http.post("/api/v1/applications", json={**body, "commitmentSigned": True}, headers=applicant)
        )
        path = f"/api/v1/applications/{app['id']}"
        for material in app["materials"]:
            files = {"file": ("doc.pdf", PDF, "application/pdf")}
            _ok(
                http.post(
                    f"{path}/materials", data={"material": material["code"]}, files=files, headers=applicant
                )
            )
        _ok(http.post(f"{path}/actions/file", json={}, headers=applicant))
        granted = _ok(http.post(f"{path}/actions/grant", json={}, headers=clerk))
        if revoke:
            _ok(
                http.post(
                    f"{path}/actions/fail_post_check", json={"comment": "疏散通道被占用"}, headers=inspector
                )
            )
            _ok(http.post(f"{path}/actions/fail_recheck", json={"comment": "仍未整改"}, headers=inspector))
    return str(granted["licenceNumber"])


@contextmanager
def server_with_licences(store: str = "sqlite") -> Iterator[tuple[str, int, dict[str, str]]]:
    """A running server (base URL, pid) and the numbers of its two licences (`valid`, `revoked`)."""
    with tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "GOVSERVICE_VAR_DIR": var, "GOVSERVICE_LOG_LEVEL": "WARNING"}
        env["GOVSERVICE_RUN_WORKER"] = "false"
        if store == "postgresql":
            env["GOVSERVICE_DATABASE_URL"] = _pg_url()
        else:
            env.pop("GOVSERVICE_DATABASE_URL", None)
        prepare(env)
        keys = KeyStore.load_or_create(Path(var))
        with running_server_process("serve", env) as (base, server):
            numbers = {"valid": grant_licence(base, keys), "revoked": grant_licence(base, keys, revoke=True)}
            yield base, server.pid, numbers


async def _load(base: str, path: str, clients: int, seconds: float) -> tuple[int, list[float]]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Accept-Encoding": "gzip", "Accept-Language": "zh-CN,zh;q=0.9"}
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits, headers=headers) as http:
        (await http.get(path)).raise_for_status()  # warm-up
        end = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < end:
                start = time.perf_counter()
                response = await http.get(path)
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code}")

        await asyncio.gather(*(worker() for _ in range(clients)))
    return len(latencies), latencies


def measure(base: str, pid: int, pages: list[str], clients: int, seconds: float) -> None:
    for path in pages:
        cpu_before, start = tree_seconds(pid), time.perf_counter()
        count, latencies = asyncio.run(_load(base, path, clients, seconds))
        elapsed = time.perf_counter() - start
        cpu_ms = (tree_seconds(pid) - cpu_before) * 1000 / (count + 1)  # + the warm-up
        ordered = sorted(latencies)
        print(
            f"{path:<36} {count / elapsed:8.1f} req/s  median {statistics.median(ordered) * 1000:6.1f} ms  "
            f"p95 {ordered[int(len(ordered) * 0.95)] * 1000:6.1f} ms  server CPU {cpu_ms:5.2f} ms/request",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0, help="per page")
    args = parser.parse_args()
    with server_with_licences(args.store) as (base, pid, numbers):
        pages = [
            "/health/live",
            f"/verify/{numbers['valid']}",
            f"/verify/{numbers['revoked']}",
            "/board",
            "/guide",
            "/guide/FR-PGP-OPENING",
        ]
        print(
            f"store={args.store} clients={args.clients} {args.seconds:.0f} s per page; "
            "/health/live is the baseline"
        )
        measure(base, pid, pages, args.clients, args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
