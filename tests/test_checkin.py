"""The invigilator's check-in list, absence, moves, and the candidate sign-in it governs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from examcentre.extensions import db
from examcentre.models import AdmissionTicket, Alert, AuditEntry, Terminal

from .factories import Factory

# A tiny valid PNG (1x1 pixel).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def sign_in(client, user):
    response = client.post(
        "/auth/login", data={"username": user.username, "password": Factory.PASSWORD}
    )
    assert response.status_code == 302
    client.get("/lang/en")
    return user


def candidate_sign_in(client, ticket):
    return client.post(
        "/auth/terminal",
        data={"ticket_number": ticket.number, "id_number": ticket.candidate.id_number},
    )


def signed_in(response) -> bool:
    """A candidate's sign-in answers with the exam page itself."""
    return response.status_code == 200 and 'id="exam-app"' in response.get_data(as_text=True)


def audit(action):
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    ).all()


@pytest.fixture
def room(make, app):
    """A released session of three terminals, one candidate enrolled (not checked in), and
    its invigilator signed in on ``room.client``."""

    class Room:
        pass

    r = Room()
    r.centre = make.centre()
    r.session = make.session(r.centre, seats=3)
    r.ticket = make.ticket(r.centre, session=r.session, checked_in=False)
    r.invigilator = r.session.invigilators[0]
    r.terminals = list(r.session.terminals)
    r.seat = r.ticket.terminal
    r.client = app.test_client()
    sign_in(r.client, r.invigilator)
    r.url = f"/invigilator/sessions/{r.session.id}"
    return r


def add_candidate(make, room, checked_in=False):
    """Enrol one more candidate (enrolment closes at release, so reopen it for the set-up)."""
    room.session.state = "scheduled"
    db.session.commit()
    return make.ticket(room.centre, session=room.session, checked_in=checked_in)


