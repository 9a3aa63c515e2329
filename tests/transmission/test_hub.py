"""The authority hub: POST /api/v1/hub/batches and `examcentre hub import`.

Each refusal names its reason (and the JSON path where there is one) and stores nothing:
every hub table and the audit log are counted before and after.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import (
    AuditEntry,
    Centre,
    HubBatch,
    HubCentre,
    HubSitting,
    HubSubjectResult,
)
from examcentre.transmission import hub, keys, signing
from examcentre.transmission import operations as ops

from .conftest import ACTOR

URL = "/api/v1/hub/batches"
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TABLES = (HubCentre, HubBatch, HubSitting, HubSubjectResult, AuditEntry)


def counts() -> dict[str, int]:
    return {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


@pytest.fixture
def signed(app, closed_session):
    """A built batch, the centre's key registered at the hub (the same database plays both
    sides here; test_two_instances.py runs two servers)."""
    session, _tickets = closed_session
    outbox, _ = ops.build_session_batch(ACTOR, session, NOW)
    centre = db.session.get(Centre, session.centre_id)
    hub.register_centre(ACTOR, centre.code, centre.name, keys.public_key_pem(centre.id))
    db.session.commit()
    return outbox, json.loads(ops.signed_envelope(outbox))


def post(client, value):
    body = value if isinstance(value, bytes) else json.dumps(value).encode()
    return client.post(URL, data=body, content_type="application/json")


def test_a_signed_batch_is_stored_and_a_duplicate_returns_the_original_receipt(client, signed):
    outbox, envelope = signed
    first = post(client, envelope)
    assert first.status_code == 201, first.json
    receipt = first.json["receipt"]
    assert receipt["batch_id"] == outbox.batch_id
    assert receipt["content_sha256"] == outbox.content_sha256
    assert (receipt["sittings"], receipt["results"]) == (3, 2)
    stored = db.session.scalar(select(HubBatch))
    assert stored.document == outbox.document and stored.current
    sittings = db.session.scalars(select(HubSitting).order_by(HubSitting.ticket)).all()
    assert sorted(s.attendance for s in sittings) == ["absent", "checked_in", "checked_in"]
    results = db.session.scalars(select(HubSubjectResult)).all()
    assert {r.subject for r in results} == {"theory"} and all(r.archive_sha256 for r in results)
    before = counts()

    again = post(client, envelope)
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert again.json["receipt"] == receipt
    assert counts() == before  # a duplicate writes nothing


def tamper(envelope):
    envelope["batch"]["sessions"][0]["candidates"][1]["results"][0]["score"] = 100.0


def rename_centre(envelope):
    envelope["batch"]["centre"]["code"] = "NOBODY"


def other_key(envelope):
    key = signing.generate_private_key()
    envelope["signature"]["key"] = signing.fingerprint(key.public_key())


def drop_field(envelope):
    del envelope["batch"]["sessions"][0]["candidates"][0]["id_number"]


@pytest.mark.parametrize(
    ("change", "status", "code", "path"),
    [
        (tamper, 403, "bad_signature", "$.signature.value"),
        (rename_centre, 403, "unknown_centre", "$.batch.centre.code"),
        (other_key, 403, "unknown_key", "$.signature.key"),
        (lambda e: e.pop("signature"), 422, "malformed", "$.signature"),
        (lambda e: e.update(format="x"), 422, "malformed", "$.format"),
    ],
)
def test_a_refused_batch_names_its_reason_and_stores_nothing(
    client, signed, change, status, code, path
):
    _outbox, envelope = signed
    before = counts()
    change(envelope)
    response = post(client, envelope)
    assert response.status_code == status, response.json
    assert response.json["error"] == code
    assert path in [e["path"] for e in response.json["errors"]]
    assert counts() == before


def test_a_malformed_batch_is_refused_after_its_signature_with_the_json_path(client, signed, app):
    """A correctly signed batch that breaks the format (the centre's bug): 422, the path."""
    outbox, envelope = signed
    drop_field(envelope)
    key, _ = keys.load_or_create(outbox.centre_id)
    from examcentre.transmission import batch as fmt

    envelope["signature"]["value"] = (
        __import__("base64")
        .b64encode(signing.sign(key, fmt.canonical_bytes(envelope["batch"])))
        .decode()
    )
    before = counts()
    response = post(client, envelope)
    assert response.status_code == 422
    assert "$.batch.sessions[0].candidates[0].id_number" in [
        e["path"] for e in response.json["errors"]
    ]
    assert counts() == before


def test_not_json_and_wrong_media_type_store_nothing(client, signed):
    before = counts()
    assert post(client, b"{not json").status_code == 422
    response = client.post(URL, data=b"{}", content_type="text/plain")
    assert response.status_code == 415
    assert counts() == before


def test_the_same_batch_id_with_other_content_is_a_conflict(client, signed):
    outbox, envelope = signed
    assert post(client, envelope).status_code == 201
    # The centre (holder of the key) re-signs other content under the same batch id.
    envelope["batch"]["sessions"][0]["room"] = "202"
    key, _ = keys.load_or_create(outbox.centre_id)
    from examcentre.transmission import batch as fmt

    envelope["signature"]["value"] = (
        __import__("base64")
        .b64encode(signing.sign(key, fmt.canonical_bytes(envelope["batch"])))
        .decode()
    )
    before = counts()
    response = post(client, envelope)
    assert response.status_code == 409 and response.json["error"] == "batch_id_conflict"
    assert counts() == before


def test_a_centre_install_does_not_accept_batches(client, signed, app):
    app.config["HUB_MODE"] = False
    _outbox, envelope = signed
    assert post(client, envelope).status_code == 404


def test_authority_staff_cannot_post_even_a_valid_batch(client, signed, login_as):
    """Authority staff are read-only everywhere; the ingest endpoint is for machines."""
    _outbox, envelope = signed
    login_as("authority")
    before = counts()
    assert post(client, envelope).status_code == 403
    assert counts() == before


def test_import_from_a_file_and_a_newer_batch_supersedes(
    app, runner, signed, tmp_path, closed_session
):
    outbox, envelope = signed
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(envelope), encoding="utf-8")
    receipt_file = tmp_path / "receipt.json"
    result = runner.invoke(args=["hub", "import", str(path), "--receipt", str(receipt_file)])
    assert result.exit_code == 0, result.output
    assert json.loads(receipt_file.read_text())["batch_id"] == outbox.batch_id
    assert db.session.scalar(select(HubBatch.received_via)) == "file"
    # The receipt carried back to the centre marks the batch delivered there.
    result = runner.invoke(args=["results", "receipt", str(receipt_file)])
    assert result.exit_code == 0, result.output
    db.session.refresh(outbox)
    assert outbox.state == "delivered"
    # A tampered file is refused with its reason, nothing stored.
    tamper(envelope)
    path.write_text(json.dumps(envelope), encoding="utf-8")
    before = counts()
    result = runner.invoke(args=["hub", "import", str(path)])
    assert result.exit_code != 0 and "bad_signature" in result.output
    assert counts() == before


