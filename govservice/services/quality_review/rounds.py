"""Rounds: open one for a period and scope, draw its files (seeded, recorded, audited), close the
scoring and publish the results — each a step of the round's ``review_round`` case."""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import ReviewCheckRow, ReviewFileRow, ReviewRoundRow, ReviewScoreRow
from govservice.domain.actor import Actor
from govservice.domain.quality_review import CallbackQuestions, Checklist, Draw, draw_files, draw_sample
from govservice.errors import BadRequest, Conflict
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.engine import CaseView, EngineExtension, EngineService
from govservice.services.quality_review.access import load_round
from govservice.services.quality_review.population import enterprises, file_facts, population
from govservice.services.quality_review.views import DrawView, RoundView
from govservice.workflow import CaseFacts

PROCESS = "review_round"
SUBJECT_KIND = "review_round"
REVIEW_ROUNDS = EngineExtension("quality_review")  # the facts of the review_round process
CALLBACK = "callback"  # the key of the pinned callback questions among the round's checklists


@dataclass(frozen=True, slots=True)
class RoundSpec:
    title: str
    period_from: date
    period_to: date
    units: Sequence[str]
    categories: Sequence[str]
    per_unit: int
    callbacks_per_unit: int
    onsite_per_unit: int
    threshold: int
    exclude_previous: bool


@REVIEW_ROUNDS.facts_builder(SUBJECT_KIND)
async def round_facts(session: AsyncSession, case: CaseView) -> CaseFacts:
    """``files_scored``: every file has its pair's two scores; ``files_reconciled``: every file has
    its reconciled score (a third reviewer's where the pair disagreed)."""
    round_id = await session.scalar(select(ReviewRoundRow.id).where(ReviewRoundRow.case_id == case.id))
    files = select(ReviewFileRow.id).where(ReviewFileRow.round_id == round_id)
    pair_scored = (
        select(ReviewScoreRow.file_id)
        .where(ReviewScoreRow.position <= 2, ReviewScoreRow.score.is_not(None))
        .group_by(ReviewScoreRow.file_id)
        .having(func.count() == 2)
    )
    unscored = await session.scalar(
        select(func.count()).select_from(files.where(ReviewFileRow.id.not_in(pair_scored)).subquery())
    )
    open_files = await session.scalar(
        select(func.count()).select_from(files.where(ReviewFileRow.final_score.is_(None)).subquery())
    )
    flags = set()
    if not unscored:
        flags.add("files_scored")
    if not open_files:
        flags.add("files_reconciled")
    return CaseFacts(flags=frozenset(flags))


