"""Enforcement (首违不罚): the rules in force, read by the API and by the waiver evaluation."""

from govservice.services.enforcement.service import EnforcementCases, EnforcementService, WaiverRules

__all__ = ["EnforcementCases", "EnforcementService", "WaiverRules"]
