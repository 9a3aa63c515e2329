"""The centre's side of data transmission: build signed batches into the outbox, record
deliveries and exports. The only code that writes ``outbox_batches``.

A batch is built from what the database holds when it is built and is then frozen: the
signed bytes are stored and sent as they are. Building again for a session whose results
have not changed returns the batch already there (same content digest); a re-score after
reporting makes a new batch with a new id, which the hub keeps as the session's current one.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..audit.operations import Actor, record
from ..extensions import db
from ..models import (
    AdmissionTicket,
    Attempt,
    AttemptArchive,
    Blueprint,
    Centre,
    ExamSession,
    OutboxBatch,
    SimulatorRun,
)
from ..workdays import WorkingCalendar
from . import batch as fmt
from . import keys, policy, signing


class TransmissionError(Exception):
    """A batch that cannot be built, with a stable code and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def calendar() -> WorkingCalendar:
    return WorkingCalendar.from_config(
        current_app.config["HOLIDAYS"], current_app.config["EXTRA_WORKING_DAYS"]
    )


def _timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- What goes into a batch ------------------------------------------------------------------


def practical_results(tickets: list[AdmissionTicket]) -> dict[int, list[dict[str, Any]]]:
    """PRACTICAL SUBJECT RESULTS: per ticket id, the newest practical result version
    (``practical_results``, two examiners reconciled) in the form documented in
    docs/results-batch.md: ``{"subject": "practical", "score", "passed", "sheet_sha256",
    "examiners": [username, ...], "details": {...}}``. ``sheet_sha256`` is the result's
    content SHA-256, which covers each signed sheet's own SHA-256."""
    from ..models import PracticalResult

    newest: dict[int, PracticalResult] = {}
    for result in db.session.scalars(
        select(PracticalResult)
        .where(PracticalResult.ticket_id.in_([t.id for t in tickets]))
        .order_by(PracticalResult.version)
    ):
        newest[result.ticket_id] = result  # the newest version wins
    return {
        ticket_id: [
            {
                "subject": "practical",
                "score": r.score,
                "passed": r.passed,
                "sheet_sha256": r.content_sha256,
                "examiners": [e["username"] for e in r.examiners],
                "details": {
                    "result_version": r.version,
                    "mode": r.mode,
                    "sitting": r.sitting,
                    "sat_on": r.sat_on.isoformat(),
                    "status": r.status,
                    "vetoes": list(r.vetoes),
                    "sheet": f"{r.sheet} v{r.sheet_version}",
                    "sheet_hash": r.sheet_hash,
                    "sheets": [
                        {"version": s["version"], "examiner": s["examiner"], "sha256": s["sha256"]}
                        for s in r.sheets
                    ],
                    **({"reason": r.reason, "lead": r.lead} if r.reason else {}),
                },
            }
        ]
        for ticket_id, r in newest.items()
    }


def _theory_result(attempt: Attempt | None, archives: dict[int, str]) -> list[dict[str, Any]]:
    if attempt is None or attempt.state != "submitted" or attempt.result is None:
        return []
    result = attempt.result
    return [
        {
            "subject": "theory",
            "score": result.score,
            "total": result.total,
            "earned": result.earned,
            "pass_mark": result.pass_mark,
            "passed": result.passed,
            "result_version": result.version,
            "failed_on_critical": result.failed_on_critical,
            "submitted_at": _iso(attempt.submitted_at),
            "archive_sha256": archives.get(attempt.id),
        }
    ]


def _simulator_results(runs: list[SimulatorRun]) -> list[dict[str, Any]]:
    # Only runs that counted as the exam (mode fixed when stored, practical_settings);
    # practice runs are not results.
    import hashlib

    return [
        {
            "subject": "simulator",
            "station": run.station.code,
            "run_id": run.run_id,
            "scenario": f"{run.scenario_id}@{run.scenario_version}",
            "total": run.total,
            "passed": (run.score or {}).get("passed"),
            "log_sha256": run.log_sha256,
            "body_sha256": hashlib.sha256(run.body.encode("utf-8")).hexdigest(),
        }
        for run in runs
        if run.mode == "exam"
    ]


