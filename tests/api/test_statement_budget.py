"""SQL statements per lifecycle request, counted by a SQLAlchemy event listener: an upper bound per
request and database, so that a request that starts reading row by row, or splits into several
transactions, fails here. ``BEGIN`` is not counted (no statement of the use case).

Issue 13's targets are a GET 4, an upload 5, an action 8. PostgreSQL meets them: a step's case
UPDATE, event, outbox row and timers are one statement there (data-modifying CTEs,
:mod:`govservice.services.engine_store_pg`). SQLite has no such CTEs and writes them one by one (2 to 4
statements where PostgreSQL has 1: triggers write the outbox row with the event and end a finished
case's timers with its UPDATE); its statements are calls into the same process, not round trips.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.apps_helpers import APPROVAL, ENT_A, FINDINGS, INSPECTOR, PDF, act, colleague, create, upload
from tests.conftest import TokenFactory

# An action: the application with its case, enterprise, materials and licence (one SELECT); the
# step (see above); the application's UPDATE; the rows the effects add (the licence, the notice);
# the audit entry; last, one upsert of the assessor counts (every row the step adds to: an approval
# adds to the decided and the concluded row). A GET: that SELECT and the audit entry. An upload:
# that SELECT, the material's row and the audit entry. The public licence check: one SELECT.
BUDGETS = {
    "postgresql": {"create": 7, "upload": 3, "get": 2, "file": 5, "accept": 5, "assign_inspector": 4},
    "sqlite": {"create": 8, "upload": 3, "get": 2, "file": 7, "accept": 8, "assign_inspector": 5},
}
BUDGETS["postgresql"] |= {"record_inspection": 5, "approve": 7, "verify": 1}
BUDGETS["sqlite"] |= {"record_inspection": 8, "approve": 8, "verify": 1}


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_every_lifecycle_request_stays_within_its_statement_budget(
    client: httpx.AsyncClient, engine: AsyncEngine, auth: TokenFactory
) -> None:
    budget = BUDGETS[engine.dialect.name]
    applicant = auth("applicant", sub="user-a", ent=ENT_A)
    clerk = auth("clerk", sub="clerk-1", unit=APPROVAL)
    head = colleague(clerk, "supervisor", "head-of-unit")
    inspector = colleague(clerk, "inspector", INSPECTOR)
    await create(client, applicant)  # warm the catalogue caches

    taken: dict[str, int] = {}

    async def counted(request: str, call: Awaitable[Any]) -> Any:
        with counting(engine) as statements:
            result = await call
        taken[request] = max(taken.get(request, 0), len(statements))
        assert len(statements) <= budget[request], f"{request}:\n" + "\n".join(statements)
        return result

    app = await counted("create", create(client, applicant))
    for material in app["materials"]:
        response = await counted("upload", upload(client, applicant, app["id"], material["code"], PDF))
        assert response.status_code == 201, response.text
    walk = [
        (applicant, "file", {}),
        (clerk, "accept", {}),
        (head, "assign_inspector", {"inspector": INSPECTOR}),
        (inspector, "record_inspection", {"result": "pass", "findings": FINDINGS}),
    ]
    for who, action, payload in walk:
        await counted(action, act(client, who, app["id"], action, **payload))
        response = await counted("get", client.get(f"/api/v1/applications/{app['id']}", headers=clerk))
        assert response.status_code == 200
    approved = await counted("approve", act(client, head, app["id"], "approve"))
    assert approved["state"] == "approved"
    verified = await counted("verify", client.get(f"/api/v1/licences/{approved['licenceNumber']}"))
    assert verified.status_code == 200
    assert set(taken) == set(budget)  # every request of the walk was counted
