"""Opaque list cursors over ascending integer ids; a prefix keeps one list's cursor out of another."""

from __future__ import annotations

import base64

from govservice.errors import BadRequest


def encode_id_cursor(prefix: str, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{prefix}{last_id}".encode()).decode().rstrip("=")


def decode_id_cursor(prefix: str, cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(prefix) or not raw[len(prefix):].isdigit():
            raise ValueError(raw)
        return int(raw[len(prefix):])
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the cursor is not one this API gave out", code="invalid_cursor",
                         errors=[{"field": "cursor", "message": "not a cursor of this API"}]) from exc


def encode_key_cursor(prefix: str, last_key: str) -> str:
    """A cursor over ascending text keys (e.g. USCCs) made of ``[0-9A-Z]``."""
    return base64.urlsafe_b64encode(f"{prefix}:{last_key}".encode()).decode().rstrip("=")


def decode_key_cursor(prefix: str, cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key = raw.removeprefix(f"{prefix}:")
        if key == raw or not key or not (key.isascii() and key.isalnum()):
            raise ValueError(raw)
        return key
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the cursor is not one this API gave out", code="invalid_cursor",
                         errors=[{"field": "cursor", "message": "not a cursor of this API"}]) from exc
