"""The examples of each operation's 403, 409, 410, 412 and 422: what that operation really answers.

:func:`~govservice.api.problems.problems` declares the statuses an operation can answer with; the
examples of these five come from here, replacing any Litestar put there:

- 403: the route's own :class:`~govservice.api.security.RoleGuard` refusal (``role_required`` naming
  its roles), then the service's (:data:`~govservice.api.problem_examples.PROBLEM_EXAMPLES`); an
  operation any token may call shows the app-wide guard's ``assessor_confined``;
- 409, 410, 412, 422: the table's, beside the Idempotency-Key's 409/422 (:mod:`.openapi_polish`);
- a status the table names that the operation did not list is added: the table says what the code does.

A status left without an example fails ``tests/api/test_openapi.py`` (every problem has one).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import Example, OpenAPIMediaType, OpenAPIResponse, Operation, Reference

from govservice.api.openapi_polish import KEY_PROBLEMS
from govservice.api.problem_examples import PROBLEM_EXAMPLES, Said
from govservice.api.problems import PROBLEM_MEDIA_TYPE, problem_example
from govservice.api.security import ASSESSMENT_PATH, RoleGuard

SPECIFIC = ("403", "409", "410", "412", "422")
_METHODS = ("get", "put", "post", "delete", "patch")
_KEYED = frozenset(code for _, code, _ in KEY_PROBLEMS)
_CONFINED = Said(403, "assessor_confined", "an assessor reads the assessment API and public pages only")


def _role_refusals(app: Litestar) -> dict[str, str]:
    """Operation id -> what its role guard answers a token without the role."""
    refusals: dict[str, str] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            guards = [g for layer in handler.ownership_layers for g in layer.guards or []]
            roles = [g for g in guards if isinstance(g, RoleGuard)]
            if isinstance(handler.operation_id, str) and roles:
                refusals[handler.operation_id] = roles[-1].refusal
    return refusals


def _said(operation: Operation, path: str, refusal: str | None) -> list[Said]:
    said = list(PROBLEM_EXAMPLES.get(operation.operation_id or "", ()))
    if refusal is not None:
        said.insert(0, Said(403, "role_required", refusal))
    elif operation.security and not path.startswith(ASSESSMENT_PATH + "/"):
        said.insert(0, _CONFINED)
    return said


def _examples(said: list[Said]) -> dict[str, Example]:
    examples: dict[str, Example] = {}
    for entry in said:
        name, n = entry.code, 1
        while name in examples:  # the guard's role_required and the service's
            n += 1
            name = f"{entry.code}_{n}"
        examples[name] = problem_example(entry.status, entry.code, entry.detail, **(entry.fields or {}))
    return examples


def _response(responses: dict[str, Any], status: str) -> OpenAPIResponse:
    """The operation's response for ``status``, added (with its siblings' headers) if it has none."""
    existing = responses.get(status)
    if isinstance(existing, OpenAPIResponse):
        return existing
    headers = next(
        (r.headers for s, r in responses.items() if s.startswith("4") and isinstance(r, OpenAPIResponse)),
        None,
    )
    response = responses[status] = OpenAPIResponse(
        description=HTTPStatus(int(status)).phrase,
        headers=headers,
        content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=Reference("#/components/schemas/Problem"))},
    )
    return response


def _publish(operation: Operation, said: list[Said]) -> None:
    responses: dict[str, Any] = operation.responses if operation.responses is not None else {}
    for status in SPECIFIC:
        mine = [entry for entry in said if str(entry.status) == status]
        if status not in responses and not mine:
            continue
        media = (_response(responses, status).content or {})[PROBLEM_MEDIA_TYPE]
        keyed = {name: ex for name, ex in (media.examples or {}).items() if name in _KEYED}
        media.examples = {**_examples(mine), **keyed}
    operation.responses = dict(sorted(responses.items()))


def publish_problem_examples(app: Litestar) -> None:
    refusals = _role_refusals(app)
    for path, path_item in (app.openapi_schema.paths or {}).items():
        for method in _METHODS:
            operation = getattr(path_item, method, None)
            if operation is not None:
                _publish(operation, _said(operation, path, refusals.get(operation.operation_id or "")))
