"""Enforcement quality review (执法质量考评): the panel, rounds and their draw, results (staff and
assessors). The files, scores, appeals, rectifications and checks: ``quality_review_files``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, PathParameter
from litestar.status_codes import HTTP_201_CREATED

from govservice.api.etag import ETAG_HEADERS, IfMatch, expected_version, with_etag
from govservice.api.problems import problems
from govservice.api.schemas import Schema
from govservice.api.security import SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.domain.quality_review import CATEGORIES
from govservice.services.quality_review import QualityReview, RoundSpec
from govservice.services.quality_review.views import (
    AssessorResultsView,
    DrawView,
    FileView,
    PanelMemberView,
    ResultsView,
    RoundView,
)

Id = Annotated[int, PathParameter(ge=1, le=2**53)]
Sub = Annotated[str, PathParameter(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9._:@-]+$")]
Unit = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Category = Literal["licensing", "inspections", "penalties", "post_checks", "fire_investigations"]
UNIT_STAFF = (Role.ADMIN, Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.LEGAL)
STAFF = (*UNIT_STAFF, Role.REVIEWER)
assert set(Category.__args__) == set(CATEGORIES)  # type: ignore[attr-defined]


class PanelMemberPut(Schema):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    kind: Literal["lawyer", "adviser", "staff"]
    unit: Unit | None = None  # the reviewer's own unit; none for an outside lawyer or adviser
    chair: bool = False
    active: bool = True


class RoundCreate(Schema):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    period_from: date
    period_to: Annotated[date, msgspec.Meta(description="on or after periodFrom (else 400)")]
    units: Annotated[list[Unit], msgspec.Meta(min_length=1, max_length=50)]
    categories: Annotated[list[Category], msgspec.Meta(min_length=1, max_length=5)]
    per_unit: Annotated[int, msgspec.Meta(ge=1, le=50)] = 3
    callbacks_per_unit: Annotated[int, msgspec.Meta(ge=0, le=50)] = 3
    onsite_per_unit: Annotated[int, msgspec.Meta(ge=0, le=20)] = 1
    threshold: Annotated[int, msgspec.Meta(ge=0, le=100)] = 10
    exclude_previous: bool = True  # leave out the files drawn in the last round


class DrawRequest(Schema):
    seed: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None  # random when absent


class PanelController(Controller):
    path = "/api/v1/review-panel"
    tags = ["quality review"]
    security = SECURED
    guards = [requires(Role.ADMIN)]

    @get(
        "/",
        operation_id="listReviewPanel",
        summary="The review panel's members",
        responses=problems(400, 401, 403),
    )
    async def list_panel(self, quality_review: NamedDependency[QualityReview]) -> list[PanelMemberView]:
        return await quality_review.panel.list()

    @put(
        "/{sub:str}",
        operation_id="putReviewPanelMember",
        summary="Add a reviewer (token sub) to the panel or change their membership",
        description="Kind lawyer (公职律师), adviser (法律顾问) or staff (内部骨干); `unit` is their own "
        "unit (they never review its files); the chair decides appeals.",
        responses=problems(400, 401, 403, 404, 413, 415),
    )
    async def put_member(
        self,
        request: Request[Any, Any, Any],
        quality_review: NamedDependency[QualityReview],
        sub: Sub,
        data: Annotated[
            PanelMemberPut,
            BodyKwarg(examples=[Example(value={"name": "王律师", "kind": "lawyer", "chair": True})]),
        ],
    ) -> PanelMemberView:
        return await quality_review.panel.put(
            current_actor(request),
            sub,
            name=data.name,
            kind=data.kind,
            unit=data.unit,
            chair=data.chair,
            active=data.active,
        )


class ReviewRoundController(Controller):
    path = "/api/v1/review-rounds"
    tags = ["quality review"]
    security = SECURED

    @post(
        "/",
        operation_id="openReviewRound",
        response_headers=ETAG_HEADERS,
        summary="Open a review round for a period and scope (pins the checklists in force)",
        guards=[requires(Role.ADMIN)],
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 409, 415, 422),
    )
    async def open_round(
        self,
        request: Request[Any, Any, Any],
        quality_review: NamedDependency[QualityReview],
        data: Annotated[
            RoundCreate,
            BodyKwarg(
                examples=[
                    Example(
                        value={
                            "title": "2026年第一季度执法质量考评",
                            "periodFrom": "2026-01-01",
                            "periodTo": "2026-03-31",
                            "units": ["FR-APPROVAL", "FR-SUPERVISION"],
                            "categories": ["licensing", "inspections", "penalties"],
                            "perUnit": 3,
                        }
                    )
                ]
            ),
        ],
    ) -> Response[RoundView]:
        spec = RoundSpec(**{f: getattr(data, f) for f in RoundSpec.__slots__})
        return with_etag(await quality_review.rounds.open(current_actor(request), spec), HTTP_201_CREATED)

    @get(
        "/",
        operation_id="listReviewRounds",
        summary="Review rounds, newest first",
        guards=[requires(*STAFF)],
        responses=problems(400, 401, 403),
    )
    async def list_rounds(self, quality_review: NamedDependency[QualityReview]) -> list[RoundView]:
        return await quality_review.rounds.list()

    @get(
        "/{round_id:int}",
        operation_id="getReviewRound",
        response_headers=ETAG_HEADERS,
        summary="A round: scope, stage, deadline, seed",
        guards=[requires(*STAFF)],
        responses=problems(400, 401, 403, 404),
    )
    async def get_round(
        self, quality_review: NamedDependency[QualityReview], round_id: Id
    ) -> Response[RoundView]:
        return with_etag(await quality_review.rounds.get(round_id))

    @post(
        "/{round_id:int}/draw",
        operation_id="drawReviewFiles",
        summary="Draw the files, callbacks and on-site checks (seeded; seed and population recorded)",
        description="N files per unit and category from the period's concluded cases, at random with the "
        "given or a random seed; the seed, the population and the result go to the round and the audit "
        "trail. The round moves to scoring (10 working days).",
        guards=[requires(Role.ADMIN)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 412, 415, 422),
    )
    async def draw(
        self,
        request: Request[Any, Any, Any],
        quality_review: NamedDependency[QualityReview],
        round_id: Id,
        data: Annotated[DrawRequest, BodyKwarg(examples=[Example(value={"seed": "2026Q1"})])],
        if_match: IfMatch = None,
    ) -> DrawView:
        return await quality_review.rounds.draw(
            current_actor(request), round_id, data.seed, expected_version(if_match)
        )

    @get(
        "/{round_id:int}/draw",
        operation_id="getReviewDraw",
        summary="The recorded draw, re-run from its seed and population (`reproduced`)",
        guards=[requires(*STAFF)],
        responses=problems(400, 401, 403, 404, 409),
    )
    async def get_draw(self, quality_review: NamedDependency[QualityReview], round_id: Id) -> DrawView:
        return await quality_review.rounds.get_draw(round_id)

    @post(
        "/{round_id:int}/actions/{action:str}",
        operation_id="advanceReviewRound",
        response_headers=ETAG_HEADERS,
        summary="close_scoring (every pair scored) or publish_results (every file reconciled)",
        guards=[requires(Role.ADMIN)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 412, 422),
    )
    async def advance(
        self,
        request: Request[Any, Any, Any],
        quality_review: NamedDependency[QualityReview],
        round_id: Id,
        action: Annotated[Literal["close_scoring", "publish_results"], PathParameter()],
        if_match: IfMatch = None,
    ) -> Response[RoundView]:
        view = await quality_review.rounds.advance(
            current_actor(request), round_id, action, expected_version(if_match)
        )
        return with_etag(view)

    @post(
        "/{round_id:int}/assign",
        operation_id="assignReviewers",
        summary="Complete every file's pair of reviewers (and needed third ones) from the panel, at random",
        description="Seeded by the round. Two reviewers of different kinds per file, a third where they "
        "disagreed; never of the file's unit, never one who took part in the case. Files the panel cannot "
        "staff keep fewer reviewers.",
        guards=[requires(Role.ADMIN)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409),
    )
    async def assign(
        self, request: Request[Any, Any, Any], quality_review: NamedDependency[QualityReview], round_id: Id
    ) -> list[FileView]:
        return await quality_review.files.auto_assign(current_actor(request), round_id)

    @get(
        "/{round_id:int}/results",
        operation_id="getReviewResults",
        summary="Results per unit: files reviewed, average score, unqualified, rectified, callbacks",
        description="Admins at any time; a unit's staff their own unit once the round is published.",
        guards=[requires(*UNIT_STAFF)],
        responses=problems(400, 401, 403, 404),
    )
    async def results(
        self, request: Request[Any, Any, Any], quality_review: NamedDependency[QualityReview], round_id: Id
    ) -> ResultsView:
        return await quality_review.results.results(current_actor(request), round_id)


class AssessorReviewController(Controller):
    path = "/api/v1/assessment/review-rounds"
    tags = ["assessment"]
    security = SECURED
    guards = [requires(Role.ASSESSOR, Role.ADMIN)]

    @get(
        "/",
        operation_id="listAssessmentReviewResults",
        summary="Published quality-review rounds with their results per unit",
        responses=problems(400, 401, 403),
    )
    async def list_published(self, quality_review: NamedDependency[QualityReview]) -> list[ResultsView]:
        return await quality_review.results.published()

    @get(
        "/{round_id:int}",
        operation_id="getAssessmentReviewResults",
        summary="A published round: results per unit and every file's scores, enterprises pseudonymised",
        responses=problems(400, 401, 403, 404),
    )
    async def get_published(
        self, request: Request[Any, Any, Any], quality_review: NamedDependency[QualityReview], round_id: Id
    ) -> AssessorResultsView:
        return await quality_review.results.for_assessor(current_actor(request), round_id)
