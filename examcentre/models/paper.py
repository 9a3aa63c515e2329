"""Paper blueprints (versioned, per item) and the papers drawn from them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class BlueprintStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class Blueprint(db.Model):
    """One version of an item's paper blueprint; ``spec`` is ``papers.blueprint.Spec`` as JSON."""

    __tablename__ = "blueprints"
    __table_args__ = (
        UniqueConstraint("centre_id", "item", "version"),
        CheckConstraint("status IN ('draft', 'published', 'superseded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=BlueprintStatus.DRAFT)
    spec: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Paper(db.Model):
    """One candidate's drawn paper: reproducible from its seed, fixed by its versions."""

    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    blueprint_id: Mapped[int] = mapped_column(ForeignKey("blueprints.id"), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    # Content hash of the item's live question versions when the paper was drawn.
    bank_version: Mapped[str] = mapped_column(String(64))
    # The candidate's admission (the exam-sessions issue links enrolments properly).
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("admission_tickets.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    blueprint: Mapped[Blueprint] = relationship()
    questions: Mapped[list[PaperQuestion]] = relationship(order_by="PaperQuestion.position")


class PaperQuestion(db.Model):
    __tablename__ = "paper_questions"
    __table_args__ = (UniqueConstraint("paper_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"))
    position: Mapped[int] = mapped_column(Integer)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    # Displayed order of the original options, e.g. "CADB" (empty for true/false).
    option_order: Mapped[str] = mapped_column(String(8), default="")

    question_version = relationship("QuestionVersion")
