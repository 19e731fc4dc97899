"""Results per unit per round (files reviewed, average score, unqualified, rectified, callback
satisfaction, on-site checks), for staff, for assessors (pseudonymised) and for the public board.
Every figure is recomputed from the stored scores and checks on each read."""

from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import (
    ReviewCheckRow,
    ReviewFileRow,
    ReviewRoundRow,
    ReviewScoreRow,
    WorkflowCaseRow,
)
from govservice.domain.actor import Actor, Role
from govservice.domain.quality_review import DoneCheck, ScoredFile, UnitResult, unit_results
from govservice.services.assessment.pseudonyms import Pseudonyms, load_or_create_secret
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.quality_review.access import UNIT_ROLES, load_round, round_not_found
from govservice.services.quality_review.views import AssessorFileRecord, AssessorResultsView, ResultsView


class ReviewFigures(msgspec.Struct, kw_only=True, rename="camel"):
    """A unit's result in the latest published review round of the board's period."""

    round_id: int
    files_reviewed: int
    average_score: float | None
    unqualified: int
    rectified: int
    callback_satisfaction: float | None
    overall: float | None


async def _rectified(session: AsyncSession, files: list[ReviewFileRow]) -> set[int]:
    ids = [f.rectification_case_id for f in files if f.rectification_case_id is not None]
    if not ids:
        return set()
    done = await session.scalars(
        select(WorkflowCaseRow.id).where(WorkflowCaseRow.id.in_(ids), WorkflowCaseRow.outcome == "rectified")
    )
    return set(done)


async def _files(session: AsyncSession, round_id: int) -> list[ReviewFileRow]:
    rows = await session.scalars(
        select(ReviewFileRow).where(ReviewFileRow.round_id == round_id).order_by(ReviewFileRow.id)
    )
    return list(rows)


async def round_results(session: AsyncSession, row: ReviewRoundRow) -> list[UnitResult]:
    files = await _files(session, row.id)
    rectified = await _rectified(session, files)
    checks = await session.scalars(select(ReviewCheckRow).where(ReviewCheckRow.round_id == row.id))
    return unit_results(
        row.units,
        [ScoredFile(f.unit, f.final_score, f.grade, f.rectification_case_id in rectified) for f in files],
        [DoneCheck(c.unit, c.kind, tuple((c.answers or {}).values()), c.passed) for c in checks],
    )


async def board_figures(
    session: AsyncSession, start: date, end: date, unit: str | None
) -> dict[str, ReviewFigures]:
    """Per unit: the latest published round whose period ends within the board's period."""
    row = await session.scalar(
        select(ReviewRoundRow)
        .where(ReviewRoundRow.published_at.is_not(None), ReviewRoundRow.period_to.between(start, end))
        .order_by(ReviewRoundRow.period_to.desc(), ReviewRoundRow.id.desc())
        .limit(1)
    )
    if row is None:
        return {}
    return {
        r.unit: ReviewFigures(
            round_id=row.id,
            files_reviewed=r.files_reviewed,
            average_score=r.average_score,
            unqualified=r.unqualified,
            rectified=r.rectified,
            callback_satisfaction=r.callback_satisfaction,
            overall=r.overall,
        )
        for r in await round_results(session, row)
        if unit is None or r.unit == unit
    }


class ResultService:
    def __init__(self, ctx: ServiceContext, audit: AuditLog) -> None:
        self._ctx = ctx
        self._audit = audit
        self._secret: bytes | None = None

    def _pseudonyms(self, actor: Actor) -> Pseudonyms:
        if self._secret is None:
            self._secret = load_or_create_secret(self._ctx.settings.var_dir)
        return Pseudonyms(self._secret, actor.sub)

    async def published(self) -> list[ResultsView]:
        """Every published round's per-unit results, newest first (what assessors may list)."""
        async with self._ctx.sessions() as session:
            rows = await session.scalars(
                select(ReviewRoundRow)
                .where(ReviewRoundRow.published_at.is_not(None))
                .order_by(ReviewRoundRow.id.desc())
                .limit(100)
            )
            return [
                ResultsView(
                    round_id=r.id,
                    title=r.title,
                    period_from=r.period_from,
                    period_to=r.period_to,
                    published=True,
                    units=await round_results(session, r),
                )
                for r in rows
            ]

    async def results(self, actor: Actor, round_id: int) -> ResultsView:
        """Admins: every unit, at any time; a unit's staff: their unit, once published."""
        async with self._ctx.sessions() as session:
            row = await load_round(session, round_id)
            units = await round_results(session, row)
            if not actor.has(Role.ADMIN):
                if row.published_at is None or not (actor.has(*UNIT_ROLES) and actor.unit in row.units):
                    raise round_not_found(round_id)
                units = [u for u in units if u.unit == actor.unit]
            return ResultsView(
                round_id=row.id,
                title=row.title,
                period_from=row.period_from,
                period_to=row.period_to,
                published=row.published_at is not None,
                units=units,
            )

    async def for_assessor(self, actor: Actor, round_id: int) -> AssessorResultsView:
        """A published round's results and its files, enterprises pseudonymised, no reviewer named."""
        pseudonym = self._pseudonyms(actor)
        async with self._ctx.transaction() as session:
            row = await load_round(session, round_id)
            if row.published_at is None:
                raise round_not_found(round_id)
            files = await _files(session, row.id)
            rectified = await _rectified(session, files)
            scores: dict[int, list[ReviewScoreRow]] = {f.id: [] for f in files}
            for s in await session.scalars(
                select(ReviewScoreRow)
                .where(ReviewScoreRow.file_id.in_(scores))
                .order_by(ReviewScoreRow.position)
            ):
                scores[s.file_id].append(s)
            records = [
                AssessorFileRecord(
                    file_id=f.id,
                    category=f.category,
                    unit=f.unit,
                    enterprise=pseudonym(f.enterprise_uscc) if f.enterprise_uscc else None,
                    scores=[s.score for s in scores[f.id] if s.score is not None],
                    deducted_items=sorted({d["item"] for s in scores[f.id] for d in s.deductions}),
                    final_score=f.final_score,
                    grade=f.grade,
                    rectified=f.rectification_case_id in rectified,
                )
                for f in files
            ]
            self._audit.add(session, actor, Kind.READ, "review_results", f"review_round:{row.id}")
            return AssessorResultsView(
                round_id=row.id,
                title=row.title,
                period_from=row.period_from,
                period_to=row.period_to,
                published=True,
                units=await round_results(session, row),
                files=records,
            )
