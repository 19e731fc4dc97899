"""The OpenAPI document's ``webhooks`` section: one entry per event type, each a POST of the
:class:`~govservice.services.webhooks.events.WebhookEvent` envelope with the Standard Webhooks
headers, so a receiver's code can be generated from the same document as the client's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    PathItem,
    Reference,
    RequestBody,
    Schema,
)

from govservice.services.webhooks.events import WebhookEvent, event_types
from govservice.workflow.definition import ProcessDefinition
from govservice.workflow.errors import InvalidDefinition
from govservice.workflow.loader import decode_process

EVENT_SCHEMA = "WebhookEvent"
_TEXT = Schema(type=OpenAPIType.STRING)
_HEADERS = (
    ("webhook-id", "The event id (the body's `id`): the same on every retry; de-duplicate by it."),
    ("webhook-timestamp", "Unix time of this attempt in seconds; refuse values far from your clock."),
    (
        "webhook-signature",
        '`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, keyed with the '
        "base64-decoded part of the subscription's `whsec_` secret (Standard Webhooks).",
    ),
    ("User-Agent", "`govservice/<version>`"),
)


def _schema(node: dict[str, Any]) -> Schema:
    """msgspec's JSON Schema of a flat Struct as Litestar's schema objects."""
    return Schema(
        type=OpenAPIType(node["type"]) if "type" in node else None,
        format=OpenAPIFormat(node["format"]) if "format" in node else None,
        any_of=[_schema(option) for option in node["anyOf"]] if "anyOf" in node else None,
        properties={name: _schema(p) for name, p in node["properties"].items()}
        if "properties" in node
        else None,
        required=node.get("required"),
        description=node.get("description"),
        title=node.get("title"),
    )


def _operation(event_type: str, description: str) -> PathItem:
    envelope = Schema(
        all_of=[
            Reference(ref=f"#/components/schemas/{EVENT_SCHEMA}"),
            Schema(
                type=OpenAPIType.OBJECT,
                properties={"type": Schema(type=OpenAPIType.STRING, const=event_type)},
            ),
        ]
    )
    return PathItem(
        post=Operation(
            operation_id="event_" + event_type.replace(".", "_"),
            summary=f"Event {event_type}",
            description=description,
            tags=["webhooks"],
            parameters=[
                Parameter(name=name, param_in="header", required=True, schema=_TEXT, description=text)
                for name, text in _HEADERS
            ],
            request_body=RequestBody(
                required=True, content={"application/json": OpenAPIMediaType(schema=envelope)}
            ),
            responses={
                "2XX": OpenAPIResponse(
                    description="Received. Anything else, or no answer in 10 s, is retried."
                ),
            },
        )
    )


def publish_webhooks(app: Litestar, workflows_dir: Path) -> None:
    """Add the event envelope's schema and one ``webhooks`` entry per event type to the document."""
    document = app.openapi_schema
    definitions = msgspec.json.schema(WebhookEvent)["$defs"]
    if document.components.schemas is None:
        document.components.schemas = {}
    document.components.schemas[EVENT_SCHEMA] = _schema(definitions[EVENT_SCHEMA])
    document.webhooks = {
        name: _operation(name, text) for name, text in event_types(_definitions(workflows_dir)).items()
    }


def _definitions(workflows_dir: Path) -> list[ProcessDefinition]:
    """The process files as data, in file order (only their actions matter here: the server checks
    them fully before it serves, and a broken one stops it)."""
    definitions = []
    for path in sorted((workflows_dir / "processes").glob("*.yaml")):
        try:
            definitions.append(decode_process(path.read_bytes(), path.name))
        except InvalidDefinition:
            continue
    return definitions
