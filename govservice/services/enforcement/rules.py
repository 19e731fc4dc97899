"""The enforcement rules in force: the violation-type catalogue and the waiver list."""

from __future__ import annotations

import msgspec

from govservice.domain.enforcement import RuleSet, ViolationCatalogue, WaiverList, load_default_rules
from govservice.services.context import ServiceContext


class WaiverRules(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    """What the department publishes: the rule version every evaluation records, the waiver list
    (thresholds, look-back window, limitation periods) and the violation-type catalogue."""

    version: str
    waiver_list: WaiverList
    violation_types: ViolationCatalogue


class EnforcementService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._rules: RuleSet | None = None

    @property
    def rules(self) -> RuleSet:
        # Loaded on first use: a broken rules file fails the request that needs it (RulesError
        # names file and entry), not the whole app's start-up.
        if self._rules is None:
            self._rules = load_default_rules(self._ctx.settings.workflows_dir)
        return self._rules

    def waiver_rules(self) -> WaiverRules:
        rules = self.rules
        return WaiverRules(
            version=rules.version, waiver_list=rules.waiver_list, violation_types=rules.catalogue
        )
