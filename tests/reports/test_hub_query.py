"""Query and result verification on an authority hub: a received sitting is re-checked
against the batch its centre signed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from examcentre.extensions import db
from examcentre.models import Centre, HubSitting, HubSubjectResult
from examcentre.transmission import hub, keys
from examcentre.transmission import operations as ops

from ..transmission.conftest import ACTOR, sit_and_close

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def received(app, make, tmp_path):
    app.config["SIGNING_KEY_DIR"] = str(tmp_path / "keys")
    app.config["HUB_MODE"] = True
    session, tickets = sit_and_close(make)
    outbox, _ = ops.build_session_batch(ACTOR, session, NOW)
    centre = db.session.get(Centre, session.centre_id)
    hub.register_centre(ACTOR, centre.code, centre.name, keys.public_key_pem(centre.id))
    db.session.commit()
    hub.ingest(ops.signed_envelope(outbox), "file", NOW)
    db.session.commit()
    return tickets


def test_a_received_sitting_is_found_and_verifies(app, make, tmp_path, client, login_as):
    tickets = received(app, make, tmp_path)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as("authority")
    sat = tickets[-1]
    html = client.get("/authority/query", query_string={"q": sat.candidate.id_number})
    body = html.get_data(as_text=True)
    sitting = db.session.scalar(select(HubSitting).where(HubSitting.ticket == sat.number))
    assert f"/authority/hub/sittings/{sitting.id}/verify" in body
    page = client.get(f"/authority/hub/sittings/{sitting.id}/verify").get_data(as_text=True)
    assert "Verified: exactly what the centre signed." in page


def test_a_result_changed_at_the_hub_does_not_verify(app, make, tmp_path, client, login_as):
    tickets = received(app, make, tmp_path)
    sitting = db.session.scalar(select(HubSitting).where(HubSitting.ticket == tickets[-1].number))
    db.session.execute(
        update(HubSubjectResult)
        .where(HubSubjectResult.sitting_id == sitting.id)
        .values(passed=True, score=99.0)
    )
    db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as("authority")
    page = client.get(f"/authority/hub/sittings/{sitting.id}/verify").get_data(as_text=True)
    assert "Does not verify." in page
    assert "the stored results differ from what the centre signed" in page


def test_an_outcome_flag_changed_at_the_hub_does_not_verify(app, make, tmp_path, client, login_as):
    """The overall pass rate reads the flags kept per sitting at ingest: a flag changed in
    the hub's database is found like a changed result."""
    tickets = received(app, make, tmp_path)
    sitting = db.session.scalar(select(HubSitting).where(HubSitting.ticket == tickets[-1].number))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as("authority")
    page = client.get(f"/authority/hub/sittings/{sitting.id}/verify").get_data(as_text=True)
    assert "Verified: exactly what the centre signed." in page
    db.session.execute(
        update(HubSitting)
        .where(HubSitting.id == sitting.id)
        .values(theory_passed=not sitting.theory_passed)
    )
    db.session.commit()
    page = client.get(f"/authority/hub/sittings/{sitting.id}/verify").get_data(as_text=True)
    assert "Does not verify." in page
    assert "the outcome kept for the pass rates differs from what the centre signed" in page
