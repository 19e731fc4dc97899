"""The OpenAPI document as integrators use it: a valid OpenAPI 3.1 document whose examples fit their
schemas, from which openapi-python-client generates a client without a warning, and that client runs
a whole case: create, upload, file, accept, inspect, approve, verify the licence, its QR as bytes."""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import msgspec
import pytest

from govservice.api.controllers.action_bodies import ACTION_BODIES
from govservice.api.controllers.applications import ActionRequest
from govservice.config import PROJECT_ROOT
from tests.api.apps_helpers import ENT_A, INSPECTOR, PDF, colleague
from tests.api.test_openapi import COMMITTED, PROBLEM, operations
from tests.conftest import TokenFactory

CLIENT_CONFIG = PROJECT_ROOT / "openapi" / "client-config.yaml"
PACKAGE = "govservice_client"


def test_the_document_is_valid_openapi() -> None:
    from openapi_spec_validator import validate

    validate(json.loads(COMMITTED.read_text(encoding="utf-8")))


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) of every example of a request or response body."""
    for path, method, operation in operations(document):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(status, response) for status, response in operation["responses"].items()]
        for status, body in bodies:
            for media_type, media in body.get("content", {}).items():
                where = f"{method.upper()} {path} {status} {media_type}"
                for name, example in (media.get("examples") or {}).items():
                    yield f"{where} examples.{name}", media["schema"], example["value"]
                if "example" in media:
                    yield f"{where} example", media["schema"], media["example"]


def test_every_example_is_valid_against_its_schema() -> None:
    from jsonschema import Draft202012Validator

    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    wrong: list[str] = []
    for where, schema, example in _examples(document):
        validator = Draft202012Validator({**schema, "components": document["components"]})
        wrong += [f"{where}: {error.message}" for error in validator.iter_errors(example)]
    for name, schema in document["components"]["schemas"].items():
        validator = Draft202012Validator({**schema, "components": document["components"]})
        for example in schema.get("examples", []):
            wrong += [f"components.{name}: {error.message}" for error in validator.iter_errors(example)]
    assert not wrong, "\n".join(wrong)


def _by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {operation["operationId"]: operation for _, _, operation in operations(document)}


def test_the_document_declares_what_a_client_sends_and_reads() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    ops = _by_id(document)
    assert document["info"]["license"]["identifier"] == "Apache-2.0" and document["info"]["contact"]
    tags = [tag["name"] for tag in document["tags"]]
    assert tags[:2] == ["catalogue", "applications"] and all(tag["description"] for tag in document["tags"])
    assert {t for _, _, op in operations(document) for t in op.get("tags", [])} <= set(tags)
    public = [op for op in ops.values() if not op.get("security")]
    assert ops["verifyLicence"] in public and all(op["security"] == [] for op in public)

    def headers(operation: dict[str, Any]) -> set[str]:
        return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}

    posts = [op for _, method, op in operations(document) if method == "post" and op.get("security")]
    assert posts and all("Idempotency-Key" in headers(op) for op in posts)
    assert "If-Match" in headers(ops["takeAction"])
    for operation_id, status in [
        ("getApplication", "200"),
        ("createApplication", "201"),
        ("takeAction", "200"),
    ]:
        assert "ETag" in ops[operation_id]["responses"][status]["headers"], operation_id
    for operation_id, media_type in [
        ("licenceQr", "image/svg+xml"),
        ("getEvidenceFile", "application/octet-stream"),
    ]:
        schema = ops[operation_id]["responses"]["200"]["content"][media_type]["schema"]
        assert schema["format"] == "binary", operation_id
    schemas = document["components"]["schemas"]
    assert "ApplicationPage" in schemas and not [name for name in schemas if not name.isidentifier()]
    assert schemas["Problem"]["properties"]["replacement"]["oneOf"][0]["$ref"].endswith("/Replacement")
    not_found = ops["getApplication"]["responses"]["404"]["content"][PROBLEM]["examples"]
    assert [example["value"]["code"] for example in not_found.values()] == ["application_not_found"]


def test_each_action_body_of_the_document_is_one_the_server_takes() -> None:
    """The per-action schemas are a view of ActionRequest: the same names, the same bounds."""
    served = msgspec.json.schema(ActionRequest)["$defs"]["ActionRequest"]["properties"]
    for body in ACTION_BODIES:
        documented = msgspec.json.schema(body)["$defs"][body.__name__]["properties"]
        for name, schema in documented.items():
            assert name in served, f"{body.__name__}.{name} is not a field of ActionRequest"
            nullable = {"anyOf": [schema, {"type": "null"}]}
            assert served[name] in (schema, nullable) or schema == served[name].get("anyOf", [None])[0], name


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[ModuleType]:
    """The client openapi-python-client generates from the committed document, imported."""
    generator = Path(sys.executable).with_name("openapi-python-client")
    if not generator.exists():
        pytest.skip("openapi-python-client is not installed (it is in the test extra)")
    result = subprocess.run(
        [str(generator), "generate", "--path", str(COMMITTED), "--config", str(CLIENT_CONFIG)]
        + ["--meta", "none", "--output-path", str(tmp_path / PACKAGE)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{generator.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _api(operation: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{operation}")


def _as(generated: ModuleType, app: Any, headers: dict[str, str]) -> Any:
    """A generated client that sends ``headers`` to the app under test."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    http.headers.update(headers)
    return generated.Client(base_url="http://testserver").set_async_httpx_client(http)


