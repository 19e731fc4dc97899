"""Configuration: each wrong GOVSERVICE_* value stops start-up with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from govservice.config import PROJECT_ROOT, ConfigError, load_settings

BASE = {"GOVSERVICE_WORKFLOWS_DIR": str(PROJECT_ROOT / "workflows")}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GOVSERVICE_DATABASE_URL", "mysql://root@localhost/db"),
        ("GOVSERVICE_DATABASE_URL", "postgresql://postgres@localhost/db"),  # sync driver
        ("GOVSERVICE_PORT", "abc"),
        ("GOVSERVICE_PORT", "0"),
        ("GOVSERVICE_PORT", "65536"),
        ("GOVSERVICE_WORKFLOWS_DIR", "/nonexistent/workflows"),
        ("GOVSERVICE_TIMEZONE", "Mars/Olympus_Mons"),
        ("GOVSERVICE_TOKEN_TTL", "-5"),
        ("GOVSERVICE_TOKEN_TTL", "an hour"),
        ("GOVSERVICE_IDEMPOTENCY_TTL_HOURS", "0"),
        ("GOVSERVICE_IDEMPOTENCY_TTL_HOURS", "1d"),
        ("GOVSERVICE_IDEMPOTENCY_TTL_HOURS", "99999999"),
        ("GOVSERVICE_JWKS_URL", "ftp://idp.example/jwks"),
        ("GOVSERVICE_JWKS_REFETCH_SECONDS", "0"),
        ("GOVSERVICE_CATALOGUE_CACHE_SECONDS", "-1"),
        ("GOVSERVICE_RUN_WORKER", "maybe"),
        ("GOVSERVICE_LOG_LEVEL", "LOUD"),
        ("GOVSERVICE_PUBLIC_URL", "permits.example.gov.cn"),
        ("GOVSERVICE_WEBHOOK_ALLOW_HOSTS", "169.254.169.254/16"),  # host bits set: a typo
        ("GOVSERVICE_WEBHOOK_ALLOW_HOSTS", "http://metadata.google.internal"),
        ("GOVSERVICE_WEBHOOK_ALLOW_HOSTS", "metadata;rm -rf"),
        ("GOVSERVICE_WEBHOOK_ALLOW_HOSTS", "fe80::/10x"),
    ],
)
def test_a_wrong_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, variable: value})
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message


def test_an_outside_identity_provider_needs_issuer_and_audience() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, "GOVSERVICE_JWKS_URL": "https://idp.example/jwks"})
    assert "GOVSERVICE_JWKS_ISSUER" in str(caught.value) and "GOVSERVICE_JWKS_AUDIENCE" in str(caught.value)


def test_defaults_and_good_values(tmp_path: Path) -> None:
    defaults = load_settings(BASE)
    assert (defaults.host, defaults.port, defaults.timezone, defaults.run_worker) == (
        "127.0.0.1",
        8000,
        "Asia/Shanghai",
        True,
    )
    assert defaults.database_url == f"sqlite+aiosqlite:///{Path('var') / 'govservice.db'}"
    settings = load_settings(
        {
            **BASE,
            "GOVSERVICE_VAR_DIR": str(tmp_path),
            "GOVSERVICE_PORT": "8080",
            "GOVSERVICE_RUN_WORKER": "off",
            "GOVSERVICE_LOG_LEVEL": "debug",
            "GOVSERVICE_DATABASE_URL": "postgresql+asyncpg://app@db.internal/govservice",
        }
    )
    assert (settings.port, settings.run_worker, settings.log_level) == (8080, False, "DEBUG")
    assert settings.public_base_url == "http://127.0.0.1:8080"
    assert settings.var_dir == tmp_path and not settings.is_sqlite
    assert defaults.webhook_allow_hosts == ()


def test_webhook_allow_hosts_are_names_and_networks() -> None:
    raw = "Metadata.Google.Internal., 169.254.0.0/16,100.100.100.200 ,fd00:ec2::254,, metadata"
    settings = load_settings({**BASE, "GOVSERVICE_WEBHOOK_ALLOW_HOSTS": raw})
    assert settings.webhook_allow_hosts == (
        "metadata.google.internal",
        "169.254.0.0/16",
        "100.100.100.200/32",
        "fd00:ec2::254/128",
        "metadata",
    )


def test_idempotency_ttl_hours() -> None:
    assert load_settings(BASE).idempotency_ttl_hours == 24
    assert load_settings({**BASE, "GOVSERVICE_IDEMPOTENCY_TTL_HOURS": "48"}).idempotency_ttl_hours == 48


def test_the_command_line_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    env = {**os.environ, "GOVSERVICE_PORT": "abc", "GOVSERVICE_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "-m", "govservice", "migrate"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "GOVSERVICE_PORT" in lines[0] and "'abc'" in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "var").exists()  # stopped before touching anything


def test_serving_with_several_workers_needs_postgresql(tmp_path: Path) -> None:
    env = {**os.environ, "GOVSERVICE_VAR_DIR": str(tmp_path / "var"), "GOVSERVICE_SERVE_WORKERS": "2"}
    env.pop("GOVSERVICE_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "govservice", "serve", "--port", "1"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "2 workers needs PostgreSQL" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()  # refused before migrating anything
    assert load_settings({**BASE, "GOVSERVICE_SERVE_WORKERS": "3"}).serve_workers == 3
