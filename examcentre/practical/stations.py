"""Simulator stations (operations): register, issue a new secret, retire, record a
calibration, the centre's "simulator runs count as the exam" setting, and ``accept_run``.

Like every operations module: the acting ``Actor`` is passed in, every change is audited,
and nothing is committed here (the edges commit once).

**The station's secret is derived, never stored.** A station signs with HMAC-SHA256, so the
server needs the secret itself to check a signature: a one-way hash of it could not check
anything. Instead of keeping the secret (in clear or encrypted), the server computes it:

    key    = HMAC-SHA256(SECRET_KEY, "examcentre.station-key/1")
    secret = base64url(HMAC-SHA256(key, code + "\\x1f" + salt))      # 43 characters

``salt`` is 32 random bytes (hex) stored with the station, with the secret's SHA-256. The
database alone gives nothing a station could sign with; the database and ``SECRET_KEY``
together give everything, which is true of the session cookies already. The SHA-256 shows
when ``SECRET_KEY`` has changed since the secret was issued (the station then needs a new
secret). A new secret is a new salt; the old secret stops working at once.

**A run is refused** (``RunRefused``: HTTP status, stable code, message, and the JSON paths)
in this order, and nothing is stored:

1. unknown or retired station: 401 ``unknown_station``;
2. missing headers, bad timestamp or signature, timestamp more than 300 s old or ahead:
   401 ``missing_signature``, ``bad_timestamp``, ``timestamp_too_old``,
   ``timestamp_in_future``, ``bad_signature``, ``signature_mismatch``
   (``secret_reissue_needed`` when ``SECRET_KEY`` changed);
3. the run id already stored for this station: the same payload is an idempotent retry
   (``RunOutcome.created`` False: the stored result, nothing new); another payload is
   409 ``run_id_conflict``;
4. malformed payload: 422 ``invalid_payload`` with every problem's path;
5. unknown scenario (id or version): 422 ``unknown_scenario``; a scenario of another item
   than the station's: 422 ``scenario_not_for_station``;
6. calibration: too old for the scenario, none recorded, or not the date the centre
   recorded: 409 ``out_of_calibration`` or ``calibration_mismatch``;
7. the ticket: unknown or another centre's: 422 ``unknown_ticket``; revoked, not enrolled,
   or for another item: 422 ``ticket_not_enrolled``.

**Replays.** The signature covers the timestamp and the whole body, run id included, so a
captured request cannot be changed, and cannot be sent again after 300 s. Sent again within
them it is the same run id with the same body: an idempotent retry that stores nothing. So
"replay" means the run id; no table of seen signatures is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.operations import Actor, record
from ..bank.vocab import ITEMS
from ..extensions import db
from ..models import AdmissionTicket, Centre, PracticalSetting, SimulatorRun, Station, utcnow
from . import simulator
from .scoring import score_sheet
from .sheets import Sheet, load_sheets

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 300
TIMESTAMP_HEADER = "X-Station-Timestamp"
SIGNATURE_HEADER = "X-Station-Signature"
# A station code goes into a URL: letters, digits, and . _ - inside.
CODE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,30}[A-Za-z0-9])?$")
_KEY_CONTEXT = b"examcentre.station-key/1"


class StationError(ValueError):
    """An administrator's change that cannot be made; ``field`` names the form field."""

    def __init__(self, field: str, message) -> None:
        super().__init__(message)  # lazy: rendered when shown, in the reader's language
        self.field = field
        self.message = message


