"""The terminal's JSON API: sign-in, the clock, saving, submitting, and what a candidate sees."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from examcentre.clock import now_utc
from examcentre.extensions import db
from examcentre.models import (
    AnswerChange,
    Attempt,
    AttemptAnswer,
    AttemptArchive,
    PaperQuestion,
    QuestionVersion,
)

API = "/api/v1/terminal"
# Keys that only staff may see: a candidate's response must never contain any of them.
FORBIDDEN_KEYS = {
    "answer",
    "key",
    "explanation",
    "critical",
    "content_hash",
    "content_sha256",
    "seed",
    "id_number",
    "marks",
    "option_order",
}


class Recorder:
    """A test client for one terminal that keeps every JSON body it received."""

    def __init__(self, client):
        self.client = client
        self.bodies: list[str] = []

    def call(self, method: str, path: str, **kwargs):
        response = getattr(self.client, method)(API + path, **kwargs)
        if response.is_json:
            self.bodies.append(response.get_data(as_text=True))
        return response


def signed_in(app, make, ticket) -> Recorder:
    client = app.test_client()
    make.at_terminal(client, ticket.terminal_id)
    terminal = Recorder(client)
    response = terminal.call(
        "post",
        "/sign-in",
        json={"ticket_number": ticket.number, "id_number": ticket.candidate.id_number},
    )
    assert response.status_code == 200, response.get_json()
    return terminal


def key_of(ticket, position: int) -> tuple[str, str]:
    """(type, the right response in displayed letters) for one question of a ticket's paper."""
    from examcentre.exams.grading import original_to_displayed

    attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))
    pq, qv = db.session.execute(
        select(PaperQuestion, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == attempt.paper_id, PaperQuestion.position == position)
    ).one()
    if qv.type == "true_false":
        return qv.type, qv.answer
    return qv.type, original_to_displayed(qv.answer, pq.option_order)


def wrong_response(qtype: str, right: str) -> str:
    if qtype == "true_false":
        return "false" if right == "true" else "true"
    return "A" if right != "A" else "B"


def test_a_candidate_sits_the_whole_exam(app, make):
    ticket, other = make.exam_tickets(2)
    terminal = signed_in(app, make, ticket)

    exam = terminal.call("get", "/exam").get_json()
    assert exam["attempt"]["state"] == "ready"
    assert exam["attempt"]["remaining_seconds"] == 600
    assert terminal.call("get", "/paper").status_code == 409  # not before the start

    started = terminal.call("post", "/start").get_json()["attempt"]
    assert started["state"] == "in_progress"
    assert 599 <= started["remaining_seconds"] <= 600
    paper = terminal.call("get", "/paper").get_json()
    positions = [q["position"] for q in paper["questions"]]
    assert len(positions) == 10 and paper["answers"] == []
    for question in paper["questions"]:
        if question["type"] == "true_false":
            assert question["options"] == []
        else:
            assert [o["letter"] for o in question["options"]] == list(
                "ABCDE"[: len(question["options"])]
            )

    # Right answers to the first seven, a wrong one to the eighth, two left blank.
    for position in positions[:7]:
        qtype, right = key_of(ticket, position)
        saved = terminal.call("put", f"/answers/{position}", json={"response": right, "seq": 1})
        assert saved.status_code == 200, saved.get_json()
        assert saved.get_json()["applied"] is True
    qtype, right = key_of(ticket, positions[7])
    terminal.call(
        "put",
        f"/answers/{positions[7]}",
        json={"response": wrong_response(qtype, right), "seq": 1, "flagged": True},
    )
    assert terminal.call("post", "/heartbeat").get_json()["attempt"]["answered"] == 8

    submitted = terminal.call("post", "/submit").get_json()
    assert submitted["attempt"]["state"] == "submitted"
    result = submitted["result"]
    assert (result["earned"], result["total"], result["score"]) == (7, 10, 70.0)
    assert result["passed"] is True and result["correct"] == 7
    # Submitting again changes nothing; saving after submission is refused.
    assert terminal.call("post", "/submit").get_json()["result"] == result
    late = terminal.call("put", f"/answers/{positions[8]}", json={"response": "true", "seq": 1})
    assert late.status_code == 409
    assert terminal.call("get", "/result").get_json()["result"]["score"] == 70.0

    archive = db.session.scalar(select(AttemptArchive))
    assert archive is not None and len(archive.sha256) == 64
    document = json.loads(archive.document)
    assert document["result"]["score"] == 70.0
    assert [a["position"] for a in document["answers"]] == positions[:8]

    # Nothing a candidate received holds a key, an explanation, or the other candidate.
    for body in terminal.bodies:
        data = json.loads(body)
        assert not FORBIDDEN_KEYS & set(all_keys(data)), body[:200]
        assert other.candidate.name not in body and other.number not in body
        assert ticket.candidate.id_number not in body


