"""Appeal cases through the pages: the whole loop with two administrators, the overdue
highlight, the letter, the statistics; and a theory score review from the archive."""

from __future__ import annotations

import io
import json
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from examcentre.appeals import operations as appeal_ops
from examcentre.audit.operations import Actor
from examcentre.exams import operations as exam_ops
from examcentre.exams.grading import displayed_to_original
from examcentre.extensions import db
from examcentre.models import AppealCase, AttemptArchive, AttemptResult, AuditEntry, KeyCorrection
from examcentre.workdays import WorkingCalendar

from ..exams.test_archive_and_rescore import first_question, sit


def new_case(client, **overrides):
    data = {
        "case_type": "conduct",
        "complainant_name": "李四",
        "contact": "13900000000",
        "received_on": "2026-12-04",  # a Friday
        "language": "zh",
        "summary": "考场噪声过大",
    }
    data.update(overrides)
    response = client.post("/centre/appeals/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(select(AppealCase).order_by(AppealCase.id.desc())).first()


def test_the_whole_loop_with_four_eyes(app, client, login_as, make):
    supervisor = login_as("centre_admin")
    handler = make.user("centre_admin", centre=supervisor.centre)
    handler_client = app.test_client()
    login_as_user(handler_client, handler)
    case = new_case(client)
    assert case.answer_due_on == date(2026, 12, 9)  # Friday + 3 working days = Wednesday
    base = f"/centre/appeals/{case.id}"
    # Assessment needs validity and a reason.
    assert client.post(f"{base}/assess", data={"valid": "yes"}).status_code == 422
    assert client.post(f"{base}/assess", data={"valid": "yes", "reason": "属实"}).status_code == 302
    # The handler works on these pages: an examiner cannot be one.
    examiner = make.user("examiner", centre=supervisor.centre)
    assert client.post(f"{base}/assign", data={"handler": examiner.id}).status_code == 422
    assert client.post(f"{base}/assign", data={"handler": handler.id}).status_code == 302
    # Only the handler proposes; the supervisor's attempt is refused.
    assert client.post(f"{base}/propose", data={"remedy": "x"}).status_code == 422
    assert handler_client.post(f"{base}/propose", data={"remedy": "更换考场"}).status_code == 302
    # The handler cannot approve their own remedy.
    refused = handler_client.post(f"{base}/approve", data={})
    assert refused.status_code == 422
    assert "承办人不能批准自己提出的处理措施" in refused.get_data(as_text=True)
    db.session.refresh(case)
    assert case.state == "remedy_proposed" and case.approved_by_id is None
    assert client.post(f"{base}/approve", data={}).status_code == 302
    assert (
        handler_client.post(
            f"{base}/answer", data={"outcome": "upheld", "answer": "已调整考场并致歉"}
        ).status_code
        == 302
    )
    db.session.refresh(case)
    assert case.state == "answered" and case.approved_by_id == supervisor.id
    assert case.followup_due_on == (case.answered_on.fromordinal(case.answered_on.toordinal() + 7))
    # The letter, in both languages.
    zh = client.get(f"{base}/letter.pdf?lang=zh")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(zh.data)).pages)
    assert case.number in text and "申诉成立" in text and "已调整考场并致歉" in text
    en = client.get(f"{base}/letter.pdf?lang=en")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(en.data)).pages)
    assert "Upheld" in text and "complaint about the conduct of the exam" in text
    for action, data in [
        ("acknowledge", {"note": "电话确认"}),
        ("follow_up", {"note": "满意"}),
        ("close", {}),
    ]:
        assert client.post(f"{base}/{action}", data=data).status_code == 302, action
    db.session.refresh(case)
    assert case.state == "closed"
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "appeal_cases", AuditEntry.object_id == str(case.id))
        .order_by(AuditEntry.seq)
    ).all()
    assert actions == [
        "appeal.open",
        "appeal.assess",
        "appeal.assign",
        "appeal.propose",
        "appeal.approve",
        "appeal.answer",
        "appeal.acknowledge",
        "appeal.follow_up",
        "appeal.close",
    ]
    page = client.get(base).get_data(as_text=True)
    assert page.count("<li>") >= 9  # the timeline
    stats = client.get("/centre/appeals/statistics").get_data(as_text=True)
    assert 'id="classification"' in stats


