"""好差评: one rating per concluded application, and the work order a bad review opens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base, UtcDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class RatingRow(Base):
    """The applicant's rating. No row within the rating window counts as the default (3) at read
    time; see :mod:`govservice.services.ratings`."""

    __tablename__ = "ratings"
    __table_args__ = (
        Index(None, "unit", "rated_at"),
        Index(None, "concluded_at", "unit", "matter_code", "stars", "excluded"),  # satisfaction by period
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), type_=BigId, unique=True)
    enterprise_uscc: Mapped[str] = mapped_column(String(18))
    unit: Mapped[str] = mapped_column(String(64))
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    rated_by: Mapped[str] = mapped_column(String(255))
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # An upheld appeal (malicious review) takes the rating out of the satisfaction rate.
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    fix_stars: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the rater's rating of the fix
    # copied from the application, so the satisfaction rate of a period reads the ratings alone
    concluded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    matter_code: Mapped[str | None] = mapped_column(String(64), nullable=True)


class WorkOrderRow(Base):
    """A rectification work order for the handling unit; its state lives on its workflow case
    (process ``bad_review``)."""

    __tablename__ = "work_orders"
    __table_args__ = (Index(None, "unit", "id"), Index(None, "opened_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_cases.id"), type_=BigId, unique=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), type_=BigId, unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), type_=BigId)
    unit: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CallbackRow(Base):
    """A real-name callback to the rater: who called, when, what was said."""

    __tablename__ = "work_order_callbacks"
    __table_args__ = (Index(None, "work_order_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), type_=BigId)
    caller_sub: Mapped[str] = mapped_column(String(255))
    caller_name: Mapped[str] = mapped_column(String(200))
    called_at: Mapped[datetime] = mapped_column(UtcDateTime())
    summary: Mapped[str] = mapped_column(String(2000))
