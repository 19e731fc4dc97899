"""What the processes name for the key-enterprise package: the green channel applied when an
application is filed, and the response line's escalation and answer.

The green channel is an effect of the processes' ``file`` transition, so it is applied by the
workflow engine in the filing step's transaction and reads the package in force: with
``greenChannel.enabled: false`` in the package file, filing changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select

from govservice.db.models import EnterpriseRequestRow
from govservice.domain.packages import green_channel_limit
from govservice.services.applications import records
from govservice.services.engine import EffectRun, EngineExtension
from govservice.services.key_enterprises.registry import active_enrolment
from govservice.workflow import EffectContext

KEY_ENTERPRISES = EngineExtension("key_enterprises")


def _no_pure_part(ctx: EffectContext) -> None:
    """Carried out by the key-enterprise module inside the step's transaction."""


KEY_ENTERPRISES.externals(_no_pure_part, "apply_green_channel", "record_escalation", "record_response")


@KEY_ENTERPRISES.effect_handler("apply_green_channel")
async def apply_green_channel(run: EffectRun) -> None:
    """A key enterprise enrolled today: its application sorts first in the clerks' queue, its
    promised limit is divided (rounded up, never above statutory) and it goes to the unit of the
    enterprise's adviser — each as the package says."""
    package = run.ctx.package
    if package is None or not package.green_channel.enabled:
        return
    app = await records.application_for_case(run.session, run.case.id)
    entry = await active_enrolment(run.session, app.enterprise_uscc, run.today)
    if entry is None:
        return
    channel = package.green_channel
    app.priority = channel.queue_priority
    app.promised_limit = green_channel_limit(app.promised_limit, app.statutory_limit, channel)
    if channel.assign_to_adviser_unit:
        app.unit = entry.adviser_unit


async def _request(run: EffectRun) -> EnterpriseRequestRow:
    row = await run.session.scalar(
        select(EnterpriseRequestRow).where(EnterpriseRequestRow.case_id == run.case.id)
    )
    assert row is not None, f"no request for case {run.case.id}"
    return row


@KEY_ENTERPRISES.effect_handler("record_escalation")
async def record_escalation(run: EffectRun) -> None:
    row = await _request(run)
    row.escalated_at = run.now


@KEY_ENTERPRISES.effect_handler("record_response")
async def record_response(run: EffectRun) -> None:
    row = await _request(run)
    row.responded_at = run.now
    row.responded_by = run.actor.sub if run.actor else "system"
    row.response = str(run.payload.get("response", ""))[:4000]
