"""Practical exams: crane-simulator stations, the runs they post, and the centre's setting of
whether a simulator run counts as the exam (``examcentre.practical.stations``).

- ``stations``: registered by a centre administrator. The station's secret is never stored:
  the server derives it from ``SECRET_KEY`` and the random ``secret_salt`` whenever it has to
  check a signature, and keeps its SHA-256 only to notice a changed ``SECRET_KEY``
  (ARCHITECTURE.md, "Simulator stations").
- ``simulator_runs``: every accepted run, as the station signed it (``body``, ``signature``,
  ``signed_at``), with the score the engine gave it and its mode, both fixed when it arrived.
- ``practical_settings``: per centre and item; no row means simulator runs are practice.
- ``examiner_conflicts``, ``examiner_sheets``, ``practical_results``: the practical exam
  scored by two examiners (``examcentre.practical.operations``).
"""

from __future__ import annotations

from datetime import date, datetime

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
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .candidate import AdmissionTicket, Candidate
from .types import UTCDateTime, utcnow
from .user import User


class Station(db.Model):
    """A crane-simulator station (起重机模拟器) of the centre, for one item.

    ``code`` names the station in the API's URL, so it is unique across the platform.
    """

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # Item code, e.g. "Q2(限桥式起重机)": the station accepts that item's scenarios only.
    item: Mapped[str] = mapped_column(String(40))
    # The secret is HMAC-SHA256(key from SECRET_KEY, code + salt); only the salt and the
    # secret's SHA-256 are stored (never the secret).
    secret_salt: Mapped[str] = mapped_column(String(64))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    secret_issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The last calibration the centre recorded; runs must report this date.
    calibrated_on: Mapped[date | None]
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registered_by: Mapped[str] = mapped_column(String(100))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:
        return self.retired_at is None


