"""Uploaded files through the API: the type is judged by the bytes AND the name's extension, which
must agree (a PDF named ``setup.exe`` or ``plan.html`` is refused, naming the field ``file``), and
names are stored sanitised. For applications' materials and inspection evidence alike."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.apps_helpers import ENT_A, PDF, PNG, create, upload
from tests.api.test_enforcement import _inspect
from tests.conftest import TokenFactory

JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64

REFUSED_NAMES = [
    "setup.exe",
    "plan.html",
    "plan.pdf.exe",
    "plan.pdf\x00.exe",
    "plan",
    "plan.",
    ".pdf",
    "plan.p df",
]
# sent as -> stored as
STORED_NAMES = [
    ("plan.PDF", "plan.pdf"),
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\Windows\\报告.pdf", "报告.pdf"),
    ("C:\\Users\\张三\\平面图 (最终).pdf", "平面图 (最终).pdf"),
    ("invoice\u202efdp.exe.pdf", "invoicefdp.exe.pdf"),  # the bidi override that hides ".exe" is gone
    ('a"b<c>|d?.pdf', "a_b_c__d_.pdf"),
    ("  spaced   out  .pdf", "spaced out.pdf"),
]


def _refused(response: httpx.Response, code: str = "file_type_mismatch") -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == code
    assert [e["field"] for e in problem["errors"]] == ["file"]


# -- applications' materials ---------------------------------------------------------------------


@pytest.fixture
async def draft(client: httpx.AsyncClient, auth: TokenFactory) -> tuple[dict[str, str], dict[str, Any]]:
    applicant = auth("applicant", sub="user-a", ent=ENT_A)
    return applicant, await create(client, applicant)


@pytest.mark.parametrize("name", REFUSED_NAMES)
async def test_a_pdf_with_a_name_that_is_not_pdf_is_refused(
    client: httpx.AsyncClient, draft: tuple[dict[str, str], dict[str, Any]], name: str
) -> None:
    applicant, app = draft
    _refused(await upload(client, applicant, app["id"], "application_form", PDF, name))
    listed = await client.get(f"/api/v1/applications/{app['id']}/materials", headers=applicant)
    assert listed.json() == []  # nothing stored


async def test_the_content_must_be_an_allowed_type_whatever_the_name(
    client: httpx.AsyncClient, draft: tuple[dict[str, str], dict[str, Any]]
) -> None:
    applicant, app = draft
    _refused(
        await upload(client, applicant, app["id"], "application_form", PNG, "form.pdf"),
        "file_type_not_allowed",
    )
    _refused(
        await upload(client, applicant, app["id"], "application_form", PNG, "form.png"),
        "file_type_not_allowed",
    )
    html = b"<!doctype html><script>alert(1)</script>"
    _refused(
        await upload(client, applicant, app["id"], "application_form", html, "form.pdf"),
        "file_type_not_allowed",
    )


@pytest.mark.parametrize(("sent", "stored"), STORED_NAMES)
async def test_material_names_are_stored_sanitised(
    client: httpx.AsyncClient, draft: tuple[dict[str, str], dict[str, Any]], sent: str, stored: str
) -> None:
    applicant, app = draft
    response = await upload(client, applicant, app["id"], "application_form", PDF, sent)
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == stored
    listed = (await client.get(f"/api/v1/applications/{app['id']}/materials", headers=applicant)).json()
    assert [m["filename"] for m in listed] == [stored]


async def test_a_long_name_is_bounded_and_keeps_its_extension(
    client: httpx.AsyncClient, draft: tuple[dict[str, str], dict[str, Any]]
) -> None:
    applicant, app = draft
    response = await upload(client, applicant, app["id"], "application_form", PDF, "图" * 300 + ".pdf")
    assert response.status_code == 201, response.text
    name = response.json()["filename"]
    assert len(name) == 120 and name.endswith(".pdf") and name.startswith("图")


# -- inspection evidence -------------------------------------------------------------------------


@pytest.fixture
async def evidence_url(client: httpx.AsyncClient, auth: TokenFactory) -> tuple[dict[str, str], str]:
    officer = auth("inspector", sub="insp-1", unit="CD-JJ")
    inspection = await _inspect(client, officer, uscc=ENT_A)
    return officer, f"/api/v1/inspections/{inspection['id']}/evidence"


async def _add(
    client: httpx.AsyncClient, officer: dict[str, str], url: str, name: str, content: bytes
) -> httpx.Response:
    return await client.post(
        url, headers=officer, files={"file": (name, content, "application/octet-stream")}
    )


@pytest.mark.parametrize("name", REFUSED_NAMES)
async def test_evidence_with_a_name_that_is_not_its_type_is_refused(
    client: httpx.AsyncClient, evidence_url: tuple[dict[str, str], str], name: str
) -> None:
    officer, url = evidence_url
    _refused(await _add(client, officer, url, name, PDF))
    assert (await client.get(url, headers=officer)).json() == []


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("exit.png", JPG, "file_type_mismatch"),
        ("exit.jpg", PNG, "file_type_mismatch"),
        ("exit.pdf", JPG, "file_type_mismatch"),
        ("exit.jpg", b"GIF89a" + b"\x00" * 16, "file_type_not_allowed"),
        ("exit.jpg", b"", "empty_file"),
    ],
)
async def test_evidence_type_is_judged_by_bytes_and_extension(
    client: httpx.AsyncClient, evidence_url: tuple[dict[str, str], str], name: str, content: bytes, code: str
) -> None:
    officer, url = evidence_url
    _refused(await _add(client, officer, url, name, content), code)


@pytest.mark.parametrize(
    ("sent", "content", "stored", "fmt"),
    [
        ("exit.JPG", JPG, "exit.jpg", "jpg"),
        ("exit.jpeg", JPG, "exit.jpeg", "jpg"),
        ("../../../tmp/exit.png", PNG, "exit.png", "png"),
        ("D:\\现场\\记录\u200b\u2066.pdf", PDF, "记录.pdf", "pdf"),
    ],
)
async def test_evidence_names_are_stored_sanitised(
    client: httpx.AsyncClient,
    evidence_url: tuple[dict[str, str], str],
    sent: str,
    content: bytes,
    stored: str,
    fmt: str,
) -> None:
    officer, url = evidence_url
    added = await _add(client, officer, url, sent, content)
    assert added.status_code == 201, added.text
    assert (added.json()["filename"], added.json()["fileFormat"]) == (stored, fmt)
    assert [e["filename"] for e in (await client.get(url, headers=officer)).json()] == [stored]
