"""The exported OpenAPI document: what `govservice openapi` writes and the drift test compares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govservice.config import Settings


def openapi_document(settings: Settings) -> dict[str, Any]:
    from govservice.api.app import create_app
    from govservice.auth import KeyStore

    app = create_app(settings, keys=KeyStore.generate())
    # Round-trip through Litestar's own encoder so the file equals what /docs/openapi.json serves.
    from litestar.serialization import encode_json

    document: dict[str, Any] = json.loads(encode_json(app.openapi_schema.to_schema()))
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_openapi(settings: Settings, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(openapi_document(settings)), encoding="utf-8")
    return path
