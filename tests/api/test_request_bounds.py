"""Every string a client can send is bounded, and the bound is in the published schema.

Walks the served OpenAPI document: each request body (JSON or form) and each parameter. A string
needs a ``maxLength`` (or is an enum, a constant, a date or a file); a new field without one fails
here, before a client can post megabytes into it.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

BOUNDED_FORMATS = {"date", "date-time", "binary", "uuid", "time", "decimal"}  # decimals: a range check


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _bounds_strings(schema: dict[str, Any]) -> bool:
    pattern = re.sub(r"\\.", "", schema.get("pattern", ""))  # escaped characters are literals
    bounded_pattern = pattern.endswith("$") and not any(c in pattern for c in "*+") and ",}" not in pattern
    return (
        "maxLength" in schema
        or "enum" in schema
        or "const" in schema
        or schema.get("format") in BOUNDED_FORMATS
        or bounded_pattern
    )


def _unbounded(
    document: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str], bounded: bool = False
) -> list[str]:
    """``bounded``: an enclosing schema (e.g. around a nullable ``oneOf``) bounds its strings."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        seen = seen | {schema["$ref"]}
    schema = _resolve(document, schema)
    bounded = bounded or _bounds_strings(schema)
    found: list[str] = []
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            found += _unbounded(document, part, where, seen, bounded)
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "string" in kinds and not bounded:
        found.append(where)
    for name, prop in schema.get("properties", {}).items():
        found += _unbounded(document, prop, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        found += _unbounded(document, schema["items"], f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _unbounded(document, schema["additionalProperties"], f"{where}{{}}", seen)
    return found


async def test_every_string_a_client_sends_has_a_maximum_length(client: httpx.AsyncClient) -> None:
    document = (await client.get("/docs/openapi.json")).json()
    unbounded: list[str] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            name = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                unbounded += _unbounded(
                    document,
                    parameter.get("schema", {}),
                    f"{name} {parameter['in']} {parameter['name']}",
                    set(),
                )
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                unbounded += _unbounded(document, content.get("schema", {}), f"{name} body ({media})", set())
    assert not unbounded, "strings without maxLength:\n" + "\n".join(sorted(set(unbounded)))
