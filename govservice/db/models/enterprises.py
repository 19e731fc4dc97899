from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime


class EnterpriseRow(Base):
    """An enterprise known to the department, by USCC, with its credit standing."""

    __tablename__ = "enterprises"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # good | broken_commitment | dishonest: the last two bar the tolerant and commitment routes
    credit_status: Mapped[str] = mapped_column(String(32), default="good")
    credit_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CreditEventRow(Base):
    """Every change of an enterprise's credit standing, with who did it and why."""

    __tablename__ = "credit_events"
    __table_args__ = (Index(None, "uscc", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"))
    kind: Mapped[str] = mapped_column(String(32))  # broken_commitment | dishonest | repaired
    reason: Mapped[str] = mapped_column(String(2000))
    application_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class EnterpriseNameChangeRow(Base):
    """A change of an enterprise's name as the department records it (licences carry the name the
    record has when they are issued)."""

    __tablename__ = "enterprise_name_changes"
    __table_args__ = (Index(None, "uscc", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"))
    from_name: Mapped[str] = mapped_column(String(200))
    to_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(2000))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
