"""Running counts of applications by the day they reached a milestone, for the indicators."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from govservice.db.base import Base


class ApplicationCountRow(Base):
    """How many applications reached ``milestone`` (accepted | decided | concluded) on ``day`` in
    ``unit`` for ``matter_code`` (by route for acceptances, by decision working days for decisions),
    with the sums the indicators need. The step that writes an application's fact adds to its row in
    the same transaction (:mod:`govservice.services.assessment.counts`), so a year of indicators
    reads a few thousand rows instead of a million applications; the counts equal an aggregate of the
    applications' fact columns, which ``counts.rebuild`` recomputes."""

    __tablename__ = "application_counts"

    milestone: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    matter_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    route: Mapped[str] = mapped_column(String(16), primary_key=True)  # acceptances; "" otherwise
    working_days: Mapped[int] = mapped_column(Integer, primary_key=True)  # decisions; -1 otherwise
    n: Mapped[int] = mapped_column(Integer, default=0)
    online: Mapped[int] = mapped_column(Integer, default=0)
    zero_visit: Mapped[int] = mapped_column(Integer, default=0)
    at_most_one_visit: Mapped[int] = mapped_column(Integer, default=0)
    visits: Mapped[int] = mapped_column(Integer, default=0)
    materials: Mapped[int] = mapped_column(Integer, default=0)
    on_time_promised: Mapped[int] = mapped_column(Integer, default=0)
    on_time_statutory: Mapped[int] = mapped_column(Integer, default=0)
    promised_days: Mapped[int] = mapped_column(Integer, default=0)
    statutory_days: Mapped[int] = mapped_column(Integer, default=0)
    same_day: Mapped[int] = mapped_column(Integer, default=0)
    tolerant: Mapped[int] = mapped_column(Integer, default=0)
    post_checked: Mapped[int] = mapped_column(Integer, default=0)
    post_checked_on_time: Mapped[int] = mapped_column(Integer, default=0)
