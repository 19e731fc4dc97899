"""Files at rest: the var dir is the owner's only (0700), and so are the SQLite database and its
-wal/-shm files (0600), whatever the process umask; a wider existing one is restricted, saying so."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from govservice.api.app import create_app
from govservice.auth import KeyStore
from govservice.config import Settings
from govservice.db.engine import make_engine
from govservice.db.migrations import upgrade
from govservice.domain.clock import ManualClock
from tests.conftest import PG_URL


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def database(settings: Settings) -> Path:
    return settings.var_dir / "govservice.db"


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """A lax umask (group and others may read), so that only the code makes the files private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def test_a_fresh_var_dir_and_database_are_the_owners_only(
    app: Any, client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await client.get("/health/ready")).status_code == 200
    assert mode(settings.var_dir) == 0o700
    if PG_URL:
        return
    db = database(settings)
    companions = [db.with_name(f"{db.name}-wal"), db.with_name(f"{db.name}-shm")]
    assert all(path.exists() for path in companions)  # WAL mode, the app's connections open
    assert {path.name: mode(path) for path in [db, *companions]} == {
        path.name: 0o600 for path in [db, *companions]
    }


async def test_a_wider_var_dir_and_database_are_restricted(
    settings: Settings, keys: KeyStore, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings.var_dir.mkdir()
    settings.var_dir.chmod(0o755)
    db = database(settings)
    if not PG_URL:
        db.touch()
        db.chmod(0o644)
    caplog.set_level(logging.WARNING)
    engine = make_engine(settings.database_url)
    try:
        if not PG_URL:
            await upgrade(engine)
        create_app(settings, engine=engine, clock=clock, keys=keys)
    finally:
        await engine.dispose()
    assert mode(settings.var_dir) == 0o700
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [m for m in warned if str(settings.var_dir) + " " in m and "0700" in m]
    if not PG_URL:
        assert mode(db) == 0o600
        assert [m for m in warned if str(db) in m and "0600" in m]
