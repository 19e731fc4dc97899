"""Enterprises known to the department, and their credit standing (容缺 and 告知承诺 depend on it)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import CreditEventRow, EnterpriseRow
from govservice.domain.actor import Actor, Role
from govservice.domain.enterprise import CreditStatus
from govservice.errors import NotFound, RuleViolation
from govservice.services import enterprise_names
from govservice.services.access import UNIT_ROLES, advises
from govservice.services.applications import records
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.enterprise_names import NameChange


class CreditEvent(msgspec.Struct, kw_only=True, rename="camel"):
    kind: str
    reason: str
    application_id: str | None
    at: datetime


class EnterpriseView(msgspec.Struct, kw_only=True, rename="camel"):
    uscc: str
    name: str
    credit_status: CreditStatus
    credit_changed_at: datetime | None
    credit_history: list[CreditEvent]
    name_history: list[NameChange]  # recorded changes of the name (licences carry the name then in force)


class EnterpriseService:
    def __init__(self, ctx: ServiceContext, audit: AuditLog | None = None) -> None:
        self._ctx = ctx
        self._audit = audit

    async def get(self, actor: Actor, uscc: str) -> EnterpriseView:
        """An enterprise's standing: its own users; admins; staff of any unit, who decide on its
        filings (the standing is the enterprise's, not a unit's record); an adviser only for the
        enterprises assigned to them. A staff read is in the enterprise's data-access log."""
        own = actor.has(Role.APPLICANT) and actor.ent == uscc
        missing = NotFound(f"enterprise {uscc} is not known", code="enterprise_not_found")
        if own:
            async with self._ctx.sessions() as session:
                return await self._view(session, uscc)
        async with self._ctx.transaction() as session:
            if not actor.has(Role.ADMIN, *UNIT_ROLES) and not (
                actor.has(Role.ADVISER) and await advises(session, actor.sub, uscc)
            ):
                raise missing
            view = await self._view(session, uscc)
            if self._audit is not None:
                self._audit.add(
                    session, actor, Kind.READ, "get_enterprise", f"enterprise:{uscc}", enterprise=uscc
                )
            return view

    async def _view(self, session: AsyncSession, uscc: str) -> EnterpriseView:
        row = await session.get(EnterpriseRow, uscc)
        if row is None:
            raise NotFound(f"enterprise {uscc} is not known", code="enterprise_not_found")
        events = await session.scalars(
            select(CreditEventRow).where(CreditEventRow.uscc == uscc).order_by(CreditEventRow.id)
        )
        return EnterpriseView(
            uscc=row.uscc,
            name=row.name,
            credit_status=CreditStatus(row.credit_status),
            credit_changed_at=row.credit_changed_at,
            credit_history=[
                CreditEvent(kind=e.kind, reason=e.reason, application_id=e.application_id, at=e.at)
                for e in events
            ],
            name_history=await enterprise_names.history(session, uscc),
        )

    async def repair_credit(self, actor: Actor, uscc: str, reason: str) -> EnterpriseView:
        """信用修复: an admin records that the enterprise repaired its credit (the change and the view
        of it: one unit of work)."""
        async with self._ctx.transaction() as session:
            row = await session.get(EnterpriseRow, uscc)
            if row is None:
                raise NotFound(f"enterprise {uscc} is not known", code="enterprise_not_found")
            if row.credit_status == CreditStatus.GOOD.value:
                raise RuleViolation(f"enterprise {uscc} has no record to repair", code="nothing_to_repair")
            await records.set_credit(
                session, uscc, CreditStatus.GOOD, reason, actor=actor.sub, at=self._ctx.clock.now()
            )
            if self._audit is not None:
                self._audit.add(
                    session,
                    actor,
                    Kind.CHANGE,
                    "repair_credit",
                    f"enterprise:{uscc}",
                    enterprise=uscc,
                    detail={"reason": reason},
                )
            return await self._view(session, uscc)

    async def rename(self, actor: Actor, uscc: str, name: str, reason: str) -> EnterpriseView:
        """A recorded change of the enterprise's name, by its own applicant or an admin (audited)."""
        if not enterprise_names.may_rename(actor, uscc):
            raise NotFound(f"enterprise {uscc} is not known", code="enterprise_not_found")
        async with self._ctx.transaction() as session:
            change = await enterprise_names.rename(
                session, uscc, name, reason, actor=actor, at=self._ctx.clock.now()
            )
            if self._audit is not None:
                self._audit.add(
                    session,
                    actor,
                    Kind.CHANGE,
                    "rename_enterprise",
                    f"enterprise:{uscc}",
                    enterprise=uscc,
                    detail={"from": change.from_name, "to": change.to_name, "reason": reason},
                )
            return await self._view(session, uscc)
