"""The action use case's own promise: an action is one unit of work. An effect that fails after the
step takes back the step, its event, its outbox row, the subject's changes and the audit entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import ApplicationRow, AuditEntryRow, WorkflowEventRow, WorkflowOutboxRow
from govservice.domain.actor import Actor, Role
from govservice.errors import RuleViolation
from govservice.services.actions import ActionSubject, ActionUseCase, AuditRecord, Effect
from govservice.services.audit.service import Kind
from govservice.services.engine import CaseView
from tests.api.apps_helpers import ENT_A, create, upload_all
from tests.conftest import TokenFactory


class Filing(ActionSubject[ApplicationRow, str]):
    """An application, plain: the view is the case's state."""

    def __init__(self, effects: Mapping[str, Effect[ApplicationRow]]) -> None:
        self.effects = effects

    async def load(self, session: AsyncSession, actor: Actor, subject_id: int) -> ApplicationRow:
        return await session.get_one(ApplicationRow, subject_id)

    def case_id(self, loaded: ApplicationRow) -> int:
        return loaded.case_id

    async def check(
        self,
        session: AsyncSession,
        actor: Actor,
        loaded: ApplicationRow,
        action: str,
        payload: Mapping[str, Any],
    ) -> None:
        pass

    def audit(
        self, loaded: ApplicationRow, action: str, payload: Mapping[str, Any], case: CaseView
    ) -> AuditRecord:
        return AuditRecord(
            Kind.CHANGE, action, f"application:{loaded.id}", loaded.enterprise_uscc, loaded.unit
        )

    async def view(self, session: AsyncSession, actor: Actor, loaded: ApplicationRow, case: CaseView) -> str:
        return case.state


async def fail_after_a_change(
    session: AsyncSession, actor: Actor, loaded: ApplicationRow, case: CaseView, payload: Mapping[str, Any]
) -> None:
    loaded.priority = True
    await session.flush()  # the change is written: only the rollback can take it back
    raise RuleViolation("the effect refused", code="effect_refused")


async def traces(app: Any, application_id: int) -> tuple[int, int, int, bool]:
    """The application's events, outbox rows and ``file`` audit entries, and its priority."""
    async with app.state.services.ctx.sessions() as session:
        row = await session.get_one(ApplicationRow, application_id)
        events = await session.scalar(
            select(func.count()).select_from(WorkflowEventRow).where(WorkflowEventRow.case_id == row.case_id)
        )
        outbox = await session.scalar(
            select(func.count())
            .select_from(WorkflowOutboxRow)
            .where(WorkflowOutboxRow.case_id == row.case_id)
        )
        entries = await session.scalar(
            select(func.count())
            .select_from(AuditEntryRow)
            .where(AuditEntryRow.subject == f"application:{application_id}", AuditEntryRow.action == "file")
        )
        return events or 0, outbox or 0, entries or 0, row.priority


async def test_a_failing_effect_takes_back_the_step_and_its_audit_entry(
    app: Any, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    applicant = auth("applicant", sub="user-a", ent=ENT_A)
    draft = await create(client, applicant)
    await upload_all(client, applicant, draft)
    services = app.state.services
    actions = ActionUseCase(services.ctx, services.engine, services.audit)
    actor = Actor(sub="user-a", roles=frozenset({Role.APPLICANT}), ent=ENT_A)
    before = await traces(app, draft["id"])

    with pytest.raises(RuleViolation):
        await actions.act(Filing({"file": fail_after_a_change}), actor, draft["id"], "file", {})
    assert await traces(app, draft["id"]) == before
    shown = (await client.get(f"/api/v1/applications/{draft['id']}", headers=applicant)).json()
    assert (shown["state"], shown["version"]) == ("draft", draft["version"])

    # The same action without the failing effect leaves every trace.
    assert await actions.act(Filing({}), actor, draft["id"], "file", {}) == "submitted"
    events, outbox, entries, priority = await traces(app, draft["id"])
    assert (events, outbox, entries, priority) == (before[0] + 1, before[1] + 1, 1, False)
