"""The audit trail: append-only entries, each hash-chained to the one before."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntryRow(Base):
    """``hash = sha256(prev_hash || canonical(entry))``; editing any entry breaks the chain there."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index(None, "enterprise_uscc", "kind", "id"),
        Index(None, "kind", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(16))  # read | change | decision
    action: Mapped[str] = mapped_column(String(64))  # e.g. get_application, approve, rate
    actor_sub: Mapped[str] = mapped_column(String(255))
    actor_roles: Mapped[str] = mapped_column(String(255))  # comma-separated, sorted
    unit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    enterprise_uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    subject: Mapped[str] = mapped_column(String(64))  # e.g. application:12, work_order:3
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the entry was copied from, when it was (e.g. ``event:<case>:<seq>`` for a step a timer
    # took): unique, so following the engine's events never records one twice.
    source: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """One row: the chain's last id and hash. Appends lock it (PostgreSQL ``FOR UPDATE``), so
    concurrent requests extend one chain instead of forking it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigId)
    last_hash: Mapped[str] = mapped_column(String(64))
