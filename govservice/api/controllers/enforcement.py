"""Enforcement (首违不罚): waiver rules, inspections, violation cases, statistics."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from govservice.api.etag import ETAG_HEADERS, IfMatch, expected_version, with_etag
from govservice.api.problems import problems
from govservice.api.schemas import Page, Schema
from govservice.api.security import SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.services.enforcement import EnforcementService, Inspections, ViolationCases, WaiverRules
from govservice.services.enforcement.inputs import InspectionIn
from govservice.services.enforcement.views import InspectionView, Statistics, ViolationView
from govservice.workflow import ActionOption


class WaiverRuleController(Controller):
    path = "/api/v1/waiver-rules"
    tags = ["enforcement"]

    @get(
        "/",
        operation_id="getWaiverRules",
        summary="The first-offense waiver list and the violation-type catalogue in force",
        description="Public. The 免罚清单 (per-type thresholds, inclusive; the look-back window; the "
        "limitation periods) and the catalogue of violation types (legal basis, fine range, harm levels, "
        "discretion tiers). `version` is what every waiver evaluation records.",
    )
    async def get_waiver_rules(self, enforcement: NamedDependency[EnforcementService]) -> WaiverRules:
        return enforcement.waiver_rules()


ViolationId = Annotated[int, PathParameter(ge=1, le=2**53)]
InspectionId = Annotated[int, PathParameter(ge=1, le=2**53)]
ActionName = Annotated[str, PathParameter(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Cursor = Annotated[str | None, QueryParameter(max_length=64)]
UsccFilter = Annotated[str | None, QueryParameter(min_length=18, max_length=18)]

_STAFF = (Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.LEGAL, Role.ADVISER, Role.ADMIN)

_INSPECTION_EXAMPLE = {
    "uscc": "91510100MA6CX12348",
    "unitName": "成都某某餐饮管理有限公司",
    "address": "成都市锦江区某某路1号",
    "inspectedOn": "2026-03-02",
    "officers": ["inspector-1", "inspector-2"],
    "evidence": ["现场照片 P-2026-0042"],
    "findings": [
        {
            "violationType": "HYDRANT-BLOCKED",
            "harmLevel": "minor",
            "measurements": [{"quantity": "blocked_hydrants", "value": "1"}],
        }
    ],
}


class ViolationActionIn(Schema):
    """A comment; for a re-check that found the violation corrected, the day it was corrected."""

    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    corrected_on: date | None = None


class InspectionController(Controller):
    path = "/api/v1/inspections"
    tags = ["enforcement"]
    security = SECURED

    @post(
        "/",
        operation_id="createInspection",
        summary="Record an inspection by two officers; each finding opens a violation case",
        description="Inspectors only; the caller must be one of the two officers. Evidence is recorded as "
        "text references (photo or file numbers).",
        guards=[requires(Role.INSPECTOR)],
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 415, 422),
    )
    async def create_inspection(
        self,
        request: Request[Any, Any, Any],
        inspections: NamedDependency[Inspections],
        data: Annotated[
            InspectionIn, BodyKwarg(examples=[Example(summary="one finding", value=_INSPECTION_EXAMPLE)])
        ],
    ) -> InspectionView:
        return await inspections.inspect(current_actor(request), data)

    @get(
        "/",
        operation_id="listInspections",
        summary="Inspections, newest first (staff)",
        guards=[requires(*_STAFF)],
        responses=problems(400, 401, 403),
    )
    async def list_inspections(
        self,
        request: Request[Any, Any, Any],
        inspections: NamedDependency[Inspections],
        uscc: UsccFilter = None,
        from_date: Annotated[date | None, QueryParameter(name="from")] = None,
        to_date: Annotated[date | None, QueryParameter(name="to")] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[InspectionView]:
        items, next_cursor = await inspections.inspections(
            current_actor(request),
            uscc=uscc,
            from_date=from_date,
            to_date=to_date,
            limit=limit,
            cursor=cursor,
        )
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/{inspection_id:int}",
        operation_id="getInspection",
        summary="Read one inspection with its findings",
        guards=[requires(*_STAFF)],
        responses=problems(400, 401, 403, 404),
    )
    async def get_inspection(
        self,
        request: Request[Any, Any, Any],
        inspections: NamedDependency[Inspections],
        inspection_id: InspectionId,
    ) -> InspectionView:
        return await inspections.inspection(current_actor(request), inspection_id)


class ViolationController(Controller):
    path = "/api/v1/violations"
    tags = ["enforcement"]
    security = SECURED

    @get(
        "/",
        operation_id="listViolations",
        summary="Violation cases: the unit's (staff), assigned enterprises' (adviser) or own (applicant)",
        guards=[requires(Role.APPLICANT, *_STAFF)],
        responses=problems(400, 401, 403),
    )
    async def list_violations(
        self,
        request: Request[Any, Any, Any],
        violation_cases: NamedDependency[ViolationCases],
        uscc: UsccFilter = None,
        case_state: Annotated[str | None, QueryParameter(name="state", max_length=64)] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[ViolationView]:
        items, next_cursor = await violation_cases.violations(
            current_actor(request), uscc=uscc, state=case_state, limit=limit, cursor=cursor
        )
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/{violation_id:int}",
        operation_id="getViolation",
        response_headers=ETAG_HEADERS,
        summary="Read one violation case: order, re-check, waiver evaluation, decision",
        guards=[requires(Role.APPLICANT, *_STAFF)],
        responses=problems(400, 401, 403, 404),
    )
    async def get_violation(
        self,
        request: Request[Any, Any, Any],
        violation_cases: NamedDependency[ViolationCases],
        violation_id: ViolationId,
    ) -> Response[ViolationView]:
        view = await violation_cases.violation(current_actor(request), violation_id)
        return with_etag(view)

    @get(
        "/{violation_id:int}/actions",
        operation_id="listViolationActions",
        summary="The actions of the case's current state, and for each the caller may not take, why",
        guards=[requires(*_STAFF)],
        responses=problems(400, 401, 403, 404),
    )
    async def violation_actions(
        self,
        request: Request[Any, Any, Any],
        violation_cases: NamedDependency[ViolationCases],
        violation_id: ViolationId,
    ) -> list[ActionOption]:
        return await violation_cases.actions(current_actor(request), violation_id)

    @post(
        "/{violation_id:int}/actions/{action:str}",
        operation_id="takeViolationAction",
        response_headers=ETAG_HEADERS,
        summary="Take one action on a violation case (serve order, re-check, countersign, ...)",
        description="A re-check or an on-the-spot correction runs the waiver evaluation and proposes the "
        "decision it allows. `countersign` is for legal reviewers who were not inspecting officers.",
        guards=[requires(*_STAFF)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 412, 415, 422),
    )
    async def take_violation_action(
        self,
        request: Request[Any, Any, Any],
        violation_cases: NamedDependency[ViolationCases],
        violation_id: ViolationId,
        action: ActionName,
        data: Annotated[
            ViolationActionIn,
            BodyKwarg(
                examples=[
                    Example(
                        summary="re-check: corrected",
                        value={"correctedOn": "2026-03-05", "comment": "已整改"},
                    )
                ]
            ),
        ],
        if_match: IfMatch = None,
    ) -> Response[ViolationView]:
        payload = {k: v for k, v in msgspec.to_builtins(data).items() if v is not None}
        view = await violation_cases.act(
            current_actor(request),
            violation_id,
            action,
            payload=payload,
            expected_version=expected_version(if_match),
        )
        return with_etag(view)


class EnforcementStatisticsController(Controller):
    path = "/api/v1/enforcement/statistics"
    tags = ["enforcement"]
    security = SECURED

    @get(
        "/",
        operation_id="getEnforcementStatistics",
        summary="Waivers, enterprises spared, fines spared and penalties, per month and unit (staff)",
        description="Counts decided cases whose decision date lies in [from, to]; `unit` filters the "
        "inspecting unit.",
        guards=[requires(*_STAFF)],
        responses=problems(400, 401, 403),
    )
    async def statistics(
        self,
        violation_cases: NamedDependency[ViolationCases],
        from_date: Annotated[date | None, QueryParameter(name="from")] = None,
        to_date: Annotated[date | None, QueryParameter(name="to")] = None,
        unit: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Statistics:
        return await violation_cases.statistics(from_date=from_date, to_date=to_date, unit=unit)