def session_section(session: ExamSession) -> dict[str, Any]:
    """One session of a batch: staff, and every enrolled candidate with their results."""
    tickets = db.session.scalars(
        select(AdmissionTicket)
        .where(AdmissionTicket.session_id == session.id)
        .order_by(AdmissionTicket.number)
    ).all()
    ticket_ids = [t.id for t in tickets]
    attempts = {
        a.ticket_id: a
        for a in db.session.scalars(select(Attempt).where(Attempt.ticket_id.in_(ticket_ids)))
    }
    archives = dict(
        db.session.execute(
            select(AttemptArchive.attempt_id, AttemptArchive.sha256).where(
                AttemptArchive.attempt_id.in_([a.id for a in attempts.values()])
            )
        ).all()
    )
    runs: dict[int, list[SimulatorRun]] = {}
    for run in db.session.scalars(
        select(SimulatorRun)
        .where(SimulatorRun.ticket_id.in_(ticket_ids))
        .order_by(SimulatorRun.received_at, SimulatorRun.id)
    ):
        runs.setdefault(run.ticket_id, []).append(run)
    practical = practical_results(list(tickets))
    blueprint = (
        db.session.get(Blueprint, session.blueprint_version_id)
        if session.blueprint_version_id
        else None
    )
    candidates = []
    for ticket in tickets:
        absent = ticket.attendance == "absent"
        results = (
            []
            if absent
            else [
                *_theory_result(attempts.get(ticket.id), archives),
                *practical.get(ticket.id, []),
                *_simulator_results(runs.get(ticket.id, [])),
            ]
        )
        candidates.append(
            {
                "ticket": ticket.number,
                "application_no": ticket.application_no,
                "id_number": ticket.candidate.id_number,
                "name": ticket.candidate.name,
                "attendance": ticket.attendance,
                "results": results,
            }
        )
    section = {
        "id": session.id,
        "item": session.item,
        "room": session.room,
        "starts_at": _iso(session.starts_at),
        "ends_at": _iso(session.ends_at),
        # Theory sessions have invigilators; practical sessions their examiners too.
        "examiners": [
            *(
                {"username": u.username, "name": u.display_name, "role": "invigilator"}
                for u in session.invigilators
            ),
            *(
                {"username": u.username, "name": u.display_name, "role": "examiner"}
                for u in session.examiners
            ),
        ],
        "candidates": candidates,
    }
    if blueprint is not None:
        section["blueprint"] = {"id": blueprint.id, "version": blueprint.version}
    return section


def _document(
    centre: Centre, scope: dict[str, Any], sessions: list[ExamSession], due: date, now: datetime
) -> dict[str, Any]:
    return {
        "format": fmt.FORMAT,
        "batch_id": fmt.new_batch_id(),
        "created_at": _iso(now),
        "centre": {"code": centre.code, "name": centre.name},
        "scope": scope,
        "due_on": due.isoformat(),
        "sessions": [session_section(s) for s in sessions],
    }


# --- Building into the outbox ----------------------------------------------------------------


