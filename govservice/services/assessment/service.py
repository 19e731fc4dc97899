"""The assessor's use cases: indicators, pseudonymised records, event logs. Read-only.

Reads of pseudonymised records and event logs are audited, one entry per request (the filters
and how many records went out); the indicators are aggregates and are not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.domain.actor import Actor
from govservice.domain.catalogue import MatterGuide
from govservice.services.assessment import event_log
from govservice.services.assessment.indicators import (
    Indicator,
    Inputs,
    changed_in,
    indicators,
    offers_commitment,
)
from govservice.services.assessment.periods import Period, resolve_period
from govservice.services.assessment.pseudonyms import Pseudonyms, load_or_create_secret
from govservice.services.assessment.records import (
    ApplicationRecord,
    ViolationRecord,
    application_query,
    application_record,
    violation_query,
    violation_record,
)
from govservice.services.assessment.tallies import (
    ApplicationTally,
    Key,
    Scope,
    WaiverTally,
    WorkOrderTally,
    application_tallies,
    waiver_tallies,
    work_order_tallies,
)
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.catalogue import CatalogueService
from govservice.services.context import ServiceContext
from govservice.services.cursors import decode_id_cursor, encode_id_cursor
from govservice.services.engine import EngineService

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Filters:
    """What every assessment request selects: a period (local dates, defaults filled in later) and
    optionally one unit and one matter."""

    start: date | None = None
    end: date | None = None
    unit: str | None = None
    matter: str | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.unit, self.matter)


class IndicatorGroup(msgspec.Struct, kw_only=True, rename="camel"):
    key: str | None  # the unit or matter code (None: violations recorded without a unit)
    indicators: list[Indicator]


class IndicatorSet(msgspec.Struct, kw_only=True, rename="camel"):
    period_from: date
    period_to: date
    as_of: datetime  # rating windows and post-check deadlines are judged at this instant
    unit: str | None
    matter: str | None
    group_by: str | None
    indicators: list[Indicator]  # over everything the filters select
    groups: list[IndicatorGroup]  # per unit or matter with groupBy, else empty


class AssessmentService:
    def __init__(
        self,
        ctx: ServiceContext,
        engine: EngineService,
        catalogue: CatalogueService,
        audit: AuditLog | None = None,
    ) -> None:
        self._ctx = ctx
        self._engine = engine
        self._catalogue = catalogue
        self._audit = audit
        self._secret: bytes | None = None

    def _pseudonyms(self, actor: Actor) -> Pseudonyms:
        if self._secret is None:
            self._secret = load_or_create_secret(self._ctx.settings.var_dir)
        return Pseudonyms(self._secret, actor.sub)

    def period(self, start: date | None, end: date | None, **limits: Any) -> Period:
        return resolve_period(start, end, today=self._engine.today(), zone=self._ctx.settings.zone, **limits)

    # -- indicators ---------------------------------------------------------------------------

    async def indicators(self, filters: Filters, *, group_by: str | None) -> IndicatorSet:
        period, unit, matter = self.period(filters.start, filters.end), filters.unit, filters.matter
        now = self._ctx.clock.now()
        matters = [m.guide for m in await self._catalogue.current()]
        in_scope = [g for g in matters if unit in (None, g.unit) and matter in (None, g.code)]
        total = await self._inputs(period, filters.scope, now, matters, in_scope)
        groups: list[IndicatorGroup] = []
        if group_by:
            per_group = await self._inputs(period, Scope(unit, matter, group_by), now, matters, in_scope)
            groups = [IndicatorGroup(key=k, indicators=indicators(i)) for k, i in per_group.items()]
        return IndicatorSet(
            period_from=period.start,
            period_to=period.end,
            as_of=now,
            unit=unit,
            matter=matter,
            group_by=group_by,
            indicators=indicators(total[None]),
            groups=groups,
        )

    async def _inputs(
        self,
        period: Period,
        scope: Scope,
        now: datetime,
        matters: list[MatterGuide],
        in_scope: list[MatterGuide],
    ) -> dict[Key, Inputs]:
        window = timedelta(days=self._ctx.settings.rating_window_days)
        commitment = {g.code for g in matters if offers_commitment(g)}
        async with self._ctx.sessions() as session:
            apps = await application_tallies(
                session,
                period,
                scope,
                rated_after=now - window,
                overdue_before=self._engine.today(now),
                commitment_matters=commitment,
            )
            orders = await work_order_tallies(session, period, scope)
            waivers = await waiver_tallies(session, period, scope)
        by_matter = scope.matter is not None or scope.group_by == "matter"

        def key_of(guide: MatterGuide) -> Key:
            return {"unit": guide.unit, "matter": guide.code}.get(scope.group_by or "")

        changed = {key_of(g) for g in in_scope if changed_in(g, period)}
        waived = {k for k, t in waivers.items() if t.waivers}  # units that only penalised add no row
        keys = (
            [None]
            if scope.group_by is None
            else sorted(set(apps) | set(orders) | waived | changed, key=lambda k: (k is None, k or ""))
        )
        return {
            k: Inputs(
                applications=apps.get(k, ApplicationTally()),
                work_orders=orders.get(k, WorkOrderTally()),
                waivers=None if by_matter else waivers.get(k, WaiverTally()),
                matters=[g for g in in_scope if key_of(g) == k],
                period=period,
            )
            for k in keys
        }

    # -- pseudonymised records --------------------------------------------------------------------

    async def applications(
        self, actor: Actor, filters: Filters, *, limit: int, cursor: str | None
    ) -> tuple[list[ApplicationRecord], str | None]:
        window, zone = timedelta(days=self._ctx.settings.rating_window_days), self._ctx.settings.zone
        return await self._page(
            actor,
            "assessment_applications",
            "aa",
            filters,
            limit,
            cursor,
            application_query,
            lambda row, pseudonym: application_record(row, pseudonym, zone, window),
        )

    async def violations(
        self, actor: Actor, filters: Filters, *, limit: int, cursor: str | None
    ) -> tuple[list[ViolationRecord], str | None]:
        return await self._page(
            actor, "assessment_violations", "av", filters, limit, cursor, violation_query, violation_record
        )

    async def _page(
        self,
        actor: Actor,
        action: str,
        prefix: str,
        filters: Filters,
        limit: int,
        cursor: str | None,
        query: Callable[..., Any],
        record: Callable[[Any, Pseudonyms], R],
    ) -> tuple[list[R], str | None]:
        """One page of records in id order, after the cursor's id; audited as one read."""
        period = self.period(filters.start, filters.end)
        after = decode_id_cursor(prefix, cursor) if cursor else 0
        pseudonym = self._pseudonyms(actor)
        async with self._ctx.transaction() as session:
            rows = list(await session.execute(query(period, filters.scope, after, limit + 1)))
            items = [record(row, pseudonym) for row in rows[:limit]]
            self._audited(session, actor, action, period, filters, len(items))
        return items, encode_id_cursor(prefix, rows[limit - 1][0].id) if len(rows) > limit else None

    # -- event log ----------------------------------------------------------------------------------

    async def event_log(
        self, actor: Actor, filters: Filters, *, fmt: str
    ) -> tuple[str, AsyncIterator[bytes]]:
        """The media type and the body, streamed. The period is checked here, before anything is sent."""
        period = self.period(
            filters.start, filters.end, max_days=event_log.MAX_DAYS, default_days=event_log.MAX_DAYS
        )
        media_type, write = event_log.FORMATS[fmt]
        async with self._ctx.transaction() as session:  # the export is recorded before it streams
            self._audited(session, actor, f"assessment_event_log_{fmt}", period, filters, None)
        return media_type, write(self._ctx.sessions, period, filters.scope, self._pseudonyms(actor))

    def _audited(
        self,
        session: AsyncSession,
        actor: Actor,
        action: str,
        period: Period,
        filters: Filters,
        count: int | None,
    ) -> None:
        if self._audit is not None:
            detail = {
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "unit": filters.unit,
                "matter": filters.matter,
                "records": count,
            }
            self._audit.add(session, actor, Kind.READ, action, "assessment", detail=detail)
