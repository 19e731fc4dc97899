"""The assessor's read-only view: indicators, pseudonymised case records, event-log exports."""

from govservice.services.assessment.event_log import OcelLog
from govservice.services.assessment.indicators import DEFINITIONS, Indicator
from govservice.services.assessment.records import ApplicationRecord, ViolationRecord
from govservice.services.assessment.service import AssessmentService, Filters, IndicatorGroup, IndicatorSet

__all__ = [
    "DEFINITIONS",
    "ApplicationRecord",
    "AssessmentService",
    "Filters",
    "Indicator",
    "IndicatorGroup",
    "IndicatorSet",
    "OcelLog",
    "ViolationRecord",
]
