"""The exam page's shell (/terminal/): what the server renders for static/js/exam.js; and
two rules of the terminal API the page relies on."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from examcentre.clock import now_utc
from examcentre.exams import operations as exam_ops
from examcentre.extensions import db
from examcentre.models import Attempt

from ..factories import TEST_ACTOR

EXAM_JS = Path(__file__).resolve().parents[2] / "examcentre/static/js/exam.js"
# Strings exam.js looks up by a computed name: T[`type_${type}`], T[`hint_${type}`], T[state].
COMPUTED = {f"{prefix}_{qtype}" for prefix in ("type", "hint")
            for qtype in ("true_false", "single", "multiple")} | {"saved", "saving", "offline"}


def signed_in(app, make):
    (ticket,) = make.exam_tickets(1)
    client = app.test_client()
    make.at_terminal(client, ticket.terminal_id)
    response = client.post("/api/v1/terminal/sign-in", json={
        "ticket_number": ticket.number, "id_number": ticket.candidate.id_number})
    assert response.status_code == 200, response.get_json()
    return ticket, client


def signed_in_page(app, make, language: str):
    ticket, client = signed_in(app, make)
    client.get(f"/lang/{'zh_CN' if language == 'zh' else 'en'}")
    page = client.get("/terminal/")
    assert page.status_code == 200
    return ticket, page.get_data(as_text=True)


def strings_of(html: str) -> dict[str, str]:
    blob = re.search(r'<script type="application/json" id="exam-strings">(.*?)</script>',
                     html, re.S)
    return json.loads(blob.group(1))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_page_carries_every_string_the_script_uses(app, make, language):
    ticket, html = signed_in_page(app, make, language)
    strings = strings_of(html)
    used = set(re.findall(r"\bT\.(\w+)", EXAM_JS.read_text(encoding="utf-8"))) | COMPUTED
    assert sorted(used - strings.keys()) == []
    assert all(isinstance(text, str) and text for text in strings.values())
    # The placeholders the script fills are kept by the translation.
    assert "{n}" in strings["question_of"] and "{total}" in strings["question_of"]
    if language == "zh":
        assert strings["saved"] == "已保存" and strings["true"] == "正确"
        assert strings["offline"] == "离线，答案保存在本机"
    else:
        assert strings["pass"] == "Pass" and strings["false"] == "False"
    assert ticket.candidate.name in html


def test_the_page_knows_the_api_the_token_and_the_heartbeat(app, make):
    app.config["EXAM_HEARTBEAT_SECONDS"] = 7
    ticket, html = signed_in_page(app, make, "zh")
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    assert 'data-heartbeat-seconds="7"' in html
    assert f'data-ticket="{ticket.number}"' in html
    for name, url in {
        "exam": "/api/v1/terminal/exam", "start": "/api/v1/terminal/start",
        "paper": "/api/v1/terminal/paper", "heartbeat": "/api/v1/terminal/heartbeat",
        "submit": "/api/v1/terminal/submit", "result": "/api/v1/terminal/result",
        "answers": "/api/v1/terminal/answers/",
    }.items():
        assert f'data-api-{name}="{url}"' in html
    assert "/static/js/exam.js" in html
    # The shell holds no paper: questions come from the API once the candidate starts.
    assert ticket.candidate.id_number not in html


def test_the_heartbeat_interval_is_a_documented_setting(app):
    from examcentre.config import DefaultConfig

    assert DefaultConfig.EXAM_HEARTBEAT_SECONDS == 15
    assert DefaultConfig.EXAM_HEARTBEAT_SECONDS < DefaultConfig.HEARTBEAT_LOST_SECONDS


def test_a_paused_paper_is_handed_in_by_the_invigilator_only(app, make):
    ticket, client = signed_in(app, make)
    client.post("/api/v1/terminal/start")
    attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))
    exam_ops.pause(attempt, TEST_ACTOR, "a candidate is unwell")
    db.session.commit()
    refused = client.post("/api/v1/terminal/submit")
    assert refused.status_code == 409 and refused.get_json()["error"] == "paused"
    db.session.refresh(attempt)
    assert attempt.state == "paused" and attempt.result is None


def test_the_page_submitting_when_time_is_up_is_the_deadline_submitting(app, make):
    # At zero the page hands the paper in itself (within the grace period for saves).
    ticket, client = signed_in(app, make)
    client.post("/api/v1/terminal/start")
    attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))
    attempt.deadline_at = now_utc() - timedelta(seconds=2)
    db.session.commit()
    body = client.post("/api/v1/terminal/submit").get_json()
    assert body["attempt"]["state"] == "submitted"
    db.session.refresh(attempt)
    assert attempt.submitted_by == "deadline"


def test_the_sign_in_page_records_the_sign_in_for_the_archive_and_the_exam_page_only_reads(
    app, make
):
    """The terminals sign in through the form (/auth/terminal): the sign-in is an event of
    the candidate's attempt (the archive lists it), made in the sign-in's transaction, so
    that the exam page the whole room opens next writes nothing."""
    from sqlalchemy import event

    from examcentre.models import AttemptEvent

    (ticket,) = make.exam_tickets(1)
    client = app.test_client()
    make.at_terminal(client, ticket.terminal_id)
    response = client.post("/auth/terminal", data={  # (the tests run without CSRF)
        "ticket_number": ticket.number, "id_number": ticket.candidate.id_number})
    # The sign-in answers with the exam page itself (one request fewer for the room), with
    # the exam's state embedded, never cached, and its own address for the history.
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="exam-app"' in page and 'data-page-url="/terminal/"' in page
    assert '"state": "ready"' in page
    assert response.headers["Cache-Control"] == "no-store"
    attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))
    assert attempt is not None and attempt.state == "ready"
    events = db.session.scalars(
        select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id)
    ).all()
    assert [(e.kind, e.terminal_id) for e in events] == [("sign_in", ticket.terminal_id)]

    writes = []

    def note(_conn, _cursor, statement, *_args):
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get("/terminal/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert writes == []


def test_the_exam_page_a_sign_in_answers_with_carries_a_token_of_the_new_session(
    database_url, make
):
    """With CSRF on, as in production: the sign-in starts a new session, so the exam page it
    answers with must carry that session's token (Flask-WTF also keeps the sign-in form's
    token for the request), or the candidate's first click, start, is refused."""
    from tests.conftest import make_app

    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        (ticket,) = make.exam_tickets(1)
        client = app.test_client()
        make.at_terminal(client, ticket.terminal_id)
        form = client.get("/auth/terminal").get_data(as_text=True)
        form_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        page = client.post("/auth/terminal", data={
            "csrf_token": form_token,
            "ticket_number": ticket.number,
            "id_number": ticket.candidate.id_number,
        }).get_data(as_text=True)
        api_token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        started = client.post("/api/v1/terminal/start", headers={"X-CSRFToken": api_token})
        assert started.status_code == 200, started.get_data(as_text=True)
        assert started.get_json()["questions"]


