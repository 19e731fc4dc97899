"""The key-enterprise registry: who is enrolled in the service package, for which period, with
which named adviser. Admins and supervisors manage it; an adviser sees the enterprises assigned to
them; an enterprise sees its own entry."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import date, datetime

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import EnterpriseRow, KeyEnterpriseRow
from govservice.db.upsert import insert_if_absent
from govservice.domain.actor import Actor, Role
from govservice.domain.enterprise import CreditStatus
from govservice.domain.packages import ServicePackage
from govservice.domain.uscc import uscc_problem
from govservice.errors import Conflict, Forbidden, NotFound, PreconditionFailed, RuleViolation
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.cursors import decode_key_cursor, encode_key_cursor

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)
_CURSOR = "ke"


class Adviser(msgspec.Struct, kw_only=True, rename="camel"):
    sub: str
    name: str
    unit: str


class KeyEnterpriseView(msgspec.Struct, kw_only=True, rename="camel"):
    uscc: str
    name: str
    industries: list[str]
    enrolled_from: date
    enrolled_until: date | None
    enrolled_now: bool
    adviser: Adviser
    package_id: str
    version: int
    updated_at: datetime


class Enrolment(msgspec.Struct, kw_only=True):
    uscc: str
    name: str
    industries: list[str]
    enrolled_from: date
    enrolled_until: date | None
    adviser: Adviser


class EnrolmentChange(msgspec.Struct, kw_only=True):
    industries: list[str] | None = None
    enrolled_until: date | None = None
    clear_enrolled_until: bool = False
    adviser: Adviser | None = None


def enrolled_on(row: KeyEnterpriseRow, day: date) -> bool:
    return row.enrolled_from <= day and (row.enrolled_until is None or day <= row.enrolled_until)


async def active_enrolment(session: AsyncSession, uscc: str, day: date) -> KeyEnterpriseRow | None:
    """The enterprise's entry if it is enrolled on ``day``; None otherwise."""
    row = await session.get(KeyEnterpriseRow, uscc)
    return row if row is not None and enrolled_on(row, day) else None


