from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime


class MatterVersionRow(Base):
    """One published version of a matter's service guide; exactly one per code is current."""

    __tablename__ = "matter_versions"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        Index(None, "is_current", "code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(2000))
    unit: Mapped[str] = mapped_column(String(64))
    guide: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())
    published_by: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(String(2000), nullable=True)
