"""The audit trail: chain verification (assessors, admins) and an enterprise's data-access log."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from govservice.api.problems import problems
from govservice.api.schemas import Page
from govservice.api.security import SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.services.audit import AuditLog, ChainReport, DataAccess

Uscc = Annotated[str, PathParameter(pattern=r"^[0-9A-Z]{18}$")]


class AuditController(Controller):
    path = "/api/v1"
    tags = ["audit"]
    security = SECURED

    @get(
        "/assessment/audit/verify",
        operation_id="verifyAuditChain",
        summary="Check the audit trail's hash chain; if broken, name the first broken entry",
        guards=[requires(Role.ASSESSOR, Role.ADMIN)],
        responses=problems(401, 403),
    )
    async def verify(self, request: Request[Any, Any, Any], audit: NamedDependency[AuditLog]) -> ChainReport:
        return await audit.verify(current_actor(request))

    @get(
        "/enterprises/{uscc:str}/data-access",
        operation_id="listDataAccess",
        summary="Who read this enterprise's data, and when (its own applicants, or admins), newest first",
        guards=[requires(Role.APPLICANT, Role.ADMIN)],
        responses=problems(400, 401, 403, 404),
    )
    async def data_access(
        self,
        request: Request[Any, Any, Any],
        audit: NamedDependency[AuditLog],
        uscc: Uscc,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Page[DataAccess]:
        items, next_cursor = await audit.data_access(current_actor(request), uscc, limit=limit, cursor=cursor)
        return Page(items=items, next_cursor=next_cursor)
