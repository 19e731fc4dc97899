"""The public HTML pages through HTTP: what a phone that scanned the QR code, or a citizen, gets.
Their look in a real browser is tested in tests/browser."""

from __future__ import annotations

import csv
import io

import httpx
import segno

from tests.api.apps_helpers import APPROVAL
from tests.api.pages_helpers import REVOCATION_REASON, revoked_licence, valid_licence
from tests.conftest import TokenFactory

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def html(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    return response.text


async def test_the_qr_code_leads_to_the_verification_page_which_says_valid_and_signed(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    number = (await valid_licence(client, auth))["licenceNumber"]
    licence = (await client.get(f"/api/v1/licences/{number}")).json()
    assert licence["verifyUrl"] == f"http://127.0.0.1:8000/verify/{number}"
    qr = await client.get(f"/api/v1/licences/{number}/qr.svg")
    expected = io.BytesIO()  # the same QR drawn from the page's URL: the code encodes exactly it
    segno.make(licence["verifyUrl"], error="m").save(expected, kind="svg", scale=4, xmldecl=False)
    assert qr.content == expected.getvalue()

    page = await client.get(f"/verify/{number}", headers=ZH)
    assert page.status_code == 200
    body = html(page)
    assert 'data-status="valid"' in body and "有效" in body
    assert licence["content"]["holderName"] in body and licence["content"]["holderUscc"] in body
    assert "签名有效" in body
    assert f'href="/api/v1/licences/{number}"' in body and 'href="/.well-known/jwks.json"' in body
    assert "default-src 'none'" in page.headers["content-security-policy"]


async def test_a_revoked_licence_shows_revoked_with_the_date_and_reason(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    number = (await revoked_licence(client, auth))["licenceNumber"]
    body = html(await client.get(f"/verify/{number}", headers=ZH))
    assert 'data-status="revoked"' in body and "已撤销" in body
    assert REVOCATION_REASON in body and "2026年3月2日" in body
    english = html(await client.get(f"/verify/{number}?lang=en"))
    assert ">Revoked<" in english and "Signature valid" in english


async def test_an_unknown_licence_is_a_404_page_not_a_trace(client: httpx.AsyncClient) -> None:
    for number in ("FR2026-0000000000", "not a number", "x" * 64):
        response = await client.get(f"/verify/{number}", headers=ZH)
        assert response.status_code == 404
        assert "未找到该证照" in html(response)
    assert (await client.get("/verify/FR2026-0000000000?lang=en")).text.count("No such licence") >= 1


async def test_the_lookup_form_redirects_to_the_licence_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/verify", params={"number": " fr2026-abc ", "lang": "en"})
    assert response.status_code == 303
    assert response.headers["location"] == "/verify/FR2026-ABC?lang=en"
    assert 'name="number"' in html(await client.get("/verify"))


async def test_language_follows_the_query_then_the_browser(client: httpx.AsyncClient) -> None:
    assert 'lang="zh-CN"' in html(await client.get("/guide"))  # nothing asked: Chinese
    english = await client.get("/guide", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert 'lang="en"' in html(english) and english.headers["content-language"] == "en"
    chinese = await client.get("/guide?lang=zh", headers={"Accept-Language": "en"})
    assert 'lang="zh-CN"' in html(chinese)
    assert "Accept-Language" in chinese.headers["vary"]


async def test_pages_are_cacheable_with_an_etag(client: httpx.AsyncClient) -> None:
    first = await client.get("/guide/FR-PGP-OPENING")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = await client.get("/guide/FR-PGP-OPENING", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = await client.get("/guide/FR-PGP-OPENING?lang=en", headers={"If-None-Match": etag})
    assert other.status_code == 200  # another language is another body
    css = await client.get(html(first).split('rel="stylesheet" href="')[1].split('"')[0])
    assert css.status_code == 200 and "max-age=31536000" in css.headers["cache-control"]


async def test_a_guide_lists_materials_marking_tolerable_and_fetched_ones(client: httpx.AsyncClient) -> None:
    matter = (await client.get("/api/v1/matters/FR-PGP-OPENING")).json()
    body = html(await client.get("/guide/FR-PGP-OPENING", headers=ZH))
    for material in matter["materials"]:
        assert material["name"] in body
    assert "部门自行获取" in body  # the business licence is fetched by USCC, never uploaded
    assert f"{matter['statutoryLimit']} 个工作日" in body and f"{matter['promisedLimit']} 个工作日" in body
    assert "告知承诺" in body and matter["legalBasis"][0] in body
    listing = html(await client.get("/guide"))
    assert 'href="/guide/FR-PGP-OPENING"' in listing


async def test_a_cancelled_matter_names_its_replacement(client: httpx.AsyncClient) -> None:
    body = html(await client.get("/guide/FR-TECH-SERVICE-QUALIFICATION", headers=ZH))
    assert "已取消" in body and 'href="/guide/FR-TECH-SERVICE-FILING"' in body
    missing = await client.get("/guide/NO-SUCH-MATTER")
    assert missing.status_code == 404 and "NO-SUCH-MATTER" in html(missing)


async def test_the_board_draws_each_figure_with_its_table_and_offers_the_csv(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await valid_licence(client, auth)
    period = {"from": "2026-03-01", "to": "2026-03-31"}
    api = (await client.get("/api/v1/public/board", params=period)).json()
    body = html(await client.get("/board", params=period, headers=ZH))
    assert body.count('<svg class="chart" role="img"') == 5 and body.count("<table>") == 5
    assert "按承诺时限办结率" in body and "口径" in body and APPROVAL in body
    assert 'value="2026-03-01"' in body and 'value="2026-03-31"' in body
    assert "100.0%" in body  # the one decision was on time
    response = await client.get("/board/figures.csv", params=period)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    satisfaction = next(r for r in rows if r["figure"] == "satisfaction")
    api_figure = api["units"][0]["satisfaction"]
    assert (int(satisfaction["numerator"]), int(satisfaction["denominator"])) == (
        api_figure["numerator"],
        api_figure["denominator"],
    )
    assert {r["figure"] for r in rows} == {
        "decisionsOnTimePromised",
        "decisionsOnTimeStatutory",
        "satisfaction",
        "badReviewsRectified",
        "waiversGranted",
    }


async def test_a_wrong_period_is_an_html_400_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/board", params={"from": "2026-05-01", "to": "2026-03-01"})
    assert response.status_code == 400 and "<h1>" in html(response)
    garbage = await client.get("/board", params={"from": "yesterday"})
    assert garbage.status_code == 400 and "<h1>" in html(garbage)
