"""Examples in the OpenAPI document that belong to their operation.

- A 404 names what the operation's path names (``application 7 does not exist`` with
  ``application_not_found``, as the services say it), not one example shared by every operation.
- A 400 names a field the operation really takes.
- 403, 409, 410, 412 and 422 show what the operation's guard and service answer
  (:mod:`govservice.api.openapi_problems`).
- A 2xx JSON response without an example gets one built from its schema: every required property
  with a value of its type, within its bounds, so that it is valid against the schema (a test checks
  every example with a JSON Schema validator).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    Example,
    OpenAPIFormat,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
)

from govservice.api.openapi_problems import publish_problem_examples
from govservice.api.problems import PROBLEM_MEDIA_TYPE, problem_example

_METHODS = ("get", "put", "post", "delete", "patch")

# The last path parameter -> (code, detail) of the 404 the services answer with when it names nothing.
_NOT_FOUND = {
    "application_id": ("application_not_found", "application 7 does not exist"),
    "round_id": ("review_round_not_found", "review round 3 does not exist"),
    "request_id": ("request_not_found", "request 5 does not exist or is not yours to see"),
    "uscc": ("enterprise_not_found", "91350100M000100Y43 is not an enterprise you can see"),
    "plan_id": ("plan_not_found", "inspection plan 4 does not exist"),
    "inspection_id": ("inspection_not_found", "inspection 12 does not exist"),
    "evidence_id": ("evidence_not_found", "inspection 12 has no evidence 2"),
    "year": ("checkup_not_found", "no 2026 check-up is scheduled for 91350100M000100Y43"),
    "number": ("licence_not_found", "no licence numbered FR-PGP-OPENING-2026-000001"),
    "code": ("matter_not_found", "matter FR-XYZ is not in the catalogue"),
    "version": ("matter_not_found", "matter FR-PGP-OPENING version 9 is gone"),
    "check_id": ("review_check_not_found", "check 8 does not exist"),
    "file_id": ("review_file_not_found", "review file 6 does not exist"),
    "sub": ("panel_member_not_found", "assessor-9 is not an active panel member"),
    "violation_id": ("violation_not_found", "violation case 9 does not exist"),
    "webhook_id": ("webhook_not_found", "no webhook 2"),
    "delivery_id": ("delivery_not_found", "webhook 2 has no delivery 11"),
    "order_id": ("work_order_not_found", "work order 4 does not exist"),
}
_KEY_ENTERPRISE = ("key_enterprise_not_found", "91350100M000100Y43 is not a key enterprise you can see")
_PATH_PARAMETER = re.compile(r"{(\w+)}")


def _not_found(path: str) -> tuple[str, str] | None:
    names = [name for name in _PATH_PARAMETER.findall(path) if name != "action"]
    if not names:
        return None
    if names[-1] == "uscc" and "/key-enterprises/" in path:
        return _KEY_ENTERPRISE
    return _NOT_FOUND.get(names[-1])


def _body_field(document_schemas: dict[str, Any], body: RequestBody | Reference | None) -> str | None:
    if not isinstance(body, RequestBody):
        return None
    for media in body.content.values():
        schema = _resolve(document_schemas, media.schema)
        if schema is not None and schema.properties:
            return sorted(schema.required or schema.properties)[0]
    return None


def _bad_request_field(schemas: dict[str, Any], operation: Operation) -> str:
    body_field = _body_field(schemas, operation.request_body)
    if body_field is not None:
        return body_field
    names = [
        p.name
        for p in operation.parameters or []
        if isinstance(p, Parameter) and p.param_in in ("query", "path")
    ]
    return names[0] if names else "body"


def _problem_examples(schemas: dict[str, Any], path: str, operation: Operation) -> None:
    for status, response in (operation.responses or {}).items():
        media = (
            (response.content or {}).get(PROBLEM_MEDIA_TYPE)
            if isinstance(response, OpenAPIResponse)
            else None
        )
        if media is None:
            continue
        if status == "404" and (named := _not_found(path)) is not None:
            media.examples = {named[0]: problem_example(404, *named)}
        elif status == "400":
            field = _bad_request_field(schemas, operation)
            error = {"field": field, "message": "invalid value"}
            detail = "the request has invalid fields; see errors"
            example = problem_example(400, "validation_failed", detail, errors=[error])
            media.examples = {"validation_failed": example}


# -- 2xx examples built from the schema -----------------------------------------------------------

_FORMATS = {
    OpenAPIFormat.DATE: "2026-03-02",
    OpenAPIFormat.DATE_TIME: "2026-03-02T09:30:00Z",
    OpenAPIFormat.URI: "https://receiver.example.com/hooks",
    OpenAPIFormat.URL: "https://receiver.example.com/hooks",
    OpenAPIFormat.EMAIL: "someone@example.com",
    OpenAPIFormat.UUID: "00000000-0000-4000-8000-000000000000",
}


def _resolve(schemas: dict[str, Any], schema: Schema | Reference | None) -> Schema | None:
    while isinstance(schema, Reference):
        schema = schemas.get(schema.ref.rsplit("/", 1)[-1])
    return schema


_STRING_BOUNDS = ("pattern", "min_length", "max_length", "minimum", "maximum")
# Tried in order: the first that fits the pattern and the length bounds is the example.
_STRINGS = ("text", "FR-PGP-OPENING", "91350100M000100Y43", "online", "pass", "*", "user:alice")


def _string(schema: Schema) -> str:
    if schema.format is not None and schema.format in _FORMATS:
        return _FORMATS[OpenAPIFormat(schema.format)]
    if str(schema.format) == "decimal":
        return "1"
    low, high = schema.min_length or 0, schema.max_length if schema.max_length is not None else 1 << 30
    for text in _STRINGS:
        if low <= len(text) <= high and (schema.pattern is None or re.search(schema.pattern, text)):
            return text
    return "x" * max(low, 1)


def example_of(schemas: dict[str, Any], node: Schema | Reference | None, depth: int = 0) -> Any:
    """A value valid against ``node``: the first enum value, the first option of a union, every
    required property; numbers at their minimum; one item in an array."""
    schema = _resolve(schemas, node)
    if schema is None or depth > 12:
        return None
    if schema.examples:
        return schema.examples[0] if isinstance(schema.examples, list) else None
    if schema.const is not None:
        return schema.const
    if schema.enum:
        return schema.enum[0]
    for options in (schema.one_of, schema.any_of):
        if options:
            first = options[0]
            if isinstance(first, Schema):  # Litestar puts a nullable string's bounds beside its options
                bounds = {
                    key: getattr(schema, key) for key in _STRING_BOUNDS if getattr(schema, key) is not None
                }
                first = dataclasses.replace(first, **bounds)
            return example_of(schemas, first, depth + 1)
    if schema.all_of:
        merged: dict[str, Any] = {}
        for part in schema.all_of:
            value = example_of(schemas, part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.type[0] if isinstance(schema.type, list) else schema.type
    if kind == OpenAPIType.OBJECT or schema.properties:
        properties = schema.properties or {}
        return {
            name: example_of(schemas, prop, depth + 1)
            for name, prop in properties.items()
            if name in (schema.required or [])
        }
    if kind == OpenAPIType.ARRAY:
        item = example_of(schemas, schema.items if not isinstance(schema.items, list) else None, depth + 1)
        count = max(1, schema.min_items or 0)
        return [item] * count if schema.max_items != 0 else []
    if kind == OpenAPIType.STRING:
        return _string(schema)
    if kind in (OpenAPIType.INTEGER, OpenAPIType.NUMBER):
        low = schema.minimum if schema.minimum is not None else 1
        if schema.maximum is not None:
            low = min(low, schema.maximum)
        return int(low) if kind == OpenAPIType.INTEGER else low
    if kind == OpenAPIType.BOOLEAN:
        return True
    return None


def _success_examples(schemas: dict[str, Any], operation: Operation) -> None:
    for status, response in (operation.responses or {}).items():
        if not str(status).startswith("2") or not isinstance(response, OpenAPIResponse):
            continue
        media = (response.content or {}).get("application/json")
        if media is None or media.example is not None or media.examples:
            continue
        schema = _resolve(schemas, media.schema)
        if schema is not None and (schema.examples or schema.example is not None):
            continue
        media.examples = {"example": Example(summary="an example", value=example_of(schemas, media.schema))}


def publish_examples(app: Litestar) -> None:
    document = app.openapi_schema
    schemas = document.components.schemas or {}
    for path, path_item in (document.paths or {}).items():
        for method in _METHODS:
            operation = getattr(path_item, method, None)
            if operation is not None:
                _problem_examples(schemas, path, operation)
                _success_examples(schemas, operation)
    publish_problem_examples(app)
