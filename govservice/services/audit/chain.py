"""The hash chain, pure: ``hash = sha256(prev_hash + "\\n" + canonical JSON of the entry)``.

The canonical encoding is JSON with sorted keys, no whitespace, UTF-8, timestamps as RFC 3339
UTC with microseconds. The entry's id is part of it, so entries cannot be reordered either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical(fields: Mapping[str, Any]) -> bytes:
    def default(value: Any) -> str:
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        raise TypeError(f"not canonically encodable: {type(value).__name__}")

    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    ).encode()


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(fields)).hexdigest()
