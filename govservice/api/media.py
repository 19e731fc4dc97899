"""415 for a request body in a media type the operation does not take.

Litestar decodes a ``data`` body as JSON whatever the ``Content-Type`` says, so a form post or
``text/plain`` that happens to parse would be accepted. This ``before_request`` hook holds every
body to the media type its handler declares (JSON unless the handler says otherwise).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE


def declared_body_type(handler: HTTPRouteHandler) -> str | None:
    """The media type of the handler's ``data`` body, or None when it takes no body."""
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return None
    kwarg = field.kwarg_definition
    if isinstance(kwarg, BodyKwarg) and kwarg.media_type:
        return str(RequestEncodingType(kwarg.media_type).value)
    return RequestEncodingType.JSON.value


def _accepts(declared: str, sent: str) -> bool:
    if declared == RequestEncodingType.JSON.value:
        # application/json and structured-syntax variants such as application/merge-patch+json
        return sent == declared or (sent.startswith("application/") and sent.endswith("+json"))
    return sent == declared


def _has_body(request: Request[Any, Any, Any]) -> bool:
    length = request.headers.get("content-length")
    return (length is not None and length.strip() != "0") or "transfer-encoding" in request.headers


async def require_declared_media_type(request: Request[Any, Any, Any]) -> None:
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler):
        return
    declared = declared_body_type(handler)
    if declared is None or not _has_body(request):
        return  # an empty body is a validation error (missing body), not a media-type one
    sent = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not _accepts(declared, sent):
        raise ClientException(
            f"send the body as {declared}, not {sent or 'without a Content-Type'}",
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        )