def all_keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from all_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from all_keys(inner)


def expected_paper(ticket) -> list[dict]:
    """The ticket's paper as the candidate should see it, from the drawn rows: each question's
    options in its own displayed order, lettered A, B, ..."""
    attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))
    questions = []
    for pq, qv in db.session.execute(
        select(PaperQuestion, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == attempt.paper_id)
        .order_by(PaperQuestion.position)
    ).all():
        options = []
        for shown, original in enumerate(pq.option_order or ""):
            index = "ABCDE".index(original)
            options.append({
                "letter": "ABCDE"[shown],
                "zh": qv.options_zh[index],
                "en": qv.options_en[index] if qv.options_en else None,
            })
        questions.append({
            "position": pq.position,
            "type": qv.type,
            "stem": {"zh": qv.stem_zh, "en": qv.stem_en},
            "options": options,
            "image_url": f"/terminal/images/{pq.position}" if qv.image else None,
        })
    return questions


def test_the_paper_is_each_question_as_drawn_in_the_candidates_order(app, make):
    """Each question as its drawn rows say, on the start's answer and on GET paper: texts
    that JSON must escape, each candidate's own option order, a picture, no English text.
    (The texts are kept per process, api/terminal.py: the second answer comes from there.)"""
    ticket, other = make.exam_tickets(2)
    attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))
    choice, true_false = (
        db.session.execute(
            select(QuestionVersion)
            .join(PaperQuestion, PaperQuestion.question_version_id == QuestionVersion.id)
            .where(PaperQuestion.paper_id == attempt.paper_id, QuestionVersion.type == kind)
            .limit(1)
        ).scalar_one()
        for kind in ("single", "true_false")
    )
    # (Before any paper is served: a served version is kept as it was for the process.)
    choice.stem_zh = '吊钩"额定"起重量\\ 与 </script> \u2028 ₂'
    choice.options_zh = ['一"', *choice.options_zh[1:]]
    choice.options_en = None
    true_false.image = "hook.png"
    db.session.commit()

    papers = {}
    for candidate in (ticket, other):
        terminal = signed_in(app, make, candidate)
        started = terminal.call("post", "/start")
        fetched = terminal.call("get", "/paper")
        assert started.status_code == fetched.status_code == 200
        for response in (started, fetched):
            assert response.mimetype == "application/json"
            body = json.loads(response.get_data(as_text=True))
            assert list(body) == ["attempt", "questions", "answers"]
            assert body["attempt"]["state"] == "in_progress" and body["answers"] == []
            assert body["questions"] == expected_paper(candidate)
        papers[candidate.id] = body["questions"]
    assert papers[ticket.id] != papers[other.id]  # two draws, two orders
    shown = {q["stem"]["zh"] for q in papers[ticket.id]}
    assert choice.stem_zh in shown


def test_saves_are_idempotent_and_a_late_retry_never_overwrites(app, make):
    (ticket,) = make.exam_tickets(1)
    terminal = signed_in(app, make, ticket)
    terminal.call("post", "/start")
    position = terminal.call("get", "/paper").get_json()["questions"][0]["position"]
    qtype, right = key_of(ticket, position)
    wrong = wrong_response(qtype, right)

    assert (
        terminal.call("put", f"/answers/{position}", json={"response": wrong, "seq": 1}).status_code
        == 200
    )
    newer = terminal.call("put", f"/answers/{position}", json={"response": right, "seq": 2})
    assert newer.get_json()["applied"] is True
    # The retry of seq 1 arrives late: acknowledged with what is stored, nothing changes.
    retry = terminal.call(
        "put", f"/answers/{position}", json={"response": wrong, "seq": 1}
    ).get_json()
    assert retry["applied"] is False and retry["response"] == right and retry["seq"] == 2
    # The same save twice is harmless too.
    again = terminal.call(
        "put", f"/answers/{position}", json={"response": right, "seq": 2}
    ).get_json()
    assert again["applied"] is False
    stored = db.session.scalar(select(AttemptAnswer))
    assert (stored.response, stored.seq) == (right, 2)
    assert db.session.scalar(select(func.count()).select_from(AnswerChange)) == 2
    # Clearing an answer is a save too.
    cleared = terminal.call("put", f"/answers/{position}", json={"response": None, "seq": 3})
    assert cleared.get_json()["response"] is None
    assert terminal.call("post", "/heartbeat").get_json()["attempt"]["answered"] == 0


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"response": "Z", "seq": 1}, "$.response"),
        ({"response": "A"}, "$.seq"),
        ({"response": "A", "seq": 0}, "$.seq"),
        ({"response": 3, "seq": 1}, "$.response"),
        ({"response": "A", "seq": 1, "extra": 1}, "$.extra"),
    ],
)
def test_a_bad_save_names_the_field(app, make, body, path):
    (ticket,) = make.exam_tickets(1)
    terminal = signed_in(app, make, ticket)
    terminal.call("post", "/start")
    questions = terminal.call("get", "/paper").get_json()["questions"]
    single = next(q for q in questions if q["type"] == "single")
    response = terminal.call("put", f"/answers/{single['position']}", json=body)
    assert response.status_code == 422
    assert path in [e["path"] for e in response.get_json()["errors"]]
    assert db.session.scalar(select(func.count()).select_from(AttemptAnswer)) == 0


