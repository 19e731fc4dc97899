"""Who sees and acts on which records: the one rule of DESIGN.md, in one place.

Every record staff act on belongs to a unit (``unit``) and, most of the time, to an enterprise
(``uscc``): applications, inspections and their evidence, violation cases, inspection plans,
work orders, requests to the response line, key-enterprise entries and their service records.

- ``admin`` is department-wide.
- ``clerk``, ``supervisor``, ``inspector`` and ``legal`` see the records of their own unit (the
  token's ``unit`` claim; a staff token without one sees none).
- ``adviser`` sees the records of the enterprises assigned to them in the key-enterprise
  registry, whichever unit holds them.
- ``applicant`` sees its own enterprise's records where enterprises are shown that kind of
  record at all (``to_enterprise``).
- ``assessor`` and ``reviewer`` see none of these: they have their own APIs.

A record the caller may not see answers 404, exactly as one that does not exist. Per-record
checks use :func:`ensure_visible`; lists filter in SQL with :func:`visible_clause`, built from
the same :func:`grants`, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, false, or_, true
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import KeyEnterpriseRow
from govservice.domain.actor import Actor, Role
from govservice.errors import NotFound

UNIT_ROLES = frozenset({Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.LEGAL})
DESK_ROLES = frozenset({Role.CLERK, Role.SUPERVISOR})  # ratings and their work orders: the front desk


@dataclass(frozen=True, slots=True)
class Grants:
    """What an actor's roles give it, before looking at any record."""

    everything: bool = False
    unit: str | None = None  # records of this unit
    adviser: str | None = None  # records of the enterprises assigned to this adviser (sub)
    enterprise: str | None = None  # records of this enterprise (applicants)

    @property
    def anything(self) -> bool:
        return self.everything or bool(self.unit or self.adviser or self.enterprise)

    def allows(self, unit: str | None, uscc: str | None) -> bool:
        """Decided without the registry: everything but the adviser's assignment."""
        if self.everything or (self.unit is not None and self.unit == unit):
            return True
        return self.enterprise is not None and self.enterprise == uscc


def grants(
    actor: Actor,
    *,
    to_enterprise: bool = True,
    roles: frozenset[Role] = UNIT_ROLES,
    advisers: bool = True,
) -> Grants:
    """``roles``: the unit roles that handle this kind of record (e.g. only clerks and supervisors
    work rating orders); ``to_enterprise``: whether the enterprise itself is shown this kind;
    ``advisers``: whether an assigned adviser is (applications and rating orders are the unit's
    business, not the adviser's)."""
    if actor.has(Role.ADMIN):
        return Grants(everything=True)
    return Grants(
        unit=actor.unit if actor.unit and actor.roles & roles else None,
        adviser=actor.sub if advisers and actor.has(Role.ADVISER) else None,
        enterprise=actor.ent if to_enterprise and actor.ent and actor.has(Role.APPLICANT) else None,
    )


async def advises(session: AsyncSession, adviser_sub: str, uscc: str | None) -> bool:
    if uscc is None:
        return False
    row = await session.get(KeyEnterpriseRow, uscc)
    return row is not None and row.adviser_sub == adviser_sub


async def may_see(
    session: AsyncSession,
    actor: Actor,
    *,
    unit: str | None,
    uscc: str | None,
    to_enterprise: bool = True,
    roles: frozenset[Role] = UNIT_ROLES,
) -> bool:
    g = grants(actor, to_enterprise=to_enterprise, roles=roles)
    if g.allows(unit, uscc):
        return True
    return g.adviser is not None and await advises(session, g.adviser, uscc)


async def ensure_visible(
    session: AsyncSession,
    actor: Actor,
    missing: NotFound,
    *,
    unit: str | None,
    uscc: str | None,
    to_enterprise: bool = True,
    roles: frozenset[Role] = UNIT_ROLES,
) -> None:
    """Raise ``missing`` (the record's own 404) unless ``actor`` may see the record."""
    if not await may_see(session, actor, unit=unit, uscc=uscc, to_enterprise=to_enterprise, roles=roles):
        raise missing


def visible_clause(
    actor: Actor,
    *,
    unit: SQLColumnExpression[Any] | None,
    uscc: SQLColumnExpression[Any] | None,
    to_enterprise: bool = True,
    roles: frozenset[Role] = UNIT_ROLES,
    advisers: bool = True,
) -> ColumnElement[bool]:
    """The same rule as a WHERE clause over a list's ``unit`` and ``uscc`` columns."""
    g = grants(actor, to_enterprise=to_enterprise, roles=roles, advisers=advisers)
    if g.everything:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if g.unit is not None and unit is not None:
        clauses.append(unit == g.unit)
    if g.enterprise is not None and uscc is not None:
        clauses.append(uscc == g.enterprise)
    if g.adviser is not None and uscc is not None:
        clauses.append(
            exists().where(and_(KeyEnterpriseRow.uscc == uscc, KeyEnterpriseRow.adviser_sub == g.adviser))
        )
    return or_(*clauses) if clauses else false()
