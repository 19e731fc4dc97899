"""The timer loop (`govservice worker`), and the `govservice workflows check|graph` commands.

Any number of workers may run against PostgreSQL (timers are claimed with FOR UPDATE SKIP
LOCKED and fired exactly once); on SQLite run one, or let `serve` run it in-process:

    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(engine_service, stop))   # in the app's lifespan
    ...
    stop.set(); await task
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.auth import KeyStore
from govservice.bootstrap import Services, build_services, engine_extensions, make_database
from govservice.config import Settings
from govservice.domain.clock import SystemClock
from govservice.services.engine import EngineService

log = logging.getLogger("govservice.worker")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_worker(
    engine: EngineService,
    stop: asyncio.Event,
    *,
    interval: float = 1.0,
    batch: int = 50,
    name: str | None = None,
    before_start: Callable[[], Awaitable[object]] | None = None,
    each_round: Callable[[], Awaitable[object]] | None = None,
) -> None:
    """Fire due timers until ``stop`` is set; sleeps ``interval`` seconds when nothing is due.
    ``each_round`` runs after every round (sealing the audit trail, webhook delivery: people's steps
    write entries and outbox rows too); ``before_start`` once before the first (deadlines re-derived
    on a newly loaded calendar)."""
    name = name or worker_name()
    log.info("timer worker %s started", name)
    if before_start is not None:
        try:
            await before_start()
        except Exception:
            log.exception("timer worker %s: the start-up hook failed", name)
    while not stop.is_set():
        try:
            run = await engine.run_due_timers(name, limit=batch)
        except Exception:  # the database is away, say; keep the loop alive
            log.exception("timer worker %s: a round failed", name)
            run = None
        if each_round is not None:
            try:
                await each_round()
            except Exception:
                log.exception("timer worker %s: the each-round hook failed", name)
        if run is not None and run.claimed:
            log.info(
                "timers: %d fired, %d dropped, %d failed, %d to retry",
                run.fired,
                run.dropped,
                run.failed,
                run.retry,
            )
        if run is None or run.claimed < batch:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    log.info("timer worker %s stopped", name)


# -- command line ------------------------------------------------------------------------------


def _services(settings: Settings) -> tuple[AsyncEngine, Services]:
    """The same services as the app (effect handlers sign licences, so they need the key)."""
    engine = make_database(settings)
    return engine, build_services(settings, engine, SystemClock(), KeyStore.load_or_create(settings.var_dir))


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from govservice.cli import check_calendar

    check_calendar(settings)

    async def main() -> None:
        engine, services = _services(settings)
        service = services.engine
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            if args.once:
                await services.catch_up_calendar()
                run = await service.run_due_timers(worker_name(), limit=args.batch)
                await services.background_round()
                sent = await services.webhooks.run_round()
                print(
                    f"claimed {run.claimed}: {run.fired} fired, {run.dropped} dropped, {run.failed} failed, "
                    f"{run.retry} to retry"
                )
                print(f"webhooks: {sent.delivered} delivered, {sent.retry} to retry, {sent.failed} failed")
            else:
                await run_worker(
                    service,
                    stop,
                    interval=args.interval,
                    batch=args.batch,
                    before_start=services.catch_up_calendar,
                    each_round=services.background_round,
                )
        finally:
            await services.webhooks.aclose()
            await engine.dispose()

    asyncio.run(main())
    return 0


def cmd_workflows_check(settings: Settings, args: argparse.Namespace) -> int:
    from govservice.domain.calendar import CalendarError, load_calendar
    from govservice.workflow import load_directory

    directory = settings.workflows_dir / "processes"
    catalogue = load_directory(directory, registry=engine_extensions().registry)
    problems = [str(p) for p in catalogue.problems]
    try:
        calendar = load_calendar(settings.workflows_dir / "calendars")
    except CalendarError as exc:
        problems.extend(str(exc).splitlines())
        calendar = None
    for line in problems:
        print(line, file=sys.stdout)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    assert calendar is not None  # it failed to load only with its problems listed above
    names = ", ".join(f"{pid} v{v}" for pid, v in sorted(catalogue.processes))
    from govservice.calendar_commands import _today, calendar_warning

    warning = calendar_warning(calendar, _today(settings))
    if warning:
        print(warning, file=sys.stderr)
    print(
        f"ok: {len(catalogue.processes)} process(es) ({names}); calendar {calendar.first_year}-"
        f"{calendar.last_year} ({calendar.version})"
    )
    return 0


def cmd_workflows_graph(settings: Settings, args: argparse.Namespace) -> int:
    from govservice.workflow import load_directory, mermaid

    catalogue = load_directory(settings.workflows_dir / "processes", registry=engine_extensions().registry)
    if args.version is not None:
        process = catalogue.processes.get((args.id, args.version))
    else:
        process = catalogue.latest(args.id)
    if process is None:
        for problem in catalogue.problems:
            print(problem, file=sys.stderr)
        known = ", ".join(sorted({pid for pid, _ in catalogue.processes})) or "none"
        print(
            f"error: no valid process {args.id!r}"
            + (f" version {args.version}" if args.version else "")
            + f" in {settings.workflows_dir / 'processes'} (known: {known})",
            file=sys.stderr,
        )
        return 1
    sys.stdout.write(mermaid(process))
    return 0


def register_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser("worker", help="run the timer and delivery loop (due deadlines, webhooks)")
    worker.add_argument("--once", action="store_true", help="one round, then exit")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
    worker.add_argument("--batch", type=int, default=50, help="timers claimed per round")
    worker.set_defaults(func=cmd_worker)

    workflows = sub.add_parser("workflows", help="check or draw the process definitions")
    commands = workflows.add_subparsers(dest="workflows_command", required=True)
    commands.add_parser("check", help="validate every definition; one line per problem").set_defaults(
        func=cmd_workflows_check
    )
    graph = commands.add_parser("graph", help="print a process as a Mermaid stateDiagram-v2")
    graph.add_argument("id")
    graph.add_argument("--version", type=int)
    graph.set_defaults(func=cmd_workflows_graph)