def test_time_is_owned_by_the_server(app, make):
    (ticket,) = make.exam_tickets(1)
    terminal = signed_in(app, make, ticket)
    terminal.call("post", "/start")
    first = terminal.call("get", "/paper").get_json()["questions"][0]["position"]
    attempt = db.session.scalar(select(Attempt))
    # Within the grace period after the deadline a save still counts...
    attempt.deadline_at = now_utc() - timedelta(seconds=30)
    db.session.commit()
    _qtype, right = key_of(ticket, first)
    assert (
        terminal.call("put", f"/answers/{first}", json={"response": right, "seq": 1}).status_code
        == 200
    )
    # ...after it, the paper is submitted by the first request that touches it.
    attempt.deadline_at = now_utc() - timedelta(seconds=61)
    db.session.commit()
    refused = terminal.call("put", f"/answers/{first}", json={"response": right, "seq": 2})
    assert refused.status_code == 409 and refused.get_json()["error"] == "time_up"
    db.session.refresh(attempt)
    assert attempt.state == "submitted" and attempt.submitted_by == "deadline"
    assert attempt.result.earned == 1


def test_overdue_papers_are_submitted_by_the_job(app, make):
    from examcentre.exams.operations import submit_overdue

    tickets = make.exam_tickets(2)
    for ticket in tickets:
        signed_in(app, make, ticket).call("post", "/start")
    late, on_time = db.session.scalars(select(Attempt).order_by(Attempt.id)).all()
    late.deadline_at = now_utc() - timedelta(minutes=5)
    db.session.commit()
    assert submit_overdue() == 1
    db.session.commit()
    assert (late.state, on_time.state) == ("submitted", "in_progress")
    assert late.result is not None and late.result.score == 0.0


def test_the_result_is_hidden_when_the_session_says_so(app, make):
    (ticket,) = make.exam_tickets(1)
    ticket.session.show_result = False
    db.session.commit()
    terminal = signed_in(app, make, ticket)
    terminal.call("post", "/start")
    body = terminal.call("post", "/submit").get_json()
    assert body["result"] is None
    assert terminal.call("get", "/result").get_json()["shown"] is False
    assert all('"score"' not in b for b in terminal.bodies)


def test_a_second_terminal_is_refused_and_another_browser_is_not_the_candidate(app, make):
    first, second = make.exam_tickets(2)
    signed_in(app, make, first)
    elsewhere = app.test_client()
    make.at_terminal(elsewhere, second.terminal_id)
    refused = elsewhere.post(
        API + "/sign-in",
        json={"ticket_number": first.number, "id_number": first.candidate.id_number},
    )
    assert refused.status_code == 409 and refused.get_json()["error"] == "active_elsewhere"
    anonymous = app.test_client()
    assert anonymous.get(API + "/exam").status_code == 401
    wrong = app.test_client()
    make.at_terminal(wrong, first.terminal_id)
    bad = wrong.post(API + "/sign-in", json={"ticket_number": first.number, "id_number": "1"})
    assert bad.status_code == 401


def test_the_exam_does_not_start_before_the_session(app, make):
    (ticket,) = make.exam_tickets(1, start=False)
    terminal = signed_in(app, make, ticket)
    refused = terminal.call("post", "/start")
    assert refused.status_code == 409 and refused.get_json()["error"] == "not_started"


def test_the_candidate_downloads_a_result_slip(app, make):
    import subprocess

    (ticket,) = make.exam_tickets(1)
    terminal = signed_in(app, make, ticket)
    assert terminal.client.get("/terminal/result.pdf").status_code == 404  # nothing yet
    terminal.call("post", "/start")
    url = terminal.call("post", "/submit").get_json()["result"]["slip_url"]
    pdf = terminal.client.get(url)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    assert ticket.candidate.name in text and ticket.number in text
    assert "不合格" in text and ticket.candidate.id_number not in text
