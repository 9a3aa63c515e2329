"""The append-only, hash-chained audit log. See ``examcentre.audit``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Position in the chain: 1, 2, 3, ... with no gaps. Unique, so that two writers can
    # never both append after the same entry.
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None for events that belong to no one centre (an authority account, a CLI action).
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    # "user", "candidate", "system" or "station"; with actor_id, who did it. actor_label is
    # a snapshot (a username), so the entry still reads right after the account changes.
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    # Canonical JSON text (sorted keys), stored exactly as hashed.
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(db.Model):
    """A single row holding the chain's last seq and hash.

    Appending first updates this row, which takes the write lock on SQLite and a row lock
    on PostgreSQL, so concurrent appends queue instead of forking the chain. It also lets
    verification notice entries cut off the end of the log.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
