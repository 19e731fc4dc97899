"""Encoded response bodies kept for as long as the data behind them is unchanged.

The catalogue list is the most read page of the service and changes a few times a year, so it
is encoded, hashed for its ETag and gzipped once per catalogue generation, not on every request.
A handler that serves such pages sets ``opt={SKIP_COMPRESSION: True}``: it compresses its own body
once, where the compression middleware would gzip the same bytes again on every request.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import msgspec
from litestar import Request, Response

SKIP_COMPRESSION = "skip_compression"  # the handler opt the compression middleware is told to honour
COMPRESS_FROM = 2048  # bytes; as the middleware's minimum_size

T = TypeVar("T")  # what a page's body is the JSON of


def _accepts_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.lower().split(","):
        coding, *params = (piece.strip() for piece in part.split(";"))
        if coding in {"gzip", "*"}:
            q = next((param[2:] for param in params if param.startswith("q=")), "1")
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


@dataclass(frozen=True, slots=True)
class EncodedPage(Generic[T]):
    body: bytes
    gzipped: bytes | None
    etag: str

    @classmethod
    def of(cls, value: T) -> EncodedPage[T]:
        body = msgspec.json.encode(value)
        gzipped = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= COMPRESS_FROM else None
        return cls(body=body, gzipped=gzipped, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"')

    def response(self, request: Request[Any, Any, Any], *, cache_control: str) -> Response[T]:
        """This page as JSON, gzipped when the client takes it, or 304 when its copy is current.

        Typed ``Response[T]``, as the handler's annotation that documents the body (OpenAPI) is:
        the content is that T, already encoded."""
        use_gzip = self.gzipped is not None and _accepts_gzip(request.headers.get("accept-encoding", ""))
        etag = self.etag[:-1] + '-gzip"' if use_gzip else self.etag  # one tag per representation
        headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if _matches(request.headers.get("if-none-match"), etag):
            return cast("Response[T]", Response(content=b"", status_code=304, headers=headers))
        if use_gzip:
            headers["Content-Encoding"] = "gzip"
        content = self.gzipped if use_gzip and self.gzipped is not None else self.body
        return cast("Response[T]", Response(content=content, media_type="application/json", headers=headers))


class EncodedPages(Generic[T]):
    """The pages of one data generation. The generation is any object that the data source
    hands out unchanged while its data is unchanged, and replaces when the data changes (the
    catalogue service's cached list): a new one drops every page at once."""

    MAX_PAGES = 256  # distinct filter combinations kept per generation

    def __init__(self) -> None:
        self._generation: object = None
        self._pages: dict[tuple[object, ...], EncodedPage[T]] = {}

    def get(self, generation: object, key: tuple[object, ...], build: Callable[[], T]) -> EncodedPage[T]:
        """The page ``key`` of ``generation``, built (and encoded) only if it is not kept yet."""
        if generation is not self._generation:
            self._generation, self._pages = generation, {}
        page = self._pages.get(key)
        if page is None:
            if len(self._pages) >= self.MAX_PAGES:
                self._pages.clear()
            page = self._pages[key] = EncodedPage.of(build())
        return page
