"""The timed theory exam: one attempt per admission, its answers, events, results, archive.

What is append-only and what is not:

- ``answer_changes`` and ``attempt_events`` are append-only logs; the archive is built from
  them. ``attempt_answers`` is the current answer per question (what the terminal reloads),
  kept in step with the log in the same transaction.
- ``attempt_results`` are immutable versions: a re-score adds version n + 1 with a reason.
- ``attempt_archives`` hold the canonical JSON of a submitted attempt and its SHA-256.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .candidate import AdmissionTicket
from .compliance import Terminal
from .paper import Paper
from .types import UTCDateTime, utcnow


class Attempt(db.Model):
    """One candidate's sitting of one drawn paper. States: ``exams.timing.AttemptState``.

    The server owns the clock: ``deadline_at`` is set when the candidate first opens
    question 1 (``started_at``) and moves only by an audited extension or a pause.
    """

    __tablename__ = "attempts"
    __table_args__ = (
        CheckConstraint("state IN ('ready', 'in_progress', 'paused', 'submitted')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("admission_tickets.id"), unique=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"), unique=True)
    state: Mapped[str] = mapped_column(String(12), default="ready")
    duration_seconds: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While paused: when the pause began and why ("incident", "room", "move").
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str | None] = mapped_column(String(20))
    extra_seconds: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "candidate", "deadline" (automatic) or "invigilator".
    submitted_by: Mapped[str | None] = mapped_column(String(20))
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[AdmissionTicket] = relationship()
    paper: Mapped[Paper] = relationship()
    terminal: Mapped[Terminal | None] = relationship()
    results: Mapped[list[AttemptResult]] = relationship(order_by="AttemptResult.version")

    @property
    def result(self) -> AttemptResult | None:
        """The newest result version (re-scores add versions; none replaces another)."""
        return self.results[-1] if self.results else None


class AttemptAnswer(db.Model):
    """The current answer to one question of an attempt, as the candidate saw it.

    ``response`` is in displayed letters ("B", "AD") or "true"/"false"; ``seq`` is the
    terminal's counter for this question: a save with a lower or equal seq never
    overwrites (a late retry of an older answer).
    """

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    position: Mapped[int] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(String(8))
    flagged: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnswerChange(db.Model):
    """Every accepted save, in order: the answer history the archive keeps."""

    __tablename__ = "answer_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(String(8))
    flagged: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column(Integer)
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttemptEvent(db.Model):
    """Something that happened to an attempt: sign-in, start, pause, resume, extend, move,
    submit. Append-only; the invigilator's actions are also in the audit log."""

    __tablename__ = "attempt_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class AttemptResult(db.Model):
    """One immutable version of an attempt's grade; a re-score adds the next version."""

    __tablename__ = "attempt_results"
    __table_args__ = (UniqueConstraint("attempt_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    earned: Mapped[float] = mapped_column(Float)
    total: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool]
    pass_mark: Mapped[int] = mapped_column(Integer)
    critical_wrong: Mapped[int] = mapped_column(Integer, default=0)
    failed_on_critical: Mapped[bool] = mapped_column(default=False)
    correct_count: Mapped[int] = mapped_column(Integer, default=0)
    # Per question: position, response, correct, earned (what the statistics read).
    marks: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttemptArchive(db.Model):
    """The canonical JSON of a submitted attempt (``exams.archive``) and its SHA-256."""

    __tablename__ = "attempt_archives"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), unique=True)
    format: Mapped[str] = mapped_column(String(40))
    document: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeyCorrection(db.Model):
    """A corrected answer key for one question version, applied to every grade from then on
    (re-scoring adds result versions; the question version itself never changes)."""

    __tablename__ = "key_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    answer: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
