"""The centre's outbox page and the authority's hub pages (zh/en, role-gated, read-only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import AuditEntry, Centre, HubBatch, HubSitting, OutboxBatch
from examcentre.transmission import hub, keys
from examcentre.transmission import operations as ops

from .conftest import ACTOR, sit_and_close

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_the_outbox_page_shows_state_deadline_and_key(client, login_as, make, closed_session):
    session, _ = closed_session
    outbox, _ = ops.build_session_batch(ACTOR, session, NOW)
    ops.record_delivery(outbox, ops.DeliveryOutcome(0, error="ConnectionRefusedError"), NOW)
    db.session.commit()
    centre = db.session.get(Centre, session.centre_id)
    login_as("centre_admin", centre=centre)
    client.get("/lang/en")
    page = client.get("/centre/results/").get_data(as_text=True)
    assert outbox.batch_id[:8] in page and "ConnectionRefusedError" in page
    assert keys.fingerprint(centre.id) in page and "BEGIN PUBLIC KEY" in page
    assert "PRIVATE" not in page
    # Due on 30 Nov 2026 and today is later than that: overdue.
    assert "2026-11-30" in page and "overdue" in page
    # The signed file, for a USB stick, is the envelope the hub accepts.
    download = client.get(f"/centre/results/{outbox.id}.json")
    assert download.status_code == 200
    assert json.loads(download.data)["batch"]["batch_id"] == outbox.batch_id
    # "Send now" skips the rest of the backoff, audited.
    assert client.post(f"/centre/results/{outbox.id}/send").status_code == 302
    db.session.refresh(outbox)
    assert outbox.next_attempt_at <= datetime.now(UTC)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "results.send_requested")
        )
        == 1
    )


def test_the_outbox_page_is_translated(client, login_as, closed_session):
    session, _ = closed_session
    login_as("centre_admin", centre=db.session.get(Centre, session.centre_id))
    client.get("/lang/zh_CN")
    page = client.get("/centre/results/").get_data(as_text=True)
    assert "成绩上报" in page


def test_another_centres_batch_is_a_404(client, login_as, make, closed_session):
    session, _ = closed_session
    outbox, _ = ops.build_session_batch(ACTOR, session, NOW)
    db.session.commit()
    login_as("centre_admin", centre=make.centre())
    assert client.get(f"/centre/results/{outbox.id}.json").status_code == 404
    assert client.post(f"/centre/results/{outbox.id}/send").status_code == 404
    assert outbox.batch_id[:8] not in client.get("/centre/results/").get_data(as_text=True)


def test_the_hub_pages_show_batches_and_late_ones_and_refuse_every_write(client, login_as, make):
    session, _ = sit_and_close(make, count=2, absent=1)
    outbox, _ = ops.build_session_batch(ACTOR, session, NOW)
    centre = db.session.get(Centre, session.centre_id)
    hub.register_centre(ACTOR, centre.code, centre.name, keys.public_key_pem(centre.id))
    # Received on 1 Dec 2026: after the due date (30 Nov), so late.
    stored = hub.ingest(
        ops.signed_envelope(outbox), "file", datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    ).batch
    db.session.commit()
    login_as("authority")
    client.get("/lang/en")
    page = client.get("/authority/hub/").get_data(as_text=True)
    assert centre.code in page and outbox.batch_id[:8] in page and "late" in page
    detail = client.get(f"/authority/hub/batches/{stored.id}").get_data(as_text=True)
    sittings = db.session.scalars(select(HubSitting)).all()
    assert all(s.ticket in detail for s in sittings) and "absent" in detail
    assert client.get("/authority/hub/batches/999999").status_code == 404
    # Read-only: every write the authority might try is refused, and nothing changes.
    before = (
        db.session.scalar(select(func.count()).select_from(HubBatch)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )
    for path in (
        "/authority/hub/",
        f"/authority/hub/batches/{stored.id}",
        "/api/v1/hub/batches",
        f"/centre/results/{outbox.id}/send",
    ):
        assert client.post(path, json={}).status_code == 403, path
    assert (
        db.session.scalar(select(func.count()).select_from(HubBatch)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    ) == before


def test_the_hub_page_says_when_the_install_is_not_a_hub(client, login_as, app):
    app.config["HUB_MODE"] = False
    login_as("authority")
    client.get("/lang/en")
    page = client.get("/authority/hub/").get_data(as_text=True)
    assert "not in authority-hub mode" in page


def test_the_outbox_job_builds_batches_for_closed_sessions_without_a_hub(app, closed_session):
    from examcentre.jobs import deliver_results

    assert closed_session[0].state == "closed"
    db.session.remove()
    assert deliver_results(app) == 0  # no hub configured: built, not sent
    assert db.session.scalar(select(func.count()).select_from(OutboxBatch)) == 1
    deliver_results(app)  # idempotent: the session has its batch
    assert db.session.scalar(select(func.count()).select_from(OutboxBatch)) == 1