class RoundService:
    def __init__(
        self,
        ctx: ServiceContext,
        engine: EngineService,
        audit: AuditLog,
        checklists: dict[str, Checklist],
        callback: CallbackQuestions | None,
    ) -> None:
        self._ctx = ctx
        self._engine = engine
        self._audit = audit
        self._checklists = checklists
        self._callback = callback

    async def view(self, session: AsyncSession, row: ReviewRoundRow) -> RoundView:
        case = await self._engine.get_case(row.case_id, session)
        files = await session.scalar(select(func.count()).where(ReviewFileRow.round_id == row.id))
        pending = [t for t in await self._engine.timers(row.case_id, session) if t.status == "pending"]
        return RoundView(
            id=row.id,
            version=case.version,
            title=row.title,
            state=case.state,
            outcome=case.outcome,
            due_on=min((t.due_on for t in pending if t.due_on), default=None),
            period_from=row.period_from,
            period_to=row.period_to,
            units=list(row.units),
            categories=list(row.categories),
            per_unit=row.per_unit,
            callbacks_per_unit=row.callbacks_per_unit,
            onsite_per_unit=row.onsite_per_unit,
            threshold=row.threshold,
            exclude_previous=row.exclude_previous,
            checklists={k: f"{v['id']} v{v['version']}" for k, v in row.checklists.items()},
            seed=row.seed,
            drawn_at=row.drawn_at,
            published_at=row.published_at,
            files=files or 0,
        )

    async def open(self, actor: Actor, spec: RoundSpec) -> RoundView:
        missing = [c for c in spec.categories if c not in self._checklists]
        if missing:
            raise BadRequest(
                f"no checklist for {', '.join(missing)}",
                code="validation_failed",
                errors=[
                    {"field": "categories", "message": f"no checklist in workflows/checklists for {missing}"}
                ],
            )
        if spec.period_from > spec.period_to:
            raise BadRequest(
                "the period ends before it starts",
                code="validation_failed",
                errors=[{"field": "periodTo", "message": "before periodFrom"}],
            )
        pinned = {c: msgspec.to_builtins(self._checklists[c]) for c in spec.categories}
        if self._callback is not None:
            pinned[CALLBACK] = msgspec.to_builtins(self._callback)
        async with self._ctx.transaction() as session:
            case = await self._engine.start_case(
                PROCESS, session=session, subject_kind=SUBJECT_KIND, actor=actor
            )
            row = ReviewRoundRow(
                case_id=case.id,
                title=spec.title,
                period_from=spec.period_from,
                period_to=spec.period_to,
                units=sorted(set(spec.units)),
                categories=sorted(set(spec.categories)),
                per_unit=spec.per_unit,
                callbacks_per_unit=spec.callbacks_per_unit,
                onsite_per_unit=spec.onsite_per_unit,
                threshold=spec.threshold,
                exclude_previous=spec.exclude_previous,
                checklists=pinned,
                created_by=actor.sub,
                created_at=self._ctx.clock.now(),
            )
            session.add(row)
            await session.flush()
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "open_review_round",
                f"review_round:{row.id}",
                detail={
                    "periodFrom": str(spec.period_from),
                    "periodTo": str(spec.period_to),
                    "units": row.units,
                    "categories": row.categories,
                    "checklists": {k: v["version"] for k, v in pinned.items()},
                },
            )
            return await self.view(session, row)

    async def get(self, round_id: int) -> RoundView:
        async with self._ctx.sessions() as session:
            return await self.view(session, await load_round(session, round_id))

    async def list(self) -> list[RoundView]:
        async with self._ctx.sessions() as session:
            rows = await session.scalars(select(ReviewRoundRow).order_by(ReviewRoundRow.id.desc()).limit(200))
            return [await self.view(session, row) for row in rows]

    async def _previously_drawn(self, session: AsyncSession, row: ReviewRoundRow) -> builtins.list[str]:
        """The files of the last round drawn before this one."""
        last = await session.scalar(
            select(ReviewRoundRow.id)
            .where(ReviewRoundRow.id < row.id, ReviewRoundRow.drawn_at.is_not(None))
            .order_by(ReviewRoundRow.id.desc())
            .limit(1)
        )
        if last is None:
            return []
        return list(
            await session.scalars(select(ReviewFileRow.subject).where(ReviewFileRow.round_id == last))
        )

    async def draw(
        self, actor: Actor, round_id: int, seed: str | None, expected_version: int | None
    ) -> DrawView:
        """Draw the files (and the callback and on-site samples) and record seed and population in
        the round and in the audit trail, in the step's transaction."""
        async with self._ctx.transaction() as session:
            row = await load_round(session, round_id)
            if row.drawn_at is not None:
                raise Conflict("the round's files are already drawn", code="already_drawn")
            seed = seed or secrets.token_hex(8)
            pool = await population(session, row.categories, row.units, row.period_from, row.period_to)
            exclude = await self._previously_drawn(session, row) if row.exclude_previous else []
            result = draw_files(seed, pool, row.per_unit, exclude)
            await self._engine.fire(
                row.case_id,
                "draw",
                actor,
                session=session,
                expected_version=expected_version,
                payload={"seed": seed},
            )
            approved: dict[str, list[str]] = {u: [] for u in row.units}
            for category, by_unit in result.drawn.items():
                for unit, refs in by_unit.items():
                    for ref in refs:
                        facts = await file_facts(session, ref)
                        session.add(
                            ReviewFileRow(
                                round_id=row.id,
                                category=category,
                                unit=unit,
                                subject=ref,
                                case_id=facts.case_id,
                                enterprise_uscc=facts.enterprise,
                                participants=facts.participants,
                            )
                        )
                        if category == "licensing" and facts.approved:
                            approved[unit].append(ref)
            callbacks: dict[str, list[str]] = {}
            for unit in row.units:
                refs = [r for by_unit in result.population.values() for r in by_unit.get(unit, [])]
                callbacks[unit] = draw_sample(
                    seed, "callback", unit, await enterprises(session, refs), row.callbacks_per_unit
                )
                for uscc in callbacks[unit]:
                    session.add(
                        ReviewCheckRow(
                            round_id=row.id,
                            kind="callback",
                            unit=unit,
                            subject=f"enterprise:{uscc}",
                            enterprise_uscc=uscc,
                        )
                    )
                for ref in draw_sample(seed, "onsite", unit, approved[unit], row.onsite_per_unit):
                    facts = await file_facts(session, ref)
                    session.add(
                        ReviewCheckRow(
                            round_id=row.id,
                            kind="onsite",
                            unit=unit,
                            subject=ref,
                            enterprise_uscc=facts.enterprise,
                        )
                    )
            row.seed = seed
            row.draw = msgspec.to_builtins(result)
            row.drawn_at = self._ctx.clock.now()
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "draw_review_files",
                f"review_round:{row.id}",
                detail={**row.draw, "callbacks": callbacks},
            )
            return _draw_view(result)

    async def get_draw(self, round_id: int) -> DrawView:
        async with self._ctx.sessions() as session:
            row = await load_round(session, round_id)
            if row.draw is None:
                raise Conflict("the round's files are not drawn yet", code="not_drawn")
            return _draw_view(msgspec.convert(row.draw, Draw))

    async def advance(
        self, actor: Actor, round_id: int, action: str, expected_version: int | None
    ) -> RoundView:
        """``close_scoring`` or ``publish_results`` (the round case's guards say when)."""
        async with self._ctx.transaction() as session:
            row = await load_round(session, round_id)
            await self._engine.fire(
                row.case_id, action, actor, session=session, expected_version=expected_version
            )
            if action == "publish_results":
                row.published_at = self._ctx.clock.now()
            self._audit.add(
                session,
                actor,
                Kind.DECISION if action == "publish_results" else Kind.CHANGE,
                action,
                f"review_round:{row.id}",
            )
            return await self.view(session, row)


def _draw_view(recorded: Draw) -> DrawView:
    again = draw_files(recorded.seed, recorded.population, recorded.per_unit)
    return DrawView(
        seed=recorded.seed,
        per_unit=recorded.per_unit,
        population=recorded.population,
        excluded=recorded.excluded,
        drawn=recorded.drawn,
        reproduced=again.drawn == recorded.drawn,
    )
