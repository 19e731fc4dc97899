"""Webhook subscriptions (administrators): department systems that receive workflow events,
signed, retried and never lost; and the deliveries made to them."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from govservice.api.problems import problems
from govservice.api.schemas import Page, Schema
from govservice.api.security import SECURED, current_actor, requires
from govservice.domain.actor import Role
from govservice.services.webhooks import (
    DeliveryStatus,
    DeliveryView,
    WebhookCreated,
    WebhookService,
    WebhookView,
)

Id = Annotated[int, PathParameter(ge=1, le=2**53)]
Pattern = Annotated[str, msgspec.Meta(pattern=r"^(\*|[a-z][a-z0-9_]{0,31}\.(\*|[a-z][a-z0-9_]{0,63}))$")]

SIGNING = (
    "Each delivery is a POST of the event as JSON (`id` `<case>:<seq>`, `type` `<subjectKind>.<action>`, "
    "`caseId`, `subjectKind`, `subjectId`, `fromState`, `toState`, `outcome`, `at`, and `enterpriseUscc` for "
    "applications; the `webhooks` section lists every event type), signed by the "
    "Standard Webhooks scheme (standardwebhooks.com), so any of its published libraries "
    "verifies it:\n\n"
    "- `webhook-id`: the event's `id`, the same on every retry: de-duplicate by it;\n"
    "- `webhook-timestamp`: the attempt's Unix time in seconds: refuse one far from your clock (replays);\n"
    '- `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, keyed '
    "with the base64-decoded part of the subscription's `whsec_<base64>` secret, shown once, in this "
    "response.\n\n"
    "Also `User-Agent: govservice/<version>`, `Govservice-Event` (the type) and `Govservice-Delivery` (the "
    "delivery id). Subscriptions made before the scheme was adopted (a `whsec_<64 hex digits>` secret) "
    'also get the former `Govservice-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, '
    "kept only for receivers written for it; new subscriptions do not.\n\n"
    "A 2xx answer (within 10 s) delivers it; otherwise it is retried after 1 min, doubling up to 6 h, "
    "12 attempts in all, then marked `failed`. Deliveries may arrive out of order or, rarely, twice."
)

URL_RULES = (
    "http or https, with a host and no credentials, whitespace or control characters (else 400). "
    "Link-local and cloud metadata targets (169.254.0.0/16, fe80::/10, "
    "`metadata.google.internal`, 100.100.100.200, ...) are refused (400 `url_target_refused`; at each "
    "delivery too, when the host resolves to one) unless the deployment admits them "
    "(`GOVSERVICE_WEBHOOK_ALLOW_HOSTS`). Loopback and private networks are fine."
)
# What a pattern can say of services.webhooks.targets.url_problem: the scheme, a host part without
# credentials, no whitespace or C0/C1 control characters (spelt out: Python's \s has some that ECMA's
# has not). The server checks the rest: the host and port parse, no other format characters.
# /{2}: the docs page, which embeds the document, then names no URL-like text.
_NOT_IN_URL = r"\x00-\x20\x7f-\x9f\s"
URL_PATTERN = rf"^https?:/{{2}}[^{_NOT_IN_URL}/?#@]+([/?#][^{_NOT_IN_URL}]*)?$"


class WebhookCreate(Schema):
    """Where to deliver, and which event types: exact (`violation.countersign`), a subject's every
    event (`application.*`) or all (`*`)."""

    url: Annotated[
        str, msgspec.Meta(min_length=8, max_length=2000, pattern=URL_PATTERN, description=URL_RULES)
    ]
    events: Annotated[list[Pattern], msgspec.Meta(min_length=1, max_length=50)]


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]
    security = SECURED
    guards = [requires(Role.ADMIN)]

    @post(
        "/",
        operation_id="createWebhook",
        summary="Subscribe a department system to workflow events; the signing secret is shown only here",
        description=SIGNING,
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 415),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookService],
        data: Annotated[
            WebhookCreate,
            BodyKwarg(
                examples=[
                    Example(
                        summary="decisions on applications, and countersigned penalties",
                        value={
                            "url": "http://permits-bus.gov.example/hooks/govservice",
                            "events": ["application.approve", "application.deny", "violation.countersign"],
                        },
                    ),
                    Example(
                        summary="every application event",
                        value={"url": "https://archive.gov.example/events", "events": ["application.*"]},
                    ),
                ]
            ),
        ],
    ) -> WebhookCreated:
        return await webhooks.subscribe(current_actor(request), data.url, list(data.events))

    @get(
        "/",
        operation_id="listWebhooks",
        summary="Webhook subscriptions, oldest first (secrets are never shown again)",
        responses=problems(400, 401, 403),
    )
    async def list_webhooks(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookService],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Page[WebhookView]:
        items, next_cursor = await webhooks.list(current_actor(request), limit=limit, cursor=cursor)
        return Page(items=items, next_cursor=next_cursor)

    @get(
        "/{webhook_id:int}",
        operation_id="getWebhook",
        summary="One webhook subscription",
        responses=problems(400, 401, 403, 404),
    )
    async def get_webhook(
        self, request: Request[Any, Any, Any], webhooks: NamedDependency[WebhookService], webhook_id: Id
    ) -> WebhookView:
        return await webhooks.get(current_actor(request), webhook_id)

    @delete(
        "/{webhook_id:int}",
        operation_id="deactivateWebhook",
        summary="Deactivate a subscription: nothing more is sent to it; its deliveries stay listed",
        responses=problems(400, 401, 403, 404),
    )
    async def deactivate(
        self, request: Request[Any, Any, Any], webhooks: NamedDependency[WebhookService], webhook_id: Id
    ) -> None:
        await webhooks.deactivate(current_actor(request), webhook_id)

    @post(
        "/{webhook_id:int}/reactivate",
        operation_id="reactivateWebhook",
        summary="Reactivate a deactivated subscription: new events and its pending deliveries are sent",
        description="Events of the time it was inactive are not made up. Reactivating an active one changes "
        "nothing. A URL that is no longer acceptable (see `createWebhook`) is 400.",
        status_code=HTTP_200_OK,
        responses=problems(400, 401, 403, 404),
    )
    async def reactivate(
        self, request: Request[Any, Any, Any], webhooks: NamedDependency[WebhookService], webhook_id: Id
    ) -> WebhookView:
        return await webhooks.reactivate(current_actor(request), webhook_id)

    @get(
        "/{webhook_id:int}/deliveries",
        operation_id="listWebhookDeliveries",
        summary="A subscription's deliveries, newest first, optionally by status",
        responses=problems(400, 401, 403, 404),
    )
    async def deliveries(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookService],
        webhook_id: Id,
        status: Annotated[DeliveryStatus | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Page[DeliveryView]:
        items, next_cursor = await webhooks.deliveries(
            current_actor(request), webhook_id, status=status, limit=limit, cursor=cursor
        )
        return Page(items=items, next_cursor=next_cursor)

    @post(
        "/{webhook_id:int}/deliveries/{delivery_id:int}/retry",
        operation_id="retryWebhookDelivery",
        summary="Re-queue a failed (or pending) delivery now, with a fresh set of attempts",
        status_code=HTTP_200_OK,
        responses=problems(400, 401, 403, 404, 409),
    )
    async def retry(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookService],
        webhook_id: Id,
        delivery_id: Id,
    ) -> DeliveryView:
        return await webhooks.retry(current_actor(request), webhook_id, delivery_id)
