"""The edges' view of time. Pure code takes ``on``/``now`` as parameters instead."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def now_utc() -> datetime:
    return datetime.now(UTC)


def centre_today() -> date:
    """Today's date where the centre is (the configured time zone, Asia/Shanghai by default)."""
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def centre_now() -> datetime:
    """The current time where the centre is, for printing on documents."""
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
