"""What makes the OpenAPI document generate a clean client, added after Litestar has built it.

- ``info.license``/``contact`` and a global ``tags`` list, in the order a reader meets them;
- ``security: []`` on public operations, so a client knows they need no token;
- query and header parameters that are never null (Litestar writes ``str | None`` as string-or-null);
- ``Idempotency-Key`` on every authenticated POST (:mod:`govservice.api.idempotency` honours it there)
  with the ``Idempotent-Replayed`` header its replays carry and the 409/422 a key can bring;
- files (``qr.svg``, PDFs, evidence) as ``format: binary``, so generated clients return bytes;
- the media types each upload's file part may have (:mod:`govservice.api.openapi_uploads`);
- component names a client can use as class names: Litestar names generic pages
  ``Page_govservice.services.applications.views.ApplicationView_`` and two Structs of one name
  ``applications_views_InspectionView``; they become ``ApplicationPage`` and ``ApplicationInspectionView``.
"""

from __future__ import annotations

import dataclasses
import re
from http import HTTPStatus
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    Contact,
    Example,
    License,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    Tag,
)

from govservice.api.idempotency import MAX_KEY
from govservice.api.openapi_uploads import declare_upload_types
from govservice.api.problems import PROBLEM_MEDIA_TYPE, problem_example

_METHODS = ("get", "put", "post", "delete", "patch")
_JSON_TYPES = ("application/json", "application/problem+json")
_REF_PREFIX = "#/components/schemas/"

TAGS = (
    ("catalogue", "Matters and their service guides: what can be applied for, with which materials."),
    ("applications", "Applications on the standard, tolerant-deficiency and commitment routes, to decision."),
    ("licences", "E-licences: verify one by its number (no token), and its QR code."),
    ("evaluations", "Ratings of a service after the decision, and the work orders a bad one opens."),
    ("enterprises", "Enterprises by USCC: name changes, credit repairs, what they may see of themselves."),
    ("enforcement", "Inspections, evidence, violation cases and first-offense waivers."),
    ("key enterprises", "Key fire-safety enterprises: registry, yearly check-ups, requests and care."),
    ("quality review", "Case-file quality review: rounds, panels, scoring, appeals and rectification."),
    ("assessment", "Indicators, pseudonymised records and event logs for assessors."),
    ("audit", "The data-access log and the audit chain."),
    ("webhooks", "Subscriptions to events, signed by the Standard Webhooks scheme, and their deliveries."),
    ("public", "The public board: figures anyone may see."),
    ("system", "Health, metrics and the keys that verify tokens and licences."),
)

_IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key",
    param_in="header",
    required=False,
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=MAX_KEY),
    description="Your key for this request: sent again with the same body it replays the first "
    "response (with `Idempotent-Replayed: true`) instead of doing the work twice; with another body "
    "it is 422; while the first is still running, 409. Keys are per token subject and expire.",
)
_REPLAYED = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
    description="Present on a response replayed for a repeated Idempotency-Key.",
)


def _operations(app: Litestar) -> list[tuple[str, Operation]]:
    return [
        (method, operation)
        for path_item in (app.openapi_schema.paths or {}).values()
        for method in _METHODS
        if (operation := getattr(path_item, method, None)) is not None
    ]


def _binary_files(operation: Operation) -> None:
    for response in (operation.responses or {}).values():
        if not isinstance(response, OpenAPIResponse):
            continue
        for media_type, media in (response.content or {}).items():
            textual = media_type.startswith("text/") or media_type in _JSON_TYPES
            if not textual and isinstance(media.schema, Schema) and media.schema.type == OpenAPIType.STRING:
                media.schema.format = OpenAPIFormat.BINARY


KEY_PROBLEMS = (
    (409, "idempotency_in_progress", "a request with this Idempotency-Key is still running; retry shortly"),
    (422, "idempotency_key_reused", "this Idempotency-Key was already used for a different request"),
)


def _without_null(parameter: Parameter) -> None:
    """A query or header value is sent or not, never null: ``str | None`` is the one option, with
    the bounds Litestar put beside the options (clients and fuzzers otherwise send the text null)."""
    schema = parameter.schema
    if not isinstance(schema, Schema) or not schema.one_of:
        return
    options = [o for o in schema.one_of if not (isinstance(o, Schema) and o.type == OpenAPIType.NULL)]
    if len(options) != 1 or len(options) == len(schema.one_of):
        return
    (option,) = options
    beside = {f.name: v for f in dataclasses.fields(schema) if (v := getattr(schema, f.name)) is not None}
    beside.pop("one_of")
    if isinstance(option, Schema):
        parameter.schema = dataclasses.replace(option, **beside)
    else:
        parameter.schema = Schema(all_of=[option], **beside) if beside else option


