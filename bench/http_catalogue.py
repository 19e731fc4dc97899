"""Requests/s of `GET /api/v1/matters` against a bare Litestar endpoint, on one real server.

    .venv/bin/python bench/http_catalogue.py                 # what `govservice serve` runs
    .venv/bin/python bench/http_catalogue.py --server both   # uvicorn vs granian, same app, same load

The server runs in its own process on a throwaway var dir (migrated and seeded as `govservice
serve` does); the load generator is another process: `wrk` when it is installed
(`apt-get install wrk`), else a built-in asyncio keep-alive client, said so in the output. Both
endpoints are measured by the same generator in the same run, interleaved over a few rounds;
the bare endpoint is `/health/live`, a handler that returns a constant Struct. Loopback only.
Target: the catalogue at >= 50% of the bare endpoint's rate (exit status 1 below it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
BARE = "/health/live"
CATALOGUE = "/api/v1/matters"
TARGET = 0.5
HOST = "127.0.0.1"


@dataclass
class Measurement:
    requests_per_second: float
    requests: int
    errors: int


# -- servers -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_command(server: str, port: int) -> list[str]:
    target = "govservice.api.asgi:app_from_env"
    if server == "serve":
        return [sys.executable, "-m", "govservice", "serve", "--host", HOST, "--port", str(port)]
    if server == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            target,
            "--host",
            HOST,
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            "--no-server-header",
        ]
    if server == "granian":
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            target,
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    raise ValueError(server)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as response:  # loopback only
        return int(response.status), response.read()


@contextlib.contextmanager
def running_server(server: str, env: dict[str, str]) -> Iterator[str]:
    with running_server_process(server, env) as (base, _process):
        yield base


@contextlib.contextmanager
def running_server_process(server: str, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The server's base URL and its process (whose tree ``bench/cpu.py`` measures)."""
    port = _free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(server_command(server, port), cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            _wait_until_ready(process, base, log)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], base: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise SystemExit(f"the server exited with {process.returncode}:\n{output}")
        with contextlib.suppress(OSError):
            if _get(base + "/health/ready")[0] == 200:
                return
        if time.monotonic() > deadline:
            raise SystemExit("the server did not become ready within 60 s")
        time.sleep(0.2)


