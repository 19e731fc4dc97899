"""Evidence files of an inspection: its officers attach photos and documents; staff read them."""

from __future__ import annotations

import hashlib
import json

import httpx

from tests.api.apps_helpers import ENT_A, PDF, PNG
from tests.api.test_enforcement import _inspect
from tests.api.test_openapi import COMMITTED
from tests.conftest import TokenFactory

JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


async def _evidence_of_an_inspection(
    client: httpx.AsyncClient, auth: TokenFactory
) -> tuple[dict[str, str], str]:
    """The inspecting officer's headers and the evidence URL of a new inspection of ENT_A."""
    officer = auth("inspector", sub="insp-1", unit="CD-JJ")
    inspection = await _inspect(client, officer, uscc=ENT_A)
    return officer, f"/api/v1/inspections/{inspection['id']}/evidence"


async def test_officers_attach_evidence_and_staff_read_it(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    officer, url = await _evidence_of_an_inspection(client, auth)
    added = await client.post(
        url,
        headers=officer,
        data={"note": "二层东侧安全出口被货物堵塞"},
        files={"file": ("exit.jpg", JPG, "image/jpeg")},
    )
    assert added.status_code == 201, added.text
    assert added.json()["sha256"] == hashlib.sha256(JPG).hexdigest()
    assert (
        await client.post(url, headers=officer, files={"file": ("plan.pdf", PDF, "application/pdf")})
    ).status_code == 201
    listed = (await client.get(url, headers=auth("legal", sub="legal-9", unit="CD-JJ"))).json()
    assert [e["fileFormat"] for e in listed] == ["jpg", "pdf"]
    download = await client.get(f"{url}/{listed[0]['id']}", headers=officer)
    assert download.content == JPG and download.headers["content-type"].startswith("image/jpeg")


async def test_only_the_inspections_officers_may_attach_and_only_photos_or_pdf(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    officer, url = await _evidence_of_an_inspection(client, auth)
    stranger = auth("inspector", sub="insp-7", unit="CD-JJ")
    refused = await client.post(url, headers=stranger, files={"file": ("x.png", PNG, "image/png")})
    assert refused.status_code == 403 and refused.json()["code"] == "not_an_inspecting_officer"
    wrong = await client.post(url, headers=officer, files={"file": ("x.txt", b"just text", "text/plain")})
    assert wrong.status_code == 422 and wrong.json()["code"] == "file_type_not_allowed"
    applicant = auth("applicant", sub="user-a", ent=ENT_A)
    assert (await client.get(url, headers=applicant)).status_code == 403
    assert (await client.get(url, headers=officer)).json() == []


async def test_an_evidence_download_is_in_the_enterprises_data_access_log(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    officer, url = await _evidence_of_an_inspection(client, auth)
    added = await client.post(url, headers=officer, files={"file": ("exit.jpg", JPG, "image/jpeg")})
    assert added.status_code == 201, added.text
    legal = auth("legal", sub="legal-9", unit="CD-JJ")
    assert (await client.get(f"{url}/{added.json()['id']}", headers=legal)).status_code == 200
    enterprise = auth("applicant", sub="user-a", ent=ENT_A)
    log = (await client.get(f"/api/v1/enterprises/{ENT_A}/data-access", headers=enterprise)).json()["items"]
    downloads = [(i["actorSub"], i["subject"]) for i in log if i["action"] == "download_evidence"]
    assert downloads == [("legal-9", f"evidence:{added.json()['id']}")]


async def test_the_openapi_document_names_exactly_the_file_types_evidence_may_have(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    officer, url = await _evidence_of_an_inspection(client, auth)
    samples = {  # one file of every format the service knows, named as its content says
        "application/pdf": ("plan.pdf", PDF),
        "image/jpeg": ("exit.jpg", JPG),
        "image/png": ("exit.png", PNG),
        "application/ofd": ("notice.ofd", b"PK\x03\x04" + b"\x00" * 64),
        "image/vnd.dwg": ("plan.dwg", b"AC1032" + b"\x00" * 64),
    }
    accepted = set()
    for media_type, (name, content) in samples.items():
        answer = await client.post(url, headers=officer, files={"file": (name, content, media_type)})
        assert answer.status_code in (201, 422), answer.text
        if answer.status_code == 201:
            accepted.add(media_type)
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    body = document["paths"]["/api/v1/inspections/{inspection_id}/evidence"]["post"]["requestBody"]
    declared = body["content"]["multipart/form-data"]["encoding"]["file"]["contentType"]
    assert set(declared.split(", ")) == accepted == {"application/pdf", "image/jpeg", "image/png"}
