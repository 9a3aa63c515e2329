"""End to end: a simulator run posted and signed as the reference client signs it, two
examiners finish the sheet on the examiner pages, the combined result on the candidate's
record, and the PDFs (checked by extracting their text)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from examcentre.extensions import db
from examcentre.models import Centre, ExaminerSheet, PracticalResult
from examcentre.practical.stations import set_simulator_counts_as_exam
from examcentre.sessions import operations as sessions

from ..conftest import Factory
from ..factories import TEST_ACTOR, valid_id_number
from .practicaldata import ITEM, enrol, practical_session, theory_passed
from .stationdata import encode, post, registered_station, run_payload


def pdf_text(data: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def sign_in(app, user):
    client = app.test_client()
    response = client.post(
        "/auth/login", data={"username": user.username, "password": Factory.PASSWORD}
    )
    assert response.status_code == 302
    return client


def finish_and_sign(client, ticket) -> int:
    """The examiner's pages: start, score the tasks the simulator did not, sign."""
    response = client.post(f"/examiner/tickets/{ticket.id}/start")
    assert response.status_code == 302
    sheet_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/examiner/sheets/{sheet_id}").get_data(as_text=True)
    assert "Started from a simulator run" in page or "模拟器" in page
    grades = {f"grade-{c}": "correct" for c in ("hook", "buffer", "wheel", "rail_sweeper")}
    grades["grade-rope_clips"] = "partial"  # -3
    response = client.post(f"/examiner/sheets/{sheet_id}/tasks/part_identification", data=grades)
    assert response.status_code == 302, response.get_data(as_text=True)
    response = client.post(
        f"/examiner/sheets/{sheet_id}/tasks/emergency_scenario", data={"grade-cab_fire": "correct"}
    )
    assert response.status_code == 302
    response = client.post(f"/examiner/sheets/{sheet_id}/sign", data={"confirm": "yes"})
    assert response.status_code == 302
    return sheet_id


def test_simulator_post_to_examiners_to_combined_result_and_pdfs(app, client, make, login_as):
    session, (first, second) = practical_session(make)
    centre = db.session.get(Centre, session.centre_id)
    theory = theory_passed(make, centre, score=82)
    ticket = enrol(session, id_number=theory.candidate.id_number, name=theory.candidate.name)
    sessions.change_state(TEST_ACTOR, session, "released", on=session.starts_at.date())
    db.session.commit()

    # The simulator posts a signed exam run (the centre lets simulator runs count).
    setup = registered_station(make, ticket=ticket)
    set_simulator_counts_as_exam(TEST_ACTOR, centre, ITEM, True)
    db.session.commit()
    response = post(client, "SIM-01", setup.secret, encode(run_payload(setup)))
    assert response.status_code == 201 and response.json["run"]["mode"] == "exam"

    # Two examiners, each in their own browser, finish and sign.
    one, two = sign_in(app, first), sign_in(app, second)
    home = one.get("/examiner/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ticket.candidate.name in home and "Start scoring" in home
    first_sheet = finish_and_sign(one, ticket)
    # Before the second signs, the first examiner's sheet is not theirs to open.
    assert two.get(f"/examiner/sheets/{first_sheet}").status_code == 404
    finish_and_sign(two, ticket)

    db.session.expire_all()
    result = db.session.query(PracticalResult).filter_by(ticket_id=ticket.id).one()
    # Simulator: obstacle run 25 - 2 (one bump; 3 stops are free) = 23, drop 15, handling 10;
    # examiners: parts 30 - 3 = 27, emergency 20: 95 from both, so the mean is 95.
    assert result.mode == "simulator" and result.score_text == "95" and result.passed
    assert result.sitting == 1 and result.simulator_run_id is not None
    assert all(s.signed for s in db.session.query(ExaminerSheet).all())

    # The candidate's record: both subjects, and the combined verdict.
    login_as("centre_admin", centre=centre)
    page = client.get(
        f"/centre/candidates/{ticket.candidate_id}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "Passed: theory and practical" in page
    assert "Simulator" in page and "95" in page and "82" in page
    assert first.display_name in page and second.display_name in page

    # The score sheet and the roster, as printed.
    sheet_pdf = client.get(f"/centre/sessions/{session.id}/score-sheets/{ticket.id}.pdf")
    assert sheet_pdf.status_code == 200 and sheet_pdf.mimetype == "application/pdf"
    text = pdf_text(sheet_pdf.data)
    for expected in ("绕障运行", "定点落物", "部件识别", "应急处置", "碰杆", "钢丝绳绳卡",
                     first.display_name, second.display_name, ticket.number, "签名", "95",
                     "合格", result.content_sha256):  # fmt: skip
        assert expected in text, expected
    roster = client.get(f"/centre/sessions/{session.id}/practical-roster.pdf")
    text = pdf_text(roster.data)
    for expected in (ticket.number, ticket.candidate.name, "95", "合格", "BC-1"):
        assert expected in text, expected


def test_the_results_batch_carries_the_practical_result_and_the_examiners(app, make):
    import json
    from datetime import UTC, datetime

    from examcentre.audit.operations import Actor
    from examcentre.practical import operations as practical
    from examcentre.transmission import batch as fmt
    from examcentre.transmission import operations as transmission

    from .test_examiner_sheets import full_marks

    session, (first, second) = practical_session(make)
    ticket = enrol(session, requires_theory_pass=False)
    absent = enrol(session, id_number=valid_id_number(sequence=55), name="考生乙",
                   requires_theory_pass=False)  # fmt: skip
    sessions.change_state(TEST_ACTOR, session, "released", on=session.starts_at.date())
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    settings = practical.Settings()
    for user in (first, second):
        actor = Actor("user", user.id, user.username, user.centre_id)
        row = practical.start_sheet(actor, user, ticket)
        for task, entry in full_marks().items():
            practical.save_task(actor, user, row, task, entry)
        practical.sign_sheet(actor, user, row, now, settings)
    sessions.change_state(TEST_ACTOR, session, "in_progress", on=session.starts_at.date())
    sessions.change_state(TEST_ACTOR, session, "closed", on=session.starts_at.date())
    db.session.commit()
    outbox, _created = transmission.build_session_batch(TEST_ACTOR, session, now)
    db.session.commit()
    document = json.loads(outbox.document)
    fmt.parse_batch(document)  # the receiver's parser accepts it
    (section,) = document["sessions"]
    assert {e["username"] for e in section["examiners"] if e["role"] == "examiner"} == {
        first.username, second.username,
    }  # fmt: skip
    by_ticket = {c["ticket"]: c for c in section["candidates"]}
    (result,) = by_ticket[ticket.number]["results"]
    stored = practical.newest_result(ticket)
    assert result["subject"] == "practical" and result["score"] == 100 and result["passed"]
    assert result["sheet_sha256"] == stored.content_sha256
    assert result["details"]["mode"] == "real" and result["details"]["sitting"] == 1
    assert by_ticket[absent.number]["attendance"] == "absent"
    assert by_ticket[absent.number]["results"] == []
