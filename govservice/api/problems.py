"""Every error becomes an RFC 9457 ``application/problem+json`` response with a stable ``code``.

The framework's own errors (404 route, 405, 415, body and parameter validation) are mapped
here too, and anything unexpected is logged with its traceback for the operator and answered
with a bare 500 problem: no stack trace ever leaves the process.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    SerializationException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from govservice.domain.calendar import CalendarError
from govservice.domain.catalogue import Replacement
from govservice.errors import GovServiceError
from govservice.logs import REQUEST_ID

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://govservice.invalid/problems/"  # a name, not a link: nothing is fetched from it

log = logging.getLogger("govservice.api")


class FieldError(msgspec.Struct, rename="camel"):
    field: str
    message: str


class Problem(msgspec.Struct, rename="camel", omit_defaults=True):
    """RFC 9457 problem details with a stable machine-readable ``code``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[FieldError] | None = None
    replacement: Replacement | None = None
    extra: dict[str, Any] | None = None


_FRAMEWORK_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def occurrence(path: str | None) -> str | None:
    """A problem's ``instance``: the path it happened on and the request's id (``X-Request-ID``,
    also on every log line of that request): ``/api/v1/applications/7#request-id=3f2a...``."""
    request_id = REQUEST_ID.get()
    if request_id is None:
        return path
    return f"{path or ''}#request-id={quote(request_id, safe='')}"


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    path: str | None = None,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Response[bytes]:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    problem = Problem(
        type=TYPE_BASE + code,
        title=title,
        status=status,
        detail=detail,
        code=code,
        instance=occurrence(path),
        **fields,
    )
    return Response(
        content=msgspec.json.encode(problem),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


_NAMED_FIELD = re.compile(r"(?:missing required field|unknown field) `([^`]+)`")


def _field_errors(extra: Any) -> list[FieldError]:
    """Litestar's validation messages as ``{field, message}``, naming the field itself even when
    msgspec reports it on the enclosing object ("Object missing required field `name`")."""
    errors: list[FieldError] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                message = str(item.get("message", "invalid value"))
                key = str(item.get("key") or item.get("source") or "body")
                named = _NAMED_FIELD.search(message)
                if named:
                    key = named.group(1) if key in {"data", "body"} else f"{key}.{named.group(1)}"
                errors.append(FieldError(field=key, message=message))
    return errors


def handle_service_error(request: Request[Any, Any, Any], exc: GovServiceError) -> Response[bytes]:
    extra = dict(exc.extra)
    replacement = extra.pop("replacement", None)
    errors = extra.pop("errors", None)
    headers = extra.pop("headers", None)
    if exc.status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="govservice"', **(headers or {})}
    return problem_response(
        exc.status,
        exc.code,
        exc.detail,
        path=request.url.path,
        headers=headers,
        replacement=replacement,
        errors=[FieldError(**e) for e in errors] if errors else None,
        extra=extra or None,
    )


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = _field_errors(exc.extra)
        return problem_response(
            400,
            "validation_failed",
            "the request has invalid fields; see errors",
            path=request.url.path,
            errors=errors or [FieldError(field="body", message=str(exc.detail))],
        )
    code = _FRAMEWORK_CODES.get(status, "http_error" if status < 500 else "internal_error")
    if status == 400 and isinstance(exc.__cause__, SerializationException):
        code = "malformed_json"  # the body did not parse at all, so no field can be named
    detail = str(exc.detail) if status < 500 else "the server could not complete the request"
    headers = dict(exc.headers or {})
    if isinstance(exc, NotAuthorizedException):
        headers.setdefault("WWW-Authenticate", 'Bearer realm="govservice"')
    if status >= 500:
        log.error("HTTP %s on %s %s: %s", status, request.method, request.url.path, exc.detail)
    return problem_response(status, code, detail, path=request.url.path, headers=headers or None)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        500, "internal_error", "the server could not complete the request", path=request.url.path
    )


