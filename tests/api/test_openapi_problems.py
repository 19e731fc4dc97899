"""The error examples of the OpenAPI document are the operation's own: each names a code the code base
raises, operations on different resources do not share one, and the server answers as they say."""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from typing import Any

import httpx

from govservice.api.openapi_polish import KEY_PROBLEMS
from govservice.api.openapi_problems import SPECIFIC
from govservice.api.problem_examples import PROBLEM_EXAMPLES
from govservice.config import PROJECT_ROOT
from tests.api.apps_helpers import ENT_A, create
from tests.api.test_openapi import COMMITTED, PROBLEM, operations
from tests.conftest import TokenFactory

PACKAGE = PROJECT_ROOT / "govservice"
# Where the examples are written: a code found only here is one no code raises.
EXAMPLE_SOURCES = {
    PACKAGE / "api" / "openapi_problems.py",
    *(PACKAGE / "api" / "problem_examples").glob("*.py"),
}
KEYED = {code for _, code, _ in KEY_PROBLEMS}


def _document() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _examples(operation: dict[str, Any], status: str) -> list[dict[str, Any]]:
    media = operation["responses"].get(status, {}).get("content", {}).get(PROBLEM, {})
    return [example["value"] for example in media.get("examples", {}).values()]


def _string_literals() -> set[str]:
    """Every string constant of govservice/ outside the examples, docstrings included (harmless)."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if path in EXAMPLE_SOURCES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_every_example_names_a_code_the_code_base_raises() -> None:
    literals = _string_literals()
    unknown = [
        f"{operation['operationId']} {status}: {example['code']}"
        for _, _, operation in operations(_document())
        for status in SPECIFIC
        for example in _examples(operation, status)
        if example["code"] not in literals
    ]
    assert not unknown, "codes no code raises:\n" + "\n".join(unknown)


def test_the_table_names_only_operations_of_the_document() -> None:
    ids = {operation["operationId"] for _, _, operation in operations(_document())}
    assert not PROBLEM_EXAMPLES.keys() - ids


def test_operations_on_different_resources_share_no_conflict_or_rule_example() -> None:
    users: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for path, _, operation in operations(_document()):
        resource = path.removeprefix("/api/v1/").split("/")[0]
        for status in ("409", "422"):
            for example in _examples(operation, status):
                if example["code"] not in KEYED:
                    users[(status, example["code"], example["detail"], resource)].add(
                        operation["operationId"]
                    )
    by_example: dict[tuple[str, str, str], dict[str, set[str]]] = defaultdict(dict)
    for (status, code, detail, resource), ids in users.items():
        by_example[(status, code, detail)][resource] = ids
    shared = {example: owners for example, owners in by_example.items() if len(owners) > 1}
    assert not shared, shared


async def test_the_server_answers_as_the_examples_say(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    ops = {operation["operationId"]: operation for _, _, operation in operations(_document())}
    applicant = auth("applicant", ent=ENT_A)

    refused = await client.post("/api/v1/matters", json={}, headers=applicant)
    assert refused.status_code == 403
    assert refused.json()["detail"] in {e["detail"] for e in _examples(ops["publishMatter"], "403")}

    draft = await create(client, applicant)
    early = await client.post(
        f"/api/v1/applications/{draft['id']}/evaluation", json={"stars": 5}, headers=applicant
    )
    assert early.status_code == 422
    said = {(e["code"], e["detail"]) for e in _examples(ops["rateApplication"], "422")}
    assert (early.json()["code"], early.json()["detail"]) in said
