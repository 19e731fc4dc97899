"""A real browser on the public pages: Debian's chromium driven by Playwright (launched on that system
browser, never a downloaded one), against the test app served by uvicorn on 127.0.0.1 in the test's
own event loop (so the API helpers, the manual clock and the database fixtures are the usual ones).

Every page a test opens is watched: each request the browser makes must stay on 127.0.0.1, and the
console must stay free of errors. ``axe-core`` (npm) checks accessibility; it is installed into
``.cache/axe`` on first use (``.ci/run`` does it up front).
"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import ConsoleMessage, Page, Request, async_playwright

from govservice.config import PROJECT_ROOT, Settings
from tests.conftest import make_settings
from tests.integration.live_server import free_port

CHROMIUM = Path("/usr/bin/chromium")
AXE_DIR = PROJECT_ROOT / ".cache" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}


def axe_source() -> str:
    if not AXE_JS.exists():
        command = ["npm", "install", "--prefix", str(AXE_DIR), "axe-core@4", "--no-audit", "--no-fund"]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.fail(f"cannot install axe-core from npm ({' '.join(command)}): {exc}")
    return AXE_JS.read_text()


@pytest.fixture(scope="session")
def axe() -> str:
    return axe_source()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(tmp_path: Path, port: int) -> Settings:
    """The test settings, with the public URL (printed on QR codes) of the server the browser opens."""
    return dataclasses.replace(make_settings(tmp_path), public_base_url=f"http://127.0.0.1:{port}")


@pytest.fixture
async def base_url(app: Any, port: int) -> AsyncIterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@dataclass
class Watched:
    """A phone-sized page, with what it asked for and what its console said."""

    page: Page
    axe: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def serious_violations(self) -> list[str]:
        """axe-core's serious and critical findings on the page as it is now."""
        await self.page.evaluate(self.axe)
        result = await self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in {"serious", "critical"}
        ]

    def outside_requests(self) -> list[str]:
        return [url for url in self.requests if urlsplit(url).hostname != "127.0.0.1"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.fail(
            f"no {CHROMIUM}: install Debian's chromium (apt-get install -y chromium), as .ci/run does"
        )
    return str(CHROMIUM)


@pytest.fixture
async def browser(chromium_path: str, axe: str, base_url: str) -> AsyncIterator[Watched]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        context = await chromium.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
        page = await context.new_page()
        watched = Watched(page=page, axe=axe)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                watched.errors.append(f"console: {message.text} at {message.location}")

        def on_request(request: Request) -> None:
            watched.requests.append(request.url)

        page.on("console", on_console)
        page.on("pageerror", lambda error: watched.errors.append(f"page error: {error}"))
        page.on("request", on_request)
        try:
            yield watched
        finally:
            await chromium.close()
    assert watched.requests, "the browser made no request at all"
    assert watched.outside_requests() == [], "requests left 127.0.0.1"
    assert watched.errors == [], "the console reported errors"
