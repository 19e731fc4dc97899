"""Probes and the published signing keys."""

from __future__ import annotations

from typing import Any, Literal, cast

import msgspec
from litestar import Controller, Request, Response, get
from sqlalchemy import text

from govservice.api.problems import problem_response, problems
from govservice.api.schemas import Schema
from govservice.db.migrations import current_revision


class Health(Schema, omit_defaults=True):
    status: str
    database: str | None = None
    revision: str | None = None


class Jwk(Schema, omit_defaults=True):
    """One public key (RFC 7517): EC keys carry crv/x/y, RSA keys n/e; absent members are left out."""

    kty: str
    kid: str
    alg: str
    use: str
    key_ops: list[str] | None = msgspec.field(default=None, name="key_ops")
    purpose: Literal["token", "document"] | None = None  # this service's keys: what the key verifies
    crv: str | None = None
    x: str | None = None
    y: str | None = None
    n: str | None = None
    e: str | None = None


class Jwks(Schema):
    keys: list[Jwk]


def _not_ready(code: str, detail: str, path: str) -> Response[Health]:
    """A 503 problem (documented by ``responses=problems(503)``), typed as the ``Response[Health]``
    that documents the readiness probe's 200 body."""
    return cast("Response[Health]", problem_response(503, code, detail, path=path))


class SystemController(Controller):
    tags = ["system"]
    include_in_schema = True

    @get("/health/live", operation_id="live", summary="Liveness: the process answers")
    async def live(self) -> Health:
        return Health(status="ok")

    @get(
        "/health/ready",
        operation_id="ready",
        summary="Readiness: the database answers and its schema is at the migrations' head",
        responses=problems(503),
    )
    async def ready(self, request: Request[Any, Any, Any]) -> Response[Health]:
        engine = request.app.state.ctx.engine
        head = request.app.state.head_revision
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            revision = await current_revision(engine)
        except Exception as exc:  # any driver error means: not ready
            return _not_ready(
                "database_unavailable",
                f"the database does not answer: {type(exc).__name__}",
                request.url.path,
            )
        if revision != head:
            return _not_ready(
                "migrations_pending",
                f"the database is at revision {revision or 'none'}, the code expects {head}; "
                "run `govservice migrate`",
                request.url.path,
            )
        return Response(Health(status="ok", database="ok", revision=revision))

    @get(
        "/.well-known/jwks.json",
        operation_id="jwks",
        summary="Public keys that verify this service's tokens and e-licence signatures",
        description="Each key says what it verifies in `purpose`: `token` (bearer tokens) or `document` "
        "(e-licences). The active key of each purpose is listed first; retired keys stay listed while "
        "what they signed may still be valid (token keys for one token lifetime, document keys for good).",
    )
    async def jwks(self, request: Request[Any, Any, Any]) -> Jwks:
        published = request.app.state.signing_keys.jwks(request.app.state.ctx.clock.now())
        return Jwks(keys=[Jwk(**key) for key in published["keys"]])
