"""Enforcement: inspections (两人执法) and the findings they record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class InspectionRow(Base):
    """One inspection of a unit by two officers."""

    __tablename__ = "inspections"
    __table_args__ = (Index(None, "uscc", "inspected_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18))
    unit_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    inspected_on: Mapped[date] = mapped_column(Date)
    officer_a: Mapped[str] = mapped_column(String(255))
    officer_b: Mapped[str] = mapped_column(String(255))
    department_unit: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the inspectors' unit
    recorded_by: Mapped[str] = mapped_column(String(255))
    evidence: Mapped[list[Any]] = mapped_column(JSON)  # text references (file numbers, photo ids)
    # routine, or the reason that lets it exceed a key enterprise's annual cap:
    # complaint | fire_risk | post_check (the package's override reasons)
    purpose: Mapped[str] = mapped_column(String(32), default="routine", server_default="routine")
    reason: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FindingRow(Base):
    """A violation found at an inspection; the enterprise's history is these rows by USCC and type."""

    __tablename__ = "findings"
    __table_args__ = (Index(None, "uscc", "violation_type", "found_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), type_=BigId)
    uscc: Mapped[str] = mapped_column(String(18))
    violation_type: Mapped[str] = mapped_column(String(64))
    committed_on: Mapped[date] = mapped_column(Date)
    found_on: Mapped[date] = mapped_column(Date)
    harm_level: Mapped[str] = mapped_column(String(16))
    measurements: Mapped[list[Any]] = mapped_column(JSON)
    harmful_consequence: Mapped[bool] = mapped_column(Boolean)
    life_or_health_endangered: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[list[Any]] = mapped_column(JSON)


class ViolationRow(Base):
    """A violation case: one finding, its rectification, the waiver evaluation and the decision."""

    __tablename__ = "violations"
    __table_args__ = (Index(None, "uscc", "decided_on"), Index(None, "decided_on"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_cases.id"), type_=BigId, unique=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), type_=BigId, unique=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), type_=BigId)
    uscc: Mapped[str] = mapped_column(String(18))
    violation_type: Mapped[str] = mapped_column(String(64))
    department_unit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    order_served_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    correct_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    recheck_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    corrected: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    corrected_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    rechecked_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # the stored waiver evaluation: every condition with its evidence, and the rule version
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    rule_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    eligible: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # no_penalty | penalty | time_barred
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    fine_yuan: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the penalty proposed
    fine_spared_yuan: Mapped[int | None] = mapped_column(Integer, nullable=True)  # what a waiver spared
    education: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    countersigned_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EvidenceRow(Base):
    """A photo or document an inspecting officer attached to an inspection, content-addressed."""

    __tablename__ = "inspection_evidence"
    __table_args__ = (Index(None, "inspection_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), type_=BigId)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    uploaded_by: Mapped[str] = mapped_column(String(255))
