"""Applications: file, upload materials, see the allowed actions, take one, follow the timeline."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import Example
from litestar.params import Body, BodyKwarg, FromQuery, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from govservice.api.etag import ETAG_HEADERS, IfMatch, expected_version, with_etag
from govservice.api.problems import problems
from govservice.api.schemas import Page, Schema
from govservice.api.security import SECURED, authenticated, current_actor, requires
from govservice.domain.actor import Role
from govservice.domain.catalogue import Route
from govservice.domain.uscc import UsccText
from govservice.services.applications import ApplicationService
from govservice.services.applications.uploads import sanitise_filename
from govservice.services.applications.views import ApplicationView, MaterialView, Timeline, VisitView
from govservice.workflow import ActionOption

AppId = Annotated[int, PathParameter(ge=1, le=2**53)]
ActionName = Annotated[str, PathParameter(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

_STAFF_AND_APPLICANT = (Role.APPLICANT, Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.LEGAL, Role.ADMIN)


class ApplicationCreate(Schema):
    """Create a draft (file: false) or file at once (file: true)."""

    matter_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    route: Route = Route.STANDARD
    # Creates the enterprise's record on its first filing; afterwards the record's name is used
    # (changed by POST /api/v1/enterprises/{uscc}/name-changes), whatever is sent here.
    enterprise_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    channel: Annotated[str, msgspec.Meta(pattern="^(online|window)$")] = "online"
    enterprise_uscc: UsccText | None = None
    commitment_signed: bool = False
    file: bool = False
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class Defect(Schema):
    material: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    problem: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


Comment = Annotated[str, msgspec.Meta(max_length=2000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Reasons = Annotated[list[Reason], msgspec.Meta(max_length=50)]


class ActionRequest(Schema):
    """A comment, and what the action needs: reasons (refusals, denials), a reason (extension,
    clock hold: inspection | testing | expert_review | hearing), defects (deficiency notice), the
    inspector's sub (assign_inspector), the result and findings (record_inspection)."""

    comment: Comment | None = None
    reasons: Reasons | None = None
    reason: Reason | None = None
    defects: Annotated[list[Defect], msgspec.Meta(max_length=100)] | None = None
    inspector: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    result: Annotated[str, msgspec.Meta(pattern="^(pass|fail)$")] | None = None
    findings: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None


class VisitCreate(Schema):
    purpose: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class MaterialUpload(msgspec.Struct):
    material: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    file: UploadFile


_CREATE_EXAMPLE = {
    "matterCode": "FR-PGP-OPENING",
    "enterpriseName": "成都某某餐饮管理有限公司",
    "route": "commitment",
    "commitmentSigned": True,
    "file": False,
}


