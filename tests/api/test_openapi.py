"""The OpenAPI document: committed = served, complete enough to use, and /docs works offline."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx

from govservice.api.openapi_export import openapi_document, render
from govservice.config import PROJECT_ROOT, Settings

COMMITTED = PROJECT_ROOT / "openapi" / "openapi.json"
PROBLEM = "application/problem+json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
SAME_ORIGIN = "http://testserver"
# Names reserved for documentation (RFC 2606, RFC 6761): problem `type` URIs (.invalid) and URLs in
# examples (example.com, .test). They are text in the embedded document, not resources of the page.
RESERVED_HOST = re.compile(r"(^|\.)(invalid|test|example|example\.(com|net|org))$")


async def served_document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in sorted(document["paths"].items())
        for method, operation in sorted(item.items())
        if method in METHODS
    ]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


# -- drift ---------------------------------------------------------------------------------


async def test_committed_document_equals_what_the_app_serves(client: httpx.AsyncClient) -> None:
    # The test app signs with another key than the exporter: equality also shows the document
    # does not depend on the key.
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    served = await served_document(client)
    assert committed == served, "openapi/openapi.json is stale: run `govservice openapi` and commit it"


def test_exporter_writes_exactly_the_committed_file(settings: Settings) -> None:
    assert render(openapi_document(settings)) == COMMITTED.read_text(encoding="utf-8"), (
        "openapi/openapi.json is stale: run `govservice openapi` and commit it"
    )


# -- quality -------------------------------------------------------------------------------


async def test_every_operation_has_a_unique_id_and_a_summary(client: httpx.AsyncClient) -> None:
    document = await served_document(client)
    ops = operations(document)
    ids = [op.get("operationId") for _, _, op in ops]
    assert all(ids), [f"{m.upper()} {p}" for p, m, op in ops if not op.get("operationId")]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    missing = [f"{m.upper()} {p}" for p, m, op in ops if not (op.get("summary") or "").strip()]
    assert not missing, f"operations without a summary: {missing}"


def _required_problems(operation: dict[str, Any]) -> set[str]:
    """The errors an operation can answer with, judged from its own description."""
    required: set[str] = set()
    # X-Request-ID never fails a request: one that does not fit is replaced (api/observe.py).
    params = [p for p in operation.get("parameters", []) if p["name"] != "X-Request-ID"]
    if params or "requestBody" in operation:
        required.add("400")  # a value that does not validate
    if "requestBody" in operation:
        required |= {"413", "415"}  # a body over the size limit / in another media type
    if any(p["in"] == "path" for p in params):
        required.add("404")  # the thing the path names does not exist
    if operation.get("security"):
        required |= {"401", "403"}  # no token / a token without the role
    return required


async def test_every_operation_documents_its_errors_as_problems(client: httpx.AsyncClient) -> None:
    document = await served_document(client)
    wrong: list[str] = []
    for path, method, operation in operations(document):
        responses = operation["responses"]
        name = f"{method.upper()} {path}"
        missing = _required_problems(operation) - responses.keys()
        if missing:
            wrong.append(f"{name}: undocumented {sorted(missing)}")
        for status, response in responses.items():
            if not status.startswith(("4", "5")):
                continue
            content = response.get("content", {})
            if set(content) != {PROBLEM}:
                wrong.append(f"{name} {status}: {sorted(content)} instead of {PROBLEM}")
                continue
            if resolve(document, content[PROBLEM]["schema"]).get("title") != "Problem":
                wrong.append(f"{name} {status}: schema is not Problem")
            if not content[PROBLEM].get("examples"):
                wrong.append(f"{name} {status}: no example")
    assert not wrong, "\n".join(wrong)


def _has_example(document: dict[str, Any], media: dict[str, Any]) -> bool:
    if media.get("example") is not None or media.get("examples"):
        return True
    schema = media.get("schema", {})
    candidates = [schema, resolve(document, schema)] + [resolve(document, s) for s in schema.get("allOf", [])]
    return any(s.get("examples") or s.get("example") is not None for s in candidates)


async def test_every_request_body_has_an_example(client: httpx.AsyncClient) -> None:
    document = await served_document(client)
    missing = [
        f"{method.upper()} {path} ({media_type})"
        for path, method, operation in operations(document)
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items()
        if not _has_example(document, media)
    ]
    assert not missing, f"request bodies without an example: {missing}"


# -- /docs offline -------------------------------------------------------------------------


class _Resources(HTMLParser):
    """Every URL the page would load: script src, link href, img src, and so on."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "srcset", "data", "action", "poster"} and value:
                self.urls.append((tag, value))


def _is_same_origin(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"", "data"} and not url.startswith("//"):
        return True
    return f"{parts.scheme}://{parts.netloc}" == SAME_ORIGIN


async def test_docs_page_loads_only_same_origin_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    parser = _Resources()
    parser.feed(page.text)
    tags = {tag for tag, _ in parser.urls}
    assert {"script", "link"} <= tags, "the page should load Swagger UI's script and stylesheet"
    for tag, url in parser.urls:
        assert _is_same_origin(url), f"<{tag}> loads {url} from another host"
        asset = await client.get(url)
        assert asset.status_code == 200, f"{url} is not served: {asset.status_code}"
        if tag == "script":
            assert "javascript" in asset.headers["content-type"]
        if url.endswith(".css"):
            assert asset.headers["content-type"].startswith("text/css")


async def test_docs_page_names_no_other_host(client: httpx.AsyncClient) -> None:
    page = (await client.get("/docs")).text
    hosts = {urlsplit(url).hostname or "" for url in re.findall(r"(?:https?:)?//[^\s\"'<>)]+", page)}
    foreign = {h for h in hosts if h != "testserver" and not RESERVED_HOST.search(h)}
    assert not foreign, f"/docs names other hosts: {sorted(foreign)}"


async def test_swagger_ui_does_not_call_its_online_validator(client: httpx.AsyncClient) -> None:
    # Swagger UI's one built-in request to another host (validator.swagger.io) must be off.
    page = (await client.get("/docs")).text
    config = page[page.index("SwaggerUIBundle({") :]
    assert re.search(r"validatorUrl:\s*null", config)


async def test_docs_stylesheet_fetches_nothing_from_elsewhere(client: httpx.AsyncClient) -> None:
    parser = _Resources()
    parser.feed((await client.get("/docs")).text)
    stylesheets = [url for tag, url in parser.urls if tag == "link" and url.endswith(".css")]
    assert stylesheets
    for url in stylesheets:
        css = (await client.get(url)).text
        assert "@import" not in css
        for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
            assert target.startswith("data:") or _is_same_origin(target), f"{url} loads {target[:80]}"


async def test_document_is_served_for_tools(client: httpx.AsyncClient) -> None:
    document = await served_document(client)
    assert document["openapi"].startswith("3.1")
