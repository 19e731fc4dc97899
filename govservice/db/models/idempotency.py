from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime


class IdempotencyRecord(Base):
    """The first response to a POST carrying an Idempotency-Key, kept to replay it until it expires
    (the worker purges expired records by ``created_at``)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("owner", "key"), Index(None, "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(200))  # token subject (anonymous requests get no record)
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path, query and body
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None while in progress
    headers: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
