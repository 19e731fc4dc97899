"""The key-enterprise service package ("五个一"): the package, the registry, the 24-hour response
line, check-ups, plan and training records, and inspection plans under the annual cap."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, BodyKwarg, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from govservice.api.etag import IfMatch, expected_version, with_etag
from govservice.api.problems import problems
from govservice.api.schemas import Page, Schema
from govservice.api.security import SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.domain.packages import ServicePackage
from govservice.services.key_enterprises import (
    CareService,
    InspectionPlans,
    KeyEnterpriseRegistry,
    RequestService,
)
from govservice.services.key_enterprises.care import CheckupView, Finding, RecordKind, ServiceRecordView
from govservice.services.key_enterprises.registry import (
    Adviser,
    Enrolment,
    EnrolmentChange,
    KeyEnterpriseView,
)
from govservice.services.key_enterprises.requests import RequestKind, RequestView
from govservice.services.key_enterprises.restraint import PlanResult, PlanView, Purpose

Uscc = Annotated[str, PathParameter(pattern=r"^[0-9A-Z]{18}$")]
Id = Annotated[int, PathParameter(ge=1, le=2**53)]
Year = Annotated[int, PathParameter(ge=2000, le=2100)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Cursor = Annotated[str | None, QueryParameter(max_length=64)]

_MANAGERS = (Role.ADMIN, Role.SUPERVISOR)
_SERVING = (Role.ADVISER, Role.SUPERVISOR, Role.ADMIN)
_SEEING = (Role.ADVISER, Role.SUPERVISOR, Role.ADMIN, Role.APPLICANT)
_INSPECTING = (Role.INSPECTOR, Role.SUPERVISOR)
_ADVISER_EXAMPLE = {"sub": "adviser-li", "name": "李专员", "unit": "FR-UNIT-02"}


class AdviserIn(Schema):
    sub: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    name: Short
    unit: Code


class EnrolmentIn(Schema):
    """Enrol an enterprise (USCC with a valid GB 32100 check character) in the package."""

    uscc: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    name: Short
    industries: Annotated[list[Code], msgspec.Meta(max_length=20)]
    enrolled_from: date
    adviser: AdviserIn
    enrolled_until: date | None = None


class EnrolmentChangeIn(Schema):
    """Only what is given changes; ``enrolledUntil: null`` makes the enrolment open-ended."""

    industries: Annotated[list[Code], msgspec.Meta(max_length=20)] | None = None
    enrolled_until: date | None | msgspec.UnsetType = msgspec.UNSET
    adviser: AdviserIn | None = None


class RequestIn(Schema):
    kind: RequestKind
    subject: Short
    detail: Text


class ResponseIn(Schema):
    response: Text


class CheckupIn(Schema):
    year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    scheduled_on: date


class CompletionIn(Schema):
    completed_on: date
    findings: Annotated[list[Finding], msgspec.Meta(max_length=200)]


class ReportUpload(msgspec.Struct):
    file: UploadFile


class ServiceRecordIn(Schema):
    kind: RecordKind
    title: Short
    held_on: date
    summary: Text
    attendees: Annotated[int, msgspec.Meta(ge=0, le=100000)] | None = None


class PlanIn(Schema):
    uscc: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    planned_on: date
    scope: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    purpose: Purpose = Purpose.ROUTINE
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None


class MergeIn(Schema):
    into: Annotated[int, msgspec.Meta(ge=1, le=2**53)]


class KeyEnterpriseController(Controller):
    path = "/api/v1/key-enterprises"
    tags = ["key enterprises"]

    @get(
        "/package",
        operation_id="getServicePackage",
        summary="The service package in force: its items, green channel, response line and inspection cap",
        description="Read from `workflows/packages/`: changing that file changes the package. No "
        "token needed.",
        responses=problems(400),
    )
    async def package(self, key_enterprises: NamedDependency[KeyEnterpriseRegistry]) -> ServicePackage:
        return key_enterprises.package

    @get(
        "/",
        operation_id="listKeyEnterprises",
        security=SECURED,
        summary="The registry (admins, supervisors) or the enterprises assigned to the calling adviser",
        guards=[requires(*_SERVING)],
        responses=problems(400, 401, 403),
    )
    async def list_entries(
        self,
        request: Request[Any, Any, Any],
        key_enterprises: NamedDependency[KeyEnterpriseRegistry],
        industry: Annotated[str | None, QueryParameter(max_length=64)] = None,
        adviser_unit: Annotated[str | None, QueryParameter(max_length=64)] = None,
        enrolled_on: Annotated[
            date | None, QueryParameter(description="only those enrolled on this date")
        ] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[KeyEnterpriseView]:
        items, next_cursor = await key_enterprises.list(
            current_actor(request),
            industry=industry,
            adviser_unit=adviser_unit,
            enrolled_on_day=enrolled_on,
            limit=limit,
            cursor=cursor,
        )
        return Page(items=items, next_cursor=next_cursor)

    @post(
        "/",
        operation_id="enrolKeyEnterprise",
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="Enrol an enterprise in the package, with its industries, period and named adviser",
        description="A USCC whose check character is wrong is a 422 naming the field `uscc`; an industry "
        "not in the package's list is a 422; an enterprise already enrolled is a 409.",
        guards=[requires(*_MANAGERS)],
        responses=problems(400, 401, 403, 409, 415, 422),
    )
    async def enrol(
        self,
        request: Request[Any, Any, Any],
        key_enterprises: NamedDependency[KeyEnterpriseRegistry],
        data: Annotated[
            EnrolmentIn,
            BodyKwarg(
                examples=[
                    Example(
                        summary="a lithium-battery maker",
                        value={
                            "uscc": "91510100MA61234561",
                            "name": "某锂电科技有限公司",
                            "industries": ["lithium_battery"],
                            "enrolledFrom": "2026-01-01",
                            "enrolledUntil": "2026-12-31",
                            "adviser": _ADVISER_EXAMPLE,
                        },
                    )
                ]
            ),
        ],
    ) -> Response[KeyEnterpriseView]:
        view = await key_enterprises.enrol(
            current_actor(request),
            Enrolment(
                uscc=data.uscc,
                name=data.name,
                industries=list(data.industries),
                enrolled_from=data.enrolled_from,
                enrolled_until=data.enrolled_until,
                adviser=Adviser(sub=data.adviser.sub, name=data.adviser.name, unit=data.adviser.unit),
            ),
        )
        return with_etag(view, HTTP_201_CREATED)

    @get(
        "/{uscc:str}",
        operation_id="getKeyEnterprise",
        security=SECURED,
        summary="One entry: industries, enrolment period, adviser (the enterprise sees its own)",
        guards=[requires(*_SEEING)],
        responses=problems(400, 401, 403, 404),
    )
    async def get_entry(
        self,
        request: Request[Any, Any, Any],
        key_enterprises: NamedDependency[KeyEnterpriseRegistry],
        uscc: Uscc,
    ) -> Response[KeyEnterpriseView]:
        return with_etag(await key_enterprises.get(current_actor(request), uscc))

    @patch(
        "/{uscc:str}",
        operation_id="changeKeyEnterprise",
        security=SECURED,
        summary="Change an entry: industries, end of enrolment, adviser (If-Match: the ETag)",
        guards=[requires(*_MANAGERS)],
        responses=problems(400, 401, 403, 404, 412, 415, 422),
    )
    async def change(
        self,
        request: Request[Any, Any, Any],
        key_enterprises: NamedDependency[KeyEnterpriseRegistry],
        uscc: Uscc,
        data: Annotated[
            EnrolmentChangeIn,
            BodyKwarg(
                examples=[
                    Example(
                        summary="a new adviser",
                        value={"adviser": {"sub": "adviser-wang", "name": "王专员", "unit": "FR-UNIT-02"}},
                    )
                ]
            ),
        ],
        if_match: IfMatch = None,
    ) -> Response[KeyEnterpriseView]:
        change = EnrolmentChange(
            industries=list(data.industries) if data.industries is not None else None,
            enrolled_until=data.enrolled_until if isinstance(data.enrolled_until, date) else None,
            clear_enrolled_until=data.enrolled_until is None,
            adviser=Adviser(sub=data.adviser.sub, name=data.adviser.name, unit=data.adviser.unit)
            if data.adviser
            else None,
        )
        return with_etag(
            await key_enterprises.change(current_actor(request), uscc, change, expected_version(if_match))
        )

    # -- response line --------------------------------------------------------------------------

    @post(
        "/{uscc:str}/requests",
        operation_id="raiseEnterpriseRequest",
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="Raise a request to the adviser (question, consultation, urgent hazard)",
        description="The adviser answers within the package's response time (default 24 hours); "
        "unanswered, the request escalates to the supervisor of the adviser's unit. Every request "
        "shows its response clock.",
        guards=[requires(Role.APPLICANT)],
        responses=problems(400, 401, 403, 404, 415, 422),
    )
    async def raise_request(
        self,
        request: Request[Any, Any, Any],
        key_requests: NamedDependency[RequestService],
        uscc: Uscc,
        data: Annotated[
            RequestIn,
            BodyKwarg(
                examples=[
                    Example(
                        summary="an urgent hazard",
                        value={
                            "kind": "urgent_hazard",
                            "subject": "仓库喷淋系统失压",
                            "detail": "今晨巡检发现3号仓库喷淋系统压力不足，请指导处置。",
                        },
                    )
                ]
            ),
        ],
    ) -> RequestView:
        return await key_requests.raise_request(
            current_actor(request), uscc, kind=data.kind, subject=data.subject, detail=data.detail
        )

    @get(
        "/{uscc:str}/requests",
        operation_id="listEnterpriseRequestsOf",
        security=SECURED,
        summary="The enterprise's requests with their response clocks",
        guards=[requires(*_SEEING)],
        responses=problems(400, 401, 403, 404),
    )
    async def requests_of(
        self,
        request: Request[Any, Any, Any],
        key_requests: NamedDependency[RequestService],
        uscc: Uscc,
        request_state: Annotated[str | None, QueryParameter(name="state", max_length=32)] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[RequestView]:
        items, next_cursor = await key_requests.list(
            current_actor(request), uscc=uscc, state=request_state, limit=limit, cursor=cursor
        )
        return Page(items=items, next_cursor=next_cursor)

    # -- check-ups, plan and training -------------------------------------------------------------

    @post(
        "/{uscc:str}/checkups",
        operation_id="scheduleCheckup",
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="Schedule the year's fire-safety check-up (one a year)",
        guards=[requires(*_SERVING)],
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def schedule_checkup(
        self,
        request: Request[Any, Any, Any],
        key_care: NamedDependency[CareService],
        uscc: Uscc,
        data: Annotated[
            CheckupIn,
            BodyKwarg(
                examples=[
                    Example(summary="the 2026 check-up", value={"year": 2026, "scheduledOn": "2026-04-15"})
                ]
            ),
        ],
    ) -> CheckupView:
        return await key_care.schedule_checkup(
            current_actor(request), uscc, year=data.year, scheduled_on=data.scheduled_on
        )

    @get(
        "/{uscc:str}/checkups",
        operation_id="listCheckups",
        security=SECURED,
        summary="The enterprise's check-ups: schedule, findings, report",
        guards=[requires(*_SEEING)],
        responses=problems(400, 401, 403, 404),
    )
    async def list_checkups(
        self, request: Request[Any, Any, Any], key_care: NamedDependency[CareService], uscc: Uscc
    ) -> list[CheckupView]:
        return await key_care.checkups(current_actor(request), uscc)

    @post(
        "/{uscc:str}/checkups/{year:int}/report",
        operation_id="fileCheckupReport",
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="File the check-up report (PDF, multipart)",
        guards=[requires(*_SERVING)],
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def file_report(
        self,
        request: Request[Any, Any, Any],
        key_care: NamedDependency[CareService],
        uscc: Uscc,
        year: Year,
        data: Annotated[
            ReportUpload,
            Body(
                media_type=RequestEncodingType.MULTI_PART,
                examples=[Example(summary="the report", value={"file": "(binary PDF)"})],
            ),
        ],
    ) -> CheckupView:
        return await key_care.file_report(
            current_actor(request),
            uscc,
            year,
            filename=data.file.filename or "report.pdf",
            content=await data.file.read(),
        )

    @get(
        "/{uscc:str}/checkups/{year:int}/report",
        operation_id="getCheckupReport",
        security=SECURED,
        summary="Download the check-up report",
        guards=[requires(*_SEEING)],
        responses={
            200: ResponseSpec(
                data_container=bytes,
                media_type="application/pdf",
                description="the report as filed",
                generate_examples=False,
            ),
            **problems(400, 401, 403, 404),
        },
    )
    async def report(
        self, request: Request[Any, Any, Any], key_care: NamedDependency[CareService], uscc: Uscc, year: Year
    ) -> Response[bytes]:
        content, filename = await key_care.report(current_actor(request), uscc, year)
        return Response(
            content,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="checkup-{uscc}-{year}.pdf"'},
        )

    @post(
        "/{uscc:str}/checkups/{year:int}/completion",
        operation_id="completeCheckup",
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="Complete the check-up with its findings (the report is filed first)",
        guards=[requires(*_SERVING)],
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def complete(
        self,
        request: Request[Any, Any, Any],
        key_care: NamedDependency[CareService],
        uscc: Uscc,
        year: Year,
        data: Annotated[
            CompletionIn,
            BodyKwarg(
                examples=[
                    Example(
                        summary="two findings",
                        value={
                            "completedOn": "2026-04-15",
                            "findings": [
                                {
                                    "item": "疏散通道",
                                    "severity": "hazard",
                                    "description": "二层东侧通道堆放纸箱",
                                    "rectifyBy": "2026-04-22",
                                },
                                {"item": "培训", "severity": "advice", "description": "新员工未参加消防培训"},
                            ],
                        },
                    )
                ]
            ),
        ],
    ) -> CheckupView:
        return await key_care.complete_checkup(
            current_actor(request), uscc, year, completed_on=data.completed_on, findings=list(data.findings)
        )

    @post(
        "/{uscc:str}/service-records",
        operation_id="addServiceRecord",
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="Record the customised compliance plan or a training session held under it",
        guards=[requires(*_SERVING)],
        responses=problems(400, 401, 403, 404, 415, 422),
    )
    async def add_record(
        self,
        request: Request[Any, Any, Any],
        key_care: NamedDependency[CareService],
        uscc: Uscc,
        data: Annotated[
            ServiceRecordIn,
            BodyKwarg(
                examples=[
                    Example(
                        summary="a training session",
                        value={
                            "kind": "training",
                            "title": "锂电池仓储消防培训",
                            "heldOn": "2026-03-20",
                            "summary": "讲解锂电池热失控处置与疏散",
                            "attendees": 42,
                        },
                    )
                ]
            ),
        ],
    ) -> ServiceRecordView:
        return await key_care.add_record(
            current_actor(request),
            uscc,
            kind=data.kind,
            title=data.title,
            held_on=data.held_on,
            summary=data.summary,
            attendees=data.attendees,
        )

    @get(
        "/{uscc:str}/service-records",
        operation_id="listServiceRecords",
        security=SECURED,
        summary="The enterprise's compliance plan and training sessions",
        guards=[requires(*_SEEING)],
        responses=problems(400, 401, 403, 404),
    )
    async def list_records(
        self,
        request: Request[Any, Any, Any],
        key_care: NamedDependency[CareService],
        uscc: Uscc,
        kind: Annotated[RecordKind | None, QueryParameter()] = None,
    ) -> list[ServiceRecordView]:
        return await key_care.records(current_actor(request), uscc, kind)

    @get(
        "/{uscc:str}/inspection-plans",
        operation_id="listPlannedInspectionsOf",
        security=SECURED,
        summary="Advance notice: the on-site inspections planned for the enterprise",
        guards=[requires(Role.APPLICANT, Role.ADVISER, Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN)],
        responses=problems(400, 401, 403, 404),
    )
    async def plans_of(
        self,
        request: Request[Any, Any, Any],
        inspection_plans: NamedDependency[InspectionPlans],
        uscc: Uscc,
        limit: Limit = 50,
    ) -> list[PlanView]:
        return await inspection_plans.for_enterprise(current_actor(request), uscc, limit=limit)


class EnterpriseRequestController(Controller):
    path = "/api/v1/enterprise-requests"
    tags = ["key enterprises"]
    security = SECURED

    @get(
        "/",
        operation_id="listEnterpriseRequests",
        summary="Requests: the adviser's own, the supervisor's unit (escalations), or the enterprise's",
        guards=[requires(*_SEEING)],
        responses=problems(400, 401, 403),
    )
    async def list_requests(
        self,
        request: Request[Any, Any, Any],
        key_requests: NamedDependency[RequestService],
        request_state: Annotated[str | None, QueryParameter(name="state", max_length=32)] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[RequestView]:
        items, next_cursor = await key_requests.list(
            current_actor(request), uscc=None, state=request_state, limit=limit, cursor=cursor
        )
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/{request_id:int}",
        operation_id="getEnterpriseRequest",
        summary="One request with its response clock",
        guards=[requires(*_SEEING)],
        responses=problems(400, 401, 403, 404),
    )
    async def get_request(
        self, request: Request[Any, Any, Any], key_requests: NamedDependency[RequestService], request_id: Id
    ) -> Response[RequestView]:
        view = await key_requests.get(current_actor(request), request_id)
        return with_etag(view)

    @post(
        "/{request_id:int}/response",
        operation_id="respondToEnterpriseRequest",
        status_code=HTTP_201_CREATED,
        summary="Answer a request (its adviser, or the supervisor of the adviser's unit)",
        guards=[requires(Role.ADVISER, Role.SUPERVISOR)],
        responses=problems(400, 401, 403, 404, 409, 412, 415, 422),
    )
    async def respond(
        self,
        request: Request[Any, Any, Any],
        key_requests: NamedDependency[RequestService],
        request_id: Id,
        data: Annotated[
            ResponseIn,
            BodyKwarg(
                examples=[
                    Example(
                        summary="guidance",
                        value={"response": "请立即关闭3号仓库电源并疏散，我单位技术人员30分钟内到场。"},
                    )
                ]
            ),
        ],
        if_match: IfMatch = None,
    ) -> RequestView:
        return await key_requests.act(
            current_actor(request),
            request_id,
            "respond",
            response=data.response,
            expected_version=expected_version(if_match),
        )

    @post(
        "/{request_id:int}/withdrawal",
        operation_id="withdrawEnterpriseRequest",
        status_code=HTTP_201_CREATED,
        summary="Withdraw a request not yet answered (the enterprise)",
        guards=[requires(Role.APPLICANT)],
        responses=problems(400, 401, 403, 404, 409, 412),
    )
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        key_requests: NamedDependency[RequestService],
        request_id: Id,
        if_match: IfMatch = None,
    ) -> RequestView:
        return await key_requests.act(
            current_actor(request),
            request_id,
            "withdraw",
            response=None,
            expected_version=expected_version(if_match),
        )


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
        guards=[requires(*_INSPECTING)],
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
                            "uscc": "91510100MA61234561",
                            "plannedOn": "2026-05-12",
                            "scope": "年度消防监督检查",
                        },
                    ),
                    Example(
                        summary="on a complaint, beyond the cap",
                        value={
                            "uscc": "91510100MA61234561",
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
        guards=[requires(*_INSPECTING)],
        responses=problems(400, 401, 403, 404),
    )
    async def get_plan(self, inspection_plans: NamedDependency[InspectionPlans], plan_id: Id) -> PlanResult:
        return await inspection_plans.get(plan_id)

    @post(
        "/{plan_id:int}/merge",
        operation_id="mergeInspectionPlan",
        status_code=HTTP_201_CREATED,
        summary="Merge this plan into another open plan for the same enterprise (one visit for both)",
        guards=[requires(*_INSPECTING)],
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
        guards=[requires(*_INSPECTING)],
        responses=problems(400, 401, 403, 404, 409),
    )
    async def cancel(
        self, request: Request[Any, Any, Any], inspection_plans: NamedDependency[InspectionPlans], plan_id: Id
    ) -> PlanView:
        return await inspection_plans.cancel(current_actor(request), plan_id)
