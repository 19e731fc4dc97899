"""Request and response Structs shared by the controllers."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec

T = TypeVar("T")

Limit = Annotated[int, msgspec.Meta(ge=1, le=500)]
Cursor = Annotated[str, msgspec.Meta(max_length=200)]


class Schema(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel"):
    """Base for API payloads: strict input, camelCase on the wire."""


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