def handle_undecodable(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[bytes]:
    """Litestar decodes multipart text fields as UTF-8 before any handler runs; bytes that are not
    UTF-8 there (say, a file sent without a filename) are the client's mistake, not ours."""
    log.warning("undecodable request body on %s %s: %s", request.method, request.url.path, exc.reason)
    return problem_response(
        400,
        "invalid_encoding",
        "a text field of the request is not valid UTF-8 (files need a filename)",
        path=request.url.path,
        errors=[FieldError(field="body", message="not UTF-8")],
    )


def handle_overflow(request: Request[Any, Any, Any], exc: OverflowError) -> Response[bytes]:
    """Dates and numbers at the far edge of their range (year 1, 10**30) overflow date arithmetic;
    only a request can bring such values in, so it is answered as the client's mistake."""
    log.warning("value out of range on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        400,
        "value_out_of_range",
        "a date or number in the request is out of range",
        path=request.url.path,
        errors=[FieldError(field="query", message=str(exc))],
    )


def handle_calendar(request: Request[Any, Any, Any], exc: CalendarError) -> Response[bytes]:
    """A time limit that no calendar can count: a date before the first calendar file, or past what
    a provisional year can be computed for. The request asked for the impossible; nothing was written."""
    year = getattr(exc, "year", None)
    log.warning("calendar cannot count on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        422, exc.code, str(exc), path=request.url.path, extra={"year": year} if year is not None else None
    )


# PostgreSQL: deadlock detected, serialization failure, lock not available.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})


def _transient(exc: BaseException) -> bool:
    """Contention, not a fault: the transaction was rolled back whole and a retry may succeed."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    for cause in (exc.orig, getattr(exc.orig, "__cause__", None)):
        if getattr(cause, "sqlstate", None) in TRANSIENT_SQLSTATES:
            return True
    return "database is locked" in str(exc.orig)


def handle_database(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Under contention (a deadlock PostgreSQL broke, no pooled connection in time, SQLite's lock
    held past its timeout) the unit of work was rolled back: nothing was written, so the client is
    told to retry, not that the server failed. A connection the database dropped (a restart) is
    renewed by the pool, and the request told to retry too. Anything else is a fault (500, logged)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        log.warning("database connection lost on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem_response(
            503,
            "database_unavailable",
            "the connection to the database was lost; retry in a moment",
            path=request.url.path,
            headers={"Retry-After": "1"},
        )
    if not _transient(exc):
        return handle_unexpected(request, exc)
    log.warning("database busy on %s %s: %s", request.method, request.url.path, str(exc).splitlines()[0])
    return problem_response(
        503,
        "database_busy",
        "the database was busy and nothing was changed; retry in a moment",
        path=request.url.path,
        headers={"Retry-After": "1"},
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DBAPIError: handle_database,
    PoolTimeout: handle_database,
    GovServiceError: handle_service_error,
    CalendarError: handle_calendar,
    HTTPException: handle_http_exception,
    UnicodeDecodeError: handle_undecodable,
    OverflowError: handle_overflow,
    Exception: handle_unexpected,
}


_EXAMPLE_DETAIL = {
    400: ("validation_failed", "the request has invalid fields; see errors"),
    401: ("not_authenticated", "a valid bearer token is required"),
    404: ("not_found", "matter FR-XYZ is not in the catalogue"),
    413: ("payload_too_large", "the request body is larger than the 10000000 bytes allowed"),
    415: ("unsupported_media_type", "send the body as application/json, not text/plain"),
    503: (
        "migrations_pending",
        "the database is at revision 0001, the code expects 0003; run `govservice migrate`",
    ),
}


def problem_example(status: int, code: str, detail: str, **fields: Any) -> Example:
    """An OpenAPI example of the problem an operation answers with (``fields``: errors, extra...)."""
    title = HTTPStatus(status).phrase
    value = {"type": TYPE_BASE + code, "title": title, "status": status, "detail": detail, "code": code}
    return Example(summary=code, value={**value, **fields})


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI response entries for the problems an operation can answer with. An operation that
    takes a body (it lists 415) can also answer 413: every body is held to the size limit. The examples
    of 403, 409, 410, 412 and 422 are the operation's own (:mod:`govservice.api.openapi_problems`)."""
    specs: dict[int, ResponseSpec] = {}
    listed = [s for status in statuses for s in ((413, 415) if status == 415 else (status,))]
    for status in dict.fromkeys(listed):
        code, detail = _EXAMPLE_DETAIL.get(status, ("error", HTTPStatus(status).phrase))
        errors = [FieldError(field="promisedLimit", message="Expected `int` >= 0")] if status == 400 else None
        example = Problem(
            type=TYPE_BASE + code,
            title=HTTPStatus(status).phrase,
            status=status,
            detail=detail,
            code=code,
            errors=errors,
        )
        specs[status] = ResponseSpec(
            data_container=Problem,
            generate_examples=False,
            description=HTTPStatus(status).phrase,
            media_type=PROBLEM_MEDIA_TYPE,
            examples=[Example(summary=code, value=msgspec.to_builtins(example))],
        )
    return specs


__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_MEDIA_TYPE", "MediaType", "Problem", "problem_response", "problems"]