def login_as_user(test_client, user):
    from ..factories import Factory

    response = test_client.post(
        "/auth/login", data={"username": user.username, "password": Factory.PASSWORD}
    )
    assert response.status_code == 302


def test_overdue_cases_are_highlighted_and_counted(client, login_as):
    login_as("centre_admin")
    old = new_case(client, received_on="2020-01-03")
    listing = client.get("/centre/appeals/").get_data(as_text=True)
    assert 'data-overdue="answer"' in listing
    filtered = client.get("/centre/appeals/?type=score_theory").get_data(as_text=True)
    assert old.number not in filtered
    stats = appeal_ops.statistics(WorkingCalendar(), today=date(2026, 12, 5))
    assert stats.total == 1 and stats.open_overdue == 1 and stats.by_type == {"conduct": 1}


def test_an_invalid_case_is_answered_directly(client, login_as):
    login_as("centre_admin")
    case = new_case(client)
    base = f"/centre/appeals/{case.id}"
    client.post(f"{base}/assess", data={"valid": "no", "reason": "超出受理范围"})
    assert client.post(f"{base}/assign", data={"handler": 0}).status_code == 422
    assert client.post(f"{base}/answer", data={"answer": "不予受理"}).status_code == 302
    db.session.refresh(case)
    assert case.state == "answered" and case.outcome == "invalid"


def test_a_score_review_finds_a_wrong_key_and_records_a_new_result_version(make):
    ticket = make.exam_tickets(2)[0]
    centre = ticket.centre
    attempt = sit([ticket], answer_first_right=False)[0]
    supervisor = make.user("centre_admin", centre=centre)
    handler = make.user("centre_admin", centre=centre)
    as_supervisor = Actor("user", supervisor.id, supervisor.username, centre.id)
    as_handler = Actor("user", handler.id, handler.username, centre.id)
    case = appeal_ops.open_case(
        as_supervisor,
        centre,
        case_type="score_theory",
        complainant_name=ticket.candidate.name,
        summary="第1题答案有误",
        received_on=date(2026, 12, 4),
        calendar=WorkingCalendar(),
        answer_days=3,
        ticket=ticket,
    )
    appeal_ops.take_step(
        as_supervisor,
        case,
        "assess",
        appeal_ops.Step(valid=True, reason="ok"),
        on=date(2026, 12, 4),
        followup_days=7,
    )
    appeal_ops.take_step(
        as_supervisor,
        case,
        "assign",
        appeal_ops.Step(handler=handler),
        on=date(2026, 12, 4),
        followup_days=7,
    )
    # First: re-grading with the keys as they are changes nothing.
    same = appeal_ops.review_theory_score(as_handler, case)
    assert same.archive_ok and not same.changed and same.score_after == same.score_before
    assert case.result_id is None
    # Then the reviewer finds question 1's key wrong: the candidate's answer was right.
    pq, qv = first_question(attempt)
    given = exam_ops.responses_of(attempt)[pq.position]
    key = given if qv.type == "true_false" else displayed_to_original(given, pq.option_order)
    before = attempt.result
    found = appeal_ops.review_theory_score(
        as_handler,
        case,
        wrong_key_position=pq.position,
        correct_answer=key,
        reason="标准答案录入错误",
    )
    db.session.commit()
    assert found.archive_ok and found.changed
    assert found.score_after > found.score_before == before.score
    new = db.session.get(AttemptResult, case.result_id)
    assert new.attempt_id == attempt.id and new.version == before.version + 1
    assert case.number in new.reason and "标准答案录入错误" in new.reason
    assert db.session.scalar(select(KeyCorrection.answer)) == key
    assert case.review["result_version"] == new.version
    review_entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "appeal.review").order_by(AuditEntry.seq)
    ).all()[-1]
    assert json.loads(review_entry.details)["changed"] is True
    # The version before stays as it was.
    assert db.session.get(AttemptResult, before.id).score == found.score_before


