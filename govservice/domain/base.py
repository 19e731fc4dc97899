from __future__ import annotations

import msgspec


class Record(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """Base for domain value objects decoded from data files: strict, immutable, camelCase keys."""
