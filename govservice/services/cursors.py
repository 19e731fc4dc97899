"""Opaque list cursors over ascending integer ids or text keys; a prefix keeps one list's cursor
out of another."""

from __future__ import annotations

import base64
from collections.abc import Callable

from govservice.errors import BadRequest


def _encode(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, prefix: str, valid: Callable[[str], bool]) -> str:
    """The value after ``prefix`` in ``cursor``, or the 400 every list gives for a foreign cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value = raw.removeprefix(prefix)
        if value == raw or not valid(value):
            raise ValueError(raw)
        return value
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(
            "the cursor is not one this API gave out",
            code="invalid_cursor",
            errors=[{"field": "cursor", "message": "not a cursor of this API"}],
        ) from exc


def encode_id_cursor(prefix: str, last_id: int) -> str:
    return _encode(f"{prefix}{last_id}")


def decode_id_cursor(prefix: str, cursor: str) -> int:
    return int(_decode(cursor, prefix, str.isdigit))


def encode_key_cursor(prefix: str, last_key: str) -> str:
    """A cursor over ascending text keys (e.g. USCCs) made of ``[0-9A-Z]``."""
    return _encode(f"{prefix}:{last_key}")


def decode_key_cursor(prefix: str, cursor: str) -> str:
    return _decode(cursor, f"{prefix}:", lambda key: key.isascii() and key.isalnum())
