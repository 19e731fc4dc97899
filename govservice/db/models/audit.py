"""The audit trail: append-only entries, each hash-chained to the one before once it is sealed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntryRow(Base):
    """``hash = sha256(prev_hash || canonical(entry))``; editing any sealed entry breaks the chain there.

    Entries are inserted unsealed (``seq``, ``prev_hash`` and ``hash`` null) in the transaction of
    the change they record; the sealer later gives each its chain position ``seq`` and its hashes,
    in one transaction per batch. ``seq`` is the chain order, not ``id``: an entry whose transaction
    commits late gets a later position than entries with higher ids."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index(None, "enterprise_uscc", "kind", "id"),
        Index(None, "kind", "at"),
        # What the sealer looks for: small, since entries are sealed within a worker round.
        Index(
            "ix_audit_entries_unsealed",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
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
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)  # chain position
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditHeadRow(Base):
    """One row: the chain's last position (``last_id`` is the last sealed entry's ``seq``) and hash.
    Sealing updates it first (a row lock on PostgreSQL, the write lock on SQLite), so concurrent
    sealers extend one chain instead of forking it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigId)
    last_hash: Mapped[str] = mapped_column(String(64))