def test_check_in_list_shows_each_candidate(room):
    response = room.client.get(room.url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    candidate = room.ticket.candidate
    assert candidate.name in page
    masked = candidate.id_number[:6] + "********" + candidate.id_number[-4:]
    assert masked in page and candidate.id_number not in page
    assert f"Ticket {room.ticket.number}" in page
    assert room.seat.code in page
    assert "Enrolled" in page and "Not signed in" in page
    assert 'aria-label="No photo on file"' in page
    assert '<meta http-equiv="refresh" content="30">' in page
    assert f'aria-label="Confirm identity: {candidate.name}"' in page
    # Reloading can be switched off (e.g. while reading a long list with a screen reader).
    assert "http-equiv" not in room.client.get(room.url + "?refresh=off").get_data(as_text=True)


def test_confirm_identity_checks_the_candidate_in(room):
    response = room.client.post(f"{room.url}/tickets/{room.ticket.id}/check-in")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{room.url}#ticket-{room.ticket.id}"
    db.session.refresh(room.ticket)
    assert room.ticket.attendance == "checked_in"
    assert room.ticket.attendance_by == room.invigilator.username
    [entry] = audit("ticket.checked_in")
    assert entry.actor_label == room.invigilator.username
    assert entry.object_id == str(room.ticket.id)
    page = room.client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"is checked in. Seat: terminal {room.seat.code}." in page


def test_focus_moves_to_the_next_waiting_candidate(room, make):
    second = add_candidate(make, room)
    response = room.client.post(f"{room.url}/tickets/{room.ticket.id}/check-in")
    assert response.headers["Location"] == f"{room.url}?focus={second.id}"
    page = room.client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count("autofocus") == 1
    assert f'/tickets/{second.id}/check-in' in page.split("autofocus")[0][-600:]


def test_sign_in_is_refused_before_check_in_and_after_absence(room, app, make):
    terminal_client = app.test_client()
    terminal_client.get("/lang/en")
    make.at_terminal(terminal_client, room.seat.id)

    before = candidate_sign_in(terminal_client, room.ticket)
    assert before.status_code == 200
    assert "The invigilator has not checked you in yet." in before.get_data(as_text=True)

    # Absent needs a reason...
    confirm = room.client.get(f"{room.url}/tickets/{room.ticket.id}/absent")
    assert f"Record {room.ticket.candidate.name} as absent?" in confirm.get_data(as_text=True)
    refused = room.client.post(f"{room.url}/tickets/{room.ticket.id}/absent", data={"reason": ""})
    assert refused.status_code == 200 and 'id="reason-error"' in refused.get_data(as_text=True)
    db.session.refresh(room.ticket)
    assert room.ticket.attendance == "enrolled"
    # ...and is then final for the sitting.
    done = room.client.post(
        f"{room.url}/tickets/{room.ticket.id}/absent", data={"reason": "Not here at 09:00"}
    )
    assert done.status_code == 302
    db.session.refresh(room.ticket)
    assert room.ticket.attendance == "absent"
    assert [e.reason for e in audit("ticket.absent")] == ["Not here at 09:00"]

    after = candidate_sign_in(terminal_client, room.ticket)
    assert after.status_code == 200
    assert "The invigilator has not checked you in yet." in after.get_data(as_text=True)

    late = room.client.post(f"{room.url}/tickets/{room.ticket.id}/check-in")
    assert late.status_code == 302
    db.session.refresh(room.ticket)
    assert room.ticket.attendance == "absent"
    assert audit("ticket.checked_in") == []
    assert "absence is final" in room.client.get(room.url).get_data(as_text=True)

    refusals = [json.loads(e.details) for e in audit("ticket.admission_refused")]
    assert refusals == [
        {"terminal": room.seat.code, "code": "not_checked_in"},
        {"terminal": room.seat.code, "code": "not_checked_in"},
    ]


def test_checked_in_candidate_signs_in_only_at_their_seat(room, app, make):
    room.client.post(f"{room.url}/tickets/{room.ticket.id}/check-in")
    other = next(t for t in room.terminals if t.id != room.seat.id)
    wrong = app.test_client()
    make.at_terminal(wrong, other.id)
    wrong.get("/lang/en")
    refused = candidate_sign_in(wrong, room.ticket)
    assert refused.status_code == 200
    assert f"Your seat is terminal {room.seat.code}." in refused.get_data(as_text=True)

    right = app.test_client()
    make.at_terminal(right, room.seat.id)
    assert signed_in(candidate_sign_in(right, room.ticket))
    db.session.refresh(room.ticket)
    assert room.ticket.active_terminal_id == room.seat.id
    page = room.client.get(room.url).get_data(as_text=True)
    assert f"Signed in at {room.seat.code} since" in page


def test_second_sign_in_is_refused_logged_and_resolved_by_a_move(room, app, make):
    room.client.post(f"{room.url}/tickets/{room.ticket.id}/check-in")
    first = app.test_client()
    make.at_terminal(first, room.seat.id)
    assert signed_in(candidate_sign_in(first, room.ticket))

    other = next(t for t in room.terminals if t.id != room.seat.id)
    second = app.test_client()
    make.at_terminal(second, other.id)
    refused = candidate_sign_in(second, room.ticket)
    assert refused.status_code == 200  # the form again, with the reason
    db.session.refresh(room.ticket)
    assert room.ticket.active_terminal_id == room.seat.id
    [entry] = audit("ticket.admission_refused")
    assert json.loads(entry.details)["terminal"] == other.code
    assert entry.actor_label == room.ticket.number

    # The invigilator moves the candidate to the machine they are at: sign-in works there.
    form = room.client.get(f"{room.url}/tickets/{room.ticket.id}/move").get_data(as_text=True)
    assert f'<option value="{other.id}">' in form
    assert f'<option value="{room.seat.id}">' not in form  # their own seat is not "free"
    moved = room.client.post(
        f"{room.url}/tickets/{room.ticket.id}/move",
        data={"terminal_id": other.id, "reason": "First terminal froze"},
    )
    assert moved.status_code == 302
    db.session.refresh(room.ticket)
    assert room.ticket.terminal_id == other.id and room.ticket.active_terminal_id is None
    [seat] = audit("ticket.seat")
    assert seat.reason == "First terminal froze"
    assert json.loads(seat.details) == {"from": room.seat.code, "to": other.code}
    assert signed_in(candidate_sign_in(second, room.ticket))
    db.session.refresh(room.ticket)
    assert room.ticket.active_terminal_id == other.id


def test_second_sign_in_at_another_terminal_alerts_the_invigilator(room, app, make):
    room.client.post(f"{room.url}/tickets/{room.ticket.id}/check-in")
    first = app.test_client()
    make.at_terminal(first, room.seat.id)
    assert signed_in(candidate_sign_in(first, room.ticket))
    other = next(t for t in room.terminals if t.id != room.seat.id)
    second = app.test_client()
    make.at_terminal(second, other.id)
    assert candidate_sign_in(second, room.ticket).status_code == 200

    [entry] = audit("ticket.admission_refused")
    assert json.loads(entry.details) == {"terminal": other.code, "code": "active_elsewhere"}, (
        "sessions.operations.admit must test 'signed in at another terminal' before"
        " 'wrong terminal', or a second sign-in never raises the invigilators' alert"
    )
    alert = db.session.scalars(select(Alert).where(Alert.kind == "second_sign_in")).one()
    page = room.client.get(room.url).get_data(as_text=True)
    assert alert.message_en in page
    assert f"/invigilator/alerts/{alert.id}/acknowledge" in page

    room.client.post(
        f"/invigilator/alerts/{alert.id}/acknowledge", data={"session_id": room.session.id}
    )
    db.session.refresh(alert)
    assert alert.acknowledged_at is not None
    assert alert.acknowledged_by == room.invigilator.username
    assert [e.object_id for e in audit("alert.acknowledge")] == [str(alert.id)]
    assert alert.message_en not in room.client.get(room.url).get_data(as_text=True)


def test_alerts_are_shown_and_acknowledged_one_by_one(room, make):
    other_centre = make.centre()
    mine = Alert(centre_id=room.centre.id, kind="second_sign_in", level="warn",
                 message="考生甲再次登录", message_en="Candidate A signed in again at T09.")
    compliance = Alert(centre_id=room.centre.id, kind="compliance", level="fail",
                       message="不符合", message_en="Compliance finding")
    foreign = Alert(centre_id=other_centre.id, kind="second_sign_in", level="warn",
                    message="别处", message_en="Elsewhere: candidate B.")
    db.session.add_all([mine, compliance, foreign])
    db.session.commit()

    for url in ("/invigilator/", room.url):
        page = room.client.get(url).get_data(as_text=True)
        assert "Candidate A signed in again at T09." in page
        assert "Compliance finding" not in page and "Elsewhere: candidate B." not in page
    # Another centre's alert, or one of another kind, cannot be acknowledged from here.
    assert room.client.post(f"/invigilator/alerts/{foreign.id}/acknowledge").status_code == 404
    assert room.client.post(f"/invigilator/alerts/{compliance.id}/acknowledge").status_code == 404
    response = room.client.post(f"/invigilator/alerts/{mine.id}/acknowledge")
    assert response.headers["Location"] == "/invigilator/"
    for alert in (mine, compliance, foreign):
        db.session.refresh(alert)
    assert mine.acknowledged_by == room.invigilator.username
    assert compliance.acknowledged_at is None and foreign.acknowledged_at is None


def test_move_refuses_a_taken_terminal_and_needs_a_reason(room, make):
    neighbour = add_candidate(make, room)
    response = room.client.post(
        f"{room.url}/tickets/{room.ticket.id}/move",
        data={"terminal_id": neighbour.terminal_id, "reason": "swap"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="terminal_id-error"' in page
    unchosen = room.client.post(
        f"{room.url}/tickets/{room.ticket.id}/move", data={"terminal_id": "0", "reason": "x"}
    ).get_data(as_text=True)
    assert "Choose a free terminal." in unchosen
    free = next(t for t in room.terminals if t.id not in (room.seat.id, neighbour.terminal_id))
    no_reason = room.client.post(
        f"{room.url}/tickets/{room.ticket.id}/move", data={"terminal_id": free.id, "reason": ""}
    )
    assert 'id="reason-error"' in no_reason.get_data(as_text=True)
    db.session.refresh(room.ticket)
    assert room.ticket.terminal_id == room.seat.id
    assert audit("ticket.seat") == []


def test_move_offers_only_working_registered_free_terminals(room, make):
    broken, unregistered = [t for t in room.terminals if t.id != room.seat.id]
    broken.status = "out_of_service"
    unregistered.token_hash = None
    db.session.commit()
    page = room.client.get(f"{room.url}/tickets/{room.ticket.id}/move").get_data(as_text=True)
    assert "No terminal of this session is free." in page
    assert "<select" not in page


def test_an_invigilator_of_another_session_gets_404(room, app, make):
    stranger = sign_in(app.test_client(), make.user("invigilator", centre=room.centre))
    client = app.test_client()
    sign_in(client, stranger)
    ticket_url = f"{room.url}/tickets/{room.ticket.id}"
    assert client.get(room.url).status_code == 404
    assert client.post(f"{ticket_url}/check-in").status_code == 404
    assert client.get(f"{ticket_url}/absent").status_code == 404
    assert client.post(f"{ticket_url}/absent", data={"reason": "x"}).status_code == 404
    move = client.post(f"{ticket_url}/move", data={"terminal_id": 1, "reason": "x"})
    assert move.status_code == 404
    assert client.get(f"{ticket_url.replace('tickets', 'candidates')}/photo").status_code == 404
    db.session.refresh(room.ticket)
    assert room.ticket.attendance == "enrolled" and room.ticket.terminal_id == room.seat.id
    assert room.url not in client.get("/invigilator/").get_data(as_text=True)
    # A ticket of another session through this session's URL is a 404 too.
    other = make.ticket(room.centre, checked_in=False)
    assert room.client.post(f"{room.url}/tickets/{other.id}/check-in").status_code == 404


@pytest.mark.parametrize(
    "role", ["anonymous", "candidate", "examiner", "centre_admin", "authority"]
)
def test_check_in_pages_are_for_invigilators_only(role, room, client, login_as):
    if role != "anonymous":
        login_as(role, centre=room.centre if role != "authority" else None)
    expected = 302 if role == "anonymous" else 403
    assert client.get(room.url).status_code == expected
    if role not in ("anonymous", "authority"):
        client.post(f"{room.url}/tickets/{room.ticket.id}/check-in")
        db.session.refresh(room.ticket)
        assert room.ticket.attendance == "enrolled"


def test_check_in_waits_for_the_session_to_be_released(room):
    room.session.state = "scheduled"
    db.session.commit()
    page = room.client.get(room.url).get_data(as_text=True)
    assert "Check-in opens when the centre administrator releases the session." in page
    assert f"/tickets/{room.ticket.id}/check-in" not in page
    room.client.post(f"{room.url}/tickets/{room.ticket.id}/check-in")
    db.session.refresh(room.ticket)
    assert room.ticket.attendance == "enrolled"


def test_photo_is_served_to_the_sessions_invigilators_only(room, app, make, login_as, client):
    photos = Path(app.instance_path) / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    name = f"test-{room.ticket.candidate.id}.png"
    (photos / name).write_bytes(PNG)
    try:
        room.ticket.candidate.photo = name
        db.session.commit()
        url = f"{room.url}/candidates/{room.ticket.id}/photo"
        page = room.client.get(room.url).get_data(as_text=True)
        assert f'src="{url}"' in page and "No photo on file" not in page
        response = room.client.get(url)
        assert response.status_code == 200 and response.data == PNG
        assert response.mimetype == "image/png"
        assert "private" in response.headers["Cache-Control"]
        # Never from the static folder.
        assert client.get(f"/static/photos/{name}").status_code == 404
        login_as("examiner", centre=room.centre)
        assert client.get(url).status_code == 403
        # A name that tries to leave the photo folder is no photo at all.
        room.ticket.candidate.photo = "../config.py"
        db.session.commit()
        assert room.client.get(url).status_code == 404
        assert "No photo on file" in room.client.get(room.url).get_data(as_text=True)
    finally:
        (photos / name).unlink()


def test_home_lists_my_sessions_today_first_with_counts(app, make):
    centre = make.centre()
    invigilator = make.user("invigilator", centre=centre)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    def at(day):
        return datetime.combine(day, time(9), ZoneInfo("Asia/Shanghai")).astimezone(UTC)

    earlier = make.session(centre, starts_at=at(today - timedelta(days=3)), seats=1)
    later = make.session(centre, starts_at=at(today + timedelta(days=2)), seats=1)
    now = make.session(centre, starts_at=at(today), seats=2)
    not_mine = make.session(centre, starts_at=at(today), seats=1)
    for s in (earlier, later, now):
        s.invigilators = [*s.invigilators, invigilator]
    db.session.commit()
    make.ticket(centre, session=now, checked_in=True)
    now.state = "scheduled"  # enrolment closes at release; reopen it for the set-up
    make.ticket(centre, session=now, checked_in=False)

    client = app.test_client()
    sign_in(client, invigilator)
    page = client.get("/invigilator/").get_data(as_text=True)
    positions = [page.index(f"/invigilator/sessions/{s.id}\"") for s in (now, later, earlier)]
    assert positions == sorted(positions)
    assert f"/invigilator/sessions/{not_mine.id}\"" not in page
    assert page.index("Today") < page.index("Coming up") < page.index("Earlier")
    card = page[page.index("Today"): page.index("Coming up")]
    assert "Released" in card
    compact = " ".join(card.split())
    assert "Enrolled</dt><dd class=\"col-5 mb-0\">2</dd>" in compact
    assert "Checked in</dt><dd class=\"col-5 mb-0\">1</dd>" in compact


def test_home_empty_state(client, login_as):
    login_as("invigilator")
    client.get("/lang/en")
    assert "No sessions to invigilate" in client.get("/invigilator/").get_data(as_text=True)


def test_a_move_needs_a_terminal_of_the_session(room, make):
    outside = make.terminal(room.centre, code="Z99")
    response = room.client.post(
        f"{room.url}/tickets/{room.ticket.id}/move",
        data={"terminal_id": outside.id, "reason": "x"},
    )
    assert response.status_code == 200
    assert db.session.get(AdmissionTicket, room.ticket.id).terminal_id == room.seat.id
    assert db.session.get(Terminal, outside.id).code == "Z99"


def test_a_moved_candidate_is_signed_out_at_the_old_terminal(client, app, make):
    from examcentre.audit.operations import Actor
    from examcentre.sessions.operations import assign_seat

    ticket = make.ticket()
    make.at_terminal(client, ticket.terminal_id)
    client.post("/auth/terminal", data={"ticket_number": ticket.number,
                                         "id_number": ticket.candidate.id_number})
    assert client.get("/terminal/").status_code == 200
    new_seat = next(t for t in ticket.session.terminals if t.id != ticket.terminal_id)
    assign_seat(Actor("system", None, "tests"), ticket, new_seat, "screen broken")
    db.session.commit()
    response = client.get("/terminal/")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/terminal"
    assert client.get("/terminal/").status_code == 302  # the session is gone for good
