"""Rating a concluded application (好差评).

The default rating is computed at read time, not written by a timer: an application concluded
more than ``GOVSERVICE_DEFAULT_RATING_DAYS`` days ago with no rating counts as 3. That needs no
row, job or worker per application (there are millions), the satisfaction figure stays one
query (``count(ratings) + count(unrated concluded before the window)``), and there is nothing to
fire late or twice. The cost: changing the setting re-reads history with the new window; the
window in force is the department's local rule, so that is what its figures should show.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import ApplicationRow, RatingRow, WorkOrderRow
from govservice.db.upsert import insert_if_absent
from govservice.domain.actor import Actor, Role
from govservice.errors import Conflict, Forbidden, NotFound, RuleViolation
from govservice.services.access import DESK_ROLES, grants
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.ratings.views import RatingStatus, RatingView
from govservice.services.ratings.work_orders import WorkOrderService

DEFAULT_STARS = 3
BAD_REVIEW_MAX = 2


class RatingService:
    def __init__(self, ctx: ServiceContext, work_orders: WorkOrderService, audit: AuditLog) -> None:
        self._ctx = ctx
        self._work_orders = work_orders
        self._audit = audit

    @property
    def window(self) -> timedelta:
        return timedelta(days=self._ctx.settings.rating_window_days)

    async def _load(self, session: AsyncSession, actor: Actor, application_id: int) -> ApplicationRow:
        app = await session.get(ApplicationRow, application_id)
        access = grants(actor, roles=DESK_ROLES, advisers=False)
        if app is None or not access.allows(app.unit, app.enterprise_uscc):
            raise NotFound(f"application {application_id} does not exist", code="application_not_found")
        return app

    async def rate(self, actor: Actor, application_id: int, stars: int, comment: str | None) -> RatingView:
        """The rating, its audit entry and, for a bad review, the work order and its case: one unit
        of work."""
        async with self._ctx.transaction() as session:
            app = await self._load(session, actor, application_id)
            if not (actor.has(Role.APPLICANT) and actor.ent == app.enterprise_uscc):
                raise Forbidden("only the applicant's enterprise rates its application", code="role_required")
            if app.concluded_at is None:
                raise RuleViolation(
                    "an application is rated once it is concluded", code="application_not_concluded"
                )
            now = self._ctx.clock.now()
            if now > app.concluded_at + self.window:
                raise RuleViolation(
                    f"the rating window closed {self._ctx.settings.rating_window_days} days after "
                    f"conclusion; the application counts as rated {DEFAULT_STARS}",
                    code="rating_window_closed",
                )
            inserted = await insert_if_absent(
                session,
                RatingRow,
                ["application_id"],
                application_id=app.id,
                enterprise_uscc=app.enterprise_uscc,
                unit=app.unit,
                stars=stars,
                comment=comment,
                rated_by=actor.sub,
                rated_at=now,
                excluded=False,
                concluded_at=app.concluded_at,  # so the satisfaction rate of a period reads ratings alone
                matter_code=app.matter_code,
            )
            if not inserted:  # rated before, or by a concurrent request that won
                raise _already_rated(app.id)
            row = await session.scalar(select(RatingRow).where(RatingRow.application_id == app.id))
            assert row is not None
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "rate",
                f"application:{app.id}",
                enterprise=app.enterprise_uscc,
                unit=app.unit,
                detail={"stars": stars},
            )
            order_id = None
            if stars <= BAD_REVIEW_MAX:  # the bad review's work order commits with it, or neither does
                order_id = await self._work_orders.open(session, actor, row, app)
            view = self._view(app, row, order_id)
        return view

    async def get(self, actor: Actor, application_id: int) -> RatingView:
        """Staff's reads are audited, so they run as a unit of work that writes; the applicant's read."""
        async with self._ctx.transaction() if actor.is_staff else self._ctx.sessions() as session:
            app = await self._load(session, actor, application_id)
            rating = await session.scalar(select(RatingRow).where(RatingRow.application_id == app.id))
            order = None
            if rating is not None:
                order = await session.scalar(
                    select(WorkOrderRow.id).where(WorkOrderRow.rating_id == rating.id)
                )
            view = self._view(app, rating, order)
            if actor.is_staff:
                self._audit.add(
                    session,
                    actor,
                    Kind.READ,
                    "get_evaluation",
                    f"application:{app.id}",
                    enterprise=app.enterprise_uscc,
                    unit=app.unit,
                )
        return view

    def _view(self, app: ApplicationRow, rating: RatingRow | None, order: int | None) -> RatingView:
        closes: datetime | None = app.concluded_at + self.window if app.concluded_at else None
        if rating is not None:
            return RatingView(
                application_id=app.id,
                status=RatingStatus.RATED,
                stars=rating.stars,
                comment=rating.comment,
                rated_at=rating.rated_at,
                window_closes_at=closes,
                bad_review=rating.stars <= BAD_REVIEW_MAX,
                excluded=rating.excluded,
                fix_stars=rating.fix_stars,
                work_order_id=order,
            )
        if closes is None:
            return RatingView(application_id=app.id, status=RatingStatus.NOT_CONCLUDED, stars=None)
        if self._ctx.clock.now() > closes:
            return RatingView(
                application_id=app.id,
                status=RatingStatus.DEFAULTED,
                stars=DEFAULT_STARS,
                window_closes_at=closes,
            )
        return RatingView(
            application_id=app.id, status=RatingStatus.OPEN, stars=None, window_closes_at=closes
        )


def _already_rated(application_id: int) -> Conflict:
    return Conflict(f"application {application_id} is already rated", code="already_rated")
