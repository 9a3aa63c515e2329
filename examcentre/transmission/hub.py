"""The authority hub's side: registered centre keys, and ingesting signed batches.

``ingest`` checks, in this order, and refuses with a stable code, storing nothing (not even
an audit entry; the refusal is logged by the caller):

1. the envelope (``malformed``, 422, with JSON paths);
2. the centre the batch names is registered here (``unknown_centre``, 403);
3. the envelope's key fingerprint is that centre's registered key (``unknown_key``, 403);
4. the Ed25519 signature over the batch's canonical bytes (``bad_signature``, 403): a
   batch changed after signing, by one byte, fails here;
5. the batch itself (``malformed``, 422, every problem with its JSON path);
6. the batch id: already held with the same content -> the original receipt, nothing
   written (200); held with other content -> ``batch_id_conflict`` (409).

Only then is the batch stored (201), with its sittings and subject results, and the
receipt is returned. The signature is checked before the batch is read in depth, so an
unsigned body never gets further than its envelope.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, event, select, text, update
from sqlalchemy.orm import Session, attributes
from sqlalchemy.orm.util import identity_key

from ..audit.operations import Actor, record
from ..extensions import db
from ..models import HubBatch, HubCentre, HubSitting, HubSubjectResult
from . import batch as fmt
from . import outcome, policy, sequence, signing
from .operations import calendar


class Refused(Exception):
    def __init__(
        self, status: int, code: str, message: str, problems: list[fmt.Problem] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems or []

    def errors(self) -> list[dict[str, str]]:
        return [{"path": p.path, "message": p.message} for p in self.problems]


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    batch: HubBatch
    created: bool


# --- Registered centres ------------------------------------------------------------------------


class RegistrationError(ValueError):
    pass


def register_centre(actor: Actor, code: str, name: str, public_key_pem: str) -> HubCentre:
    """Register (or re-key) a centre. A new key replaces the old one at once: batches signed
    with the old key are refused from then on (they can be re-signed by the centre)."""
    code = code.strip()
    if not code or len(code) > 32:
        raise RegistrationError("the centre code must be 1 to 32 characters")
    try:
        key = signing.load_public_key(public_key_pem)
    except signing.KeyProblem as error:
        raise RegistrationError(str(error)) from None
    fingerprint = signing.fingerprint(key)
    centre = db.session.scalar(select(HubCentre).where(HubCentre.code == code))
    previous = centre.key_fingerprint if centre else None
    if centre is None:
        centre = HubCentre(code=code, name=name, registered_by=actor.label)
        db.session.add(centre)
    centre.name = name or centre.name
    centre.public_key = signing.public_key_pem(key)
    centre.key_fingerprint = fingerprint
    centre.registered_by = actor.label
    record(
        actor,
        "hub.centre_registered",
        obj=centre,
        details={"code": code, "fingerprint": fingerprint, "previous_fingerprint": previous},
    )
    return centre


# --- Ingesting ---------------------------------------------------------------------------------


def _receipt(stored: HubBatch, parsed: fmt.ParsedBatch, results: int) -> dict[str, Any]:
    return {
        "format": fmt.RECEIPT_FORMAT,
        "batch_id": stored.batch_id,
        "centre": stored.centre_code,
        "content_sha256": stored.content_sha256,
        "received_at": stored.received_at.isoformat().replace("+00:00", "Z"),
        "sittings": len(parsed.sittings),
        "results": results,
    }


def ingest(raw: bytes, via: str, now: datetime) -> IngestOutcome:
    """Check and store one signed envelope (see the module docstring for the order)."""
    try:
        envelope = fmt.parse_envelope(raw)
    except fmt.BatchError as error:
        raise Refused(422, error.code, error.message, error.problems) from None
    code = fmt.centre_code_of(envelope.document)
    if code is None:
        raise Refused(
            422,
            "malformed",
            "The batch does not name its centre.",
            [fmt.Problem("$.batch.centre.code", "is required")],
        )
    centre = db.session.scalar(select(HubCentre).where(HubCentre.code == code))
    if centre is None:
        raise Refused(
            403,
            "unknown_centre",
            f"No centre {code!r} is registered at this hub.",
            [fmt.Problem("$.batch.centre.code", "is not registered")],
        )
    if envelope.key_fingerprint != centre.key_fingerprint:
        raise Refused(
            403,
            "unknown_key",
            "The batch is signed with a key not registered for this centre.",
            [fmt.Problem("$.signature.key", "is not the centre's registered key")],
        )
    key = signing.load_public_key(centre.public_key)
    if not signing.verify(key, envelope.signature, envelope.signed_bytes):
        raise Refused(
            403,
            "bad_signature",
            "The signature does not match the batch: it was changed after signing,"
            " or signed with another key.",
            [fmt.Problem("$.signature.value", "does not verify")],
        )
    try:
        parsed = fmt.parse_batch(envelope.document, "$.batch")
    except fmt.BatchError as error:
        raise Refused(422, error.code, error.message, error.problems) from None
    digest = fmt.content_sha256(envelope.document)
    existing = db.session.scalar(select(HubBatch).where(HubBatch.batch_id == parsed.batch_id))
    if existing is not None:
        if existing.content_sha256 == digest and existing.centre_code == code:
            return IngestOutcome(existing, False)
        raise Refused(
            409,
            "batch_id_conflict",
            "A batch with this id and other content is already held.",
            [fmt.Problem("$.batch.batch_id", "is already used")],
        )

    session_ref = parsed.scope.get("session_id") if parsed.scope.get("kind") == "session" else None
    due = None
    if parsed.last_session_end is not None:
        due = policy.due_on(
            parsed.last_session_end,
            current_app.config["BABEL_DEFAULT_TIMEZONE"],
            current_app.config["RESULTS_DUE_WORKING_DAYS"],
            calendar(),
        )
    stored = HubBatch(
        batch_id=parsed.batch_id,
        hub_centre_id=centre.id,
        centre_code=code,
        scope=parsed.scope["kind"],
        session_ref=session_ref,
        content_sha256=digest,
        document=envelope.signed_bytes.decode("utf-8"),
        signature=base64.b64encode(envelope.signature).decode("ascii"),
        key_fingerprint=envelope.key_fingerprint,
        created_at=parsed.created_at,
        last_session_end=parsed.last_session_end,
        due_on=due,
        received_at=now,
        received_via=via,
        receipt={},
        current=True,
    )
    db.session.add(stored)
    db.session.flush()
    # A newer batch of the same session supersedes the older ones for the dashboards, by
    # when the centre built them (batches may arrive out of order: USB after a resend).
    if session_ref is not None:
        newer = db.session.scalar(
            select(HubBatch.id)
            .where(
                HubBatch.centre_code == code,
                HubBatch.session_ref == session_ref,
                HubBatch.id != stored.id,
                HubBatch.created_at > stored.created_at,
            )
            .limit(1)
        )
        stored.current = newer is None
        older = (
            HubBatch.centre_code == code,
            HubBatch.session_ref == session_ref,
            HubBatch.id != stored.id,
            HubBatch.created_at < stored.created_at,
            HubBatch.current.is_(True),
        )
        superseded = db.session.scalars(select(HubBatch.id).where(*older)).all()
        if superseded:
            db.session.execute(
                update(HubBatch).where(HubBatch.id.in_(superseded)).values(current=False)
            )
            # A bulk UPDATE passes by the flush hook: number their candidates again here.
            renumber(db.session.connection(), batch_ids=superseded)
    results = 0
    pairs = []
    for row in parsed.sittings:
        sitting = HubSitting(
            hub_batch_id=stored.id,
            centre_code=code,
            session_ref=row.session_id,
            item=row.item,
            starts_at=row.starts_at,
            ticket=row.ticket,
            application_no=row.application_no,
            id_number=row.id_number,
            name=row.name,
            attendance=row.attendance,
            # The overall pass rate's flags, from the rows in hand (``MARK_OUTCOMES_SQL``
            # computes the same from the stored results; no second pass needed here).
            **outcome.sitting_outcome(row.results)._asdict(),
        )
        db.session.add(sitting)
        pairs.append((row, sitting))
    # One flush for every sitting (their ids for the results; the hook numbers them once).
    db.session.flush()
    for row, sitting in pairs:
        for result in row.results:
            results += 1
            db.session.add(
                HubSubjectResult(
                    hub_batch_id=stored.id,
                    sitting_id=sitting.id,
                    centre_code=code,
                    item=row.item,
                    starts_at=row.starts_at,
                    subject=result.subject,
                    score=result.score,
                    total=result.total,
                    passed=result.passed,
                    archive_sha256=result.archive_sha256,
                    details=result.details,
                )
            )
    stored.receipt = _receipt(stored, parsed, results)
    record(
        Actor("system", None, f"hub:{code}"),
        "hub.batch_ingested",
        obj=stored,
        details={
            "batch_id": stored.batch_id,
            "centre": code,
            "via": via,
            "content_sha256": digest,
            "sittings": len(parsed.sittings),
            "results": results,
        },
    )
    return IngestOutcome(stored, True)


# --- Sitting sequence numbers (hub_sittings.seq) ---------------------------------------------

# Every sitting numbered at once, as the migration back-fills it (and the benchmark after
# COPY): the same order as ``sequence.number``. UPDATE ... FROM: PostgreSQL, SQLite >= 3.33.
NUMBER_ALL_SQL = """
UPDATE hub_sittings SET seq = numbered.seq
FROM (
    SELECT s.id AS id, CASE WHEN b.current THEN row_number() OVER (
        PARTITION BY s.id_number, s.item, b.current ORDER BY s.starts_at, s.id) END AS seq
    FROM hub_sittings s JOIN hub_batches b ON b.id = s.hub_batch_id
) AS numbered
WHERE numbered.id = hub_sittings.id
"""


def number_all(connection) -> None:
    connection.execute(text(NUMBER_ALL_SQL))


# --- Outcome flags (hub_sittings.theory_decided ... practical_passed) --------------------------

# The flags of ``outcome.sitting_outcome`` computed from the stored subject results, for rows
# that did not come through ``ingest`` (the migration's back-fill, the benchmark after COPY).
# A sitting's results are all of its own batch, so "the same sitting also has a practical
# result" is grouping by sitting_id: when it has one, the simulator columns are not read.
# Comparisons like (o.td = 1) give PostgreSQL a boolean (SQLite stores 0/1). A sitting with
# no result keeps its defaults (false). UPDATE ... FROM: PostgreSQL, SQLite >= 3.33.
_MARK_OUTCOMES = """
UPDATE hub_sittings SET
    theory_decided = (o.td = 1),
    theory_passed = (o.tp = 1),
    practical_decided = (o.pd = 1),
    practical_passed = (o.pp = 1)
