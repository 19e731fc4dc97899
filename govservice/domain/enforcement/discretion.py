"""The penalty proposal the discretion standard (裁量基准) makes for a finding.

The tier starts from the finding's harm level (``discretion.baseTiers``); any aggravating
circumstance moves it one tier heavier, any mitigating one one tier lighter (both present:
they cancel), clamped to the lightest and heaviest tiers. Within the tier the proposal is
``min + (max − min) × proposalPercent / 100`` of the legal range, in whole yuan rounded down;
the tier's own bounds are reported so a reviewer can depart from the proposal within them.
For a waiver, this proposal is "the fine it spared".
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from govservice.domain.base import Record
from govservice.domain.enforcement.findings import EvaluationError
from govservice.domain.enforcement.rules import RuleSet
from govservice.domain.enforcement.violation_types import (
    CircumstanceEffect,
    Discretion,
    FineRange,
    HarmLevel,
    Slug,
    Text,
    TypeCode,
    ViolationType,
)

Yuan = Annotated[int, msgspec.Meta(ge=0)]


class PenaltyProposal(Record, frozen=True):
    violation_type: TypeCode
    penalty_basis: Text
    legal_min_yuan: Yuan
    legal_max_yuan: Yuan
    harm_level: HarmLevel
    base_tier: Slug
    aggravating: list[Slug]
    mitigating: list[Slug]
    tier: Slug
    tier_min_yuan: Yuan
    tier_max_yuan: Yuan
    fine_yuan: Yuan
    reasoning: Text


def share_of_range(fine: FineRange, percent: int) -> int:
    """``min + (max − min) × percent / 100`` in whole yuan, rounded down (integers only)."""
    return fine.min_yuan + (fine.max_yuan - fine.min_yuan) * percent // 100


def propose_penalty(
    vtype: ViolationType, harm_level: HarmLevel, circumstances: list[str], discretion: Discretion
) -> PenaltyProposal:
    """The tier proposal; an unknown circumstance code raises :class:`EvaluationError`."""
    tiers = discretion.tiers
    index_of = {tier.code: i for i, tier in enumerate(tiers)}
    base = discretion.base_tiers[harm_level]
    effects = {code: _effect(discretion, code) for code in sorted(set(circumstances))}
    aggravating = [code for code, effect in effects.items() if effect is CircumstanceEffect.AGGRAVATING]
    mitigating = [code for code, effect in effects.items() if effect is CircumstanceEffect.MITIGATING]
    shift = (1 if aggravating else 0) - (1 if mitigating else 0)
    tier = tiers[min(max(index_of[base] + shift, 0), len(tiers) - 1)]
    fine = share_of_range(vtype.fine, tier.proposal_percent)
    moves = {1: "one tier heavier (aggravating)", -1: "one tier lighter (mitigating)", 0: "unchanged"}
    reasoning = (
        f"harm level {harm_level} starts at tier {base}; circumstances: {moves[shift]}; "
        f"tier {tier.code} ({tier.name}) spans {tier.from_percent}-{tier.to_percent}% of "
        f"{vtype.fine.min_yuan}-{vtype.fine.max_yuan} yuan; proposal at {tier.proposal_percent}%: {fine} yuan"
    )
    return PenaltyProposal(
        violation_type=vtype.code,
        penalty_basis=vtype.legal_basis.penalty,
        legal_min_yuan=vtype.fine.min_yuan,
        legal_max_yuan=vtype.fine.max_yuan,
        harm_level=harm_level,
        base_tier=base,
        aggravating=aggravating,
        mitigating=mitigating,
        tier=tier.code,
        tier_min_yuan=share_of_range(vtype.fine, tier.from_percent),
        tier_max_yuan=share_of_range(vtype.fine, tier.to_percent),
        fine_yuan=fine,
        reasoning=reasoning,
    )


def _effect(discretion: Discretion, code: str) -> CircumstanceEffect:
    circumstance = discretion.circumstance(code)
    if circumstance is None:
        raise EvaluationError(f"unknown discretion circumstance {code}")
    return circumstance.effect


def proposal_for(
    rules: RuleSet, type_code: str, harm_level: HarmLevel, circumstances: list[str]
) -> PenaltyProposal:
    vtype = rules.violation_type(type_code)
    if vtype is None:
        raise EvaluationError(f"unknown violation type {type_code}")
    return propose_penalty(vtype, harm_level, circumstances, rules.catalogue.discretion)