class RunRefused(Exception):
    """A refused run: HTTP status, stable code, message, and ``errors`` with JSON paths."""

    def __init__(
        self, status: int, code: str, message: Any, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(str(message))
        self.status = status
        self.code = code
        self.message = message  # lazy: rendered in the reader's language
        self.errors = errors or []


@dataclass(frozen=True)
class RunOutcome:
    run: SimulatorRun
    created: bool  # False: an idempotent retry of a run stored before


# --- The sheets and the scenario catalogue ----------------------------------------------------


def practical_dir() -> Path:
    configured = current_app.config.get("PRACTICAL_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "question_bank" / "practical"


@cache
def _load(directory: str) -> tuple[dict[str, Sheet], simulator.Catalogue]:
    sheets = load_sheets(directory)
    catalogue = simulator.load_catalogue(Path(directory) / "scenarios.yaml", sheets)
    return sheets, catalogue


def sheets_and_catalogue() -> tuple[dict[str, Sheet], simulator.Catalogue]:
    """The score sheets and the scenario catalogue (read once per process and folder)."""
    return _load(str(practical_dir()))


# --- Secrets ----------------------------------------------------------------------------------


def _derivation_key() -> bytes:
    server_key = current_app.config["SECRET_KEY"]
    if isinstance(server_key, str):
        server_key = server_key.encode("utf-8")
    return hmac.new(server_key, _KEY_CONTEXT, hashlib.sha256).digest()


def station_secret(station: Station) -> str:
    """The station's secret, computed from ``SECRET_KEY`` and its salt (see the module doc)."""
    message = f"{station.code}\x1f{station.secret_salt}".encode()
    digest = hmac.new(_derivation_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def secret_fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def secret_still_valid(station: Station) -> bool:
    """False when ``SECRET_KEY`` changed since the secret was issued (issue a new one)."""
    return hmac.compare_digest(secret_fingerprint(station_secret(station)), station.secret_sha256)


def _issue_secret(station: Station) -> str:
    station.secret_salt = secrets.token_hex(32)
    secret = station_secret(station)
    station.secret_sha256 = secret_fingerprint(secret)
    station.secret_issued_at = utcnow()
    return secret


# --- Administration ---------------------------------------------------------------------------


def register_station(
    actor: Actor,
    centre: Centre,
    *,
    code: str,
    name: str,
    item: str,
    calibrated_on: date | None = None,
    today: date | None = None,
) -> tuple[Station, str]:
    """Register a station; return it and its secret (shown once: only its salt is kept).
    ``today`` (the centre's date) refuses a calibration date in the future."""
    code, name = (code or "").strip(), (name or "").strip()
    if not CODE.match(code):
        raise StationError(
            "code",
            _l("Use 1 to 32 letters, digits, dots, hyphens or underscores, e.g. SIM-01."),
        )
    if db.session.scalar(select(Station.id).where(Station.code == code)) is not None:
        raise StationError("code", _l("A station with this code is already registered."))
    if not name or len(name) > 100:
        raise StationError("name", _l("Give the station a name of at most 100 characters."))
    if item not in ITEMS:
        raise StationError("item", _l("Choose an item."))
    if calibrated_on and today and calibrated_on > today:
        raise StationError("calibrated_on", _l("A calibration date cannot be in the future."))
    station = Station(
        centre_id=centre.id,
        code=code,
        name=name,
        item=item,
        calibrated_on=calibrated_on,
        registered_by=actor.label,
    )
    secret = _issue_secret(station)
    db.session.add(station)
    record(
        actor,
        "station.register",
        obj=station,
        details={
            "code": code,
            "name": name,
            "item": item,
            "calibrated_on": calibrated_on.isoformat() if calibrated_on else None,
        },
    )
    return station, secret


def issue_new_secret(actor: Actor, station: Station, reason: str) -> str:
    """Replace the station's secret (lost, leaked, or SECRET_KEY changed); the old one stops
    working at once. Returns the new secret, shown once."""
    if not station.is_active:
        raise StationError("reason", _l("A retired station gets no new secret."))
    secret = _issue_secret(station)
    record(actor, "station.new_secret", obj=station, reason=reason, details={"code": station.code})
    return secret


def retire_station(actor: Actor, station: Station, reason: str) -> None:
    """The station's posts are refused from now on; its runs stay."""
    if not station.is_active:
        return
    station.retired_at = utcnow()
    station.retired_reason = reason
    record(actor, "station.retire", obj=station, reason=reason, details={"code": station.code})


def record_calibration(actor: Actor, station: Station, on: date, today: date) -> None:
    """The date of the station's last calibration (runs must report this date)."""
    if on > today:
        raise StationError("calibrated_on", _l("A calibration date cannot be in the future."))
    before = station.calibrated_on
    station.calibrated_on = on
    record(
        actor,
        "station.calibration",
        obj=station,
        details={
            "code": station.code,
            "calibrated_on": on.isoformat(),
            "before": before.isoformat() if before else None,
        },
    )


def simulator_counts_as_exam(centre_id: int, item: str) -> bool:
    """The centre's setting for ``item``; off (practice) unless the centre turned it on."""
    setting = db.session.scalar(
        select(PracticalSetting).where(
            PracticalSetting.centre_id == centre_id, PracticalSetting.item == item
        )
    )
    return bool(setting and setting.simulator_counts_as_exam)


def set_simulator_counts_as_exam(actor: Actor, centre: Centre, item: str, value: bool) -> None:
    """Change the setting for ``item``. Runs already stored keep the mode they were given."""
    if item not in ITEMS:
        raise StationError("item", _l("Choose an item."))
    setting = db.session.scalar(
        select(PracticalSetting).where(
            PracticalSetting.centre_id == centre.id, PracticalSetting.item == item
        )
    )
    if setting is None:
        setting = PracticalSetting(centre_id=centre.id, item=item, updated_by=actor.label)
        db.session.add(setting)
    elif setting.simulator_counts_as_exam == value:
        return
    setting.simulator_counts_as_exam = value
    setting.updated_at = utcnow()
    setting.updated_by = actor.label
    record(
        actor,
        "practical.simulator_mode",
        obj=setting,
        details={"item": item, "simulator_counts_as_exam": value},
    )


# --- Accepting a run --------------------------------------------------------------------------


def _refuse(status: int, code: str, message, path: str | None = None) -> RunRefused:
    errors = [{"path": path, "message": str(message)}] if path else []
    return RunRefused(status, code, message, errors)


_SIGNATURE_REFUSALS = {
    simulator.SignatureProblem.BAD_TIMESTAMP: (
        "bad_timestamp",
        TIMESTAMP_HEADER,
        _l("The timestamp must be the Unix time in whole seconds."),
    ),
    simulator.SignatureProblem.TOO_OLD: (
        "timestamp_too_old",
        TIMESTAMP_HEADER,
        _l("The timestamp is more than 300 seconds old. Sign the request again, now."),
    ),
    simulator.SignatureProblem.FROM_FUTURE: (
        "timestamp_in_future",
        TIMESTAMP_HEADER,
        _l("The timestamp is more than 300 seconds ahead of the server's clock."),
    ),
    simulator.SignatureProblem.BAD_SIGNATURE: (
        "bad_signature",
        SIGNATURE_HEADER,
        _l("The signature must be 64 hexadecimal characters (HMAC-SHA256)."),
    ),
    simulator.SignatureProblem.MISMATCH: (
        "signature_mismatch",
        SIGNATURE_HEADER,
        _l("The signature does not match this station's secret, timestamp and body."),
    ),
}


def _authenticate(
    station_code: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> Station:
    station = db.session.scalar(select(Station).where(Station.code == station_code))
    if station is None or not station.is_active:
        raise _refuse(401, "unknown_station", _l("There is no active station with this code."))
    if not timestamp or not signature:
        missing = TIMESTAMP_HEADER if not timestamp else SIGNATURE_HEADER
        raise _refuse(
            401,
            "missing_signature",
            _l(
                "Sign the request: send the %(timestamp)s and %(signature)s headers.",
                timestamp=TIMESTAMP_HEADER,
                signature=SIGNATURE_HEADER,
            ),
            f"header.{missing}",
        )
    if not secret_still_valid(station):
        raise _refuse(
            401,
            "secret_reissue_needed",
            _l(
                "The server's key changed after this station's secret was issued. The centre"
                " administrator must issue a new secret."
            ),
        )
    problem = simulator.verify(
        station_secret(station).encode("ascii"), timestamp, body, signature, now, MAX_AGE_SECONDS
    )
    if problem is not None:
        code, header, message = _SIGNATURE_REFUSALS[problem]
        raise _refuse(401, code, message, f"header.{header}")
    return station


def _decoded(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _stored_run(station: Station, payload: Any) -> SimulatorRun | None:
    run_id = payload.get("run_id") if isinstance(payload, dict) else None
    if not isinstance(run_id, str) or not run_id.strip():
        return None
    return db.session.scalar(
        select(SimulatorRun).where(
            SimulatorRun.station_id == station.id, SimulatorRun.run_id == run_id.strip()
        )
    )


def _problems(errors) -> list[dict[str, str]]:
    return [{"path": p.path, "message": p.message} for p in errors]


def accept_run(
    station_code: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> RunOutcome:
    """Check a signed run (the order and the refusals: module doc), score it on the sheet and
    store it with its mode. Raises ``RunRefused``; stores nothing when refusing."""
    station = _authenticate(station_code, timestamp, signature, body, now)
    payload = _decoded(body)
    stored = _stored_run(station, payload)
    if stored is not None:
        if _decoded(stored.body.encode("utf-8")) == payload:
            return RunOutcome(stored, created=False)
        raise _refuse(
            409,
            "run_id_conflict",
            _l(
                "Run %(run_id)s is already stored with other data. A new run needs a new run id.",
                run_id=stored.run_id,
            ),
            "$.run_id",
        )

    sheets, catalogue = sheets_and_catalogue()
    run, problems = simulator.parse_run_body(body, catalogue, now)
    named = payload.get("station") if isinstance(payload, dict) else None
    if isinstance(named, str) and named.strip() and named.strip() != station.code:
        problems.append(
            simulator.PathProblem(
                "$.station",
                f"names station {named.strip()!r}, but the request was sent for {station.code!r}",
            )
        )
    special = {"unknown_scenario", "out_of_calibration"}
    if any(p.code not in special for p in problems):
        raise RunRefused(
            422, "invalid_payload", _l("The run has invalid fields."), _problems(problems)
        )
    if any(p.code == "unknown_scenario" for p in problems):
        raise RunRefused(
            422,
            "unknown_scenario",
            _l("The scenario is not in the catalogue."),
            _problems(problems),
        )
    if problems:
        raise RunRefused(
            409,
            "out_of_calibration",
            _l("The station's calibration is too old for this scenario."),
            _problems(problems),
        )
    assert run is not None
    scenario = catalogue.scenario(run.scenario_id, run.scenario_version)
    assert scenario is not None
    if scenario.item != station.item:
        raise _refuse(
            422,
            "scenario_not_for_station",
            _l(
                "Scenario %(scenario)s is for another item than this station's.",
                scenario=scenario.label,
            ),
            "$.scenario.id",
        )
    _check_calibration(station, run, scenario)
    ticket = _enrolled_ticket(station, run.ticket, scenario.item)

    sheet = sheets[scenario.sheet]
    mapped = simulator.map_run(run, catalogue, sheet)
    score = score_sheet(sheet, mapped.entries, mapped.vetoes)
    counts = run.mode == "exam" and simulator_counts_as_exam(station.centre_id, scenario.item)
    stored = SimulatorRun(
        centre_id=station.centre_id,
        station_id=station.id,
        run_id=run.run_id,
        ticket_id=ticket.id,
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        started_at=run.started_at,
        ended_at=run.finished_at,
        calibrated_on=run.calibrated_on,
        metrics=payload["metrics"],
        log_sha256=run.log_sha256,
        mode="exam" if counts else "practice",
        requested_mode=run.mode,
        sheet=score.sheet,
        sheet_version=score.version,
        sheet_hash=score.content_hash,
        score=score.document(),
        total=float(score.score),
        body=body.decode("utf-8"),
        signature=signature.lower(),
        signed_at=datetime.fromtimestamp(int(timestamp), UTC),
        received_at=now,
    )
    db.session.add(stored)
    record(
        Actor("station", station.id, station.code, station.centre_id),
        "simulator_run.accept",
        obj=stored,
        details={
            "station": station.code,
            "run_id": run.run_id,
            "ticket": ticket.number,
            "scenario": scenario.label,
            "mode": stored.mode,
            "score": score.document()["score"],
            "sheet": f"{score.sheet} v{score.version}",
            "log_sha256": run.log_sha256,
            "body_sha256": hashlib.sha256(body).hexdigest(),
        },
    )
    return RunOutcome(stored, created=True)


def _check_calibration(station: Station, run: simulator.SimulatorRun, scenario) -> None:
    if station.calibrated_on is None:
        raise _refuse(
            409,
            "out_of_calibration",
            _l(
                "No calibration is recorded for this station. The centre administrator records"
                " it on the stations page."
            ),
            "$.calibrated_on",
        )
    if run.calibrated_on != station.calibrated_on:
        raise _refuse(
            409,
            "calibration_mismatch",
            _l(
                "The run reports calibration on %(reported)s, but the centre recorded"
                " %(recorded)s for this station. Record the new calibration first.",
                reported=run.calibrated_on.isoformat(),
                recorded=station.calibrated_on.isoformat(),
            ),
            "$.calibrated_on",
        )
    # The age against the scenario's limit was checked on the payload (the same date).


def _enrolled_ticket(station: Station, number: str, item: str) -> AdmissionTicket:
    ticket = db.session.scalar(select(AdmissionTicket).where(AdmissionTicket.number == number))
    if ticket is None or ticket.centre_id != station.centre_id:
        # Another centre's ticket is "unknown": its existence is not confirmed.
        raise _refuse(
            422, "unknown_ticket", _l("No admission ticket with this number."), "$.ticket"
        )
    if ticket.revoked_at is not None or ticket.session_id is None or ticket.item != item:
        raise _refuse(
            422,
            "ticket_not_enrolled",
            _l("This ticket is not enrolled for the scenario's item."),
            "$.ticket",
        )
    return ticket


def note_refusal(station_code: str, refusal: RunRefused) -> None:
    """Log a refusal for the operator (the database keeps nothing of a refused run)."""
    log.warning("station %s: run refused: %s %s", station_code[:40], refusal.code, refusal.errors)


__all__ = [
    "MAX_AGE_SECONDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "RunOutcome",
    "RunRefused",
    "StationError",
    "accept_run",
    "issue_new_secret",
    "record_calibration",
    "register_station",
    "retire_station",
    "secret_still_valid",
    "set_simulator_counts_as_exam",
    "sheets_and_catalogue",
    "simulator_counts_as_exam",
    "station_secret",
]