def _store(
    actor: Actor,
    centre: Centre,
    document: dict[str, Any],
    now: datetime,
    *,
    session: ExamSession | None = None,
    period: tuple[date, date] | None = None,
) -> tuple[OutboxBatch, bool]:
    digest = fmt.content_sha256(document)
    query = select(OutboxBatch).where(OutboxBatch.centre_id == centre.id)
    if session is not None:
        query = query.where(OutboxBatch.session_id == session.id)
    else:
        query = query.where(
            OutboxBatch.scope == "period",
            OutboxBatch.period_from == period[0],
            OutboxBatch.period_to == period[1],
        )
    latest = db.session.scalar(query.order_by(OutboxBatch.id.desc()).limit(1))
    if latest is not None and latest.content_sha256 == digest:
        return latest, False
    fmt.parse_batch(document)  # what we sign must be what the hub accepts
    key, _created = keys.load_or_create(centre.id)
    signed = fmt.canonical_bytes(document)
    candidates = sum(len(s["candidates"]) for s in document["sessions"])
    outbox = OutboxBatch(
        centre_id=centre.id,
        batch_id=document["batch_id"],
        scope=document["scope"]["kind"],
        session_id=session.id if session is not None else None,
        period_from=period[0] if period else None,
        period_to=period[1] if period else None,
        content_sha256=digest,
        document=signed.decode("utf-8"),
        signature=base64.b64encode(signing.sign(key, signed)).decode("ascii"),
        key_fingerprint=signing.fingerprint(key.public_key()),
        candidates=candidates,
        due_on=date.fromisoformat(document["due_on"]),
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_by=actor.label,
        created_at=now,
    )
    db.session.add(outbox)
    record(
        actor,
        "results.batch_built",
        obj=outbox,
        details={
            "batch_id": outbox.batch_id,
            "scope": outbox.scope,
            "session_id": outbox.session_id,
            "content_sha256": digest,
            "candidates": candidates,
            "supersedes": latest.batch_id if latest is not None else None,
        },
    )
    return outbox, True


def due_date_for(ends_at: datetime) -> date:
    return policy.due_on(
        ends_at, _timezone(), current_app.config["RESULTS_DUE_WORKING_DAYS"], calendar()
    )


def build_session_batch(
    actor: Actor, session: ExamSession, now: datetime
) -> tuple[OutboxBatch, bool]:
    """The signed batch of a closed session: (batch, created). Unchanged results return the
    batch already in the outbox."""
    if session.state != "closed":
        raise TransmissionError(
            "session_not_closed", "Only a closed session's results can be reported."
        )
    centre = db.session.get(Centre, session.centre_id)
    document = _document(
        centre,
        {"kind": "session", "session_id": session.id},
        [session],
        due_date_for(session.ends_at),
        now,
    )
    return _store(actor, centre, document, now, session=session)


def build_period_batch(
    actor: Actor, centre: Centre, first: date, last: date, now: datetime
) -> tuple[OutboxBatch, bool]:
    """One batch of every closed session that started between ``first`` and ``last``
    (centre local dates, inclusive)."""
    if last < first:
        raise TransmissionError("bad_period", "The period ends before it starts.")
    zone = ZoneInfo(_timezone())
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    sessions = db.session.scalars(
        select(ExamSession)
        .where(
            ExamSession.centre_id == centre.id,
            ExamSession.state == "closed",
            ExamSession.starts_at >= start,
            ExamSession.starts_at < end,
        )
        .order_by(ExamSession.starts_at, ExamSession.id)
    ).all()
    if not sessions:
        raise TransmissionError("empty_period", "No closed session in that period.")
    due = due_date_for(max(s.ends_at for s in sessions))
    scope = {"kind": "period", "from": first.isoformat(), "to": last.isoformat()}
    document = _document(centre, scope, list(sessions), due, now)
    return _store(actor, centre, document, now, period=(first, last))


def sessions_to_report() -> list[ExamSession]:
    """Closed sessions that have no batch yet (the outbox job builds them)."""
    reported = select(OutboxBatch.session_id).where(OutboxBatch.session_id.is_not(None))
    return list(
        db.session.scalars(
            select(ExamSession)
            .where(ExamSession.state == "closed", ExamSession.id.not_in(reported))
            .order_by(ExamSession.id)
        )
    )


# --- Delivery --------------------------------------------------------------------------------


