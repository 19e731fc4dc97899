"""An enterprise's name is its record's, not text typed on each application: the first filing
creates the record with the name given; afterwards the name changes only as a recorded change of
that record (who, when, why, from and to), and a licence carries the name the record has when it
is issued."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import EnterpriseNameChangeRow, EnterpriseRow
from govservice.db.upsert import insert_if_absent
from govservice.domain.actor import Actor, Role
from govservice.domain.enterprise import CreditStatus
from govservice.errors import NotFound, RuleViolation


class NameChange(msgspec.Struct, kw_only=True, rename="camel"):
    from_name: str
    to_name: str
    reason: str
    at: datetime


async def register_or_read(
    session: AsyncSession, uscc: str, name: str | None, *, at: datetime
) -> EnterpriseRow:
    """The enterprise's record, created on its first filing with ``name`` (an upsert: many first
    filings at once all succeed). A later filing's name is not used: the record's is."""
    if name is not None:
        await insert_if_absent(
            session,
            EnterpriseRow,
            ["uscc"],
            uscc=uscc,
            name=name,
            credit_status=CreditStatus.GOOD.value,
            created_at=at,
        )
    row = await session.get(EnterpriseRow, uscc)
    if row is None:
        raise RuleViolation(
            f"enterprise {uscc} files for the first time: give its registered name (enterpriseName)",
            code="enterprise_name_required",
        )
    return row


def may_rename(actor: Actor, uscc: str) -> bool:
    """The enterprise's own applicant (its record) or an admin."""
    return actor.has(Role.ADMIN) or (actor.has(Role.APPLICANT) and actor.ent == uscc)


async def rename(
    session: AsyncSession, uscc: str, name: str, reason: str, *, actor: Actor, at: datetime
) -> EnterpriseNameChangeRow:
    row = await session.get(EnterpriseRow, uscc)
    if row is None:
        raise NotFound(f"enterprise {uscc} is not known", code="enterprise_not_found")
    if row.name == name:
        raise RuleViolation(f"enterprise {uscc} is already named {name!r}", code="name_unchanged")
    change = EnterpriseNameChangeRow(
        uscc=uscc, from_name=row.name, to_name=name, reason=reason, actor=actor.sub[:200], at=at
    )
    row.name = name
    session.add(change)
    await session.flush()
    return change


async def history(session: AsyncSession, uscc: str) -> list[NameChange]:
    rows = await session.scalars(
        select(EnterpriseNameChangeRow)
        .where(EnterpriseNameChangeRow.uscc == uscc)
        .order_by(EnterpriseNameChangeRow.id)
    )
    return [NameChange(from_name=r.from_name, to_name=r.to_name, reason=r.reason, at=r.at) for r in rows]
