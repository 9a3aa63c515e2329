"""Appeals and complaints (成绩复核、投诉): one tracked case each. States: see
``examcentre.appeals.states``; the timeline is the audit log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .user import User


class AppealCase(db.Model):
    __tablename__ = "appeal_cases"
    __table_args__ = (
        UniqueConstraint("centre_id", "number"),
        CheckConstraint(
            "case_type IN ('score_theory', 'score_practical', 'conduct', 'other')",
            name="case_type",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    case_type: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="received")
    # Who complains, about which sitting (a score review names the admission ticket).
    complainant_name: Mapped[str] = mapped_column(String(100))
    complainant_contact: Mapped[str | None] = mapped_column(String(100))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("admission_tickets.id"))
    summary: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5), default="zh")
    received_on: Mapped[date]
    answer_due_on: Mapped[date]
    # Assessment: is the case admissible (有效) and why.
    valid: Mapped[bool | None]
    assessment_reason: Mapped[str | None] = mapped_column(Text)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    remedy: Mapped[str | None] = mapped_column(Text)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "upheld", "partly_upheld", "not_upheld" or "invalid"; set with the answer.
    outcome: Mapped[str | None] = mapped_column(String(20))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_on: Mapped[date | None]
    followup_due_on: Mapped[date | None]
    acknowledged_on: Mapped[date | None]
    acknowledgement: Mapped[str | None] = mapped_column(Text)
    followed_up_on: Mapped[date | None]
    followup_note: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None]
    # A score review's findings (archive check, stored and re-graded scores) and the result
    # version it recorded when the score changed.
    review: Mapped[dict | None] = mapped_column(JSON)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("attempt_results.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
