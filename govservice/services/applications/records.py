"""Reads and writes shared by the application service and its effect handlers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.auth import sign_detached
from govservice.db.models import (
    ApplicationRow,
    CreditEventRow,
    EnterpriseRow,
    LicenceRow,
    MaterialRow,
    MatterVersionRow,
    NoticeRow,
)
from govservice.domain.calendar import WorkingCalendar
from govservice.domain.catalogue import Material, MatterGuide
from govservice.domain.enterprise import CreditStatus
from govservice.domain.licence import LicenceContent, LicenceStatus, canonical_bytes, new_licence_number
from govservice.errors import NotFound, RuleViolation
from govservice.services.assessment import counts
from govservice.services.engine import EffectRun

REMEDIES = [
    "依法申请行政复议（六十日内） / administrative reconsideration within 60 days",
    "依法提起行政诉讼（六个月内） / administrative litigation within 6 months",
]

_GUIDES: dict[tuple[str, int], MatterGuide] = {}  # published versions never change
POST_CHECK_STATES = frozenset({"post_check", "post_check_late"})  # the commitment route's (commitment.yaml)


async def application_for_case(session: AsyncSession, case_id: int) -> ApplicationRow:
    """The case's application: the one this unit of work already loaded, else read once."""
    for loaded in session.identity_map.values():
        if isinstance(loaded, ApplicationRow) and loaded.case_id == case_id:
            return loaded
    app = await session.scalar(select(ApplicationRow).where(ApplicationRow.case_id == case_id))
    if app is None:
        raise NotFound(f"no application for case {case_id}", code="application_not_found")
    return app


async def guide(session: AsyncSession, app: ApplicationRow) -> MatterGuide:
    key = (app.matter_code, app.matter_version)
    cached = _GUIDES.get(key)
    if cached is None:
        raw = await session.scalar(
            select(MatterVersionRow.guide).where(
                MatterVersionRow.code == app.matter_code, MatterVersionRow.version == app.matter_version
            )
        )
        if raw is None:
            raise NotFound(f"matter {key[0]} version {key[1]} is gone", code="matter_not_found")
        cached = _GUIDES[key] = msgspec.convert(raw, MatterGuide)
    return cached


_PRESENT = "govservice.present_materials"  # session.info key: the unit of work's memo


async def present_materials(session: AsyncSession, application_id: int) -> set[str]:
    """The codes of the application's current materials, read once per unit of work (the facts,
    the conclusion and the view of one step all ask); :func:`materials_changed` forgets them."""
    memo: dict[int, frozenset[str]] = session.info.setdefault(_PRESENT, {})
    if application_id not in memo:
        rows = await session.scalars(
            select(MaterialRow.material_code).where(
                MaterialRow.application_id == application_id, MaterialRow.current.is_(True)
            )
        )
        memo[application_id] = frozenset(rows)
    return set(memo[application_id])


def known_materials(session: AsyncSession, application_id: int) -> frozenset[str] | None:
    """The current materials if this unit of work has read them already, else None."""
    memo: dict[int, frozenset[str]] = session.info.get(_PRESENT, {})
    return memo.get(application_id)


def note_materials(session: AsyncSession, application_id: int, codes: Iterable[str]) -> None:
    """The application's current materials, as this unit of work has just read them."""
    session.info.setdefault(_PRESENT, {})[application_id] = frozenset(codes)


def note_new(session: AsyncSession, application_id: int) -> None:
    """A new application: no materials and no licence yet (its view need not ask)."""
    note_materials(session, application_id, ())
    note_licence(session, application_id, None)


def materials_changed(session: AsyncSession, application_id: int) -> None:
    session.info.get(_PRESENT, {}).pop(application_id, None)


_LICENCE = "govservice.licence_numbers"  # session.info key: application id -> its licence's number


def note_licence(session: AsyncSession, application_id: int, number: str | None) -> None:
    """What this unit of work knows of the application's licence (None: it has none)."""
    session.info.setdefault(_LICENCE, {})[application_id] = number


def known_licence(session: AsyncSession, application_id: int) -> tuple[bool, str | None]:
    """(known, number): whether this unit of work knows the application's licence, and its number."""
    memo: dict[int, str | None] = session.info.get(_LICENCE, {})
    return application_id in memo, memo.get(application_id)


def hold(session: AsyncSession, *rows: object) -> None:
    """Keep ``rows`` for the rest of the unit of work: the session's identity map holds objects only
    weakly, so without this a later ``session.get`` of a row read earlier would read it again."""
    session.info.setdefault("govservice.held", []).extend(row for row in rows if row is not None)


async def latest_notice(session: AsyncSession, application_id: int, kind: str) -> NoticeRow | None:
    return await session.scalar(
        select(NoticeRow)
        .where(NoticeRow.application_id == application_id, NoticeRow.kind == kind)
        .order_by(NoticeRow.id.desc())
        .limit(1)
    )


def material_entry(material: Material) -> dict[str, Any]:
    return {
        "code": material.code,
        "name": material.name,
        "kind": material.kind.value,
        "formats": [f.value for f in material.formats],
        "maxBytes": material.max_bytes,
    }


def add_notice(
    run: EffectRun, app: ApplicationRow, kind: str, body: dict[str, Any], due_on: date | None = None
) -> None:
    run.session.add(
        NoticeRow(
            application_id=app.id,
            kind=kind,
            body=body,
            due_on=due_on,
            issued_at=run.now,
            issued_by=run.actor.sub if run.actor else "system:timer",
        )
    )


