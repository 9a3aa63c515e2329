"""The centre administrator's exam-session pages: schedule, enrol, import, seat, tickets, states."""

from __future__ import annotations

import base64
import io
import json
import re

from pypdf import PdfReader
from sqlalchemy import func, select

from examcentre.compliance import operations as compliance
from examcentre.compliance.model import ComplianceSettings
from examcentre.extensions import db
from examcentre.models import AdmissionTicket, AuditEntry, Centre, ExamSession

from .factories import TEST_ACTOR, valid_id_number
from .test_compliance_cli import COMPLIANT

HEADER = "身份证号,姓名,性别,工作单位,联系电话,申请编号,考试项目"
ITEM = "Q2(限桥式起重机)"


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def gate_off(centre) -> None:
    compliance.update_settings(TEST_ACTOR, centre, ComplianceSettings(), False, "test")
    db.session.commit()


def csv_file(*lines: str) -> bytes:
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode("utf-8")


def line(n: int, item: str = ITEM, birth: str = "19900307", id_number: str | None = None) -> str:
    number = id_number or valid_id_number(birth=birth, sequence=n)
    return f"{number},考生{n},,单位{n},1380000{n:04d},SQ-{n},{item}"


def admin_with_session(login_as, make, seats: int = 3):
    session = make.session(seats=seats)
    centre = db.session.get(Centre, session.centre_id)
    admin = login_as("centre_admin", centre=centre)
    return admin, centre, session


