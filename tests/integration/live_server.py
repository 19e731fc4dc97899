"""A real `govservice serve` process for the load tests: started on a free port with its own var dir
(and the test PostgreSQL database when GOVSERVICE_TEST_DATABASE_URL is set), its output captured to a
file, stopped with SIGTERM (SIGKILL after 10 s) or killed outright to simulate a crash.

The command is configurable, to run the server from another source tree than the tests:

    GOVSERVICE_LOAD_SERVER_ROOT=/tmp/gs-base   the tree to run from (cwd, PYTHONPATH, workflows/)
    GOVSERVICE_LOAD_SERVER_CMD="python -m govservice serve"   the command (``--port N`` is appended)

By default it is ``[sys.executable, "-m", "govservice", "serve"]`` run from the repository root.
:class:`LiveWorker` runs ``govservice worker`` the same way (the command's last word, ``serve``, replaced).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from govservice.config import PROJECT_ROOT

PG_URL = os.environ.get("GOVSERVICE_TEST_DATABASE_URL")
SERVER_ROOT = Path(os.environ.get("GOVSERVICE_LOAD_SERVER_ROOT") or PROJECT_ROOT)
SERVER_CMD = shlex.split(os.environ.get("GOVSERVICE_LOAD_SERVER_CMD") or "") or [
    sys.executable,
    "-m",
    "govservice",
    "serve",
]

READY_TIMEOUT = 60.0  # a fresh PostgreSQL schema is migrated and seeded before the port opens
STOP_TIMEOUT = 10.0

# The USCC alphabet and check character (GB 32100-2015), as in govservice.domain.uscc.
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def new_uscc() -> str:
    """A valid USCC nobody has used: a brand-new enterprise."""
    body = "91510100" + "".join(secrets.choice(_ALPHABET) for _ in range(9))
    total = sum(_ALPHABET.index(ch) * w for ch, w in zip(body, _WEIGHTS, strict=True))
    return body + _ALPHABET[(31 - total % 31) % 31]


def unique_pdf() -> bytes:
    """A PDF that passes the format check, different every time (so its SHA-256 names this upload)."""
    return b"%PDF-1.7\n% load test " + secrets.token_hex(16).encode() + b"\n1 0 obj <<>> endobj\n%%EOF\n"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def reset_postgres(url: str) -> None:
    """An empty public schema, for `serve` to migrate and seed as on a first start."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def migrate_postgres(url: str) -> None:
    """Leave the database at head for the rest of the suite (tests/conftest.py truncates, never migrates
    again once it has)."""
    from govservice.db.engine import make_engine
    from govservice.db.migrations import upgrade

    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@dataclass
