"""Enforcement rules: violation types, the first-offense waiver list and the waiver engine.

Pure: no I/O except the loaders reading the two rules files, no framework, no database.

Data (``workflows/rules/``):

* ``violation_types.yaml`` → :class:`ViolationCatalogue`: types with legal basis, fine range
  (whole yuan), allowed :class:`HarmLevel` values and measurable quantities, plus the
  discretion standard (fine tiers and circumstances).
* ``waiver_list.yaml`` → :class:`WaiverList`: the published 免罚清单 (id, version, effective
  date), one entry per waivable type with inclusive thresholds, the look-back window and the
  limitation periods.

Use::

    from datetime import date
    from decimal import Decimal
    from govservice.domain.enforcement import (
        Finding, Measurement, HarmLevel, evaluate_waiver, load_default_rules)

    rules = load_default_rules(settings.workflows_dir)      # RulesError names file and entry
    finding = Finding(
        id="F-2026-0042", uscc="91510100MA6CX12348", violation_type="HYDRANT-BLOCKED",
        committed_on=date(2026, 3, 2), found_on=date(2026, 3, 2), harm_level=HarmLevel.MINOR,
        measurements=[Measurement(quantity="blocked_hydrants", value=Decimal(2))],
        corrected_on=date(2026, 3, 2))                      # corrected on the spot
    history = [f.as_prior() for f in earlier_findings_of_that_enterprise]   # any order
    result = evaluate_waiver(finding, history, rules, as_of=date(2026, 3, 3))
    result.eligible, result.outcome          # True, Outcome.WAIVER
    result.conditions                        # every condition: code, met, evidence, compared
    result.rule_version                      # "fire-first-offense-waivers@1+fire-violation-types@1"
    result.fine_spared_yuan                  # 11750: the light-tier proposal it spared
    msgspec.json.encode(result)              # camelCase JSON, ready to store

Errors: :class:`RulesError` (a rules file is broken) and :class:`EvaluationError` (a finding
contradicts itself or the rules) are both ``ValueError``; services map them to problems.
"""

from govservice.domain.enforcement.discretion import PenaltyProposal, proposal_for, propose_penalty
from govservice.domain.enforcement.evaluation import (
    Condition,
    ConditionCode,
    Outcome,
    WaiverEvaluation,
    evaluate_waiver,
)
from govservice.domain.enforcement.findings import EvaluationError, Finding, Measurement, PriorFinding
from govservice.domain.enforcement.periods import earliest_start, years_later
from govservice.domain.enforcement.rules import (
    RulesError,
    RuleSet,
    build_rules,
    decode_catalogue,
    decode_waiver_list,
    load_default_rules,
    load_rules,
)
from govservice.domain.enforcement.violation_types import (
    Circumstance,
    CircumstanceEffect,
    Discretion,
    FineRange,
    HarmLevel,
    LegalBasis,
    Quantity,
    QuantityUnit,
    Tier,
    ViolationCatalogue,
    ViolationType,
)
from govservice.domain.enforcement.waiver_list import Limitation, Threshold, WaiverEntry, WaiverList

__all__ = [
    "Circumstance",
    "CircumstanceEffect",
    "Condition",
    "ConditionCode",
    "Discretion",
    "EvaluationError",
    "Finding",
    "FineRange",
    "HarmLevel",
    "LegalBasis",
    "Limitation",
    "Measurement",
    "Outcome",
    "PenaltyProposal",
    "PriorFinding",
    "Quantity",
    "QuantityUnit",
    "RuleSet",
    "RulesError",
    "Threshold",
    "Tier",
    "ViolationCatalogue",
    "ViolationType",
    "WaiverEntry",
    "WaiverEvaluation",
    "WaiverList",
    "build_rules",
    "decode_catalogue",
    "decode_waiver_list",
    "earliest_start",
    "evaluate_waiver",
    "load_default_rules",
    "load_rules",
    "proposal_for",
    "propose_penalty",
    "years_later",
]
