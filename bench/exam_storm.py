"""Benchmark: a room of candidates sits the timed theory exam against a real server.

Run: .venv/bin/python bench/exam_storm.py [--candidates 500] [--database sqlite|postgresql|both]
     [--setting embedded|production|both] [--questions 100] [--think-ms 800]

For each database (and server setting) it:

1. prepares a fresh database: migrations (``flask_migrate.upgrade``), a centre (session gate
   off, as in the demo: R-SYS cannot pass yet), the shipped question bank
   (``question_bank/theory``, as ``examcentre bank load``), a published blueprint of the item
   (the default one: 100 questions, 90 min; ``--questions`` scales its type counts, pass
   mark and duration),
   N registered terminals, one session with N enrolled candidates, released (every paper is
   drawn), checked in, and started (in_progress);
2. starts a server on a free loopback port:
   - ``embedded``: ``examcentre serve`` (the documented embedded run: gunicorn, a worker per
     core, ``--threads`` 8 each by default, the scheduler in one of them, access log on). The
     only setting documented for SQLite;
   - ``production``: ``gunicorn --workers 4 --threads 4 --worker-class
     examcentre.serve.LoadAwareThreadWorker wsgi:app`` plus one
     ``examcentre jobs run`` (the README's production commands; ``--workers``,
     ``--worker-threads``). Run on PostgreSQL only, unless ``--sqlite-production`` (not a
     documented setting) is given;
3. drives N simulated terminals, one thread each, each with its own connection, cookie jar
   and terminal cookie (``examcentre_terminal``):
   - before the storm, each terminal shows its sign-in page (GET /auth/terminal, which holds
     the form's CSRF token), as the real terminals do while the room sits down;
   - the start storm, all at once behind a barrier: the sign-in (POST /auth/terminal, the
     form, answered with the exam page itself, whose script, static/js/exam.js, reads the
     API's CSRF token from ``<meta name="csrf-token">`` and the exam's state embedded in the
     page; or with ``--sign-in api`` POST /api/v1/terminal/sign-in, JSON and CSRF-exempt,
     then GET /terminal/, the exam page), then what exam.js does: POST start (the
     candidate's click), answered with the paper. Every POST/PUT to the API sends
     ``X-CSRFToken``;
   - answering: every question in order with human think time, compressed (below); a
     multiple-choice question is saved on every click (2 to 4 saves, seq counting up: the
     clicks are 2.5 s apart in real time, longer than exam.js's 600 ms debounce);
     some questions are flagged and revisited (a changed answer, a new seq) in a review
     phase; a failed save is retried once with the same seq, as the page's queue does;
     heartbeats as exam.js sends them: a random 3.75 to 15 s after the exam loaded, then
     13.5 to 16.5 s after each answered beat (wall-clock time, NOT compressed: the real
     cadence);
   - submission: every candidate submits within the exam's final (compressed) minute. The
     compressed clock is the exam's: a candidate still answering when the final minute
     begins stops there and submits what is answered, as in a real exam (so the run lasts a
     few minutes even when the server cannot keep up; the report says what share of the
     questions was answered). ``--answer-all`` answers everything whatever the time;
4. measures the same server's trivial-endpoint ceiling: N threads closed-loop on GET /healthz
   (one ``SELECT 1``: the lightest endpoint that still goes through every request hook);
5. stops the server and checks the database: every acknowledged save (200, applied=true) is
   in ``answer_changes`` with its position, response and seq, the latest one per question is
   the row in ``attempt_answers``, and every attempt is submitted with a result.

Time compression: ``--think-ms`` is the mean think time per question. Each candidate spends
55 % to 90 % of the exam answering (mean 72.5 %), so the compressed exam lasts
L = questions x think-ms / 0.725 (110 s for 100 questions at 800 ms) instead of 90 min:
the compression factor is 90 min / L (49x by default). Think times are log-normal
(sigma 0.5) and weighted by type (true/false 0.6, single 1.0, multiple 1.8), normalised to
the candidate's share of L; clicks inside a multiple-choice question are 2.5 s / factor
apart; the final minute is 60 s / factor long. The offered save rate is therefore about
factor x the real one (a real 500-candidate room saves ~13 times a second on average).

Prints figures and a Markdown table for BENCHMARKS.md. Exits 1 if a check fails: a lost
answer, an attempt not submitted and graded, or a request that failed (non-2xx or a
connection error). Missed targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http import client as http_client
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
# Last, not first: PYTHONPATH=<another checkout> then measures that checkout's code, in the
# preparation here as in the server. (First, this checkout's code prepared every run, so a
# comparison with an older commit ran the older server on data this code had prepared.)
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from flask_migrate import upgrade  # noqa: E402
from scratch import scratch_postgres  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from examcentre import create_app  # noqa: E402
from examcentre.audit.operations import Actor  # noqa: E402
from examcentre.auth.operations import create_user  # noqa: E402
from examcentre.extensions import db  # noqa: E402
from examcentre.idnumber import check_character  # noqa: E402
from examcentre.models import Centre, Role, Terminal  # noqa: E402

ACTOR = Actor("system", None, "bench")
ITEM = "Q2(限桥式起重机)"
BANK_ROOT = REPO / "question_bank" / "theory"  # the theory bank (practical/ holds score sheets)
BIN = Path(sys.executable).parent
SECRET = "exam-storm-bench-secret"
API = "/api/v1/terminal"
HEARTBEAT_S = 15.0
ANSWERING_SHARE = (0.55, 0.90)
TYPE_WEIGHT = {"true_false": 0.6, "single": 1.0, "multiple": 1.8}
REAL_CLICK_GAP_S = 2.5
KEEPALIVE_REUSE_S = 1.5  # gunicorn closes an idle keep-alive connection after 2 s
ENDPOINTS = ("sign-in page", "sign-in", "exam page", "start", "save", "heartbeat", "submit")
STORM = ENDPOINTS[1:4]
CSRF_META = re.compile(r'<meta\s+name="csrf-token"\s+content="([^"]+)"')
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


# --- The data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    ticket: str
    id_number: str
    token: str


def id_number_for(i: int) -> str:
    birth = date(1975, 1, 1) + timedelta(days=13 * i)
    first17 = f"330106{birth:%Y%m%d}{i % 1000:03d}"
    return first17 + check_character(first17)


def make_bench_app(url: str):
    return create_app({"SECRET_KEY": SECRET, "DATABASE_URL": url})


def prepare(url: str, candidates: int, questions: int) -> tuple[list[Seat], int]:
    """A fresh database with a started session of ``candidates``; returns the seats and the
    exam duration in seconds."""
    from examcentre.bank.operations import load_bank
    from examcentre.compliance.model import ComplianceSettings
    from examcentre.compliance.operations import update_settings
    from examcentre.papers.blueprint import Spec
    from examcentre.papers.operations import create_blueprint_version, publish_blueprint
    from examcentre.sessions import operations as sessions

    app = make_bench_app(url)
    with app.app_context():
        upgrade()
        centre = Centre(code="BENCH-001", name="基准测试考试中心", name_en="Bench centre")
        db.session.add(centre)
        db.session.flush()
        update_settings(ACTOR, centre, ComplianceSettings(), False, "bench: no records")
        load_bank(ACTOR, centre, BANK_ROOT)
        spec = Spec()
        if questions != spec.question_count:
            tf, single = round(questions * 0.4), round(questions * 0.4)
            spec = Spec(
                counts={"true_false": tf, "single": single, "multiple": questions - tf - single},
                pass_mark=max(1, round(questions * 0.7)),
                duration_minutes=max(1, round(90 * questions / 100)),
            )
        blueprint = create_blueprint_version(ACTOR, centre, ITEM, spec)
        publish_blueprint(ACTOR, blueprint)
        invigilator = create_user(
            ACTOR, username="bench-invigilator", display_name="基准监考员",
            role=Role.INVIGILATOR, password="bench-password-123", centre=centre,
        )
        tokens: dict[int, str] = {}
        terminals = []
        for i in range(candidates):
            terminal = Terminal(centre_id=centre.id, code=f"T{i + 1:03d}")
            db.session.add(terminal)
            db.session.flush()
            tokens[terminal.id] = sessions.register_terminal(ACTOR, terminal, None)
            terminals.append(terminal)
        db.session.commit()
        now = datetime.now(UTC).replace(microsecond=0)
        session = sessions.create_session(ACTOR, centre, sessions.SessionPlan(
            item=ITEM, room="机考室201", starts_at=now, ends_at=now + timedelta(hours=2),
            capacity=candidates, terminals=terminals, invigilators=[invigilator],
        ))
        db.session.flush()
        tickets = [
            sessions.enrol(ACTOR, session, id_number=id_number_for(i), name=f"考生{i + 1}",
                           timezone="Asia/Shanghai")
            for i in range(candidates)
        ]
        db.session.commit()
        today = now.astimezone().date()
        sessions.change_state(ACTOR, session, "released", on=today)
        for ticket in tickets:
            sessions.record_attendance(ACTOR, ticket, "checked_in")
        sessions.change_state(ACTOR, session, "in_progress", on=today)
        db.session.commit()
        seats = [Seat(t.number, t.candidate.id_number, tokens[t.terminal_id]) for t in tickets]
        duration = spec.duration_minutes * 60
        db.session.remove()
        db.engine.dispose()
    return seats, duration


# --- The server -----------------------------------------------------------------------------


def cpu_of(stat_text: str) -> float:
    """A process's CPU-seconds (user + system) from its /proc/<pid>/stat."""
    fields = stat_text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> dict[int, float]:
    """CPU-seconds of every PostgreSQL process on this machine, by pid: the database's share
    of the two cores (its backends are the pool's connections, alive through the storm)."""
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            if "(postgres)" in text:
                used[int(stat.parent.name)] = cpu_of(text)
    return used


