"""Building batches into the outbox (centre side) and the centre's key file."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import AttemptArchive, AuditEntry, OutboxBatch
from examcentre.transmission import batch as fmt
from examcentre.transmission import keys, signing
from examcentre.transmission import operations as ops

from .conftest import ACTOR

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_a_closed_session_becomes_one_signed_batch(app, closed_session):
    session, tickets = closed_session
    outbox, created = ops.build_session_batch(ACTOR, session, NOW)
    db.session.commit()
    assert created and outbox.state == "pending" and outbox.next_attempt_at == NOW
    document = json.loads(outbox.document)
    parsed = fmt.parse_batch(document)
    assert parsed.batch_id == outbox.batch_id
    assert document["centre"]["code"] == session_centre_code(session)
    (section,) = document["sessions"]
    by_ticket = {c["ticket"]: c for c in section["candidates"]}
    assert set(by_ticket) == {t.number for t in tickets}
    absent = by_ticket[tickets[0].number]
    assert absent["attendance"] == "absent" and absent["results"] == []
    for ticket in tickets[1:]:
        entry = by_ticket[ticket.number]
        assert entry["id_number"] == ticket.candidate.id_number
        (theory,) = entry["results"]
        attempt = ticket_attempt(ticket)
        assert theory["score"] == attempt.result.score
        assert theory["passed"] == attempt.result.passed
        archive = db.session.scalar(
            select(AttemptArchive).where(AttemptArchive.attempt_id == attempt.id)
        )
        assert theory["archive_sha256"] == archive.sha256
    assert section["examiners"][0]["role"] == "invigilator"
    # The session ended on Mon 23 Nov 2026 (11:00 Shanghai): 5 working days -> Mon 30 Nov.
    assert outbox.due_on.isoformat() == "2026-11-30" == document["due_on"]
    # Signed with the centre's key over the stored bytes.
    public = signing.load_public_key(keys.public_key_pem(session.centre_id))
    assert signing.verify(
        public, __import__("base64").b64decode(outbox.signature), outbox.document.encode()
    )
    assert outbox.key_fingerprint == keys.fingerprint(session.centre_id)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "results.batch_built")
        )
        == 1
    )


def session_centre_code(session):
    from examcentre.models import Centre

    return db.session.get(Centre, session.centre_id).code


def ticket_attempt(ticket):
    from examcentre.models import Attempt

    return db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))


def test_building_again_unchanged_returns_the_same_batch_and_a_rescore_makes_a_new_one(
    app, closed_session
):
    session, tickets = closed_session
    first, _ = ops.build_session_batch(ACTOR, session, NOW)
    again, created = ops.build_session_batch(ACTOR, session, NOW + timedelta(hours=1))
    assert not created and again.id == first.id
    # A re-score adds a result version: the results changed, so a new batch with a new id.
    from examcentre.models import AttemptResult

    attempt = ticket_attempt(tickets[1])
    old = attempt.result
    db.session.add(
        AttemptResult(
            attempt_id=attempt.id,
            version=old.version + 1,
            earned=old.total,
            total=old.total,
            score=100.0,
            passed=True,
            pass_mark=old.pass_mark,
            marks=[],
            reason="key corrected",
            created_by="test",
        )
    )
    db.session.commit()
    db.session.refresh(attempt)
    newer, created = ops.build_session_batch(ACTOR, session, NOW + timedelta(hours=2))
    assert created and newer.batch_id != first.batch_id
    assert db.session.scalar(select(func.count()).select_from(OutboxBatch)) == 2


def test_an_open_session_cannot_be_reported(app, make):
    (ticket,) = make.exam_tickets(1)
    with pytest.raises(ops.TransmissionError) as error:
        ops.build_session_batch(ACTOR, ticket.session, NOW)
    assert error.value.code == "session_not_closed"
    assert db.session.scalar(select(func.count()).select_from(OutboxBatch)) == 0


def test_the_private_key_is_a_0600_file_made_once_and_never_in_the_database(app, closed_session):
    session, _ = closed_session
    ops.build_session_batch(ACTOR, session, NOW)  # makes the key
    db.session.commit()
    path = keys.key_path(session.centre_id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    pem = path.read_bytes()
    _key, created = keys.load_or_create(session.centre_id)
    assert not created and path.read_bytes() == pem
    # No column of any table holds the private key.
    secret_line = pem.decode().splitlines()[1]
    dump = "\n".join(
        str(row)
        for table in db.metadata.sorted_tables
        for row in db.session.execute(table.select())
    )
    assert secret_line not in dump and "PRIVATE KEY" not in dump


def test_the_period_batch_holds_every_closed_session_of_the_period(app, make):
    from .conftest import sit_and_close

    session, _ = sit_and_close(make, count=2, absent=0)
    centre = session.centre_id
    from examcentre.models import Centre

    outbox, created = ops.build_period_batch(
        ACTOR,
        db.session.get(Centre, centre),
        session.starts_at.date(),
        session.starts_at.date(),
        NOW,
    )
    assert created and outbox.scope == "period" and outbox.candidates == 2
    with pytest.raises(ops.TransmissionError):
        ops.build_period_batch(
            ACTOR,
            db.session.get(Centre, centre),
            session.starts_at.date() + timedelta(days=10),
            session.starts_at.date() + timedelta(days=11),
            NOW,
        )


def test_failed_deliveries_back_off_and_a_receipt_ends_them(app, closed_session):
    session, _ = closed_session
    app.config.update(OUTBOX_BACKOFF_BASE_SECONDS=30, OUTBOX_BACKOFF_MAX_SECONDS=100)
    outbox, _ = ops.build_session_batch(ACTOR, session, NOW)
    for n, delay in ((1, 30), (2, 60), (3, 100)):
        ops.record_delivery(outbox, ops.DeliveryOutcome(0, error="refused"), NOW)
        assert outbox.attempts == n and outbox.next_attempt_at == NOW + timedelta(seconds=delay)
        assert outbox.state == "pending" and outbox.last_error == "refused"
    assert ops.due_for_delivery(NOW) == []
    assert ops.due_for_delivery(NOW + timedelta(seconds=100)) == [outbox]
    receipt = {"batch_id": outbox.batch_id, "content_sha256": outbox.content_sha256}
    ops.record_delivery(outbox, ops.DeliveryOutcome(201, receipt=receipt), NOW)
    assert outbox.state == "delivered" and outbox.receipt == receipt
    assert ops.due_for_delivery(NOW + timedelta(days=1)) == []


def test_results_export_writes_the_signed_file_and_keys_show_prints_the_public_key(
    app, runner, closed_session, tmp_path
):
    session, _ = closed_session
    target = tmp_path / "usb" / "batch.json"
    target.parent.mkdir()
    result = runner.invoke(
        args=["results", "export", "--session", str(session.id), "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    envelope = fmt.parse_envelope(target.read_bytes())
    outbox = db.session.scalar(select(OutboxBatch))
    assert envelope.document["batch_id"] == outbox.batch_id and outbox.exported_at is not None
    assert outbox.state == "pending"  # only a receipt says it arrived
    public = signing.load_public_key(keys.public_key_pem(session.centre_id))
    assert signing.verify(public, envelope.signature, envelope.signed_bytes)
    shown = runner.invoke(args=["keys", "show"])
    assert shown.exit_code == 0 and keys.public_key_pem(session.centre_id) in shown.output
    # Exporting again exports the same batch (results unchanged).
    again = runner.invoke(
        args=["results", "export", "--session", str(session.id), "--output", str(target)]
    )
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxBatch)) == 1


def test_results_export_of_an_unknown_or_open_session_fails_clearly(app, runner, make):
    result = runner.invoke(args=["results", "export", "--session", "999", "--output", "x"])
    assert result.exit_code != 0 and "no session 999" in result.output
    (ticket,) = make.exam_tickets(1)
    result = runner.invoke(
        args=["results", "export", "--session", str(ticket.session_id), "--output", "x"]
    )
    assert result.exit_code != 0 and "closed" in result.output


def test_a_receipt_for_another_batch_is_not_a_delivery(app, closed_session):
    session, _ = closed_session
    outbox, _ = ops.build_session_batch(ACTOR, session, NOW)
    wrong = {"batch_id": outbox.batch_id, "content_sha256": "0" * 64}
    ops.record_delivery(outbox, ops.DeliveryOutcome(201, receipt=wrong), NOW)
    assert outbox.state == "pending" and "another batch" in outbox.last_error
    with pytest.raises(ops.TransmissionError):
        ops.record_receipt(ACTOR, outbox, wrong, NOW)
    assert outbox.state == "pending"


def test_simulator_runs_that_counted_as_the_exam_are_reported_practice_runs_not(
    app, closed_session
):
    import hashlib
    from datetime import date

    from examcentre.models import SimulatorRun, Station

    session, tickets = closed_session
    station = Station(
        centre_id=session.centre_id,
        code="SIM-T1",
        name="sim",
        item=session.item,
        secret_salt="00",
        secret_sha256="0" * 64,
        secret_issued_at=NOW,
        registered_by="t",
    )
    db.session.add(station)
    db.session.flush()
    for run_id, mode, total in (("exam-1", "exam", 88.0), ("practice-1", "practice", 40.0)):
        db.session.add(
            SimulatorRun(
                centre_id=session.centre_id,
                station_id=station.id,
                run_id=run_id,
                ticket_id=tickets[1].id,
                scenario_id="obstacle_run",
                scenario_version=1,
                started_at=NOW,
                ended_at=NOW,
                calibrated_on=date(2026, 11, 1),
                metrics={},
                log_sha256="1" * 64,
                mode=mode,
                requested_mode="exam",
                sheet="Q2",
                sheet_version=1,
                sheet_hash="2" * 64,
                score={"passed": None},
                total=total,
                body=f'{{"run_id": "{run_id}"}}',
                signature="3" * 64,
                signed_at=NOW,
            )
        )
    db.session.commit()
    outbox, _ = ops.build_session_batch(ACTOR, session, NOW)
    document = json.loads(outbox.document)
    entry = next(
        c for c in document["sessions"][0]["candidates"] if c["ticket"] == tickets[1].number
    )
    simulator = [r for r in entry["results"] if r["subject"] == "simulator"]
    assert [(r["run_id"], r["total"], r["station"]) for r in simulator] == [
        ("exam-1", 88.0, "SIM-T1")
    ]
    assert simulator[0]["body_sha256"] == hashlib.sha256(b'{"run_id": "exam-1"}').hexdigest()
    assert simulator[0]["scenario"] == "obstacle_run@1" and simulator[0]["passed"] is None
