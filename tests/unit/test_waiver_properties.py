"""Properties of the waiver engine over random findings and histories (hypothesis): no waiver
for an enterprise with a prior violation of the same type in the window, whatever the order of
recording; unrelated history changes nothing; every condition is always listed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from govservice.config import PROJECT_ROOT
from govservice.domain.enforcement import (
    ConditionCode,
    Finding,
    HarmLevel,
    Measurement,
    Outcome,
    PriorFinding,
    QuantityUnit,
    ViolationType,
    earliest_start,
    evaluate_waiver,
    load_default_rules,
    years_later,
)
from govservice.domain.uscc import ALPHABET, check_character

RULES = load_default_rules(PROJECT_ROOT / "workflows")
TYPES = {t.code: t for t in RULES.catalogue.types}
LISTED = sorted(e.type for e in RULES.waiver_list.entries)
LOOK_BACK = RULES.waiver_list.look_back_years
CIRCUMSTANCES = [c.code for c in RULES.catalogue.discretion.circumstances]

settings.register_profile("waiver", max_examples=150, deadline=None)
settings.load_profile("waiver")


@st.composite
def usccs(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
    return body + check_character(body)


@st.composite
def measurements(draw: st.DrawFn, vtype: ViolationType) -> list[Measurement]:
    result: list[Measurement] = []

    def value(unit: QuantityUnit) -> Decimal:
        if unit is QuantityUnit.FRACTION:
            return Decimal(draw(st.integers(0, 100))) / 100
        return Decimal(draw(st.integers(0, 5)))

    for quantity in vtype.quantities:
        if quantity.per_floor:
            floors = draw(
                st.lists(st.sampled_from(["B1", "1F", "2F", "3F", "4F"]), min_size=1, max_size=5, unique=True)
            )
            result += [
                Measurement(quantity=quantity.code, value=value(quantity.unit), floor=floor)
                for floor in floors
            ]
        elif draw(st.integers(0, 4)):  # now and then not measured at all
            result.append(Measurement(quantity=quantity.code, value=value(quantity.unit)))
    return result


@st.composite
def findings(draw: st.DrawFn, violation_types: list[str] | None = None) -> tuple[Finding, date]:
    """A consistent finding of any catalogued type, and an evaluation date on or after it."""
    vtype = TYPES[draw(st.sampled_from(violation_types or sorted(TYPES)))]
    found_on = draw(st.dates(date(2024, 1, 1), date(2030, 12, 31)))
    committed_on = found_on - timedelta(days=draw(st.integers(0, 6 * 366)))
    deadline = draw(st.none() | st.integers(0, 30).map(lambda d: found_on + timedelta(days=d)))
    corrected_on = draw(st.none() | st.integers(0, 40).map(lambda d: found_on + timedelta(days=d)))
    as_of = max(found_on, corrected_on or found_on) + timedelta(days=draw(st.integers(0, 60)))
    finding = Finding(
        id=draw(st.integers(0, 10_000).map(lambda n: f"F-{n}")),
        uscc=draw(usccs()),
        violation_type=vtype.code,
        committed_on=committed_on,
        found_on=found_on,
        harm_level=draw(st.sampled_from(vtype.harm_levels)),
        measurements=draw(measurements(vtype)),
        harmful_consequence=draw(st.booleans()),
        life_or_health_endangered=draw(st.booleans()),
        corrected_on=corrected_on,
        rectification_deadline=deadline,
        circumstances=draw(st.lists(st.sampled_from(CIRCUMSTANCES), max_size=3, unique=True)),
    )
    return finding, as_of


def eligible_finding(finding: Finding) -> Finding:
    """The same finding with everything but the history in its favour."""
    vtype = TYPES[finding.violation_type]
    return Finding(
        id=finding.id,
        uscc=finding.uscc,
        violation_type=finding.violation_type,
        committed_on=finding.found_on,
        found_on=finding.found_on,
        harm_level=HarmLevel.MINOR if HarmLevel.MINOR in vtype.harm_levels else vtype.harm_levels[0],
        measurements=[
            Measurement(quantity=q.code, value=Decimal(0), floor="1F" if q.per_floor else None)
            for q in vtype.quantities
        ],
        corrected_on=finding.found_on,
    )


def prior_findings(
    uscc: str, violation_type: str, start: date, end: date, prefix: str
) -> st.SearchStrategy[list[PriorFinding]]:
    return st.lists(
        st.builds(
            PriorFinding,
            id=st.integers(0, 10_000).map(lambda n: f"{prefix}{n}"),
            uscc=st.just(uscc),
            violation_type=st.just(violation_type),
            found_on=st.dates(start, end),
        ),
        max_size=4,
    )


@st.composite
def unrelated_history(draw: st.DrawFn, finding: Finding) -> list[PriorFinding]:
    """Findings that must not matter: other enterprises, other types, outside the window."""
    window_start = earliest_start(finding.found_on, LOOK_BACK)
    other_uscc = draw(usccs().filter(lambda u: u != finding.uscc))
    other_type = draw(st.sampled_from([t for t in TYPES if t != finding.violation_type]))
    anywhere = (date(2015, 1, 1), date(2035, 12, 31))
    history = draw(prior_findings(other_uscc, finding.violation_type, *anywhere, "U"))
    history += draw(prior_findings(finding.uscc, other_type, *anywhere, "T"))
    history += draw(
        prior_findings(
            finding.uscc, finding.violation_type, date(2015, 1, 1), window_start - timedelta(days=1), "OLD"
        )
    )
    history += draw(
        prior_findings(
            finding.uscc,
            finding.violation_type,
            finding.found_on + timedelta(days=1),
            date(2035, 12, 31),
            "LATER",
        )
    )
    return history


@given(data=st.data())
def test_no_waiver_with_a_prior_same_type_violation_in_the_window_in_any_order(data: st.DataObject) -> None:
    drawn, as_of = data.draw(findings(LISTED))
    finding = data.draw(st.sampled_from([drawn, eligible_finding(drawn)]))
    window_start = earliest_start(finding.found_on, LOOK_BACK)
    in_window = data.draw(
        st.builds(
            PriorFinding,
            id=st.just("P-IN"),
            uscc=st.just(finding.uscc),
            violation_type=st.just(finding.violation_type),
            found_on=st.dates(window_start, finding.found_on),
        )
    )
    history = [in_window, *data.draw(unrelated_history(finding))]
    first = data.draw(st.permutations(history))
    second = data.draw(st.permutations(history))

    result = evaluate_waiver(finding, first, RULES, as_of=as_of)
    assert not result.eligible and result.outcome is not Outcome.WAIVER and result.fine_spared_yuan == 0
    condition = result.condition(ConditionCode.FIRST_VIOLATION)
    assert not condition.met and "P-IN" in condition.compared["priorFindings"]
    assert evaluate_waiver(finding, second, RULES, as_of=as_of) == result


@given(data=st.data())
def test_unrelated_history_never_changes_the_result(data: st.DataObject) -> None:
    drawn, as_of = data.draw(findings())
    finding = data.draw(st.sampled_from([drawn, eligible_finding(drawn)]))
    relevant = data.draw(
        prior_findings(
            finding.uscc,
            finding.violation_type,
            earliest_start(finding.found_on, LOOK_BACK),
            finding.found_on,
            "R",
        )
    )
    noise = data.draw(unrelated_history(finding))
    mixed = data.draw(st.permutations(relevant + noise))
    assert evaluate_waiver(finding, mixed, RULES, as_of=as_of) == evaluate_waiver(
        finding, relevant, RULES, as_of=as_of
    )


@given(data=st.data())
def test_every_condition_is_always_listed(data: st.DataObject) -> None:
    finding, as_of = data.draw(findings())
    history = data.draw(
        prior_findings(finding.uscc, finding.violation_type, date(2023, 1, 1), date(2031, 1, 1), "H")
    )
    result = evaluate_waiver(finding, history, RULES, as_of=as_of)
    entry = RULES.waiver_entry(finding.violation_type)
    thresholds = [t.quantity for t in entry.thresholds] if entry else []
    assert [(c.code, c.quantity) for c in result.conditions] == [
        (ConditionCode.TYPE_LISTED, None),
        *((ConditionCode.WITHIN_THRESHOLD, q) for q in thresholds),
        (ConditionCode.FIRST_VIOLATION, None),
        (ConditionCode.MINOR_HARM, None),
        (ConditionCode.NO_HARMFUL_CONSEQUENCE, None),
        (ConditionCode.CORRECTED_IN_TIME, None),
        (ConditionCode.WITHIN_LIMITATION, None),
    ]
    assert all(c.evidence and c.compared for c in result.conditions)
    assert result.eligible == all(c.met for c in result.conditions) == (result.outcome is Outcome.WAIVER)
    assert result.rule_version == RULES.version


@given(data=st.data())
def test_fines_stay_within_the_tier_and_the_legal_range(data: st.DataObject) -> None:
    finding, as_of = data.draw(findings())
    result = evaluate_waiver(finding, [], RULES, as_of=as_of)
    if result.outcome is Outcome.TIME_BARRED:
        assert result.proposal is None and result.fine_spared_yuan == 0
        return
    proposal = result.proposal
    assert proposal is not None
    assert proposal.legal_min_yuan <= proposal.tier_min_yuan <= proposal.fine_yuan <= proposal.tier_max_yuan
    assert proposal.tier_max_yuan <= proposal.legal_max_yuan
    assert result.fine_spared_yuan == (proposal.fine_yuan if result.eligible else 0)


@given(
    last_day=st.dates(date(2000, 1, 1), date(2090, 12, 31)),
    day=st.dates(date(1990, 1, 1), date(2090, 12, 31)),
    years=st.integers(1, 6),
)
def test_window_start_is_exactly_where_the_period_still_reaches(
    last_day: date, day: date, years: int
) -> None:
    assert (day >= earliest_start(last_day, years)) == (years_later(day, years) >= last_day)
