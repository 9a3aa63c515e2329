"""Data transmission (数据传输): the centre's outbox and the authority hub's store.

Centre side: ``outbox_batches``, one signed results batch (``examcentre.results/1``) each,
with its delivery state. Hub side (an install with ``HUB_MODE`` on): ``hub_centres`` (the
registered public keys), ``hub_batches`` (every batch received, with its receipt), and the
flat rows the authority's dashboards aggregate, ``hub_sittings`` and ``hub_subject_results``.
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
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .centre import Centre
from .types import UTCDateTime, utcnow


class OutboxBatch(db.Model):
    """A signed results batch waiting for, or past, delivery to the authority hub.

    ``document`` is the canonical JSON that was signed, byte for byte; ``signature`` its
    detached Ed25519 signature (base64). The batch id is what makes delivery idempotent: a
    retry of a batch the hub already holds returns the hub's original receipt.
    """

    __tablename__ = "outbox_batches"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'delivered')", name="state"),
        CheckConstraint("scope IN ('session', 'period')", name="scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    batch_id: Mapped[str] = mapped_column(String(36), unique=True)
    scope: Mapped[str] = mapped_column(String(10))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    period_from: Mapped[date | None]
    period_to: Mapped[date | None]
    content_sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    candidates: Mapped[int] = mapped_column(Integer)
    # Reporting deadline: N working days after the (last) session's end (RESULTS_DUE_WORKING_DAYS).
    due_on: Mapped[date]
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The last failure as the centre saw it: HTTP status (0: not reached) and reason.
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt: Mapped[dict | None] = mapped_column(JSON)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    centre: Mapped[Centre] = relationship()


class HubCentre(db.Model):
    """A centre the authority hub accepts batches from, and the public key it signs with."""

    __tablename__ = "hub_centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(Text)  # PEM, SubjectPublicKeyInfo
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registered_by: Mapped[str] = mapped_column(String(100))


class HubBatch(db.Model):
    """A batch the hub accepted (refused ones are never stored). ``current`` is false once a
    newer batch for the same centre and session has arrived (a re-score after reporting)."""

    __tablename__ = "hub_batches"
    __table_args__ = (CheckConstraint("received_via IN ('https', 'file')", name="received_via"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(36), unique=True)
    hub_centre_id: Mapped[int] = mapped_column(ForeignKey("hub_centres.id"), index=True)
    centre_code: Mapped[str] = mapped_column(String(32), index=True)
    scope: Mapped[str] = mapped_column(String(10))
    session_ref: Mapped[int | None] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # at the centre, as signed
    last_session_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Computed by the hub with its own calendar, not taken from the batch.
    due_on: Mapped[date | None]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_via: Mapped[str] = mapped_column(String(10))
    receipt: Mapped[dict] = mapped_column(JSON)
    current: Mapped[bool] = mapped_column(default=True, server_default=sa_true())

    centre: Mapped[HubCentre] = relationship()


class HubSitting(db.Model):
    """One candidate in one session, as a centre reported it (absences included)."""

    __tablename__ = "hub_sittings"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_batch_id: Mapped[int] = mapped_column(ForeignKey("hub_batches.id"), index=True)
    centre_code: Mapped[str] = mapped_column(String(32), index=True)
    session_ref: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ticket: Mapped[str] = mapped_column(String(32))
    application_no: Mapped[str | None] = mapped_column(String(40))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(100))
    attendance: Mapped[str] = mapped_column(String(20))
    # The place among the candidate's current sittings of the item (1: first; > 1: a
    # retake), kept at ingest (``transmission.sequence``); None in a superseded batch.
    seq: Mapped[int | None] = mapped_column(Integer)
    # What the overall pass rate needs of the sitting, kept at ingest so that the period
    # summary reads this table alone (``transmission.outcome``, the rule and why: a simulator
    # result does not count when the sitting also has the practical result the examiners
    # signed from it). The server default lets COPY and raw inserts leave them to
    # ``hub.MARK_OUTCOMES_SQL``.
    theory_decided: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    theory_passed: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    practical_decided: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    practical_passed: Mapped[bool] = mapped_column(default=False, server_default=sa_false())


class HubSubjectResult(db.Model):
    """One subject result (theory, practical, simulator) of a sitting: what the authority's
    dashboards aggregate. Denormalised (centre, item, starts_at) so that period queries need
    no join."""

    __tablename__ = "hub_subject_results"
    __table_args__ = (
        CheckConstraint("subject IN ('theory', 'practical', 'simulator')", name="subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_batch_id: Mapped[int] = mapped_column(ForeignKey("hub_batches.id"), index=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("hub_sittings.id"), index=True)
    centre_code: Mapped[str] = mapped_column(String(32), index=True)
    item: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    subject: Mapped[str] = mapped_column(String(10))
    score: Mapped[float | None] = mapped_column(Float)
    total: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None]
    archive_sha256: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
