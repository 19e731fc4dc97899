"""ETag / If-Match for resources that carry a version: the ETag is the version, quoted."""

from __future__ import annotations

from typing import Annotated, Protocol, TypeVar

from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.params import HeaderParameter

from govservice.errors import BadRequest

ETAG_HEADERS = [
    ResponseHeader(
        name="ETag",
        documentation_only=True,
        value='"3"',  # gives the header its schema (a string); never sent: with_etag sets the real one
        example='"3"',
        required=True,
        description='The version of what the body shows, quoted (`"3"`): send it back in If-Match.',
    )
]
"""``response_headers`` of every operation that answers with :func:`with_etag` (the OpenAPI document)."""

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        max_length=64,
        pattern=r'^(W/)?"?[0-9]{1,18}"?$',
        description='The ETag of the version you read (`"3"`): if it changed since, 412 and nothing is done.',
    ),
]


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header names (None without one); 400 if it is no ETag of ours."""
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise BadRequest(
            'If-Match must be the ETag this API gave out, e.g. "3"',
            code="invalid_if_match",
            errors=[{"field": "If-Match", "message": "not an ETag of this API"}],
        )
    return int(raw)


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def with_etag(view: V, status: int = 200) -> Response[V]:
    """``view`` as the response body, its version as the ETag (what If-Match sends back)."""
    return Response(view, status_code=status, headers={"ETag": f'"{view.version}"'})
