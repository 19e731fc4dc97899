"""Planned inspections ("neither disturb nor be absent"): plan, merge, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg
from litestar.status_codes import HTTP_201_CREATED

from govservice.api.controllers.key_enterprise_schemas import (
    INSPECTING,
    Id,
    MergeIn,
    PlanIn,
)
from govservice.api.problems import problems
from govservice.api.security import SECURED, current_actor, requires
from govservice.services.key_enterprises import (
    InspectionPlans,
    KeyEnterpriseRegistry,
)
from govservice.services.key_enterprises.restraint import PlanResult, PlanView


class InspectionPlanController(Controller):
    path = "/api/v1/inspection-plans"
    tags = ["enforcement"]
    security = SECURED

    @post(
        "/",
        operation_id="planInspection",
        status_code=HTTP_201_CREATED,
        summary="Plan an on-site inspection; a key enterprise's routine inspections are capped per year",
        description="Beyond the package's annual cap a routine inspection is refused (422 "
        "`inspection_cap_reached`); a purpose the package lets override the cap (complaint, fire_risk, "
        "post_check) with a reason goes through. The response offers open plans for the same "
        "enterprise within the merge window.",
        guards=[requires(*INSPECTING)],
        responses=problems(400, 401, 403, 415, 422),
    )
    async def plan(
        self,
        request: Request[Any, Any, Any],
        inspection_plans: NamedDependency[InspectionPlans],
        key_enterprises: NamedDependency[KeyEnterpriseRegistry],
        data: Annotated[
            PlanIn,
            BodyKwarg(
                examples=[
                    Example(
                        summary="a routine inspection",
                        value={
                            "uscc": "91510100MA6123456W",
                            "plannedOn": "2026-05-12",
                            "scope": "年度消防监督检查",
                        },
                    ),
                    Example(
                        summary="on a complaint, beyond the cap",
                        value={
                            "uscc": "91510100MA6123456W",
                            "plannedOn": "2026-05-20",
                            "purpose": "complaint",
                            "reason": "群众举报夜间锁闭安全出口",
                            "scope": "安全出口、疏散通道",
                        },
                    ),
                ]
            ),
        ],
    ) -> PlanResult:
        return await inspection_plans.plan(
            current_actor(request),
            uscc=data.uscc,
            planned_on=data.planned_on,
            purpose=data.purpose,
            reason=data.reason,
            scope=data.scope,
            today=key_enterprises.today(),
        )

    @get(
        "/{plan_id:int}",
        operation_id="getInspectionPlan",
        summary="One plan, with the plans it could merge with",
        guards=[requires(*INSPECTING)],
        responses=problems(400, 401, 403, 404),
    )
    async def get_plan(
        self, request: Request[Any, Any, Any], inspection_plans: NamedDependency[InspectionPlans], plan_id: Id
    ) -> PlanResult:
        return await inspection_plans.get(current_actor(request), plan_id)

    @post(
        "/{plan_id:int}/merge",
        operation_id="mergeInspectionPlan",
        status_code=HTTP_201_CREATED,
        summary="Merge this plan into another open plan for the same enterprise (one visit for both)",
        guards=[requires(*INSPECTING)],
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def merge(
        self,
        request: Request[Any, Any, Any],
        inspection_plans: NamedDependency[InspectionPlans],
        plan_id: Id,
        data: Annotated[MergeIn, BodyKwarg(examples=[Example(summary="into plan 7", value={"into": 7})])],
    ) -> PlanResult:
        return await inspection_plans.merge(current_actor(request), plan_id, data.into)

    @post(
        "/{plan_id:int}/cancellation",
        operation_id="cancelInspectionPlan",
        status_code=HTTP_201_CREATED,
        summary="Cancel an open plan",
        guards=[requires(*INSPECTING)],
        responses=problems(400, 401, 403, 404, 409),
    )
    async def cancel(
        self, request: Request[Any, Any, Any], inspection_plans: NamedDependency[InspectionPlans], plan_id: Id
    ) -> PlanView:
        return await inspection_plans.cancel(current_actor(request), plan_id)
