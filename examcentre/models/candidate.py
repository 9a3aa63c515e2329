"""Candidates (考生) and the admission tickets (准考证) they sign in with at a terminal."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .centre import Centre
from .compliance import Terminal
from .types import UTCDateTime, utcnow
from .user import Role

if TYPE_CHECKING:
    from .session import ExamSession


class Candidate(db.Model):
    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("centre_id", "id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    # Resident ID number (GB 11643), validated and normalised (upper-case X) on entry.
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(100))
    # Both derived from the ID number, stored so that reports need not re-derive them.
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date]
    employer: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    # File name of the ID photo under instance/photos/ (never served from the web root).
    photo: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    centre: Mapped[Centre] = relationship()
    tickets: Mapped[list[AdmissionTicket]] = relationship(back_populates="candidate")


class AdmissionTicket(db.Model):
    """One candidate's admission to one sitting; the candidate's identity at a terminal.

    A candidate signs in with the ticket number and their resident ID number, and the
    signed-in principal is the ticket, not the person: it can reach only its own sitting.
    """

    __tablename__ = "admission_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # Item code, e.g. "Q1" or "Q2(限桥式起重机)".
    item: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # --- Enrolment in a session (a ticket is one candidate's place in one sitting) ---------
    session_id: Mapped[int | None] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    application_no: Mapped[str | None] = mapped_column(String(40))
    # The assigned seat.
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))
    # "enrolled", then "checked_in" (identity confirmed, 人证核验) or "absent".
    attendance: Mapped[str] = mapped_column(String(20), default="enrolled")
    attendance_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance_by: Mapped[str | None] = mapped_column(String(100))
    # The terminal the candidate is signed in at; one at a time.
    active_terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))
    active_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    candidate: Mapped[Candidate] = relationship(back_populates="tickets")
    centre: Mapped[Centre] = relationship()
    session: Mapped[ExamSession | None] = relationship()
    terminal: Mapped[Terminal | None] = relationship(foreign_keys=[terminal_id])

    # --- Flask-Login principal -------------------------------------------------------------
    role = Role.CANDIDATE
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def get_id(self) -> str:
        return f"ticket:{self.id}"

    @property
    def display_name(self) -> str:
        return self.candidate.name
