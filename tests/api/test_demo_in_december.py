"""`govservice demo` walks whole cases through the HTTP API; it must complete on any day, including
the days of December whose time limits reach into a year with no calendar file (issue: December
broke the approval pipeline). The app runs in-process with its clock set to the day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar.testing import TestClient

from govservice.api.app import create_app
from govservice.auth import KeyStore
from govservice.cli import _migrate, _seed
from govservice.config import Settings
from govservice.demo import Demo
from govservice.domain.clock import ManualClock


@pytest.mark.parametrize("day", [1, 4, 10, 18, 24, 28, 31])
def test_the_demo_completes_on_a_december_day(settings: Settings, day: int) -> None:
    async def prepare() -> None:
        await _migrate(settings)
        await _seed(settings, only_if_empty=True)

    asyncio.run(prepare())
    clock = ManualClock(datetime(2026, 12, day, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    keys = KeyStore.load_or_create(Path(settings.var_dir))
    said: list[str] = []
    app = create_app(settings, clock=clock, keys=keys)
    with TestClient(app) as http:
        Demo(http, settings, say=said.append, clock=clock).run()
    assert any("key enterprise" in line for line in said)
    assert not any("✗" in line for line in said)
    assert any("routine inspection planned" in line for line in said)
    assert any("published: FR-APPROVAL reviewed" in line for line in said)  # the review round, last
