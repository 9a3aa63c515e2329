"""The invigilator's exam console: the live grid and the actions on it, each audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from examcentre.clock import now_utc
from examcentre.exams import operations as exam_ops
from examcentre.extensions import db
from examcentre.models import Attempt, AuditEntry

from ..factories import TEST_ACTOR, Factory

API = "/api/v1/terminal"


def invigilator_client(app, session):
    client = app.test_client()
    invigilator = session.invigilators[0]
    response = client.post(
        "/auth/login", data={"username": invigilator.username, "password": Factory.PASSWORD}
    )
    assert response.status_code == 302
    client.get("/lang/en")
    return client


def started(app, make, ticket):
    terminal = app.test_client()
    make.at_terminal(terminal, ticket.terminal_id)
    assert (
        terminal.post(
            API + "/sign-in",
            json={"ticket_number": ticket.number, "id_number": ticket.candidate.id_number},
        ).status_code
        == 200
    )
    assert terminal.post(API + "/start").status_code == 200
    return terminal


def attempt_of(ticket) -> Attempt:
    db.session.expire_all()
    return db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_the_grid_shows_the_room_and_flags_silent_terminals(app, make):
    first, second, third = make.exam_tickets(3)
    started(app, make, first)
    started(app, make, second)
    quiet = attempt_of(second)
    quiet.last_heartbeat_at = now_utc() - timedelta(minutes=5)
    db.session.commit()
    console = invigilator_client(app, first.session)

    page = console.get(f"/invigilator/sessions/{first.session_id}/console").get_data(as_text=True)
    assert first.candidate.name in page and second.candidate.name in page
    # The third has a ready attempt since the release, but has not signed in: the row says
    # so and offers nothing to do with the attempt.
    assert attempt_of(third).state == "ready"
    third_row = page[page.index(f'id="attempt-row-{third.id}"'):]
    third_row = third_row[: third_row.index("</tr>")]
    assert "Not signed in" in third_row and "Extend" not in third_row
    assert "–" in third_row and "/10" not in third_row
    terminal = app.test_client()
    make.at_terminal(terminal, third.terminal_id)
    terminal.post(API + "/sign-in", json={
        "ticket_number": third.number, "id_number": third.candidate.id_number})
    page = console.get(f"/invigilator/sessions/{first.session_id}/console").get_data(as_text=True)
    third_row = page[page.index(f'id="attempt-row-{third.id}"'):]
    third_row = third_row[: third_row.index("</tr>")]
    assert "Signed in, not started" in third_row and "Extend" in third_row
    assert "0/10" in third_row
    assert "Answering" in page and "0/10" in page
    assert "1 terminal has stopped reporting" in page
    assert "Lost:" in page
    # The grid alone, as the page's script fetches it.
    grid = console.get(f"/invigilator/sessions/{first.session_id}/console?grid=1")
    assert "<table" in grid.get_data(as_text=True) and "<html" not in grid.get_data(as_text=True)


def test_pause_and_resume_keep_the_candidates_time(app, make):
    (ticket,) = make.exam_tickets(1)
    terminal = started(app, make, ticket)
    attempt = attempt_of(ticket)
    deadline = attempt.deadline_at
    console = invigilator_client(app, ticket.session)
    url = f"/invigilator/sessions/{ticket.session_id}/console/{attempt.id}"

    refused = console.post(url + "/pause", data={"reason": ""})
    assert refused.status_code == 200 and "Give a reason" in refused.get_data(as_text=True)
    assert attempt_of(ticket).state == "in_progress"

    assert console.post(url + "/pause", data={"reason": "Fire alarm"}).status_code == 302
    paused = attempt_of(ticket)
    assert paused.state == "paused"
    assert terminal.get(API + "/exam").get_json()["attempt"]["state"] == "paused"
    saving = terminal.put(API + "/answers/1", json={"response": "true", "seq": 1})
    assert saving.status_code == 409 and saving.get_json()["error"] == "paused"
    # Ten minutes pass while paused: the candidate gets them back.
    paused.paused_at -= timedelta(minutes=10)
    db.session.commit()
    assert console.post(url + "/resume").status_code == 302
    resumed = attempt_of(ticket)
    assert resumed.state == "in_progress"
    assert (
        timedelta(minutes=9, seconds=59)
        < resumed.deadline_at - deadline
        <= timedelta(minutes=10, seconds=1)
    )
    assert {"attempt.pause", "attempt.resume"} <= set(actions())


def test_extending_needs_a_reason_and_moves_the_deadline(app, make):
    (ticket,) = make.exam_tickets(1)
    started(app, make, ticket)
    attempt = attempt_of(ticket)
    deadline = attempt.deadline_at
    console = invigilator_client(app, ticket.session)
    url = f"/invigilator/sessions/{ticket.session_id}/console/{attempt.id}/extend"
    assert "Give a reason" in console.post(url, data={"minutes": 5}).get_data(as_text=True)
    assert "1 to 120" in console.post(url, data={"minutes": 500, "reason": "x"}).get_data(
        as_text=True
    )
    assert console.post(url, data={"minutes": 5, "reason": "Terminal froze"}).status_code == 302
    assert attempt_of(ticket).deadline_at - deadline == timedelta(minutes=5)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "attempt.extend"))
    assert entry.reason == "Terminal froze"


def test_the_whole_room_pauses_and_resumes_together(app, make):
    tickets = make.exam_tickets(2)
    for ticket in tickets:
        started(app, make, ticket)
    console = invigilator_client(app, tickets[0].session)
    base = f"/invigilator/sessions/{tickets[0].session_id}/console"
    assert console.post(base + "/pause", data={"reason": "Power cut"}).status_code == 302
    assert {attempt_of(t).state for t in tickets} == {"paused"}
    assert "Resume the room" in console.get(base).get_data(as_text=True)
    assert console.post(base + "/resume").status_code == 302
    assert {attempt_of(t).state for t in tickets} == {"in_progress"}
    assert "session.pause" in actions() and "session.resume" in actions()


def test_a_move_keeps_the_time_left(app, make):
    tickets = make.exam_tickets(2)
    ticket = tickets[0]
    terminal = started(app, make, ticket)
    session = ticket.session
    # A spare terminal in the session to move to.
    spare = make.terminal(ticket.centre)
    session.terminals.append(spare)
    db.session.commit()
    before = attempt_of(ticket)
    remaining = exam_ops.remaining(before, now_utc())
    console = invigilator_client(app, session)
    moved = console.post(
        f"/invigilator/sessions/{session.id}/tickets/{ticket.id}/move",
        data={"terminal_id": spare.id, "reason": "Screen failed"},
    )
    assert moved.status_code == 302
    assert attempt_of(ticket).state == "paused"
    # The old terminal is no longer the candidate's.
    assert terminal.get(API + "/exam").status_code in (401, 409)
    # Five minutes later the candidate sits down at the new terminal and carries on.
    # (Time is shifted back rather than waited for: everything happened 5 minutes earlier.)
    paused = attempt_of(ticket)
    paused.paused_at -= timedelta(minutes=5)
    paused.deadline_at -= timedelta(minutes=5)
    db.session.commit()
    new = app.test_client()
    make.at_terminal(new, spare.id)
    assert (
        new.post(
            API + "/sign-in",
            json={"ticket_number": ticket.number, "id_number": ticket.candidate.id_number},
        ).status_code
        == 200
    )
    body = new.post(API + "/start").get_json()["attempt"]
    assert body["state"] == "in_progress"
    assert abs(body["remaining_seconds"] - remaining) < 30
    assert attempt_of(ticket).terminal_id == spare.id


def test_the_invigilator_starts_the_exam_and_closing_submits_open_papers(app, make):
    from examcentre.compliance.model import ComplianceSettings
    from examcentre.compliance.operations import update_settings
    from examcentre.sessions.operations import change_state

    tickets = make.exam_tickets(2, start=False)
    session = tickets[0].session
    # The compliance gate (tested elsewhere) would refuse the start for this bare centre.
    update_settings(TEST_ACTOR, tickets[0].centre, ComplianceSettings(), False, "test")
    db.session.commit()
    console = invigilator_client(app, session)
    terminal = app.test_client()
    make.at_terminal(terminal, tickets[0].terminal_id)
    terminal.post(
        API + "/sign-in",
        json={"ticket_number": tickets[0].number, "id_number": tickets[0].candidate.id_number},
    )
    assert terminal.post(API + "/start").status_code == 409  # not before the signal
    response = console.post(f"/invigilator/sessions/{session.id}/console/start")
    assert response.status_code == 302
    db.session.expire_all()
    assert session.state == "in_progress", console.get(
        f"/invigilator/sessions/{session.id}/console"
    ).get_data(as_text=True)[:2000]
    assert terminal.post(API + "/start").status_code == 200
    from examcentre.clock import centre_today

    change_state(TEST_ACTOR, session, "closed", on=centre_today())
    db.session.commit()
    assert attempt_of(tickets[0]).state == "submitted"
    assert attempt_of(tickets[0]).submitted_by == "invigilator"


def test_another_invigilator_cannot_see_the_console(app, make, login_as):
    (ticket,) = make.exam_tickets(1)
    client = app.test_client()
    login_as("invigilator", centre=ticket.centre, test_client=client)
    assert client.get(f"/invigilator/sessions/{ticket.session_id}/console").status_code == 404


def test_the_administrator_hides_results_and_it_is_audited(app, make, login_as):
    (ticket,) = make.exam_tickets(1)
    admin = app.test_client()
    login_as("centre_admin", centre=ticket.centre, test_client=admin)
    admin.get("/lang/en")
    page = admin.get(f"/centre/sessions/{ticket.session_id}").get_data(as_text=True)
    assert "Candidates see their score and pass or fail" in page
    response = admin.post(f"/centre/sessions/{ticket.session_id}/show-result", data={"show": "off"})
    assert response.status_code == 302
    db.session.expire_all()
    assert ticket.session.show_result is False
    assert "session.show_result" in actions()
    terminal = started(app, make, ticket)
    assert terminal.post(API + "/submit").get_json()["result"] is None
