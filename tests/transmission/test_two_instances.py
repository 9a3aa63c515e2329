"""Two platform instances on loopback: a centre and an authority hub, real server processes.

- The hub is down at first: the centre's outbox (the scheduler's ``deliver-results`` job in
  the centre's ``examcentre serve``) builds the closed session's signed batch, fails to
  reach the hub, and backs off and retries; once the hub is up the batch is delivered and
  the receipt stored at the centre.
- A tampered copy of the batch is refused by the hub (403 ``bad_signature``), nothing stored.
- The same batch again is a duplicate: 200 with the original receipt, nothing stored.

Each instance has its own SQLite database and instance folder; the centre's private key is
only ever in the centre's folder, the hub holds only the public key. Servers are started as
in tests/exams/test_server_crash.py (own process groups, always ended); waits are generous
polls, nothing is timed.
"""

from __future__ import annotations

import json
from http import client as http_client

from flask_migrate import upgrade
from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import (
    AuditEntry,
    Centre,
    HubBatch,
    HubCentre,
    HubSitting,
    HubSubjectResult,
    OutboxBatch,
)
from examcentre.transmission import hub, keys
from examcentre.transmission import operations as ops

from ..conftest import make_app
from ..exams.test_server_crash import (  # noqa: F401  (servers is a fixture)
    STARTUP_TIMEOUT,
    free_port,
    servers,
    start_server,
    wait_until,
)
from ..factories import Factory
from .conftest import ACTOR, sit_and_close

HUB_TABLES = (HubCentre, HubBatch, HubSitting, HubSubjectResult, AuditEntry)


def instance(tmp_path, name):
    folder = tmp_path / name / "instance"
    folder.mkdir(parents=True)
    return folder, f"sqlite:///{folder / 'examcentre.sqlite3'}"


def post(port: int, body: bytes):
    connection = http_client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST", "/api/v1/hub/batches", body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_centre_delivers_to_a_hub_that_comes_up_late(tmp_path, servers):  # noqa: F811
    centre_dir, centre_url = instance(tmp_path, "centre")
    hub_dir, hub_url = instance(tmp_path, "hub")
    centre_keys = str(centre_dir / "keys")
    hub_keys = str(hub_dir / "keys")

    # The centre: a closed session (two sat, one absent) and its key pair.
    centre_app = make_app(centre_url, SIGNING_KEY_DIR=centre_keys)
    with centre_app.app_context():
        upgrade()
        session, _tickets = sit_and_close(Factory(), count=3, absent=1)
        centre = db.session.get(Centre, session.centre_id)
        keys.load_or_create(centre.id)
        code, name, public_key = centre.code, centre.name, keys.public_key_pem(centre.id)
        db.session.remove()

    # The hub: the centre's public key registered, nothing else.
    hub_app = make_app(hub_url, SIGNING_KEY_DIR=hub_keys, HUB_MODE=True)
    with hub_app.app_context():
        upgrade()
        hub.register_centre(ACTOR, code, name, public_key)
        db.session.commit()
        db.session.remove()

    hub_port = free_port()
    start_server(
        servers,
        centre_dir,
        centre_url,
        free_port(),
        AUTHORITY_HUB_URL=f"http://127.0.0.1:{hub_port}",
        SIGNING_KEY_DIR=centre_keys,
        OUTBOX_INTERVAL_SECONDS=1,
        OUTBOX_BACKOFF_BASE_SECONDS=1,
        OUTBOX_BACKOFF_MAX_SECONDS=2,
    )

    def outbox():
        with centre_app.app_context():
            db.session.remove()
            row = db.session.scalar(select(OutboxBatch))
            if row is not None:
                db.session.expunge(row)
            return row

    # The hub is down: the batch is built and retried, with the failure recorded.
    failing = wait_until(
        lambda: (row := outbox()) is not None and row.attempts >= 2 and row,
        STARTUP_TIMEOUT,
        "the outbox to try the absent hub twice",
        servers[0].log,
    )
    assert failing.state == "pending" and failing.last_status == 0
    assert failing.last_error and failing.next_attempt_at is not None
    assert failing.receipt is None

    start_server(servers, hub_dir, hub_url, hub_port, HUB_MODE=True, SIGNING_KEY_DIR=hub_keys)
    delivered = wait_until(
        lambda: (row := outbox()) is not None and row.state == "delivered" and row,
        STARTUP_TIMEOUT,
        "the outbox to deliver once the hub is up",
        servers[0].log,
    )
    receipt = delivered.receipt
    assert receipt["batch_id"] == delivered.batch_id
    assert receipt["content_sha256"] == delivered.content_sha256
    assert (receipt["sittings"], receipt["results"]) == (3, 2)
    assert delivered.attempts > failing.attempts

    def hub_counts():
        with hub_app.app_context():
            db.session.remove()
            return {
                t.__name__: db.session.scalar(select(func.count()).select_from(t))
                for t in HUB_TABLES
            }

    stored = hub_counts()
    assert stored["HubBatch"] == 1 and stored["HubSitting"] == 3
    assert stored["HubSubjectResult"] == 2
    # The hub holds the centre's public key only: no private key in its folder.
    assert not (hub_dir / "keys").exists() or not any((hub_dir / "keys").iterdir())

    with centre_app.app_context():
        envelope = ops.signed_envelope(db.session.get(OutboxBatch, delivered.id))
        db.session.remove()

    # Tampered on the way (a pass turned into a higher score): refused, nothing stored.
    value = json.loads(envelope)
    results = [r for c in value["batch"]["sessions"][0]["candidates"] for r in c["results"]]
    results[0]["score"] = 100.0
    status, body = post(hub_port, json.dumps(value, ensure_ascii=False).encode())
    assert status == 403 and body["error"] == "bad_signature", body
    assert hub_counts() == stored

    # Sent again (a retry after a lost answer): the original receipt, nothing stored.
    status, body = post(hub_port, envelope)
    assert status == 200 and body["duplicate"] is True
    assert body["receipt"] == receipt
    assert hub_counts() == stored