def test_the_language_only_parts_of_the_exam_page_are_rendered_once_and_hold_no_candidate(
    app, make, monkeypatch
):
    """The exam page's screens, dialogs and script strings are rendered once per language
    and kept (i18n.rendered_per_language): they are on every candidate's page, in the
    candidate's language, and hold nothing of the candidate who happened to render them."""
    from examcentre.i18n import rendered_per_language

    first, second = make.exam_tickets(2)
    pages = {}
    for ticket, language in ((first, "zh-CN"), (second, "zh-CN"), (first, "en")):
        client = app.test_client()
        make.at_terminal(client, ticket.terminal_id)
        response = client.post("/auth/terminal", headers={"Accept-Language": language}, data={
            "ticket_number": ticket.number, "id_number": ticket.candidate.id_number})
        pages[ticket.number, language] = response.get_data(as_text=True)
    kept = app.extensions["examcentre.rendered_per_language"]
    assert {language for (_name, language) in kept} == {"zh_CN", "en"}
    for (name, _language), html in kept.items():
        for ticket in (first, second):
            assert ticket.number not in html and ticket.candidate.name not in html, name
        assert "csrf" not in html.lower(), name
    for (number, language), page in pages.items():
        assert 'id="screen-exam"' in page and 'id="submit-dialog"' in page
        assert number in page
        if language == "en":
            assert "Answer sheet" in page and "答题卡" not in page
        else:
            assert "答题卡" in page and "Answer sheet" not in page

    # A part that asked for per-request data is refused rather than kept for everyone.
    template = app.jinja_env.from_string("{{ csrf_token() }}")
    monkeypatch.setattr(app.jinja_env, "get_template", lambda _name: template)
    with app.test_request_context(), pytest.raises(RuntimeError, match="per-request"):
        rendered_per_language("terminal/_a_part_with_a_token.html")


