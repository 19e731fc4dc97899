"""Drawn files: the panel's assignment (two reviewers of different kinds, conflicts refused), the
reviewers' scores, reconciliation, and the rectification an unqualified file opens."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import PanelMemberRow, ReviewFileRow, ReviewRoundRow, ReviewScoreRow
from govservice.domain.actor import Actor, Role
from govservice.domain.quality_review import (
    Checklist,
    Deduction,
    FileParties,
    ScoreRefused,
    pick_reviewers,
    reconcile,
    refusal,
    score_of,
)
from govservice.errors import BadRequest, Conflict, NotFound, RuleViolation
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.engine import EngineService
from govservice.services.quality_review.access import (
    UNIT_ROLES,
    candidate,
    file_not_found,
    load_file,
    load_round,
    panel_member,
)
from govservice.services.quality_review.rectification import RectificationService
from govservice.services.quality_review.views import CaseEventLine, FileView, ScoreView

SCORING_STATES = frozenset({"scoring", "scoring_late", "reconciling", "reconciling_late"})


def _pointers_ok(deductions: Sequence[Deduction], seqs: set[int]) -> None:
    for n, d in enumerate(deductions):
        kind, _, value = d.pointer.partition(":")
        if kind == "event" and value.isdigit() and int(value) in seqs:
            continue
        if kind in ("material", "evidence", "document") and value:
            continue
        raise BadRequest(
            f"deduction {n} points at {d.pointer!r}, which is not an event of the case or a document",
            code="validation_failed",
            errors=[
                {"field": f"deductions[{n}].pointer", "message": "event:SEQ of the case, or material:ID"}
            ],
        )


class FileService:
    def __init__(
        self, ctx: ServiceContext, engine: EngineService, audit: AuditLog, rectification: RectificationService
    ) -> None:
        self._ctx = ctx
        self._engine = engine
        self._audit = audit
        self._rectification = rectification

    # -- reading ---------------------------------------------------------------------------------

    async def view(self, session: AsyncSession, actor: Actor, row: ReviewFileRow) -> FileView:
        round_row = await load_round(session, row.round_id)
        scores = list(
            await session.scalars(
                select(ReviewScoreRow)
                .where(ReviewScoreRow.file_id == row.id)
                .order_by(ReviewScoreRow.position)
            )
        )
        events = await self._engine.events(row.case_id, session) if row.case_id is not None else []
        return FileView(
            id=row.id,
            round_id=row.round_id,
            category=row.category,
            unit=row.unit,
            subject=row.subject,
            final_score=row.final_score,
            grade=row.grade,
            needs_third=row.needs_third,
            scores=[
                ScoreView(
                    position=s.position,
                    reviewer_kind=s.reviewer_kind,
                    reviewer_sub=s.reviewer_sub
                    if actor.has(Role.ADMIN) or actor.sub == s.reviewer_sub
                    else None,
                    score=s.score,
                    deductions=msgspec.convert(s.deductions, list[Deduction]),
                    scored_at=s.scored_at,
                )
                for s in scores
            ],
            rectification=await self._rectification.view(session, row),
            appeal=self._rectification.appeal_view(row),
            events=[
                CaseEventLine(
                    seq=e.seq,
                    action=e.action,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    actor_roles=e.actor_roles,
                    at=e.at,
                )
                for e in events
            ],
            checklist=msgspec.convert(round_row.checklists[row.category], Checklist),
        )

    async def get(self, actor: Actor, file_id: int) -> FileView:
        async with self._ctx.transaction() as session:
            row = await load_file(session, actor, file_id)
            self._audit_read(session, actor, row)
            return await self.view(session, actor, row)

    def _audit_read(self, session: AsyncSession, actor: Actor, row: ReviewFileRow) -> None:
        self._audit.add(
            session,
            actor,
            Kind.READ,
            "get_review_file",
            f"review_file:{row.id}",
            enterprise=row.enterprise_uscc,
            unit=row.unit,
        )

    async def list(self, actor: Actor, round_id: int) -> builtins.list[FileView]:
        """Admins: every file; a reviewer: those drawn for them; a unit's staff: their scored files."""
        query = select(ReviewFileRow).where(ReviewFileRow.round_id == round_id)
        if not actor.has(Role.ADMIN):
            if actor.has(Role.REVIEWER):
                mine = select(ReviewScoreRow.file_id).where(ReviewScoreRow.reviewer_sub == actor.sub)
                query = query.where(ReviewFileRow.id.in_(mine), ReviewFileRow.unit != (actor.unit or ""))
            elif actor.has(*UNIT_ROLES) and actor.unit:
                query = query.where(ReviewFileRow.unit == actor.unit, ReviewFileRow.final_score.is_not(None))
            else:
                query = query.where(ReviewFileRow.id.is_(None))
        async with self._ctx.transaction() as session:
            await load_round(session, round_id)
            rows = list(await session.scalars(query.order_by(ReviewFileRow.id)))
            for row in rows:
                self._audit_read(session, actor, row)
            return [await self.view(session, actor, row) for row in rows]

    # -- assignment ------------------------------------------------------------------------------

    async def _parties(self, session: AsyncSession, row: ReviewFileRow) -> FileParties:
        assigned = await session.scalars(
            select(PanelMemberRow)
            .join(ReviewScoreRow, ReviewScoreRow.reviewer_sub == PanelMemberRow.sub)
            .where(ReviewScoreRow.file_id == row.id)
            .order_by(ReviewScoreRow.position)
        )
        return FileParties(row.unit, frozenset(row.participants), tuple(candidate(m) for m in assigned))

    async def _add_reviewer(
        self,
        session: AsyncSession,
        actor: Actor,
        row: ReviewFileRow,
        member: PanelMemberRow,
        position: int,
        reason: str | None = None,
    ) -> None:
        session.add(
            ReviewScoreRow(
                file_id=row.id,
                reviewer_sub=member.sub,
                reviewer_kind=member.kind,
                position=position,
                assigned_at=self._ctx.clock.now(),
                deductions=[],
            )
        )
        self._audit.add(
            session,
            actor,
            Kind.CHANGE,
            "assign_reviewer",
            f"review_file:{row.id}",
            unit=row.unit,
            detail={"reviewer": member.sub, "kind": member.kind, "position": position}
            | ({"reason": reason} if reason else {}),
        )

    async def assign(self, actor: Actor, file_id: int, reviewer_sub: str) -> FileView:
        """Put one panel member on a file: one of its pair, or its third reviewer when the pair
        disagreed. A conflict of interest, a second reviewer of the same kind: 422 with the rule."""
        async with self._ctx.transaction() as session:
            row = await load_file(session, actor, file_id)
            member = await session.get(PanelMemberRow, reviewer_sub)
            if member is None or not member.active:
                raise NotFound(f"{reviewer_sub} is not an active panel member", code="panel_member_not_found")
            parties = await self._parties(session, row)
            third = row.needs_third and len(parties.assigned) == 2
            refused = refusal(candidate(member), parties, third=third)
            if refused is not None:
                raise RuleViolation(refused[1], code=refused[0])
            await self._add_reviewer(session, actor, row, member, len(parties.assigned) + 1)
            await session.flush()
            return await self.view(session, actor, row)

    async def auto_assign(self, actor: Actor, round_id: int) -> builtins.list[FileView]:
        """Complete every file's pair (and the third reviewer of a file whose pair disagreed) from
        the active panel, at random (seeded by the round's seed), the rules applied and the load
        spread; files the panel cannot staff are left as they are."""
        async with self._ctx.transaction() as session:
            round_row = await load_round(session, round_id)
            if round_row.seed is None:
                raise Conflict("the round's files are not drawn yet", code="not_drawn")
            rows = list(
                await session.scalars(
                    select(ReviewFileRow).where(ReviewFileRow.round_id == round_id).order_by(ReviewFileRow.id)
                )
            )
            await self._staff(session, actor, round_row, rows)
            await session.flush()
            return [await self.view(session, actor, row) for row in rows]

    async def _staff(
        self,
        session: AsyncSession,
        actor: Actor,
        round_row: ReviewRoundRow,
        rows: Sequence[ReviewFileRow],
        reason: str | None = None,
    ) -> None:
        """Complete each file's pair (and its third reviewer when the pair disagreed) from the active
        panel, at random seeded by the round, the rules applied and the load spread."""
        assert round_row.seed is not None
        panel = list(await session.scalars(select(PanelMemberRow).where(PanelMemberRow.active.is_(True))))
        by_sub = {m.sub: m for m in panel}
        load = list(
            await session.scalars(
                select(ReviewScoreRow.reviewer_sub)
                .join(ReviewFileRow, ReviewFileRow.id == ReviewScoreRow.file_id)
                .where(ReviewFileRow.round_id == round_row.id)
            )
        )
        for row in rows:
            parties = await self._parties(session, row)
            picked = pick_reviewers(
                round_row.seed,
                row.subject,
                parties,
                [candidate(m) for m in panel],
                load=load,
                third=row.needs_third,
            )
            for n, pick in enumerate(picked, start=len(parties.assigned) + 1):
                await self._add_reviewer(session, actor, row, by_sub[pick.sub], n, reason)
                load.append(pick.sub)

    # -- scoring ---------------------------------------------------------------------------------

    async def score(self, actor: Actor, file_id: int, deductions: Sequence[Deduction]) -> FileView:
        """The reviewer's score (once); when it completes the pair or the third, the file is
        reconciled, graded, and if unqualified a rectification opens for its unit."""
        async with self._ctx.transaction() as session:
            await panel_member(session, actor)
            row = await session.get(ReviewFileRow, file_id)
            mine = await session.scalar(
                select(ReviewScoreRow).where(
                    ReviewScoreRow.file_id == file_id, ReviewScoreRow.reviewer_sub == actor.sub
                )
            )
            if row is None or mine is None or row.unit == actor.unit:
                raise file_not_found(file_id)
            round_row = await load_round(session, row.round_id)
            state = (await self._engine.get_case(round_row.case_id, session)).state
            if state not in SCORING_STATES:
                raise RuleViolation(f"the round is {state}: scores are not taken", code="round_not_scoring")
            if mine.score is not None:
                raise Conflict("this reviewer has already scored the file", code="already_scored")
            checklist = msgspec.convert(round_row.checklists[row.category], Checklist)
            events = await self._engine.events(row.case_id, session) if row.case_id is not None else []
            _pointers_ok(deductions, {e.seq for e in events})
            try:
                mine.score = score_of(checklist, deductions)
            except ScoreRefused as exc:
                raise BadRequest(
                    str(exc), code="validation_failed", errors=[{"field": exc.field, "message": str(exc)}]
                ) from exc
            mine.deductions = msgspec.to_builtins(list(deductions))
            mine.scored_at = self._ctx.clock.now()
            self._audit.add(
                session,
                actor,
                Kind.DECISION,
                "score_review_file",
                f"review_file:{row.id}",
                enterprise=row.enterprise_uscc,
                unit=row.unit,
                detail={"score": mine.score, "deductions": mine.deductions, "position": mine.position},
            )
            await session.flush()
            await self._reconcile(session, actor, row, round_row, checklist)
            return await self.view(session, actor, row)

    async def _reconcile(
        self,
        session: AsyncSession,
        actor: Actor,
        row: ReviewFileRow,
        round_row: ReviewRoundRow,
        checklist: Checklist,
    ) -> None:
        scored = list(
            await session.scalars(
                select(ReviewScoreRow.score)
                .where(ReviewScoreRow.file_id == row.id, ReviewScoreRow.score.is_not(None))
                .order_by(ReviewScoreRow.position)
            )
        )
        outcome = reconcile([s for s in scored if s is not None], round_row.threshold)
        split = outcome.needs_third and not row.needs_third
        row.needs_third = outcome.needs_third
        if split:  # the pair disagreed: a third reviewer, at once
            await self._staff(session, actor, round_row, [row], reason="the pair's scores are too far apart")
        if outcome.final is None or row.final_score is not None:
            return
        row.final_score = outcome.final
        row.grade = checklist.grades.grade(outcome.final)
        self._audit.add(
            session,
            actor,
            Kind.DECISION,
            "reconcile_review_file",
            f"review_file:{row.id}",
            unit=row.unit,
            detail={"scores": scored, "final": row.final_score, "grade": row.grade},
        )
        if row.grade == "unqualified":
            await self._rectification.open(session, actor, row)
