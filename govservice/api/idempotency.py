"""``Idempotency-Key`` on POST: the same key and body replay the first response; the same key
with another body is 422; while the first is still running a second gets 409.

Keys are scoped to the token subject, so two users can never see each other's responses.
A 5xx is not stored: the key is released and a retry runs afresh. Records expire (the service's
TTL, ``GOVSERVICE_IDEMPOTENCY_TTL_HOURS``): an expired one counts as absent, the worker purges them.

The order is authenticate -> size limit -> buffer. Authentication runs in the middleware before
this one; an anonymous request gets no idempotency handling at all (its route answers 401 without
reading the body), so nobody without a token can make the server buffer a body or write a record.
An authenticated body is held to the route's request body limit (Litestar's
``request_max_body_size``, the app's unless a layer sets its own) before it is buffered: by its
``Content-Length`` first, then by counting while it is read, and refused with a 413 problem the
moment it goes over, without reading the rest.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from govservice.domain.actor import ANONYMOUS, Actor
from govservice.errors import BadRequest, PayloadTooLarge
from govservice.services.idempotency import IdempotencyService, StoredResponse

HEADER = b"idempotency-key"
MAX_KEY = 200
_KEEP_HEADERS = {"content-type", "content-encoding", "vary", "etag", "location"}


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        user = scope.get("user")
        if raw_key is None or not isinstance(user, Actor) or user is ANONYMOUS:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY:
            raise BadRequest(
                f"Idempotency-Key must be 1 to {MAX_KEY} characters", code="invalid_idempotency_key"
            )
        limit = body_limit(scope)
        _refuse_declared_length(headers.get(b"content-length"), limit)
        body, replay_receive = await _buffer(receive, limit)
        owner = user.sub
        fingerprint = hashlib.sha256(
            b"\n".join(
                [
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    headers.get(b"content-type", b""),
                    body,
                ]
            )
        ).hexdigest()
        service: IdempotencyService = scope["app"].state.services.idempotency
        stored = await service.claim(owner, key, fingerprint)
        if stored is not None:
            await _replay(stored, send)
            return
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() in _KEEP_HEADERS
                ]
            elif message["type"] == "http.response.body":
                captured["body"].extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await service.release(owner, key)
            raise
        if captured["status"] >= 500:
            await service.release(owner, key)
        else:
            await service.complete(
                owner, key, StoredResponse(captured["status"], captured["headers"], bytes(captured["body"]))
            )


def body_limit(scope: Scope) -> int | None:
    """The request body limit Litestar itself holds this route to (None: the app allows any size)."""
    handler = scope.get("route_handler")
    resolve = getattr(handler, "resolve_request_max_body_size", None)
    if resolve is not None:
        limit: int | None = resolve()
        return limit
    app_limit = scope["app"].request_max_body_size
    return app_limit if isinstance(app_limit, int) else None


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than the {limit} bytes allowed",
        errors=[{"field": "body", "message": f"more than {limit} bytes"}],
    )


def _refuse_declared_length(raw: bytes | None, limit: int | None) -> None:
    """413 before reading anything when the declared Content-Length is over the limit (a length
    that is not a number is left to the server; the count while reading still holds)."""
    if raw is None or limit is None:
        return
    try:
        declared = int(raw.decode("latin-1").strip())
    except ValueError:
        return
    if declared > limit:
        raise _too_large(limit)


async def _buffer(receive: Receive, limit: int | None) -> tuple[bytes, Receive]:
    """The whole body, read chunk by chunk, and a ``receive`` that hands it on; 413 as soon as the
    bytes read go over ``limit`` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _replay(stored: StoredResponse, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers]
    headers.append((b"idempotent-replayed", b"true"))
    headers.append((b"content-length", str(len(stored.body)).encode()))
    await send({"type": "http.response.start", "status": stored.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})
