"""The rectification an unqualified file opens for its unit, on the ``review_rectification``
process (15 working days, then overdue; the panel accepts the fix or returns it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import ReviewFileRow
from govservice.domain.actor import Actor, Role
from govservice.errors import Forbidden, RuleViolation
from govservice.services.actions import ActionSubject, ActionUseCase, AuditRecord
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.engine import CaseView, EngineService
from govservice.services.quality_review.access import in_unit, load_file
from govservice.services.quality_review.views import AppealView, RectificationView

PROCESS = "review_rectification"
SUBJECT_KIND = "review_rectification"
FIX_DAYS = 15  # the process's deadline; the case clock shows the same limit
UNIT_ACTIONS = frozenset({"report_fixed"})


class RectificationService:
    def __init__(self, engine: EngineService, audit: AuditLog, actions: ActionUseCase) -> None:
        self._engine = engine
        self._audit = audit
        self._actions = actions
        self._subject = RectificationActions()

    async def open(self, session: AsyncSession, actor: Actor, row: ReviewFileRow) -> None:
        """In the caller's unit of work (the score that made the file unqualified)."""
        case = await self._engine.start_case(
            PROCESS,
            session=session,
            subject_kind=SUBJECT_KIND,
            subject_ref=f"review_file:{row.id}",
            actor=actor,
            limit=FIX_DAYS,
        )
        row.rectification_case_id = case.id
        self._audit.add(
            session,
            actor,
            Kind.CHANGE,
            "open_review_rectification",
            f"review_file:{row.id}",
            enterprise=row.enterprise_uscc,
            unit=row.unit,
            detail={"caseId": case.id, "score": row.final_score},
        )

    async def view(self, session: AsyncSession, row: ReviewFileRow) -> RectificationView | None:
        if row.rectification_case_id is None:
            return None
        return rectification_view(await self._engine.get_case(row.rectification_case_id, session))

    @staticmethod
    def appeal_view(row: ReviewFileRow) -> AppealView | None:
        if row.appeal_reason is None:
            return None
        return AppealView(
            reason=row.appeal_reason, decision=row.appeal_decision, score_before=row.score_before_appeal
        )

    async def act(
        self,
        actor: Actor,
        file_id: int,
        action: str,
        payload: Mapping[str, Any],
        expected_version: int | None,
    ) -> RectificationView:
        return await self._actions.act(self._subject, actor, file_id, action, payload, expected_version)


class RectificationActions(ActionSubject[ReviewFileRow, RectificationView]):
    """``report_fixed`` by the file's unit; ``accept_fix`` / ``return_fix`` by an admin or a
    reviewer of another unit."""

    async def load(self, session: AsyncSession, actor: Actor, subject_id: int) -> ReviewFileRow:
        return await load_file(session, actor, subject_id)

    def case_id(self, loaded: ReviewFileRow) -> int:
        if loaded.rectification_case_id is None:
            raise RuleViolation("the file has no rectification", code="no_rectification")
        return loaded.rectification_case_id

    async def check(
        self,
        session: AsyncSession,
        actor: Actor,
        loaded: ReviewFileRow,
        action: str,
        payload: Mapping[str, Any],
    ) -> None:
        self.case_id(loaded)  # a file without a rectification: 422, whoever asks
        if action in UNIT_ACTIONS and not in_unit(actor, loaded.unit):
            raise Forbidden("the file's unit reports its fix", code="other_unit")
        if action not in UNIT_ACTIONS and not actor.has(Role.ADMIN, Role.REVIEWER):
            raise Forbidden("an admin or a panel reviewer checks the fix", code="role_required")
        if action not in UNIT_ACTIONS and actor.has(Role.REVIEWER) and actor.unit == loaded.unit:
            raise Forbidden("a reviewer does not check their own unit's fix", code="conflict_own_unit")

    def audit(
        self, loaded: ReviewFileRow, action: str, payload: Mapping[str, Any], case: CaseView
    ) -> AuditRecord:
        return AuditRecord(
            Kind.DECISION if action == "accept_fix" else Kind.CHANGE,
            action,
            f"review_file:{loaded.id}",
            loaded.enterprise_uscc,
            loaded.unit,
            {k: v for k, v in payload.items() if k == "comment"},
        )

    async def view(
        self, session: AsyncSession, actor: Actor, loaded: ReviewFileRow, case: CaseView
    ) -> RectificationView:
        return rectification_view(case)


def rectification_view(case: CaseView) -> RectificationView:
    return RectificationView(
        case_id=case.id, version=case.version, state=case.state, outcome=case.outcome, due_on=case.due_on
    )
