"""The counts behind every indicator, as a few small SQL aggregates.

What never changes once it happened (an acceptance, a decision with its working days, a
conclusion with its visits and materials) is read from the running counts the steps keep
(:mod:`govservice.services.assessment.counts`): a year of a million applications is a few
thousand rows. What can still change is counted live, from narrow indexes over small
populations: ratings (a malicious one may be taken out later), post-checks not done yet,
tolerant supplements, bad-review work orders, violations. The public board reads its figures
from here too, so the board and the assessor API cannot disagree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, func, null, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import (
    ApplicationCountRow,
    ApplicationRow,
    RatingRow,
    ViolationRow,
    WorkflowCaseRow,
    WorkOrderRow,
)
from govservice.services.assessment.counts import ACCEPTED, CONCLUDED, DECIDED, MEASURES, NO_DAYS, count_if
from govservice.services.assessment.periods import Period
from govservice.services.ratings.work_orders import SUBJECT_KIND as WORK_ORDER_SUBJECT

A, N, R, W, V, C = ApplicationRow, ApplicationCountRow, RatingRow, WorkOrderRow, ViolationRow, WorkflowCaseRow
Key = str | None  # the group's unit or matter code; None when not grouped
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class Scope:
    """Which records count: all, one unit's and/or one matter's, optionally grouped by unit or matter."""

    unit: str | None = None
    matter: str | None = None
    group_by: str | None = None  # "unit" | "matter"

    def where(self, query: Q, unit: Any, matter: Any) -> Q:
        """``query`` restricted to the scope's unit and matter (held in the columns ``unit``, ``matter``)."""
        if self.unit:
            query = query.where(unit == self.unit)
        if self.matter:
            query = query.where(matter == self.matter)
        return query


@dataclass(slots=True)
class ApplicationTally:
    # concluded in the period
    concluded: int = 0
    online: int = 0
    zero_visit: int = 0
    at_most_one_visit: int = 0
    visits: int = 0
    materials: int = 0
    rated: int = 0  # ratings counted (a lapsed rating window counts as 3; an upheld appeal not at all)
    satisfied: int = 0
    # decided in the period
    decided: int = 0
    decision_days: int = 0
    days: Counter[int] = field(default_factory=Counter)  # decisions by working days taken
    on_time_promised: int = 0
    on_time_statutory: int = 0
    promised_days: int = 0
    statutory_days: int = 0
    same_day: int = 0
    post_checks_counted: int = 0  # commitment permits whose post-check is done or overdue
    post_checks_on_time: int = 0
    # accepted in the period
    accepted: int = 0
    accepted_commitment_matters: int = 0  # of matters that offer the commitment route
    commitment: int = 0
    tolerant: int = 0
    # tolerant supplement deadline in the period
    supplements_settled: int = 0
    supplements_on_time: int = 0


@dataclass(frozen=True, slots=True)
class WorkOrderTally:
    counted: int = 0  # opened in the period, except those whose appeal was upheld
    rectified: int = 0


@dataclass(frozen=True, slots=True)
class WaiverTally:
    waivers: int = 0
    enterprises: int = 0
    fines_spared_yuan: int = 0
    decided: int = 0  # violation cases decided in the period, with or without a penalty


def _scoped(query: Any, scope: Scope, unit: Any, matter: Any) -> tuple[Any, Any]:
    """The query filtered to the scope, and the expression to group it by (NULL when ungrouped)."""
    group = {"unit": unit, "matter": matter}.get(scope.group_by or "")
    return scope.where(query, unit, matter), (group if group is not None else null())