def test_a_tampered_archive_stops_the_review(make):
    ticket = make.exam_tickets(1)[0]
    attempt = sit([ticket])[0]
    centre = ticket.centre
    admin = make.user("centre_admin", centre=centre)
    actor = Actor("user", admin.id, admin.username, centre.id)
    case = appeal_ops.open_case(
        actor,
        centre,
        case_type="score_theory",
        complainant_name="x",
        summary="y",
        received_on=date(2026, 12, 4),
        calendar=WorkingCalendar(),
        answer_days=3,
        ticket=ticket,
    )
    appeal_ops.take_step(
        actor,
        case,
        "assess",
        appeal_ops.Step(valid=True, reason="ok"),
        on=date(2026, 12, 4),
        followup_days=7,
    )
    appeal_ops.take_step(
        actor, case, "assign", appeal_ops.Step(handler=admin), on=date(2026, 12, 4), followup_days=7
    )
    sealed = db.session.scalar(
        select(AttemptArchive).where(AttemptArchive.attempt_id == attempt.id)
    )
    sealed.document = sealed.document.replace('"seq":1', '"seq":2')
    found = appeal_ops.review_theory_score(actor, case)
    assert not found.archive_ok and found.problems and not found.changed
    assert case.result_id is None and len(attempt.results) == 1


def test_the_authority_sees_the_table_across_centres(app, client, login_as, make):
    login_as("centre_admin")
    new_case(client)
    other = app.test_client()
    login_as("centre_admin", centre=make.centre("OTHER-1"), test_client=other)
    new_case(other, case_type="other")
    authority = app.test_client()
    login_as("authority", test_client=authority)
    page = authority.get("/authority/appeals").get_data(as_text=True)
    assert "OTHER-1: 1" in page
    stats = appeal_ops.statistics(WorkingCalendar())
    assert stats.total == 2 and stats.by_type == {"conduct": 1, "other": 1}


def test_a_practical_score_review_shows_the_practical_record(client, login_as, make):
    admin = login_as("centre_admin")
    ticket = make.ticket(admin.centre)
    # A score review must name a ticket of this centre.
    refused = client.post(
        "/centre/appeals/new",
        data={
            "case_type": "score_practical",
            "complainant_name": "王五",
            "received_on": "2026-12-04",
            "language": "en",
            "summary": "s",
            "ticket": "999999",
        },
    )
    assert refused.status_code == 422
    case = new_case(client, case_type="score_practical", ticket=ticket.number, language="en")
    assert case.ticket_id == ticket.id
    page = client.get(f"/centre/appeals/{case.id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "Practical record" in text and "No practical record is stored" in text


def test_a_practical_score_review_shows_both_signed_sheets_and_the_result(
    client, login_as, make
):
    from examcentre.practical import operations as practical

    from ..practical.practicaldata import enrol, practical_session
    from ..practical.test_examiner_sheets import NOW, SETTINGS, actor, full_marks, score

    session, (first, second) = practical_session(make)
    ticket = enrol(session, requires_theory_pass=False)
    session.state = "released"
    db.session.commit()
    lower = full_marks()
    lower["fixed_point_drop"] = {"zone": "middle"}  # -6
    for user, entries in ((first, full_marks()), (second, lower)):
        row = score(user, ticket, entries)
        practical.sign_sheet(actor(user), user, row, NOW, SETTINGS)
        db.session.commit()
    from examcentre.models import Centre

    admin = make.user("centre_admin", centre=db.session.get(Centre, session.centre_id))
    login_as_user(client, admin)
    case = new_case(client, case_type="score_practical", ticket=ticket.number, language="en")
    text = client.get(
        f"/centre/appeals/{case.id}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "Examiners&#39; score sheets" in text or "Examiners' score sheets" in text
    assert first.display_name in text and second.display_name in text
    assert ">100.0<" in text and ">94.0<" in text  # each examiner's own total
    assert ">97<" in text  # the agreed result, the mean
    assert f"/score-sheets/{ticket.id}.pdf" in text
    assert "No practical record is stored" not in text
