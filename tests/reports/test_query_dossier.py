"""Query (查询), result verification and the candidate dossier (建档存档)."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import text

from examcentre.exams.grading import displayed_to_original
from examcentre.extensions import db

from .test_item_statistics_db import paper_of, sit_all


def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_find_a_candidate_by_each_key(client, login_as, make):
    tickets = make.exam_tickets(2)
    tickets[0].application_no = "APP-2026-0042"
    db.session.commit()
    candidate = tickets[0].candidate
    english(client)
    login_as("authority")
    for q in (
        candidate.id_number,
        candidate.id_number.lower(),
        candidate.name,
        tickets[0].number,
        "APP-2026-0042",
    ):
        html = client.get("/authority/query", query_string={"q": q}).get_data(as_text=True)
        assert f"/authority/candidates/{candidate.id}" in html, q
        other = f'/authority/candidates/{tickets[1].candidate_id}"'
        assert other not in html, q
    none = client.get("/authority/query", query_string={"q": "no such person"})
    assert "No candidate found" in none.get_data(as_text=True)


def test_the_dossier_shows_the_paper_from_the_verified_archive(client, login_as, make):
    tickets = make.exam_tickets(1)
    (attempt,) = sit_all(tickets, [6])
    candidate = tickets[0].candidate
    english(client)
    login_as("authority")
    html = client.get(f"/authority/candidates/{candidate.id}").get_data(as_text=True)
    assert "archive intact" in html
    pq, qv = paper_of(attempt)[0]
    assert qv.stem_zh in html
    # The first answer is shown in the bank's original letters (or true/false).
    answer = attempt.result.marks[0]["response"]
    shown = answer if qv.type == "true_false" else displayed_to_original(answer, pq.option_order)
    assert f"<td>{shown}</td>" in html
    assert html.count('href="/authority/audit/') >= 3  # issue, check-in, submission, ...
    verify = client.get(f"/authority/attempts/{attempt.id}/verify").get_data(as_text=True)
    assert "Verified: the archive is intact." in verify
    pdf = client.get(f"/authority/candidates/{candidate.id}.pdf")
    assert pdf.mimetype == "application/pdf"
    text_ = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Candidate dossier" in text_ and candidate.id_number in text_ and "intact" in text_


def test_a_changed_archive_does_not_verify_and_its_paper_is_not_shown(client, login_as, make):
    tickets = make.exam_tickets(1)
    (attempt,) = sit_all(tickets, [10])
    db.session.execute(
        text(
            "UPDATE attempt_archives SET document = replace(document, :old, :new)"
            " WHERE attempt_id = :a"
        ),
        {"old": '"score":100.0', "new": '"score":10.0', "a": attempt.id},
    )
    db.session.commit()
    english(client)
    login_as("authority")
    verify = client.get(f"/authority/attempts/{attempt.id}/verify").get_data(as_text=True)
    assert "Does not verify." in verify
    html = client.get(f"/authority/candidates/{tickets[0].candidate_id}").get_data(as_text=True)
    assert "The archive does not verify; the paper is not shown." in html
    _, qv = paper_of(attempt)[0]
    assert qv.stem_zh not in html


def test_centre_staff_cannot_query(client, login_as, make):
    tickets = make.exam_tickets(1)
    login_as("centre_admin")
    assert client.get(f"/authority/candidates/{tickets[0].candidate_id}").status_code == 403


def test_the_dossier_holds_the_candidates_application_and_its_review(
    client, login_as, make, tmp_path
):
    from examcentre.applications import operations as applications
    from examcentre.models import Centre

    from ..factories import TEST_ACTOR

    ticket = make.exam_tickets(1)[0]
    candidate = ticket.candidate
    centre = db.session.get(Centre, candidate.centre_id)
    data = applications.ApplicationInput(
        item="Q1", applied_by="candidate", id_number=candidate.id_number,
        name=candidate.name, health_declared=True,
    )
    application, _files = applications.create_application(
        TEST_ACTOR, centre, data, [], tmp_path, ticket.session.starts_at.date()
    )
    applications.decide(TEST_ACTOR, application, "request_more", "缺少培训证明")
    db.session.commit()
    english(client)
    login_as("authority")
    html = client.get(f"/authority/candidates/{candidate.id}").get_data(as_text=True)
    assert application.number in html and "缺少培训证明" in html
    assert html.count('href="/authority/audit/') >= 2
    pdf = client.get(f"/authority/candidates/{candidate.id}.pdf")
    text_ = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Applications" in text_ and application.number in text_