async def _custom_plans(session: AsyncSession) -> None:
    """On PostgreSQL, plan each statement for its own period: after five runs of a prepared
    statement the server may switch to a generic plan, which for a date range that covers most of a
    table is many times slower than the one it would choose knowing the dates."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def _grouped(
    session: AsyncSession,
    query: Any,
    scope: Scope,
    unit: Any,
    matter: Any,
    *aggregates: Any,
    keys: tuple[Any, ...] = (),
) -> list[Any]:
    """``aggregates`` over the scoped query, per group (``group_key``) and per ``keys``."""
    query, group = _scoped(query, scope, unit, matter)
    query = query.add_columns(group.label("group_key"), *keys, *aggregates)
    grouping = [group, *keys] if scope.group_by else list(keys)
    return list(await session.execute(query.group_by(*grouping) if grouping else query))


async def application_tallies(
    session: AsyncSession,
    period: Period,
    scope: Scope,
    *,
    rated_after: datetime,
    overdue_before: date,
    commitment_matters: Collection[str] = (),
) -> dict[Key, ApplicationTally]:
    """``rated_after``: an unrated application concluded before this instant has passed its rating
    window (it counts as 3). ``overdue_before``: a post-check due before this day and not done is
    overdue."""
    await _custom_plans(session)
    tallies: dict[Key, ApplicationTally] = defaultdict(ApplicationTally)
    window_day = rated_after.astimezone(period.zone).date()  # its conclusions straddle the window's end
    unrated_counted: Counter[Key] = Counter()  # concluded before `rated_after`, less those rated
    offers = N.matter_code.in_(list(commitment_matters))  # never a bare constant: SQLite groups by position
    counts = select().where(period.holds_day(N.day))
    keys = (
        N.milestone,
        N.route,
        N.working_days,
        offers.label("offers"),
        (N.day < window_day).label("window_over"),
    )
    for row in await _grouped(
        session,
        counts,
        scope,
        N.unit,
        N.matter_code,
        *(func.sum(N.__table__.c[m]).label(m) for m in MEASURES),
        keys=keys,
    ):
        t, n = tallies[row.group_key], int(row.n)
        if row.milestone == CONCLUDED:
            t.concluded += n
            t.online += int(row.online)
            t.zero_visit += int(row.zero_visit)
            t.at_most_one_visit += int(row.at_most_one_visit)
            t.visits += int(row.visits)
            t.materials += int(row.materials)
            unrated_counted[row.group_key] += n if row.window_over else 0
        elif row.milestone == DECIDED:
            t.decided += n
            if row.working_days != NO_DAYS and n:
                t.decision_days += row.working_days * n
                t.days[row.working_days] += n
            t.on_time_promised += int(row.on_time_promised)
            t.on_time_statutory += int(row.on_time_statutory)
            t.promised_days += int(row.promised_days)
            t.statutory_days += int(row.statutory_days)
            t.same_day += int(row.same_day)
            t.post_checks_counted += int(row.post_checked)
            t.post_checks_on_time += int(row.post_checked_on_time)
        elif row.milestone == ACCEPTED:
            t.accepted += n
            t.tolerant += int(row.tolerant)
            if row.offers:
                t.accepted_commitment_matters += n
                t.commitment += n if row.route == "commitment" else 0

    if period.start <= window_day <= period.end:  # the window's last day, to the instant
        boundary = select().where(
            period.holds_instant(A.concluded_at, rated_after), A.concluded_at >= period.midnight(window_day)
        )
        for row in await _grouped(session, boundary, scope, A.unit, A.matter_code, func.count().label("n")):
            unrated_counted[row.group_key] += int(row.n)

    ratings = select().where(period.holds_instant(R.concluded_at))
    rating_keys = (
        (R.concluded_at < rated_after).label("window_over"),
        R.excluded,
        (R.stars >= 3).label("good"),
    )
    for row in await _grouped(
        session, ratings, scope, R.unit, R.matter_code, func.count().label("n"), keys=rating_keys
    ):
        t, n = tallies[row.group_key], int(row.n)
        unrated_counted[row.group_key] -= n if row.window_over else 0  # rated after all
        if not row.excluded:
            t.rated += n
            t.satisfied += n if row.good else 0
    for key, n in unrated_counted.items():
        tallies[key].rated += n
        tallies[key].satisfied += n

    overdue = select().where(
        period.holds_day(A.decided_on),
        A.post_check_due_on.is_not(None),
        A.post_checked_on.is_(None),
        A.post_check_due_on < overdue_before,
    )
    for row in await _grouped(session, overdue, scope, A.unit, A.matter_code, func.count().label("n")):
        tallies[row.group_key].post_checks_counted += int(row.n)

    supplements = select().where(A.tolerant_due_on.is_not(None), period.holds_day(A.tolerant_due_on))
    for row in await _grouped(
        session,
        supplements,
        scope,
        A.unit,
        A.matter_code,
        count_if(or_(A.supplemented_on.is_not(None), A.concluded_at.is_not(None))).label("settled"),
        count_if(A.supplemented_on <= A.tolerant_due_on).label("on_time"),
    ):
        tallies[row.group_key].supplements_settled += int(row.settled or 0)
        tallies[row.group_key].supplements_on_time += int(row.on_time or 0)
    if scope.group_by is None:
        tallies[None]  # noqa: B018  (always a total, even of nothing)
    return dict(tallies)


def lower_median(histogram: Counter[int] | dict[int, int]) -> int | None:
    """The smallest value with at least half of the counts at or below it (``percentile_disc(0.5)``)."""
    total = sum(histogram.values())
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if 2 * seen >= total:
            return value
    return None


async def work_order_tallies(
    session: AsyncSession, period: Period, scope: Scope
) -> dict[Key, WorkOrderTally]:
    """Bad-review work orders opened in the period: counted unless the appeal was upheld
    (a malicious review), rectified when they ended rectified."""
    await _custom_plans(session)
    # The outcome through the work orders' own partial index on the cases, never their pages.
    case_ = C.__table__.alias("work_order_case")
    outcome = case_.c.outcome
    query = (
        select()
        .select_from(W)
        .outerjoin(case_, and_(case_.c.id == W.case_id, case_.c.subject_kind == WORK_ORDER_SUBJECT))
        .where(period.holds_instant(W.opened_at))
    )
    matter = select(A.matter_code).where(A.id == W.application_id).scalar_subquery()
    rows = await _grouped(
        session,
        query,
        scope,
        W.unit,
        matter,
        count_if(or_(outcome.is_(None), outcome != "appeal_upheld")).label("counted"),
        count_if(outcome == "rectified").label("rectified"),
    )
    return {row.group_key: WorkOrderTally(int(row.counted or 0), int(row.rectified or 0)) for row in rows}


async def waiver_tallies(session: AsyncSession, period: Period, scope: Scope) -> dict[Key, WaiverTally]:
    """First-offense waivers: violation cases decided in the period with no penalty, beside all the
    violation cases decided in the period. Violations belong to no matter: with a matter filter or
    grouping there is nothing to count."""
    if scope.matter or scope.group_by == "matter":
        return {}
    await _custom_plans(session)
    waived = V.decision == "no_penalty"
    query = select().where(V.decision.is_not(None), period.holds_day(V.decided_on))
    rows = await _grouped(
        session,
        query,
        scope,
        V.department_unit,
        null(),
        func.sum(case((waived, 1), else_=0)).label("waivers"),
        func.count(func.distinct(case((waived, V.uscc)))).label("enterprises"),
        func.sum(case((waived, V.fine_spared_yuan), else_=0)).label("fines"),
        func.count().label("decided"),
    )
    return {
        row.group_key: WaiverTally(
            int(row.waivers or 0), int(row.enterprises), int(row.fines or 0), decided=int(row.decided)
        )
        for row in rows
        if scope.group_by is None or row.decided
    }