def test_overview_lists_sessions_and_has_an_empty_state(client, login_as, make):
    centre = make.centre()
    login_as("centre_admin", centre=centre)
    page = client.get("/centre/sessions/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "No upcoming sessions" in page
    session = make.session(centre)
    page = client.get("/centre/sessions/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"/centre/sessions/{session.id}" in page
    assert "2026-11-23 09:00–11:00" in page  # 01:00 UTC is 09:00 in Shanghai
    assert "0 / 3" in page


def test_new_session_form_stores_local_times_as_utc(client, login_as, make):
    centre = make.centre()
    login_as("centre_admin", centre=centre)
    terminals = [make.terminal(centre, code=f"A0{i}") for i in (1, 2)]
    invigilator = make.user("invigilator", centre=centre)
    assert "A01" in client.get("/centre/sessions/new").get_data(as_text=True)
    response = client.post(
        "/centre/sessions/new",
        data={
            "item": "Q1",
            "day": "2026-12-01",
            "starts_at": "09:30",
            "ends_at": "11:00",
            "room": "301",
            "capacity": "2",
            "terminals": [t.id for t in terminals],
            "invigilators": [invigilator.id],
        },
    )
    assert response.status_code == 302
    session = db.session.scalar(select(ExamSession).where(ExamSession.centre_id == centre.id))
    assert session.starts_at.isoformat() == "2026-12-01T01:30:00+00:00"
    assert [t.code for t in session.terminals] == ["A01", "A02"]


def test_capacity_over_terminals_is_shown_on_the_capacity_field(client, login_as, make):
    centre = make.centre()
    login_as("centre_admin", centre=centre)
    terminal = make.terminal(centre)
    invigilator = make.user("invigilator", centre=centre)
    response = client.post(
        "/centre/sessions/new",
        data={
            "item": "Q1",
            "day": "2026-12-01",
            "starts_at": "09:30",
            "ends_at": "11:00",
            "room": "301",
            "capacity": "5",
            "terminals": [terminal.id],
            "invigilators": [invigilator.id],
        },
        headers={"Accept-Language": "en"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="capacity-error"' in page
    assert rows(ExamSession) == 0


def test_editing_is_frozen_after_release(client, login_as, make):
    ticket = make.ticket()
    session = ticket.session
    login_as("centre_admin", centre=ticket.centre)
    page = client.get(f"/centre/sessions/{session.id}/edit").get_data(as_text=True)
    assert "can no longer be edited" in page or "无法" in page or "不能" in page
    response = client.post(
        f"/centre/sessions/{session.id}/edit",
        data={
            "item": session.item,
            "day": "2026-12-24",
            "starts_at": "09:00",
            "ends_at": "10:00",
            "room": "999",
            "capacity": "3",
            "terminals": [t.id for t in session.terminals],
            "invigilators": [u.id for u in session.invigilators],
        },
    )
    assert response.status_code == 200
    db.session.refresh(session)
    assert session.room == "201"
    assert session.starts_at.isoformat() == "2026-11-23T01:00:00+00:00"


def test_enrol_a_candidate_and_refuse_an_under_18_in_english(client, login_as, make):
    _admin, _centre, session = admin_with_session(login_as, make)
    number = valid_id_number(sequence=12)
    response = client.post(
        f"/centre/sessions/{session.id}/enrol",
        data={"id_number": number, "name": "张三", "employer": "起重公司", "phone": "13800000000"},
    )
    assert response.status_code == 302
    ticket = db.session.scalar(
        select(AdmissionTicket).where(AdmissionTicket.session_id == session.id)
    )
    assert ticket.candidate.name == "张三"
    assert ticket.terminal_id == session.terminals[0].id

    minor = valid_id_number(birth="20100101", sequence=13)
    response = client.post(
        f"/centre/sessions/{session.id}/enrol",
        data={"id_number": minor, "name": "李四"},
        headers={"Accept-Language": "en"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "under 18" in page
    assert rows(AdmissionTicket) == 1


def test_enrol_refuses_a_bad_id_number_on_its_field(client, login_as, make):
    _admin, _centre, session = admin_with_session(login_as, make)
    response = client.post(
        f"/centre/sessions/{session.id}/enrol",
        data={"id_number": "110101199001011234", "name": "X"},
    )
    assert response.status_code == 422
    assert 'id="id_number-error"' in response.get_data(as_text=True)
    assert rows(AdmissionTicket) == 0


def test_roster_dry_run_then_confirm_enrols_everyone_with_seats(client, login_as, make):
    _admin, _centre, session = admin_with_session(login_as, make)
    data = csv_file(line(21), line(22))
    response = client.post(
        f"/centre/sessions/{session.id}/roster",
        data={"roster": (io.BytesIO(data), "roster.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "考生21" in page and "考生22" in page
    assert rows(AdmissionTicket) == 0  # a dry run writes nothing
    encoded = re.search(r'name="data" type="hidden" value="([^"]+)"', page).group(1)
    assert base64.b64decode(encoded) == data
    response = client.post(
        f"/centre/sessions/{session.id}/roster/confirm",
        data={"filename": "roster.csv", "data": encoded},
    )
    assert response.status_code == 302
    tickets = db.session.scalars(
        select(AdmissionTicket).where(AdmissionTicket.session_id == session.id)
    ).all()
    assert sorted(t.candidate.name for t in tickets) == ["考生21", "考生22"]
    assert len({t.terminal_id for t in tickets}) == 2 and None not in {
        t.terminal_id for t in tickets
    }


def test_roster_with_every_kind_of_bad_row_is_rejected_and_nothing_written(client, login_as, make):
    _admin, _centre, session = admin_with_session(login_as, make, seats=3)
    make.ticket(session=session, checked_in=False)  # one seat taken, session now released
    session.state = "scheduled"
    db.session.commit()
    before = rows(AdmissionTicket)
    data = csv_file(
        line(31),
        "110101199001011234,坏号码,,,,,Q2(限桥式起重机)",  # bad check digit
        line(31),  # duplicate
        line(32, birth="20100101"),  # under 18
        line(33, item="Q1"),  # item mismatch
        line(34),  # over capacity (3 seats, 1 taken, 31 and 34 valid)
        line(35),
    )
    response = client.post(
        f"/centre/sessions/{session.id}/roster",
        data={"roster": (io.BytesIO(data), "bad.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for row in (3, 4, 5, 6):
        assert f"bad.csv:{row}:" in page, row
    assert "bad.csv:3: resident ID number: check digit does not match" in page
    assert "bad.csv:4: duplicate: same resident ID number as row 2" in page
    assert "bad.csv:5: not eligible: under 18" in page
    assert "bad.csv:6: item &#39;Q1&#39; does not match" in page
    assert "over capacity: the session has 3 places (1 already taken)" in page
    assert rows(AdmissionTicket) == before
    # The confirm step re-checks too: posting the bad file directly writes nothing either.
    response = client.post(
        f"/centre/sessions/{session.id}/roster/confirm",
        data={"filename": "bad.csv", "data": base64.b64encode(data).decode()},
    )
    assert response.status_code == 422
    assert rows(AdmissionTicket) == before


def test_seat_reassigned_by_hand_with_a_reason(client, login_as, make):
    _admin, _centre, session = admin_with_session(login_as, make)
    ticket = make.ticket(session=session, checked_in=False)
    target = session.terminals[2]
    prefix = f"seat{ticket.id}-"
    refused = client.post(
        f"/centre/sessions/{session.id}/seat/{ticket.id}",
        data={prefix + "terminal": target.id, prefix + "reason": ""},
    )
    assert refused.status_code == 422
    assert db.session.get(AdmissionTicket, ticket.id).terminal_id != target.id
    response = client.post(
        f"/centre/sessions/{session.id}/seat/{ticket.id}",
        data={prefix + "terminal": target.id, prefix + "reason": "屏幕故障"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AdmissionTicket, ticket.id).terminal_id == target.id
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert entry.action == "ticket.seat" and entry.reason == "屏幕故障"


def test_forbidden_transition_is_refused_and_state_unchanged(client, login_as, make):
    ticket = make.ticket()
    session = ticket.session
    login_as("centre_admin", centre=ticket.centre)
    session.state = "closed"
    db.session.commit()
    response = client.post(f"/centre/sessions/{session.id}/state/released", data={})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(ExamSession, session.id).state == "closed"


def test_cancel_needs_a_reason(client, login_as, make):
    _admin, _centre, session = admin_with_session(login_as, make)
    response = client.post(f"/centre/sessions/{session.id}/state/cancelled", data={"reason": " "})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(ExamSession, session.id).state == "scheduled"
    response = client.post(
        f"/centre/sessions/{session.id}/state/cancelled", data={"reason": "停电"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExamSession, session.id).cancelled_reason == "停电"


def test_release_refused_by_the_gate_shows_the_blocking_findings(client, login_as, make):
    _admin, centre, session = admin_with_session(login_as, make)
    make.ticket(session=session, checked_in=False)
    session.state = "scheduled"
    db.session.commit()
    response = client.post(
        f"/centre/sessions/{session.id}/state/released", data={}, headers={"Accept-Language": "en"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Blocking findings" in page
    assert "records are incomplete" in page
    assert "centre.items" in page  # what is missing, by its place in the records
    assert 'href="/centre/compliance/"' in page

    assert 'href="/centre/compliance/"' in page
    db.session.expire_all()
    assert db.session.get(ExamSession, session.id).state == "scheduled"

    gate_off(centre)
    make.published_blueprint(centre)
    response = client.post(f"/centre/sessions/{session.id}/state/released", data={})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExamSession, session.id).state == "released"


def test_release_refused_by_failing_rules_lists_them(client, login_as, make):
    centre = make.centre()
    document = json.loads(COMPLIANT.read_text())
    document["centre"]["code"] = centre.code
    compliance.save_record_document(TEST_ACTOR, centre, document, "test")
    db.session.commit()
    session = make.session(centre)
    make.ticket(session=session, checked_in=False)
    session.state = "scheduled"
    db.session.commit()
    login_as("centre_admin", centre=centre)
    response = client.post(
        f"/centre/sessions/{session.id}/state/released", data={}, headers={"Accept-Language": "en"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    # The centre's bank covers no blueprint cell: R-BANK blocks the release.
    assert "<strong>R-BANK</strong>" in page
    db.session.expire_all()
    assert db.session.get(ExamSession, session.id).state == "scheduled"


def test_admission_pdf_holds_names_and_numbers_but_not_full_ids(client, login_as, make):
    _admin, _centre, session = admin_with_session(login_as, make)
    first = make.ticket(session=session, checked_in=False)
    session.state = "scheduled"
    db.session.commit()
    second = make.ticket(session=session, checked_in=False)
    response = client.get(f"/centre/sessions/{session.id}/tickets.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    compact = "".join(text.split())
    for ticket in (first, second):
        assert ticket.number in compact
        assert ticket.candidate.name in compact
        assert ticket.candidate.id_number not in compact
        assert (
            ticket.candidate.id_number[:6] + "********" + ticket.candidate.id_number[-4:] in compact
        )
    one = client.get(f"/centre/sessions/{session.id}/tickets/{first.id}.pdf")
    single = "".join(PdfReader(io.BytesIO(one.data)).pages[0].extract_text().split())
    assert first.number in single and second.number not in single


def test_another_centres_admin_gets_404(client, login_as, make):
    ticket = make.ticket()
    session = ticket.session
    login_as("centre_admin", centre=make.centre())
    for path in [
        f"/centre/sessions/{session.id}",
        f"/centre/sessions/{session.id}/edit",
        f"/centre/sessions/{session.id}/tickets.pdf",
        f"/centre/sessions/{session.id}/tickets/{ticket.id}.pdf",
        f"/centre/sessions/{session.id}/state/closed",
    ]:
        assert client.get(path).status_code == 404, path
    assert (
        client.post(
            f"/centre/sessions/{session.id}/state/cancelled", data={"reason": "x"}
        ).status_code
        == 404
    )
    assert f"/centre/sessions/{session.id}" not in client.get("/centre/sessions/").get_data(
        as_text=True
    )


def test_roster_template_is_utf8_with_bom(client, login_as, make):
    login_as("centre_admin", centre=make.centre())
    response = client.get("/centre/sessions/roster-template.csv")
    assert response.data.startswith("\ufeff身份证号".encode())


def test_every_session_page_opens(client, login_as, make):
    _admin, _centre, session = admin_with_session(login_as, make)
    make.ticket(session=session, checked_in=False)
    for path in [
        "/centre/sessions/",
        "/centre/sessions/new",
        f"/centre/sessions/{session.id}",
        f"/centre/sessions/{session.id}/edit",
    ] + [
        f"/centre/sessions/{session.id}/state/{t}"
        for t in ("released", "in_progress", "closed", "cancelled")
    ]:
        assert client.get(path).status_code == 200, path