def prepare(env: dict[str, str]) -> None:
    """Migrate and seed, as `govservice serve` does before it starts."""
    for command in ("migrate", "seed"):
        subprocess.run(
            [sys.executable, "-m", "govservice", command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


# -- load generators -----------------------------------------------------------------------


def wrk_version() -> str | None:
    if shutil.which("wrk") is None:
        return None
    result = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    match = re.search(r"wrk (\S+)", result.stdout + result.stderr)
    return f"wrk {match.group(1) if match else '?'}"


def run_wrk(url: str, connections: int, seconds: float, headers: dict[str, str]) -> Measurement:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(bad.group(1)) if bad else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Measurement(rate, total, errors)


def run_builtin(url: str, connections: int, seconds: float, headers: dict[str, str]) -> Measurement:
    """The fallback generator, in its own process like wrk."""
    command = [sys.executable, __file__, "_load", url, str(connections), str(seconds), json.dumps(headers)]
    result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    return Measurement(result["requests"] / result["seconds"], result["requests"], result["errors"])


async def _one_connection(host: str, port: int, request: bytes, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            else:  # chunked
                while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")
            counts[0] += 1
            if not 200 <= status < 400:
                counts[1] += 1
    finally:
        writer.close()


async def _load(url: str, connections: int, seconds: float, headers: dict[str, str]) -> dict[str, float]:
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("the load generator only targets loopback addresses")
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode()
    counts = [0, 0]
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(
        *(
            _one_connection(parts.hostname, parts.port or 80, request, deadline, counts)
            for _ in range(connections)
        )
    )
    return {"requests": counts[0], "errors": counts[1], "seconds": time.monotonic() - start}


# -- the benchmark -------------------------------------------------------------------------


def measure(server: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Measurement]:
    generator = run_wrk if args.generator.startswith("wrk") else run_builtin
    headers = {"Accept-Encoding": "gzip"} if args.gzip else {}
    with running_server(server, env) as base:
        status, body = _get(base + CATALOGUE, headers)
        items = len(json.loads(body)["items"]) if not args.gzip else "?"
        print(f"  {server}: {CATALOGUE} answers {status}, {len(body)} bytes, {items} matters", flush=True)
        for path in (BARE, CATALOGUE):  # warm-up: imports, caches, JIT-free but connection pools
            generator(base + path, args.connections, 2, headers)
        rounds: dict[str, list[Measurement]] = {BARE: [], CATALOGUE: []}
        for _ in range(args.rounds):
            for path in (BARE, CATALOGUE):
                rounds[path].append(generator(base + path, args.connections, args.duration, headers))
    result = {}
    for path, runs in rounds.items():
        errors = sum(run.errors for run in runs)
        if errors:
            raise SystemExit(f"{server} {path}: {errors} error responses during the run")
        result[path] = Measurement(
            statistics.median(r.requests_per_second for r in runs), sum(r.requests for r in runs), 0
        )
    return result


def report(server: str, figures: dict[str, Measurement]) -> bool:
    bare, catalogue = figures[BARE].requests_per_second, figures[CATALOGUE].requests_per_second
    ratio = catalogue / bare
    ok = ratio >= TARGET
    print(f"{server:>8}  GET {BARE:<16} {bare:9.0f} req/s")
    print(f"{server:>8}  GET {CATALOGUE:<16} {catalogue:9.0f} req/s")
    verdict = "met" if ok else "NOT MET"
    print(f"{server:>8}  catalogue / bare = {ratio:.0%}  (target >= {TARGET:.0%}: {verdict})", flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--server",
        choices=["serve", "uvicorn", "granian", "both"],
        default="serve",
        help="serve: what `govservice serve` runs; both: uvicorn then granian",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (1-60)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="interleaved rounds per endpoint; the median counts"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--gzip", action="store_true", help="send Accept-Encoding: gzip as browsers do")
    parser.add_argument("--generator", choices=["auto", "wrk", "builtin"], default="auto")
    args = parser.parse_args()
    args.duration = min(max(args.duration, 1.0), 60.0)
    args.rounds = min(max(args.rounds, 1), 5)

    found = wrk_version()
    if args.generator == "wrk" and not found:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    if args.generator == "builtin" or not found:
        if args.generator == "auto":
            print(
                "wrk is not installed (apt-get install wrk): using the built-in asyncio load generator, "
                "which is slower than wrk, so both rates are lower bounds"
            )
        args.generator = "builtin asyncio keep-alive client"
    else:
        args.generator = found
    servers = ["uvicorn", "granian"] if args.server == "both" else [args.server]
    print(
        f"load: {args.generator}, {args.connections} connections, {args.duration:g} s x {args.rounds} "
        f"rounds per endpoint{', gzip' if args.gzip else ''}; {os.cpu_count()} CPUs; "
        f"servers: {', '.join(servers)} (1 worker each)",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="govservice-bench-") as var_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSERVICE_")}
        env.update(GOVSERVICE_VAR_DIR=var_dir, GOVSERVICE_RUN_WORKER="false", GOVSERVICE_LOG_LEVEL="WARNING")
        prepare(env)
        results = {server: measure(server, args, env) for server in servers}
    print()
    ok = all([report(server, figures) for server, figures in results.items()])
    if len(results) == 2:
        (a, fa), (b, fb) = results.items()
        for path in (BARE, CATALOGUE):
            ra, rb = fa[path].requests_per_second, fb[path].requests_per_second
            print(f"  {path}: {b} / {a} = {rb / ra:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_load":  # the built-in load generator's own process
        with contextlib.suppress(ImportError):
            import uvloop

            uvloop.install()
        url, connections, seconds, headers = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
        print(json.dumps(asyncio.run(_load(url, connections, seconds, json.loads(headers)))))
        raise SystemExit(0)
    raise SystemExit(main())