FROM (
    SELECT r.sitting_id AS sitting_id,
        MAX(CASE WHEN r.subject = 'theory' AND r.passed IS NOT NULL THEN 1 ELSE 0 END) AS td,
        MAX(CASE WHEN r.subject = 'theory' AND r.passed THEN 1 ELSE 0 END) AS tp,
        CASE WHEN MAX(CASE WHEN r.subject = 'practical' THEN 1 ELSE 0 END) = 1
            THEN MAX(CASE WHEN r.subject = 'practical' AND r.passed IS NOT NULL
                THEN 1 ELSE 0 END)
            ELSE MAX(CASE WHEN r.subject = 'simulator' AND r.passed IS NOT NULL
                THEN 1 ELSE 0 END)
        END AS pd,
        CASE WHEN MAX(CASE WHEN r.subject = 'practical' THEN 1 ELSE 0 END) = 1
            THEN MAX(CASE WHEN r.subject = 'practical' AND r.passed THEN 1 ELSE 0 END)
            ELSE MAX(CASE WHEN r.subject = 'simulator' AND r.passed THEN 1 ELSE 0 END)
        END AS pp
    FROM hub_subject_results r{where}
    GROUP BY r.sitting_id
) AS o
WHERE o.sitting_id = hub_sittings.id
"""
# Every sitting (the back-fill), or one batch's (bound :batch; its results carry the batch
# id, so only that batch's results are read).
MARK_OUTCOMES_SQL = _MARK_OUTCOMES.format(where="")
MARK_BATCH_OUTCOMES_SQL = _MARK_OUTCOMES.format(where="\n    WHERE r.hub_batch_id = :batch")


def mark_outcomes(connection, batch_id: int | None = None) -> None:
    """Set the outcome flags from hub_subject_results: of every sitting, or of one batch's."""
    if batch_id is None:
        connection.execute(text(MARK_OUTCOMES_SQL))
    else:
        connection.execute(text(MARK_BATCH_OUTCOMES_SQL), {"batch": batch_id})


