"""`govservice serve` with GOVSERVICE_LOG_FORMAT=json: every log line of the process is one JSON
object, granian's own included, and a request's line carries its id."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.integration.live_server import LiveServer

BANNER = ("govservice http://", "  API docs:", "  catalogue:", "  a token:", "=====")


class JsonLogServer(LiveServer):
    def env(self) -> dict[str, str]:
        return {**super().env(), "GOVSERVICE_LOG_FORMAT": "json", "GOVSERVICE_LOG_LEVEL": "INFO"}


async def test_every_line_is_json_granians_too_and_requests_carry_their_id(tmp_path: Path) -> None:
    live = JsonLogServer(var_dir=tmp_path / "var", log_path=tmp_path / "server.log", database_url=None)
    try:
        await live.start()
        async with httpx.AsyncClient(base_url=live.base_url) as http:
            missing = await http.get("/api/v1/matters/FR-NOPE", headers={"X-Request-ID": "op-1"})
    finally:
        await live.stop()
    assert missing.status_code == 404 and missing.headers["X-Request-ID"] == "op-1"
    assert missing.json()["instance"] == "/api/v1/matters/FR-NOPE#request-id=op-1"

    text = live.log_text()
    others = [line for line in text.splitlines() if line and not line.startswith("{")]
    assert all(line.startswith(BANNER) for line in others), (
        others
    )  # the start-up banner is printed, not logged
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(line["logger"] == "_granian" and "Listening at" in line["message"] for line in lines)
    [access] = [line for line in lines if line.get("requestId") == "op-1"]
    assert access["logger"] == "govservice.access"
    assert (access["method"], access["route"], access["status"], access["sub"]) == (
        "GET",
        "/api/v1/matters/{code}",
        404,
        "anonymous",
    )
