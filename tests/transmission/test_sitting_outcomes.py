"""The outcome flags on hub_sittings (theory / practical decided and passed), which the
overall pass rate reads: the rule (``transmission.outcome``), set by ingest from the batch in
hand, the same as the SQL back-fill (``hub.MARK_OUTCOMES_SQL``, migration 0013), and the hub's
overall figures equal to the centre's own for the same sittings."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from examcentre.extensions import db
from examcentre.models import ExamSession, HubSitting, HubSubjectResult
from examcentre.reports import operations as reports
from examcentre.transmission import batch as fmt
from examcentre.transmission import hub, keys, signing
from examcentre.transmission import operations as ops
from examcentre.transmission.outcome import Outcome, sitting_outcome

from .conftest import ACTOR
from .test_sitting_seq import NOW, TZ, base, ingest, variant  # noqa: F401 (base: a fixture)

SUBJECTS = ("theory", "practical", "simulator")
FLAGS = (
    HubSitting.theory_decided,
    HubSitting.theory_passed,
    HubSitting.practical_decided,
    HubSitting.practical_passed,
)


class R:
    def __init__(self, subject, passed):
        self.subject, self.passed = subject, passed


# --- The rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "results, expected",
    [
        ([], (False, False, False, False)),
        ([R("theory", True)], (True, True, False, False)),
        ([R("theory", False)], (True, False, False, False)),
        ([R("practical", True)], (False, False, True, True)),
        ([R("practical", False)], (False, False, True, False)),
        ([R("practical", None)], (False, False, False, False)),  # the examiners not done
        ([R("simulator", True)], (False, False, True, True)),
        ([R("simulator", None)], (False, False, False, False)),  # tasks still to score
        # The examiners' result signed from the run stands, whatever the run said.
        ([R("simulator", True), R("practical", False)], (False, False, True, False)),
        ([R("simulator", False), R("practical", True)], (False, False, True, True)),
        ([R("simulator", True), R("practical", None)], (False, False, False, False)),
        ([R("theory", False), R("simulator", True)], (True, False, True, True)),
        # A retake within one sitting does not happen, but "at least one" is the rule.
        ([R("theory", False), R("theory", True)], (True, True, False, False)),
    ],
)
def test_sitting_outcome(results, expected):
    assert sitting_outcome(results) == Outcome(*expected)


# --- Ingest, and the SQL back-fill -------------------------------------------------------------


def theory_result(document) -> dict:
    return next(
        r
        for c in document["sessions"][0]["candidates"]
        for r in c["results"]
        if r["subject"] == "theory"
    )


def simulator(passed) -> dict:
    return {
        "subject": "simulator",
        "station": "SIM-01",
        "run_id": "r-1",
        "scenario": "obstacle_run@1",
        "total": 88.0,
        "passed": passed,
        "log_sha256": "a" * 64,
        "body_sha256": "b" * 64,
    }


def practical(passed) -> dict:
    return {"subject": "practical", "score": 70.0, "passed": passed, "sheet_sha256": "c" * 64}


def signed(centre, document) -> bytes:
    key, _ = keys.load_or_create(centre.id)
    signature = signing.sign(key, fmt.canonical_bytes(document))
    envelope = fmt.envelope(document, signature, signing.fingerprint(key.public_key()))
    return json.dumps(envelope).encode()


def flags_by_ticket(stored) -> dict[str, tuple]:
    return {
        row.ticket: tuple(row[1:])
        for row in db.session.execute(
            select(HubSitting.ticket, *FLAGS).where(HubSitting.hub_batch_id == stored.id)
        )
    }


def test_ingest_sets_the_flags_and_the_sql_gives_the_same(base):  # noqa: F811
    centre, document = base
    doc = copy.deepcopy(document)
    candidates = doc["sessions"][0]["candidates"]
    absent = next(c for c in candidates if c["attendance"] == "absent")
    first, second = [c for c in candidates if c["attendance"] != "absent"]
    theory = theory_result(document)
    # First: theory passed; the run said pass, the examiners' signed result says fail.
    first["results"] = [{**theory, "passed": True}, simulator(True), practical(False)]
    # Second: theory failed; a simulator run that passed, no practical result.
    second["results"] = [{**theory, "passed": False}, simulator(True)]
    stored = ingest(signed(centre, doc))
    flags = flags_by_ticket(stored)
    assert flags == {
        first["ticket"]: (True, True, True, False),
        second["ticket"]: (True, False, True, True),
        absent["ticket"]: (False, False, False, False),
    }
    # Another batch (the plain document, in November), flags from its own theory results.
    other = ingest(
        variant(
            centre,
            document,
            9002,
            datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
            datetime(2026, 11, 24, tzinfo=UTC),
        )
    )
    other_flags = flags_by_ticket(other)
    assert sum(f[0] for f in other_flags.values()) == 2  # two sat, both decided
    # Cleared, then the SQL of one batch: that batch's flags back, the other's untouched.
    db.session.execute(HubSitting.__table__.update().values(dict.fromkeys(
        ("theory_decided", "theory_passed", "practical_decided", "practical_passed"), False
    )))  # fmt: skip
    hub.mark_outcomes(db.session.connection(), stored.id)
    db.session.commit()
    assert flags_by_ticket(stored) == flags
    assert not any(any(f) for f in flags_by_ticket(other).values())
    # Every batch (the migration's back-fill).
    hub.mark_outcomes(db.session.connection())
    db.session.commit()
    assert flags_by_ticket(stored) == flags and flags_by_ticket(other) == other_flags


def test_the_sql_and_the_python_rule_agree_on_every_combination(base):  # noqa: F811
    """Every combination of a theory, a practical and a simulator result (absent, undecided,
    passed, failed) on sittings of one stored batch: SQL flags == ``sitting_outcome``."""
    centre, document = base
    stored = ingest(signed(centre, document))
    template = db.session.scalars(
        select(HubSitting).where(HubSitting.hub_batch_id == stored.id)
    ).first()
    values = ("none", None, True, False)  # "none": no result of that subject
    expected, by_combination = {}, {}
    for n, combination in enumerate(itertools.product(values, repeat=3)):
        sitting = HubSitting(
            hub_batch_id=stored.id,
            centre_code=template.centre_code,
            session_ref=template.session_ref,
            item=template.item,
            starts_at=template.starts_at,
            ticket=f"X{n}",
            id_number=f"{n:018d}",
            name="考生",
            attendance="checked_in",
        )
        db.session.add(sitting)
        db.session.flush()
        rows = [
            HubSubjectResult(
                hub_batch_id=stored.id,
                sitting_id=sitting.id,
                centre_code=sitting.centre_code,
                item=sitting.item,
                starts_at=sitting.starts_at,
                subject=subject,
                score=50.0,
                passed=passed,
                details={},
            )
            for subject, passed in zip(SUBJECTS, combination, strict=True)
            if passed != "none"
        ]
        db.session.add_all(rows)
        expected[sitting.ticket] = by_combination[combination] = tuple(sitting_outcome(rows))
    db.session.flush()
    hub.mark_outcomes(db.session.connection(), stored.id)
    db.session.commit()
    db.session.expire_all()
    got = {t: f for t, f in flags_by_ticket(stored).items() if t in expected}
    assert got == expected
    # The case that matters, by hand: a simulator pass under a signed practical fail.
    assert by_combination[("none", False, True)] == (False, False, True, False)
    assert by_combination[(True, None, True)] == (True, True, False, False)
    # Every flag combination that can occur does (3 theory states x 3 practical states).
    assert len(set(expected.values())) == 9


# --- Hub and centre agree ----------------------------------------------------------------------


def test_the_hub_overall_figures_equal_the_centres_own(app, make):
    """The practical report fixture (theory A 100, B 80, C 50; practical A 98, B 50, C 100,
    D 90) reported to the hub through signed batches: overall 3 decided, 1 passed on both
    sides."""
    from ..reports.practicalfixture import PERIOD, build

    centre, practical_session, _users, _tickets, _sheets = build(make)
    (theory_session,) = db.session.scalars(
        select(ExamSession).where(
            ExamSession.centre_id == centre.id, ExamSession.id != practical_session.id
        )
    ).all()
    practical_session.state = "closed"
    db.session.commit()
    outboxes = [
        ops.build_session_batch(ACTOR, s, NOW)[0] for s in (theory_session, practical_session)
    ]
    # The centre's key (made with its first batch) registered at the hub, which is this app.
    hub.register_centre(ACTOR, centre.code, centre.name, keys.public_key_pem(centre.id))
    db.session.commit()
    for outbox in outboxes:
        ingest(ops.signed_envelope(outbox))
    local = reports.period_summary("local", centre.id, *PERIOD, TZ)
    on_hub = reports.period_summary("hub", centre.code, *PERIOD, TZ)
    assert local["rows"][0]["overall"] == {"decided": 3, "passed": 1, "pass_rate": 33.3}
    assert on_hub["rows"][0]["overall"] == local["rows"][0]["overall"]
    # Per candidate on the hub: A passed both, B failed the practical, C the theory; D has
    # a practical result only.
    flags = {
        (row.id_number, row.session_ref): tuple(row[2:])
        for row in db.session.execute(select(HubSitting.id_number, HubSitting.session_ref, *FLAGS))
    }
    assert sorted(flags.values()) == sorted(
        [(True, True, False, False), (True, True, False, False), (True, False, False, False)]
        + [(False, False, True, True)] * 3
        + [(False, False, True, False)]
    )
