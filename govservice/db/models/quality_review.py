"""Enforcement quality review (执法质量考评): the panel, rounds, drawn files, scores, checks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class PanelMemberRow(Base):
    """A reviewer's panel membership: kind lawyer | adviser | staff; ``unit`` their own unit."""

    __tablename__ = "review_panel_members"

    sub: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chair: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(255))


class ReviewRoundRow(Base):
    """A round: its period and scope, the checklists it pinned, and the draw's seed and population."""

    __tablename__ = "review_rounds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_cases.id"), type_=BigId, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    units: Mapped[list[Any]] = mapped_column(JSON)
    categories: Mapped[list[Any]] = mapped_column(JSON)
    per_unit: Mapped[int] = mapped_column(Integer)
    callbacks_per_unit: Mapped[int] = mapped_column(Integer)
    onsite_per_unit: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    exclude_previous: Mapped[bool] = mapped_column(Boolean)
    checklists: Mapped[dict[str, Any]] = mapped_column(JSON)  # pinned content, by category (+ callback)
    seed: Mapped[str | None] = mapped_column(String(64), nullable=True)
    draw: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # the recorded Draw
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    drawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ReviewFileRow(Base):
    """A drawn case file, its reconciled score and grade, its rectification and its appeal."""

    __tablename__ = "review_files"
    __table_args__ = (UniqueConstraint("round_id", "category", "subject"), Index(None, "unit"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id"), type_=BigId)
    category: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))  # application:ID | inspection:ID | violation:ID
    case_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    enterprise_uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    participants: Mapped[list[Any]] = mapped_column(JSON)  # subs who took a step of the case
    final_score: Mapped[float | None] = mapped_column(nullable=True)
    grade: Mapped[str | None] = mapped_column(String(16), nullable=True)
    needs_third: Mapped[bool] = mapped_column(Boolean, default=False)
    rectification_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflow_cases.id"), type_=BigId, nullable=True
    )
    appeal_reason: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    appealed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    appeal_decision: Mapped[str | None] = mapped_column(String(16), nullable=True)  # upheld | rejected
    appeal_decided_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    score_before_appeal: Mapped[float | None] = mapped_column(nullable=True)


class ReviewScoreRow(Base):
    """One reviewer on one file: assigned, then their score with its deductions."""

    __tablename__ = "review_scores"
    __table_args__ = (UniqueConstraint("file_id", "reviewer_sub"), Index(None, "reviewer_sub"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("review_files.id"), type_=BigId)
    reviewer_sub: Mapped[str] = mapped_column(String(255))
    reviewer_kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)  # 1, 2: the pair; 3: the third reviewer
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deductions: Mapped[list[Any]] = mapped_column(JSON)
    scored_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ReviewCheckRow(Base):
    """A telephone callback to a drawn enterprise, or an on-site check of a drawn approved venue."""

    __tablename__ = "review_checks"
    __table_args__ = (UniqueConstraint("round_id", "kind", "subject"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id"), type_=BigId)
    kind: Mapped[str] = mapped_column(String(16))  # callback | onsite
    unit: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))  # enterprise:USCC | application:ID
    enterprise_uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # question -> 1..5
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # on-site verdict
    comment: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
