"""``X-Request-ID`` in the OpenAPI document: an optional header of every operation and a header
of every response (see :mod:`govservice.api.observe` for what the server does with it). Written out
in each operation rather than referenced, as Litestar writes its own parameters."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import OpenAPIHeader, OpenAPIResponse, OpenAPIType, Parameter, Schema

from govservice.api.observe import REQUEST_ID_HEADER

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def publish_request_id(app: Litestar) -> None:
    document = app.openapi_schema
    parameter = Parameter(
        name=REQUEST_ID_HEADER,
        param_in="header",
        required=False,
        schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$"),
        description="Your id for this request, kept if it is 1-128 printable ASCII characters without "
        "spaces (else a new one is made): it comes back in the response's X-Request-ID, on every server "
        "log line of the request and in a problem's `instance`.",
    )
    header = OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, max_length=128),
        description="The request's id: the one sent, or the one the server made (32 hex digits).",
    )
    for path_item in (document.paths or {}).values():
        for method in _METHODS:
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            operation.parameters = [*(operation.parameters or []), parameter]
            for response in (operation.responses or {}).values():
                if isinstance(response, OpenAPIResponse):
                    response.headers = {**(response.headers or {}), REQUEST_ID_HEADER: header}
