"""Exam applications (考试申请) and their uploaded documents.

The centre's full-time staff accept and review applications before anyone is scheduled
(受理并审查考试申请资料, TSG Z6001-2019 / regulation 三(一)). States: see
``examcentre.applications.rules``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("centre_id", "number"),
        CheckConstraint(
            "state IN ('submitted', 'more_requested', 'accepted', 'rejected', 'enrolled',"
            " 'withdrawn', 'closed')",
            name="state",
        ),
        CheckConstraint("applied_by IN ('candidate', 'employer')", name="applied_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    # The centre's reference, e.g. "SQ20261205-0007"; printed on the admission ticket.
    number: Mapped[str] = mapped_column(String(40))
    # Item code, e.g. "Q1" or "Q2(限桥式起重机)".
    item: Mapped[str] = mapped_column(String(40))
    applied_by: Mapped[str] = mapped_column(String(20), default="candidate")
    # Identity: the resident ID number is validated (GB 11643) and normalised on entry.
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date]
    employer: Mapped[str | None] = mapped_column(String(200))
    education: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    # The applicant declares they have no condition that bars the work (健康声明).
    health_declared: Mapped[bool] = mapped_column(default=False)
    health_note: Mapped[str | None] = mapped_column(Text)
    training_provider: Mapped[str | None] = mapped_column(String(200))
    training_hours: Mapped[int | None] = mapped_column(Integer)
    training_completed_on: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(20), default="submitted")
    # The reason of the last decision (rejection, material requested); shown and printed.
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("admission_tickets.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    documents: Mapped[list[ApplicationDocument]] = relationship(
        back_populates="application", order_by="ApplicationDocument.id"
    )


class ApplicationDocument(db.Model):
    """An uploaded file: stored under ``APPLICATION_FILES_DIR`` with a random name."""

    __tablename__ = "application_documents"
    __table_args__ = (
        CheckConstraint(
            "media_type IN ('image/jpeg', 'image/png', 'application/pdf')", name="media_type"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    # "photo", "id_card", "training", "health", "education" or "other".
    kind: Mapped[str] = mapped_column(String(20))
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="documents")
