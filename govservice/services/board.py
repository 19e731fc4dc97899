"""The public display board (晾晒): per unit, over a period, figures anyone may see.

Every figure is a ratio with its numerator and denominator:

* decisions on time — applications decided in the period whose clock (working days, paused time
  excluded, as the case clock counts it) used no more than the promised limit / the statutory
  limit (with an approved extension, the extended one);
* satisfaction — ratings of 3 stars or more over all ratings, for applications concluded in the
  period; an application whose rating window has passed unrated counts as 3; a rating taken out
  by an upheld appeal (malicious review) counts in neither;
* bad reviews rectified — work orders opened in the period that ended rectified, over all opened
  except those whose appeal was upheld.

Re-check on-time rates and waivers granted come from the enforcement tables; they are not on the
board yet (see the module's callers).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import msgspec
from sqlalchemy import select

from govservice.db.models import ApplicationRow, RatingRow, WorkflowCaseRow, WorkOrderRow
from govservice.domain.calendar import CaseClock
from govservice.errors import BadRequest
from govservice.services.context import ServiceContext
from govservice.services.engine import EngineService

MAX_PERIOD_DAYS = 366 * 3


class Ratio(msgspec.Struct, kw_only=True, rename="camel"):
    numerator: int
    denominator: int
    rate: float | None  # numerator / denominator, None when nothing was counted


def ratio(numerator: int, denominator: int) -> Ratio:
    rate = round(numerator / denominator, 4) if denominator else None
    return Ratio(numerator=numerator, denominator=denominator, rate=rate)


class UnitFigures(msgspec.Struct, kw_only=True, rename="camel"):
    unit: str
    decisions_on_time_promised: Ratio
    decisions_on_time_statutory: Ratio
    satisfaction: Ratio
    bad_reviews_rectified: Ratio


class Board(msgspec.Struct, kw_only=True, rename="camel"):
    period_from: date
    period_to: date
    units: list[UnitFigures]
    not_shown: list[str]  # figures the board does not carry yet, and why


NOT_SHOWN = [
    "re-check on-time rate: the enforcement records are not on this board yet",
    "waivers granted: the enforcement records are not on this board yet",
]


class BoardService:
    def __init__(self, ctx: ServiceContext, engine: EngineService) -> None:
        self._ctx = ctx
        self._engine = engine

    def _bounds(self, start: date, end: date) -> tuple[datetime, datetime]:
        zone = self._ctx.settings.zone
        return (
            datetime.combine(start, time(), zone).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC),
        )

    async def board(self, *, unit: str | None, start: date | None, end: date | None) -> Board:
        today = self._engine.today()
        end = end or today
        start = start or date(end.year, 1, 1)
        if start.year < 2000 or end.year > 2100:
            raise BadRequest(
                "the period must lie between the years 2000 and 2100", code="invalid_period",
                errors=[{"field": "from" if start.year < 2000 else "to", "message": "out of range"}],
            )
        if start > end or (end - start).days > MAX_PERIOD_DAYS:
            raise BadRequest(
                "the period runs from `from` to `to`, at most three years",
                code="invalid_period",
                errors=[{"field": "from", "message": "after `to` or more than three years before"}],
            )
        lo, hi = self._bounds(start, end)
        window = timedelta(days=self._ctx.settings.rating_window_days)
        now = self._ctx.clock.now()
        promised: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        statutory: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        satisfied: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        rectified: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        units: set[str] = set()

        decided = (
            select(
                ApplicationRow.unit,
                ApplicationRow.promised_limit,
                ApplicationRow.decided_on,
                WorkflowCaseRow.clock,
            )
            .join(WorkflowCaseRow, WorkflowCaseRow.id == ApplicationRow.case_id)
            .where(ApplicationRow.decided_on >= start, ApplicationRow.decided_on <= end)
        )
        concluded = (
            select(ApplicationRow.unit, ApplicationRow.concluded_at, RatingRow.stars, RatingRow.excluded)
            .outerjoin(RatingRow, RatingRow.application_id == ApplicationRow.id)
            .where(ApplicationRow.concluded_at >= lo, ApplicationRow.concluded_at < hi)
        )
        orders = (
            select(WorkOrderRow.unit, WorkflowCaseRow.outcome)
            .join(WorkflowCaseRow, WorkflowCaseRow.id == WorkOrderRow.case_id)
            .where(WorkOrderRow.opened_at >= lo, WorkOrderRow.opened_at < hi)
        )
        if unit:
            decided = decided.where(ApplicationRow.unit == unit)
            concluded = concluded.where(ApplicationRow.unit == unit)
            orders = orders.where(WorkOrderRow.unit == unit)
        calendar = self._engine.calendar
        async with self._ctx.sessions() as session:
            for row_unit, promised_limit, decided_on, clock_json in await session.execute(decided):
                units.add(row_unit)
                clock = msgspec.convert(clock_json, CaseClock)
                elapsed = clock.elapsed(calendar, decided_on)
                promised[row_unit][1] += 1
                statutory[row_unit][1] += 1
                promised[row_unit][0] += elapsed <= promised_limit
                statutory[row_unit][0] += elapsed <= clock.limit
            for row_unit, concluded_at, stars, excluded in await session.execute(concluded):
                units.add(row_unit)
                if excluded:
                    continue
                if stars is None:
                    if concluded_at + window >= now:
                        continue  # the window is still open: not rated yet
                    stars = 3
                satisfied[row_unit][1] += 1
                satisfied[row_unit][0] += stars >= 3
            for row_unit, outcome in await session.execute(orders):
                units.add(row_unit)
                if outcome == "appeal_upheld":
                    continue
                rectified[row_unit][1] += 1
                rectified[row_unit][0] += outcome == "rectified"
        return Board(
            period_from=start,
            period_to=end,
            not_shown=list(NOT_SHOWN),
            units=[
                UnitFigures(
                    unit=u,
                    decisions_on_time_promised=ratio(*promised[u]),
                    decisions_on_time_statutory=ratio(*statutory[u]),
                    satisfaction=ratio(*satisfied[u]),
                    bad_reviews_rectified=ratio(*rectified[u]),
                )
                for u in sorted(units)
            ],
        )
