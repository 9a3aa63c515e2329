"""A real server process, killed mid-exam and restarted on the same SQLite database.

- Every answer the server acknowledged (200, ``applied``) before a SIGKILL is still there
  after a restart, through GET /paper and in the database; the deadline has not moved; the
  candidate carries on answering.
- A server that comes back after the deadline (plus grace) submits the paper at start-up
  (the scheduler's ``submit-overdue-papers`` job runs once when ``examcentre serve`` starts).

The server is ``examcentre serve`` (the embedded run: gunicorn, a worker per core, threads,
the scheduler in one worker) on a free loopback port, in a process group of its own that is
always ended: the SIGKILL goes to the whole group, master and workers, as a crash would.
The data are prepared here, through the app factory and the test factories. Nothing is
timed: the only waits are generous polls (for the server to come up, for the start-up job).
CSRF is switched off for the server, as for the test app: this is about durability, not
about the page's token (``bench/exam_storm.py`` sends it).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http import client as http_client
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from examcentre.api.validation import utc_iso
from examcentre.audit.operations import Actor
from examcentre.clock import now_utc
from examcentre.extensions import db
from examcentre.models import (
    AdmissionTicket,
    AnswerChange,
    Attempt,
    AttemptAnswer,
    AttemptArchive,
    PaperQuestion,
    QuestionVersion,
    Terminal,
)

from ..conftest import make_app
from ..factories import Factory

API = "/api/v1/terminal"
SECRET = "server-crash-test-secret"
# Generous: CI machines are small and shared. Only ever waited for, never asserted on.
STARTUP_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    pytest.fail(f"gave up waiting {timeout:.0f} s for {what}\n{tail}")


class Server:
    """``examcentre serve`` in its own process group, on a given port. Started through
    ``start_server`` so that the ``servers`` fixture ends it even if it never comes up."""

    def __init__(self, instance: Path, url: str, port: int, **config) -> None:
        self.port = port
        self.log = instance.parent / f"server-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXAMCENTRE_")}
        env.update({
            "EXAMCENTRE_DATABASE_URL": url,
            "EXAMCENTRE_INSTANCE_PATH": str(instance),
            "EXAMCENTRE_SECRET_KEY": SECRET,
            "EXAMCENTRE_WTF_CSRF_ENABLED": "false",
        })
        env.update({f"EXAMCENTRE_{k}": json.dumps(v) for k, v in config.items()})
        script = Path(sys.executable).parent / "examcentre"
        command = (
            [str(script)] if script.exists()
            else [sys.executable, "-c", "from examcentre.cli import main; main()"]
        )
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [*command, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "4"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def _up(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the server exited ({self.process.returncode}):\n"
                        + self.log.read_text(errors="replace")[-3000:])
        try:
            connection = http_client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/healthz")
            ok = connection.getresponse().status == 200
            connection.close()
            return ok
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL to the whole group (gunicorn's master and its worker): a crash."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


class Browser:
    """A terminal's browser: its cookies, one fresh connection per request."""

    def __init__(self, port: int, cookies: dict[str, str]) -> None:
        self.port = port
        self.cookies = dict(cookies)

    def call(self, method: str, path: str, body=None):
        """(status, JSON); status 0 when the server could not be reached or went away."""
        headers = {"Accept": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection = http_client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, API + path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http_client.HTTPException):
            return 0, None
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, json.loads(raw) if raw else None


def response_for(question: dict, variant: int = 0) -> str:
    if question["type"] == "true_false":
        return ("true", "false")[variant % 2]
    letters = [o["letter"] for o in question["options"]]
    return letters[variant % len(letters)]


