"""The 24-hour response line: requests an enterprise raised, for its adviser and the unit."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from govservice.api.controllers.key_enterprise_schemas import (
    SEEING,
    Cursor,
    Id,
    Limit,
    ResponseIn,
)
from govservice.api.etag import ETAG_HEADERS, IfMatch, expected_version, with_etag
from govservice.api.problems import problems
from govservice.api.schemas import Page
from govservice.api.security import SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.services.key_enterprises import (
    RequestService,
)
from govservice.services.key_enterprises.requests import RequestView


class EnterpriseRequestController(Controller):
    path = "/api/v1/enterprise-requests"
    tags = ["key enterprises"]
    security = SECURED

    @get(
        "/",
        operation_id="listEnterpriseRequests",
        summary="Requests: the adviser's own, the supervisor's unit (escalations), or the enterprise's",
        guards=[requires(*SEEING)],
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
        response_headers=ETAG_HEADERS,
        summary="One request with its response clock",
        guards=[requires(*SEEING)],
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
