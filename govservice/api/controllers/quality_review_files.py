"""Quality review: the drawn files (reviewers, scores, appeals, rectification) and the on-site and
callback checks. Reviewers see only the files drawn for them; anything else is 404."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, PathParameter

from govservice.api.controllers.quality_review import STAFF, Id
from govservice.api.etag import ETAG_HEADERS, IfMatch, expected_version, with_etag
from govservice.api.problems import problems
from govservice.api.schemas import Schema
from govservice.api.security import SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.domain.quality_review import Deduction
from govservice.services.quality_review import QualityReview
from govservice.services.quality_review.views import CheckView, FileView, RectificationView

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class DeductionIn(Schema):
    item: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    points: Annotated[int, msgspec.Meta(ge=1, le=100)]
    comment: Text
    pointer: Annotated[str, msgspec.Meta(min_length=3, max_length=64, pattern=r"^[a-z]+:[A-Za-z0-9_-]+$")]


class ScoreSubmit(Schema):
    deductions: Annotated[list[DeductionIn], msgspec.Meta(max_length=100)]


class ReviewerAssign(Schema):
    reviewer_sub: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class AppealSubmit(Schema):
    reason: Text


class AppealDecision(Schema):
    decision: Literal["upheld", "rejected"]
    score: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None  # the revised score, when upheld


class RectificationAction(Schema):
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class CheckRecord(Schema):
    """A callback: ``answers`` (question id -> 1-5) for every question; on site: ``passed``."""

    answers: (
        dict[Annotated[str, msgspec.Meta(max_length=64)], Annotated[int, msgspec.Meta(ge=1, le=5)]] | None
    ) = None
    passed: bool | None = None
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class ReviewFileController(Controller):
    path = "/api/v1/review-files"
    tags = ["quality review"]
    security = SECURED

    @get(
        "/{file_id:int}",
        operation_id="getReviewFile",
        summary="A drawn file: its case's events, the checklist, the scores and deductions",
        guards=[requires(*STAFF)],
        responses=problems(400, 401, 403, 404),
    )
    async def get_file(
        self, request: Request[Any, Any, Any], quality_review: NamedDependency[QualityReview], file_id: Id
    ) -> FileView:
        return await quality_review.files.get(current_actor(request), file_id)

    @post(
        "/{file_id:int}/reviewers",
        operation_id="assignReviewer",
        summary="Put a panel member on the file (pair, or third reviewer after a disagreement)",
        description="Refused (422) for a reviewer of the file's unit (`conflict_own_unit`), one who took "
        "part in the case (`conflict_took_part`), a second of the same kind (`same_kind`).",
        guards=[requires(Role.ADMIN)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 415, 422),
    )
    async def assign_reviewer(
        self,
        request: Request[Any, Any, Any],
        quality_review: NamedDependency[QualityReview],
        file_id: Id,
        data: Annotated[ReviewerAssign, BodyKwarg(examples=[Example(value={"reviewerSub": "lawyer-wang"})])],
    ) -> FileView:
        return await quality_review.files.assign(current_actor(request), file_id, data.reviewer_sub)

    @post(
        "/{file_id:int}/score",
        operation_id="scoreReviewFile",
        summary="Score the file against its checklist: deductions with comment and pointer",
        description="Once per reviewer. A pointer is `event:SEQ` (a step of the case) or `material:ID`. "
        "When the pair is in, scores within the round's threshold are averaged, further apart a third "
        "reviewer is needed (`needsThird`) and put on the file at once when the panel has one eligible; "
        "an unqualified file opens a rectification for its unit.",
        guards=[requires(Role.REVIEWER)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def score(
        self,
        request: Request[Any, Any, Any],
        quality_review: NamedDependency[QualityReview],
        file_id: Id,
        data: Annotated[
            ScoreSubmit,
            BodyKwarg(
                examples=[
                    Example(
                        value={
                            "deductions": [
                                {
                                    "item": "procedure",
                                    "points": 10,
                                    "comment": "未告知陈述申辩权利",
                                    "pointer": "event:3",
                                }
                            ]
                        }
                    )
                ]
            ),
        ],
    ) -> FileView:
        deductions = [
            Deduction(item=d.item, points=d.points, comment=d.comment, pointer=d.pointer)
            for d in data.deductions
        ]
        return await quality_review.files.score(current_actor(request), file_id, deductions)

    @post(
        "/{file_id:int}/appeal",
        operation_id="appealReviewScore",
        summary="The unit's supervisor appeals the file's score (once)",
        guards=[requires(Role.SUPERVISOR)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 415),
    )
    async def appeal(
        self,
        request: Request[Any, Any, Any],
        quality_review: NamedDependency[QualityReview],
        file_id: Id,
        data: Annotated[
            AppealSubmit, BodyKwarg(examples=[Example(value={"reason": "扣分依据的文书已归档, 见第3页"})])
        ],
    ) -> FileView:
        return await quality_review.appeals.appeal(current_actor(request), file_id, data.reason)

    @post(
        "/{file_id:int}/appeal/decision",
        operation_id="decideReviewAppeal",
        summary="The panel chair upholds (with the revised score) or rejects the appeal",
        guards=[requires(Role.REVIEWER)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 415, 422),
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        quality_review: NamedDependency[QualityReview],
        file_id: Id,
        data: Annotated[
            AppealDecision, BodyKwarg(examples=[Example(value={"decision": "upheld", "score": 72})])
        ],
    ) -> FileView:
        return await quality_review.appeals.decide(current_actor(request), file_id, data.decision, data.score)

    @post(
        "/{file_id:int}/rectification/actions/{action:str}",
        operation_id="actOnReviewRectification",
        response_headers=ETAG_HEADERS,
        summary="report_fixed (the unit), accept_fix / return_fix (an admin or a reviewer of another unit)",
        description="The fix is due 15 working days after the file was found unqualified.",
        guards=[requires(Role.ADMIN, Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.LEGAL, Role.REVIEWER)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 412, 415, 422),
    )
    async def rectification(
        self,
        request: Request[Any, Any, Any],
        quality_review: NamedDependency[QualityReview],
        file_id: Id,
        action: Annotated[Literal["report_fixed", "accept_fix", "return_fix"], PathParameter()],
        data: Annotated[
            RectificationAction, BodyKwarg(examples=[Example(value={"comment": "已补齐现场核查记录"})])
        ],
        if_match: IfMatch = None,
    ) -> Response[RectificationView]:
        payload = {k: v for k, v in msgspec.to_builtins(data).items() if v is not None}
        view = await quality_review.rectification.act(
            current_actor(request), file_id, action, payload, expected_version(if_match)
        )
        return with_etag(view)


class ReviewRoundFilesController(Controller):
    path = "/api/v1/review-rounds/{round_id:int}"
    tags = ["quality review"]
    security = SECURED

    @get(
        "/files",
        operation_id="listReviewFiles",
        summary="The round's files: all (admin), drawn for me (reviewer), my unit's scored ones (staff)",
        guards=[requires(*STAFF)],
        responses=problems(400, 401, 403, 404),
    )
    async def files(
        self, request: Request[Any, Any, Any], quality_review: NamedDependency[QualityReview], round_id: Id
    ) -> list[FileView]:
        return await quality_review.files.list(current_actor(request), round_id)

    @get(
        "/checks",
        operation_id="listReviewChecks",
        summary="The round's callbacks and on-site checks (a reviewer: other units' only)",
        guards=[requires(Role.ADMIN, Role.REVIEWER)],
        responses=problems(400, 401, 403, 404),
    )
    async def checks(
        self, request: Request[Any, Any, Any], quality_review: NamedDependency[QualityReview], round_id: Id
    ) -> list[CheckView]:
        return await quality_review.checks.list(current_actor(request), round_id)


class ReviewCheckController(Controller):
    path = "/api/v1/review-checks"
    tags = ["quality review"]
    security = SECURED

    @post(
        "/{check_id:int}",
        operation_id="recordReviewCheck",
        summary="Record a callback (answers 1-5 to every question) or an on-site check (passed)",
        guards=[requires(Role.ADMIN, Role.REVIEWER)],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 415),
    )
    async def record(
        self,
        request: Request[Any, Any, Any],
        quality_review: NamedDependency[QualityReview],
        check_id: Id,
        data: Annotated[
            CheckRecord,
            BodyKwarg(
                examples=[
                    Example(
                        summary="callback",
                        value={"answers": {"courtesy": 5, "clarity": 4, "fairness": 5, "overall": 5}},
                    ),
                    Example(summary="on site", value={"passed": True, "comment": "疏散通道畅通"}),
                ]
            ),
        ],
    ) -> CheckView:
        return await quality_review.checks.record(
            current_actor(request), check_id, answers=data.answers, passed=data.passed, comment=data.comment
        )
