"""The `govservice` command line. Run from the project root (paths are relative to it)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from govservice.config import ConfigError, Settings, load_settings

log = logging.getLogger("govservice")

SEED_ACTOR_SUB = "seed"


def _setup_logging(settings: Settings) -> None:
    from govservice.logs import setup_logging

    setup_logging(settings.log_level, settings.log_format)


# -- database ----------------------------------------------------------------------------


async def _migrate(settings: Settings) -> None:
    from govservice.db.engine import make_engine
    from govservice.db.migrations import current_revision, head_revision, upgrade

    engine = make_engine(settings.database_url)
    try:
        before = await current_revision(engine)
        await upgrade(engine)
        if before != head_revision():
            log.info("database migrated from %s to %s", before or "empty", head_revision())
    finally:
        await engine.dispose()


async def _seed(settings: Settings, *, only_if_empty: bool) -> list[str]:
    from govservice.bootstrap import build_services, make_database
    from govservice.domain.actor import Actor, Role
    from govservice.domain.clock import SystemClock

    engine = make_database(settings)
    try:
        services = build_services(settings, engine, SystemClock())
        published = await services.engine.publish_directory()
        if published:
            log.info("published process definitions: %s", ", ".join(published))
        if only_if_empty and await services.catalogue.current():
            return []
        files = sorted((settings.workflows_dir / "catalog").glob("*.yaml"))
        return await services.catalogue.seed(files, Actor(sub=SEED_ACTOR_SUB, roles=frozenset({Role.ADMIN})))
    finally:
        await engine.dispose()


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    asyncio.run(_migrate(settings))
    print("database is at the latest schema")
    return 0


def cmd_seed(settings: Settings, _: argparse.Namespace) -> int:
    added = asyncio.run(_seed(settings, only_if_empty=False))
    print(
        f"seeded {len(added)} matter(s)"
        + (f": {', '.join(added)}" if added else " (catalogue already complete)")
    )
    return 0


# -- serving -----------------------------------------------------------------------------


def check_calendar(settings: Settings) -> None:
    """A malformed calendar file stops the process with one line naming it (before any worker starts)."""
    from govservice.domain.calendar import CalendarError, load_calendar

    directory = settings.workflows_dir / "calendars"
    try:
        load_calendar(directory)
    except CalendarError as exc:
        lines = str(exc).splitlines()
        more = f" (and {len(lines) - 1} more problem(s))" if len(lines) > 1 else ""
        raise ConfigError(f"{directory}/{lines[0]}{more}") from None


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import dataclasses
    import os

    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    from govservice.auth import KeyStore
    from govservice.logs import log_config

    if args.host or args.port or args.workers:
        settings = dataclasses.replace(
            settings,
            host=args.host or settings.host,
            port=args.port or settings.port,
            serve_workers=args.workers or settings.serve_workers,
        )
    if settings.serve_workers > 1 and settings.is_sqlite:
        raise ConfigError(
            f"serve with {settings.serve_workers} workers needs PostgreSQL (GOVSERVICE_DATABASE_URL): "
            "the embedded SQLite database has one writer, so serve it with one worker"
        )

    check_calendar(settings)

    async def prepare() -> list[str]:
        await _migrate(settings)
        return await _seed(settings, only_if_empty=True)

    added = asyncio.run(prepare())
    if added:
        log.info(
            "seeded the catalogue with %d matters from %s", len(added), settings.workflows_dir / "catalog"
        )
    base = f"http://{settings.host}:{settings.port}"
    print(f"govservice {base}  database: {_safe_url(settings.database_url)}", flush=True)
    print(f"  API docs:   {base}/docs", flush=True)
    print(f"  catalogue:  curl {base}/api/v1/matters", flush=True)
    print(
        "  a token:    .venv/bin/govservice token --role admin   (then: -H 'Authorization: Bearer <token>')",
        flush=True,
    )
    # Granian rather than uvicorn: measured faster on the same app and load (README, Benchmarks).
    # Its worker builds the app from the environment, so --host/--port go there too, and the
    # signing key is created here, once, before any worker starts.
    os.environ.update(GOVSERVICE_HOST=settings.host, GOVSERVICE_PORT=str(settings.port))
    KeyStore.load_or_create(settings.var_dir, settings.token_ttl_seconds)
    Granian(
        "govservice.api.asgi:app_from_env",
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=settings.serve_workers,
        loop=Loops.uvloop,
        log_level=LogLevels(settings.log_level.lower()),
        log_dictconfig=log_config(settings.log_level, settings.log_format),
        log_access=False,  # the app writes one richer line per request (govservice/api/observe.py)
    ).serve()
    return 0


def _safe_url(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


# -- tokens and documents ------------------------------------------------------------------


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    from govservice.auth import KeyStore, mint_token
    from govservice.domain.actor import Role
    from govservice.domain.clock import SystemClock

    unknown = [r for r in args.role if r not in Role._value2member_map_]
    if unknown:
        print(f"error: unknown role(s) {', '.join(unknown)}; roles are: {', '.join(Role)}", file=sys.stderr)
        return 2
    keys = KeyStore.load_or_create(settings.var_dir)
    token = mint_token(
        keys,
        issuer=settings.issuer,
        audience=settings.audience,
        sub=args.sub or f"{args.role[0]}-cli",
        roles=args.role,
        now=SystemClock().now(),
        ttl_seconds=args.ttl or settings.token_ttl_seconds,
        ent=args.ent,
        unit=args.unit,
        name=args.name,
    )
    print(
        f"# roles={','.join(args.role)} ent={args.ent or '-'} unit={args.unit or '-'} "
        f"ttl={args.ttl or settings.token_ttl_seconds}s",
        file=sys.stderr,
    )
    print(token)
    return 0


def cmd_keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    from govservice.auth import Purpose, rotate_key
    from govservice.domain.clock import SystemClock

    purpose = Purpose(args.purpose)
    old, new = rotate_key(settings.var_dir, purpose, SystemClock().now(), settings.token_ttl_seconds)
    kept = (
        f"for {settings.token_ttl_seconds} s (GOVSERVICE_TOKEN_TTL)"
        if purpose is Purpose.TOKEN
        else "for good (licences may be valid until revoked)"
    )
    print(f"{purpose} key rotated: {new} signs from now on; {old} stays published and trusted {kept}")
    print("restart `govservice serve` and every `govservice worker` to sign with the new key")
    return 0


def cmd_openapi(settings: Settings, args: argparse.Namespace) -> int:
    from govservice.api.openapi_export import write_openapi

    path = write_openapi(settings, Path(args.output))
    print(f"wrote {path}")
    return 0


# -- parser ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govservice", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate if needed, seed if empty, serve the API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers",
        type=int,
        help="server processes (GOVSERVICE_SERVE_WORKERS; default 1; >1 needs PostgreSQL)",
    )
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="upgrade the database to head").set_defaults(func=cmd_migrate)
    sub.add_parser("seed", help="load the catalogue from workflows/ (idempotent)").set_defaults(func=cmd_seed)

    token = sub.add_parser("token", help="print one signed token, alone on the last line")
    token.add_argument("--role", action="append", required=True, help="repeat for several roles")
    token.add_argument("--ent", help="USCC of the enterprise an applicant acts for")
    token.add_argument("--unit", help="department unit code of staff")
    token.add_argument("--sub", help="subject (user id)")
    token.add_argument("--name", help="display name")
    token.add_argument("--ttl", type=int, help="lifetime in seconds")
    token.set_defaults(func=cmd_token)

    keys = sub.add_parser("keys", help="the service's signing keys")
    rotate = keys.add_subparsers(dest="keys", required=True).add_parser(
        "rotate", help="a new key of one purpose signs; the old one stays published"
    )
    rotate.add_argument("--purpose", choices=["token", "document"], required=True)
    rotate.set_defaults(func=cmd_keys_rotate)

    openapi = sub.add_parser("openapi", help="write openapi/openapi.json")
    openapi.add_argument("--output", default="openapi/openapi.json")
    openapi.set_defaults(func=cmd_openapi)

    for extend in _EXTENSIONS:
        extend(sub)
    return parser


# Sub-commands contributed by other modules (workflows, worker, demo) register here.
_EXTENSIONS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def _workflow_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from govservice.worker import register_commands  # `worker`, `workflows check`, `workflows graph ID`

    register_commands(sub)


def cmd_recount(settings: Settings, _: argparse.Namespace) -> int:
    from govservice.db.engine import make_engine
    from govservice.services.assessment.counts import recount

    async def run() -> int:
        engine = make_engine(settings.database_url)
        try:
            return await recount(engine)
        finally:
            await engine.dispose()

    rows = asyncio.run(run())
    print(f"recounted the indicators' running counts from the applications' facts: {rows} rows")
    return 0


def _recount_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser(
        "recount", help="recompute the indicators' running counts from the applications (after a repair)"
    ).set_defaults(func=cmd_recount)


def _demo_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from govservice.demo import register

    register(sub)


def _calendar_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from govservice.calendar_commands import register

    register(sub)


_EXTENSIONS.extend([_workflow_commands, _recount_command, _demo_command, _calendar_command])


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"govservice: configuration error: {exc}", file=sys.stderr)
        return 2
    _setup_logging(settings)
    try:
        return int(args.func(settings, args))
    except ConfigError as exc:
        print(f"govservice: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"govservice: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