def renumber(connection, keys=(), batch_ids=(), session: Session | None = None) -> int:
    """Number again every sitting of the given (ID number, item) pairs and of the candidates
    of the given batches; writes only the rows whose seq changes, returns how many. With
    ``session``, its loaded HubSitting objects get the new value too."""
    keys = set(keys)
    if batch_ids:
        keys |= {
            (r.id_number, r.item)
            for r in connection.execute(
                select(HubSitting.id_number, HubSitting.item).where(
                    HubSitting.hub_batch_id.in_(list(batch_ids))
                )
            )
        }
    if not keys:
        return 0
    numbers = sorted({id_number for id_number, _ in keys})
    rows, stored = [], {}
    for i in range(0, len(numbers), 500):  # bound the IN list
        for r in connection.execute(
            select(
                HubSitting.id,
                HubSitting.id_number,
                HubSitting.item,
                HubSitting.starts_at,
                HubBatch.current,
                HubSitting.seq,
            )
            .join(HubBatch, HubBatch.id == HubSitting.hub_batch_id)
            .where(HubSitting.id_number.in_(numbers[i : i + 500]))
        ):
            if (r.id_number, r.item) in keys:
                rows.append(sequence.Row(r.id, r.id_number, r.item, r.starts_at, bool(r.current)))
                stored[r.id] = r.seq
    changes = [
        {"sitting": sid, "place": seq}
        for sid, seq in sequence.number(rows).items()
        if stored[sid] != seq
    ]
    if changes:
        table = HubSitting.__table__
        connection.execute(
            update(table).where(table.c.id == bindparam("sitting")).values(seq=bindparam("place")),
            changes,
        )
        if session is not None:
            for change in changes:
                obj = session.identity_map.get(identity_key(HubSitting, change["sitting"]))
                if obj is not None:
                    attributes.set_committed_value(obj, "seq", change["place"])
    return len(changes)


