"""Every model module is imported here so that alembic's autogenerate sees the whole schema."""

from govservice.db.models.applications import ApplicationRow, LicenceRow, MaterialRow, NoticeRow, VisitRow
from govservice.db.models.assessment import ApplicationCountRow
from govservice.db.models.audit import AuditEntryRow, AuditHeadRow
from govservice.db.models.catalogue import MatterVersionRow
from govservice.db.models.enforcement import EvidenceRow, FindingRow, InspectionRow, ViolationRow
from govservice.db.models.enterprises import CreditEventRow, EnterpriseNameChangeRow, EnterpriseRow
from govservice.db.models.idempotency import IdempotencyRecord
from govservice.db.models.key_enterprises import (
    CheckupRow,
    EnterpriseRequestRow,
    InspectionPlanRow,
    KeyEnterpriseRow,
    ServiceRecordRow,
)
from govservice.db.models.quality_review import (
    PanelMemberRow,
    ReviewCheckRow,
    ReviewFileRow,
    ReviewRoundRow,
    ReviewScoreRow,
)
from govservice.db.models.ratings import CallbackRow, RatingRow, WorkOrderRow
from govservice.db.models.webhooks import WebhookDeliveryRow, WebhookSubscriptionRow
from govservice.db.models.workflow import (
    WorkflowCalendarRow,
    WorkflowCaseRow,
    WorkflowDefinitionRow,
    WorkflowEventRow,
    WorkflowOutboxRow,
    WorkflowTimerRow,
)

__all__ = [
    "ApplicationCountRow",
    "ApplicationRow",
    "AuditEntryRow",
    "AuditHeadRow",
    "CallbackRow",
    "CheckupRow",
    "CreditEventRow",
    "EnterpriseNameChangeRow",
    "EnterpriseRequestRow",
    "EnterpriseRow",
    "EvidenceRow",
    "FindingRow",
    "IdempotencyRecord",
    "InspectionPlanRow",
    "InspectionRow",
    "KeyEnterpriseRow",
    "LicenceRow",
    "MaterialRow",
    "MatterVersionRow",
    "NoticeRow",
    "PanelMemberRow",
    "RatingRow",
    "ReviewCheckRow",
    "ReviewFileRow",
    "ReviewRoundRow",
    "ReviewScoreRow",
    "ServiceRecordRow",
    "ViolationRow",
    "VisitRow",
    "WebhookDeliveryRow",
    "WebhookSubscriptionRow",
    "WorkflowCalendarRow",
    "WorkflowCaseRow",
    "WorkflowDefinitionRow",
    "WorkflowEventRow",
    "WorkflowOutboxRow",
    "WorkflowTimerRow",
    "WorkOrderRow",
]