class ApplicationController(Controller):
    path = "/api/v1/applications"
    tags = ["applications"]
    security = SECURED

    @post(
        "/",
        operation_id="createApplication",
        response_headers=ETAG_HEADERS,
        summary="Create a draft application, or file it at once",
        description="Applicants file for the enterprise of their token (`ent`); clerks may file at "
        "the window "
        "for an enterprise given by USCC. Filing for a cancelled matter is 410 naming the replacement. "
        "Send an `Idempotency-Key` to make retries safe.",
        guards=[requires(Role.APPLICANT, Role.CLERK)],
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 404, 409, 410, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        applications: NamedDependency[ApplicationService],
        data: Annotated[
            ApplicationCreate,
            BodyKwarg(examples=[Example(summary="commitment route", value=_CREATE_EXAMPLE)]),
        ],
    ) -> Response[ApplicationView]:
        view = await applications.create(
            current_actor(request),
            matter_code=data.matter_code,
            route=data.route,
            enterprise_name=data.enterprise_name,
            enterprise_uscc=data.enterprise_uscc,
            channel=data.channel,
            commitment_signed=data.commitment_signed,
            file=data.file,
            comment=data.comment,
        )
        return with_etag(view, HTTP_201_CREATED)

    @get(
        "/",
        operation_id="listApplications",
        summary="The caller's applications: its enterprise's (applicant) or its unit's queue (staff)",
        description="Key enterprises' applications come first (green channel), then first come, "
        "first served.",
        guards=[requires(*_STAFF_AND_APPLICANT)],
        responses=problems(400, 401, 403),
    )
    async def list_applications(
        self,
        request: Request[Any, Any, Any],
        applications: NamedDependency[ApplicationService],
        case_state: Annotated[str | None, QueryParameter(name="state", max_length=64)] = None,
        matter: Annotated[str | None, QueryParameter(max_length=64)] = None,
        overdue: FromQuery[bool | None] = None,
        priority: FromQuery[bool | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Page[ApplicationView]:
        items, next_cursor = await applications.list(
            current_actor(request),
            state=case_state,
            matter=matter,
            overdue=overdue,
            priority=priority,
            limit=limit,
            cursor=cursor,
        )
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/{application_id:int}",
        operation_id="getApplication",
        response_headers=ETAG_HEADERS,
        summary="Read one application",
        guards=[authenticated],
        responses=problems(400, 401, 403, 404),
    )
    async def get_application(
        self,
        request: Request[Any, Any, Any],
        applications: NamedDependency[ApplicationService],
        application_id: AppId,
    ) -> Response[ApplicationView]:
        return with_etag(await applications.get(current_actor(request), application_id))

    @post(
        "/{application_id:int}/materials",
        operation_id="uploadMaterial",
        summary="Upload a material (multipart: `material` = its code, `file`)",
        description="The format must be one the matter allows, judged by the file's content and its name's "
        "extension, which must agree (a PDF named `setup.exe` is refused); the size within the material's "
        "limit. The name is stored sanitised. A material the department obtains itself is never accepted. "
        "A failed upload changes nothing.",
        guards=[requires(Role.APPLICANT, Role.CLERK)],
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 404, 415, 422),
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        applications: NamedDependency[ApplicationService],
        application_id: AppId,
        data: Annotated[
            MaterialUpload,
            Body(
                media_type=RequestEncodingType.MULTI_PART,
                examples=[
                    Example(summary="a floor plan", value={"material": "floor_plans", "file": "(binary PDF)"})
                ],
            ),
        ],
    ) -> MaterialView:
        content = await data.file.read()
        return await applications.upload(
            current_actor(request),
            application_id,
            material_code=data.material[:64],
            filename=sanitise_filename(data.file.filename or ""),  # the name judged and stored
            content_type=data.file.content_type or "",
            content=content,
        )

    @get(
        "/{application_id:int}/materials",
        operation_id="listMaterials",
        summary="Uploaded files with their SHA-256",
        guards=[authenticated],
        responses=problems(400, 401, 403, 404),
    )
    async def list_materials(
        self,
        request: Request[Any, Any, Any],
        applications: NamedDependency[ApplicationService],
        application_id: AppId,
    ) -> list[MaterialView]:
        return await applications.materials(current_actor(request), application_id)

    @get(
        "/{application_id:int}/actions",
        operation_id="listActions",
        summary="The actions of the current state, and for each the caller may not take, why",
        guards=[authenticated],
        responses=problems(400, 401, 403, 404),
    )
    async def actions(
        self,
        request: Request[Any, Any, Any],
        applications: NamedDependency[ApplicationService],
        application_id: AppId,
    ) -> list[ActionOption]:
        return await applications.actions(current_actor(request), application_id)

    @post(
        "/{application_id:int}/actions/{action:str}",
        operation_id="takeAction",
        response_headers=ETAG_HEADERS,
        summary="Take one action: the only way an application's state changes",
        description="Send `If-Match` with the ETag (the version) you read: 412 if it changed since. "
        "Two racing "
        "actions: one wins, the other gets 409.",
        guards=[authenticated],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 412, 415, 422),
    )
    async def take_action(
        self,
        request: Request[Any, Any, Any],
        applications: NamedDependency[ApplicationService],
        application_id: AppId,
        action: ActionName,
        data: Annotated[
            ActionRequest,
            BodyKwarg(
                examples=[
                    Example(summary="refuse acceptance", value={"reasons": ["场所不属于本机关管辖"]}),
                    Example(summary="stop the clock", value={"reason": "inspection", "comment": "现场检查"}),
                    Example(summary="assign the inspector", value={"inspector": "inspector-7"}),
                    Example(
                        summary="record the on-site inspection",
                        value={"result": "pass", "findings": "疏散通道畅通，消防设施完好有效"},
                    ),
                ]
            ),
        ],
        if_match: IfMatch = None,
    ) -> Response[ApplicationView]:
        payload = {k: v for k, v in msgspec.to_builtins(data).items() if v is not None}
        view = await applications.act(
            current_actor(request),
            application_id,
            action,
            payload=payload,
            expected_version=expected_version(if_match),
        )
        return with_etag(view)

    @post(
        "/{application_id:int}/visits",
        operation_id="recordVisit",
        summary="Record a physical visit to the window (staff); a second visit is a broken promise",
        guards=[requires(Role.CLERK, Role.SUPERVISOR)],
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 404, 415, 422),
    )
    async def record_visit(
        self,
        request: Request[Any, Any, Any],
        applications: NamedDependency[ApplicationService],
        application_id: AppId,
        data: Annotated[
            VisitCreate, BodyKwarg(examples=[Example(value={"purpose": "hand in the original plans"})])
        ],
    ) -> VisitView:
        return await applications.record_visit(current_actor(request), application_id, data.purpose)

    @post(
        "/{application_id:int}/commitment",
        operation_id="signCommitment",
        response_headers=ETAG_HEADERS,
        summary="The applicant signs the commitment (承诺书) for the tolerant or commitment route",
        guards=[requires(Role.APPLICANT)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 422),
    )
    async def sign_commitment(
        self,
        request: Request[Any, Any, Any],
        applications: NamedDependency[ApplicationService],
        application_id: AppId,
    ) -> Response[ApplicationView]:
        return with_etag(await applications.sign_commitment(current_actor(request), application_id))

    @get(
        "/{application_id:int}/timeline",
        operation_id="getTimeline",
        summary="Every event, notice, visit, clock pause and pending deadline, with remaining working days",
        guards=[authenticated],
        responses=problems(400, 401, 403, 404),
    )
    async def timeline(
        self,
        request: Request[Any, Any, Any],
        applications: NamedDependency[ApplicationService],
        application_id: AppId,
    ) -> Timeline:
        return await applications.timeline(current_actor(request), application_id)
