"""POST /api/v1/stations/<code>/runs: signed runs, scored on the sheet; every refusal names
its problem and stores nothing; retries are idempotent; the centre's setting decides the mode."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from examcentre.extensions import db
from examcentre.models import AuditEntry, SimulatorRun
from examcentre.practical.simulator import sign
from examcentre.practical.stations import (
    issue_new_secret,
    retire_station,
    set_simulator_counts_as_exam,
    station_secret,
)

from ..factories import TEST_ACTOR
from .stationdata import Q2, encode, post, registered_station, run_payload, stored


@pytest.fixture
def setup(make):
    return registered_station(make)


# --- a run is stored and scored ---------------------------------------------------------------


def test_a_signed_run_is_scored_on_the_sheet_and_stored_as_practice_by_default(client, setup):
    body = encode(run_payload(setup))
    response = post(client, "SIM-01", setup.secret, body)
    assert response.status_code == 201, response.json
    run = response.json["run"]
    assert run["station"] == "SIM-01" and run["run_id"] == "r-0001"
    assert run["ticket"] == setup.ticket.number
    assert run["mode"] == "practice" and run["requested_mode"] == "exam"
    assert run["sheet"]["id"] == "Q2-PRACTICAL" and run["sheet"]["version"] == 1
    assert len(run["sheet"]["content_hash"]) == 64
    score = run["score"]
    # The simulator scores obstacle run (1 bump: -2), drop (inner: full) and handling (full);
    # part identification and emergency handling are left for the examiners.
    tasks = {t["task"]: t for t in score["tasks"]}
    assert set(tasks) == {"obstacle_run", "fixed_point_drop", "handling"}
    assert [d["code"] for d in tasks["obstacle_run"]["deductions"]] == ["counter.bump"]
    assert score["passed"] is None and score["missing"]
    stored_run = db.session.scalar(select(SimulatorRun))
    assert stored_run.mode == "practice" and stored_run.total == score["score"]
    assert stored_run.body.encode() == body  # exactly what was signed
    assert sign(setup.secret.encode(), str(int(stored_run.signed_at.timestamp())), body) == (
        stored_run.signature
    )
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert entry.action == "simulator_run.accept"
    assert (entry.actor_type, entry.actor_label) == ("station", "SIM-01")


def test_the_same_run_id_and_body_again_is_an_idempotent_retry(client, setup):
    payload = run_payload(setup)
    body = encode(payload)
    first = post(client, "SIM-01", setup.secret, body)
    assert first.status_code == 201
    before = stored()
    again = post(client, "SIM-01", setup.secret, body, timestamp=str(int(time.time()) + 1))
    assert again.status_code == 200
    assert again.json == first.json
    assert stored() == before
    # The same payload in another key order is the same run.
    reordered = json.dumps(dict(reversed(list(payload.items())))).encode()
    assert post(client, "SIM-01", setup.secret, reordered).status_code == 200
    assert stored() == before


def test_the_same_run_id_with_another_body_is_a_conflict(client, setup):
    assert post(client, "SIM-01", setup.secret, encode(run_payload(setup))).status_code == 201
    before = stored()
    changed = encode(run_payload(setup, metrics={"bumps": 0}))
    response = post(client, "SIM-01", setup.secret, changed)
    assert response.status_code == 409
    assert response.json["error"] == "run_id_conflict"
    assert response.json["errors"][0]["path"] == "$.run_id"
    assert stored() == before


def test_a_new_run_id_is_a_new_run(client, setup):
    assert post(client, "SIM-01", setup.secret, encode(run_payload(setup))).status_code == 201
    other = encode(run_payload(setup, run_id="r-0002"))
    assert post(client, "SIM-01", setup.secret, other).status_code == 201
    assert stored()[0] == 2


# --- the mode ---------------------------------------------------------------------------------


def test_the_centre_setting_makes_exam_runs_exam_results(client, setup):
    set_simulator_counts_as_exam(TEST_ACTOR, setup.ticket.centre, Q2, True)
    db.session.commit()
    exam = post(client, "SIM-01", setup.secret, encode(run_payload(setup)))
    assert exam.status_code == 201 and exam.json["run"]["mode"] == "exam"
    training = encode(run_payload(setup, run_id="r-0002", mode="training"))
    response = post(client, "SIM-01", setup.secret, training)
    assert response.json["run"]["mode"] == "practice"
    assert response.json["run"]["requested_mode"] == "training"
    # Turning the setting off does not change a stored result.
    set_simulator_counts_as_exam(TEST_ACTOR, setup.ticket.centre, Q2, False)
    db.session.commit()
    retry = post(client, "SIM-01", setup.secret, encode(run_payload(setup)))
    assert retry.status_code == 200 and retry.json["run"]["mode"] == "exam"
    later = post(client, "SIM-01", setup.secret, encode(run_payload(setup, run_id="r-0003")))
    assert later.json["run"]["mode"] == "practice"


def test_the_setting_is_per_centre(client, make, setup):
    other = registered_station(make, code="SIM-02")
    set_simulator_counts_as_exam(TEST_ACTOR, other.ticket.centre, Q2, True)
    db.session.commit()
    response = post(client, "SIM-01", setup.secret, encode(run_payload(setup)))
    assert response.json["run"]["mode"] == "practice"


# --- refusals: each names the problem and stores nothing -------------------------------------


def refused(response, status: int, code: str, paths: list[str] | None = None):
    assert response.status_code == status, response.get_json()
    data = response.json
    assert data["error"] == code, data
    assert data["message"]
    if paths is not None:
        assert [e["path"] for e in data["errors"]] == paths, data["errors"]
    return data


def test_unknown_and_retired_stations_are_refused(client, setup):
    body = encode(run_payload(setup))
    before = stored()
    refused(post(client, "NOPE", setup.secret, body), 401, "unknown_station")
    retire_station(TEST_ACTOR, setup.station, "sold")
    db.session.commit()
    before = stored()
    refused(post(client, "SIM-01", setup.secret, body), 401, "unknown_station")
    assert stored() == before


@pytest.mark.parametrize(
    ("how", "status", "code", "path"),
    [
        ("no_signature", 401, "missing_signature", "header.X-Station-Signature"),
        ("no_timestamp", 401, "missing_signature", "header.X-Station-Timestamp"),
        ("wrong_secret", 401, "signature_mismatch", "header.X-Station-Signature"),
        ("not_hex", 401, "bad_signature", "header.X-Station-Signature"),
        ("bad_timestamp", 401, "bad_timestamp", "header.X-Station-Timestamp"),
        ("too_old", 401, "timestamp_too_old", "header.X-Station-Timestamp"),
        ("in_future", 401, "timestamp_in_future", "header.X-Station-Timestamp"),
        ("body_changed", 401, "signature_mismatch", "header.X-Station-Signature"),
    ],
)
def test_bad_signatures_and_timestamps_are_refused(client, setup, how, status, code, path):
    body = encode(run_payload(setup))
    now = int(time.time())
    before = stored()
    if how == "no_signature":
        response = post(client, "SIM-01", None, body)
    elif how == "no_timestamp":
        response = client.post(
            "/api/v1/stations/SIM-01/runs",
            data=body,
            content_type="application/json",
            headers={"X-Station-Signature": "0" * 64},
        )
    elif how == "wrong_secret":
        response = post(client, "SIM-01", "not-the-secret", body)
    elif how == "not_hex":
        response = post(client, "SIM-01", None, body, signature="xyz")
    elif how == "bad_timestamp":
        response = post(client, "SIM-01", setup.secret, body, timestamp="soon")
    elif how == "too_old":
        response = post(client, "SIM-01", setup.secret, body, timestamp=str(now - 301))
    elif how == "in_future":
        response = post(client, "SIM-01", setup.secret, body, timestamp=str(now + 360))
    else:
        signature = sign(setup.secret.encode(), str(now), body)
        tampered = encode(run_payload(setup, metrics={"bumps": 0}))
        response = post(client, "SIM-01", None, tampered, timestamp=str(now), signature=signature)
    refused(response, status, code, [path])
    assert stored() == before


def test_a_timestamp_just_inside_five_minutes_is_accepted(client, setup):
    old = str(int(time.time()) - 290)
    assert (
        post(client, "SIM-01", setup.secret, encode(run_payload(setup)), timestamp=old).status_code
        == 201
    )


def test_a_replayed_request_after_five_minutes_is_refused(client, setup):
    """A captured request cannot be sent again later: its timestamp is signed."""
    body = encode(run_payload(setup))
    first = str(int(time.time()) - 200)
    signature = sign(setup.secret.encode(), first, body)
    assert (
        post(client, "SIM-01", None, body, timestamp=first, signature=signature).status_code == 201
    )
    stale = str(int(time.time()) - 400)
    stale_signature = sign(setup.secret.encode(), stale, body)
    refused(
        post(client, "SIM-01", None, body, timestamp=stale, signature=stale_signature),
        401,
        "timestamp_too_old",
    )


def test_a_cookie_session_is_not_a_credential(client, login_as, setup):
    login_as("centre_admin", centre=setup.ticket.centre)
    before = stored()
    response = client.post(
        "/api/v1/stations/SIM-01/runs",
        data=encode(run_payload(setup)),
        content_type="application/json",
    )
    refused(response, 401, "missing_signature")
    assert stored() == before


def test_a_changed_server_key_asks_for_a_new_secret(app, client, setup):
    app.config["SECRET_KEY"] = "another-key"
    before = stored()
    refused(
        post(client, "SIM-01", setup.secret, encode(run_payload(setup))),
        401,
        "secret_reissue_needed",
    )
    assert stored() == before
    new = issue_new_secret(TEST_ACTOR, setup.station, "server key changed")
    db.session.commit()
    assert post(client, "SIM-01", new, encode(run_payload(setup))).status_code == 201


def test_a_new_secret_replaces_the_old_one_at_once(client, setup):
    new = issue_new_secret(TEST_ACTOR, setup.station, "lost")
    db.session.commit()
    assert new != setup.secret
    refused(
        post(client, "SIM-01", setup.secret, encode(run_payload(setup))), 401, "signature_mismatch"
    )
    assert post(client, "SIM-01", new, encode(run_payload(setup))).status_code == 201


@pytest.mark.parametrize(
    ("changes", "paths"),
    [
        ({"metrics": {"bumps": -1}, "colour": "red"}, ["$.colour", "$.metrics.bumps"]),
        (
            {"metrics": {"drop_zone": "moon", "alarms": ["no_bell", "sneeze"]}},
            ["$.metrics.drop_zone", "$.metrics.alarms[1]"],
        ),
        ({"log_sha256": "abc", "mode": "maybe"}, ["$.mode", "$.log_sha256"]),
        ({"station": "SIM-99"}, ["$.station"]),
        ({"finished_at": "yesterday"}, ["$.finished_at"]),
    ],
)
def test_malformed_payloads_are_refused_with_every_path(client, setup, changes, paths):
    before = stored()
    data = refused(
        post(client, "SIM-01", setup.secret, encode(run_payload(setup, **changes))),
        422,
        "invalid_payload",
    )
    assert sorted(e["path"] for e in data["errors"]) == sorted(paths)
    assert stored() == before


def test_a_body_that_is_not_json_is_refused(client, setup):
    before = stored()
    refused(post(client, "SIM-01", setup.secret, b"{not json"), 422, "invalid_payload", ["$"])
    refused(
        post(client, "SIM-01", setup.secret, b"{}", content_type="text/plain"),
        415,
        "unsupported_media_type",
    )
    refused(post(client, "SIM-01", setup.secret, b" " * (65 * 1024)), 413, "payload_too_large")
    assert stored() == before


@pytest.mark.parametrize(
    ("scenario", "path"),
    [
        ({"id": "Q2-SIM-NOPE", "version": 1}, "$.scenario.id"),
        ({"id": "Q2-SIM-COURSE", "version": 9}, "$.scenario.version"),
    ],
)
def test_unknown_scenarios_are_refused(client, setup, scenario, path):
    before = stored()
    refused(
        post(client, "SIM-01", setup.secret, encode(run_payload(setup, scenario=scenario))),
        422,
        "unknown_scenario",
        [path],
    )
    assert stored() == before


def test_a_scenario_of_another_item_is_refused(client, make):
    ticket = make.ticket()
    setup = registered_station(make, code="SIM-Q1", item="Q1", ticket=ticket)
    before = stored()
    refused(
        post(client, "SIM-Q1", setup.secret, encode(run_payload(setup))),
        422,
        "scenario_not_for_station",
        ["$.scenario.id"],
    )
    assert stored() == before


def test_out_of_calibration_stations_are_refused(client, make):
    setup = registered_station(make, calibration_age=181)  # the scenario allows 180 days
    before = stored()
    refused(
        post(client, "SIM-01", setup.secret, encode(run_payload(setup))),
        409,
        "out_of_calibration",
        ["$.calibrated_on"],
    )
    assert stored() == before


def test_a_station_without_a_recorded_calibration_is_refused(client, setup):
    payload = run_payload(setup)
    setup.station.calibrated_on = None
    db.session.commit()
    before = stored()
    refused(
        post(client, "SIM-01", setup.secret, encode(payload)),
        409,
        "out_of_calibration",
        ["$.calibrated_on"],
    )
    assert stored() == before


def test_a_calibration_date_other_than_the_recorded_one_is_refused(client, setup):
    other_day = (setup.station.calibrated_on - timedelta(days=3)).isoformat()
    before = stored()
    data = refused(
        post(client, "SIM-01", setup.secret, encode(run_payload(setup, calibrated_on=other_day))),
        409,
        "calibration_mismatch",
        ["$.calibrated_on"],
    )
    assert other_day in data["message"]
    assert stored() == before


def test_unknown_foreign_and_unenrolled_tickets_are_refused(client, make, setup):
    foreign = make.ticket()
    q1 = make.ticket(centre=setup.ticket.centre, item="Q1")
    before = stored()
    unknown = encode(run_payload(setup, ticket="NO-SUCH-TICKET"))
    refused(post(client, "SIM-01", setup.secret, unknown), 422, "unknown_ticket", ["$.ticket"])
    # Another centre's ticket: "unknown" too, so that its existence is not confirmed.
    other = encode(run_payload(setup, ticket=foreign.number))
    refused(post(client, "SIM-01", setup.secret, other), 422, "unknown_ticket", ["$.ticket"])
    # A Q1 candidate of the same centre is not enrolled for the Q2 scenario.
    wrong_item = encode(run_payload(setup, ticket=q1.number))
    refused(
        post(client, "SIM-01", setup.secret, wrong_item), 422, "ticket_not_enrolled", ["$.ticket"]
    )
    assert stored() == before
    setup.ticket.revoked_at = datetime.now(UTC)
    db.session.commit()
    revoked = encode(run_payload(setup))
    refused(post(client, "SIM-01", setup.secret, revoked), 422, "ticket_not_enrolled", ["$.ticket"])
    assert stored() == before


def test_messages_follow_accept_language(client, setup):
    zh = post(client, "NOPE", setup.secret, b"{}", headers={"Accept-Language": "zh-CN"})
    en = post(client, "NOPE", setup.secret, b"{}", headers={"Accept-Language": "en"})
    assert zh.json["error"] == en.json["error"] == "unknown_station"
    assert en.json["message"] == "There is no active station with this code."
    assert zh.json["message"] != en.json["message"]


# --- the secret ---------------------------------------------------------------------------------


def test_the_database_never_holds_the_secret(client, setup):
    """Derived from SECRET_KEY and the salt when needed; no column holds it, in any form."""
    assert post(client, "SIM-01", setup.secret, encode(run_payload(setup))).status_code == 201
    new = issue_new_secret(TEST_ACTOR, setup.station, "rotation")
    db.session.commit()
    everything = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
            everything.append(" ".join(str(value) for value in row))
    dump = "\n".join(everything)
    for secret in (setup.secret, new):
        assert secret not in dump
        assert secret.encode().hex() not in dump
    assert setup.station.secret_salt in dump  # what is stored instead
    # ...and the server can still check signatures: it derives the same secret.
    assert station_secret(setup.station) == new
