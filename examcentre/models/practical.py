"""Practical exams: crane-simulator stations, the runs they post, and the centre's setting of
whether a simulator run counts as the exam (``examcentre.practical.stations``).

- ``stations``: registered by a centre administrator. The station's secret is never stored:
  the server derives it from ``SECRET_KEY`` and the random ``secret_salt`` whenever it has to
  check a signature, and keeps its SHA-256 only to notice a changed ``SECRET_KEY``
  (ARCHITECTURE.md, "Simulator stations").
- ``simulator_runs``: every accepted run, as the station signed it (``body``, ``signature``,
  ``signed_at``), with the score the engine gave it and its mode, both fixed when it arrived.
- ``practical_settings``: per centre and item; no row means simulator runs are practice.
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
from .candidate import AdmissionTicket
from .types import UTCDateTime, utcnow


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
