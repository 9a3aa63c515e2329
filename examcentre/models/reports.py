"""Reports: cached item statistics (computed off the exam hot path) and stored reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class ItemStatistics(db.Model):
    """The item statistics (``reports.itemstats`` document) of one blueprint's attempts in
    one period (sessions starting on ``period_from`` .. ``period_to``, both inclusive, local
    dates). Recomputed by the nightly job (``automatic``) or on request; never on the
    exam's hot path."""

    __tablename__ = "item_statistics"
    __table_args__ = (UniqueConstraint("centre_id", "blueprint_id", "period_from", "period_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    blueprint_id: Mapped[int] = mapped_column(ForeignKey("blueprints.id"), index=True)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    attempts: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict] = mapped_column(JSON)
    automatic: Mapped[bool] = mapped_column(default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredReport(db.Model):
    """A generated report kept for download: the monthly summary made by the scheduled job
    (``kind`` "monthly"). ``centre_id`` is the centre it covers; None is every centre (the
    hub's report). The document is kept with the PDF, so CSV/XLSX can be made again from it
    without re-querying data that may since have changed."""

    __tablename__ = "stored_reports"
    __table_args__ = (UniqueConstraint("centre_id", "kind", "period_from", "period_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    document: Mapped[dict] = mapped_column(JSON)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
