"""Hostile input against a real `govservice serve` process: each is a 4xx problem, the server stays
ready after each, its memory stays bounded under a huge body, and its log has no traceback."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.integration.live_server import LiveServer, first_start, new_uscc

PROBLEM = "application/problem+json"
HUGE = 160 * 1024 * 1024  # bytes a client claims, and starts, to send


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with first_start(tmp_path) as live:
        yield live


def _group_rss_kib(pgid: int) -> int:
    """Resident memory of every process in the server's process group (granian runs a worker)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


async def _post_huge(
    port: int, path: str, headers: dict[str, str], total: int, *, declared: bool
) -> int | None:
    """POST a body of ``total`` bytes, declared in Content-Length or sent chunked, as a client that
    goes on sending until the server answers. The status answered, or None when the server cut the
    connection first (a reset can swallow the answer)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = f"Content-Length: {total}" if declared else "Transfer-Encoding: chunked"
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n{head}\r\n".encode()
    )
    block = b"x" * (1024 * 1024)
    chunk = block if declared else f"{len(block):x}\r\n".encode() + block + b"\r\n"
    try:
        with contextlib.suppress(TimeoutError):  # a server that answers before reading answers now
            return int((await asyncio.wait_for(reader.readline(), timeout=2)).split()[1])
        for _ in range(total // len(block)):
            writer.write(chunk)
            await asyncio.wait_for(writer.drain(), timeout=10)
        return int((await asyncio.wait_for(reader.readline(), timeout=30)).split()[1])
    except (ConnectionError, IndexError):
        return None
    finally:
        writer.close()


async def _problem(response: httpx.Response, *statuses: int) -> dict[str, object]:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert "Traceback" not in response.text and body["status"] == response.status_code
    return body  # type: ignore[no-any-return]


async def test_hostile_requests_are_4xx_and_the_server_stays_ready(server: LiveServer) -> None:
    uscc = new_uscc()
    applicant = server.headers("applicant", "hostile-1", ent=uscc)
    inspector = server.headers("inspector", "insp-h", unit="FR-SUPERVISION")
    admin = server.headers("admin", "admin-h")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:

        async def still_ready() -> None:
            assert (await http.get("/health/ready")).status_code == 200

        # a JSON document nested 5,000 deep
        nested = b"[" * 5000 + b"]" * 5000
        for url, who in (
            ("/api/v1/applications", applicant),
            ("/api/v1/inspections", inspector),
            ("/api/v1/webhooks", admin),
        ):
            response = await http.post(
                url, content=nested, headers={**who, "content-type": "application/json"}
            )
            await _problem(response, 400)
        await still_ready()

        # crafted cursors on every cursor-paged list
        for url in ("/api/v1/applications", "/api/v1/violations", "/api/v1/inspections", "/api/v1/matters"):
            for cursor in ("²", "a" * 300, "vc:-1", "\u0660\u0661", "%00"):
                response = await http.get(url, params={"cursor": cursor}, headers=admin)
                assert response.status_code == 400, (url, cursor, response.text[:200])
        await still_ready()

        # a 6 MB text field
        inspection = {
            "uscc": uscc,
            "unitName": "x" * (6 * 1024 * 1024),
            "address": "某路1号",
            "inspectedOn": "2026-03-02",
            "officers": ["insp-h", "insp-2"],
            "findings": [],
        }
        await _problem(await http.post("/api/v1/inspections", json=inspection, headers=inspector), 400, 413)
        await still_ready()

        # a PDF named as a program or a web page
        created = await http.post(
            "/api/v1/applications",
            json={"matterCode": "FR-PGP-OPENING", "enterpriseName": "某公司", "route": "standard"},
            headers=applicant,
        )
        assert created.status_code == 201, created.text
        for name in ("setup.exe", "plan.html"):
            upload = await http.post(
                f"/api/v1/applications/{created.json()['id']}/materials",
                data={"material": "application_form"},
                files={"file": (name, b"%PDF-1.7\n%%EOF\n", "application/pdf")},
                headers=applicant,
            )
            await _problem(upload, 422)
        await still_ready()

        # webhook targets with control characters, credentials or a metadata address
        for url in (
            "http://a.gov.internal/x\r\nHost: evil",
            "http://user:pw@a.gov.internal/",
            "http://169.254.169.254/",
        ):
            await _problem(
                await http.post("/api/v1/webhooks", json={"url": url, "events": ["*"]}, headers=admin),
                400,
                422,
            )
        await still_ready()

        # 160 MiB, anonymous with an Idempotency-Key, then authenticated: refused before it is read
        assert server.process is not None
        pgid = os.getpgid(server.process.pid)
        before = _group_rss_kib(pgid)
        anonymous = {"Idempotency-Key": "k-1"}
        assert await _post_huge(server.port, "/api/v1/applications", anonymous, HUGE, declared=True) == 401
        authenticated = {**applicant, "Idempotency-Key": "k-2"}
        assert (
            await _post_huge(server.port, "/api/v1/applications", authenticated, HUGE, declared=True) == 413
        )
        for who in (anonymous, authenticated):  # no length declared: counted while it arrives
            assert await _post_huge(server.port, "/api/v1/applications", who, HUGE, declared=False) in (
                401,
                413,
                None,
            )
        grown_mib = (_group_rss_kib(pgid) - before) / 1024
        print(f"\nserver RSS grew by {grown_mib:.1f} MiB over four 160 MiB bodies")
        assert grown_mib < 64, f"the server grew by {grown_mib:.0f} MiB reading bodies it refused"
        await still_ready()
    server.assert_clean_log()
