"""The first-offense waiver (首违不罚) rule engine: a pure function of its inputs.

:func:`evaluate_waiver` checks a finding against the rules and the enterprise's history and
lists every condition, in this order, each with ``met`` and its evidence:

1. ``type_listed`` — the violation type has an entry on the waiver list;
2. ``within_threshold`` — one condition per threshold of that entry (none if unlisted); a
   quantity not measured is not within; a per-floor quantity must be within on every floor;
3. ``first_violation`` — no other finding of the same USCC and type dated from the start of
   the look-back window up to and including the finding's own day. A prior finding exactly
   N years earlier (same calendar day) is *inside* (see :mod:`.periods`); a same-day finding
   counts too, since the order of recording must not decide which came first. Later
   findings, and the finding's own id, are ignored;
4. ``minor_harm`` — the inspector judged the harm minor (轻微); Administrative Penalty Law
   art. 33 spares only a first violation whose harm is minor, so ``general`` and ``serious``
   never qualify;
5. ``no_harmful_consequence``;
6. ``corrected_in_time`` — corrected on the day found (on the spot) or by the rectification
   deadline; not yet corrected is not met;
7. ``within_limitation`` — found no later than the last day of the limitation period
   (art. 36: 5 years from the violation where life or health safety is involved *and* there
   was a harmful consequence, 2 years otherwise).

Outcome: ``waiver`` when every condition is met; ``time_barred`` when the limitation period
had run out (no penalty may be imposed either); otherwise ``penalty``, with the tier proposal.
A waiver carries the same proposal as ``fineSparedYuan``. ``final`` is False only when the
outcome could still turn into a waiver: everything else is met and the correction deadline
has not passed (or no deadline was set yet) on ``as_of`` — evaluate again after the re-check.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from govservice.domain.base import Record
from govservice.domain.enforcement.discretion import PenaltyProposal, propose_penalty
from govservice.domain.enforcement.findings import EvaluationError, Finding, PriorFinding
from govservice.domain.enforcement.periods import earliest_start, years_later
from govservice.domain.enforcement.rules import RuleSet
from govservice.domain.enforcement.violation_types import (
    HarmLevel,
    Quantity,
    QuantityUnit,
    Slug,
    Text,
    TypeCode,
    ViolationType,
)
from govservice.domain.enforcement.waiver_list import Threshold, WaiverEntry
from govservice.domain.uscc import uscc_problem


class ConditionCode(enum.StrEnum):
    TYPE_LISTED = "type_listed"
    WITHIN_THRESHOLD = "within_threshold"
    FIRST_VIOLATION = "first_violation"
    MINOR_HARM = "minor_harm"
    NO_HARMFUL_CONSEQUENCE = "no_harmful_consequence"
    CORRECTED_IN_TIME = "corrected_in_time"
    WITHIN_LIMITATION = "within_limitation"


class Condition(Record, frozen=True):
    code: ConditionCode
    met: bool
    evidence: Text
    compared: dict[str, str]  # the values compared, as text (dates ISO, decimals exact)
    quantity: Slug | None = None  # which threshold, for within_threshold


class Outcome(enum.StrEnum):
    WAIVER = "waiver"  # 不予处罚（首违不罚）
    PENALTY = "penalty"  # penalty proposal per the discretion tiers
    TIME_BARRED = "time_barred"  # 超过追责时效，不再给予行政处罚


class WaiverEvaluation(Record, frozen=True):
    finding_id: str
    uscc: str
    violation_type: TypeCode
    rule_version: str  # RuleSet.version
    listed_entry: TypeCode | None  # the waiver-list entry checked; None if the type is unlisted
    evaluated_on: date
    eligible: bool
    outcome: Outcome
    final: bool
    conditions: list[Condition]
    proposal: PenaltyProposal | None  # None only when time-barred
    fine_spared_yuan: int  # the proposal's fine for a waiver, else 0

    def condition(self, code: ConditionCode, quantity: str | None = None) -> Condition:
        """The condition with ``code`` (and, for a threshold, ``quantity``); KeyError if absent."""
        for condition in self.conditions:
            if condition.code is code and condition.quantity == quantity:
                return condition
        raise KeyError(f"{code}:{quantity}" if quantity else code)

    @property
    def unmet(self) -> list[Condition]:
        return [c for c in self.conditions if not c.met]


def evaluate_waiver(
    finding: Finding, history: Iterable[PriorFinding], rules: RuleSet, *, as_of: date
) -> WaiverEvaluation:
    """Evaluate ``finding`` on ``as_of`` against ``rules`` and the enterprise's ``history``.

    ``history`` may hold any findings (other enterprises, other types, later ones, the finding
    itself): only those that bear on the look-back check are used, in no particular order.
    Raises :class:`EvaluationError` when the finding contradicts itself or the rules.
    """
    vtype = _check(finding, rules, as_of)
    entry = rules.waiver_entry(finding.violation_type)
    corrected, pending = _corrected_in_time(finding, as_of)
    limitation = _within_limitation(finding, rules)
    conditions = [
        _type_listed(finding, entry, rules),
        *(_within_threshold(finding, vtype, threshold) for threshold in (entry.thresholds if entry else [])),
        _first_violation(finding, history, rules),
        _minor_harm(finding),
        _no_harmful_consequence(finding),
        corrected,
        limitation,
    ]
    if not limitation.met:
        outcome = Outcome.TIME_BARRED
    elif all(c.met for c in conditions):
        outcome = Outcome.WAIVER
    else:
        outcome = Outcome.PENALTY
    others_met = all(c.met for c in conditions if c is not corrected)
    proposal = (
        None
        if outcome is Outcome.TIME_BARRED
        else propose_penalty(vtype, finding.harm_level, finding.circumstances, rules.catalogue.discretion)
    )
    return WaiverEvaluation(
        finding_id=finding.id,
        uscc=finding.uscc,
        violation_type=finding.violation_type,
        rule_version=rules.version,
        listed_entry=entry.type if entry else None,
        evaluated_on=as_of,
        eligible=outcome is Outcome.WAIVER,
        outcome=outcome,
        final=not (pending and others_met),
        conditions=conditions,
        proposal=proposal,
        fine_spared_yuan=proposal.fine_yuan if proposal and outcome is Outcome.WAIVER else 0,
    )


def _type_listed(finding: Finding, entry: WaiverEntry | None, rules: RuleSet) -> Condition:
    wl = rules.waiver_list
    listed = f"{wl.id}@{wl.version}"
    return Condition(
        code=ConditionCode.TYPE_LISTED,
        met=entry is not None,
        evidence=(
            f"{finding.violation_type} is on the waiver list {listed}"
            if entry
            else f"{finding.violation_type} is not on the waiver list {listed}"
        ),
        compared={"violationType": finding.violation_type, "waiverList": listed},
    )


def _within_threshold(finding: Finding, vtype: ViolationType, threshold: Threshold) -> Condition:
    quantity = vtype.quantity(threshold.quantity)
    if quantity is None:  # build_rules rejects such a list; a RuleSet made by hand may not
        raise EvaluationError(
            f"waiver entry {vtype.code}: {threshold.quantity} is not a quantity of the type"
        )
    limit = _text(threshold.max)
    values = [m for m in finding.measurements if m.quantity == threshold.quantity]

    def condition(met: bool, evidence: str, **compared: str) -> Condition:
        return Condition(
            code=ConditionCode.WITHIN_THRESHOLD,
            quantity=quantity.code,
            met=met,
            evidence=evidence,
            compared={"max": limit, **compared},
        )

    if not values:
        return condition(
            False, f"{quantity.code} was not measured, so it cannot be shown to be at most {limit}"
        )
    if not quantity.per_floor:
        value = values[0].value
        met = value <= threshold.max
        relation = "within" if met else "over"
        return condition(
            met,
            f"{quantity.code} {_text(value)} is {relation} the threshold of at most {limit}",
            measured=_text(value),
        )
    floors = sorted((m.floor or "", m.value) for m in values)
    over = [floor for floor, value in floors if value > threshold.max]
    per_floor = "; ".join(f"{floor}={_text(value)}" for floor, value in floors)
    if over:
        floors_over = ", ".join(over)
        evidence = f"{quantity.code} is over the threshold of at most {limit} per floor on: {floors_over}"
    else:
        evidence = f"{quantity.code} is at most {limit} on each of the {len(floors)} floor(s) recorded"
    return condition(not over, evidence, perFloor=per_floor, floorsOver=", ".join(over))


def _first_violation(finding: Finding, history: Iterable[PriorFinding], rules: RuleSet) -> Condition:
    years = rules.waiver_list.look_back_years
    start = earliest_start(finding.found_on, years)
    priors = sorted(
        {
            (prior.found_on, prior.id)  # a set: the same finding passed twice counts once
            for prior in history
            if prior.id != finding.id
            and prior.uscc == finding.uscc
            and prior.violation_type == finding.violation_type
            and start <= prior.found_on <= finding.found_on
        }
    )
    listed = ", ".join(f"{id_} on {found_on.isoformat()}" for found_on, id_ in priors)
    window = f"{start.isoformat()} to {finding.found_on.isoformat()}"
    return Condition(
        code=ConditionCode.FIRST_VIOLATION,
        met=not priors,
        evidence=(
            f"no other finding of {finding.violation_type} against {finding.uscc} from {window}"
            if not priors
            else f"{len(priors)} other finding(s) of {finding.violation_type} against {finding.uscc} "
            f"from {window}: {listed}"
        ),
        compared={
            "uscc": finding.uscc,
            "violationType": finding.violation_type,
            "lookBackYears": str(years),
            "windowStart": start.isoformat(),
            "windowEnd": finding.found_on.isoformat(),
            "priorFindings": listed,
        },
    )


def _minor_harm(finding: Finding) -> Condition:
    minor = finding.harm_level is HarmLevel.MINOR
    return Condition(
        code=ConditionCode.MINOR_HARM,
        met=minor,
        evidence="harm judged minor (轻微)"
        if minor
        else f"harm judged {finding.harm_level}: art. 33 spares only a first violation of minor harm",
        compared={"harmLevel": str(finding.harm_level), "required": str(HarmLevel.MINOR)},
    )


def _no_harmful_consequence(finding: Finding) -> Condition:
    return Condition(
        code=ConditionCode.NO_HARMFUL_CONSEQUENCE,
        met=not finding.harmful_consequence,
        evidence="the violation caused harm"
        if finding.harmful_consequence
        else "no harmful consequence recorded",
        compared={"harmfulConsequence": _flag(finding.harmful_consequence)},
    )


def _corrected_in_time(finding: Finding, as_of: date) -> tuple[Condition, bool]:
    """The condition, and whether it is still open (may yet be met by a timely correction)."""
    found, corrected, deadline = finding.found_on, finding.corrected_on, finding.rectification_deadline
    pending = False
    if corrected is not None and corrected == found:
        met, evidence = True, f"corrected on the spot on {found.isoformat()}"
    elif corrected is not None and deadline is not None:
        met = corrected <= deadline
        relation = "by" if met else "after"
        evidence = f"corrected on {corrected.isoformat()}, {relation} the deadline {deadline.isoformat()}"
    elif corrected is not None:
        met, evidence = (
            False,
            f"corrected on {corrected.isoformat()}, not on the spot, and no deadline was set",
        )
    elif deadline is not None and as_of <= deadline:
        met, pending = False, True
        evidence = (
            f"not corrected yet; the deadline {deadline.isoformat()} has not passed on {as_of.isoformat()}"
        )
    elif deadline is not None:
        met, evidence = False, f"not corrected by the deadline {deadline.isoformat()}"
    else:
        met, pending = False, True
        evidence = "not corrected on the spot and no rectification deadline set yet"
    return Condition(
        code=ConditionCode.CORRECTED_IN_TIME,
        met=met,
        evidence=evidence,
        compared={"foundOn": found.isoformat(), "correctedOn": _day(corrected), "deadline": _day(deadline)},
    ), pending


def _within_limitation(finding: Finding, rules: RuleSet) -> Condition:
    limitation = rules.waiver_list.limitation
    # Art. 36: the longer period needs both, life or health safety involved and a harmful consequence.
    longer = finding.life_or_health_endangered and finding.harmful_consequence
    years = limitation.life_or_health_years if longer else limitation.years
    last_day = years_later(finding.committed_on, years)
    met = finding.found_on <= last_day
    why = "life or health safety involved, with a harmful consequence" if longer else "ordinary period"
    return Condition(
        code=ConditionCode.WITHIN_LIMITATION,
        met=met,
        evidence=(
            f"committed {finding.committed_on.isoformat()}, found {finding.found_on.isoformat()}: "
            f"{'within' if met else 'after'} the {years}-year period ({why}) ending {last_day.isoformat()}"
        ),
        compared={
            "committedOn": finding.committed_on.isoformat(),
            "foundOn": finding.found_on.isoformat(),
            "years": str(years),
            "lastDay": last_day.isoformat(),
            "lifeOrHealthEndangered": _flag(finding.life_or_health_endangered),
            "harmfulConsequence": _flag(finding.harmful_consequence),
        },
    )


def _check(finding: Finding, rules: RuleSet, as_of: date) -> ViolationType:
    """The finding's type, or EvaluationError listing everything wrong with the finding."""
    vtype = rules.violation_type(finding.violation_type)
    if vtype is None:
        raise EvaluationError(f"finding {finding.id}: unknown violation type {finding.violation_type}")
    problems: list[str] = []
    if (problem := uscc_problem(finding.uscc)) is not None:
        problems.append(f"USCC {finding.uscc} {problem}")
    for name, effective in (
        ("waiver list", rules.waiver_list.effective),
        ("catalogue", rules.catalogue.effective),
    ):
        if as_of < effective:
            problems.append(f"the {name} {rules.version} takes effect on {effective}, after {as_of}")
    if finding.committed_on > finding.found_on:
        problems.append("committedOn is after foundOn")
    if finding.found_on > as_of:
        problems.append(f"foundOn {finding.found_on} is after the evaluation date {as_of}")
    if finding.corrected_on is not None and not finding.found_on <= finding.corrected_on <= as_of:
        problems.append(
            f"correctedOn {finding.corrected_on} must lie between foundOn and the evaluation date"
        )
    if finding.rectification_deadline is not None and finding.rectification_deadline < finding.found_on:
        problems.append("rectificationDeadline is before foundOn")
    if finding.harm_level not in vtype.harm_levels:
        allowed = ", ".join(vtype.harm_levels)
        problems.append(
            f"harm level {finding.harm_level} is not allowed for {vtype.code} (allowed: {allowed})"
        )
    for code in finding.circumstances:
        if rules.catalogue.discretion.circumstance(code) is None:
            problems.append(f"unknown circumstance {code}")
    problems += _measurement_problems(finding, vtype)
    if problems:
        raise EvaluationError(f"finding {finding.id}: " + "; ".join(problems))
    return vtype