async def test_a_generated_client_runs_a_whole_case(
    generated: ModuleType, app: Any, auth: TokenFactory
) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")
    take_action = _api("applications.take_action").asyncio_detailed
    applicant = _as(generated, app, auth("applicant", sub="user-a", ent=ENT_A))
    clerk_headers = auth("clerk", sub="clerk-1", unit="FR-APPROVAL")
    clerk = _as(generated, app, clerk_headers)

    created = await _api("applications.create_application").asyncio_detailed(
        client=applicant,
        body=models.ApplicationCreate(
            matter_code="FR-PGP-OPENING", enterprise_name="成都某某餐饮管理有限公司"
        ),
        idempotency_key="create-1",
    )
    assert created.status_code == 201, created.content
    assert created.headers["ETag"] == f'"{created.parsed.version}"'
    app_id = created.parsed.id
    for material in created.parsed.materials:
        uploaded = await _api("applications.upload_material").asyncio_detailed(
            app_id,
            client=applicant,
            body=models.MaterialUpload(
                material=material.code, file=types.File(payload=io.BytesIO(PDF), file_name="doc.pdf")
            ),
        )
        assert uploaded.status_code == 201, uploaded.content

    async def act(who: Any, action: str, body: Any) -> Any:
        response = await take_action(app_id, action, client=who, body=body)
        assert response.status_code == 200, response.content
        return response.parsed

    assert (await act(applicant, "file", models.ActionComment())).state == "submitted"
    assert (await act(clerk, "accept", models.ActionComment(comment="complete"))).state == "inspecting"
    head = _as(generated, app, colleague(clerk_headers, "supervisor", "head-of-inspections"))
    await act(head, "assign_inspector", models.InspectorAssignment(inspector=INSPECTOR))
    inspector = _as(generated, app, colleague(clerk_headers, "inspector", INSPECTOR))
    record = models.InspectionRecord(result="pass", findings="evacuation routes clear")
    await act(inspector, "record_inspection", record)
    supervisor = _as(generated, app, auth("supervisor", sub="head-1", unit="FR-APPROVAL"))
    approved = await act(supervisor, "approve", models.ActionComment())
    assert approved.outcome == "approved" and approved.licence_number

    anyone = _as(generated, app, {})
    licence = await _api("licences.verify_licence").asyncio(approved.licence_number, client=anyone)
    assert isinstance(licence, models.LicenceView), licence
    assert licence.status == "valid" and licence.content.holder_uscc == ENT_A
    qr = await _api("licences.licence_qr").asyncio(approved.licence_number, client=anyone)
    assert isinstance(qr, types.File)
    svg = qr.payload.read()
    assert isinstance(svg, bytes) and svg.lstrip().startswith((b"<?xml", b"<svg"))
