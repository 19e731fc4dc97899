"""Applications (办件) and what hangs off them: materials, notices, visits, licences."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class ApplicationRow(Base):
    __tablename__ = "applications"
    __table_args__ = (
        Index(None, "enterprise_uscc", "id"),
        Index(None, "unit", "priority", "id"),
        # the assessment's period filters (govservice.services.assessment): records, event log, and
        # the small populations counted live (tolerant supplements, post-checks not done yet)
        Index(None, "concluded_at"),
        Index(None, "decided_on"),
        Index(None, "accepted_on"),
        Index(None, "created_at"),
        Index(
            "ix_applications_tolerant",
            "tolerant_due_on",
            "unit",
            "matter_code",
            "supplemented_on",
            "concluded_at",
            postgresql_where=text("tolerant_due_on IS NOT NULL"),
            sqlite_where=text("tolerant_due_on IS NOT NULL"),
        ),
        Index(
            "ix_applications_post_check_open",
            "decided_on",
            "unit",
            "matter_code",
            "post_check_due_on",
            postgresql_where=text("post_check_due_on IS NOT NULL AND post_checked_on IS NULL"),
            sqlite_where=text("post_check_due_on IS NOT NULL AND post_checked_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_cases.id"), type_=BigId, unique=True)
    enterprise_uscc: Mapped[str] = mapped_column(String(18))
    enterprise_name: Mapped[str] = mapped_column(String(200))
    applicant_sub: Mapped[str] = mapped_column(String(255))
    matter_code: Mapped[str] = mapped_column(String(64))
    matter_version: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))  # online | window
    unit: Mapped[str] = mapped_column(String(64))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # key enterprise: green channel
    statutory_limit: Mapped[int] = mapped_column(Integer)
    promised_limit: Mapped[int] = mapped_column(Integer)
    arrived_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # filed (art. 32 dating)
    accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    concluded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    concluded_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # concluded_at's local date
    visits: Mapped[int] = mapped_column(Integer, default=0)
    visit_tag: Mapped[str | None] = mapped_column(String(16), nullable=True)  # zero_visit | one_visit
    promise_broken: Mapped[bool] = mapped_column(Boolean, default=False)  # more visits than promised
    commitment_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    supplement_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Facts the steps write as the case moves (services/applications/records.py), which the indicators
    # count (services/assessment): no working day is computed at read time.
    decision_working_days: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the clock at decision
    decision_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)  # statutory (+ extension) then
    materials_count: Mapped[int | None] = mapped_column(Integer, nullable=True)  # materials in at conclusion
    tolerant_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 容缺 deadline, kept
    supplemented_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 容缺 supplements accepted
    post_check_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # commitment route: 20 WD
    post_checked_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the post-check, passed or not
    # The standard route's on-site inspection (FR-PGP-OPENING): who inspects, by when, what was found,
    # and the decision's own limit after it (10 WD from acceptance, 3 WD after the inspection).
    inspector_sub: Mapped[str | None] = mapped_column(String(255), nullable=True)
    inspection_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    inspected_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    inspection_result: Mapped[str | None] = mapped_column(String(8), nullable=True)  # pass | fail
    inspection_findings: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    decision_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class MaterialRow(Base):
    """One uploaded file for one material; a later upload of the same material supersedes it."""

    __tablename__ = "application_materials"
    __table_args__ = (Index(None, "application_id", "material_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), type_=BigId)
    material_code: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    uploaded_by: Mapped[str] = mapped_column(String(255))


class NoticeRow(Base):
    """A notice served on the applicant: deficiency (一次性告知), tolerant supplement, refusal,
    extension, decision. Its body lists everything it says, as served."""

    __tablename__ = "application_notices"
    __table_args__ = (Index(None, "application_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), type_=BigId)
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    issued_by: Mapped[str] = mapped_column(String(255))


class VisitRow(Base):
    """A physical visit of the applicant to the service window, recorded by staff."""

    __tablename__ = "application_visits"
    __table_args__ = (Index(None, "application_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), type_=BigId)
    purpose: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(255))


class LicenceRow(Base):
    """An electronic licence: the signed content and its current status."""

    __tablename__ = "licences"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), type_=BigId, unique=True)
    holder_uscc: Mapped[str] = mapped_column(String(18), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(Text)  # compact JWS over the canonical content
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