def test_the_sign_in_reads_the_attempt_with_the_ticket_and_makes_none(app, make):
    """The attempt is made at release with the paper (exams.operations.make_ready_attempts);
    the sign-in reads it and its paper's question count in the same query as the ticket,
    makes none, and its exam page embeds it without reading it again (the whole room signs
    in at once)."""
    from sqlalchemy import event

    (ticket,) = make.exam_tickets(1)
    made_at_release = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))
    assert made_at_release.state == "ready"
    client = app.test_client()
    make.at_terminal(client, ticket.terminal_id)
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()).upper())

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        page = client.post("/auth/terminal", data={
            "ticket_number": ticket.number, "id_number": ticket.candidate.id_number})
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert '"state": "ready"' in page.get_data(as_text=True)
    assert [s for s in statements if "FROM ADMISSION_TICKETS LEFT OUTER JOIN ATTEMPTS" in s]
    of_attempts = ("SELECT ATTEMPTS.", "INSERT INTO ATTEMPTS")
    assert [s for s in statements if s.startswith(of_attempts)] == []
    # The paper's question count, which the page shows, came with the ticket too.
    assert '"question_count": 10' in page.get_data(as_text=True)
    assert [s for s in statements if s.startswith("SELECT COUNT(")] == []
    db.session.expire_all()
    assert db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id)).id == (
        made_at_release.id)


def test_a_paper_drawn_without_its_attempt_gets_it_at_sign_in(app, make):
    """Papers drawn before attempts were made at release have none: the sign-in makes it,
    ready, with the paper's duration (and a second sign-in finds it)."""
    from sqlalchemy import delete

    (ticket,) = make.exam_tickets(1)
    db.session.execute(delete(Attempt).where(Attempt.ticket_id == ticket.id))
    db.session.commit()
    for _ in range(2):
        client = app.test_client()
        make.at_terminal(client, ticket.terminal_id)
        response = client.post("/api/v1/terminal/sign-in", json={
            "ticket_number": ticket.number, "id_number": ticket.candidate.id_number})
        assert response.status_code == 200  # (the same terminal: a second sign-in is fine)
    attempts = db.session.scalars(select(Attempt).where(Attempt.ticket_id == ticket.id)).all()
    assert len(attempts) == 1 and attempts[0].state == "ready"
    assert attempts[0].duration_seconds == 10 * 60  # the factory's short paper


@pytest.mark.parametrize("accept_language", ["zh-CN", "en"])
def test_the_exam_page_is_the_kept_shell_with_the_candidate_own_values_escaped(
    app, make, accept_language
):
    """The exam page is rendered once per language with markers in place of the candidate's
    values and kept (web/terminal.py, ExamPageShell); each page fills in its candidate's.
    Filled in, it is exactly the page the template renders for that candidate, with every
    value escaped as the template escapes it, and the kept shell holds nobody's values."""
    from flask import render_template
    from flask_login import login_user

    from examcentre.web.terminal import page_constants, page_shell, page_values

    first, second = make.exam_tickets(2)
    second.candidate.name = """<script>alert("O'Brien & 张")</script>"""
    second.centre.name = "A & B <考试中心>"
    db.session.commit()
    pages = {}
    for ticket in (first, second):
        client = app.test_client()
        make.at_terminal(client, ticket.terminal_id)
        response = client.post("/auth/terminal", headers={"Accept-Language": accept_language},
                               data={"ticket_number": ticket.number,
                                     "id_number": ticket.candidate.id_number})
        assert response.status_code == 200
        pages[ticket.number] = response.get_data(as_text=True)

    page = pages[second.number]
    assert "<script>alert" not in page  # escaped, never markup
    assert "&lt;script&gt;alert(&#34;O&#39;Brien &amp; 张&#34;)&lt;/script&gt;" in page
    assert "A &amp; B &lt;考试中心&gt;" in page
    assert first.candidate.name not in page and first.number not in page
    assert second.number in page and first.number in pages[first.number]

    shells = app.extensions["examcentre.exam_page_shells"]
    assert len(shells) == 1  # one language, seated candidates: one shell for both
    (shell,) = shells.values()
    kept = "".join(shell.literals)
    for ticket in (first, second):
        assert ticket.number not in kept and ticket.candidate.name not in kept
    assert set(shell.slots) == {"candidate_name", "ticket_number", "terminal_code", "item_name",
                                "centre_name", "csrf_token", "exam_state_json"}

    # The filled shell is the template's own page for the candidate (same language, token).
    with app.test_request_context("/terminal/", headers={"Accept-Language": accept_language}):
        login_user(second)
        values = page_values(second, {"attempt": {"state": "ready"}})
        rendered = render_template("terminal/home.html", **page_constants(), **values,
                                   csrf_token=lambda: "a-token-of-this-session")
        language = "en" if accept_language == "en" else "zh_CN"
        filled = page_shell(language, True).fill(**values, csrf_token="a-token-of-this-session")
    assert filled == rendered


