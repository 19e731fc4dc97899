"""An application's own copies of its deadlines follow the engine's when an official calendar year
re-derives them (calendar_rollover): the 容缺 supplement deadline, the post-check deadline and the
on-site inspection's two (the inspection, the decision after it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from govservice.db.models import ApplicationRow
from govservice.services.applications.inspection import DECISION_TIMER, INSPECTION_TIMER
from govservice.services.applications.plugins import SUPPLEMENT_TIMER
from govservice.services.applications.records import POST_CHECK_STATES
from govservice.services.calendar_rollover import DeadlineChange
from govservice.services.engine_views import CaseView

APPS = ApplicationRow.__table__


async def follow_rederived(conn: AsyncConnection, case: CaseView, changes: Sequence[DeadlineChange]) -> None:
    values: dict[str, Any] = {}
    for change in changes:
        if change.deadline == SUPPLEMENT_TIMER:
            values["supplement_due_on"] = values["tolerant_due_on"] = change.new
        elif change.deadline == INSPECTION_TIMER:
            values["inspection_due_on"] = change.new
        elif change.deadline == DECISION_TIMER:
            values["decision_due_on"] = change.new
        elif change.timer_state in POST_CHECK_STATES:
            values["post_check_due_on"] = change.new
    if values:
        await conn.execute(update(APPS).where(APPS.c.case_id == case.id).values(**values))
