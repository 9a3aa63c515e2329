"""hub_sittings.seq, the stored retake numbering the period summary reads: kept at ingest
whatever the arrival order, and through a superseding batch, and equal to the window the
one-centre summary still computes."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from examcentre.extensions import db
from examcentre.models import Centre, HubBatch, HubSitting
from examcentre.reports import operations as reports
from examcentre.transmission import batch as fmt
from examcentre.transmission import hub, keys, sequence, signing
from examcentre.transmission import operations as ops

from .conftest import ACTOR

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TZ = "Asia/Shanghai"


@pytest.fixture
def base(app, closed_session):
    """The closed session's batch document (three candidates, one absent), the centre's key
    registered at the hub, and a way to sign variants of it."""
    session, _tickets = closed_session
    outbox, _ = ops.build_session_batch(ACTOR, session, NOW)
    centre = db.session.get(Centre, session.centre_id)
    hub.register_centre(ACTOR, centre.code, centre.name, keys.public_key_pem(centre.id))
    db.session.commit()
    return centre, json.loads(outbox.document)


def variant(
    centre, document, session_id: int, starts_at: datetime, created_at: datetime, drop=None
):
    """The same candidates (but ``drop``, an attendance) in another session, or the same
    session re-sent, signed anew."""
    doc = copy.deepcopy(document)
    for section in doc["sessions"]:
        section["candidates"] = [c for c in section["candidates"] if c["attendance"] != drop]
    doc["batch_id"] = str(uuid.uuid4())
    doc["created_at"] = created_at.isoformat().replace("+00:00", "Z")
    doc["scope"]["session_id"] = session_id
    section = doc["sessions"][0]
    length = datetime.fromisoformat(section["ends_at"]) - datetime.fromisoformat(
        section["starts_at"]
    )
    section["id"] = session_id
    section["starts_at"] = starts_at.isoformat().replace("+00:00", "Z")
    section["ends_at"] = (starts_at + length).isoformat().replace("+00:00", "Z")
    key, _ = keys.load_or_create(centre.id)
    signature = signing.sign(key, fmt.canonical_bytes(doc))
    envelope = fmt.envelope(doc, signature, signing.fingerprint(key.public_key()))
    return json.dumps(envelope).encode()


def ingest(raw: bytes) -> HubBatch:
    stored = hub.ingest(raw, "file", NOW).batch
    db.session.commit()
    return stored


def seqs(stored: HubBatch) -> list[int | None]:
    return db.session.scalars(
        select(HubSitting.seq).where(HubSitting.hub_batch_id == stored.id).order_by(HubSitting.id)
    ).all()


OCT = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)
NOV = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def retakes(centre_code: str | None) -> int:
    doc = reports.period_summary("hub", centre_code, date(2026, 11, 1), date(2026, 11, 30), TZ)
    return sum(row["retakes"] for row in doc["rows"])


@pytest.mark.parametrize("order", ["first sitting first", "retake first"])
def test_a_retake_is_numbered_whatever_the_arrival_order(base, order):
    centre, document = base
    first = variant(centre, document, 9001, OCT, OCT + timedelta(days=1))
    retake = variant(centre, document, 9002, NOV, NOV + timedelta(days=1))
    if order == "first sitting first":
        october, november = ingest(first), ingest(retake)
    else:
        november = ingest(retake)
        assert seqs(november) == [1, 1, 1]  # nothing earlier is known yet
        october = ingest(first)
    assert seqs(october) == [1, 1, 1]
    assert seqs(november) == [2, 2, 2]  # the absent candidate's enrolment counts too
    # The stored numbering (every centre) and the window (one centre) agree.
    assert retakes(None) == retakes(centre.code) == 3


def test_a_superseding_batch_keeps_the_numbering(base):
    centre, document = base
    october = ingest(variant(centre, document, 9001, OCT, OCT + timedelta(days=1)))
    november = ingest(variant(centre, document, 9002, NOV, NOV + timedelta(days=1)))
    # October re-sent (a re-score) without the absent candidate's enrolment: new sitting
    # ids, later than November's; that candidate's November sitting is now the first.
    resent = ingest(variant(centre, document, 9001, OCT, OCT + timedelta(days=30), "absent"))
    db.session.expire_all()
    assert not db.session.get(HubBatch, october.id).current
    assert seqs(october) == [None, None, None]
    assert seqs(resent) == [1, 1]
    assert sorted(seqs(november)) == [1, 2, 2]
    # An older build of November arriving late is not current and takes no place.
    stale = ingest(variant(centre, document, 9002, NOV, NOV + timedelta(hours=1)))
    assert not stale.current
    assert seqs(stale) == [None, None, None] and sorted(seqs(november)) == [1, 2, 2]
    assert retakes(None) == retakes(centre.code) == 2
    # The number-everything SQL (the migration's back-fill) gives the same.
    numbered = select(HubSitting.id, HubSitting.seq).order_by(HubSitting.id)
    before = db.session.execute(numbered).all()
    db.session.execute(HubSitting.__table__.update().values(seq=None))
    hub.number_all(db.session.connection())
    db.session.commit()
    assert db.session.execute(numbered).all() == before


def test_a_change_through_the_orm_numbers_again(base):
    centre, document = base
    october = ingest(variant(centre, document, 9001, OCT, OCT + timedelta(days=1)))
    november = ingest(variant(centre, document, 9002, NOV, NOV + timedelta(days=1)))
    db.session.get(HubBatch, october.id).current = False
    db.session.commit()
    assert seqs(october) == [None, None, None] and seqs(november) == [1, 1, 1]
    assert retakes(None) == retakes(centre.code) == 0


def test_sequence_orders_by_start_then_id_and_skips_superseded():
    day = datetime(2026, 11, 23, tzinfo=UTC)
    rows = [
        sequence.Row(5, "A", "Q1", day, True),
        sequence.Row(3, "A", "Q1", day, True),  # same start: the lower id first
        sequence.Row(4, "A", "Q1", day - timedelta(days=1), False),  # superseded
        sequence.Row(6, "A", "Q2", day, True),  # another item: its own count
        sequence.Row(7, "B", "Q1", day - timedelta(days=9), True),
    ]
    assert sequence.number(rows) == {3: 1, 5: 2, 4: None, 6: 1, 7: 1}