def _measurement_problems(finding: Finding, vtype: ViolationType) -> list[str]:
    problems: list[str] = []
    seen: set[tuple[str, str | None]] = set()
    for m in finding.measurements:
        quantity: Quantity | None = vtype.quantity(m.quantity)
        if quantity is None:
            problems.append(f"{vtype.code} does not measure {m.quantity}")
            continue
        if (m.quantity, m.floor) in seen:
            problems.append(f"{m.quantity} is recorded twice" + (f" for floor {m.floor}" if m.floor else ""))
        seen.add((m.quantity, m.floor))
        if quantity.per_floor and m.floor is None:
            problems.append(f"{m.quantity} is counted per floor: each measurement needs its floor")
        if not quantity.per_floor and m.floor is not None:
            problems.append(f"{m.quantity} is not counted per floor: give it without a floor")
        if quantity.unit is QuantityUnit.COUNT and m.value != m.value.to_integral_value():
            problems.append(f"{m.quantity} is a count: {_text(m.value)} is not a whole number")
        if quantity.unit is QuantityUnit.FRACTION and m.value > 1:
            problems.append(f"{m.quantity} is a fraction between 0 and 1, got {_text(m.value)}")
    return problems


def _text(value: Decimal) -> str:
    return format(value, "f")


def _day(value: date | None) -> str:
    return value.isoformat() if value else "none"


def _flag(value: bool) -> str:
    return "true" if value else "false"
