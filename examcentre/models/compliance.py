"""What the compliance self-check reads and writes: the centre's records, its settings,
the checks run, and the alerts they raised."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class CentreRecordVersion(db.Model):
    """One saved version of a centre's records, as an ``examcentre.centre/1`` document.

    Versions are never changed: every save from a form, an import or the CLI adds the next
    version, so the history of what the centre declared (and when) is complete. Terminals
    live in their own table (sessions refer to them) and are merged in when the document is
    read.
    """

    __tablename__ = "centre_record_versions"
    __table_args__ = (UniqueConstraint("centre_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    version: Mapped[int]
    # Canonical JSON (sorted keys) of the document without "terminals".
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(100))
    # Which form section, "import", "cli" or "demo".
    source: Mapped[str] = mapped_column(String(40))


class Terminal(db.Model):
    """An exam terminal (考试终端) of the centre. R-TERM counts the working ones."""

    __tablename__ = "terminals"
    __table_args__ = (UniqueConstraint("centre_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    # The label on the machine, e.g. "T01".
    code: Mapped[str] = mapped_column(String(32))
    location: Mapped[str | None] = mapped_column(String(100))
    # "working" or "out_of_service".
    status: Mapped[str] = mapped_column(String(20), default="working")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # --- Registration of the machine (issue 6) ---------------------------------------------
    # SHA-256 of the device token held in the machine's long-lived cookie; never the token.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_by: Mapped[str | None] = mapped_column(String(100))
    # Optional allow-list: addresses or networks (CIDR), comma-separated.
    allowed_addresses: Mapped[str | None] = mapped_column(Text)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CentreComplianceSettings(db.Model):
    """The centre's readings of the regulation's vague phrases (compliance-rules.md DEFAULTs)."""

    __tablename__ = "centre_compliance_settings"

    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), primary_key=True)
    # JSON of ComplianceSettings (settings_to_json); keys left out take the defaults.
    settings: Mapped[str] = mapped_column(Text, default="{}")
    # Refuse to open an exam session while the centre is not compliant (on by default).
    block_sessions_when_non_compliant: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplianceCheck(db.Model):
    """One run of the self-check, kept with the full report so it can be shown again."""

    __tablename__ = "compliance_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    evaluated_on: Mapped[date]
    # "manual" (a person pressed the button), "nightly", "cli" or "record_saved".
    trigger: Mapped[str] = mapped_column(String(20))
    actor_label: Mapped[str] = mapped_column(String(100))
    record_version: Mapped[int | None]
    compliant: Mapped[bool]
    fail_count: Mapped[int]
    warn_count: Mapped[int]
    # The examcentre.compliance/1 document.
    report: Mapped[str] = mapped_column(Text)


class Alert(db.Model):
    """Something a centre administrator must see, shown until acknowledged."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "compliance" for now.
    kind: Mapped[str] = mapped_column(String(30))
    # "fail" or "warn".
    level: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    compliance_check_id: Mapped[int | None] = mapped_column(ForeignKey("compliance_checks.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
