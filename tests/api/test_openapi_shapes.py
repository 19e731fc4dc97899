"""The OpenAPI document states the shapes and constraints the server enforces: no anonymous object
where the shape is known, request bodies closed to unknown members as the server is, no parameter
that may be null, and the bounds Litestar would leave out (0, an enum's map keys, a USCC's alphabet)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from govservice.domain.uscc import PATTERN, is_valid_uscc
from tests.api.apps_helpers import ENT_A, create
from tests.api.test_openapi import COMMITTED, operations
from tests.conftest import TokenFactory

# An open map by design: the problem's code says what is in it (state, reasons, version, year...).
OPEN_BY_DESIGN = {"schemas/Problem/properties/extra/oneOf[0]"}


def _document() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _anonymous_objects(node: Any, where: str) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if (
            node.get("type") == "object"
            and not node.get("properties")
            and node.get("additionalProperties")
            in (
                None,
                True,
                {},
            )
        ):
            found.append(where)
        for key, value in node.items():
            found += _anonymous_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _anonymous_objects(value, f"{where}[{index}]")
    return found


def test_no_anonymous_object_where_the_shape_is_known() -> None:
    schemas = _document()["components"]["schemas"]
    assert set(_anonymous_objects(schemas, "schemas")) == OPEN_BY_DESIGN
    notice = schemas["DecisionNoticeView"]
    assert notice["properties"]["kind"]["const"] == "decision"
    assert notice["properties"]["body"]["$ref"].endswith("/DecisionNoticeBody")


def test_json_bodies_are_closed_to_unknown_members_and_parameters_never_null() -> None:
    document = _document()
    schemas = document["components"]["schemas"]
    wrong: list[str] = []
    for path, method, operation in operations(document):
        media = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if media is not None:
            options = media["schema"].get("anyOf", [media["schema"]])
            for option in options:
                component = schemas[option["$ref"].rsplit("/", 1)[-1]]
                if component.get("additionalProperties") is not False:
                    wrong.append(f"{method.upper()} {path}: {option['$ref']} is open")
        for parameter in operation.get("parameters", []):
            if "null" in json.dumps(parameter["schema"]):
                wrong.append(f"{method.upper()} {path}: parameter {parameter['name']} may be null")
    assert not wrong, "\n".join(wrong)


def test_the_bounds_litestar_leaves_out_are_stated() -> None:
    schemas = _document()["components"]["schemas"]
    assert schemas["ServiceRecordIn"]["properties"]["attendees"]["minimum"] == 0
    assert schemas["AppealDecision"]["properties"]["score"]["minimum"] == 0
    answers = schemas["CheckRecord"]["properties"]["answers"]["oneOf"][0]["additionalProperties"]
    assert (answers["minimum"], answers["maximum"]) == (1, 5)
    routes = schemas["MatterGuide"]["properties"]["processes"]["propertyNames"]["enum"]
    assert set(routes) == {"standard", "tolerant", "commitment"}
    for component, name in [
        ("ApplicationCreate", "enterpriseUscc"),
        ("EnrolmentIn", "uscc"),
        ("PlanIn", "uscc"),
    ]:
        prop = schemas[component]["properties"][name]
        assert PATTERN in json.dumps(prop), (component, name)


def _usccs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k in ("uscc", "enterpriseUscc") and isinstance(v, str)]
        return found + [u for value in node.values() for u in _usccs(value)]
    if isinstance(node, list):
        return [u for value in node for u in _usccs(value)]
    return []


def test_the_request_examples_name_valid_usccs() -> None:
    """A fuzzer sends the examples first: one with a wrong check character is refused (422)."""
    bodies = [operation.get("requestBody", {}) for _, _, operation in operations(_document())]
    usccs = _usccs(bodies)
    assert usccs and [u for u in usccs if not is_valid_uscc(u)] == []


async def test_the_server_refuses_what_the_schema_rules_out(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    applicant = auth("applicant", ent=ENT_A)
    draft = await create(client, applicant)
    for if_match in ("null", '"three"'):
        refused = await client.post(
            f"/api/v1/applications/{draft['id']}/actions/withdraw",
            json={},
            headers={**applicant, "If-Match": if_match},
        )
        assert refused.status_code == 400, if_match
    clerk = auth("clerk", unit="FR-APPROVAL")
    window = {"matterCode": "FR-PGP-OPENING", "channel": "window", "enterpriseUscc": "91350100M0001OOY43"}
    refused = await client.post("/api/v1/applications", json=window, headers=clerk)
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "enterpriseUscc"
    admin = auth("admin")
    hook = {"url": "http://user:secret@receiver.example.com/hooks", "events": ["*"]}
    assert (await client.post("/api/v1/webhooks", json=hook, headers=admin)).status_code == 400
