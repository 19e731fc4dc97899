"""A unit's appeal against a file's score: once per file, by its supervisor, decided by the panel
chair (who is not of that unit). Upheld, the chair's revised score replaces the reconciled one
(the earlier score is kept) and the grade follows; rejected, the score stands."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import ReviewFileRow, ReviewRoundRow
from govservice.domain.actor import Actor, Role
from govservice.domain.quality_review import Checklist
from govservice.errors import BadRequest, Conflict, Forbidden, RuleViolation
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.quality_review.access import in_unit, load_file, panel_member
from govservice.services.quality_review.files import FileService
from govservice.services.quality_review.views import FileView


class AppealService:
    def __init__(self, ctx: ServiceContext, audit: AuditLog, files: FileService) -> None:
        self._ctx = ctx
        self._audit = audit
        self._files = files

    async def appeal(self, actor: Actor, file_id: int, reason: str) -> FileView:
        async with self._ctx.transaction() as session:
            row = await load_file(session, actor, file_id)
            if not (in_unit(actor, row.unit) and actor.has(Role.SUPERVISOR)):
                raise Forbidden("the head of the file's unit appeals its score", code="role_required")
            if row.appeal_reason is not None:
                raise Conflict(
                    "the file's score has already been appealed (once per file)", code="already_appealed"
                )
            row.appeal_reason = reason
            row.appealed_by = actor.sub
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "appeal_review_score",
                f"review_file:{row.id}",
                unit=row.unit,
                detail={"reason": reason, "score": row.final_score},
            )
            return await self._files.view(session, actor, row)

    async def decide(self, actor: Actor, file_id: int, decision: str, score: float | None) -> FileView:
        async with self._ctx.transaction() as session:
            member = await panel_member(session, actor)
            row = await load_file(session, actor, file_id)
            if not member.chair:
                raise Forbidden("the panel chair decides appeals", code="chair_required")
            if row.appeal_reason is None:
                raise RuleViolation("the file's score has not been appealed", code="no_appeal")
            if row.appeal_decision is not None:
                raise Conflict("the appeal has already been decided", code="appeal_decided")
            if decision == "upheld":
                if score is None:
                    raise BadRequest(
                        "an upheld appeal gives the revised score",
                        code="validation_failed",
                        errors=[{"field": "score", "message": "required when upheld"}],
                    )
                await self._revise(session, row, score)
            row.appeal_decision = decision
            row.appeal_decided_by = actor.sub
            self._audit.add(
                session,
                actor,
                Kind.DECISION,
                f"appeal_{decision}",
                f"review_file:{row.id}",
                unit=row.unit,
                detail={"score": row.final_score, "before": row.score_before_appeal},
            )
            return await self._files.view(session, actor, row)

    @staticmethod
    async def _revise(session: AsyncSession, row: ReviewFileRow, score: float) -> None:
        round_row = await session.get(ReviewRoundRow, row.round_id)
        assert round_row is not None
        checklist = msgspec.convert(round_row.checklists[row.category], Checklist)
        row.score_before_appeal = row.final_score
        row.final_score = score
        row.grade = checklist.grades.grade(score)