def _body_examples(operation: Operation) -> None:
    """A request body's schema as its component itself, and Litestar's ``allOf`` wrapper's examples
    as the media type's: a form's file fields are then found by tools that do not look through
    ``allOf`` (schemathesis sent them as text), and a client sees the component directly."""
    body = operation.request_body
    if not isinstance(body, RequestBody):
        return
    for media in body.content.values():
        schema = media.schema
        if not isinstance(schema, Schema) or not schema.all_of or len(schema.all_of) != 1:
            continue
        rest = {f.name for f in dataclasses.fields(schema) if getattr(schema, f.name) is not None}
        if rest - {"all_of", "examples"}:
            continue
        media.schema = schema.all_of[0]
        if isinstance(schema.examples, list):
            media.examples = {
                f"example-{n}": Example(value=value) for n, value in enumerate(schema.examples, 1)
            }


_CURSOR = (
    "Opaque: the `nextCursor` of the previous page, sent as it was given (anything else is 400 "
    "`invalid_cursor`)."
)


def _idempotency(operation: Operation) -> None:
    """The key's header, the replay marker, and the two problems any keyed POST can answer with."""
    operation.parameters = [*(operation.parameters or []), _IDEMPOTENCY_KEY]
    responses = operation.responses if operation.responses is not None else {}
    for key, answer in responses.items():
        if key.startswith("2") and isinstance(answer, OpenAPIResponse):
            answer.headers = {**(answer.headers or {}), "Idempotent-Replayed": _REPLAYED}
    problem_headers = next(
        (
            r.headers
            for s, r in responses.items()
            if str(s).startswith("4") and isinstance(r, OpenAPIResponse)
        ),
        None,
    )
    for status, code, detail in KEY_PROBLEMS:
        example = problem_example(status, code, detail)
        existing = responses.get(str(status))
        response = existing if isinstance(existing, OpenAPIResponse) else None
        if response is None:
            response = responses[str(status)] = OpenAPIResponse(
                description=HTTPStatus(status).phrase,
                headers=problem_headers,
                content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=Reference(_REF_PREFIX + "Problem"))},
            )
        media = (response.content or {})[PROBLEM_MEDIA_TYPE]
        media.examples = {**(media.examples or {}), code: example}
    operation.responses = dict(sorted(responses.items()))


def _rename(node: Any, names: dict[str, str]) -> None:
    """Point every schema reference under ``node`` at the new names."""
    if isinstance(node, Reference):
        name = node.ref.removeprefix(_REF_PREFIX)
        if name in names:
            node.ref = _REF_PREFIX + names[name]
    elif isinstance(node, dict):
        for value in node.values():
            _rename(value, names)
    elif isinstance(node, list | tuple):
        for value in node:
            _rename(value, names)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            _rename(getattr(node, field.name), names)


_QUALIFIED = re.compile(r"^([a-z_]+)_views_([A-Za-z]+)$")
_PAGE = re.compile(r"^Page_.*\.([A-Za-z]+)_$")


def _new_names(schemas: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for name in schemas:
        qualified = _QUALIFIED.match(name)
        if qualified:
            package, struct = qualified.groups()
            names[name] = package.removesuffix("s").title().replace("_", "") + struct
    for name, schema in schemas.items():
        page = _PAGE.match(name)
        if page and isinstance(schema, Schema) and isinstance(schema.properties, dict):
            items = schema.properties["items"]
            ref = items.items.ref if isinstance(items, Schema) and isinstance(items.items, Reference) else ""
            item = ref.removeprefix(_REF_PREFIX)
            names[name] = re.sub(r"(View|Out)$", "", names.get(item, item)) + "Page"
    return names


def _component_names(app: Litestar) -> None:
    components: Components = app.openapi_schema.components
    schemas = components.schemas or {}
    names = _new_names(schemas)
    if len(set(names.values()) | (schemas.keys() - names.keys())) != len(schemas):
        raise RuntimeError(f"two OpenAPI components would share a name: {sorted(names.values())}")
    _rename(app.openapi_schema, names)
    components.schemas = {names.get(name, name): schema for name, schema in schemas.items()}
    for new in names.values():
        schema = components.schemas[new]
        if isinstance(schema, Schema):
            schema.title = new


def polish_openapi(app: Litestar) -> None:
    document = app.openapi_schema
    document.info.license = License(name="Apache-2.0", identifier="Apache-2.0")
    document.info.contact = Contact(name="govservice maintainers", email="govservice@example.com")
    used = {tag for _, operation in _operations(app) for tag in operation.tags or []}
    known = [name for name, _ in TAGS]
    if used - set(known):
        raise RuntimeError(f"operations tagged without a description in TAGS: {sorted(used - set(known))}")
    document.tags = [Tag(name=name, description=text) for name, text in TAGS if name in used]
    for method, operation in _operations(app):
        _binary_files(operation)
        _body_examples(operation)
        for parameter in operation.parameters or []:
            if isinstance(parameter, Parameter):
                _without_null(parameter)
                if parameter.name == "cursor" and parameter.param_in == "query":
                    parameter.description = parameter.description or _CURSOR
        if not operation.security:
            operation.security = []
        elif method == "post":
            _idempotency(operation)
    declare_upload_types((operation for _, operation in _operations(app)), document.components)
    _component_names(app)
