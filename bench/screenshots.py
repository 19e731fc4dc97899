"""Phone-width screenshots of every public page, for reviewers to look at.

    .venv/bin/python bench/screenshots.py                 # PNGs into bench/results/screenshots/
    .venv/bin/python bench/screenshots.py --out /tmp/shots

A real `govservice serve` on a throwaway var dir, one licence granted and one revoked through the
API (as bench/pages.py does), then Debian's chromium (driven by Playwright, never a downloaded
browser) at 390 px wide, full-page, in Chinese and English. Chinese needs a CJK font on the machine
(a phone has one; a server may not): `apt-get install -y fonts-wqy-microhei`.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import server_with_licences  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "screenshots"


async def shoot(base: str, pages: dict[str, str], out: Path) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN"
        )
        page = await context.new_page()
        for name, path in pages.items():
            await page.goto(base + path)
            target = out / f"{name}.png"
            await page.screenshot(path=str(target), full_page=True)
            print(target)
        await browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no {CHROMIUM}: apt-get install -y chromium")
    args.out.mkdir(parents=True, exist_ok=True)
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    if not fonts.strip():
        print(
            "warning: no Chinese font on this machine; apt-get install -y fonts-wqy-microhei", file=sys.stderr
        )
    with server_with_licences() as (base, _pid, numbers):
        pages = {
            "verify-valid": f"/verify/{numbers['valid']}",
            "verify-valid-en": f"/verify/{numbers['valid']}?lang=en",
            "verify-revoked": f"/verify/{numbers['revoked']}",
            "verify-unknown": "/verify/FR2026-0000000000",
            "verify-form": "/verify",
            "board": "/board",
            "board-en": "/board?lang=en",
            "guide-list": "/guide",
            "guide-matter": "/guide/FR-PGP-OPENING",
            "guide-cancelled": "/guide/FR-TECH-SERVICE-QUALIFICATION",
        }
        asyncio.run(shoot(base, pages, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