class LiveServer:
    var_dir: Path
    log_path: Path
    database_url: str | None = PG_URL
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. GOVSERVICE_RUN_WORKER=false
    starts: int = 0
    unclean_stops: list[str] = field(default_factory=list)
    _keys: Any = None
    _settings: Any = None

    # -- lifecycle ---------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSERVICE_")}
        env.update(
            GOVSERVICE_VAR_DIR=str(self.var_dir),
            GOVSERVICE_WORKFLOWS_DIR=str(SERVER_ROOT / "workflows"),
            GOVSERVICE_LOG_LEVEL="WARNING",
        )
        if self.database_url:
            env["GOVSERVICE_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        # The server's own tree first, for `python -m govservice` and for granian's worker process alike.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SERVER_ROOT), env.get("PYTHONPATH")) if p)
        return env

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [*SERVER_CMD, "--port", str(self.port)]

    async def start(self) -> None:
        """Start (or restart, on the same var dir and database) and wait until it is ready."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.port = free_port()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts + 1} on port {self.port} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(  # noqa: ASYNC220 (it returns at once)
                self.command(),
                cwd=SERVER_ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.starts += 1
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5.0) as http:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"the server exited with {self.process.returncode} before it was "
                        f"ready:\n{self.log_tail()}"
                    )
                try:
                    if (await http.get("/health/ready")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"the server was not ready in {READY_TIMEOUT:.0f} s:\n{self.log_tail()}"
                    )
                await asyncio.sleep(0.1)

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)  # start_new_session: the group is the server's pid

    async def _wait_exit(self, within: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + within
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def kill(self) -> None:
        """kill -9 the server and its granian worker: a crash, nothing gets to clean up."""
        if self.process is None or self.process.poll() is not None:
            return
        self._signal_group(signal.SIGKILL)
        await self._wait_exit(STOP_TIMEOUT)

    async def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it; SIGKILL (and a note of it) if it is still up after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self._signal_group(signal.SIGTERM)
        if not await self._wait_exit(STOP_TIMEOUT):
            self.unclean_stops.append(
                f"start {self.starts}: still running {STOP_TIMEOUT:.0f} s after SIGTERM"
            )
            self._signal_group(signal.SIGKILL)
            await self._wait_exit(STOP_TIMEOUT)
        self._signal_group(signal.SIGKILL)  # a granian worker left behind by its parent, if any

    # -- the log -----------------------------------------------------------------------------

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def error_lines(self) -> list[str]:
        return [line for line in self.log_text().splitlines() if " ERROR " in line or " CRITICAL " in line]

    def assert_clean_log(self) -> None:
        text = self.log_text()
        assert "Traceback" not in text, f"the server log has a traceback ({self.log_path}):\n" + _around(
            text, "Traceback"
        )

    # -- tokens ------------------------------------------------------------------------------

    def headers(
        self,
        role: str,
        sub: str,
        *,
        ent: str | None = None,
        unit: str | None = None,
        extra_roles: Iterable[str] = (),
    ) -> dict[str, str]:
        """A bearer token signed with the server's key (in var_dir; created by `serve` before it listens)."""
        from govservice.auth import KeyStore, mint_token
        from govservice.config import load_settings

        if self._keys is None:
            self._settings = load_settings(self.env())
            self._keys = KeyStore.load_or_create(self.var_dir)
        token = mint_token(
            self._keys,
            issuer=self._settings.issuer,
            audience=self._settings.audience,
            sub=sub,
            roles=[role, *extra_roles],
            now=datetime.now(UTC),
            ttl_seconds=3600,
            ent=ent,
            unit=unit,
        )
        return {"Authorization": f"Bearer {token}"}


@dataclass
class LiveWorker(LiveServer):
    """A `govservice worker` process (no port): ready once it logs that its loop started. Logs at INFO,
    so each timer it fires is a line of its log (`timer 12 fired: case 34, action deem_accepted`)."""

    options: tuple[str, ...] = ()  # e.g. ("--batch", "4")

    def env(self) -> dict[str, str]:
        return {**super().env(), "GOVSERVICE_LOG_LEVEL": "INFO"}

    def command(self) -> list[str]:
        base = SERVER_CMD[:-1] if SERVER_CMD[-1] == "serve" else SERVER_CMD
        return [*base, "worker", *self.options]

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while len(re.findall(r"timer worker \S+ started", self.log_text())) < self.starts:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker did not start in {READY_TIMEOUT:.0f} s:\n{self.log_tail()}")
            await asyncio.sleep(0.1)

    def fired_timers(self) -> list[int]:
        """The ids of the timers this worker fired, from its log lines."""
        return [int(m) for m in re.findall(r"\btimer (\d+) fired: ", self.log_text())]

    def timers_claimed(self) -> int:
        """How many timers this worker claimed, from its rounds' lines (fired, dropped, failed, to retry)."""
        rounds = re.findall(
            r"timers: (\d+) fired, (\d+) dropped, (\d+) failed, (\d+) to retry", self.log_text()
        )
        return sum(int(n) for counts in rounds for n in counts)


def _around(text: str, needle: str, before: int = 5, after: int = 40) -> str:
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if needle in line)
    return "\n".join(lines[max(0, first - before) : first + after])


async def sealed_audit_report(
    http: httpx.AsyncClient, admin: dict[str, str], within: float = 10.0
) -> dict[str, Any]:
    """Poll the audit chain verification until it is intact with nothing left unsealed (entries are sealed
    later by the worker), or ``within`` seconds pass; the last report either way."""
    deadline = time.monotonic() + within
    report: dict[str, Any] = {}
    while True:
        response = await http.get("/api/v1/assessment/audit/verify", headers=admin)
        report = {
            "status": response.status_code,
            **(response.json() if response.status_code == 200 else {"body": response.text[:500]}),
        }
        if response.status_code == 200 and report.get("intact") and not report.get("unsealed"):
            return report
        if time.monotonic() > deadline:
            return report
        await asyncio.sleep(0.25)


@contextlib.asynccontextmanager
async def first_start(tmp_path: Path) -> AsyncIterator[LiveServer]:
    """A server on a fresh var dir (and, on PostgreSQL, an emptied schema that `serve` migrates and
    seeds, as on a first start); stopped with SIGTERM after, which must be clean, as its log."""
    if PG_URL:
        await reset_postgres(PG_URL)
    live = LiveServer(var_dir=tmp_path / "var", log_path=tmp_path / "server.log")
    try:
        await live.start()
        yield live
    finally:
        await live.stop()
    assert not live.unclean_stops, live.unclean_stops
    live.assert_clean_log()  # nothing went wrong while it shut down either
