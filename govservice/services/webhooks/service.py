"""Webhook subscriptions (administrators) and the worker's round: dispatch events, send what is due."""

from __future__ import annotations

import builtins

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import WebhookDeliveryRow, WebhookSubscriptionRow
from govservice.domain.actor import Actor, Role
from govservice.errors import BadRequest, Conflict, Forbidden, NotFound
from govservice.services.aggregates import seconds_since
from govservice.services.context import ServiceContext
from govservice.services.cursors import decode_id_cursor, encode_id_cursor
from govservice.services.webhooks.courier import DELIVERED, FAILED, PENDING, Courier, DeliveryRun
from govservice.services.webhooks.dispatcher import Dispatcher
from govservice.services.webhooks.signing import new_secret
from govservice.services.webhooks.targets import Resolver, TargetPolicy, url_problem
from govservice.services.webhooks.views import (
    DeliveryView,
    WebhookBacklog,
    WebhookCreated,
    WebhookView,
    delivery_view,
    webhook_view,
)

SUBS, DELIVERIES = WebhookSubscriptionRow, WebhookDeliveryRow
STATUSES = ("pending", "delivered", "failed")


class WebhookService:
    def __init__(
        self, ctx: ServiceContext, http: httpx.AsyncClient | None = None, resolve: Resolver | None = None
    ) -> None:
        self._ctx = ctx
        self._targets = TargetPolicy.allowing(ctx.settings.webhook_allow_hosts)
        self.dispatcher = Dispatcher(ctx)
        self.courier = Courier(ctx, http, targets=self._targets, resolve=resolve)

    async def run_round(self) -> DeliveryRun:
        """The worker's round: new events become deliveries, then the due ones are sent."""
        await self.dispatcher.dispatch()
        return await self.courier.deliver_due()

    async def aclose(self) -> None:
        await self.courier.aclose()

    # -- subscriptions ---------------------------------------------------------------------------

    async def subscribe(self, actor: Actor, url: str, events: list[str]) -> WebhookCreated:
        _admin(actor)
        _check_url(url, self._targets)
        row = SUBS(
            url=url,
            secret=new_secret(),
            events=sorted(set(events)),
            active=True,
            created_by=actor.sub,
            created_at=self._ctx.clock.now(),
        )
        async with self._ctx.transaction() as session:
            session.add(row)
            await session.flush()
        view = webhook_view(row)
        return WebhookCreated(
            id=view.id,
            url=view.url,
            events=view.events,
            active=view.active,
            created_by=view.created_by,
            created_at=view.created_at,
            secret=row.secret,
        )

    async def list(
        self, actor: Actor, *, limit: int, cursor: str | None
    ) -> tuple[list[WebhookView], str | None]:
        _admin(actor)
        query = select(SUBS)
        if cursor:
            query = query.where(SUBS.id > decode_id_cursor("w", cursor))
        async with self._ctx.sessions() as session:
            rows = list(await session.scalars(query.order_by(SUBS.id).limit(limit + 1)))
        items = [webhook_view(r) for r in rows[:limit]]
        return items, encode_id_cursor("w", items[-1].id) if len(rows) > limit else None

    async def get(self, actor: Actor, webhook_id: int) -> WebhookView:
        _admin(actor)
        async with self._ctx.sessions() as session:
            return webhook_view(await _subscription(session, webhook_id))

    async def deactivate(self, actor: Actor, webhook_id: int) -> None:
        """Stops it: no new deliveries, and its pending ones are not sent (they stay listed)."""
        _admin(actor)
        async with self._ctx.transaction() as session:
            (await _subscription(session, webhook_id)).active = False

    async def reactivate(self, actor: Actor, webhook_id: int) -> WebhookView:
        """Starts a deactivated subscription again: events from now on are delivered, and so are its
        deliveries still pending. Events of the time it was inactive are not made up: none was queued."""
        _admin(actor)
        async with self._ctx.transaction() as session:
            row = await _subscription(session, webhook_id)
            if not row.active:
                _check_url(row.url, self._targets)  # saved before URLs were checked: not revived
                row.active = True
            return webhook_view(row)

    async def backlog(self) -> WebhookBacklog:
        """Deliveries waiting to be sent to active subscriptions, and those given up on (/metrics)."""
        now = self._ctx.clock.now()
        async with self._ctx.sessions() as session:
            pending, oldest = (
                await session.execute(
                    select(func.count(), func.min(DELIVERIES.created_at))
                    .join(SUBS, SUBS.id == DELIVERIES.subscription_id)
                    .where(DELIVERIES.status == PENDING, SUBS.active.is_(True))
                )
            ).one()
            failed = await session.scalar(
                select(func.count()).select_from(DELIVERIES).where(DELIVERIES.status == FAILED)
            )
        return WebhookBacklog(
            pending=int(pending or 0),
            failed=int(failed or 0),
            oldest_pending_seconds=seconds_since(oldest, now),
        )

    # -- deliveries ------------------------------------------------------------------------------

    async def deliveries(
        self, actor: Actor, webhook_id: int, *, status: str | None, limit: int, cursor: str | None
    ) -> tuple[builtins.list[DeliveryView], str | None]:
        """Newest first."""
        _admin(actor)
        query = select(DELIVERIES).where(DELIVERIES.subscription_id == webhook_id)
        if status is not None:
            query = query.where(DELIVERIES.status == status)
        if cursor:
            query = query.where(DELIVERIES.id < decode_id_cursor("d", cursor))
        async with self._ctx.sessions() as session:
            await _subscription(session, webhook_id)
            rows = list(await session.scalars(query.order_by(DELIVERIES.id.desc()).limit(limit + 1)))
        items = [delivery_view(r) for r in rows[:limit]]
        return items, encode_id_cursor("d", items[-1].id) if len(rows) > limit else None

    async def retry(self, actor: Actor, webhook_id: int, delivery_id: int) -> DeliveryView:
        """Re-queue a delivery now, with a fresh set of attempts (a delivered one is 409)."""
        _admin(actor)
        async with self._ctx.transaction() as session:
            row = await session.get(DELIVERIES, delivery_id, with_for_update=True)
            if row is None or row.subscription_id != webhook_id:
                raise NotFound(
                    f"webhook {webhook_id} has no delivery {delivery_id}", code="delivery_not_found"
                )
            if row.status == DELIVERED:
                raise Conflict("the delivery was delivered already", code="already_delivered")
            row.status, row.attempts, row.next_attempt_at = PENDING, 0, self._ctx.clock.now()
            await session.flush()
            return delivery_view(row)


def _admin(actor: Actor) -> None:
    if not actor.has(Role.ADMIN):
        raise Forbidden("webhooks are managed by administrators", code="role_required")


def _check_url(url: str, targets: TargetPolicy) -> None:
    problem = url_problem(url)
    if problem is not None:
        raise BadRequest(
            "the webhook URL must be an http or https URL with a host and no credentials",
            code="invalid_url",
            errors=[{"field": "url", "message": problem}],
        )
    refused = targets.refused_host(httpx.URL(url).host)
    if refused is not None:
        raise BadRequest(
            "link-local and cloud metadata addresses are not webhook targets unless "
            "GOVSERVICE_WEBHOOK_ALLOW_HOSTS admits them",
            code="url_target_refused",
            errors=[{"field": "url", "message": f"target address refused: {refused}"}],
        )


async def _subscription(session: AsyncSession, webhook_id: int) -> WebhookSubscriptionRow:
    row = await session.get(SUBS, webhook_id)
    if row is None:
        raise NotFound(f"no webhook {webhook_id}", code="webhook_not_found")
    return row