@event.listens_for(Session, "after_flush")
def _renumber_after_flush(session: Session, _context) -> None:
    """Keep ``hub_sittings.seq`` true whoever writes through the ORM: a sitting added,
    changed or deleted, or a batch's ``current`` flag changed, numbers its candidates' groups
    again in the same transaction. (The session still lists what was flushed here.)"""
    keys: set[tuple[str, str]] = set()
    batch_ids: set[int] = set()
    for obj in session.new | session.dirty | session.deleted:
        if isinstance(obj, HubSitting):
            state = attributes.instance_state(obj)
            keys.add((obj.id_number, obj.item))
            old_number = state.attrs.id_number.history.deleted
            old_item = state.attrs.item.history.deleted
            if old_number or old_item:
                keys.add(
                    (
                        old_number[0] if old_number else obj.id_number,
                        old_item[0] if old_item else obj.item,
                    )
                )
        elif (
            isinstance(obj, HubBatch)
            and obj not in session.new
            and attributes.instance_state(obj).attrs.current.history.has_changes()
        ):
            batch_ids.add(obj.id)
    if keys or batch_ids:
        renumber(session.connection(), keys, batch_ids, session=session)


def is_late(stored: HubBatch) -> bool:
    """Received after its due date (computed by the hub's own calendar)."""
    if stored.due_on is None:
        return False
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    from zoneinfo import ZoneInfo

    return policy.is_overdue(
        stored.due_on, stored.due_on, stored.received_at.astimezone(ZoneInfo(zone)).date()
    )
