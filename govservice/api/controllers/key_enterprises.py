"""The key-enterprise service package ("五个一"): the package, the registry, the 24-hour response
line, check-ups, plan and training records, and inspection plans under the annual cap."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from govservice.api.controllers.key_enterprise_schemas import (
    ADVISER_EXAMPLE,
    MANAGERS,
    SEEING,
    SERVING,
    Cursor,
    EnrolmentChangeIn,
    EnrolmentIn,
    Limit,
    RequestIn,
    Uscc,
)
from govservice.api.etag import ETAG_HEADERS, IfMatch, expected_version, with_etag
from govservice.api.problems import problems
from govservice.api.schemas import Page
from govservice.api.security import SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.domain.packages import ServicePackage
from govservice.services.key_enterprises import (
    InspectionPlans,
    KeyEnterpriseRegistry,
    RequestService,
)
from govservice.services.key_enterprises.registry import (
    Adviser,
    Enrolment,
    EnrolmentChange,
    KeyEnterpriseView,
)
from govservice.services.key_enterprises.requests import RequestView
from govservice.services.key_enterprises.restraint import PlanView


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
        guards=[requires(*SERVING)],
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
        response_headers=ETAG_HEADERS,
        security=SECURED,
        status_code=HTTP_201_CREATED,
        summary="Enrol an enterprise in the package, with its industries, period and named adviser",
        description="A USCC whose check character is wrong is a 422 naming the field `uscc`; an industry "
        "not in the package's list is a 422; an enterprise already enrolled is a 409.",
        guards=[requires(*MANAGERS)],
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
                            "uscc": "91510100MA6123456W",
                            "name": "某锂电科技有限公司",
                            "industries": ["lithium_battery"],
                            "enrolledFrom": "2026-01-01",
                            "enrolledUntil": "2026-12-31",
                            "adviser": ADVISER_EXAMPLE,
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
        response_headers=ETAG_HEADERS,
        security=SECURED,
        summary="One entry: industries, enrolment period, adviser (the enterprise sees its own)",
        guards=[requires(*SEEING)],
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
        response_headers=ETAG_HEADERS,
        security=SECURED,
        summary="Change an entry: industries, end of enrolment, adviser (If-Match: the ETag)",
        guards=[requires(*MANAGERS)],
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
        guards=[requires(*SEEING)],
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
