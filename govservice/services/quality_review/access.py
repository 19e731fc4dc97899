"""Who sees what in the quality review (one place): admins everything; a reviewer only the files
drawn for them, never their own unit's; a unit's staff their unit's files once scored. Anything
else answers 404, as another unit's record does everywhere."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import PanelMemberRow, ReviewFileRow, ReviewRoundRow, ReviewScoreRow
from govservice.domain.actor import Actor, Role
from govservice.domain.quality_review import Candidate
from govservice.errors import Forbidden, NotFound

UNIT_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.LEGAL)


def round_not_found(round_id: int) -> NotFound:
    return NotFound(f"review round {round_id} does not exist", code="review_round_not_found")


def file_not_found(file_id: int) -> NotFound:
    return NotFound(f"review file {file_id} does not exist", code="review_file_not_found")


async def load_round(session: AsyncSession, round_id: int) -> ReviewRoundRow:
    row = await session.get(ReviewRoundRow, round_id)
    if row is None:
        raise round_not_found(round_id)
    return row


async def panel_member(session: AsyncSession, actor: Actor) -> PanelMemberRow:
    """The calling reviewer's active panel membership (403 without one)."""
    member = await session.get(PanelMemberRow, actor.sub)
    if member is None or not member.active:
        raise Forbidden("the caller is not an active member of the review panel", code="not_on_panel")
    return member


def candidate(member: PanelMemberRow) -> Candidate:
    return Candidate(sub=member.sub, kind=member.kind, unit=member.unit)


async def is_assigned(session: AsyncSession, actor: Actor, file_id: int) -> bool:
    found = await session.scalar(
        select(ReviewScoreRow.id).where(
            ReviewScoreRow.file_id == file_id, ReviewScoreRow.reviewer_sub == actor.sub
        )
    )
    return found is not None


def in_unit(actor: Actor, unit: str) -> bool:
    return actor.has(*UNIT_ROLES) and actor.unit is not None and actor.unit == unit


async def may_read_file(session: AsyncSession, actor: Actor, file: ReviewFileRow) -> bool:
    if actor.has(Role.ADMIN):
        return True
    if actor.has(Role.REVIEWER) and actor.unit != file.unit and await is_assigned(session, actor, file.id):
        return True
    if actor.has(Role.REVIEWER):
        member = await session.get(PanelMemberRow, actor.sub)
        if (
            member is not None
            and member.chair
            and file.appeal_reason is not None
            and member.unit != file.unit
        ):
            return True  # the panel chair decides appeals
    return in_unit(actor, file.unit) and file.final_score is not None


async def load_file(session: AsyncSession, actor: Actor, file_id: int) -> ReviewFileRow:
    row = await session.get(ReviewFileRow, file_id)
    if row is None or not await may_read_file(session, actor, row):
        raise file_not_found(file_id)
    return row
