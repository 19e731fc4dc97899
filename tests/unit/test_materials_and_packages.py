from pathlib import Path

import pytest

from govservice.config import PROJECT_ROOT
from govservice.domain.catalogue import Route, decode_guide
from govservice.domain.materials import material_gaps, required_uploads
from govservice.domain.packages import GreenChannel, green_channel_limit, load_package

PGP = decode_guide((PROJECT_ROOT / "workflows/catalog/FR-PGP-OPENING.yaml").read_bytes(), source="pgp")


def test_shared_source_material_is_never_demanded() -> None:
    codes = {m.code for m in required_uploads(PGP, Route.STANDARD)}
    assert "business_licence" not in codes
    assert "application_form" in codes


def test_commitment_route_defers_plans_to_the_site_check() -> None:
    codes = {m.code for m in required_uploads(PGP, Route.COMMITMENT)}
    assert "floor_plans" not in codes and "evacuation_plan" not in codes
    assert "commitment_letter" in codes


def test_gaps_list_every_missing_material() -> None:
    gaps = material_gaps(PGP, Route.STANDARD, present={"application_form"})
    assert not gaps.complete
    assert {m.code for m in gaps.all_missing} == {m.code for m in required_uploads(PGP, Route.STANDARD)} - {
        "application_form"
    }


@pytest.mark.parametrize(
    ("promised", "statutory", "expected"), [(5, 10, 3), (10, 20, 5), (1, 1, 1), (7, 3, 3)]
)
def test_green_channel_halves_rounding_up_never_above_statutory(
    promised: int, statutory: int, expected: int
) -> None:
    assert green_channel_limit(promised, statutory, GreenChannel(enabled=True)) == expected


def test_green_channel_off_keeps_the_limit() -> None:
    assert green_channel_limit(5, 10, GreenChannel(enabled=False)) == 5


def test_default_package_file_loads() -> None:
    package = load_package(Path(PROJECT_ROOT / "workflows/packages/five-ones.yaml"))
    assert [item.code for item in package.items] == [
        "adviser",
        "annual_checkup",
        "compliance_plan",
        "green_channel",
        "response_line",
    ]
    assert package.response_line.response_hours == 24
