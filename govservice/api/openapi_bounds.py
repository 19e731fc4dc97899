"""The bounds msgspec enforces on request bodies, put into the published schema.

Litestar renders ``list[Annotated[str, Meta(max_length=…)]]`` as an array of plain strings, drops a
bound of 0 (``ge=0`` on a nullable number), types a map's keys as any string when they are an
enum, and leaves a Struct with ``forbid_unknown_fields`` open to any other member: the server
refuses all of these, but the document did not say so. msgspec's own JSON schema of the same
Structs does; this copies the constraints Litestar left out into the matching components.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi.spec import OpenAPIType, Schema

_NUMBER_KEYS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
}
_ITEM_KEYS = {"maxLength": "max_length", "minLength": "min_length", "pattern": "pattern", "enum": "enum"}
_ITEM_KEYS |= _NUMBER_KEYS


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


def _copy(target: Schema, reference: dict[str, Any], keys: dict[str, str] = _ITEM_KEYS) -> None:
    for key, attribute in keys.items():
        if key in reference and getattr(target, attribute) is None:
            setattr(target, attribute, reference[key])


def _number(ref_prop: dict[str, Any]) -> dict[str, Any]:
    """``ref_prop``, or its option of a nullable ``anyOf``, if it is a number."""
    options: list[dict[str, Any]] = [ref_prop, *ref_prop.get("anyOf", [])]
    return next((option for option in options if option.get("type") in ("integer", "number")), {})


def _key_enum(ref_prop: dict[str, Any], definitions: dict[str, Any]) -> list[Any] | None:
    names = _ref_option(ref_prop, "propertyNames")
    target = definitions.get(str(names.get("$ref", "")), names)
    return target.get("enum") if isinstance(target, dict) else None


def _patch(schema: Schema, reference: dict[str, Any], definitions: dict[str, Any]) -> None:
    """Copy the constraints of ``reference``'s properties, array items, map keys and values that
    ``schema`` lacks, and close it to unknown members if ``reference`` is."""
    if reference.get("additionalProperties") is False and schema.properties is not None:
        schema.additional_properties = False
    for name, prop in (schema.properties or {}).items():
        if not isinstance(prop, Schema):
            continue
        ref_prop = reference.get("properties", {}).get(name, {})
        if ref_prop.get("format") == "decimal":  # a string Litestar knows nothing of
            prop.format = "decimal"  # type: ignore[assignment]
            _copy(prop, ref_prop, {"pattern": "pattern", "description": "description"})
        _copy(prop, _number(ref_prop), _NUMBER_KEYS)  # beside a nullable's options, as Litestar puts them
        for option in [prop, *(prop.one_of or [])]:
            if not isinstance(option, Schema):
                continue
            if isinstance(option.items, Schema):
                _copy(option.items, _ref_option(ref_prop, "items"))
            if isinstance(option.additional_properties, Schema):
                _copy(option.additional_properties, _ref_option(ref_prop, "additionalProperties"))
                keys = _key_enum(ref_prop, definitions)
                if keys and option.property_names is None:
                    option.property_names = Schema(type=OpenAPIType.STRING, enum=keys)


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
            _patch(component, reference, definitions)
