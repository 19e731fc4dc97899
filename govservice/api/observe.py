"""Every HTTP request, observed at the edge of the app (around Litestar's router, so a request for
an unknown route is seen too): its request id, one access log line, and the Prometheus metrics.

* The request id is the client's ``X-Request-ID`` when it is 1-128 printable ASCII characters
  without spaces, else a new one; it is echoed in the response's ``X-Request-ID``, stamped on every
  log line written while the request runs (:data:`govservice.logs.REQUEST_ID`) and put into every
  problem's ``instance`` (:mod:`govservice.api.problems`).
* The access line names the method, the route template (never the concrete path, which may carry
  ids, nor the query, headers or body), the status, the duration and the caller's ``sub``.
* Metrics are labelled by route template; every request that matched no route counts as
  ``path="<unmatched>"``, so scanners cannot grow the series without bound.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, Histogram

from govservice.domain.actor import Actor
from govservice.logs import REQUEST_ID

REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED = "<unmatched>"
# Probes, scrapes and the docs' assets: not in the request metrics, and logged at DEBUG only.
QUIET_PREFIXES = ("/health/", "/metrics", "/docs")

_ACCEPTED_ID = re.compile(r"[\x21-\x7e]{1,128}")
_HEADER = REQUEST_ID_HEADER.lower().encode()

REQUESTS = Counter(
    "govservice_requests", "HTTP requests answered, by route template", ["method", "path", "status_code"]
)
DURATION = Histogram(
    "govservice_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "path", "status_code"],
)
IN_PROGRESS = Gauge("govservice_requests_in_progress", "HTTP requests being answered now", ["method"])

access_log = logging.getLogger("govservice.access")


def accepted_request_id(raw: bytes | None) -> str:
    """The client's id if it is printable and short enough to log safely, else a fresh one."""
    if raw is not None:
        candidate = raw.decode("latin-1")
        if _ACCEPTED_ID.fullmatch(candidate):
            return candidate
    return uuid.uuid4().hex


class RequestObserver:
    """ASGI wrapper around the app's handler; see the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        raw_id = next((value for name, value in scope["headers"] if name == _HEADER), None)
        request_id = accepted_request_id(raw_id)
        token = REQUEST_ID.set(request_id)
        status = 500  # what the client gets if the app fails before it answers
        method = scope["method"]
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (_HEADER, request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        IN_PROGRESS.labels(method).inc()
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            IN_PROGRESS.labels(method).dec()
            elapsed = time.perf_counter() - started
            _record(scope, method, status, elapsed)
            REQUEST_ID.reset(token)


def _record(scope: HTTPScope, method: str, status: int, elapsed: float) -> None:
    route = scope.get("path_template") or UNMATCHED
    quiet = scope["path"].startswith(QUIET_PREFIXES)
    if not quiet:
        REQUESTS.labels(method, route, str(status)).inc()
        DURATION.labels(method, route, str(status)).observe(elapsed)
    user: Any = scope.get("user")
    sub = user.sub if isinstance(user, Actor) else "-"
    duration_ms = round(elapsed * 1000, 1)
    access_log.log(
        logging.DEBUG if quiet else logging.INFO,
        "%s %s %d %.1fms sub=%s",
        method,
        route,
        status,
        duration_ms,
        sub,
        extra={
            "fields": {
                "method": method,
                "route": route,
                "status": status,
                "durationMs": duration_ms,
                "sub": sub,
            }
        },
    )