@pytest.fixture
def exam(tmp_path):
    """A started session with one checked-in candidate, in a SQLite file the server will
    use; yields the test app (kept for looking into the database), the ticket's details and
    the paths. The app context stays open for the test."""
    instance = tmp_path / "instance"
    instance.mkdir()
    url = f"sqlite:///{instance / 'examcentre.sqlite3'}"
    app = make_app(url)
    with app.app_context():
        upgrade()
        make = Factory()
        (ticket,) = make.exam_tickets(1)
        details = {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "id_number": ticket.candidate.id_number,
            "token": make.tokens[ticket.terminal_id],
            "terminal_id": ticket.terminal_id,
        }
        db.session.remove()
        yield app, details, instance, url
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def servers():
    """Every server a test starts is stopped (SIGTERM, then SIGKILL) however the test ends."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def start_server(servers: list[Server], instance: Path, url: str, port: int, **config):
    server = Server(instance, url, port, **config)
    servers.append(server)
    wait_until(server._up, STARTUP_TIMEOUT, "the server to come up", server.log)
    return server


def attempt_row(ticket_id: int) -> Attempt:
    db.session.remove()  # what is on disk now, not what this session saw before
    return db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket_id))


def test_acknowledged_answers_survive_a_crash_and_the_exam_goes_on(exam, servers):
    _app, ticket, instance, url = exam
    port = free_port()
    start_server(servers, instance, url, port)
    browser = Browser(port, {"examcentre_terminal": ticket["token"]})
    status, _ = browser.call(
        "POST", "/sign-in", {"ticket_number": ticket["number"], "id_number": ticket["id_number"]}
    )
    assert status == 200
    status, started = browser.call("POST", "/start")
    assert status == 200
    deadline = started["attempt"]["deadline_at"]
    status, paper = browser.call("GET", "/paper")
    questions = paper["questions"]
    assert len(questions) == 10

    acknowledged: list[tuple[int, str, int]] = []  # (position, response, seq)
    for question in questions[:5]:
        status, saved = browser.call("PUT", f"/answers/{question['position']}",
                                     {"response": response_for(question), "seq": 1})
        assert status == 200 and saved["applied"], saved
        acknowledged.append((question["position"], saved["response"], saved["seq"]))
    changed = questions[0]
    status, saved = browser.call("PUT", f"/answers/{changed['position']}",
                                 {"response": response_for(changed, 1), "seq": 2,
                                  "flagged": True})
    assert status == 200 and saved["applied"], saved
    acknowledged.append((changed["position"], saved["response"], saved["seq"]))

    # More saves in flight when the server dies: whatever was acknowledged must survive.
    in_flight = Browser(port, browser.cookies)
    first_ack = threading.Event()
    lock = threading.Lock()

    def keep_saving() -> None:
        for seq in range(1, 10_000):
            for question in questions[5:9]:
                status, saved = in_flight.call(
                    "PUT", f"/answers/{question['position']}",
                    {"response": response_for(question, seq), "seq": seq},
                )
                if status == 0:
                    return  # the server is gone
                if status == 200 and saved["applied"]:
                    with lock:
                        acknowledged.append((question["position"], saved["response"], seq))
                    first_ack.set()

    saver = threading.Thread(target=keep_saving, daemon=True)
    saver.start()
    assert first_ack.wait(timeout=60), "no save in flight was acknowledged"
    servers[0].kill()
    saver.join(timeout=60)
    assert not saver.is_alive()

    start_server(servers, instance, url, port)  # the same database, the same address
    status, paper = browser.call("GET", "/paper")
    assert status == 200, paper
    served = {a["position"]: (a["response"], a["seq"]) for a in paper["answers"]}
    latest: dict[int, tuple[str, int]] = {}
    for position, response, seq in acknowledged:
        if seq > latest.get(position, ("", 0))[1]:
            latest[position] = (response, seq)
    for position, (response, seq) in latest.items():
        # A save sent after the last acknowledgement may have been stored too (its answer was
        # lost with the connection): then the stored seq is higher. Never lower.
        stored_response, stored_seq = served[position]
        assert stored_seq >= seq, (position, served[position], (response, seq))
        if stored_seq == seq:
            assert stored_response == response

    # The same in the database: the current answers, and every acknowledged save in the log.
    attempt = attempt_row(ticket["ticket_id"])
    rows = db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
    ).all()
    assert {r.position: (r.response, r.seq) for r in rows} == served
    logged = set(db.session.execute(
        select(AnswerChange.position, AnswerChange.response, AnswerChange.seq)
        .where(AnswerChange.attempt_id == attempt.id)
    ).tuples())
    assert set(acknowledged) <= logged

    # The server owns the clock: the crash did not move the deadline.
    assert attempt.state == "in_progress"
    assert utc_iso(attempt.deadline_at) == deadline
    status, state = browser.call("GET", "/exam")
    assert status == 200 and state["attempt"]["deadline_at"] == deadline

    # And the candidate carries on.
    last = questions[9]
    status, saved = browser.call("PUT", f"/answers/{last['position']}",
                                 {"response": response_for(last), "seq": 1})
    assert status == 200 and saved["applied"], saved
    status, saved = browser.call("PUT", f"/answers/{changed['position']}",
                                 {"response": response_for(changed, 2), "seq": 3})
    assert status == 200 and saved["applied"], saved
    status, paper = browser.call("GET", "/paper")
    served = {a["position"]: (a["response"], a["seq"]) for a in paper["answers"]}
    assert served[last["position"]] == (response_for(last), 1)
    assert served[changed["position"]] == (response_for(changed, 2), 3)


def test_a_server_back_after_the_deadline_submits_the_paper_at_start_up(exam, servers):
    from examcentre.exams import operations as exam_ops

    app, ticket, instance, url = exam
    # The candidate started long enough ago that the time and the grace ran out while the
    # server was down: the exam is prepared through the operations, in the past.
    grace = app.config["ANSWER_GRACE_SECONDS"]
    row = db.session.get(AdmissionTicket, ticket["ticket_id"])
    attempt = exam_ops.attempt_for(row)
    began = now_utc() - timedelta(seconds=attempt.duration_seconds + grace + 300)
    terminal = db.session.get(Terminal, ticket["terminal_id"])
    candidate = Actor("candidate", row.id, row.number, row.centre_id)
    exam_ops.start(attempt, terminal, candidate, now=began)
    db.session.flush()
    questions = db.session.execute(
        select(PaperQuestion.position, QuestionVersion.type)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == attempt.paper_id)
        .order_by(PaperQuestion.position)
    ).tuples().all()
    saved = []
    for position, qtype in questions[:3]:
        response = "true" if qtype == "true_false" else "A"
        exam_ops.save_answer(attempt, position, response, False, 1, terminal,
                             now=began + timedelta(minutes=1))
        saved.append((position, response, 1))
    deadline = attempt.deadline_at
    db.session.commit()
    assert attempt_row(ticket["ticket_id"]).state == "in_progress"

    # Only the start-up run of the job can submit it: the next one is an hour away. Nothing
    # touches the attempt through the API meanwhile (a request would settle it lazily).
    server = start_server(servers, instance, url, free_port(), AUTO_SUBMIT_INTERVAL_SECONDS=3600)
    attempt = wait_until(
        lambda: (a := attempt_row(ticket["ticket_id"])).state == "submitted" and a,
        STARTUP_TIMEOUT, "the start-up job to submit the overdue paper", server.log,
    )
    assert attempt.submitted_by == "deadline"
    assert attempt.deadline_at == deadline
    assert attempt.result is not None and attempt.result.total == len(questions)
    answers = db.session.execute(
        select(AttemptAnswer.position, AttemptAnswer.response, AttemptAnswer.seq)
        .where(AttemptAnswer.attempt_id == attempt.id)
    ).tuples().all()
    assert sorted(answers) == saved
    assert db.session.scalar(
        select(AttemptArchive).where(AttemptArchive.attempt_id == attempt.id)
    ) is not None
