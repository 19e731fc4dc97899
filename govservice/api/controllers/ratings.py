"""好差评: rate a concluded application; work the rectification orders bad reviews open."""

from __future__ import annotations

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
from govservice.services.ratings import RatingService, RatingView, WorkOrderService, WorkOrderView
from govservice.workflow import ActionOption

Id = Annotated[int, PathParameter(ge=1, le=2**53)]
ActionName = Annotated[str, PathParameter(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Stars = Annotated[int, msgspec.Meta(ge=1, le=5)]

_WORK_ORDER_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.APPLICANT, Role.ADMIN)


class EvaluationCreate(Schema):
    """1-5 stars; 1-2 is a bad review and opens a rectification work order for the handling unit."""

    stars: Stars
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class WorkOrderAction(Schema):
    """``record_callback`` needs ``summary`` (what was said); ``rate_fix`` needs ``stars``;
    ``appeal`` needs ``reason``; any action may carry a comment."""

    summary: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None
    stars: Stars | None = None
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class EvaluationController(Controller):
    path = "/api/v1/applications/{application_id:int}/evaluation"
    tags = ["evaluations"]
    security = SECURED

    @post(
        "/",
        operation_id="rateApplication",
        summary="Rate a concluded application (好差评), once, 1-5 stars",
        description="By the applicant of the application's enterprise, within the rating window after "
        "conclusion (`GOVSERVICE_DEFAULT_RATING_DAYS`, default 7 days; unrated, it then counts as 3). "
        "A second rating is 409, a rating before conclusion 422. 1-2 stars open a work order.",
        guards=[requires(Role.APPLICANT)],
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def rate(
        self,
        request: Request[Any, Any, Any],
        ratings: NamedDependency[RatingService],
        application_id: Id,
        data: Annotated[
            EvaluationCreate,
            BodyKwarg(
                examples=[
                    Example(summary="a good rating", value={"stars": 5, "comment": "办理很快"}),
                    Example(summary="a bad review", value={"stars": 1, "comment": "窗口让我跑了三次"}),
                ]
            ),
        ],
    ) -> RatingView:
        return await ratings.rate(current_actor(request), application_id, data.stars, data.comment)

    @get(
        "/",
        operation_id="getEvaluation",
        summary="The application's rating: given, open, defaulted to 3, or not yet due",
        guards=[requires(Role.APPLICANT, Role.CLERK, Role.SUPERVISOR, Role.ADMIN)],
        responses=problems(400, 401, 403, 404),
    )
    async def get_rating(
        self, request: Request[Any, Any, Any], ratings: NamedDependency[RatingService], application_id: Id
    ) -> RatingView:
        return await ratings.get(current_actor(request), application_id)


class WorkOrderController(Controller):
    path = "/api/v1/work-orders"
    tags = ["evaluations"]
    security = SECURED

    @get(
        "/",
        operation_id="listWorkOrders",
        summary="Rectification work orders: the unit's (staff) or the enterprise's (the rater)",
        guards=[requires(*_WORK_ORDER_ROLES)],
        responses=problems(400, 401, 403),
    )
    async def list_orders(
        self,
        request: Request[Any, Any, Any],
        work_orders: NamedDependency[WorkOrderService],
        order_state: Annotated[str | None, QueryParameter(name="state", max_length=64)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Page[WorkOrderView]:
        items, next_cursor = await work_orders.list(
            current_actor(request), state=order_state, limit=limit, cursor=cursor
        )
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/{order_id:int}",
        operation_id="getWorkOrder",
        response_headers=ETAG_HEADERS,
        summary="One work order: rating, callbacks, fix deadline, state",
        guards=[requires(*_WORK_ORDER_ROLES)],
        responses=problems(400, 401, 403, 404),
    )
    async def get_order(
        self, request: Request[Any, Any, Any], work_orders: NamedDependency[WorkOrderService], order_id: Id
    ) -> Response[WorkOrderView]:
        view = await work_orders.get(current_actor(request), order_id)
        return with_etag(view)

    @get(
        "/{order_id:int}/actions",
        operation_id="listWorkOrderActions",
        summary="The work order's actions now, and for each the caller may not take, why",
        description="`record_callback` (the real-name callback) is always open to the unit's staff while "
        "the order is open; it is not listed here.",
        guards=[requires(*_WORK_ORDER_ROLES)],
        responses=problems(400, 401, 403, 404),
    )
    async def order_actions(
        self, request: Request[Any, Any, Any], work_orders: NamedDependency[WorkOrderService], order_id: Id
    ) -> list[ActionOption]:
        return await work_orders.actions(current_actor(request), order_id)

    @post(
        "/{order_id:int}/actions/{action:str}",
        operation_id="takeWorkOrderAction",
        response_headers=ETAG_HEADERS,
        summary="Act on a work order: record_callback, report_fixed, rate_fix, appeal, uphold_appeal, "
        "reject_appeal",
        description="The fix is due 15 working days after the order opened (then it is marked overdue). "
        "`report_fixed` needs a recorded callback. An upheld appeal takes the rating out of the "
        "satisfaction rate.",
        guards=[requires(*_WORK_ORDER_ROLES)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 412, 415, 422),
    )
    async def take_action(
        self,
        request: Request[Any, Any, Any],
        work_orders: NamedDependency[WorkOrderService],
        order_id: Id,
        action: ActionName,
        data: Annotated[
            WorkOrderAction,
            BodyKwarg(
                examples=[
                    Example(
                        summary="record_callback", value={"summary": "已电话回访，申请人反映窗口排队时间长"}
                    ),
                    Example(summary="rate_fix", value={"stars": 4}),
                ]
            ),
        ],
        if_match: IfMatch = None,
    ) -> Response[WorkOrderView]:
        payload = {k: v for k, v in msgspec.to_builtins(data).items() if v is not None}
        view = await work_orders.act(
            current_actor(request), order_id, action, payload, expected_version=expected_version(if_match)
        )
        return with_etag(view)