def today(run: EffectRun) -> date:
    return run.today


async def record_decision(run: EffectRun, app: ApplicationRow) -> None:
    """The decision date, with the facts the indicators count: the working days the case clock ran
    (paused time excluded), the limit then in force (an extension included) and, when the decision
    opens a post-check (commitment route), the post-check's deadline."""
    days, limit = run.case.clock.elapsed(run.calendar, run.today), run.case.clock.limit
    app.decided_on, app.decision_working_days, app.decision_limit = run.today, days, limit
    inspection_kept = inspection_limits_met(app, run.today)
    app.post_check_due_on = next((t.due_on for t in run.move.arm if t.state in POST_CHECK_STATES), None)
    counts.add(
        run.session,
        counts.DECIDED,
        run.today,
        app,
        working_days=days,
        n=1,
        on_time_promised=inspection_kept and days <= app.promised_limit,
        # the inspection's two limits are this route's statutory ones (消防监督检查规定)
        on_time_statutory=inspection_kept if app.inspection_due_on else days <= limit,
        promised_days=app.promised_limit,
        statutory_days=app.statutory_limit,
        same_day=run.today == app.accepted_on,
    )


def inspection_limits_met(app: ApplicationRow, decided_on: date) -> bool:
    """A decision on a route with an on-site inspection is on time only if the inspection kept its
    limit (10 WD from acceptance) and the decision its own (3 WD after the inspection)."""
    if app.inspection_due_on is None:
        return True
    inspected_in_time = app.inspected_on is not None and app.inspected_on <= app.inspection_due_on
    return inspected_in_time and (app.decision_due_on is None or decided_on <= app.decision_due_on)


async def record_post_check(run: EffectRun, app: ApplicationRow) -> None:
    """The day of the commitment route's post-check (passed or failed), when this step is it."""
    if run.move.source not in POST_CHECK_STATES or app.post_checked_on is not None or app.decided_on is None:
        return
    app.post_checked_on = run.today
    due = app.post_check_due_on
    days = counts.NO_DAYS if app.decision_working_days is None else app.decision_working_days
    counts.add(
        run.session,
        counts.DECIDED,
        app.decided_on,
        app,
        working_days=days,
        post_checked=1,
        post_checked_on_time=due is not None and run.today <= due,
    )


def calendar_of(run: EffectRun) -> WorkingCalendar:
    return run.calendar


def unknown_material(code: str) -> RuleViolation:
    return RuleViolation(f"the matter has no material {code!r}", code="unknown_material")


def nothing_to_notify() -> RuleViolation:
    return RuleViolation(
        "every material is present and no defect was named: accept, or name the defects",
        code="nothing_to_notify",
    )


async def set_credit(
    session: AsyncSession,
    uscc: str,
    status: CreditStatus,
    reason: str,
    *,
    actor: str,
    at: datetime,
    application_id: int | None = None,
) -> None:
    enterprise = await session.get(EnterpriseRow, uscc)
    if enterprise is None:
        raise NotFound(f"enterprise {uscc} is not known", code="enterprise_not_found")
    enterprise.credit_status = status.value
    enterprise.credit_changed_at = at
    kind = "repaired" if status is CreditStatus.GOOD else status.value
    session.add(
        CreditEventRow(
            uscc=uscc,
            kind=kind,
            reason=reason,
            actor=actor,
            at=at,
            application_id=str(application_id) if application_id is not None else None,
        )
    )


async def _holder_name(session: AsyncSession, app: ApplicationRow) -> str:
    """The name on the enterprise's record when the licence is issued (a recorded change since the
    filing included), not text typed on the application."""
    enterprise = await session.get(EnterpriseRow, app.enterprise_uscc)  # held since the load: no query
    name = enterprise.name if enterprise is not None else None
    return name or app.enterprise_name


async def issue_licence(run: EffectRun, app: ApplicationRow) -> LicenceRow:
    matter = await guide(run.session, app)
    issued_on = run.today
    valid_until = None
    if matter.licence_validity_years:
        try:
            valid_until = issued_on.replace(year=issued_on.year + matter.licence_validity_years)
        except ValueError:  # 29 February
            valid_until = issued_on.replace(year=issued_on.year + matter.licence_validity_years, day=28)
    content = LicenceContent(
        number=new_licence_number(issued_on.year),
        title=matter.licence_title or matter.name,
        holder_uscc=app.enterprise_uscc,
        holder_name=await _holder_name(run.session, app),
        matter_code=app.matter_code,
        matter_name=matter.name,
        matter_version=app.matter_version,
        application_id=str(app.id),
        issued_by=app.unit,
        issued_on=issued_on,
        valid_from=issued_on,
        valid_until=valid_until,
    )
    keys = run.ctx.signing_keys
    if keys is None:
        raise RuntimeError("no signing key: licences cannot be issued")
    row = LicenceRow(
        number=content.number,
        application_id=app.id,
        holder_uscc=app.enterprise_uscc,
        content=msgspec.to_builtins(content),
        signature=sign_detached(keys, canonical_bytes(content)),
        status=LicenceStatus.VALID.value,
        issued_at=run.now,
    )
    run.session.add(row)
    note_licence(run.session, app.id, row.number)
    return row
