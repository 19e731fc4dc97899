"""Enforcement: inspections, the violation cases their findings open, and the rules in force.
What the violation process names is :data:`ENGINE_EXTENSION`."""

from govservice.services.enforcement.inspections import Inspections
from govservice.services.enforcement.plugins import ENFORCEMENT as ENGINE_EXTENSION
from govservice.services.enforcement.rules import EnforcementService, WaiverRules
from govservice.services.enforcement.violations import ViolationCases

__all__ = ["ENGINE_EXTENSION", "EnforcementService", "Inspections", "ViolationCases", "WaiverRules"]
