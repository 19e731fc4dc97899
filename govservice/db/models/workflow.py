"""Workflow storage: published definitions, pinned calendars, cases, their events and timers.

``workflow_cases.version`` is the optimistic lock: every transition is
``UPDATE ... SET version = version + 1 WHERE id = :id AND version = :seen``, and the event it
writes carries that new version as ``seq`` (the key is (case, seq)), so a lost race cannot write twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime

# 64-bit ids on PostgreSQL; SQLite only autoincrements an INTEGER PRIMARY KEY (which is 64-bit there).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class WorkflowDefinitionRow(Base):
    """A published process definition; (process_id, version) never changes its content."""

    __tablename__ = "workflow_definitions"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())
    published_by: Mapped[str] = mapped_column(String(128))


class WorkflowCalendarRow(Base):
    """A working-day calendar as it was when a case started (cases pin it by version)."""

    __tablename__ = "workflow_calendars"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    content: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # when the deadlines counted provisionally before this calendar were re-derived on it
    rederived_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class WorkflowCaseRow(Base):
    __tablename__ = "workflow_cases"
    __table_args__ = (
        ForeignKeyConstraint(
            ["process_id", "process_version"],
            ["workflow_definitions.process_id", "workflow_definitions.version"],
        ),
        # No index on state: every step changes it, and without one PostgreSQL updates the row in
        # place (HOT). Queues by state belong to the subject's own table (e.g. applications).
        Index(None, "subject_kind", "subject_ref"),
        # The outcomes of bad-review work orders, read without touching the cases' pages (the board,
        # the assessment). Partial: application cases are not in it; their outcome changes once.
        Index(
            "ix_workflow_cases_work_order_outcome",
            "id",
            "outcome",
            postgresql_where=text("subject_kind = 'work_order'"),
            sqlite_where=text("subject_kind = 'work_order'"),
        ),
        {"postgresql_with": {"fillfactor": 80}},  # room in each page for those in-place updates
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(64))
    process_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subject_kind: Mapped[str] = mapped_column(String(32))
    subject_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    calendar_version: Mapped[str] = mapped_column(ForeignKey("workflow_calendars.version"), type_=String(32))
    clock: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WorkflowEventRow(Base):
    """Append-only: one row per step a case took (never updated, never deleted), keyed by the case
    and the case version the step produced, so a lost race cannot write a second event."""

    __tablename__ = "workflow_events"
    __table_args__ = {"sqlite_with_rowid": False}  # stored in (case, seq) order: a timeline is one range

    case_id: Mapped[int] = mapped_column(
        ForeignKey("workflow_cases.id"), type_=BigId, primary_key=True, autoincrement=False
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_state: Mapped[str] = mapped_column(String(64))
    actor_sub: Mapped[str] = mapped_column(String(128))
    actor_roles: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class WorkflowTimerRow(Base):
    """A due action. ``status``: pending, then fired, dropped (the case moved on), cancelled
    (its state was left) or failed (see ``detail``)."""

    __tablename__ = "workflow_timers"
    __table_args__ = (
        Index(None, "status", "due_at"),
        Index(None, "case_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_cases.id"), type_=BigId)
    key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    state: Mapped[str | None] = mapped_column(String(64), nullable=True)  # armed in; None: case-wide
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))
    armed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(2000), nullable=True)


class WorkflowOutboxRow(Base):
    """One row per workflow event, written in the step's own transaction; webhook dispatch reads and
    deletes them. A row appears exactly when its step commits, however late: no settle delay, no gap."""

    __tablename__ = "workflow_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigId)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
