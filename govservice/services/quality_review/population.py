"""The draw's population: the period's concluded case files per category and unit, and for a drawn
file the facts the panel rules need (its case, its enterprise, everyone who took part in it).

* licensing — applications concluded in the period (approved, refused, terminated ...), except
  fire accident determinations, which are the fire investigations;
* fire_investigations — concluded applications of FR-FIRE-DETERMINATION (火灾事故认定);
* post_checks — commitment-route permits whose on-site post-check was done in the period;
* inspections — inspections held in the period (by the inspectors' unit);
* penalties — violation cases decided in the period: penalties, waivers (首违不罚), time-barred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import ApplicationRow, InspectionRow, LicenceRow, ViolationRow, WorkflowEventRow

FIRE_DETERMINATION = "FR-FIRE-DETERMINATION"
A, INS, V = ApplicationRow, InspectionRow, ViolationRow


def _population_query(category: str, start: date, end: date, units: Sequence[str]) -> Select[int, str | None]:
    if category in ("licensing", "fire_investigations"):
        fire = A.matter_code == FIRE_DETERMINATION
        return select(A.id, A.unit).where(
            A.concluded_on.between(start, end), A.unit.in_(units), fire if category != "licensing" else ~fire
        )
    if category == "post_checks":
        return select(A.id, A.unit).where(A.post_checked_on.between(start, end), A.unit.in_(units))
    if category == "inspections":
        return select(INS.id, INS.department_unit).where(
            INS.inspected_on.between(start, end), INS.department_unit.in_(units)
        )
    return select(V.id, V.department_unit).where(
        V.decided_on.between(start, end), V.department_unit.in_(units)
    )


def kind_of(category: str) -> str:
    return {"inspections": "inspection", "penalties": "violation"}.get(category, "application")


async def population(
    session: AsyncSession, categories: Sequence[str], units: Sequence[str], start: date, end: date
) -> dict[str, dict[str, list[str]]]:
    """category -> unit -> sorted subject references (``application:12``), every unit in scope listed."""
    found: dict[str, dict[str, list[str]]] = {}
    for category in categories:
        by_unit: dict[str, list[str]] = {u: [] for u in units}
        for row_id, unit in await session.execute(_population_query(category, start, end, units)):
            if unit is not None:  # the query keeps the units in scope only
                by_unit[unit].append(f"{kind_of(category)}:{row_id}")
        found[category] = {u: sorted(refs) for u, refs in by_unit.items()}
    return found


@dataclass(frozen=True, slots=True)
class FileFacts:
    case_id: int | None
    enterprise: str | None
    participants: list[str]
    approved: bool  # a licensing decision that approved: a venue to check on site


async def _actors(session: AsyncSession, case_id: int) -> set[str]:
    subs = await session.scalars(
        select(WorkflowEventRow.actor_sub).where(WorkflowEventRow.case_id == case_id)
    )
    return {s for s in subs if not s.startswith("system:")}


async def file_facts(session: AsyncSession, subject: str) -> FileFacts:
    """The case behind a drawn reference and who took part in it (its events' actors; for an
    inspection the two officers and the recorder; for a violation case those of its inspection too)."""
    kind, _, raw_id = subject.partition(":")
    row_id = int(raw_id)
    if kind == "application":
        app = await session.get(A, row_id)
        assert app is not None, subject
        people = await _actors(session, app.case_id)
        licence = await session.scalar(select(LicenceRow.number).where(LicenceRow.application_id == app.id))
        return FileFacts(app.case_id, app.enterprise_uscc, sorted(people), licence is not None)
    if kind == "inspection":
        ins = await session.get(INS, row_id)
        assert ins is not None, subject
        return FileFacts(None, ins.uscc, sorted({ins.officer_a, ins.officer_b, ins.recorded_by}), False)
    case = await session.get(V, row_id)
    assert case is not None, subject
    people = await _actors(session, case.case_id)
    inspection = await session.get(INS, case.inspection_id)
    if inspection is not None:
        people |= {inspection.officer_a, inspection.officer_b, inspection.recorded_by}
    if case.countersigned_by:
        people.add(case.countersigned_by)
    return FileFacts(case.case_id, case.uscc, sorted(people), False)


async def enterprises(session: AsyncSession, refs: Sequence[str]) -> list[str]:
    """The distinct enterprises of the given subject references, sorted (the callback population)."""
    ids: dict[str, list[int]] = {"application": [], "inspection": [], "violation": []}
    for ref in refs:
        kind, _, raw_id = ref.partition(":")
        ids[kind].append(int(raw_id))
    found: set[str] = set()
    for column, key, kind in (
        (A.enterprise_uscc, A.id, "application"),
        (INS.uscc, INS.id, "inspection"),
        (V.uscc, V.id, "violation"),
    ):
        if ids[kind]:
            found.update(await session.scalars(select(column).where(key.in_(ids[kind]))))
    return sorted(found)
