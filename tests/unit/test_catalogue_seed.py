"""The seeded matter catalogue in workflows/catalog/: every file is a valid guide, and together
they make the catalogue DOMAIN.md describes (both routes for the pre-opening inspection, 容缺
where declared, a visible history of cancelled and adjusted matters with working replacements)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govservice.domain.catalogue import (
    MaterialKind,
    MatterGuide,
    MatterStatus,
    Route,
    decode_guide,
)

CATALOG = Path(__file__).resolve().parents[2] / "workflows" / "catalog"
SEED_FILES = sorted(CATALOG.glob("*.yaml"))
PROCESS_IDS = {"licensing", "opening_inspection", "tolerant", "commitment", "service"}


def _load() -> dict[str, MatterGuide]:
    return {path.stem: decode_guide(path.read_bytes(), source=path.name) for path in SEED_FILES}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, MatterGuide]:
    return _load()


def _active(catalogue: dict[str, MatterGuide]) -> dict[str, MatterGuide]:
    return {code: g for code, g in catalogue.items() if g.status is MatterStatus.ACTIVE}


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_every_file_decodes_and_is_named_after_its_code(path: Path) -> None:
    guide = decode_guide(path.read_bytes(), source=path.name)
    assert path.stem == guide.code


def test_catalogue_has_enough_active_and_historical_matters(catalogue: dict[str, MatterGuide]) -> None:
    active = _active(catalogue)
    history = [g for g in catalogue.values() if g.status in (MatterStatus.CANCELLED, MatterStatus.ADJUSTED)]
    assert len(active) >= 6, sorted(active)
    assert len(history) >= 5, [g.code for g in history]
    assert {g.kind for g in active.values()} >= {"licensing", "filing", "service"}


def test_pre_opening_inspection_offers_standard_and_commitment(catalogue: dict[str, MatterGuide]) -> None:
    guide = catalogue["FR-PGP-OPENING"]
    assert guide.status is MatterStatus.ACTIVE
    assert guide.routes == [Route.STANDARD, Route.COMMITMENT]
    # the standard route has its on-site inspection (10 WD from acceptance, decision 3 WD after)
    assert guide.processes == {Route.STANDARD: "opening_inspection", Route.COMMITMENT: "commitment"}
    # DOMAIN.md: on the commitment route only the signed application and the business licence
    # are needed up front; plans and the evacuation plan may follow at the on-site check.
    upfront = {m.code for m in guide.materials if not m.routes or Route.COMMITMENT in m.routes}
    assert upfront == {"application_form", "commitment_letter", "business_licence"}
    standard = {m.code for m in guide.materials if not m.routes or Route.STANDARD in m.routes}
    assert "commitment_letter" not in standard
    assert {"floor_plans", "evacuation_plan"} <= standard


def test_replacements_point_at_active_matters(catalogue: dict[str, MatterGuide]) -> None:
    active = _active(catalogue)
    for guide in catalogue.values():
        change = guide.status_change
        target = change.replacement.matter_code if change and change.replacement else None
        if target is not None:
            assert target != guide.code, guide.code
            assert target in active, f"{guide.code} is replaced by {target}, which is not an active matter"


def test_every_cancelled_matter_says_what_to_use_instead(catalogue: dict[str, MatterGuide]) -> None:
    for guide in catalogue.values():
        if guide.status is MatterStatus.CANCELLED:
            assert guide.status_change is not None and guide.status_change.replacement is not None
            replacement = guide.status_change.replacement
            assert replacement.matter_code or replacement.department, guide.code


def test_construction_review_moved_to_housing_department(catalogue: dict[str, MatterGuide]) -> None:
    moved = [
        g
        for g in catalogue.values()
        if g.status is MatterStatus.CANCELLED
        and g.status_change is not None
        and g.status_change.replacement is not None
        and "住房和城乡建设" in (g.status_change.replacement.department or "")
    ]
    assert "FR-CONSTR-DESIGN-REVIEW" in {g.code for g in moved}
    assert all(str(g.status_change.effective) == "2019-04-23" for g in moved if g.status_change)


def test_qualification_licence_replaced_by_an_active_filing(catalogue: dict[str, MatterGuide]) -> None:
    cancelled = catalogue["FR-TECH-SERVICE-QUALIFICATION"]
    assert cancelled.status is MatterStatus.CANCELLED
    assert cancelled.status_change is not None and cancelled.status_change.replacement is not None
    filing = catalogue[cancelled.status_change.replacement.matter_code or ""]
    assert filing.kind == "filing" and filing.status is MatterStatus.ACTIVE


def test_only_known_process_ids_and_each_route_uses_its_process(catalogue: dict[str, MatterGuide]) -> None:
    for guide in catalogue.values():
        assert set(guide.processes.values()) <= PROCESS_IDS, guide.code
        if Route.TOLERANT in guide.processes:
            assert guide.processes[Route.TOLERANT] == "tolerant", guide.code
        if Route.COMMITMENT in guide.processes:
            assert guide.processes[Route.COMMITMENT] == "commitment", guide.code
        if guide.kind == "licensing":  # a licence whose standard route has an on-site inspection has its own
            assert guide.processes[Route.STANDARD] in {"licensing", "opening_inspection"}, guide.code
        else:
            assert guide.processes.get(Route.STANDARD, "service") == "service", guide.code


def test_tolerant_matters_list_tolerable_materials(catalogue: dict[str, MatterGuide]) -> None:
    tolerant = [g for g in _active(catalogue).values() if Route.TOLERANT in g.routes]
    assert len(tolerant) >= 2, [g.code for g in tolerant]
    for guide in tolerant:
        tolerable = [m for m in guide.materials if m.kind is MaterialKind.TOLERABLE]
        assert tolerable, guide.code
        # Tolerable materials are never the ones the department obtains itself.
        assert all(m.shared_source is None for m in tolerable), guide.code
        assert (
            guide.tolerant_supplement_limit is None or guide.tolerant_supplement_limit <= guide.promised_limit
        )


def test_shared_data_is_never_demanded_as_an_upload(catalogue: dict[str, MatterGuide]) -> None:
    shared = [m for g in catalogue.values() for m in g.materials if m.shared_source]
    assert shared
    for guide in catalogue.values():
        for material in guide.materials:
            if material.code == "business_licence":
                assert material.shared_source, f"{guide.code} demands the business licence as an upload"
    determination = next(m for m in catalogue["FR-FIRE-REVIEW"].materials if m.code == "determination")
    assert determination.shared_source  # the department issued it itself


def test_limits_visits_and_fees_are_published(catalogue: dict[str, MatterGuide]) -> None:
    for guide in _active(catalogue).values():
        assert guide.promised_limit <= guide.statutory_limit
        assert guide.max_visits in (0, 1)
        assert guide.legal_basis and all(basis.startswith("《") for basis in guide.legal_basis), guide.code
        assert all(fee.amount_yuan >= 0 for fee in guide.fees)
    names = [g.name for g in catalogue.values()]
    assert len(names) == len(set(names))
