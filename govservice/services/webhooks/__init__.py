"""Webhooks: subscriptions, and workflow events delivered to them signed, retried, never lost."""

from govservice.services.webhooks.courier import DeliveryRun
from govservice.services.webhooks.service import STATUSES, WebhookService
from govservice.services.webhooks.targets import Resolver
from govservice.services.webhooks.views import DeliveryStatus, DeliveryView, WebhookCreated, WebhookView

__all__ = [
    "STATUSES",
    "DeliveryRun",
    "DeliveryStatus",
    "DeliveryView",
    "Resolver",
    "WebhookCreated",
    "WebhookService",
    "WebhookView",
]
