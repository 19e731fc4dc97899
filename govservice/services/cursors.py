"""The one cursor codec of the API: opaque list cursors over ascending integer ids or text keys, and
the applications queue's ``priority.id`` cursor. A prefix keeps one list's cursor out of another.

Decoding is strict: only the exact text this module encodes decodes back (canonical unpadded
URL-safe base64, ASCII digits without sign or leading zero, a positive id within 63 bits, a key of
18 characters ``[0-9A-Z]`` as USCCs are, bounded lengths). Anything else is the 400 problem
``invalid_cursor`` naming the field ``cursor``, never a 500 from a value a database cannot hold.
An empty ``?cursor=`` is refused the same way, before any list runs (``govservice.api.hooks``).
"""

from __future__ import annotations

import base64
import binascii
import re

from govservice.errors import BadRequest

MAX_ID = 2**63 - 1  # a BIGINT
MAX_CURSOR = 200  # characters; what the API emits is far shorter
_ID = re.compile(r"[1-9][0-9]{0,18}")  # no sign, no leading zero, no non-ASCII digit
_KEY = re.compile(r"[0-9A-Z]{18}")  # a USCC, the only text key a list pages by
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # a matter code, as the catalogue defines it
_BASE64 = re.compile(r"[A-Za-z0-9_-]+")


def invalid_cursor() -> BadRequest:
    return BadRequest(
        "the cursor is not one this API gave out",
        code="invalid_cursor",
        errors=[{"field": "cursor", "message": "not a cursor of this API"}],
    )


def _fullmatch(pattern: re.Pattern[str], value: str) -> str:
    if not value.isascii() or pattern.fullmatch(value) is None:
        raise invalid_cursor()
    return value


def _id(value: str) -> int:
    number = int(_fullmatch(_ID, value))
    if number > MAX_ID:
        raise invalid_cursor()
    return number


def _encode(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode("ascii")).decode("ascii").rstrip("=")


def _unwrap(cursor: str, prefix: str) -> str:
    """The value after ``prefix`` in a base64 cursor this module encoded, or ``invalid_cursor``."""
    if len(cursor) > MAX_CURSOR or not cursor.isascii() or _BASE64.fullmatch(cursor) is None:
        raise invalid_cursor()
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        text = raw.decode("ascii")
    except (binascii.Error, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise invalid_cursor() from exc
    if _encode(text) != cursor or not text.startswith(prefix):  # only the canonical spelling
        raise invalid_cursor()
    return text[len(prefix) :]


def encode_id_cursor(prefix: str, last_id: int) -> str:
    return _encode(f"{prefix}{last_id}")


def decode_id_cursor(prefix: str, cursor: str) -> int:
    return _id(_unwrap(cursor, prefix))


def encode_key_cursor(prefix: str, last_key: str) -> str:
    """A cursor over ascending text keys: USCCs, 18 characters of ``[0-9A-Z]``."""
    return _encode(f"{prefix}:{last_key}")


def decode_key_cursor(prefix: str, cursor: str) -> str:
    return _fullmatch(_KEY, _unwrap(cursor, f"{prefix}:"))


def encode_priority_cursor(priority: bool, last_id: int) -> str:
    """The applications queue (priority first, then id): ``1.42`` or ``0.42``."""
    return f"{int(priority)}.{last_id}"


def decode_priority_cursor(cursor: str) -> tuple[bool, int]:
    first, dot, last = cursor.partition(".")
    if not dot or first not in {"0", "1"}:
        raise invalid_cursor()
    return first == "1", _id(last)


def decode_code_cursor(cursor: str) -> str:
    """The catalogue's cursor: the last matter code of the page, as the catalogue spells codes."""
    return _fullmatch(_CODE, cursor)