def test_register_centre_refuses_a_key_that_is_not_ed25519(runner, tmp_path):
    pem = tmp_path / "k.pem"
    pem.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    result = runner.invoke(
        args=["hub", "register-centre", "--code", "X", "--name", "X", "--public-key", str(pem)]
    )
    assert result.exit_code != 0 and "k.pem" in result.output
    assert db.session.scalar(select(func.count()).select_from(HubCentre)) == 0


def test_a_newer_batch_of_the_session_supersedes_the_older_whatever_the_arrival_order(
    app, signed, closed_session
):
    from examcentre.models import Attempt, AttemptResult

    old_outbox, _ = signed
    session, tickets = closed_session
    attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == tickets[1].id))
    previous = attempt.result
    db.session.add(
        AttemptResult(
            attempt_id=attempt.id,
            version=previous.version + 1,
            earned=previous.total,
            total=previous.total,
            score=100.0,
            passed=True,
            pass_mark=previous.pass_mark,
            marks=[],
            reason="key corrected",
            created_by="test",
        )
    )
    db.session.commit()
    db.session.refresh(attempt)
    later = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    new_outbox, created = ops.build_session_batch(ACTOR, session, later)
    assert created
    # The newer batch arrives first, the older one after it.
    newer = hub.ingest(ops.signed_envelope(new_outbox), "https", later).batch
    older = hub.ingest(ops.signed_envelope(old_outbox), "file", later).batch
    db.session.commit()
    assert newer.current and not older.current
    current_scores = db.session.scalars(
        select(HubSubjectResult.score)
        .join(HubBatch, HubBatch.id == HubSubjectResult.hub_batch_id)
        .where(HubBatch.current)
    ).all()
    assert 100.0 in current_scores


def test_a_body_over_the_limit_is_refused_unread(client, signed, monkeypatch):
    from examcentre.api import hub as hub_api

    _outbox, envelope = signed
    monkeypatch.setattr(hub_api, "MAX_BODY_BYTES", 100)
    before = counts()
    response = post(client, envelope)
    assert response.status_code == 413 and response.json["error"] == "payload_too_large"
    assert counts() == before
