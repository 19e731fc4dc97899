"""An application as the subject of actions: what each action needs in its payload, and that an
applicant acts only on its own enterprise's applications. The rest is the process's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import ApplicationRow
from govservice.domain.actor import Actor, Role
from govservice.errors import BadRequest, Forbidden
from govservice.services.actions import ActionSubject, AuditRecord
from govservice.services.applications.inspection import check_inspection_payload
from govservice.services.applications.reads import ApplicationReads
from govservice.services.applications.views import ApplicationView
from govservice.services.audit.service import Kind
from govservice.services.engine import CaseView
from govservice.workflow import ActionOption

_PAYLOAD_NEEDS = {
    "refuse_acceptance": ("reasons", "the reasons for refusing acceptance"),
    "deny": ("reasons", "the reasons for the denial"),
    "extend": ("reason", "the reason for the extension, sent to the applicant"),
    "hold": ("reason", "why the clock stops: inspection, testing, expert_review or hearing"),
    "fail_post_check": ("comment", "what did not match the commitment"),
    "fail_recheck": ("comment", "what is still not corrected"),
    "assign_inspector": ("inspector", "the inspector of the unit who inspects the place"),
}
HOLD_REASONS = frozenset({"inspection", "testing", "expert_review", "hearing"})
OTHER_ENTERPRISE = "this is another enterprise's application"


class ApplicationActions(ActionSubject[ApplicationRow, ApplicationView]):
    def __init__(self, reads: ApplicationReads) -> None:
        self._reads = reads

    def validate(self, action: str, payload: Mapping[str, Any]) -> None:
        check_inspection_payload(action, payload)
        need = _PAYLOAD_NEEDS.get(action)
        if need and not payload.get(need[0]):
            raise BadRequest(
                f"{action} needs {need[1]}",
                code="validation_failed",
                errors=[{"field": need[0], "message": f"required for {action}"}],
            )
        if action == "hold" and payload.get("reason") not in HOLD_REASONS:
            raise BadRequest(
                "the clock stops only for inspection, testing, expert_review or hearing (art. 45)",
                code="validation_failed",
                errors=[{"field": "reason", "message": "one of " + ", ".join(sorted(HOLD_REASONS))}],
            )

    async def load(self, session: AsyncSession, actor: Actor, subject_id: int) -> ApplicationRow:
        return await self._reads._load(session, subject_id, actor)

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
        if _other_enterprise(actor, loaded):
            raise Forbidden(OTHER_ENTERPRISE, code="other_enterprise")

    def audit(
        self, loaded: ApplicationRow, action: str, payload: Mapping[str, Any], case: CaseView
    ) -> AuditRecord:
        return AuditRecord(
            Kind.DECISION if case.outcome is not None else Kind.CHANGE,
            action,
            f"application:{loaded.id}",
            loaded.enterprise_uscc,
            loaded.unit,
            {"state": case.state, "outcome": case.outcome},
        )

    async def view(
        self, session: AsyncSession, actor: Actor, loaded: ApplicationRow, case: CaseView
    ) -> ApplicationView:
        # The effects changed ``loaded`` itself (the same object: application_for_case finds it loaded).
        (view,) = await self._reads._views(session, actor, [loaded], {case.id: case})
        return view

    def option(self, actor: Actor, loaded: ApplicationRow, option: ActionOption) -> ActionOption:
        """An applicant's roles allow the applicant actions of every application; only its own count."""
        if option.allowed and _other_enterprise(actor, loaded):
            return msgspec.structs.replace(option, allowed=False, reasons=(OTHER_ENTERPRISE,))
        return option


def _other_enterprise(actor: Actor, app: ApplicationRow) -> bool:
    return actor.has(Role.APPLICANT) and not actor.is_staff and actor.ent != app.enterprise_uscc
