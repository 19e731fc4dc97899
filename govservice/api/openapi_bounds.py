"""The bounds msgspec enforces on list items, put into the published schema.

Litestar renders ``list[Annotated[str, Meta(max_length=…)]]`` as an array of plain strings: the
server refuses an over-long item, but the document does not say so. msgspec's own JSON schema of
the same Structs does; this copies its item constraints into the matching component properties.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi.spec import Schema

_ITEM_KEYS = {"maxLength": "max_length", "minLength": "min_length", "pattern": "pattern", "enum": "enum"}


def _request_structs(app: Litestar) -> list[type[msgspec.Struct]]:
    structs: list[type[msgspec.Struct]] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_data_field
            annotation = data.annotation if data is not None else None
            if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
                structs.append(annotation)
    return structs


def _ref_option(ref_prop: dict[str, Any], key: str) -> dict[str, Any]:
    """``ref_prop[key]``, or that of the option of a nullable ``anyOf`` that has it."""
    for option in [ref_prop, *ref_prop.get("anyOf", [])]:
        if isinstance(option.get(key), dict):
            return option[key]  # type: ignore[no-any-return]
    return {}


def _copy(target: Schema, reference: dict[str, Any]) -> None:
    for key, attribute in _ITEM_KEYS.items():
        if key in reference and getattr(target, attribute) is None:
            setattr(target, attribute, reference[key])


def _patch(schema: Schema, reference: dict[str, Any]) -> None:
    """Copy the string constraints of ``reference``'s array items and map values onto ``schema``'s."""
    for name, prop in (schema.properties or {}).items():
        if not isinstance(prop, Schema):
            continue
        ref_prop = reference.get("properties", {}).get(name, {})
        if ref_prop.get("format") == "decimal" and prop.format is None:
            prop.format = "decimal"  # type: ignore[assignment]
        for option in [prop, *(prop.one_of or [])]:
            if not isinstance(option, Schema):
                continue
            if isinstance(option.items, Schema):
                _copy(option.items, _ref_option(ref_prop, "items"))
            if isinstance(option.additional_properties, Schema):
                _copy(option.additional_properties, _ref_option(ref_prop, "additionalProperties"))


def publish_item_bounds(app: Litestar) -> None:
    structs = _request_structs(app)
    if not structs:
        return
    # types msgspec cannot describe (uploaded files) have no item bounds to copy
    _, definitions = msgspec.json.schema_components(
        structs, schema_hook=lambda _: {"format": "binary"}, ref_template="{name}"
    )
    components = app.openapi_schema.components.schemas or {}
    for component in components.values():
        reference = definitions.get(component.title or "")
        if reference is not None:
            _patch(component, reference)
