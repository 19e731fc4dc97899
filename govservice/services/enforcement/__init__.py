"""Enforcement: inspections, the violation cases their findings open, and the rules in force."""

from govservice.services.enforcement.inspections import Inspections
from govservice.services.enforcement.rules import EnforcementService, WaiverRules
from govservice.services.enforcement.violations import ViolationCases

__all__ = ["EnforcementService", "Inspections", "ViolationCases", "WaiverRules"]