class KeyEnterpriseRegistry:
    def __init__(self, ctx: ServiceContext, today: Callable[[], date], audit: AuditLog) -> None:
        self._ctx = ctx
        self._today = today  # the department's local date
        self._audit = audit

    @property
    def package(self) -> ServicePackage:
        assert self._ctx.package is not None
        return self._ctx.package

    def today(self) -> date:
        return self._today()

    # -- visibility -----------------------------------------------------------------------------

    async def entry_for(self, session: AsyncSession, actor: Actor, uscc: str) -> KeyEnterpriseRow:
        """The entry ``actor`` may see, or 404 (an enterprise never learns of another's entry)."""
        row = await session.get(KeyEnterpriseRow, uscc)
        if row is None or not self.may_see(actor, row):
            raise NotFound(f"{uscc} is not a key enterprise you can see", code="key_enterprise_not_found")
        return row

    @staticmethod
    def may_see(actor: Actor, row: KeyEnterpriseRow) -> bool:
        """The rule of services/access.py for the registry: the entry's unit is its adviser's."""
        if actor.has(Role.ADMIN):
            return True
        if actor.has(Role.SUPERVISOR) and actor.unit and actor.unit == row.adviser_unit:
            return True
        if actor.has(Role.ADVISER) and actor.sub == row.adviser_sub:
            return True
        return actor.has(Role.APPLICANT) and actor.ent == row.uscc

    @staticmethod
    def serves(actor: Actor, row: KeyEnterpriseRow) -> bool:
        """Staff who act for the package: its adviser, a supervisor of the adviser's unit, an admin."""
        if actor.has(Role.ADMIN):
            return True
        if actor.has(Role.ADVISER) and actor.sub == row.adviser_sub:
            return True
        return actor.has(Role.SUPERVISOR) and actor.unit == row.adviser_unit

    # -- reads ----------------------------------------------------------------------------------

    def view(self, row: KeyEnterpriseRow, name: str) -> KeyEnterpriseView:
        return KeyEnterpriseView(
            uscc=row.uscc,
            name=name,
            industries=list(row.industries),
            enrolled_from=row.enrolled_from,
            enrolled_until=row.enrolled_until,
            enrolled_now=enrolled_on(row, self.today()),
            adviser=Adviser(sub=row.adviser_sub, name=row.adviser_name, unit=row.adviser_unit),
            package_id=self.package.id,
            version=row.version,
            updated_at=row.updated_at,
        )

    async def get(self, actor: Actor, uscc: str) -> KeyEnterpriseView:
        async with self._ctx.transaction() as session:  # an audited read: the entry is written with it
            row = await self.entry_for(session, actor, uscc)
            enterprise = await session.get(EnterpriseRow, uscc)
            view = self.view(row, enterprise.name if enterprise else "")
            self._audit.add(
                session, actor, Kind.READ, "read_key_enterprise", f"enterprise:{uscc}", enterprise=uscc
            )
        return view

    async def list(
        self,
        actor: Actor,
        *,
        industry: str | None,
        adviser_unit: str | None,
        enrolled_on_day: date | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[KeyEnterpriseView], str | None]:
        query = select(KeyEnterpriseRow, EnterpriseRow.name).join(
            EnterpriseRow, EnterpriseRow.uscc == KeyEnterpriseRow.uscc
        )
        if not actor.has(Role.ADMIN):
            clauses = []
            if actor.has(Role.SUPERVISOR) and actor.unit:
                clauses.append(KeyEnterpriseRow.adviser_unit == actor.unit)
            if actor.has(Role.ADVISER):
                clauses.append(KeyEnterpriseRow.adviser_sub == actor.sub)
            if not clauses:
                raise Forbidden(
                    "the registry is kept by admins and by supervisors for their unit; advisers see "
                    "their own enterprises",
                    code="role_required",
                )
            query = query.where(or_(*clauses))
        if adviser_unit:
            query = query.where(KeyEnterpriseRow.adviser_unit == adviser_unit)
        if enrolled_on_day is not None:
            query = query.where(
                KeyEnterpriseRow.enrolled_from <= enrolled_on_day,
                or_(
                    KeyEnterpriseRow.enrolled_until.is_(None),
                    KeyEnterpriseRow.enrolled_until >= enrolled_on_day,
                ),
            )
        if cursor:
            query = query.where(KeyEnterpriseRow.uscc > decode_key_cursor(_CURSOR, cursor))
        query = query.order_by(KeyEnterpriseRow.uscc)
        async with self._ctx.transaction() as session:
            rows = list(await session.execute(query))
            # industries is a JSON list: filtered here rather than with dialect-specific JSON operators
            views = [
                self.view(row, name) for row, name in rows if industry is None or industry in row.industries
            ]
            page = views[:limit]
            for entry in page:
                self._audit.read(
                    session, actor, "list_key_enterprises", f"enterprise:{entry.uscc}", enterprise=entry.uscc
                )
        more = len(views) > limit
        return page, encode_key_cursor(_CURSOR, page[-1].uscc) if more else None

    # -- changes --------------------------------------------------------------------------------

    def _check_industries(self, industries: builtins.list[str]) -> None:
        known = {i.code for i in self.package.industries}
        unknown = [code for code in industries if code not in known]
        if unknown:
            raise RuleViolation(
                f"unknown industry {', '.join(unknown)}; the package lists {', '.join(sorted(known))}",
                code="unknown_industry",
                errors=[{"field": "industries", "message": "not in the package's list"}],
            )

    @staticmethod
    def _check_period(start: date, end: date | None) -> None:
        if end is not None and end < start:
            raise RuleViolation(
                "the enrolment ends before it starts",
                code="invalid_period",
                errors=[{"field": "enrolledUntil", "message": "before enrolledFrom"}],
            )

    @staticmethod
    def _check_adviser_unit(actor: Actor, unit: str) -> None:
        """A supervisor assigns advisers of their own unit; admins any."""
        if not actor.has(Role.ADMIN) and unit != actor.unit:
            raise Forbidden(
                "a supervisor assigns an adviser of their own unit", code="adviser_of_another_unit"
            )

    async def enrol(self, actor: Actor, data: Enrolment) -> KeyEnterpriseView:
        self._check_adviser_unit(actor, data.adviser.unit)
        problem = uscc_problem(data.uscc)
        if problem:
            raise RuleViolation(
                f"USCC {data.uscc!r} {problem}",
                code="invalid_uscc",
                errors=[{"field": "uscc", "message": problem}],
            )
        self._check_industries(data.industries)
        self._check_period(data.enrolled_from, data.enrolled_until)
        now = self._ctx.clock.now()
        async with self._ctx.transaction() as session:  # the enterprise, its entry and the audit entry
            # upserts: a concurrent first enrolment (or application) of the same enterprise is a 409 or
            # a no-op, never a unique violation
            await insert_if_absent(
                session,
                EnterpriseRow,
                ["uscc"],
                uscc=data.uscc,
                name=data.name,
                credit_status=CreditStatus.GOOD.value,
                created_at=now,
            )
            if not await insert_if_absent(
                session,
                KeyEnterpriseRow,
                ["uscc"],
                uscc=data.uscc,
                industries=list(dict.fromkeys(data.industries)),
                enrolled_from=data.enrolled_from,
                enrolled_until=data.enrolled_until,
                adviser_sub=data.adviser.sub,
                adviser_name=data.adviser.name,
                adviser_unit=data.adviser.unit,
                version=1,
                created_at=now,
                updated_at=now,
                updated_by=actor.sub,
            ):
                raise Conflict(
                    f"{data.uscc} is already in the registry; change its entry instead",
                    code="already_enrolled",
                )
            row = await session.get_one(KeyEnterpriseRow, data.uscc)
            name = await session.scalar(select(EnterpriseRow.name).where(EnterpriseRow.uscc == data.uscc))
            view = self.view(row, name or "")
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "enrol_key_enterprise",
                f"enterprise:{view.uscc}",
                enterprise=view.uscc,
                unit=view.adviser.unit,
            )
        return view

    async def change(
        self, actor: Actor, uscc: str, change: EnrolmentChange, expected_version: int | None
    ) -> KeyEnterpriseView:
        async with self._ctx.transaction() as session:
            row = await session.get(KeyEnterpriseRow, uscc, with_for_update=True)
            if row is None or not self.may_see(actor, row):
                raise NotFound(f"{uscc} is not in the registry", code="key_enterprise_not_found")
            if change.adviser is not None:
                self._check_adviser_unit(actor, change.adviser.unit)
            if expected_version is not None and expected_version != row.version:
                raise PreconditionFailed(
                    f"the entry is at version {row.version}, not {expected_version}", code="version_mismatch"
                )
            if change.industries is not None:
                self._check_industries(change.industries)
                row.industries = list(dict.fromkeys(change.industries))
            if change.clear_enrolled_until:
                row.enrolled_until = None
            elif change.enrolled_until is not None:
                self._check_period(row.enrolled_from, change.enrolled_until)
                row.enrolled_until = change.enrolled_until
            if change.adviser is not None:
                row.adviser_sub, row.adviser_name, row.adviser_unit = (
                    change.adviser.sub,
                    change.adviser.name,
                    change.adviser.unit,
                )
            row.version += 1
            row.updated_at = self._ctx.clock.now()
            row.updated_by = actor.sub
            await session.flush()
            enterprise = await session.get(EnterpriseRow, uscc)
            view = self.view(row, enterprise.name if enterprise else "")
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "change_key_enterprise",
                f"enterprise:{uscc}",
                enterprise=uscc,
                unit=view.adviser.unit,
                detail={"version": view.version},
            )
        return view