class SimulatorRun(db.Model):
    """One accepted run: what the station signed, and the score and mode it was given.

    Rows are written once and never changed: a later change of the centre's setting or of
    the sheet does not touch a stored run.
    """

    __tablename__ = "simulator_runs"
    __table_args__ = (
        UniqueConstraint("station_id", "run_id"),
        CheckConstraint("mode IN ('exam', 'practice')", name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    # The station's own id for the run: a retry with the same id stores nothing new.
    run_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("admission_tickets.id"), index=True)
    scenario_id: Mapped[str] = mapped_column(String(40))
    scenario_version: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    calibrated_on: Mapped[date]
    # The metrics as reported (JSON values), and the SHA-256 of the station's raw log.
    metrics: Mapped[dict] = mapped_column(JSON)
    log_sha256: Mapped[str] = mapped_column(String(64))
    # "exam" or "practice": what this result counts as (the station asked for
    # ``requested_mode``, "exam" or "training"; the centre's setting decides).
    mode: Mapped[str] = mapped_column(String(10))
    requested_mode: Mapped[str] = mapped_column(String(10))
    # The sheet version that scored the run, and the engine's SheetScore.document().
    sheet: Mapped[str] = mapped_column(String(40))
    sheet_version: Mapped[int] = mapped_column(Integer)
    sheet_hash: Mapped[str] = mapped_column(String(64))
    score: Mapped[dict] = mapped_column(JSON)
    total: Mapped[float] = mapped_column(Float)
    # Exactly what the station signed, so that the signature can be checked again later.
    body: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    station: Mapped[Station] = relationship()
    ticket: Mapped[AdmissionTicket] = relationship()


class PracticalSetting(db.Model):
    """A centre's practical-exam settings for one item.

    ``simulator_counts_as_exam``: off (the default, and the only choice under the 2009
    syllabus, domain.md §8.1 and §8.3), simulator runs are practice; on, a run the station
    sends as an exam run is an exam result.
    """

    __tablename__ = "practical_settings"
    __table_args__ = (UniqueConstraint("centre_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    simulator_counts_as_exam: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))


class ExaminerConflict(db.Model):
    """A conflict of interest an examiner has with a candidate (回避): the examiner may not
    examine them. Declared by the examiner or a centre administrator; kept for the record."""

    __tablename__ = "examiner_conflicts"
    __table_args__ = (
        UniqueConstraint("examiner_id", "candidate_id"),
        CheckConstraint("kind IN ('own_trainee', 'relative', 'same_employer')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    examiner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    # "own_trainee", "relative" or "same_employer".
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    declared_by: Mapped[str] = mapped_column(String(100))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    examiner: Mapped[User] = relationship()
    candidate: Mapped[Candidate] = relationship()


class ExaminerSheet(db.Model):
    """One examiner's score sheet for one candidate (ticket), one version.

    A draft is edited in place; a signed sheet never changes (database triggers refuse an
    UPDATE or DELETE of a signed row, like ``audit_entries``). An amendment is a new version
    with a reason. ``entries``/``vetoes`` are what the examiner entered (the shapes of
    ``practical.scoring``); ``score`` is ``SheetScore.document()`` of them.
    """

    __tablename__ = "examiner_sheets"
    __table_args__ = (
        UniqueConstraint("ticket_id", "examiner_id", "version"),
        CheckConstraint("status IN ('draft', 'signed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("admission_tickets.id"), index=True)
    examiner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    sheet: Mapped[str] = mapped_column(String(40))
    sheet_version: Mapped[int] = mapped_column(Integer)
    sheet_hash: Mapped[str] = mapped_column(String(64))
    entries: Mapped[dict] = mapped_column(JSON, default=dict)
    vetoes: Mapped[list] = mapped_column(JSON, default=list)
    # veto code -> the examiner's note (a veto needs one).
    veto_notes: Mapped[dict] = mapped_column(JSON, default=dict)
    score: Mapped[dict | None] = mapped_column(JSON)
    total: Mapped[float | None] = mapped_column(Float)
    # The simulator run whose entries the sheet started from (a simulator exam), if any.
    simulator_run_id: Mapped[int | None] = mapped_column(ForeignKey("simulator_runs.id"))
    # An amendment: the reason, and the version it replaces.
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the canonical signed content (entries, vetoes, notes, score, who, when).
    content_sha256: Mapped[str | None] = mapped_column(String(64))

    examiner: Mapped[User] = relationship()
    ticket: Mapped[AdmissionTicket] = relationship()

    @property
    def signed(self) -> bool:
        return self.status == "signed"


class PracticalResult(db.Model):
    """A candidate's practical result for one sitting, one version; never changed (triggers
    refuse UPDATE and DELETE). A later version (an amended sheet) supersedes it.

    ``mode``: "real" (on the crane) or "simulator" (sheets started from a simulator run that
    counted as the exam). ``sheets``: the signed sheets it rests on (id, version, examiner,
    content SHA-256). ``content_sha256``: SHA-256 of the canonical JSON of the result.
    """

    __tablename__ = "practical_results"
    __table_args__ = (
        UniqueConstraint("ticket_id", "version"),
        CheckConstraint("mode IN ('real', 'simulator')", name="mode"),
        CheckConstraint("status IN ('agreed', 'lead_decided')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("admission_tickets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(10))
    sitting: Mapped[int] = mapped_column(Integer)
    sat_on: Mapped[date]
    score: Mapped[float] = mapped_column(Float)
    # Exact decimal text of the score (the mean of 70 and 71 is "70.5").
    score_text: Mapped[str] = mapped_column(String(20))
    pass_mark: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool]
    vetoes: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    policy: Mapped[str] = mapped_column(String(10))
    threshold: Mapped[float] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(String(100))
    examiners: Mapped[list] = mapped_column(JSON)
    sheets: Mapped[list] = mapped_column(JSON)
    sheet: Mapped[str] = mapped_column(String(40))
    sheet_version: Mapped[int] = mapped_column(Integer)
    sheet_hash: Mapped[str] = mapped_column(String(64))
    simulator_run_id: Mapped[int | None] = mapped_column(ForeignKey("simulator_runs.id"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))

    ticket: Mapped[AdmissionTicket] = relationship()
