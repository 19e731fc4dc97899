"""Configuration from ``GOVSERVICE_*`` environment variables, validated once at start-up.

A wrong value raises :class:`ConfigError` naming the variable; the command line prints that
one line and exits, so an operator never has to read a traceback to fix a typo.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$"
)

log = logging.getLogger("govservice.config")


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    var_dir: Path
    workflows_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = "Asia/Shanghai"
    issuer: str = "govservice"
    audience: str = "govservice"
    token_ttl_seconds: int = 3600
    jwks_url: str | None = None
    external_issuer: str | None = None
    external_audience: str | None = None
    jwks_refetch_seconds: int = 30
    catalogue_cache_seconds: float = 2.0
    run_worker: bool = True
    serve_workers: int = 1  # processes `serve` runs (granian workers); more than one needs PostgreSQL
    db_pool_size: int = 10  # connections each process keeps; every request uses exactly one
    db_max_overflow: int = 10  # extra connections under bursts
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one object per line (govservice/logs.py)
    public_base_url: str = "http://127.0.0.1:8000"
    rating_window_days: int = 7  # 好差评: no rating within this many days counts as 3 (local)
    # Webhook targets admitted although link-local or a cloud metadata host: lower-case host names
    # and networks in CIDR form ("169.254.10.0/24"); see services/webhooks/targets.py.
    webhook_allow_hosts: tuple[str, ...] = ()
    idempotency_ttl_hours: int = 24  # an Idempotency-Key's record is kept (and replayed) this long

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _parse(env: Mapping[str, str], name: str, convert: Callable[[str], T], default: T, hint: str) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return convert(raw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{name}={raw!r} is not valid: expected {hint}") from exc


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(raw)
    return value


def _ttl_hours(raw: str) -> int:
    value = _positive_int(raw)
    if value > 24 * 366 * 10:  # ten years: "now - TTL" must stay a date
        raise ValueError(raw)
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError(raw)
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(raw)


def _database_url(raw: str) -> str:
    if not raw.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError(raw)
    return raw


def _zone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(raw) from exc
    return raw


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError(raw)
    return level


def _log_format(raw: str) -> str:
    layout = raw.strip().lower()
    if layout not in {"text", "json"}:
        raise ValueError(raw)
    return layout


def _http_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ValueError(raw)
    return raw.rstrip("/")


def _allow_hosts(raw: str) -> tuple[str, ...]:
    """Comma-separated host names and CIDRs (a bare address is its /32 or /128), canonical form."""
    entries: list[str] = []
    for part in raw.split(","):
        entry = part.strip().lower().rstrip(".")
        if not entry:
            continue
        try:
            entries.append(str(ipaddress.ip_network(entry)))  # host bits set is a typo: ValueError
        except ValueError:
            if "/" in entry or ":" in entry or not _HOST_NAME.match(entry):
                raise ValueError(part) from None
            entries.append(entry)
    return tuple(dict.fromkeys(entries))


def ensure_private_dir(path: Path) -> None:
    """Create the var dir (SQLite database, signing key, pseudonym secret, stored files) readable
    by its owner only (0700), or restrict an existing one whose mode is wider, saying so once."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was open to other users (mode %o); restricting it to 0700", path, mode)
        try:
            path.chmod(0o700)
        except OSError as exc:
            log.warning("could not restrict %s: %s", path, exc)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    var_dir = Path(env.get("GOVSERVICE_VAR_DIR") or "./var")
    workflows_dir = Path(env.get("GOVSERVICE_WORKFLOWS_DIR") or "./workflows")
    default_db = f"sqlite+aiosqlite:///{var_dir / 'govservice.db'}"
    database_url = _parse(
        env,
        "GOVSERVICE_DATABASE_URL",
        _database_url,
        default_db,
        "a URL starting with sqlite+aiosqlite:// or postgresql+asyncpg://",
    )
    if not workflows_dir.is_dir():
        raise ConfigError(
            f"GOVSERVICE_WORKFLOWS_DIR={str(workflows_dir)!r} is not a directory "
            "(run from the project root or set it to the workflows/ folder)"
        )
    jwks_url = _parse(env, "GOVSERVICE_JWKS_URL", _http_url, None, "an http(s) URL")
    external_issuer = env.get("GOVSERVICE_JWKS_ISSUER") or None
    external_audience = env.get("GOVSERVICE_JWKS_AUDIENCE") or None
    if jwks_url and not (external_issuer and external_audience):
        raise ConfigError(
            "GOVSERVICE_JWKS_URL is set but GOVSERVICE_JWKS_ISSUER and GOVSERVICE_JWKS_AUDIENCE are not: "
            "tokens of an outside identity provider are only accepted for a known issuer and audience"
        )
    host = env.get("GOVSERVICE_HOST") or "127.0.0.1"
    port = _parse(env, "GOVSERVICE_PORT", _port, 8000, "a port number 1-65535")
    return Settings(
        database_url=database_url,
        var_dir=var_dir,
        workflows_dir=workflows_dir,
        host=host,
        port=port,
        timezone=_parse(
            env, "GOVSERVICE_TIMEZONE", _zone, "Asia/Shanghai", "an IANA zone such as Asia/Shanghai"
        ),
        issuer=env.get("GOVSERVICE_ISSUER") or "govservice",
        audience=env.get("GOVSERVICE_AUDIENCE") or "govservice",
        token_ttl_seconds=_parse(
            env, "GOVSERVICE_TOKEN_TTL", _positive_int, 3600, "a positive number of seconds"
        ),
        jwks_url=jwks_url,
        external_issuer=external_issuer,
        external_audience=external_audience,
        jwks_refetch_seconds=_parse(
            env, "GOVSERVICE_JWKS_REFETCH_SECONDS", _positive_int, 30, "a positive number of seconds"
        ),
        catalogue_cache_seconds=_parse(
            env, "GOVSERVICE_CATALOGUE_CACHE_SECONDS", _non_negative_float, 2.0, "a number of seconds >= 0"
        ),
        rating_window_days=_parse(
            env, "GOVSERVICE_DEFAULT_RATING_DAYS", _positive_int, 7, "a positive number of days"
        ),
        idempotency_ttl_hours=_parse(
            env, "GOVSERVICE_IDEMPOTENCY_TTL_HOURS", _ttl_hours, 24, "a number of hours from 1 to 87840"
        ),
        run_worker=_parse(env, "GOVSERVICE_RUN_WORKER", _bool, True, "true or false"),
        serve_workers=_parse(
            env, "GOVSERVICE_SERVE_WORKERS", _positive_int, 1, "a positive number of processes"
        ),
        db_pool_size=_parse(
            env, "GOVSERVICE_DB_POOL_SIZE", _positive_int, 10, "a positive number of connections"
        ),
        db_max_overflow=_parse(env, "GOVSERVICE_DB_MAX_OVERFLOW", _positive_int, 10, "a positive number"),
        log_level=_parse(env, "GOVSERVICE_LOG_LEVEL", _log_level, "INFO", "DEBUG, INFO, WARNING or ERROR"),
        log_format=_parse(env, "GOVSERVICE_LOG_FORMAT", _log_format, "text", "text or json"),
        public_base_url=_parse(
            env, "GOVSERVICE_PUBLIC_URL", _http_url, f"http://{host}:{port}", "an http(s) URL"
        ),
        webhook_allow_hosts=_parse(
            env,
            "GOVSERVICE_WEBHOOK_ALLOW_HOSTS",
            _allow_hosts,
            (),
            "comma-separated host names or CIDRs such as metadata.internal,169.254.10.0/24",
        ),
    )
