"""On-site checks of drawn approved venues and telephone callbacks to drawn enterprises: tasks made
by the draw, done by a panel member of another unit (or an admin), once each."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import ReviewCheckRow
from govservice.domain.actor import Actor, Role
from govservice.errors import BadRequest, Conflict, NotFound
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.quality_review.access import load_round, panel_member
from govservice.services.quality_review.rounds import CALLBACK
from govservice.services.quality_review.views import CheckView


def _view(row: ReviewCheckRow) -> CheckView:
    return CheckView(
        id=row.id,
        round_id=row.round_id,
        kind=row.kind,
        unit=row.unit,
        subject=row.subject,
        enterprise=row.enterprise_uscc,
        answers=row.answers,
        passed=row.passed,
        comment=row.comment,
        done_at=row.done_at,
    )


class CheckService:
    def __init__(self, ctx: ServiceContext, audit: AuditLog) -> None:
        self._ctx = ctx
        self._audit = audit

    async def _visible(self, session: AsyncSession, actor: Actor) -> str | None:
        """The unit whose checks the caller may not see ("" for none: admins)."""
        if actor.has(Role.ADMIN):
            return ""
        member = await panel_member(session, actor)
        return member.unit or ""

    async def list(self, actor: Actor, round_id: int) -> list[CheckView]:
        async with self._ctx.sessions() as session:
            await load_round(session, round_id)
            own = await self._visible(session, actor)
            rows = await session.scalars(
                select(ReviewCheckRow)
                .where(ReviewCheckRow.round_id == round_id, ReviewCheckRow.unit != own)
                .order_by(ReviewCheckRow.id)
            )
            return [_view(r) for r in rows]

    async def record(
        self,
        actor: Actor,
        check_id: int,
        *,
        answers: Mapping[str, int] | None,
        passed: bool | None,
        comment: str | None,
    ) -> CheckView:
        async with self._ctx.transaction() as session:
            own = await self._visible(session, actor)
            row = await session.get(ReviewCheckRow, check_id)
            if row is None or row.unit == own:
                raise NotFound(f"check {check_id} does not exist", code="review_check_not_found")
            if row.done_at is not None:
                raise Conflict("this check has been recorded already", code="check_done")
            if row.kind == "callback":
                round_row = await load_round(session, row.round_id)
                asked = [q["id"] for q in round_row.checklists.get(CALLBACK, {}).get("questions", [])]
                if answers is None or sorted(answers) != sorted(asked):
                    raise BadRequest(
                        "a callback answers every question",
                        code="validation_failed",
                        errors=[{"field": "answers", "message": f"answer each of {asked}, 1-5"}],
                    )
                row.answers = dict(answers)
            else:
                if passed is None:
                    raise BadRequest(
                        "an on-site check says whether the venue passed",
                        code="validation_failed",
                        errors=[{"field": "passed", "message": "required for an on-site check"}],
                    )
                row.passed = passed
            row.comment = comment
            row.done_by = actor.sub
            row.done_at = self._ctx.clock.now()
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                f"record_{row.kind}_check",
                f"review_check:{row.id}",
                enterprise=row.enterprise_uscc,
                unit=row.unit,
                detail={"answers": row.answers, "passed": row.passed},
            )
            return _view(row)
