"""Enterprises: their standing as the department sees it, and credit repair."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, PathParameter

from govservice.api.problems import problems
from govservice.api.schemas import Schema
from govservice.api.security import SECURED, authenticated, current_actor, requires
from govservice.domain.actor import Role
from govservice.services.enterprises import EnterpriseService, EnterpriseView

Uscc = Annotated[str, PathParameter(pattern=r"^[0-9A-Z]{18}$")]


class CreditRepair(Schema):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class NameChangeCreate(Schema):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class EnterpriseController(Controller):
    path = "/api/v1/enterprises"
    tags = ["enterprises"]
    security = SECURED

    @get(
        "/{uscc:str}",
        operation_id="getEnterprise",
        summary="An enterprise's standing and credit history (its own applicants, or staff)",
        guards=[authenticated],
        responses=problems(400, 401, 403, 404),
    )
    async def get_enterprise(
        self, request: Request[Any, Any, Any], enterprises: NamedDependency[EnterpriseService], uscc: Uscc
    ) -> EnterpriseView:
        return await enterprises.get(current_actor(request), uscc)

    @post(
        "/{uscc:str}/credit-repairs",
        operation_id="repairCredit",
        summary="Record credit repair (信用修复): the tolerant and commitment routes open again",
        guards=[requires(Role.ADMIN)],
        status_code=201,
        responses=problems(400, 401, 403, 404, 415, 422),
    )
    async def repair(
        self,
        request: Request[Any, Any, Any],
        enterprises: NamedDependency[EnterpriseService],
        uscc: Uscc,
        data: Annotated[
            CreditRepair, BodyKwarg(examples=[Example(value={"reason": "已履行承诺并完成信用修复公示"})])
        ],
    ) -> EnterpriseView:
        return await enterprises.repair_credit(current_actor(request), uscc, data.reason)

    @post(
        "/{uscc:str}/name-changes",
        operation_id="renameEnterprise",
        summary="Record a change of the enterprise's name (its own applicant, or an admin); licences "
        "issued from now on carry the new name",
        guards=[requires(Role.APPLICANT, Role.ADMIN)],
        status_code=201,
        responses=problems(400, 401, 403, 404, 415, 422),
    )
    async def rename(
        self,
        request: Request[Any, Any, Any],
        enterprises: NamedDependency[EnterpriseService],
        uscc: Uscc,
        data: Annotated[
            NameChangeCreate,
            BodyKwarg(
                examples=[Example(value={"name": "成都某某餐饮集团有限公司", "reason": "营业执照变更登记"})]
            ),
        ],
    ) -> EnterpriseView:
        return await enterprises.rename(current_actor(request), uscc, data.name, data.reason)
