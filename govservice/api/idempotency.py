"""``Idempotency-Key`` on POST: the same key and body replay the first response; the same key
with another body is 422; while the first is still running a second gets 409.

Keys are scoped to the token subject, so two users can never see each other's responses.
A 5xx is not stored: the key is released and a retry runs afresh.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from govservice.domain.actor import Actor
from govservice.errors import BadRequest
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
        raw_key = dict(scope["headers"]).get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY:
            raise BadRequest(
                f"Idempotency-Key must be 1 to {MAX_KEY} characters", code="invalid_idempotency_key"
            )
        body, replay_receive = await _buffer(receive)
        user = scope.get("user")
        owner = user.sub if isinstance(user, Actor) else "anonymous"
        fingerprint = hashlib.sha256(
            b"\n".join(
                [
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    dict(scope["headers"]).get(b"content-type", b""),
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


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
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