def machine_idle() -> float:
    """CPU-seconds the whole machine has spent idle (all cores, /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return (int(fields[3]) + int(fields[4])) / os.sysconf("SC_CLK_TCK")  # idle + iowait


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The server processes (each in its own process group), started and stopped here."""

    def __init__(self, setting: str, url: str, instance: Path, logs: Path, *, threads: int = 8,
                 embedded_workers: int | None = None, reuse_port: bool = False,
                 workers: int = 4, worker_threads: int = 4, extra_env=()) -> None:
        self.setting = setting
        self.port = free_port()
        env = dict(os.environ)
        env.update({
            "EXAMCENTRE_DATABASE_URL": url,
            "EXAMCENTRE_INSTANCE_PATH": str(instance),
            "EXAMCENTRE_SECRET_KEY": SECRET,
        })
        env.update(item.split("=", 1) for item in extra_env)
        if setting == "embedded":
            commands = [[str(BIN / "examcentre"), "serve", "--host", "127.0.0.1",
                         "--port", str(self.port), "--threads", str(threads),
                         *(["--workers", str(embedded_workers)] if embedded_workers else []),
                         *(["--reuse-port"] if reuse_port else [])]]
        else:
            commands = [
                [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(worker_threads),
                 "--worker-class", "examcentre.serve.LoadAwareThreadWorker",
                 *(["--reuse-port"] if reuse_port else []),
                 "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
                [str(BIN / "examcentre"), "jobs", "run"],
            ]
        self.processes = []
        for n, command in enumerate(commands):
            log = open(logs / f"server-{setting}-{n}.log", "wb")  # noqa: SIM115
            self.processes.append(subprocess.Popen(
                command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            ))
            log.close()
        self.describe = " + ".join(" ".join([Path(c[0]).name, *c[1:]]) for c in commands)

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"the server exited with {process.returncode}")
            try:
                conn = http_client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not come up")

    def pids(self) -> list[int]:
        """Every process of ours: the ones started here and their children (the workers)."""
        roots = {p.pid for p in self.processes}
        found = set(roots)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) in roots:
                    found.add(int(stat.parent.name))
        return sorted(found)

    def cpu_seconds(self) -> float:
        return sum(self.cpu_by_process().values())

    def cpu_by_process(self) -> dict[int, float]:
        used = {}
        for pid in self.pids():
            with contextlib.suppress(OSError, IndexError):
                used[pid] = cpu_of(Path(f"/proc/{pid}/stat").read_text())
        return used

    def workers(self) -> list[int]:
        """The processes that serve requests: gunicorn's workers (not its master), not the
        separate scheduler."""
        roots = {p.pid for p in self.processes}
        return [pid for pid in self.pids() if pid not in roots]

    def profile(self, outdir: Path, tag: str) -> list[subprocess.Popen]:
        """py-spy (installed separately: pip install py-spy) on every worker, until stopped."""
        outdir.mkdir(parents=True, exist_ok=True)
        for old in outdir.glob(f"{tag}-*.txt"):
            old.unlink()
        return [
            subprocess.Popen(
                [str(BIN / "py-spy"), "record", "--pid", str(pid), "--format", "raw",
                 "--nonblocking", "--gil", "--output", str(outdir / f"{tag}-{pid}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for pid in self.workers()
        ]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# --- A terminal's browser -------------------------------------------------------------------


@dataclass
class Sample:
    label: str
    status: int  # 0: the connection failed
    seconds: float
    done: float  # perf_counter when the response was complete

    @property
    def ok(self) -> bool:  # (a redirect is a success too)
        return 200 <= self.status < 400


class Browser:
    """One terminal's browser: its own keep-alive connection and cookie jar."""

    def __init__(self, port: int, terminal_token: str | None = None) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        if terminal_token:
            self.cookies["examcentre_terminal"] = terminal_token
        self.csrf: str | None = None
        self.conn: http_client.HTTPConnection | None = None
        self.last_used = 0.0
        self.samples: list[Sample] = []
        self.retries = 0

    def _connect(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = http_client.HTTPConnection("127.0.0.1", self.port, timeout=300)

    def call(self, label: str, method: str, path: str, body=None, form=None):
        """(status, parsed JSON or text); status 0 when the connection failed."""
        headers = {"Accept": "application/json, text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method not in ("GET", "HEAD") and self.csrf:
            headers["X-CSRFToken"] = self.csrf
        started = time.perf_counter()
        for attempt in range(2):
            idle = time.perf_counter() - self.last_used
            reused = self.conn is not None and idle < KEEPALIVE_REUSE_S
            if not reused:
                self._connect()
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except (http_client.HTTPException, OSError) as error:
                self.conn.close()
                self.conn = None
                # A keep-alive connection the server had just closed: resend once, as a
                # browser does (every request here is idempotent: saves carry their seq).
                if reused and attempt == 0 and isinstance(
                    error, http_client.RemoteDisconnected | ConnectionResetError | BrokenPipeError
                ):
                    self.retries += 1
                    continue
                done = time.perf_counter()
                self.samples.append(Sample(label, 0, done - started, done))
                return 0, f"{type(error).__name__}: {error}"
        done = time.perf_counter()
        self.last_used = done
        self.samples.append(Sample(label, response.status, done - started, done))
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.will_close:
            self.conn.close()
            self.conn = None
        if response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(raw)
        return response.status, raw.decode("utf-8", "replace")


# --- A candidate ----------------------------------------------------------------------------


@dataclass
class Candidate:
    seat: Seat
    rng: random.Random
    browser: Browser
    first_request: float = math.inf
    paper_received: float = math.nan
    acks: list[tuple[int, str | None, int, bool]] = field(default_factory=list)
    not_applied: int = 0
    failures: list[str] = field(default_factory=list)
    submitted: bool = False
    heartbeats: int = 0
    answered: int = 0
    questions: int = 0


@dataclass(frozen=True)
class Pace:
    exam_seconds: float  # L, the compressed exam
    factor: float  # real duration / L
    think_ms: float

    @property
    def label(self) -> str:
        return f"x{self.factor:.0f}" if self.factor >= 10 else f"x{self.factor:.1f}"

    @property
    def click_gap(self) -> float:
        return REAL_CLICK_GAP_S / self.factor

    @property
    def final_window(self) -> float:
        return 60.0 / self.factor


def storm_step(candidate: Candidate, label: str, method: str, path: str, body=None, form=None,
               ok=(200,)):
    """One start-storm request, retried (up to 3 times, 1 s apart) as a candidate would."""
    for _ in range(4):
        status, data = candidate.browser.call(label, method, path, body, form)
        if status in ok:
            return data
        candidate.failures.append(f"{label}: {status} {str(data)[:120]}")
        time.sleep(1.0)
    raise RuntimeError(f"{candidate.seat.ticket}: {label} kept failing")


def response_for(rng: random.Random, question: dict, clicks: int) -> list[str]:
    """The responses a candidate's clicks produce, in order (one per save)."""
    if question["type"] == "true_false":
        return [rng.choice(("true", "false"))]
    letters = [o["letter"] for o in question["options"]]
    if question["type"] == "single":
        return [rng.choice(letters)]
    chosen = rng.sample(letters, min(clicks, len(letters)))
    return ["".join(sorted(chosen[: i + 1])) for i in range(len(chosen))]


def csrf_of(page: str, label: str) -> str:
    found = CSRF_META.search(page) or CSRF_INPUT.search(page)
    if not found:
        raise RuntimeError(f"no CSRF token on the {label}")
    return found.group(1)


def run_candidate(
    candidate: Candidate, barrier: threading.Barrier, pace: Pace, sign_in: str, answer_all: bool,
    storm_only: bool = False,
) -> None:
    rng, browser, seat = candidate.rng, candidate.browser, candidate.seat
    try:
        if sign_in == "form":  # the terminal shows its sign-in page before the room starts
            form_token = csrf_of(storm_step(candidate, "sign-in page", "GET", "/auth/terminal"),
                                 "sign-in page")
    except RuntimeError as error:
        candidate.failures.append(str(error))
        form_token = ""
    barrier.wait()
    candidate.first_request = time.perf_counter()
    try:
        # The exam page, where its script reads the CSRF token for the API and the exam's
        # state (embedded: exam.js asks GET exam only when the page could not say). The form
        # sign-in answers with it; after the API's sign-in the terminal opens it.
        if sign_in == "form":
            page = storm_step(candidate, "sign-in", "POST", "/auth/terminal", form={
                "csrf_token": form_token, "ticket_number": seat.ticket,
                "id_number": seat.id_number,
            })
            if 'id="exam-app"' not in page:  # the form again: refused
                raise RuntimeError(f"{seat.ticket}: sign-in refused: {page[:200]}")
        else:
            storm_step(candidate, "sign-in", "POST", f"{API}/sign-in",
                       {"ticket_number": seat.ticket, "id_number": seat.id_number})
            page = storm_step(candidate, "exam page", "GET", "/terminal/")
        browser.csrf = csrf_of(page, "exam page")
        exam_loaded = time.perf_counter()  # exam.js starts its heartbeat loop here
        # Start answers with the paper (exam.js asks GET paper only to refresh it).
        paper = storm_step(candidate, "start", "POST", f"{API}/start")
    except RuntimeError as error:
        candidate.failures.append(str(error))
        return
    candidate.paper_received = began = time.perf_counter()
    questions = paper["questions"] if not storm_only else []
    seq: dict[int, int] = {}
    # As exam.js: sleep a random part of 15 s (a quarter to all of it), beat, sleep 15 s give
    # or take a tenth after that beat is answered, and so on. (Its own generator: the answers
    # draw the same numbers as before the page spread its beats.)
    beat_rng = random.Random(f"beats-{seat.ticket}")
    next_heartbeat = exam_loaded + HEARTBEAT_S * beat_rng.uniform(0.25, 1.0)

    def heartbeat_if_due() -> None:
        nonlocal next_heartbeat
        if time.perf_counter() >= next_heartbeat:
            status, data = browser.call("heartbeat", "POST", f"{API}/heartbeat")
            candidate.heartbeats += 1
            if status != 200:
                candidate.failures.append(f"heartbeat: {status} {str(data)[:120]}")
            next_heartbeat = time.perf_counter() + HEARTBEAT_S * beat_rng.uniform(0.9, 1.1)

    def pause(seconds: float) -> None:
        until = time.perf_counter() + seconds
        while (left := until - time.perf_counter()) > 0:
            heartbeat_if_due()
            time.sleep(min(left, max(0.0, next_heartbeat - time.perf_counter()) + 0.001))
        heartbeat_if_due()

    def save(position: int, response: str | None, flagged: bool) -> None:
        seq[position] = seq.get(position, 0) + 1
        body = {"response": response, "flagged": flagged, "seq": seq[position]}
        for _ in range(2):  # the page's save queue retries a failed save once, same seq
            status, data = browser.call("save", "PUT", f"{API}/answers/{position}", body)
            if status == 200:
                if data["applied"]:
                    candidate.acks.append((position, data["response"], data["seq"],
                                           data["flagged"]))
                else:
                    candidate.not_applied += 1
                return
            candidate.failures.append(f"save: {status} {str(data)[:120]}")
            time.sleep(0.5)

    share = rng.uniform(*ANSWERING_SHARE)
    weights = [TYPE_WEIGHT[q["type"]] * rng.lognormvariate(0, 0.5) for q in questions]
    scale = share * pace.exam_seconds / sum(weights) if weights else 0.0  # --storm-only: none
    window_end = began + pace.exam_seconds - pace.final_window
    candidate.questions = len(questions)
    flagged = set()
    for question, weight in zip(questions, weights, strict=True):
        pause(weight * scale)
        if not answer_all and time.perf_counter() >= window_end:
            break  # the (compressed) time is up: what is answered is submitted
        candidate.answered += 1
        clicks = rng.randint(2, 4) if question["type"] == "multiple" else 1
        flag = rng.random() < 0.08
        for i, response in enumerate(response_for(rng, question, clicks)):
            if i:
                pause(pace.click_gap * rng.uniform(0.5, 1.5))
            save(question["position"], response, flag)
        if flag:
            flagged.add(question["position"])
    # Review: flagged questions and a few others get a changed answer (a new seq), unflagged.
    review = sorted(flagged | {q["position"] for q in questions if rng.random() < 0.05})
    submit_at = began + pace.exam_seconds - rng.uniform(0, pace.final_window)
    times = sorted(rng.uniform(time.perf_counter(), max(time.perf_counter(), window_end))
                   for _ in review)
    by_position = {q["position"]: q for q in questions}
    for position, at in zip(review, times, strict=True):
        pause(at - time.perf_counter())
        save(position, response_for(rng, by_position[position], 1)[-1], False)
    if storm_only:  # submit once the whole room has its paper (the storm's CPU stays its own)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=300)
    else:
        pause(submit_at - time.perf_counter())
    status, data = browser.call("submit", "POST", f"{API}/submit")
    if status == 200 and data["attempt"]["state"] == "submitted":
        candidate.submitted = True
    else:
        candidate.failures.append(f"submit: {status} {str(data)[:120]}")
    if browser.conn is not None:
        browser.conn.close()


# --- Figures --------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def best_window(times: list[float], width: float = 10.0) -> float:
    """The highest count of events in any ``width``-second window, per second."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while t - ordered[start] > width:
            start += 1
        best = max(best, end - start + 1)
    return best / width


def ceiling(port: int, clients: int, seconds: float) -> tuple[float, list[float]]:
    """Closed loop on GET /healthz with ``clients`` threads: (requests/s, latencies)."""
    browsers = [Browser(port) for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    stop_at = [math.inf]

    def loop(browser: Browser) -> None:
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            browser.call("healthz", "GET", "/healthz")
        if browser.conn is not None:
            browser.conn.close()

    threads = [threading.Thread(target=loop, args=(b,)) for b in browsers]
    for t in threads:
        t.start()
    started = time.perf_counter()
    stop_at[0] = started + seconds
    barrier.wait()
    for t in threads:
        t.join()
    samples = [s for b in browsers for s in b.samples if started <= s.done <= stop_at[0]]
    ok = [s for s in samples if s.status == 200]
    return len(ok) / seconds, [s.seconds for s in ok]


@dataclass
class Checks:
    acks: int = 0
    lost: list[str] = field(default_factory=list)
    not_submitted: list[str] = field(default_factory=list)
    attempts: int = 0
    changes: int = 0
    audit_intact: bool = False


def check_database(url: str, candidates: list[Candidate]) -> Checks:
    from examcentre.audit.operations import verify_chain
    from examcentre.models import (
        AdmissionTicket,
        AnswerChange,
        Attempt,
        AttemptAnswer,
        AttemptResult,
    )

    checks = Checks()
    app = make_bench_app(url)
    with app.app_context():
        latest = {
            (number, position): (response, seq)
            for number, position, response, seq in db.session.execute(
                select(AdmissionTicket.number, AttemptAnswer.position, AttemptAnswer.response,
                       AttemptAnswer.seq)
                .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
                .join(AdmissionTicket, AdmissionTicket.id == Attempt.ticket_id)
            )
        }
        logged = set(db.session.execute(
            select(AdmissionTicket.number, AnswerChange.position, AnswerChange.response,
                   AnswerChange.seq)
            .join(Attempt, Attempt.id == AnswerChange.attempt_id)
            .join(AdmissionTicket, AdmissionTicket.id == Attempt.ticket_id)
        ).all())
        checks.changes = len(logged)
        for candidate in candidates:
            number = candidate.seat.ticket
            newest: dict[int, tuple[str | None, int]] = {}
            for position, response, seq, _flagged in candidate.acks:
                checks.acks += 1
                if (number, position, response, seq) not in logged:
                    checks.lost.append(f"{number} #{position} seq {seq}: not in answer_changes")
                if seq > newest.get(position, (None, 0))[1]:
                    newest[position] = (response, seq)
            for position, (response, seq) in newest.items():
                if latest.get((number, position)) != (response, seq):
                    checks.lost.append(
                        f"{number} #{position}: attempt_answers holds"
                        f" {latest.get((number, position))}, acknowledged {(response, seq)}"
                    )
        results = dict(db.session.execute(
            select(AttemptResult.attempt_id, func.count()).group_by(AttemptResult.attempt_id)
        ).all())
        attempts = db.session.execute(
            select(AdmissionTicket.number, Attempt.id, Attempt.state)
            .join(AdmissionTicket, AdmissionTicket.id == Attempt.ticket_id)
        ).all()
        checks.attempts = len(attempts)
        seen = set()
        for number, attempt_id, state in attempts:
            seen.add(number)
            if state != "submitted" or not results.get(attempt_id):
                checks.not_submitted.append(
                    f"{number}: {state}, results {results.get(attempt_id, 0)}"
                )
        checks.not_submitted += [
            f"{c.seat.ticket}: no attempt" for c in candidates if c.seat.ticket not in seen
        ]
        checks.audit_intact = verify_chain().intact
        db.session.remove()
        db.engine.dispose()
    return checks


@dataclass
class Run:
    database: str
    setting: str
    server: str
    candidates: int
    questions: int
    pace: Pace
    storm_s: float
    latencies: dict[str, list[float]]
    errors: dict[str, int]
    retries: int
    saves: int
    saves_mean: float
    saves_best: float
    answer_phase_s: float
    server_cpu_s: float
    ceiling_rps: float
    ceiling_latencies: list[float]
    checks: Checks
    failures: list[str]
    not_applied: int
    client_cpu_s: float
    load: tuple[float, float]
    # CPU-seconds during the start storm: the server, the terminals, PostgreSQL's processes,
    # and the machine's idle time (all cores): where the two cores went.
    storm_cpu_s: tuple[float, float, float, float]
    profiles: list[Path]
    answered: float  # share of the questions answered before the compressed time ran out

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def ok(self) -> bool:
        return (not self.checks.lost and not self.checks.not_submitted
                and self.checks.audit_intact and self.error_count == 0
                and self.checks.attempts == self.candidates)


def stop_profilers(profilers: list[subprocess.Popen]) -> None:
    for profiler in profilers:
        if profiler.poll() is None:
            profiler.send_signal(signal.SIGINT)
    for profiler in profilers:
        profiler.wait(timeout=60)


def run_one(database: str, setting: str, url: str, args, workdir: Path) -> Run:
    label = f"{database}/{setting}"
    print(f"\n== {label}: preparing {args.candidates} candidates ...", flush=True)
    started = time.perf_counter()
    seats, duration = prepare(url, args.candidates, args.questions)
    print(f"   prepared in {time.perf_counter() - started:.1f} s", flush=True)
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    server = Server(setting, url, workdir / "instance", logs, threads=args.threads,
                    embedded_workers=args.embedded_workers, reuse_port=args.reuse_port,
                    workers=args.workers, worker_threads=args.worker_threads,
                    extra_env=args.server_env)
    try:
        server.wait_ready()
        print(f"   server: {server.describe} (port {server.port})", flush=True)
        exam_seconds = args.questions * args.think_ms / 1000 / statistics.mean(ANSWERING_SHARE)
        pace = Pace(exam_seconds, duration / exam_seconds, args.think_ms)
        print(f"   compressed exam: {exam_seconds:.0f} s ({pace.label}); final window"
              f" {pace.final_window:.2f} s; heartbeats every {HEARTBEAT_S:.0f} s ± 10 %",
              flush=True)
        threading.stack_size(512 * 1024)
        candidates = [
            Candidate(seat, random.Random(args.seed * 100_003 + i),
                      Browser(server.port, seat.token))
            for i, seat in enumerate(seats)
        ]
        storm_started: dict[str, float] = {}

        workers_at_start: dict[int, float] = {}
        database_at_start: dict[int, float] = {}

        def storm_begins() -> None:  # the CPU count starts when the whole room is ready
            if storm_started:  # (--storm-only meets at the barrier again afterwards)
                return
            workers_at_start.update(server.cpu_by_process())
            database_at_start.update(postgres_cpu())
            storm_started.update(server=sum(workers_at_start.values()),
                                 terminals=time.process_time(), idle=machine_idle())

        barrier = threading.Barrier(len(candidates), action=storm_begins)

        def candidate_thread(candidate: Candidate) -> None:
            # A terminal that crashes (a bug here, or a response it cannot read) is an error
            # in the figures, not a traceback that leaves the error count at zero.
            try:
                run_candidate(candidate, barrier, pace, args.sign_in, args.answer_all,
                              args.storm_only)
            except Exception as error:
                candidate.failures.append(f"terminal crashed: {error!r}")
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.abort()

        threads = [threading.Thread(target=candidate_thread, args=(c,), daemon=True)
                   for c in candidates]
        profilers = (server.profile(Path(args.py_spy), f"{database}-{setting}")
                     if args.py_spy else [])
        cpu_before, client_before = server.cpu_seconds(), time.process_time()
        load_before = os.getloadavg()[0]
        for t in threads:
            t.start()

        def storm_over() -> bool:
            return all(not math.isnan(c.paper_received) or c.failures for c in candidates)

        # The start storm's own CPU, server and terminals: what bounds it on two cores.
        while not storm_over() and any(t.is_alive() for t in threads):
            time.sleep(0.02)
        storm_cpu = (server.cpu_seconds() - storm_started.get("server", cpu_before),
                     time.process_time() - storm_started.get("terminals", client_before),
                     sum(used - database_at_start.get(pid, 0.0)
                         for pid, used in postgres_cpu().items()),
                     machine_idle() - storm_started.get("idle", machine_idle()))
        # Per server process: a worker keeps the keep-alive connections it accepted, so an
        # uneven share shows here as one busy worker and one idle.
        storm_by_process = sorted(
            (round(used - workers_at_start.get(pid, 0.0), 1)
             for pid, used in server.cpu_by_process().items()), reverse=True)
        print(f"   server CPU during the start storm, per process: {storm_by_process} s",
              flush=True)
        if args.py_spy_storm:
            stop_profilers(profilers)
        for t in threads:
            while t.is_alive():  # with a timeout, so that Ctrl+C still reaches the finally
                t.join(timeout=1.0)
        cpu_used = server.cpu_seconds() - cpu_before
        stop_profilers(profilers)
        client_cpu = time.process_time() - client_before
        load = (load_before, os.getloadavg()[0])
        print("   exam done; measuring the /healthz ceiling ...", flush=True)
        ceiling_rps, ceiling_latencies = ceiling(server.port, len(candidates), args.ceiling_seconds)
    finally:
        server.stop()
    samples = [s for c in candidates for s in c.browser.samples]
    latencies = {name: [s.seconds for s in samples if s.label == name and s.ok]
                 for name in ENDPOINTS}
    errors: dict[str, int] = {}
    for s in samples:
        if not s.ok:
            key = f"{s.label} {s.status or 'connection'}"
            errors[key] = errors.get(key, 0) + 1
    storm_ends = [c.paper_received for c in candidates]
    storm_s = (max(storm_ends) - min(c.first_request for c in candidates)
               if not any(math.isnan(t) for t in storm_ends) else math.nan)
    # Saves sent after the last paper went out and answered before the first submission: the
    # steady part of the exam, without the start storm and the final minute queued ahead.
    storm_end = max((t for t in storm_ends if not math.isnan(t)), default=math.inf)
    first_submit = min((s.done - s.seconds for s in samples if s.label == "submit"),
                       default=math.inf)
    latencies["save (steady)"] = [
        s.seconds for s in samples
        if s.label == "save" and s.ok and s.done - s.seconds > storm_end and s.done < first_submit
    ]
    save_times = [s.done for s in samples if s.label == "save" and s.status == 200]
    phase = (max(save_times) - min(save_times)) if save_times else math.nan
    print("   checking the database ...", flush=True)
    checks = check_database(url, candidates)
    return Run(
        database=database, setting=setting, server=server.describe,
        candidates=len(candidates), questions=args.questions, pace=pace, storm_s=storm_s,
        latencies=latencies, errors=errors, retries=sum(c.browser.retries for c in candidates),
        saves=len(save_times), saves_mean=len(save_times) / phase if phase else math.nan,
        saves_best=best_window(save_times, min(10.0, phase or 10.0)), answer_phase_s=phase,
        server_cpu_s=cpu_used,
        ceiling_rps=ceiling_rps, ceiling_latencies=ceiling_latencies, checks=checks,
        failures=[f for c in candidates for f in c.failures],
        not_applied=sum(c.not_applied for c in candidates),
        answered=sum(c.answered for c in candidates)
        / max(1, sum(c.questions for c in candidates)),
        client_cpu_s=client_cpu, load=load, storm_cpu_s=storm_cpu,
        profiles=sorted(Path(args.py_spy).glob(f"{database}-{setting}-*.txt")) if args.py_spy
        else [],
    )


# --- Report ---------------------------------------------------------------------------------


def profile_summary(paths: list[Path], top: int = 14) -> str:
    """Where the workers' sampled time went (py-spy raw stacks): the project's functions by
    inclusive share, and the innermost frames (time in the database driver shows up there)."""
    inclusive: dict[str, int] = {}
    leaf: dict[str, int] = {}
    total = 0
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
            for frame in set(frames):
                if "examcentre/" in frame and "cli.py" not in frame and "serve.py" not in frame:
                    inclusive[frame] = inclusive.get(frame, 0) + n
            leaf[frames[-1]] = leaf.get(frames[-1], 0) + n
    if not total:
        return "no samples"
    lines = [f"py-spy: {total:,} samples of the workers' busy threads"]
    lines += [f"  {100 * n / total:5.1f}%  {f}"
              for f, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]]
    lines.append("  innermost frames:")
    lines += [f"  {100 * n / total:5.1f}%  {f}"
              for f, n in sorted(leaf.items(), key=lambda kv: -kv[1])[:8]]
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1e3:,.0f}" if seconds >= 0.1 else (
        f"{seconds * 1e3:.1f}")


def report(run: Run) -> None:
    print(f"\n-- {run.database} / {run.setting}: {run.server}")
    print(f"start storm: {run.storm_s:.2f} s (first sign-in sent to last paper received);"
          f" CPU during it: server {run.storm_cpu_s[0]:.1f} s"
          f" ({1e3 * run.storm_cpu_s[0] / run.candidates:.1f} ms a candidate), the simulated"
          f" terminals {run.storm_cpu_s[1]:.1f} s, PostgreSQL {run.storm_cpu_s[2]:.1f} s;"
          f" the machine idle {run.storm_cpu_s[3]:.1f} s")
    print(f"{'endpoint':<14} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in [*run.latencies.items(), ("healthz", run.ceiling_latencies)]:
        if values:
            print(f"{name:<14} {len(values):>7} {ms(percentile(values, 50)):>8}"
                  f" {ms(percentile(values, 95)):>8} {ms(percentile(values, 99)):>8}"
                  f" {ms(max(values)):>8}")
    print(f"errors: {run.error_count} {run.errors or ''}; keep-alive resends: {run.retries};"
          f" saves acknowledged but not applied: {run.not_applied}")
    for failure in run.failures[:10]:
        print(f"   {failure}")
    print(f"questions answered before the compressed time ran out: {run.answered:.0%}")
    print(f"saves: {run.saves:,} in {run.answer_phase_s:.1f} s: mean {run.saves_mean:,.0f}/s,"
          f" best 10 s window {run.saves_best:,.0f}/s; server CPU {run.server_cpu_s:.0f} s"
          f" ({run.server_cpu_s / (run.answer_phase_s or 1):.2f} cores over the exam), the"
          f" simulated terminals {run.client_cpu_s:.0f} s; load average {run.load[0]:.1f} at"
          f" the start, {run.load[1]:.1f} at the end")
    ratio = run.saves_best / run.ceiling_rps if run.ceiling_rps else math.nan
    print(f"ceiling: GET /healthz closed loop x{run.candidates}: {run.ceiling_rps:,.0f} req/s;"
          f" best save window / ceiling = {ratio:.2f}")
    c = run.checks
    print(f"database: {c.acks:,} acknowledged saves, {c.changes:,} rows in answer_changes,"
          f" lost answers: {len(c.lost)}; attempts {c.attempts}, not submitted or not graded:"
          f" {len(c.not_submitted)}; audit chain intact: {c.audit_intact}")
    for line in (c.lost + c.not_submitted)[:10]:
        print(f"   {line}")
    if run.profiles:
        print(profile_summary(run.profiles))
    save = run.latencies["save"]
    print("targets: start storm <= 5 s with zero errors:",
          "met" if run.storm_s <= 5 and run.error_count == 0 else "MISSED",
          "| save p99 <= 100 ms:", "met" if percentile(save, 99) <= 0.1 else "MISSED",
          "(steady:", "met)" if percentile(run.latencies["save (steady)"], 99) <= 0.1
          else "MISSED)",
          "| zero lost answers:", "met" if not c.lost else "MISSED")


def markdown(runs: list[Run]) -> str:
    today = date.today().isoformat()
    lines = [
        "| date | database | server | candidates | pace | start storm | errors"
        " | sign-in / start+paper p99 | save p50 / p95 / p99 | steady save p50 / p99"
        " | saves/s mean / best 10 s | answered | /healthz ceiling | ratio | lost answers |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        save, steady = r.latencies["save"], r.latencies["save (steady)"]
        ratio = r.saves_best / r.ceiling_rps if r.ceiling_rps else math.nan
        lines.append(
            f"| {today} | {r.database} | {r.setting} | {r.candidates}"
            f" | {r.questions} q, {r.pace.think_ms:.0f} ms ({r.pace.label})"
            f" | {r.storm_s:.1f} s | {r.error_count}"
            f" | {ms(percentile(r.latencies['sign-in'], 99))} /"
            f" {ms(percentile(r.latencies['start'], 99))} ms"
            f" | {ms(percentile(save, 50))} / {ms(percentile(save, 95))} /"
            f" {ms(percentile(save, 99))} ms"
            f" | {ms(percentile(steady, 50))} / {ms(percentile(steady, 99))} ms"
            f" | {r.saves_mean:,.0f} / {r.saves_best:,.0f}"
            f" | {r.answered:.0%} | {r.ceiling_rps:,.0f} req/s | {ratio:.2f}"
            f" | {len(r.checks.lost)} |"
        )
    lines += ["", "| database | server | endpoint | n | p50 ms | p95 ms | p99 ms |",
              "|---|---|---|---|---|---|---|"]
    for r in runs:
        for name, values in [*r.latencies.items(), ("healthz", r.ceiling_latencies)]:
            if values:
                lines.append(
                    f"| {r.database} | {r.setting} | {name} | {len(values):,} |"
                    f" {ms(percentile(values, 50))} | {ms(percentile(values, 95))} |"
                    f" {ms(percentile(values, 99))} |"
                )
    return "\n".join(lines)


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--setting", choices=("embedded", "production", "both"), default="both")
    parser.add_argument("--sqlite-production", action="store_true",
                        help="also run the production setting on SQLite (not documented)")
    parser.add_argument("--threads", type=int, default=8,
                        help="embedded: examcentre serve --threads (its default, 8)")
    parser.add_argument("--workers", type=int, default=4, help="production: gunicorn --workers")
    parser.add_argument("--reuse-port", action="store_true",
                        help="the server's workers get a listening socket each (SO_REUSEPORT)")
    parser.add_argument("--embedded-workers", type=int,
                        help="embedded: examcentre serve --workers (default: its own, a core each)")
    parser.add_argument("--worker-threads", type=int, default=4,
                        help="production: gunicorn --threads")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--think-ms", type=float, default=800.0,
                        help="mean think time per question in the compressed run")
    parser.add_argument("--answer-all", action="store_true",
                        help="answer every question even after the compressed time is up (the"
                             " run then lasts as long as the server needs)")
    parser.add_argument("--ceiling-seconds", type=float, default=10.0)
    parser.add_argument("--storm-only", action="store_true",
                        help="after the start storm every candidate submits at once (no"
                             " answering): for measuring and profiling the storm quickly")
    parser.add_argument("--server-env", metavar="KEY=VALUE", action="append", default=[],
                        help="extra environment for the server, e.g. an EXAMCENTRE_ setting")
    parser.add_argument("--py-spy", metavar="DIR",
                        help="profile the server's workers during the exam (raw stacks in DIR)")
    parser.add_argument("--py-spy-storm", action="store_true",
                        help="with --py-spy: profile the start storm only")
    parser.add_argument("--sign-in", choices=("form", "api"), default="form",
                        help="the terminal's sign-in page (as the real terminal) or the JSON API")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true",
                        help="keep the working directory (SQLite file, server logs)")
    args = parser.parse_args()
    # SIGTERM (e.g. from a process manager) ends the run through the finally blocks: the
    # server is stopped and a scratch PostgreSQL database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"machine: {machine()}")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    settings = ["embedded", "production"] if args.setting == "both" else [args.setting]
    runs = []
    for database in databases:
        for setting in settings:
            if database == "sqlite" and setting == "production" and not (
                args.sqlite_production or args.setting == "production"
            ):
                continue
            workdir = Path(tempfile.mkdtemp(prefix="ec-storm-"))
            (workdir / "instance").mkdir()
            os.environ["EXAMCENTRE_INSTANCE_PATH"] = str(workdir / "instance")
            if database == "sqlite":
                runs.append(run_one(database, setting,
                                    f"sqlite:///{workdir / 'instance' / 'examcentre.sqlite3'}",
                                    args, workdir))
            else:
                url, drop = scratch_postgres()
                try:
                    runs.append(run_one(database, setting, url, args, workdir))
                finally:
                    drop()
            report(runs[-1])
            if runs[-1].ok and not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                print(f"   kept {workdir} (database, server logs)")
    print("\n" + markdown(runs))
    sys.exit(0 if all(r.ok for r in runs) else 1)


if __name__ == "__main__":
    main()
