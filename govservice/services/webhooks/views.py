"""What the webhook API shows: subscriptions (the secret only once, at creation) and deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

from govservice.db.models import WebhookDeliveryRow, WebhookSubscriptionRow
from govservice.services.webhooks.events import WebhookEvent


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookView(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    url: str
    events: list[str]
    active: bool
    created_by: str
    created_at: datetime


class WebhookCreated(WebhookView, kw_only=True, rename="camel"):
    """As a subscription, plus its signing secret: shown this once, never again."""

    secret: str


class WebhookBacklog(msgspec.Struct, frozen=True, kw_only=True):
    pending: int  # waiting to be sent to an active subscription (retries included)
    failed: int  # given up on after every attempt; an administrator may re-queue them
    oldest_pending_seconds: float


class DeliveryView(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    subscription_id: int
    event_id: str
    type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: WebhookEvent


def webhook_view(row: WebhookSubscriptionRow) -> WebhookView:
    return WebhookView(
        id=row.id,
        url=row.url,
        events=list(row.events),
        active=row.active,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def delivery_view(row: WebhookDeliveryRow) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        subscription_id=row.subscription_id,
        event_id=row.event_id,
        type=row.type,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        payload=msgspec.convert(row.payload, WebhookEvent),
    )
