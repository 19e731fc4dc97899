"""The key-enterprise service package ("五个一"): the registry, requests to the response line,
annual check-ups, plan and training records, and planned inspections ("neither disturb nor be
absent")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class KeyEnterpriseRow(Base):
    """An enterprise enrolled in the package, for a period, with its named adviser."""

    __tablename__ = "key_enterprises"
    __table_args__ = (Index(None, "adviser_unit"),)

    uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"), primary_key=True)
    industries: Mapped[list[str]] = mapped_column(JSON)
    enrolled_from: Mapped[date] = mapped_column(Date)
    enrolled_until: Mapped[date | None] = mapped_column(Date, nullable=True)  # None: open-ended
    adviser_sub: Mapped[str] = mapped_column(String(255))
    adviser_name: Mapped[str] = mapped_column(String(200))
    adviser_unit: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(255))


class EnterpriseRequestRow(Base):
    """A request to the 24-hour response line; its state and escalation timer live on its
    workflow case (process ``key_request``)."""

    __tablename__ = "enterprise_requests"
    __table_args__ = (Index(None, "uscc", "id"), Index(None, "unit", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_cases.id"), type_=BigId, unique=True)
    uscc: Mapped[str] = mapped_column(ForeignKey("key_enterprises.uscc"))
    kind: Mapped[str] = mapped_column(String(32))  # question | consultation | urgent_hazard
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(String(4000))
    unit: Mapped[str] = mapped_column(String(64))  # the adviser's unit; its supervisor takes escalations
    adviser_sub: Mapped[str] = mapped_column(String(255))
    raised_by: Mapped[str] = mapped_column(String(255))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    respond_by: Mapped[datetime] = mapped_column(UtcDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    responded_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    response: Mapped[str | None] = mapped_column(String(4000), nullable=True)


class CheckupRow(Base):
    """The annual fire-safety check-up: scheduled once per enterprise per year, then completed
    with its findings and a report document (content-addressed in the file store)."""

    __tablename__ = "key_enterprise_checkups"
    __table_args__ = (UniqueConstraint("uscc", "year"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(ForeignKey("key_enterprises.uscc"))
    year: Mapped[int] = mapped_column(Integer)
    scheduled_on: Mapped[date] = mapped_column(Date)
    scheduled_by: Mapped[str] = mapped_column(String(255))
    completed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    findings: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    report_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    report_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    report_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ServiceRecordRow(Base):
    """The customised compliance plan and the training sessions held under it."""

    __tablename__ = "key_enterprise_service_records"
    __table_args__ = (Index(None, "uscc", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(ForeignKey("key_enterprises.uscc"))
    kind: Mapped[str] = mapped_column(String(32))  # compliance_plan | training
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(4000))
    attendees: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class InspectionPlanRow(Base):
    """An on-site inspection planned for an enterprise. Plans for a key enterprise count against
    its annual routine cap and are offered to be merged when they fall close together."""

    __tablename__ = "inspection_plans"
    __table_args__ = (Index(None, "uscc", "planned_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18))
    planned_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(32))  # routine | complaint | fire_risk | post_check
    reason: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    scope: Mapped[str] = mapped_column(String(2000))
    unit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # planned | merged | cancelled | done
    merged_into: Mapped[int | None] = mapped_column(
        ForeignKey("inspection_plans.id"), type_=BigId, nullable=True
    )
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspections.id"), type_=BigId, nullable=True
    )
    planned_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
