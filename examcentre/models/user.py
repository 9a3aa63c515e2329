"""Staff accounts: examiners, invigilators, centre administrators and authority staff."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .centre import Centre
from .types import UTCDateTime, utcnow


class Role(StrEnum):
    CANDIDATE = "candidate"
    EXAMINER = "examiner"
    INVIGILATOR = "invigilator"
    CENTRE_ADMIN = "centre_admin"
    AUTHORITY = "authority"


# Roles held by a staff account (a candidate signs in with an admission ticket instead).
STAFF_ROLES = (Role.EXAMINER, Role.INVIGILATOR, Role.CENTRE_ADMIN, Role.AUTHORITY)
# Roles a centre administrator may give to accounts of their own centre.
CENTRE_STAFF_ROLES = (Role.EXAMINER, Role.INVIGILATOR, Role.CENTRE_ADMIN)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('examiner', 'invigilator', 'centre_admin', 'authority')", name="role"
        ),
        # Authority staff see every centre and belong to none; everyone else belongs to one.
        CheckConstraint(
            "(role = 'authority' AND centre_id IS NULL)"
            " OR (role <> 'authority' AND centre_id IS NOT NULL)",
            name="centre_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    centre: Mapped[Centre | None] = relationship()

    # Flask-Login: a disabled account cannot sign in, and loses a session it already has.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.is_enabled

    def get_id(self) -> str:
        return f"user:{self.id}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