def signed_envelope(outbox: OutboxBatch) -> bytes:
    """The envelope exactly as delivered and exported: the stored signed bytes are embedded
    unchanged (json.loads of canonical bytes re-serialises to the same bytes)."""
    document = json.loads(outbox.document)
    value = fmt.envelope(document, base64.b64decode(outbox.signature), outbox.key_fingerprint)
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def due_for_delivery(now: datetime) -> list[OutboxBatch]:
    return list(
        db.session.scalars(
            select(OutboxBatch)
            .where(OutboxBatch.state == "pending", OutboxBatch.next_attempt_at <= now)
            .order_by(OutboxBatch.next_attempt_at, OutboxBatch.id)
        )
    )


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    status: int  # HTTP status; 0 when the hub could not be reached
    receipt: dict[str, Any] | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status in (200, 201) and self.receipt is not None


def _receipt_matches(outbox: OutboxBatch, receipt: dict[str, Any] | None) -> bool:
    return (
        isinstance(receipt, dict)
        and receipt.get("batch_id") == outbox.batch_id
        and receipt.get("content_sha256") == outbox.content_sha256
    )


def record_delivery(outbox: OutboxBatch, outcome: DeliveryOutcome, now: datetime) -> None:
    """After one delivery attempt: the receipt, or the failure and when to try again.

    Every failure backs off, a refusal too: a hub that does not know the centre yet (its key
    not registered) may know it tomorrow. The refusal's reason is shown on the outbox page.
    """
    outbox.attempts += 1
    outbox.last_attempt_at = now
    if outcome.delivered and not _receipt_matches(outbox, outcome.receipt):
        # A 2xx that does not acknowledge this batch and these contents is not a delivery
        # (a misconfigured proxy, another service at the URL).
        outcome = DeliveryOutcome(outcome.status, error="the receipt is for another batch")
    if outcome.delivered:
        outbox.state = "delivered"
        outbox.delivered_at = now
        outbox.receipt = outcome.receipt
        outbox.next_attempt_at = None
        outbox.last_status = outcome.status
        outbox.last_error = None
        record(
            Actor("system", None, "outbox", outbox.centre_id),
            "results.batch_delivered",
            obj=outbox,
            details={
                "batch_id": outbox.batch_id,
                "attempts": outbox.attempts,
                "receipt": outcome.receipt,
            },
        )
        return
    outbox.last_status = outcome.status
    outbox.last_error = (outcome.error or "")[:2000]
    outbox.next_attempt_at = now + policy.retry_delay(
        outbox.attempts,
        current_app.config["OUTBOX_BACKOFF_BASE_SECONDS"],
        current_app.config["OUTBOX_BACKOFF_MAX_SECONDS"],
    )


def record_export(actor: Actor, outbox: OutboxBatch, now: datetime, target: str) -> None:
    """Written to a file for offline transfer. The batch stays pending: only the hub's
    receipt (delivered online, or the hub's import answer) says it arrived."""
    outbox.exported_at = now
    record(
        actor,
        "results.batch_exported",
        obj=outbox,
        details={"batch_id": outbox.batch_id, "file": target},
    )


def record_receipt(actor: Actor, outbox: OutboxBatch, receipt: dict[str, Any], now: datetime):
    """A receipt brought back from the hub by hand (after a file import there)."""
    if not _receipt_matches(outbox, receipt):
        raise TransmissionError(
            "receipt_mismatch", "The receipt is for another batch or other content."
        )
    outbox.state = "delivered"
    outbox.delivered_at = now
    outbox.receipt = receipt
    outbox.next_attempt_at = None
    record(actor, "results.receipt_recorded", obj=outbox, details={"receipt": receipt})


def overdue(outbox: OutboxBatch, today: date) -> bool:
    delivered_on = (
        outbox.delivered_at.astimezone(ZoneInfo(_timezone())).date()
        if outbox.delivered_at
        else None
    )
    return policy.is_overdue(outbox.due_on, today, delivered_on)


def send_now(actor: Actor, outbox: OutboxBatch, now: datetime) -> None:
    """The administrator asks for a pending batch to be tried at the next run of the job
    (skipping the rest of its backoff)."""
    if outbox.state != "pending":
        raise TransmissionError("already_delivered", "This batch has been delivered.")
    outbox.next_attempt_at = now
    record(actor, "results.send_requested", obj=outbox, details={"batch_id": outbox.batch_id})
