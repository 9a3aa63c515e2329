"""The timed theory exam in a real browser: the candidate's page at a registered terminal
(templates/terminal/home.html + static/js/exam.js) against the live terminal API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examcentre.clock import now_utc
from examcentre.exams import operations as exam_ops
from examcentre.exams.grading import original_to_displayed
from examcentre.extensions import db
from examcentre.models import (
    AdmissionTicket,
    Attempt,
    AttemptAnswer,
    Paper,
    PaperQuestion,
    QuestionVersion,
)
from examcentre.papers.blueprint import Spec

from ..factories import TEST_ACTOR
from .conftest import screenshot

pytestmark = pytest.mark.browser

TABLET = (1024, 768)
ANSWERS = "**/api/v1/terminal/answers/*"


@dataclass(frozen=True)
class Question:
    position: int
    type: str
    key: str  # the right response, in the letters the candidate sees ("B", "AD", "true")
    options: int


@dataclass(frozen=True)
class Seat:
    ticket_id: int
    number: str
    id_number: str
    token: str
    questions: tuple[Question, ...]

    def of_type(self, qtype: str) -> list[Question]:
        return [q for q in self.questions if q.type == qtype]


@pytest.fixture(autouse=True)
def quick_heartbeat(app):
    # The page re-synchronises its clock and state on every heartbeat (15 s in production).
    app.config["EXAM_HEARTBEAT_SECONDS"] = 1


def seat_for(make, spec=None) -> Seat:
    """One checked-in candidate with a drawn paper (by default 10 questions, 10 minutes), the
    session running."""
    (ticket,) = make.exam_tickets(1, spec=spec)
    paper = db.session.scalar(select(Paper).where(Paper.ticket_id == ticket.id))
    rows = db.session.execute(
        select(PaperQuestion, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == paper.id)
        .order_by(PaperQuestion.position)
    ).all()
    questions = tuple(
        Question(
            pq.position,
            qv.type,
            qv.answer if qv.type == "true_false"
            else original_to_displayed(qv.answer, pq.option_order),
            len(pq.option_order or ""),
        )
        for pq, qv in rows
    )
    seat = Seat(ticket.id, ticket.number, ticket.candidate.id_number,
                make.tokens[ticket.terminal_id], questions)
    db.session.remove()  # the live server writes from now on
    return seat


def give_picture(app, seat: Seat, position: int) -> None:
    """Attach a picture to one question of the paper, stored as the bank stores pictures."""
    from PIL import Image, ImageDraw

    paper = db.session.scalar(select(Paper).where(Paper.ticket_id == seat.ticket_id))
    version = db.session.scalar(
        select(QuestionVersion)
        .join(PaperQuestion, PaperQuestion.question_version_id == QuestionVersion.id)
        .where(PaperQuestion.paper_id == paper.id, PaperQuestion.position == position)
    )
    folder = Path(app.instance_path) / "bank-images" / str(version.centre_id)
    folder.mkdir(parents=True, exist_ok=True)
    picture = Image.new("RGB", (480, 320), (236, 241, 246))
    draw = ImageDraw.Draw(picture)  # a hook under a beam, enough to see that it is a picture
    draw.rectangle((40, 40, 440, 70), fill=(31, 78, 121))
    draw.line((240, 70, 240, 200), fill=(60, 60, 60), width=4)
    draw.arc((200, 190, 280, 270), 0, 200, fill=(200, 120, 20), width=10)
    picture.save(folder / "e2e-hook.png")
    version.image = "e2e-hook.png"
    db.session.commit()
    db.session.remove()


def sign_in(page, live_server: str, seat: Seat) -> None:
    page.context.add_cookies(
        [{"name": "examcentre_terminal", "value": seat.token, "url": live_server}]
    )
    page.goto(live_server + "/auth/terminal")
    page.locator("#ticket_number").fill(seat.number)
    page.locator("#id_number").fill(seat.id_number)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#screen-ready")).to_be_visible()


def start(page) -> None:
    page.locator("#start-button").click()
    expect(page.locator("#screen-exam")).to_be_visible()


def go_to(page, position: int) -> None:
    page.locator(f'.q-cell[data-position="{position}"]').click()
    expect(page.locator(".q-cell.current")).to_have_text(str(position))


def answer_with_keys(page, question: Question, response: str) -> None:
    """Type a response: T/F for true/false, the letters for choice questions."""
    go_to(page, question.position)
    if question.type == "true_false":
        page.keyboard.press("t" if response == "true" else "f")
    else:
        for letter in response:
            page.keyboard.press(letter.lower())


def option(page, letter: str):
    return page.locator(".q-option").filter(has=page.locator(".q-mark", has_text=letter))


def saved(page, text: str = "已保存") -> None:
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saved")
    expect(page.locator("#save-text")).to_have_text(text)


def stored_answers(ticket_id: int) -> dict[int, tuple[str | None, bool, int]]:
    db.session.remove()  # a fresh read of what the server committed
    attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket_id))
    rows = db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
    ).all()
    answers = {a.position: (a.response, a.flagged, a.seq) for a in rows}
    db.session.remove()
    return answers


def attempt_of(ticket_id: int) -> Attempt:
    return db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket_id))


def test_candidate_starts_and_answers_with_the_mouse_and_the_keyboard(
    app, live_server, page_for, make
):
    seat = seat_for(make)
    tf1, tf2 = seat.of_type("true_false")[:2]
    single1, single2 = seat.of_type("single")[:2]
    multi1, multi2 = seat.of_type("multiple")[:2]
    give_picture(app, seat, single1.position)
    page = page_for("zh-CN")
    sign_in(page, live_server, seat)
    expect(page.locator("#ready-count")).to_have_text("10")
    expect(page.locator("#ready-duration")).to_have_text("10 分钟")
    screenshot(page, "exam-ready-zh")
    start(page)
    expect(page.locator("#q-number")).to_have_text("第 1 题，共 10 题")
    expect(page.locator("#clock-time")).to_have_text(re.compile(r"^(10:00|0\d:\d\d)$"))
    expect(page.locator(".q-cell")).to_have_count(10)

    # The mouse: a true/false button, a single choice, two options of a multiple choice.
    go_to(page, tf1.position)
    page.get_by_text("正确", exact=True).click()
    go_to(page, single1.position)
    picture = page.get_by_role("img", name=f"第 {single1.position} 题的图片")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 480
    option(page, "B").click()
    go_to(page, multi1.position)
    option(page, "A").click()
    option(page, "C").click()
    expect(page.locator(".q-option.is-selected")).to_have_count(2)

    # The keyboard: F answers false on a true/false question; letters and digits choose,
    # and toggle on a multiple choice; F flags a choice question; arrows move.
    go_to(page, tf2.position)
    page.keyboard.press("f")
    expect(page.locator(".q-option.is-selected .q-text")).to_have_text("错误")
    go_to(page, single2.position)
    page.keyboard.press("3")
    expect(page.locator(".q-option.is-selected .q-mark")).to_have_text("C")
    page.keyboard.press("f")
    expect(page.locator("#flag-button")).to_have_attribute("aria-pressed", "true")
    go_to(page, multi2.position)
    for key in ("a", "d", "d", "b"):
        page.keyboard.press(key)
    expect(page.locator(".q-option.is-selected .q-mark")).to_have_text(["A", "B"])
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".q-cell.current")).to_have_text(str(multi2.position - 1))
    page.keyboard.press("Enter")
    expect(page.locator(".q-cell.current")).to_have_text(str(multi2.position))

    expect(page.locator(".q-cell.answered")).to_have_count(6)
    expect(page.locator(".q-cell.flagged")).to_have_count(1)
    saved(page)
    go_to(page, single1.position)
    screenshot(page, "exam-question-zh")
    go_to(page, tf1.position)
    screenshot(page, "exam-true-false-zh")

    answers = stored_answers(seat.ticket_id)
    assert {p: (r, f) for p, (r, f, _seq) in answers.items()} == {
        tf1.position: ("true", False),
        single1.position: ("B", False),
        multi1.position: ("AC", False),
        tf2.position: ("false", False),
        single2.position: ("C", True),
        multi2.position: ("AB", False),
    }


def test_a_reload_restores_every_answer_and_unsent_saves(live_server, page_for, make):
    seat = seat_for(make)
    tf1 = seat.of_type("true_false")[0]
    single1, single2 = seat.of_type("single")[:2]
    multi1 = seat.of_type("multiple")[0]
    page = page_for("zh-CN")
    sign_in(page, live_server, seat)
    start(page)
    answer_with_keys(page, tf1, "false")
    answer_with_keys(page, single1, "D")
    page.keyboard.press("f")  # flagged
    answer_with_keys(page, multi1, "BC")
    saved(page)

    # Saves that never reach the server are kept on this computer, across a reload too.
    page.route(ANSWERS, lambda route: route.abort())
    answer_with_keys(page, single2, "A")
    expect(page.locator("#save-state")).not_to_have_attribute("data-state", "saved")
    # The page came as the sign-in's answer; a reload fetches the exam page at its own
    # address and never posts the sign-in form again.
    page.wait_for_url("**/terminal/")
    reloaded = []
    page.on("request", lambda r: r.is_navigation_request() and reloaded.append(
        (r.method, r.url.removeprefix(live_server))))
    page.reload()
    expect(page.locator("#screen-exam")).to_be_visible()
    assert reloaded == [("GET", "/terminal/")]
    expect(page.locator(".q-cell.answered")).to_have_count(4)
    expect(page.locator(".q-cell.flagged")).to_have_text(str(single1.position))
    expect(page.locator(".q-cell.current")).to_have_text(str(single2.position))
    expect(page.locator(".q-option.is-selected .q-mark")).to_have_text("A")
    go_to(page, single1.position)
    expect(page.locator(".q-option.is-selected .q-mark")).to_have_text("D")
    expect(page.locator("#flag-button")).to_have_attribute("aria-pressed", "true")
    go_to(page, multi1.position)
    expect(page.locator(".q-option.is-selected .q-mark")).to_have_text(["B", "C"])
    go_to(page, tf1.position)
    expect(page.locator(".q-option.is-selected .q-text")).to_have_text("错误")
    assert single2.position not in stored_answers(seat.ticket_id)

    # The connection comes back: the buffered save is sent with its seq.
    page.unroute(ANSWERS)
    saved(page)
    answers = stored_answers(seat.ticket_id)
    assert answers[single2.position][:2] == ("A", False)
    assert answers[single1.position] == ("D", True, 2)


def test_answers_given_offline_reach_the_server_when_it_returns(live_server, page_for, make):
    seat = seat_for(make)
    tf1, tf2 = seat.of_type("true_false")[:2]
    single1 = seat.of_type("single")[0]
    page = page_for("zh-CN")
    sign_in(page, live_server, seat)
    start(page)
    answer_with_keys(page, tf1, "true")
    saved(page)

    page.context.set_offline(True)
    answer_with_keys(page, tf2, "false")
    go_to(page, single1.position)
    option(page, "C").click()
    page.locator("#flag-button").click()
    expect(page.locator("#save-state")).to_have_attribute("data-state", "offline")
    expect(page.locator("#save-text")).to_have_text("离线，答案保存在本机")
    screenshot(page, "exam-offline-zh")

    page.context.set_offline(False)
    saved(page)
    answers = stored_answers(seat.ticket_id)
    assert {p: (r, f) for p, (r, f, _seq) in answers.items()} == {
        tf1.position: ("true", False),
        tf2.position: ("false", False),
        single1.position: ("C", True),
    }


def test_time_runs_out_and_the_paper_is_submitted_and_graded(live_server, page_for, make):
    seat = seat_for(make)
    tf1 = seat.of_type("true_false")[0]
    page = page_for("zh-CN")
    sign_in(page, live_server, seat)
    start(page)
    answer_with_keys(page, tf1, tf1.key)
    saved(page)

    # The page follows the server's deadline: five minutes left shows the warning...
    attempt = attempt_of(seat.ticket_id)
    attempt.deadline_at = now_utc() + timedelta(minutes=4, seconds=30)
    db.session.commit()
    db.session.remove()
    expect(page.locator("#time-warning")).to_be_visible()
    expect(page.locator("#time-warning-text")).to_have_text("还剩 5 分钟。")
    expect(page.locator("#exam-clock")).to_have_class("exam-clock is-critical")
    screenshot(page, "exam-warning-zh")

    # ...and at zero it submits and shows the graded result: 1 point of 10.
    attempt = attempt_of(seat.ticket_id)
    attempt.deadline_at = now_utc() + timedelta(seconds=3)
    db.session.commit()
    db.session.remove()
    expect(page.locator("#screen-result")).to_be_visible()
    expect(page.locator("#result-score")).to_have_text("10.0")
    expect(page.locator("#result-verdict")).to_have_text("不合格")
    expect(page.locator("#result-detail")).to_contain_text("10 题中答对 1 题")
    screenshot(page, "exam-result-fail-zh")
    attempt = attempt_of(seat.ticket_id)
    assert attempt.state == "submitted" and attempt.submitted_by == "deadline"
    assert attempt.result.earned == 1
    db.session.remove()


BEATS_OF_A_WAITING_PAGE = """performance.getEntriesByType("resource")
    .filter((entry) => entry.name.endsWith("/api/v1/terminal/exam"))
    .map((entry) => [entry.startTime, entry.responseEnd])"""


def test_a_room_of_terminals_does_not_beat_at_once(app, live_server, page_for, make):
    """The page waits a random part of the interval for its first heartbeat and the interval
    give or take a tenth for each later one (static/js/exam.js): a room that opened its pages
    together would otherwise beat together for the whole exam. Math.random is pinned to
    each end of its range; times are the browser's own (resource timing), the ready page's
    beats (GET exam) measured from the end of one to the start of the next."""
    app.config["EXAM_HEARTBEAT_SECONDS"] = 4
    seat = seat_for(make)
    page = page_for("zh-CN")
    page.add_init_script("Math.random = () => 0;")
    sign_in(page, live_server, seat)  # the ready screen: it polls GET exam on every beat
    page.wait_for_function(f"() => ({BEATS_OF_A_WAITING_PAGE}).length >= 1")
    page.wait_for_timeout(500)  # (the wait after the first beat has begun: 0.9 x 4 s)
    page.evaluate("Math.random = () => 0.9999;")
    page.wait_for_function(f"() => ({BEATS_OF_A_WAITING_PAGE}).length >= 3",
                           timeout=30_000)
    beats = page.evaluate(BEATS_OF_A_WAITING_PAGE)
    loaded = page.evaluate('performance.getEntriesByType("navigation")[0].responseEnd')

    first = (beats[0][0] - loaded) / 1000  # at least 0.25 x 4 s after the page's start-up
    shortest = (beats[1][0] - beats[0][1]) / 1000  # 0.9 x 4 s
    longest = (beats[2][0] - beats[1][1]) / 1000  # 1.1 x 4 s
    assert 0.95 <= first < 2.5, beats  # a fixed interval would wait 4 s
    assert 3.55 <= shortest < 3.95, beats
    assert 4.35 <= longest < 5.5, beats


def test_submitting_asks_first_and_lists_what_is_open(live_server, page_for, make):
    seat = seat_for(make)
    page = page_for("en", viewport=TABLET)
    sign_in(page, live_server, seat)
    start(page)
    skipped = {seat.questions[2].position, seat.questions[6].position}
    for question in seat.questions:
        if question.position not in skipped:
            answer_with_keys(page, question, question.key)
    flagged = seat.of_type("multiple")[0]
    go_to(page, flagged.position)
    page.locator("#flag-button").click()
    saved(page, "Saved")
    screenshot(page, "exam-question-en-tablet")

    page.get_by_role("button", name="Submit paper").click()
    dialog = page.get_by_role("dialog", name="Submit your paper?")
    expect(dialog).to_be_visible()
    expect(page.locator("#submit-answered")).to_have_text("You have answered 8 of 10 questions.")
    expect(page.locator("#submit-unanswered")).to_have_text(", ".join(map(str, sorted(skipped))))
    expect(page.locator("#submit-flagged")).to_have_text(str(flagged.position))
    expect(page.locator("#submit-cancel")).to_be_focused()
    screenshot(page, "exam-submit-dialog-en")
    # Esc goes back to the paper, and the exam's keys are the dialog's no more.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#screen-exam")).to_be_visible()
    assert attempt_of(seat.ticket_id).state == "in_progress"
    db.session.remove()

    page.get_by_role("button", name="Submit paper").click()
    page.keyboard.press("a")  # a key pressed in the dialog answers nothing
    page.get_by_role("button", name="Submit now").click()
    expect(page.locator("#screen-result")).to_be_visible()
    expect(page.locator("#result-score")).to_have_text("80.0")
    expect(page.locator("#result-verdict")).to_have_text("Pass")
    screenshot(page, "exam-result-en")
    slip = page.locator("#result-slip").get_attribute("href")
    response = page.request.get(live_server + slip)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    attempt = attempt_of(seat.ticket_id)
    assert attempt.state == "submitted" and attempt.submitted_by == "candidate"
    assert attempt.result.earned == 8
    db.session.remove()


def test_the_invigilator_pauses_resumes_and_moves_the_candidate(live_server, page_for, make):
    seat = seat_for(make)
    single1 = seat.of_type("single")[0]
    page = page_for("zh-CN")
    sign_in(page, live_server, seat)
    start(page)
    go_to(page, single1.position)

    exam_ops.pause(attempt_of(seat.ticket_id), TEST_ACTOR, "fire alarm drill")
    db.session.commit()
    db.session.remove()
    overlay = page.get_by_role("dialog", name="考试已由监考人员暂停")
    expect(overlay).to_be_visible()
    screenshot(page, "exam-paused-zh")
    page.keyboard.press("b")  # nothing happens behind the overlay
    exam_ops.resume(attempt_of(seat.ticket_id), TEST_ACTOR)
    db.session.commit()
    db.session.remove()
    expect(overlay).to_be_hidden()
    expect(page.locator(".q-cell.answered")).to_have_count(0)
    page.keyboard.press("b")
    saved(page)
    assert stored_answers(seat.ticket_id)[single1.position][0] == "B"

    # Moved to another terminal: the page says so and returns to the sign-in page.
    ticket = db.session.get(AdmissionTicket, seat.ticket_id)
    ticket.active_terminal_id = None
    db.session.commit()
    db.session.remove()
    expect(page.locator("#exam-notice")).to_contain_text("您已被调换到其他终端")
    page.wait_for_url("**/auth/terminal")
    expect(page.locator(".alert-warning")).to_contain_text("您已被调换到其他终端")


@pytest.mark.parametrize("viewport", [(1366, 768), TABLET], ids=["terminal", "tablet"])
def test_a_full_paper_needs_no_scrolling(live_server, page_for, make, viewport):
    seat = seat_for(make, spec=Spec())  # the default blueprint: 100 questions, 90 minutes
    page = page_for("zh-CN", viewport=viewport)
    sign_in(page, live_server, seat)
    start(page)
    expect(page.locator(".q-cell")).to_have_count(100)
    for qtype in ("true_false", "single", "multiple"):
        go_to(page, seat.of_type(qtype)[0].position)
        page.keyboard.press("a" if qtype != "true_false" else "t")
        fits = page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
        assert fits, f"a {qtype} question scrolls at {viewport}"
    screenshot(page, f"exam-full-paper-zh-{viewport[0]}")
