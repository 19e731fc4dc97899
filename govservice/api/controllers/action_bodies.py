"""The body of ``takeAction`` as the OpenAPI document shows it: one schema per kind of action.

The server decodes every action's body as one :class:`ActionRequest` (the action is in the path,
so the body carries no tag a decoder could pick a type by, and the same JSON keeps working). The
document instead offers the shapes the actions take, ``anyOf``, each closed to other fields, so a
generated client gets a class per kind. Each is a subset of ``ActionRequest``'s fields with the
same bounds (tests/api/test_openapi_client.py checks it).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIType,
    Reference,
    RequestBody,
    Schema,
)

from govservice.api.controllers.applications import Comment, Defect, Reason, Reasons
from govservice.api.schemas import Schema as Body

TAKE_ACTION = "takeAction"
_REF = "#/components/schemas/{name}"


class ActionComment(Body):
    """file, accept, approve, resume, withdraw, ...: an optional comment and nothing else."""

    comment: Comment | None = None


class Refusal(ActionComment, kw_only=True):
    """refuse_acceptance, deny: the reasons, each told to the applicant."""

    reasons: Reasons


class ClockReason(ActionComment, kw_only=True):
    """hold (inspection | testing | expert_review | hearing) and extend: why the clock stops or runs on."""

    reason: Reason


class DeficiencyNotice(ActionComment, kw_only=True):
    """notify_deficiency: every gap at once."""

    defects: Annotated[list[Defect], msgspec.Meta(max_length=100)]


class InspectorAssignment(ActionComment, kw_only=True):
    """assign_inspector: the inspector's ``sub``."""

    inspector: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class InspectionRecord(ActionComment, kw_only=True):
    """record_inspection: the result and what was found on site."""

    result: Annotated[str, msgspec.Meta(pattern="^(pass|fail)$")]
    findings: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


ACTION_BODIES: tuple[type[msgspec.Struct], ...] = (
    ActionComment,
    Refusal,
    ClockReason,
    DeficiencyNotice,
    InspectorAssignment,
    InspectionRecord,
)

_KEYS = {
    "maxLength": "max_length",
    "minLength": "min_length",
    "maxItems": "max_items",
    "minItems": "min_items",
    "pattern": "pattern",
    "description": "description",
    "title": "title",
    "required": "required",
    "enum": "enum",
}


def _schema(node: dict[str, Any]) -> Schema | Reference:
    """msgspec's JSON Schema as Litestar's schema objects (the keywords msgspec writes for these)."""
    if "$ref" in node:
        return Reference(ref=node["$ref"])
    schema = Schema(**{attribute: node[key] for key, attribute in _KEYS.items() if key in node})
    if "type" in node:
        schema.type = OpenAPIType(node["type"])
    if "format" in node:
        schema.format = OpenAPIFormat(node["format"])
    if "anyOf" in node:
        schema.one_of = [_schema(option) for option in node["anyOf"]]
    if "items" in node:
        schema.items = _schema(node["items"])
    if "properties" in node:
        schema.properties = {name: _schema(p) for name, p in node["properties"].items()}
    if node.get("additionalProperties") is False:
        schema.additional_properties = False
    return schema


def publish_action_bodies(app: Litestar) -> None:
    document = app.openapi_schema
    _, definitions = msgspec.json.schema_components(ACTION_BODIES, ref_template=_REF)
    schemas = document.components.schemas if document.components.schemas is not None else {}
    for name, definition in definitions.items():
        if name not in schemas:
            schemas[name] = _schema({**definition, "title": name})  # type: ignore[assignment]
    for path_item in (document.paths or {}).values():
        operation = path_item.post
        if operation is None or operation.operation_id != TAKE_ACTION:
            continue
        if isinstance(operation.request_body, RequestBody):
            for media in operation.request_body.content.values():
                # ActionRequest itself (openapi_polish moved the examples to the media type)
                decoded = media.schema
                examples = decoded.examples if isinstance(decoded, Schema) else None
                for part in (decoded.all_of or []) if isinstance(decoded, Schema) else [decoded]:
                    if isinstance(part, Reference):
                        schemas.pop(part.ref.rsplit("/", 1)[-1], None)  # shown only through the shapes
                media.schema = Schema(
                    any_of=[Reference(ref=_REF.format(name=body.__name__)) for body in ACTION_BODIES],
                    examples=examples,
                )
