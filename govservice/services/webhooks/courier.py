"""Sends due deliveries: claims them (FOR UPDATE SKIP LOCKED on PostgreSQL, so any number of
workers share the queue), POSTs each signed, and records the answer. 2xx is delivered; anything
else is retried with exponential backoff until ``MAX_ATTEMPTS``, then the delivery is ``failed``
(kept and listed; an administrator can re-queue it).

A delivery that cannot be sent is recorded like a refused connection (``lastError``, retried),
never raised into the worker's round: a host that does not resolve, a target address refused by
:mod:`.targets` (``target address refused: <reason>``; nothing is sent), any error of the HTTP
client. A stored URL that is not a webhook URL at all (saved before URLs were checked) can never
be sent: it fails at once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx
import msgspec
from sqlalchemy import select, update

from govservice import __version__
from govservice.db.models import WebhookDeliveryRow, WebhookSubscriptionRow
from govservice.services.context import ServiceContext
from govservice.services.webhooks.signing import standard_headers
from govservice.services.webhooks.targets import Resolver, TargetPolicy, resolve_host, url_problem

DELIVERIES, SUBS = WebhookDeliveryRow, WebhookSubscriptionRow
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
MAX_ATTEMPTS = 12
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
TIMEOUT = 10.0  # seconds per delivery
LEASE = timedelta(minutes=2)  # a claimed delivery whose worker died is due again after this
PARALLEL = 8
USER_AGENT = f"govservice/{__version__}"

log = logging.getLogger("govservice.webhooks")


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1 min, 2, 4, ... capped at 6 h."""
    factor: float = 2 ** (attempts - 1)  # a fraction only before a first failure
    return min(FIRST_BACKOFF * factor, MAX_BACKOFF)


@dataclass(slots=True)
class DeliveryRun:
    claimed: int = 0
    delivered: int = 0
    retry: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    subscription_id: int
    event_id: str
    type: str
    payload: dict[str, object]
    attempts: int
    url: str
    secret: str


class Courier:
    def __init__(
        self,
        ctx: ServiceContext,
        http: httpx.AsyncClient | None = None,
        *,
        targets: TargetPolicy | None = None,
        resolve: Resolver | None = None,
    ) -> None:
        self._ctx = ctx
        self._http = http
        self._owns_http = http is None
        self._targets = targets or TargetPolicy.allowing(ctx.settings.webhook_allow_hosts)
        self._resolve: Resolver = resolve or resolve_host

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient()
        return self._http

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    async def deliver_due(self, limit: int = 50) -> DeliveryRun:
        run = DeliveryRun()
        claimed = await self._claim(limit)
        run.claimed = len(claimed)
        gate = asyncio.Semaphore(PARALLEL)

        async def one(item: _Claimed) -> str:
            async with gate:
                return await self._deliver(item)

        for outcome in await asyncio.gather(*(one(item) for item in claimed)):
            setattr(run, outcome, getattr(run, outcome) + 1)
        return run

    async def _claim(self, limit: int) -> list[_Claimed]:
        now = self._ctx.clock.now()
        due = (
            select(DELIVERIES.id)
            .join(SUBS, SUBS.id == DELIVERIES.subscription_id)
            .where(DELIVERIES.status == PENDING, DELIVERIES.next_attempt_at <= now, SUBS.active.is_(True))
            .order_by(DELIVERIES.next_attempt_at, DELIVERIES.id)
            .limit(limit)
        )
        # The lease: claimed rows are pushed out of reach while this worker sends them.
        claim = update(DELIVERIES).values(next_attempt_at=now + LEASE)
        if self._ctx.engine.dialect.name == "postgresql":  # rows another worker holds are skipped
            due_cte = due.with_for_update(of=DELIVERIES, skip_locked=True).cte("due")
            claim = claim.where(DELIVERIES.id == due_cte.c.id)
        else:  # SQLite: one writer at a time; the statement is atomic
            claim = claim.where(DELIVERIES.id.in_(due.scalar_subquery()))
        async with self._ctx.transaction() as session:
            ids = list(
                await session.scalars(
                    claim.returning(DELIVERIES.id).execution_options(synchronize_session=False)
                )
            )
            if not ids:
                return []
            rows = (
                await session.execute(
                    select(
                        DELIVERIES.id,
                        DELIVERIES.subscription_id,
                        DELIVERIES.event_id,
                        DELIVERIES.type,
                        DELIVERIES.payload,
                        DELIVERIES.attempts,
                        SUBS.url,
                        SUBS.secret,
                    )
                    .join(SUBS, SUBS.id == DELIVERIES.subscription_id)
                    .where(DELIVERIES.id.in_(ids))
                    .order_by(DELIVERIES.id)
                )
            ).all()
        return [_Claimed(*row) for row in rows]

    async def _deliver(self, item: _Claimed) -> str:
        body = msgspec.json.encode(item.payload)
        timestamp = int(self._ctx.clock.now().timestamp())
        code: int | None = None
        error: str | None = None
        unsendable = url_problem(item.url)
        if unsendable is not None:
            error = f"invalid URL: {unsendable}"
        else:
            try:
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    "Govservice-Event": item.type,
                    "Govservice-Delivery": str(item.id),
                    **standard_headers(item.secret, item.event_id, timestamp, body),
                }
                code, error = await self._send(item.url, body, headers)
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
        error = error[:500] if error is not None else None
        now = self._ctx.clock.now()
        attempts = item.attempts + 1
        values: dict[str, object] = {"attempts": attempts, "last_status_code": code, "last_error": error}
        if error is None:
            values.update(status=DELIVERED, delivered_at=now, next_attempt_at=None)
            outcome = "delivered"
        elif attempts >= MAX_ATTEMPTS or unsendable is not None:
            values.update(status=FAILED, next_attempt_at=None)
            outcome = "failed"
            log.warning(
                "webhook delivery %s (subscription %s, event %s %s) failed for good after %d attempt(s): %s",
                item.id,
                item.subscription_id,
                item.event_id,
                item.type,
                attempts,
                error,
            )
        else:
            values.update(next_attempt_at=now + backoff(attempts))
            outcome = "retry"
            log.info(
                "webhook delivery %s (subscription %s, event %s %s) attempt %d failed, retry after %s: %s",
                item.id,
                item.subscription_id,
                item.event_id,
                item.type,
                attempts,
                backoff(attempts),
                error,
            )
        async with self._ctx.transaction() as session:
            await session.execute(
                update(DELIVERIES)
                .where(DELIVERIES.id == item.id, DELIVERIES.status == PENDING)
                .values(**values)
            )
        return outcome

    async def _send(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        """POST it if its target is allowed: the status code, and the error if not delivered."""
        target = httpx.URL(url)
        try:
            vetted = await self._targets.vet(target, self._resolve)
        except (OSError, TimeoutError) as exc:  # socket.gaierror: the name does not resolve
            return None, f"cannot resolve {target.host}: {str(exc) or type(exc).__name__}"
        if vetted.refused is not None:
            return None, f"target address refused: {vetted.refused}"
        pinned, host, extensions = vetted.pinned(target)
        response = await self._client().post(
            pinned, content=body, headers=headers | host, timeout=TIMEOUT, extensions=extensions
        )
        code = response.status_code
        return code, None if 200 <= code < 300 else f"HTTP {code}"
