"""Exam sessions (考试场次): when and where an exam sits, who invigilates, which terminals.

A session is a theory sitting (``kind="theory"``, at terminals) or a practical one
(``kind="practical"``: a crane from the compliance registry's equipment, and the examiners
in ``session_examiners``, one of them the lead who reconciles two sheets that disagree).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .compliance import Terminal
from .types import UTCDateTime, utcnow
from .user import User

session_terminals = Table(
    "session_terminals",
    db.metadata,
    Column("session_id", Integer, ForeignKey("exam_sessions.id"), primary_key=True),
    Column("terminal_id", Integer, ForeignKey("terminals.id"), primary_key=True),
)

session_invigilators = Table(
    "session_invigilators",
    db.metadata,
    Column("session_id", Integer, ForeignKey("exam_sessions.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
)

# The practical exam's examiners (考评人员); ``lead`` marks the one who reconciles.
session_examiners = Table(
    "session_examiners",
    db.metadata,
    Column("session_id", Integer, ForeignKey("exam_sessions.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("lead", Boolean, nullable=False, default=False, server_default=sa_false()),
)


class ExamSession(db.Model):
    """A theory-exam sitting for one item. States: see ``examcentre.sessions.states``."""

    __tablename__ = "exam_sessions"
    __table_args__ = (CheckConstraint("kind IN ('theory', 'practical')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    # Item code, e.g. "Q1" or "Q2(限桥式起重机)".
    item: Mapped[str] = mapped_column(String(40))
    # "theory" (a paper at terminals) or "practical" (score sheets, examiners, a crane).
    kind: Mapped[str] = mapped_column(String(20), default="theory", server_default="theory")
    # Practical: the registry's equipment id (centre records, ``equipment[].id``).
    equipment: Mapped[str | None] = mapped_column(String(40))
    # The paper blueprint version the papers are drawn from (set before release).
    blueprint_version_id: Mapped[int | None] = mapped_column(ForeignKey("blueprints.id"))
    room: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    # "scheduled", "released", "in_progress", "closed" or "cancelled".
    state: Mapped[str] = mapped_column(String(20), default="scheduled")
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    # Show the candidate their score and pass/fail as soon as they submit (the centre may
    # turn this off, e.g. when results are published only after the authority's review).
    show_result: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    terminals: Mapped[list[Terminal]] = relationship(
        secondary=session_terminals, order_by="Terminal.code"
    )
    invigilators: Mapped[list[User]] = relationship(
        secondary=session_invigilators, order_by="User.display_name"
    )
    examiners: Mapped[list[User]] = relationship(
        secondary=session_examiners, order_by="User.display_name", viewonly=True
    )

    @property
    def is_practical(self) -> bool:
        return self.kind == "practical"
