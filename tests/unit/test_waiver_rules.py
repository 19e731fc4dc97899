"""The first-offense waiver engine over the published rules in workflows/rules/: each condition
failing alone, the boundaries of every threshold, of the look-back window and of the
limitation period, the fine proposals (and fines spared), and the loaders' error messages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from govservice.config import PROJECT_ROOT
from govservice.domain.enforcement import (
    ConditionCode,
    EvaluationError,
    Finding,
    FineRange,
    HarmLevel,
    Measurement,
    Outcome,
    PriorFinding,
    RulesError,
    RuleSet,
    Threshold,
    WaiverEvaluation,
    build_rules,
    evaluate_waiver,
    load_default_rules,
    load_rules,
    proposal_for,
)
from govservice.domain.enforcement.discretion import share_of_range
from govservice.domain.enforcement.violation_types import Quantity, QuantityUnit

RULES_DIR = PROJECT_ROOT / "workflows" / "rules"
RULES = load_default_rules(PROJECT_ROOT / "workflows")
ACME = "91510100MA6CX12348"
OTHER = "91510100MA62NRXK4F"
FOUND = date(2026, 3, 10)
AS_OF = date(2026, 3, 20)

# A measurement per listed type that is comfortably within its threshold.
WITHIN = {
    "EVACUATION-OBSTRUCTED": [Measurement(quantity="obstructed_width_share", value=Decimal("0.1"))],
    "HYDRANT-BLOCKED": [Measurement(quantity="blocked_hydrants", value=Decimal(1))],
    "FIRE-DOOR-FAULTY": [Measurement(quantity="faulty_fire_doors", value=Decimal(1))],
    "EMERGENCY-LIGHTING-FAULTY": [Measurement(quantity="faulty_emergency_lights", value=Decimal(1))],
    "FIRE-EQUIPMENT-FAULTY": [
        Measurement(quantity="faulty_devices", value=Decimal(1), floor="1F"),
        Measurement(quantity="faulty_devices", value=Decimal(0), floor="2F"),
    ],
    "WINDOW-OBSTRUCTED": [Measurement(quantity="obstructed_windows", value=Decimal(1))],
}


def finding(violation_type: str = "HYDRANT-BLOCKED", **changes: object) -> Finding:
    """A finding that meets every condition (first, minor, corrected on the spot) unless changed."""
    base = Finding(
        id="F-NOW",
        uscc=ACME,
        violation_type=violation_type,
        committed_on=FOUND - timedelta(days=3),
        found_on=FOUND,
        harm_level=HarmLevel.MINOR,
        measurements=WITHIN.get(violation_type, []),
        corrected_on=FOUND,
    )
    return msgspec.structs.replace(base, **changes)


def prior(
    found_on: date, *, uscc: str = ACME, violation_type: str = "HYDRANT-BLOCKED", id: str = "F-OLD"
) -> PriorFinding:
    return PriorFinding(id=id, uscc=uscc, violation_type=violation_type, found_on=found_on)


def evaluate(
    f: Finding, history: list[PriorFinding] | None = None, *, rules: RuleSet = RULES, as_of: date = AS_OF
) -> WaiverEvaluation:
    return evaluate_waiver(f, history or [], rules, as_of=as_of)


def unmet(result: WaiverEvaluation) -> list[tuple[ConditionCode, str | None]]:
    return [(c.code, c.quantity) for c in result.unmet]


def hydrants(n: int) -> list[Measurement]:
    return [Measurement(quantity="blocked_hydrants", value=Decimal(n))]


# --- the published files -------------------------------------------------------------------


def test_published_list_has_domain_thresholds_and_periods() -> None:
    wl = RULES.waiver_list
    thresholds = {(entry.type, t.quantity): t.max for entry in wl.entries for t in entry.thresholds}
    assert thresholds == {
        ("EVACUATION-OBSTRUCTED", "obstructed_width_share"): Decimal("0.2"),
        ("HYDRANT-BLOCKED", "blocked_hydrants"): 2,
        ("FIRE-DOOR-FAULTY", "faulty_fire_doors"): 3,
        ("EMERGENCY-LIGHTING-FAULTY", "faulty_emergency_lights"): 2,
        ("FIRE-EQUIPMENT-FAULTY", "faulty_devices"): 1,
        ("WINDOW-OBSTRUCTED", "obstructed_windows"): 2,
    }
    assert RULES.violation_type("FIRE-EQUIPMENT-FAULTY").quantity("faulty_devices").per_floor  # type: ignore[union-attr]
    assert (wl.look_back_years, wl.limitation.years, wl.limitation.life_or_health_years) == (1, 2, 5)
    assert RULES.version == "fire-first-offense-waivers@1+fire-violation-types@1"


def test_catalogue_fine_ranges_follow_the_fire_protection_law() -> None:
    art60 = RULES.violation_type("EVACUATION-OBSTRUCTED")
    art58 = RULES.violation_type("PGP-OPENED-WITHOUT-PERMIT")
    assert art60 is not None and art58 is not None
    assert (art60.fine.min_yuan, art60.fine.max_yuan) == (5000, 50000)
    assert "第六十条第一款第（三）项" in art60.legal_basis.penalty
    assert (art58.fine.min_yuan, art58.fine.max_yuan) == (30000, 300000)
    assert "第五十八条" in art58.legal_basis.penalty
    unlisted = {t.code for t in RULES.catalogue.types} - {e.type for e in RULES.waiver_list.entries}
    assert {"FACILITY-DISABLED", "PGP-OPENED-WITHOUT-PERMIT", "PGP-COMMITMENT-MISMATCH"} <= unlisted
    assert HarmLevel.SERIOUS in RULES.violation_type("FACILITY-DISABLED").harm_levels  # type: ignore[union-attr]


# --- all met, and each condition failing alone ----------------------------------------------


@pytest.mark.parametrize("violation_type", sorted(WITHIN))
def test_first_minor_corrected_violation_of_each_listed_type_is_waived(violation_type: str) -> None:
    result = evaluate(finding(violation_type))
    assert result.eligible and result.outcome is Outcome.WAIVER and result.final
    assert result.unmet == []
    assert result.listed_entry == violation_type
    assert result.rule_version == RULES.version
    assert result.proposal is not None and result.fine_spared_yuan == result.proposal.fine_yuan == 11750


FAILING_ALONE = {
    "type_listed": (finding("FIRE-LANE-OBSTRUCTED"), [], ConditionCode.TYPE_LISTED),
    "within_threshold": (finding(measurements=hydrants(3)), [], ConditionCode.WITHIN_THRESHOLD),
    "first_violation": (finding(), [prior(FOUND - timedelta(days=30))], ConditionCode.FIRST_VIOLATION),
    "minor_harm_general": (finding(harm_level=HarmLevel.GENERAL), [], ConditionCode.MINOR_HARM),
    "minor_harm_serious": (finding(harm_level=HarmLevel.SERIOUS), [], ConditionCode.MINOR_HARM),
    "no_harmful_consequence": (finding(harmful_consequence=True), [], ConditionCode.NO_HARMFUL_CONSEQUENCE),
    "corrected_in_time": (
        finding(corrected_on=FOUND + timedelta(days=8), rectification_deadline=FOUND + timedelta(days=7)),
        [],
        ConditionCode.CORRECTED_IN_TIME,
    ),
    "within_limitation": (
        finding(committed_on=date(2024, 3, 9)),
        [],
        ConditionCode.WITHIN_LIMITATION,
    ),
}


@pytest.mark.parametrize("case", sorted(FAILING_ALONE))
def test_each_condition_failing_alone_denies_the_waiver(case: str) -> None:
    f, history, code = FAILING_ALONE[case]
    result = evaluate(f, history)
    assert not result.eligible
    assert [c.code for c in result.unmet] == [code]
    assert result.fine_spared_yuan == 0


def test_unlisted_type_lists_no_thresholds_and_gets_a_penalty_proposal() -> None:
    result = evaluate(finding("FIRE-LANE-OBSTRUCTED"))
    assert [c.code for c in result.conditions] == [
        ConditionCode.TYPE_LISTED,
        ConditionCode.FIRST_VIOLATION,
        ConditionCode.MINOR_HARM,
        ConditionCode.NO_HARMFUL_CONSEQUENCE,
        ConditionCode.CORRECTED_IN_TIME,
        ConditionCode.WITHIN_LIMITATION,
    ]
    assert result.outcome is Outcome.PENALTY and result.listed_entry is None
    assert result.proposal is not None and result.proposal.fine_yuan == 11750


def test_time_barred_violation_gets_neither_waiver_nor_penalty() -> None:
    result = evaluate(finding(committed_on=date(2024, 3, 9)))
    assert result.outcome is Outcome.TIME_BARRED
    assert result.proposal is None and result.fine_spared_yuan == 0


# --- thresholds: exactly at is within, one over is not --------------------------------------

BOUNDARIES = [
    ("EVACUATION-OBSTRUCTED", "obstructed_width_share", Decimal("0.20"), Decimal("0.21")),
    ("EVACUATION-OBSTRUCTED", "obstructed_width_share", Decimal("0.2"), Decimal("0.2001")),
    ("HYDRANT-BLOCKED", "blocked_hydrants", Decimal(2), Decimal(3)),
    ("FIRE-DOOR-FAULTY", "faulty_fire_doors", Decimal(3), Decimal(4)),
    ("EMERGENCY-LIGHTING-FAULTY", "faulty_emergency_lights", Decimal(2), Decimal(3)),
    ("WINDOW-OBSTRUCTED", "obstructed_windows", Decimal(2), Decimal(3)),
]


@pytest.mark.parametrize(("violation_type", "quantity", "at", "over"), BOUNDARIES)
def test_threshold_is_inclusive(violation_type: str, quantity: str, at: Decimal, over: Decimal) -> None:
    within = evaluate(finding(violation_type, measurements=[Measurement(quantity=quantity, value=at)]))
    assert within.eligible
    assert within.condition(ConditionCode.WITHIN_THRESHOLD, quantity).compared["measured"] == format(at, "f")

    beyond = evaluate(finding(violation_type, measurements=[Measurement(quantity=quantity, value=over)]))
    assert not beyond.eligible
    assert unmet(beyond) == [(ConditionCode.WITHIN_THRESHOLD, quantity)]
    condition = beyond.condition(ConditionCode.WITHIN_THRESHOLD, quantity)
    assert condition.compared["measured"] == format(over, "f") and "over" in condition.evidence


def devices(**per_floor: int) -> list[Measurement]:
    return [Measurement(quantity="faulty_devices", value=Decimal(n), floor=f) for f, n in per_floor.items()]


def test_per_floor_threshold_exactly_at_on_every_floor_is_within() -> None:
    result = evaluate(finding("FIRE-EQUIPMENT-FAULTY", measurements=devices(B1=1, F1=1, F2=1, F3=1)))
    assert result.eligible


def test_per_floor_threshold_one_over_on_a_single_floor_is_not_within() -> None:
    result = evaluate(finding("FIRE-EQUIPMENT-FAULTY", measurements=devices(F1=1, F2=0, F3=2)))
    assert unmet(result) == [(ConditionCode.WITHIN_THRESHOLD, "faulty_devices")]
    condition = result.condition(ConditionCode.WITHIN_THRESHOLD, "faulty_devices")
    assert condition.compared == {"max": "1", "perFloor": "F1=1; F2=0; F3=2", "floorsOver": "F3"}
    assert "F3" in condition.evidence


def test_per_floor_counts_are_not_added_across_floors() -> None:
    # Three floors with one faulty device each: 3 in the building, but each floor is within.
    assert evaluate(finding("FIRE-EQUIPMENT-FAULTY", measurements=devices(F1=1, F2=1, F3=1))).eligible


def test_unmeasured_quantity_is_not_within() -> None:
    result = evaluate(finding(measurements=[]))
    assert unmet(result) == [(ConditionCode.WITHIN_THRESHOLD, "blocked_hydrants")]
    assert "not measured" in result.condition(ConditionCode.WITHIN_THRESHOLD, "blocked_hydrants").evidence


def two_threshold_rules() -> RuleSet:
    """The published rules with a second quantity and threshold on the evacuation entry."""
    cat = RULES.catalogue
    extra = Quantity(
        code="locked_exits",
        unit=QuantityUnit.COUNT,
        description="锁闭的安全出口数量",
        description_en="safety exits locked",
    )
    types = [
        msgspec.structs.replace(t, quantities=[*t.quantities, extra])
        if t.code == "EVACUATION-OBSTRUCTED"
        else t
        for t in cat.types
    ]
    wl = RULES.waiver_list
    entries = [
        msgspec.structs.replace(
            e, thresholds=[*e.thresholds, Threshold(quantity="locked_exits", max=Decimal(0))]
        )
        if e.type == "EVACUATION-OBSTRUCTED"
        else e
        for e in wl.entries
    ]
    return build_rules(
        msgspec.structs.replace(cat, types=types), msgspec.structs.replace(wl, entries=entries)
    )


def test_each_threshold_is_its_own_condition() -> None:
    rules = two_threshold_rules()
    share_ok = Measurement(quantity="obstructed_width_share", value=Decimal("0.2"))
    result = evaluate(
        finding(
            "EVACUATION-OBSTRUCTED",
            measurements=[share_ok, Measurement(quantity="locked_exits", value=Decimal(1))],
        ),
        rules=rules,
    )
    thresholds = [c for c in result.conditions if c.code is ConditionCode.WITHIN_THRESHOLD]
    assert [(c.quantity, c.met) for c in thresholds] == [
        ("obstructed_width_share", True),
        ("locked_exits", False),
    ]
    assert unmet(result) == [(ConditionCode.WITHIN_THRESHOLD, "locked_exits")]


# --- look-back window -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("found_on", "prior_on", "first"),
    [
        (date(2026, 3, 10), date(2025, 3, 10), False),  # exactly one year earlier: inside
        (date(2026, 3, 10), date(2025, 3, 9), True),  # one year and a day: outside
        (date(2026, 3, 10), date(2026, 3, 10), False),  # same day, another finding: inside
        (date(2026, 3, 10), date(2026, 3, 11), True),  # found later: not a prior violation
        (date(2025, 2, 28), date(2024, 2, 29), False),  # 29 Feb + 1 year ends on 28 Feb
        (date(2028, 2, 29), date(2027, 2, 28), True),  # 28 Feb + 1 year is 28 Feb, before 29 Feb
        (date(2028, 2, 29), date(2027, 3, 1), False),
    ],
)
def test_look_back_window_boundaries(found_on: date, prior_on: date, first: bool) -> None:
    f = finding(found_on=found_on, committed_on=found_on, corrected_on=found_on)
    result = evaluate(f, [prior(prior_on)], as_of=found_on + timedelta(days=10))
    assert result.condition(ConditionCode.FIRST_VIOLATION).met is first
    assert result.eligible is first


def test_first_violation_is_checked_by_uscc_and_type_and_ignores_the_finding_itself() -> None:
    earlier = FOUND - timedelta(days=30)
    history = [
        prior(earlier, uscc=OTHER, id="A"),
        prior(earlier, violation_type="FIRE-DOOR-FAULTY", id="B"),
        prior(FOUND, id="F-NOW"),  # the finding itself, as the service may pass it
    ]
    assert evaluate(finding(), history).eligible


def test_first_violation_evidence_names_the_priors_in_date_order() -> None:
    history = [
        prior(date(2026, 1, 5), id="F-2"),
        prior(date(2025, 9, 1), id="F-1"),
        prior(date(2024, 1, 1), id="F-0"),
    ]
    condition = evaluate(finding(), history).condition(ConditionCode.FIRST_VIOLATION)
    assert not condition.met
    assert condition.compared["priorFindings"] == "F-1 on 2025-09-01, F-2 on 2026-01-05"
    assert condition.compared["windowStart"] == "2025-03-10"


def test_look_back_window_is_configurable() -> None:
    rules = build_rules(RULES.catalogue, msgspec.structs.replace(RULES.waiver_list, look_back_years=2))
    eighteen_months = [prior(date(2024, 9, 10))]
    assert not evaluate(finding(), eighteen_months, rules=rules).eligible
    assert evaluate(finding(), eighteen_months).eligible


# --- limitation period ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("committed_on", "endangered", "harmed", "within"),
    [
        (date(2024, 3, 10), False, False, True),  # found exactly two years later: last day of the period
        (date(2024, 3, 9), False, False, False),  # two years and a day
        (date(2021, 3, 10), True, True, True),  # life or health involved and harm done: exactly five years
        (date(2021, 3, 9), True, True, False),  # five years and a day
        (date(2023, 3, 10), True, True, True),  # three years: barred ordinarily, not with both
        (date(2023, 3, 10), False, False, False),
        # Art. 36 needs both: life or health involved without a harmful consequence is two years,
        (date(2023, 3, 10), True, False, False),
        # and a harmful consequence without life or health involved too.
        (date(2023, 3, 10), False, True, False),
    ],
)
def test_limitation_period_boundaries(
    committed_on: date, endangered: bool, harmed: bool, within: bool
) -> None:
    result = evaluate(
        finding(committed_on=committed_on, life_or_health_endangered=endangered, harmful_consequence=harmed)
    )
    condition = result.condition(ConditionCode.WITHIN_LIMITATION)
    assert condition.met is within
    expected = Outcome.TIME_BARRED if not within else Outcome.PENALTY if harmed else Outcome.WAIVER
    assert result.outcome is expected
    assert condition.compared["years"] == ("5" if endangered and harmed else "2")


def test_limitation_from_29_february_ends_on_28_february() -> None:
    f = finding(committed_on=date(2024, 2, 29), found_on=date(2026, 2, 28), corrected_on=date(2026, 2, 28))
    result = evaluate(f, as_of=date(2026, 3, 2))
    assert result.condition(ConditionCode.WITHIN_LIMITATION).compared["lastDay"] == "2026-02-28"
    assert result.eligible
    late = msgspec.structs.replace(f, found_on=date(2026, 3, 1), corrected_on=date(2026, 3, 1))
    assert evaluate(late, as_of=date(2026, 3, 2)).outcome is Outcome.TIME_BARRED


# --- correction -----------------------------------------------------------------------------

DEADLINE = FOUND + timedelta(days=7)


@pytest.mark.parametrize(
    ("corrected_on", "deadline", "as_of", "met", "final"),
    [
        (FOUND, None, AS_OF, True, True),  # on the spot
        (DEADLINE, DEADLINE, AS_OF, True, True),  # on the deadline day
        (DEADLINE + timedelta(days=1), DEADLINE, AS_OF, False, True),  # a day late
        (FOUND + timedelta(days=1), None, AS_OF, False, True),  # not on the spot, no deadline to meet
        (None, DEADLINE, DEADLINE, False, False),  # deadline not passed yet: may still be met
        (None, DEADLINE, DEADLINE + timedelta(days=1), False, True),  # deadline passed
        (None, None, AS_OF, False, False),  # no order served yet
    ],
)
def test_corrected_in_time(
    corrected_on: date | None, deadline: date | None, as_of: date, met: bool, final: bool
) -> None:
    result = evaluate(finding(corrected_on=corrected_on, rectification_deadline=deadline), as_of=as_of)
    assert result.condition(ConditionCode.CORRECTED_IN_TIME).met is met
    assert result.eligible is met
    assert result.final is final


def test_pending_correction_is_final_when_another_condition_already_fails() -> None:
    f = finding(corrected_on=None, rectification_deadline=DEADLINE, harmful_consequence=True)
    result = evaluate(f, as_of=FOUND)
    assert result.final and result.outcome is Outcome.PENALTY


# --- discretion tiers and fines spared ------------------------------------------------------


@pytest.mark.parametrize(
    ("harm", "circumstances", "tier", "fine", "bounds"),
    [
        (HarmLevel.MINOR, [], "light", 11750, (5000, 18500)),
        (HarmLevel.GENERAL, [], "medium", 27500, (18500, 36500)),
        (HarmLevel.SERIOUS, [], "heavy", 43250, (36500, 50000)),
        (HarmLevel.GENERAL, ["refused_correction"], "heavy", 43250, (36500, 50000)),
        (HarmLevel.GENERAL, ["eliminated_consequences"], "light", 11750, (5000, 18500)),
        (HarmLevel.GENERAL, ["eliminated_consequences", "during_operation"], "medium", 27500, (18500, 36500)),
        (HarmLevel.SERIOUS, ["refused_correction", "obstructed_inspection"], "heavy", 43250, (36500, 50000)),
        (HarmLevel.MINOR, ["confessed", "coerced"], "light", 11750, (5000, 18500)),
    ],
)
def test_penalty_proposal_follows_the_tiers(
    harm: HarmLevel, circumstances: list[str], tier: str, fine: int, bounds: tuple[int, int]
) -> None:
    proposal = proposal_for(RULES, "HYDRANT-BLOCKED", harm, circumstances)
    assert (proposal.tier, proposal.fine_yuan) == (tier, fine)
    assert (proposal.tier_min_yuan, proposal.tier_max_yuan) == bounds


def test_article_58_proposal_uses_its_own_range() -> None:
    proposal = proposal_for(RULES, "PGP-COMMITMENT-MISMATCH", HarmLevel.GENERAL, [])
    assert (proposal.tier, proposal.fine_yuan, proposal.tier_min_yuan, proposal.tier_max_yuan) == (
        "medium",
        165000,
        111000,
        219000,
    )


def test_fines_are_whole_yuan_rounded_down() -> None:
    assert share_of_range(FineRange(min_yuan=0, max_yuan=999), 15) == 149  # 149.85
    assert share_of_range(FineRange(min_yuan=5000, max_yuan=50000), 100) == 50000


@pytest.mark.parametrize("circumstances", [[], ["during_operation"], ["confessed"]])
def test_fine_spared_equals_the_proposal_the_tiers_would_make(circumstances: list[str]) -> None:
    spared = evaluate(finding(harm_level=HarmLevel.MINOR, circumstances=circumstances))
    assert spared.eligible
    penalised = evaluate(
        finding(harm_level=HarmLevel.MINOR, circumstances=circumstances, harmful_consequence=True)
    )
    assert penalised.outcome is Outcome.PENALTY and penalised.fine_spared_yuan == 0
    assert penalised.proposal is not None
    assert spared.fine_spared_yuan == penalised.proposal.fine_yuan
    assert spared.proposal == penalised.proposal


@pytest.mark.parametrize(("harm", "fine"), [(HarmLevel.GENERAL, 27500), (HarmLevel.SERIOUS, 43250)])
def test_general_or_serious_harm_is_never_waived(harm: HarmLevel, fine: int) -> None:
    """Art. 33: a first, listed, corrected violation is spared only when its harm is minor (轻微)."""
    result = evaluate(finding(harm_level=harm))
    assert result.outcome is Outcome.PENALTY and result.fine_spared_yuan == 0
    assert [c.code for c in result.unmet] == [ConditionCode.MINOR_HARM]
    assert result.proposal is not None and result.proposal.fine_yuan == fine


def test_evaluation_round_trips_as_camel_case_json() -> None:
    result = evaluate(finding(), [prior(FOUND - timedelta(days=3))])
    encoded = msgspec.json.encode(result)
    assert b'"fineSparedYuan":0' in encoded and b'"ruleVersion"' in encoded
    assert msgspec.json.decode(encoded, type=WaiverEvaluation) == result


# --- findings the engine refuses ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"violation_type": "NO-SUCH-TYPE"}, "unknown violation type NO-SUCH-TYPE"),
        ({"uscc": "91510100MA6CX12349"}, "check character"),
        ({"violation_type": "FACILITY-DISABLED", "measurements": []}, "harm level minor is not allowed"),
        ({"circumstances": ["bribed_the_inspector"]}, "unknown circumstance bribed_the_inspector"),
        (
            {"measurements": [Measurement(quantity="faulty_devices", value=Decimal(1))]},
            "does not measure faulty_devices",
        ),
        (
            {"measurements": [Measurement(quantity="blocked_hydrants", value=Decimal("1.5"))]},
            "not a whole number",
        ),
        ({"measurements": [*hydrants(1), *hydrants(1)]}, "recorded twice"),
        (
            {"measurements": [Measurement(quantity="blocked_hydrants", value=Decimal(1), floor="1F")]},
            "not counted per floor",
        ),
        ({"found_on": AS_OF + timedelta(days=1)}, "after the evaluation date"),
        ({"committed_on": FOUND + timedelta(days=1)}, "committedOn is after foundOn"),
    ],
)
def test_inconsistent_findings_are_refused_with_the_reason(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        evaluate(finding(**changes))


def test_per_floor_quantity_needs_floors_and_fraction_stays_below_one() -> None:
    with pytest.raises(EvaluationError, match="each measurement needs its floor"):
        evaluate(
            finding(
                "FIRE-EQUIPMENT-FAULTY",
                measurements=[Measurement(quantity="faulty_devices", value=Decimal(1))],
            )
        )
    over_one = [Measurement(quantity="obstructed_width_share", value=Decimal("1.5"))]
    with pytest.raises(EvaluationError, match="fraction between 0 and 1"):
        evaluate(finding("EVACUATION-OBSTRUCTED", measurements=over_one))


def test_negative_measurement_is_rejected_when_decoded() -> None:
    with pytest.raises(msgspec.ValidationError, match="finite number >= 0"):
        msgspec.json.decode(b'{"quantity": "blocked_hydrants", "value": "-1"}', type=Measurement)


# --- the loaders name the broken file and entry ---------------------------------------------


def write_rules(tmp_path: Path, **texts: str) -> tuple[Path, Path]:
    """Copies of the published files in ``tmp_path``, with ``texts`` (by file stem) replacing some."""
    paths = []
    for name in ("violation_types.yaml", "waiver_list.yaml"):
        path = tmp_path / name
        path.write_text(texts.get(path.stem, published(name)), "utf-8")
        paths.append(path)
    return paths[0], paths[1]


def published(name: str) -> str:
    return (RULES_DIR / name).read_text("utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "waiver_list.yaml",
            "quantity: blocked_hydrants",
            "quantity: blocked_pumps",
            "waiver_list.yaml: entry HYDRANT-BLOCKED: threshold on blocked_pumps",
        ),
        (
            "waiver_list.yaml",
            "type: WINDOW-OBSTRUCTED",
            "type: WINDOWS-OBSTRUCTED",
            "waiver_list.yaml: entry WINDOWS-OBSTRUCTED: no such violation type",
        ),
        (
            "waiver_list.yaml",
            "max: 0.20",
            "max: 1.5",
            "waiver_list.yaml: entry EVACUATION-OBSTRUCTED: obstructed_width_share is a fraction",
        ),
        (
            "waiver_list.yaml",
            "max: 3",
            "max: lots",
            "waiver_list.yaml: entry FIRE-DOOR-FAULTY / faulty_fire_doors: Invalid decimal",
        ),
        (
            "violation_types.yaml",
            "fine: {minYuan: 30000, maxYuan: 300000}",
            "fine: {minYuan: 300000, maxYuan: 30000}",
            "violation_types.yaml: type PGP-OPENED-WITHOUT-PERMIT: fine minYuan 300000 exceeds maxYuan 30000",
        ),
        (
            "violation_types.yaml",
            "harmLevels: [general, serious]\n\n  - code: FIRE-LANE",
            "harmLevels: [general, grave]\n\n  - code: FIRE-LANE",
            "violation_types.yaml: entry FACILITY-DISABLED: Invalid enum value 'grave'",
        ),
        (
            "violation_types.yaml",
            "fromPercent: 30",
            "fromPercent: 35",
            "violation_types.yaml: discretion tier medium: fromPercent 35, expected 30",
        ),
    ],
)
def test_loader_rejects_a_broken_file_naming_it_and_the_entry(
    tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    text = published(file)
    assert old in text, old
    broken = text.replace(old, new, 1)
    paths = write_rules(tmp_path, **{file.removesuffix(".yaml"): broken})
    with pytest.raises(RulesError) as caught:
        load_rules(*paths)
    assert expected in str(caught.value)


def test_loader_rejects_yaml_it_cannot_parse_and_files_it_cannot_read(tmp_path: Path) -> None:
    cat, wl = write_rules(tmp_path, waiver_list="entries: [unclosed\n")
    with pytest.raises(RulesError, match=r"^waiver_list\.yaml: not valid YAML"):
        load_rules(cat, wl)
    with pytest.raises(RulesError, match=r"^missing\.yaml: cannot read"):
        load_rules(tmp_path / "missing.yaml", wl)
