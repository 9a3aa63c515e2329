"""The question bank: syllabus points, questions and their immutable versions.

A ``Question`` is the stable identity (its item, external id and review status); its content
lives in numbered ``QuestionVersion`` rows. Papers point at versions, so a paper never changes
when a question is edited later. Language variants (zh required, en optional) are columns of
one version, so they can never drift apart.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class QuestionStatus(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    LIVE = "live"
    RETIRED = "retired"


class SyllabusPoint(db.Model):
    """A leaf of the syllabus tree area -> point, per item (e.g. Q2-OP-HOOK)."""

    __tablename__ = "syllabus_points"
    __table_args__ = (
        UniqueConstraint("centre_id", "item", "code"),
        CheckConstraint("area IN ('basics', 'operation', 'law')", name="area"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    area: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("centre_id", "external_id"),
        CheckConstraint("status IN ('draft', 'review', 'live', 'retired')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    item: Mapped[str] = mapped_column(String(40), index=True)
    # The bank file's id (Q2-OP-0001) or one given at import/creation; never reused.
    external_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default=QuestionStatus.DRAFT, index=True)
    # The newest version: the one the editor shows and reviewers approve.
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    # The version drawn into new papers (None until first approved). It lags behind
    # current_version while a revision of a live question waits for its review.
    live_version: Mapped[int | None] = mapped_column(Integer)
    # Who sent the current version for review (the four-eyes rule compares against this too).
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Why a reviewer returned it to draft, or why it was retired (also in the audit log).
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.number"
    )

    @property
    def version(self) -> QuestionVersion:
        """The current version."""
        return next(v for v in self.versions if v.number == self.current_version)

    @property
    def is_drawn(self) -> bool:
        """True when new papers draw this question (at ``live_version``)."""
        return self.live_version is not None and self.status != QuestionStatus.RETIRED


class QuestionVersion(db.Model):
    """One immutable wording of a question (except a draft nobody has drawn yet)."""

    __tablename__ = "question_versions"
    __table_args__ = (
        UniqueConstraint("question_id", "number"),
        CheckConstraint("type IN ('true_false', 'single', 'multiple')", name="type"),
        CheckConstraint("difficulty BETWEEN 1 AND 3", name="difficulty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # None until someone tags an imported question (it cannot go live untagged).
    area: Mapped[str | None] = mapped_column(String(16))
    point_id: Mapped[int | None] = mapped_column(ForeignKey("syllabus_points.id"))
    type: Mapped[str] = mapped_column(String(12))
    difficulty: Mapped[int] = mapped_column(Integer, default=2)
    # 了解 / 理解 / 掌握
    level: Mapped[str | None] = mapped_column(String(8))
    critical: Mapped[bool] = mapped_column(default=False)
    # "true"/"false" for true_false; letters in order ("B", "ACD") for choices.
    answer: Mapped[str] = mapped_column(String(8))
    stem_zh: Mapped[str] = mapped_column(Text)
    options_zh: Mapped[list] = mapped_column(JSON, default=list)
    explanation_zh: Mapped[str | None] = mapped_column(Text)
    stem_en: Mapped[str | None] = mapped_column(Text)
    options_en: Mapped[list] = mapped_column(JSON, default=list)
    explanation_en: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(200))
    # A file name under the centre's bank image folder (shown above the stem).
    image: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 of the content (examcentre.bank.native.content_hash): "did anything change?"
    content_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When this version was first live (drawable); a version that never was may be edited
    # in place while it is a draft in no paper.
    went_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who fact-checked this wording, and on which day (the bank files' reviewed_by and
    # reviewed_on). Not part of the content hash: recording a review changes no wording.
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_on: Mapped[date | None] = mapped_column(Date)

    question: Mapped[Question] = relationship(back_populates="versions")
    point: Mapped[SyllabusPoint | None] = relationship()
