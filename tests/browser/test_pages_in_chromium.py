"""The public pages in headless Chromium at phone width: what a person who scans a licence's QR code,
or opens the board or a service guide, sees. Each page: no console error, no request off 127.0.0.1
(checked by the `browser` fixture), and no serious or critical axe-core finding."""

from __future__ import annotations

import httpx

from tests.api.pages_helpers import REVOCATION_REASON, revoked_licence, valid_licence
from tests.browser.conftest import Watched
from tests.conftest import TokenFactory


async def test_scanning_the_qr_code_shows_a_valid_signed_licence(
    client: httpx.AsyncClient, auth: TokenFactory, browser: Watched, base_url: str
) -> None:
    number = (await valid_licence(client, auth))["licenceNumber"]
    qr_target = (await client.get(f"/api/v1/licences/{number}")).json()["verifyUrl"]  # what the QR encodes
    assert qr_target == f"{base_url}/verify/{number}"
    page = browser.page
    response = await page.goto(qr_target)
    assert response is not None and response.status == 200
    assert await page.locator(".status-word").inner_text() == "有效"
    assert "签名有效" in await page.locator(".signature").inner_text()
    assert await browser.serious_violations() == []

    await page.get_by_role("link", name="English").click()
    assert await page.locator(".status-word").inner_text() == "Valid"
    assert await page.locator("html").get_attribute("lang") == "en"
    assert await browser.serious_violations() == []


async def test_a_revoked_licence_reads_revoked(
    client: httpx.AsyncClient, auth: TokenFactory, browser: Watched, base_url: str
) -> None:
    number = (await revoked_licence(client, auth))["licenceNumber"]
    page = browser.page
    await page.goto(f"{base_url}/verify")
    await page.get_by_label("证照编号").fill(number.lower())
    await page.get_by_role("button", name="核验").click()
    await page.wait_for_url(f"{base_url}/verify/{number}")
    assert await page.locator(".status-word").inner_text() == "已撤销"
    assert REVOCATION_REASON in await page.locator(".status").inner_text()
    assert await browser.serious_violations() == []


async def test_an_unknown_licence_is_a_plain_404_page(browser: Watched, base_url: str) -> None:
    response = await browser.page.goto(f"{base_url}/verify/FR2026-0000000000")
    assert response is not None and response.status == 404
    assert await browser.page.locator("h1").inner_text() == "未找到该证照"
    assert await browser.serious_violations() == []
    browser.errors.clear()  # Chromium logs the document's own 404 status as a console error


async def test_the_board_draws_charts_and_tables_for_a_chosen_period(
    client: httpx.AsyncClient, auth: TokenFactory, browser: Watched, base_url: str
) -> None:
    await valid_licence(client, auth)
    page = browser.page
    await page.goto(f"{base_url}/board")
    await page.get_by_label("起始日期").fill("2026-03-01")
    await page.get_by_label("截止日期").fill("2026-03-31")
    await page.get_by_role("button", name="查看").click()
    await page.wait_for_url(f"{base_url}/board?from=2026-03-01&to=2026-03-31")
    charts = page.locator("svg.chart")
    assert await charts.count() == 5
    first_bar = charts.first.locator("rect.bar")
    assert float(await first_bar.get_attribute("width") or 0) > 0
    box = await charts.first.bounding_box()
    assert box is not None and 200 < box["width"] <= 390  # drawn, and within the phone's width
    table = page.get_by_role("table", name="按承诺时限办结率")
    assert await table.get_by_role("row").count() == 2  # the header and the one unit
    assert "FR-APPROVAL" in await table.inner_text()
    assert await page.get_by_role("link", name="下载数据（CSV）").get_attribute("href") == (
        "/board/figures.csv?from=2026-03-01&to=2026-03-31"
    )
    assert await browser.serious_violations() == []


async def test_a_guide_lists_its_materials(browser: Watched, base_url: str) -> None:
    page = browser.page
    await page.goto(f"{base_url}/guide")
    assert await browser.serious_violations() == []
    await page.get_by_role("link", name="公众聚集场所投入使用、营业前消防安全检查", exact=True).click()
    await page.wait_for_url(f"{base_url}/guide/FR-PGP-OPENING")
    materials = page.locator("ol.materials > li")
    assert await materials.count() >= 3
    names = await page.locator(".material-name").all_inner_texts()
    assert "营业执照" in names
    assert "部门自行获取" in await page.locator(".material.shared").first.inner_text()
    assert await browser.serious_violations() == []


async def test_the_keyboard_reaches_the_skip_link_first(browser: Watched, base_url: str) -> None:
    page = browser.page
    await page.goto(f"{base_url}/guide")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "跳到主要内容"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"
