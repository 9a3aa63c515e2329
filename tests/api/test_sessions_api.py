"""/api/v1 sessions, enrolment and check-in: happy paths, roles, scoping, errors, CSRF."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from examcentre.compliance.model import ComplianceSettings
from examcentre.compliance.operations import save_record_document, update_settings
from examcentre.extensions import db
from examcentre.models import AdmissionTicket, AuditEntry, ExamSession
from examcentre.sessions.tickets_pdf import mask_id_number
from tests.conftest import make_app
from tests.factories import TEST_ACTOR, Factory, valid_id_number
from tests.test_compliance_cli import COMPLIANT

API = "/api/v1"


def gate_off(centre) -> None:
    update_settings(TEST_ACTOR, centre, ComplianceSettings(), False, "test")
    db.session.commit()


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(ExamSession)),
        db.session.scalar(select(func.count()).select_from(AdmissionTicket)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


def new_session_body(make, centre, seats: int = 2) -> dict:
    terminals = [make.terminal(centre) for _ in range(seats)]
    invigilator = make.user("invigilator", centre=centre)
    return {
        "item": "Q2(限桥式起重机)",
        "room": "301",
        "starts_at": "2026-12-01T09:00:00+08:00",
        "ends_at": "2026-12-01T11:00:00+08:00",
        "capacity": seats,
        "terminals": [t.code for t in terminals],
        "invigilators": [invigilator.username],
    }


@pytest.fixture
def centre(make):
    return make.centre()


@pytest.fixture
def admin(login_as, centre):
    return login_as("centre_admin", centre=centre)


# --- Happy paths ---------------------------------------------------------------------------


def test_create_read_update_and_list_a_session(client, make, centre, admin):
    body = new_session_body(make, centre)
    response = client.post(f"{API}/sessions", json=body)
    assert response.status_code == 201, response.json
    created = response.json
    assert response.headers["Location"].endswith(f"/api/v1/sessions/{created['id']}")
    assert created["state"] == "scheduled"
    assert created["starts_at"] == "2026-12-01T01:00:00Z"  # UTC
    assert created["terminals"] == sorted(body["terminals"])
    assert created["enrolled"] == 0

    assert client.get(f"{API}/sessions/{created['id']}").json == created

    response = client.patch(f"{API}/sessions/{created['id']}", json={"room": "302", "capacity": 1})
    assert response.status_code == 200, response.json
    assert response.json["room"] == "302" and response.json["capacity"] == 1
    assert response.json["item"] == body["item"]  # untouched keys keep their values

    make.session(centre)  # 2026-11-23
    listed = client.get(f"{API}/sessions").json["sessions"]
    assert [s["starts_at"] for s in listed] == ["2026-11-23T01:00:00Z", "2026-12-01T01:00:00Z"]
    only = client.get(f"{API}/sessions?from=2026-11-30&to=2026-12-01").json["sessions"]
    assert [s["id"] for s in only] == [created["id"]]
    assert client.get(f"{API}/sessions?to=2026-11-30").json["sessions"][0]["id"] != created["id"]
    assert client.get(f"{API}/sessions?state=released").json["sessions"] == []


def test_enrol_release_check_in_seat_and_close(client, make, centre, admin):
    gate_off(centre)
    make.published_blueprint(centre)
    session = make.session(centre, seats=2)
    id_number = valid_id_number(sequence=123)
    response = client.post(
        f"{API}/sessions/{session.id}/enrolments",
        json={
            "id_number": id_number.lower(),
            "name": "张三",
            "employer": "某公司",
            "application_no": "A-1",
        },
    )
    assert response.status_code == 201, response.json
    ticket = response.json
    assert ticket["candidate"]["id_number_masked"] == mask_id_number(id_number)
    assert ticket["terminal"] is not None and ticket["attendance"] == "enrolled"
    number = ticket["ticket_number"]

    roster = client.get(f"{API}/sessions/{session.id}/enrolments").json["enrolments"]
    assert [e["ticket_number"] for e in roster] == [number]

    response = client.post(f"{API}/sessions/{session.id}/transitions", json={"target": "released"})
    assert response.status_code == 200, response.json
    assert response.json["state"] == "released" and response.json["released_at"]

    other_seat = next(t.code for t in session.terminals if t.code != ticket["terminal"])
    response = client.put(
        f"{API}/sessions/{session.id}/enrolments/{number}/seat",
        json={"terminal": other_seat, "reason": "screen broken"},
    )
    assert response.status_code == 200, response.json
    assert response.json["terminal"] == other_seat

    response = client.post(
        f"{API}/sessions/{session.id}/enrolments/{number}/attendance",
        json={"attendance": "checked_in"},
    )
    assert response.status_code == 200, response.json
    assert response.json["attendance"] == "checked_in" and response.json["attendance_by"]

    for target in ("in_progress", "closed"):
        response = client.post(f"{API}/sessions/{session.id}/transitions", json={"target": target})
        assert response.status_code == 200, response.json
    assert response.json["state"] == "closed"


def test_cancelling_needs_a_reason_and_is_then_final(client, make, centre, admin):
    session = make.session(centre)
    url = f"{API}/sessions/{session.id}/transitions"
    response = client.post(url, json={"target": "cancelled"})
    assert response.status_code == 422
    assert response.json["errors"][0]["path"] == "$.reason"
    response = client.post(url, json={"target": "cancelled", "reason": "typhoon"})
    assert response.status_code == 200 and response.json["cancelled_reason"] == "typhoon"
    response = client.post(url, json={"target": "released"})
    assert response.status_code == 409
    assert response.json["error"] == "forbidden_transition"


# --- Refusals by state and by rule --------------------------------------------------------


def test_a_refused_release_returns_409_with_the_blocking_findings(client, make, centre, admin):
    document = json.loads(COMPLIANT.read_text())
    document["centre"]["code"] = centre.code
    document["centre"]["name"] = centre.name
    document["examiners"] = []  # R-EXAM and friends fail: the gate must refuse
    save_record_document(TEST_ACTOR, centre, document, "test")
    db.session.commit()
    session = make.session(centre)
    ticket = make.ticket(centre, session=session)
    session.state = "scheduled"  # the factory releases directly; go back to test the gate
    db.session.commit()
    before = counts()
    response = client.post(f"{API}/sessions/{session.id}/transitions", json={"target": "released"})
    assert response.status_code == 409
    assert response.json["error"] == "compliance_gate"
    findings = response.json["findings"]
    assert findings and all(f["status"] == "fail" for f in findings)
    assert {"rule", "clause", "message", "message_en"} <= set(findings[0])
    assert counts() == before
    db.session.refresh(session)
    assert session.state == "scheduled" and ticket.session_id == session.id


def test_a_centre_without_records_cannot_release(client, make, centre, admin):
    session = make.session(centre)
    make.ticket(centre, session=session)
    session.state = "scheduled"
    db.session.commit()
    response = client.post(f"{API}/sessions/{session.id}/transitions", json={"target": "released"})
    assert response.status_code == 409
    assert response.json["error"] == "compliance_gate"
    assert response.json["errors"]
    # Either the problems found in the records, or none when the gate could not read them.
    assert all("message" in f for f in response.json["findings"])
    db.session.refresh(session)
    assert session.state == "scheduled"


def test_forbidden_transition_is_409(client, make, centre, admin):
    session = make.session(centre)
    response = client.post(f"{API}/sessions/{session.id}/transitions", json={"target": "closed"})
    assert response.status_code == 409
    assert response.json["error"] == "forbidden_transition"
    assert response.json["errors"][0]["path"] == "$.target"


def test_a_released_session_is_frozen(client, make, centre, admin):
    ticket = make.ticket(centre)
    response = client.patch(f"{API}/sessions/{ticket.session_id}", json={"room": "9"})
    assert response.status_code == 409 and response.json["error"] == "invalid_state"
    response = client.post(
        f"{API}/sessions/{ticket.session_id}/enrolments",
        json={"id_number": valid_id_number(sequence=7), "name": "李四"},
    )
    assert response.status_code == 409


def test_an_ineligible_candidate_is_422_with_the_reasons(client, make, centre, admin):
    session = make.session(centre)  # 2026-11-23
    before = counts()
    response = client.post(
        f"{API}/sessions/{session.id}/enrolments",
        json={"id_number": valid_id_number(birth="20081124"), "name": "少年"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.json["error"] == "not_eligible"
    assert [r["code"] for r in response.json["reasons"]] == ["under_age"]
    assert "under 18" in response.json["reasons"][0]["message"]
    assert response.json["errors"][0]["path"] == "$.id_number"
    assert counts() == before


def test_a_bad_id_number_is_explained_in_the_chosen_language(client, make, centre, admin):
    session = make.session(centre)
    bad = valid_id_number()[:-1] + ("0" if valid_id_number()[-1] != "0" else "1")
    url = f"{API}/sessions/{session.id}/enrolments"
    english = client.post(
        url, json={"id_number": bad, "name": "x"}, headers={"Accept-Language": "en"}
    ).json
    chinese = client.post(
        url, json={"id_number": bad, "name": "x"}, headers={"Accept-Language": "zh-CN"}
    ).json
    assert english["errors"][0]["path"] == "$.id_number"
    assert "check digit" in english["errors"][0]["message"]
    assert english["errors"][0]["message"] != chinese["errors"][0]["message"]


# --- Invalid bodies ------------------------------------------------------------------------


def test_an_invalid_body_names_every_json_path_and_writes_nothing(client, make, centre, admin):
    body = new_session_body(make, centre)
    body.update(
        starts_at="2026-12-01T09:00:00",  # no offset
        capacity="2",
        terminals=[body["terminals"][0], "NOPE"],
        colour="red",
    )
    before = counts()
    response = client.post(f"{API}/sessions", json=body, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.json["error"] == "invalid_input"
    paths = sorted(e["path"] for e in response.json["errors"])
    assert paths == ["$.capacity", "$.colour", "$.starts_at", "$.terminals[1]"]
    assert counts() == before


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"ends_at": "2026-12-01T08:00:00+08:00"}, "$.ends_at"),
        ({"capacity": 3}, "$.capacity"),
        ({"capacity": 0}, "$.capacity"),
        ({"invigilators": []}, "$.invigilators"),
        ({"item": "Q9"}, "$.item"),
        ({"room": "  "}, "$.room"),
    ],
)
def test_each_bad_field_is_reported_at_its_path(client, make, centre, admin, change, path):
    body = new_session_body(make, centre) | change
    before = counts()
    response = client.post(f"{API}/sessions", json=body)
    assert response.status_code == 422
    assert [e["path"] for e in response.json["errors"]] == [path]
    assert counts() == before


def test_another_centres_terminal_or_invigilator_is_refused(client, make, centre, admin):
    elsewhere = make.centre()
    body = new_session_body(make, centre)
    body["terminals"][1] = make.terminal(elsewhere).code + "X"
    body["invigilators"] = [make.user("invigilator", centre=elsewhere).username]
    response = client.post(f"{API}/sessions", json=body)
    paths = {e["path"] for e in response.json["errors"]}
    assert paths == {"$.terminals[1]", "$.invigilators[0]"}


def test_bodies_must_be_json_objects(client, make, centre, admin):
    response = client.post(f"{API}/sessions", data="item=Q1")
    assert response.status_code == 415 and response.json["error"] == "unsupported_media_type"
    response = client.post(f"{API}/sessions", data="[1]", content_type="application/json")
    assert response.status_code == 422 and response.json["errors"][0]["path"] == "$"
    response = client.post(f"{API}/sessions", data="{", content_type="application/json")
    assert response.status_code == 400 and response.json["error"] == "invalid_json"


def test_bad_query_parameters_are_named(client, admin):
    response = client.get(f"{API}/sessions?state=open&from=yesterday")
    assert response.status_code == 422
    assert {e["path"] for e in response.json["errors"]} == {"query.state", "query.from"}


# --- Who may do what ------------------------------------------------------------------------


def test_anonymous_gets_401_json_not_a_redirect(client, make):
    session = make.session()
    for method, url in [
        ("get", f"{API}/sessions"),
        ("post", f"{API}/sessions"),
        ("get", f"{API}/sessions/{session.id}"),
        ("get", f"{API}/csrf-token"),
        ("post", f"{API}/sessions/{session.id}/transitions"),
    ]:
        response = getattr(client, method)(url, json={})
        assert response.status_code == 401, url
        assert response.json["error"] == "unauthenticated"
        assert set(response.json) >= {"error", "message", "errors"}


@pytest.mark.parametrize("role", ["candidate", "examiner"])
def test_candidates_and_examiners_get_403(client, make, login_as, role):
    centre = make.centre()
    session = make.session(centre)
    login_as(role, centre=centre)
    for response in (
        client.get(f"{API}/sessions"),
        client.get(f"{API}/sessions/{session.id}"),
        client.post(f"{API}/sessions", json={}),
    ):
        assert response.status_code == 403
        assert response.json["error"] == "forbidden"


def test_authority_reads_every_centre_but_writes_nothing(client, make, login_as):
    a, b = make.session(make.centre()), make.session(make.centre())
    ticket = make.ticket(session=make.session(make.centre()))
    login_as("authority")
    ids = {s["id"] for s in client.get(f"{API}/sessions").json["sessions"]}
    assert {a.id, b.id} <= ids
    assert client.get(f"{API}/sessions/{b.id}").status_code == 200
    assert client.get(f"{API}/sessions/{ticket.session_id}/enrolments").status_code == 200
    before = counts()
    for response in (
        client.post(f"{API}/sessions", json={}),
        client.patch(f"{API}/sessions/{a.id}", json={"room": "x"}),
        client.post(
            f"{API}/sessions/{a.id}/transitions", json={"target": "cancelled", "reason": "x"}
        ),
        client.post(
            f"{API}/sessions/{a.id}/enrolments", json={"id_number": valid_id_number(), "name": "x"}
        ),
        client.post(
            f"{API}/sessions/{ticket.session_id}/enrolments/{ticket.number}/attendance",
            json={"attendance": "absent"},
        ),
        client.put(
            f"{API}/sessions/{ticket.session_id}/enrolments/{ticket.number}/seat",
            json={"terminal": "x", "reason": "x"},
        ),
    ):
        assert response.status_code == 403
        assert response.json["error"] == "forbidden"
    assert counts() == before


def test_centre_admin_gets_404_for_another_centres_session(client, make, centre, admin):
    other = make.ticket(make.centre())
    before = counts()
    for response in (
        client.get(f"{API}/sessions/{other.session_id}"),
        client.get(f"{API}/sessions/{other.session_id}/enrolments"),
        client.patch(f"{API}/sessions/{other.session_id}", json={"room": "x"}),
        client.post(f"{API}/sessions/{other.session_id}/transitions", json={"target": "closed"}),
        client.post(
            f"{API}/sessions/{other.session_id}/enrolments/{other.number}/attendance",
            json={"attendance": "absent"},
        ),
        client.get(f"{API}/sessions/999999"),
    ):
        assert response.status_code == 404
        assert response.json["error"] == "not_found"
    assert client.get(f"{API}/sessions").json["sessions"] == []
    assert counts() == before


def test_invigilator_reads_and_checks_in_only_their_own_sessions(client, make, login_as):
    centre = make.centre()
    mine = make.session(centre)
    ticket = make.ticket(centre, session=mine, checked_in=False)
    not_mine = make.session(centre)
    invigilator = mine.invigilators[0]
    client.post(
        "/auth/login", data={"username": invigilator.username, "password": Factory.PASSWORD}
    )
    assert [s["id"] for s in client.get(f"{API}/sessions").json["sessions"]] == [mine.id]
    assert client.get(f"{API}/sessions/{not_mine.id}").status_code == 404
    roster = client.get(f"{API}/sessions/{mine.id}/enrolments").json["enrolments"]
    assert [e["ticket_number"] for e in roster] == [ticket.number]
    # Read, check in and move candidates in the room; nothing else.
    assert client.patch(f"{API}/sessions/{mine.id}", json={"room": "x"}).status_code == 403
    assert client.post(f"{API}/sessions", json={}).status_code == 403
    free = next(t.code for t in mine.terminals if t.id != ticket.terminal_id)
    response = client.put(
        f"{API}/sessions/{mine.id}/enrolments/{ticket.number}/seat",
        json={"terminal": free, "reason": "screen broken"},
    )
    assert response.status_code == 200 and response.json["terminal"] == free
    response = client.post(
        f"{API}/sessions/{mine.id}/enrolments/{ticket.number}/attendance",
        json={"attendance": "absent", "reason": "did not come"},
    )
    assert response.status_code == 200 and response.json["attendance"] == "absent"
    # Absence is final: neither a check-in nor a seat can undo it, through the API either.
    response = client.post(
        f"{API}/sessions/{mine.id}/enrolments/{ticket.number}/attendance",
        json={"attendance": "checked_in"},
    )
    assert response.status_code in (409, 422) and response.json["errors"][0]["path"]
    back = next(t.code for t in mine.terminals if t.code != free)
    response = client.put(
        f"{API}/sessions/{mine.id}/enrolments/{ticket.number}/seat",
        json={"terminal": back, "reason": "x"},
    )
    assert response.status_code in (409, 422)
    assert client.get(f"{API}/sessions/{mine.id}/enrolments").json["enrolments"][0][
        "attendance"] == "absent"


def test_check_in_is_refused_before_release(client, make, centre, admin):
    session = make.session(centre)
    ticket = make.ticket(centre, session=session, checked_in=False)
    session.state = "scheduled"
    db.session.commit()
    response = client.post(
        f"{API}/sessions/{session.id}/enrolments/{ticket.number}/attendance",
        json={"attendance": "checked_in"},
    )
    assert response.status_code == 409 and response.json["error"] == "invalid_state"
    response = client.post(
        f"{API}/sessions/{session.id}/enrolments/999/attendance", json={"attendance": "checked_in"}
    )
    assert response.status_code == 404


# --- Masking -------------------------------------------------------------------------------


def test_no_response_contains_a_full_id_number(client, make, centre, admin):
    gate_off(centre)
    session = make.session(centre, seats=2)
    ticket = make.ticket(centre, session=session, checked_in=False)
    session.state = "scheduled"
    db.session.commit()
    full = [ticket.candidate.id_number, valid_id_number(sequence=321)]
    url = f"{API}/sessions/{session.id}"
    bodies = [
        client.post(f"{url}/enrolments", json={"id_number": full[1], "name": "王五"}).get_data(
            as_text=True
        ),
        client.post(f"{url}/enrolments", json={"id_number": full[1], "name": "王五"}).get_data(
            as_text=True
        ),  # already enrolled
        client.get(f"{url}/enrolments").get_data(as_text=True),
        client.post(f"{url}/transitions", json={"target": "released"}).get_data(as_text=True),
        client.post(
            f"{url}/enrolments/{ticket.number}/attendance", json={"attendance": "checked_in"}
        ).get_data(as_text=True),
    ]
    for body in bodies:
        for number in full:
            assert number not in body
            assert number[6:14] not in body  # not even the date of birth
    roster = json.loads(bodies[2])["enrolments"]
    assert sorted(e["candidate"]["id_number_masked"] for e in roster) == sorted(
        mask_id_number(n) for n in full
    )


# --- CSRF ----------------------------------------------------------------------------------


def test_state_changes_need_the_csrf_header_when_csrf_is_on(database_url, make):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        centre = make.centre()
        username = make.user("centre_admin", centre=centre).username
        body = new_session_body(make, centre)
        db.session.remove()
    # Requests outside the set-up's app context, as in production (Flask-WTF caches the
    # token on ``g``, which would otherwise outlive the sign-in).
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/auth/login",
        data={"username": username, "password": Factory.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302

    response = client.post(f"{API}/sessions", json=body)
    assert response.status_code == 400
    assert response.json["error"] == "csrf_failed"
    response = client.post(f"{API}/sessions", json=body, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExamSession)) == 0
        db.session.remove()

    api_token = client.get(f"{API}/csrf-token").json["csrf_token"]
    response = client.post(f"{API}/sessions", json=body, headers={"X-CSRFToken": api_token})
    assert response.status_code == 201, response.json
    assert client.get(f"{API}/sessions").status_code == 200  # reads need no token
    # Without sign-in, a write is a 401 before any CSRF check.
    assert app.test_client().post(f"{API}/sessions", json=body).status_code == 401
    with app.app_context():
        db.engine.dispose()
