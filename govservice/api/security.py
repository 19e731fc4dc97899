"""Authentication middleware and role guards.

The middleware turns the bearer token (if any) into an :class:`Actor`; a route without a
token sees the anonymous actor. Guards check roles from the claims only; object-level rules
(this applicant's enterprise, this clerk's unit) are enforced in the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.openapi.spec import Components, SecurityScheme

from govservice.domain.actor import ANONYMOUS, Actor, Role
from govservice.errors import Forbidden, NotAuthenticated

BEARER = "BearerToken"
INVALID_TOKEN_CHALLENGE = 'Bearer realm="govservice", error="invalid_token"'

SECURITY_COMPONENTS = Components(
    security_schemes={
        BEARER: SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="`govservice token --role ROLE` prints one for trying the API.",
        )
    }
)


class BearerAuthentication(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if not header:
            return AuthenticationResult(user=ANONYMOUS, auth=None)
        scheme, _, token = header.partition(" ")
        token = token.strip()
        try:
            if scheme.lower() != "bearer" or not token:
                raise NotAuthenticated("use 'Authorization: Bearer <token>'", code="token_malformed")
            actor = await connection.app.state.authenticator.authenticate(token)
        except NotAuthenticated as exc:
            # RFC 6750 §3.1: a token was presented and refused.
            exc.extra.setdefault("headers", {"WWW-Authenticate": INVALID_TOKEN_CHALLENGE})
            raise
        return AuthenticationResult(user=actor, auth=token)


def current_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    user = connection.scope.get("user")
    return user if isinstance(user, Actor) else ANONYMOUS


@dataclass(frozen=True, slots=True)
class RoleGuard:
    """Guard: the caller must be authenticated and hold one of ``roles`` (an object, not a closure,
    so the OpenAPI document can show the 403 it answers with: :mod:`govservice.api.openapi_problems`)."""

    roles: frozenset[Role]

    @property
    def refusal(self) -> str:
        return "this needs one of the roles: " + ", ".join(sorted(self.roles))

    async def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor = current_actor(connection)
        if actor is ANONYMOUS:
            raise NotAuthenticated("a valid bearer token is required", code="not_authenticated")
        if not actor.roles & self.roles:
            raise Forbidden(self.refusal, code="role_required")


def requires(*roles: Role) -> RoleGuard:
    return RoleGuard(frozenset(roles))


# Guards are coroutines, though they never wait: Litestar runs a plain function guard in its
# thread pool, two thread hand-offs per request for a set lookup.
async def authenticated(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if current_actor(connection) is ANONYMOUS:
        raise NotAuthenticated("a valid bearer token is required", code="not_authenticated")


SECURED: list[dict[str, list[str]]] = [{BEARER: []}]


ASSESSMENT_PATH = "/api/v1/assessment"


async def confine_assessors(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """App-wide guard: an actor whose only role is ``assessor`` reaches the assessment API and the
    public routes (no security requirement), and gets 403 everywhere else, whatever the route's
    own guards would say (assessors never see names, USCCs or files)."""
    if current_actor(connection).roles != {Role.ASSESSOR}:
        return
    if connection.scope["path"].startswith(ASSESSMENT_PATH + "/"):
        return
    resolve_security = getattr(handler, "resolve_security", None)
    if resolve_security is not None and not resolve_security():
        return
    raise Forbidden("an assessor reads the assessment API and public pages only", code="assessor_confined")
