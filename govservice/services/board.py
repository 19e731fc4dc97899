"""The public display board (晾晒): per unit, over a period, figures anyone may see.

Every figure is a ratio with its numerator and denominator:

* decisions on time — applications decided in the period whose clock (working days, paused time
  excluded, as the case clock counts it, stored with the decision) used no more than the promised
  limit / the statutory limit (with an approved extension, the extended one);
* satisfaction — ratings of 3 stars or more over all ratings, for applications concluded in the
  period; an application whose rating window has passed unrated counts as 3; a rating taken out
  by an upheld appeal (malicious review) counts in neither;
* bad reviews rectified — work orders opened in the period that ended rectified, over all opened
  except those whose appeal was upheld;
* waivers granted — violation cases decided in the period with no penalty (first-offense waivers,
  首违不罚), over all violation cases the unit decided in the period; with the fines they spared.

* quality review — the unit's result in the latest enforcement quality review round published
  for the period (files reviewed, average score, unqualified, rectified, callback satisfaction),
  from :mod:`govservice.services.quality_review`.

The re-check on-time rate is not on the board yet. The counts are the assessor API's
(:mod:`govservice.services.assessment.tallies`): the board shows some of its indicators, per unit.
"""

from __future__ import annotations

from datetime import date, timedelta

import msgspec

from govservice.services.assessment.periods import Ratio, ratio, resolve_period
from govservice.services.assessment.tallies import (
    ApplicationTally,
    Scope,
    WaiverTally,
    WorkOrderTally,
    application_tallies,
    waiver_tallies,
    work_order_tallies,
)
from govservice.services.context import ServiceContext
from govservice.services.engine import EngineService
from govservice.services.quality_review import ReviewFigures, board_figures


class UnitFigures(msgspec.Struct, kw_only=True, rename="camel"):
    unit: str
    decisions_on_time_promised: Ratio
    decisions_on_time_statutory: Ratio
    satisfaction: Ratio
    bad_reviews_rectified: Ratio
    waivers_granted: Ratio  # first-offense waivers over violation cases decided
    fines_spared_yuan: int  # what those waivers spared, by the discretion table's fine
    # the unit's result in the latest enforcement quality review (执法质量考评) published for the period
    quality_review: ReviewFigures | None = None


class Board(msgspec.Struct, kw_only=True, rename="camel"):
    period_from: date
    period_to: date
    units: list[UnitFigures]
    not_shown: list[str]  # figures the board does not carry yet, and why


NOT_SHOWN = ["re-check on-time rate: the enforcement records' re-check dates are not on this board yet"]


class BoardService:
    def __init__(self, ctx: ServiceContext, engine: EngineService) -> None:
        self._ctx = ctx
        self._engine = engine

    async def board(self, *, unit: str | None, start: date | None, end: date | None) -> Board:
        today = self._engine.today()
        period = resolve_period(start, end, today=today, zone=self._ctx.settings.zone)
        scope = Scope(unit=unit, group_by="unit")
        rated_after = self._ctx.clock.now() - timedelta(days=self._ctx.settings.rating_window_days)
        async with self._ctx.sessions() as session:
            apps = await application_tallies(
                session, period, scope, rated_after=rated_after, overdue_before=today
            )
            orders = await work_order_tallies(session, period, scope)
            reviews = await board_figures(session, period.start, period.end, unit)
            waivers = await waiver_tallies(session, period, scope)
        units = {u for u, t in apps.items() if u and (t.decided or t.concluded)} | {u for u in orders if u}
        units |= set(reviews) | {u for u in waivers if u}
        figures = []
        for u in sorted(units):
            a, o = apps.get(u, ApplicationTally()), orders.get(u, WorkOrderTally())
            w = waivers.get(u, WaiverTally())
            figures.append(
                UnitFigures(
                    unit=u,
                    decisions_on_time_promised=ratio(a.on_time_promised, a.decided),
                    decisions_on_time_statutory=ratio(a.on_time_statutory, a.decided),
                    satisfaction=ratio(a.satisfied, a.rated),
                    bad_reviews_rectified=ratio(o.rectified, o.counted),
                    waivers_granted=ratio(w.waivers, w.decided),
                    fines_spared_yuan=w.fines_spared_yuan,
                    quality_review=reviews.get(u),
                )
            )
        return Board(period_from=period.start, period_to=period.end, not_shown=list(NOT_SHOWN), units=figures)
