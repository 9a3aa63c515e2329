"""Helpers for the simulator-station tests: a registered station, a run, a signed post."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import AdmissionTicket, AuditEntry, SimulatorRun, Station
from examcentre.practical.simulator import sign
from examcentre.practical.stations import register_station

from ..factories import TEST_ACTOR

Q2 = "Q2(限桥式起重机)"
BEIJING = ZoneInfo("Asia/Shanghai")


def calibrated_days_ago(days: int) -> date:
    return datetime.now(BEIJING).date() - timedelta(days=days)


@dataclass
class Setup:
    station: Station
    secret: str
    ticket: AdmissionTicket
    # When its runs finish: fixed, so that the same run_payload() twice is the same run.
    finished: datetime = field(
        default_factory=lambda: datetime.now(BEIJING).replace(microsecond=0) - timedelta(minutes=1)
    )


def registered_station(
    make,
    *,
    code: str = "SIM-01",
    item: str = Q2,
    calibration_age: int = 30,
    ticket: AdmissionTicket | None = None,
) -> Setup:
    """A station of a new centre with an enrolled Q2 candidate (``make.ticket``)."""
    ticket = ticket or make.ticket()
    station, secret = register_station(
        TEST_ACTOR,
        ticket.centre,
        code=code,
        name="Simulator, room 3",
        item=item,
        calibrated_on=calibrated_days_ago(calibration_age),
    )
    db.session.commit()
    return Setup(station, secret, ticket)


def run_payload(setup: Setup, **changes) -> dict:
    """A valid run for the setup, finished a minute before it was made (Beijing time), one
    bump; ``changes`` replace top-level keys, ``metrics`` is merged."""
    finished = setup.finished
    payload = {
        "format": "examcentre.simulator-run/1",
        "station": setup.station.code,
        "run_id": "r-0001",
        "ticket": setup.ticket.number,
        "mode": "exam",
        "scenario": {"id": "Q2-SIM-COURSE", "version": 1},
        "started_at": (finished - timedelta(minutes=4)).isoformat(),
        "finished_at": finished.isoformat(),
        "calibrated_on": setup.station.calibrated_on.isoformat(),
        "log_sha256": hashlib.sha256(b"raw event log").hexdigest(),
        "metrics": {
            "time_seconds": 231.5,
            "bumps": 1,
            "knock_downs": 0,
            "stops": 3,
            "drop_zone": "inner",
            "swing_degrees": 1.5,
            "alarms": [],
        },
    }
    metrics = changes.pop("metrics", {})
    payload.update(changes)
    payload["metrics"] = {**payload["metrics"], **metrics}
    return payload


def encode(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def post(
    client,
    code: str,
    secret: str | None,
    body: bytes,
    *,
    timestamp: str | None = None,
    signature: str | None = None,
    headers: dict | None = None,
    content_type: str = "application/json",
):
    """POST a run as a station does: signed now with ``secret`` unless told otherwise."""
    timestamp = timestamp if timestamp is not None else str(int(time.time()))
    all_headers = {"X-Station-Timestamp": timestamp}
    if signature is None and secret is not None:
        signature = sign(secret.encode("ascii"), timestamp, body)
    if signature is not None:
        all_headers["X-Station-Signature"] = signature
    all_headers.update(headers or {})
    return client.post(
        f"/api/v1/stations/{code}/runs", data=body, headers=all_headers, content_type=content_type
    )


def stored() -> tuple[int, int]:
    """(simulator runs, audit entries): a refusal changes neither."""
    return (
        db.session.scalar(select(func.count()).select_from(SimulatorRun)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


def epoch(moment: datetime) -> str:
    return str(int(moment.astimezone(UTC).timestamp()))