def test_a_flashed_message_on_the_exam_page_is_shown(app, make):
    """A page with a message to show is rendered whole (the kept shell has no messages)."""
    ticket, client = signed_in(app, make)
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "A message <for> you")]
    page = client.get("/terminal/").get_data(as_text=True)
    assert "A message &lt;for&gt; you" in page and ticket.number in page
    assert "examcentre.exam_page_shells" not in app.extensions or all(
        "A message" not in "".join(s.literals)
        for s in app.extensions["examcentre.exam_page_shells"].values()
    )


def test_the_sign_in_and_the_start_write_last_and_commit_at_once(app, make):
    """A room signs in and starts at once, and a writer holds SQLite's write lock
    (PostgreSQL: the rows it wrote) from its first write to its commit: so the sign-in and
    the start read everything first, write together, commit, and only then render their
    answer. Here: no read between a request's first write and
    its commit."""
    from sqlalchemy import event

    (ticket,) = make.exam_tickets(1)
    client = app.test_client()
    make.at_terminal(client, ticket.terminal_id)
    log: list[str] = []

    def statement(_conn, _cursor, sql, *_args):
        log.append(sql.lstrip().split()[0].upper())

    def commit(_conn):
        log.append("COMMIT")

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "commit", commit)
    try:
        log.clear()
        page = client.post("/auth/terminal", data={
            "ticket_number": ticket.number, "id_number": ticket.candidate.id_number})
        assert page.status_code == 200
        sign_in = list(log)
        log.clear()
        started = client.post("/api/v1/terminal/start")
        assert started.status_code == 200 and started.get_json()["questions"]
        start = list(log)
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "commit", commit)

    for name, log_of_request in (("sign-in", sign_in), ("start", start)):
        first_write = next(i for i, s in enumerate(log_of_request)
                           if s in ("INSERT", "UPDATE", "DELETE"))
        commit_at = log_of_request.index("COMMIT", first_write)
        between = log_of_request[first_write:commit_at]
        assert "SELECT" not in between, (name, log_of_request)


def test_a_candidate_sign_in_is_an_attempt_event_and_in_the_audit_log_only_without_a_paper(
    app, make
):
    """The sign-in with a paper drawn is an event of the attempt (sealed into its archive,
    whose hash is in the audit chain), not also an entry in the chain, whose one head row a
    room signing in at once would queue on. Before any paper is drawn there is no attempt to
    hold it, and the audit log keeps it."""
    from sqlalchemy import delete

    from examcentre.models import AttemptEvent, AuditEntry, Paper, PaperQuestion

    def sign_in_entries(ticket):
        return db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "auth.sign_in", AuditEntry.object_type == "admission_tickets",
            AuditEntry.object_id == str(ticket.id))).all()

    def sign_in(ticket, path="/auth/terminal", body="data"):
        client = app.test_client()
        make.at_terminal(client, ticket.terminal_id)
        fields = {"ticket_number": ticket.number, "id_number": ticket.candidate.id_number}
        response = client.post(path, **{body: fields})
        assert response.status_code == 200, path

    with_paper, without_paper = make.exam_tickets(2)
    sign_in(with_paper)
    sign_in(with_paper, "/api/v1/terminal/sign-in", "json")
    attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == with_paper.id))
    kinds = db.session.scalars(select(AttemptEvent.kind).where(
        AttemptEvent.attempt_id == attempt.id)).all()
    assert kinds == ["sign_in", "sign_in"]
    assert sign_in_entries(with_paper) == []

    paper_id = db.session.scalar(select(Paper.id).where(Paper.ticket_id == without_paper.id))
    db.session.execute(delete(Attempt).where(Attempt.ticket_id == without_paper.id))
    db.session.execute(delete(PaperQuestion).where(PaperQuestion.paper_id == paper_id))
    db.session.execute(delete(Paper).where(Paper.id == paper_id))
    db.session.commit()
    sign_in(without_paper)
    assert db.session.scalar(select(Attempt).where(Attempt.ticket_id == without_paper.id)) is None
    assert len(sign_in_entries(without_paper)) == 1
