"""The embedded run: gunicorn, one worker process per CPU core (threads in each), and the
scheduler in exactly one of them.

Python runs one thread at a time per process, so a single worker used one core of the
centre's server however many it had: the start of an exam (every candidate signing in and
fetching a paper at once) is CPU-bound, and waited on that one core. So there is a worker
per core. Exactly one of them runs the scheduler: each worker tries to take an exclusive
lock on ``instance/scheduler.lock`` and the one that gets it starts the jobs; the lock
goes with its process, so if that worker dies (or gunicorn replaces it) another one takes
over within ``ELECTION_RETRY_SECONDS``. The sign-in limiter's counters are shared by all
workers (examcentre/ratelimit_storage.py).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import IO

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

ELECTION_RETRY_SECONDS = 10
log = logging.getLogger(__name__)


def default_workers() -> int:
    """One per core the process may use, at least 1 and at most 4 (SQLite has one writer,
    and beyond the cores more processes only add memory)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def take_scheduler_lock(lock_path: Path) -> IO | None:
    """The open, exclusively locked lock file, or None if another holder has it. Keep the
    returned file open for as long as this process runs the scheduler."""
    handle = lock_path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def run_scheduler_when_elected(app, lock_path: Path) -> threading.Thread:
    """Start a daemon thread that starts the scheduler once this process holds the lock."""

    def elect() -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        from .jobs import add_jobs

        while True:
            handle = take_scheduler_lock(lock_path)
            if handle is None:
                threading.Event().wait(ELECTION_RETRY_SECONDS)
                continue
            app.extensions["scheduler_lock"] = handle  # open for the life of the process
            scheduler = BackgroundScheduler(timezone=app.config["BABEL_DEFAULT_TIMEZONE"])
            add_jobs(scheduler, app)
            scheduler.start()
            log.info("scheduler running in worker %s", os.getpid())
            return

    thread = threading.Thread(target=elect, name="scheduler-election", daemon=True)
    thread.start()
    return thread


class LoadAwareThreadWorker(ThreadWorker):
    """gunicorn's threaded worker that accepts a new connection only while one of its
    threads is free.

    The stock worker accepts every connection it can (up to ``worker_connections``, 1000)
    and queues the requests for its threads. At the start of an exam the whole room
    connects at once, and whichever worker woke first took 65-95 % of the terminals; a
    terminal's keep-alive connection then stays with that worker for sign-in, exam page and
    paper, while the other worker idled (bench/exam_storm.py, BENCHMARKS.md). Here a worker
    with every thread busy stops listening until one is free, so the connections it cannot
    serve yet wait in the shared listening socket for whichever worker can: the room splits
    by each worker's actual speed. Unlike a socket per worker (``--reuse-port``) a new
    connection never waits for one busy worker while another is idle.

    Requests on connections it already holds (keep-alive) are still queued here: only
    accepting is gated. Relies on gunicorn 27's ``enqueue_req`` / ``finish_request`` /
    ``set_accept_enabled``, all called on the worker's main thread (the version is pinned;
    tests/test_embedded_server.py checks the behaviour).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.requests_in_hand = 0  # queued or running in the thread pool

    def has_free_thread(self) -> bool:
        return self.requests_in_hand < self.cfg.threads

    def enqueue_req(self, conn) -> None:
        self.requests_in_hand += 1
        super().enqueue_req(conn)
        if not self.has_free_thread():
            # run() only re-checks when its own condition (connection count) changes.
            super().set_accept_enabled(False)

    def finish_request(self, conn, fs) -> None:
        self.requests_in_hand -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        # run() calls this on every turn of its loop in which its own condition differs from
        # the current state, so a worker that was busy starts listening again here.
        super().set_accept_enabled(enabled and self.has_free_thread())


# The templates a room renders at the start of an exam. Jinja compiles a template on first
# use and caches it, but without a lock: at the start of an exam every thread of a fresh
# worker met the uncompiled exam page at once and compiled it, each of them (8 threads x 2
# workers x about 70 ms for these; py-spy showed 6 % of the start's server CPU in compiling).
START_TEMPLATES = (
    "base.html",
    "macros.html",
    "auth/terminal_login.html",
    "terminal/home.html",
    "terminal/_strings.html",
    "terminal/_exam_screen.html",
    "terminal/_dialogs.html",
)


def prepare_start(app) -> None:
    """Before the worker takes its first request: compile the start's templates, and render
    the exam page's shell for each language (web/terminal.py, ExamPageShell), which every
    thread of a fresh worker otherwise rendered at once on the room's first sign-ins (py-spy:
    6 % of the start's server CPU)."""
    from .web.terminal import page_shell

    for name in START_TEMPLATES:
        app.jinja_env.get_template(name)
    for language, accept in (("zh_CN", "zh-CN"), ("en", "en")):
        with app.test_request_context("/terminal/", headers={"Accept-Language": accept}):
            for with_terminal in (True, False):
                page_shell(language, with_terminal)


class EmbeddedServer(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Runs in each worker (the app is not preloaded): the master holds no threads, so
        # forking workers from it is safe.
        from . import create_app

        app = create_app()
        prepare_start(app)
        run_scheduler_when_elected(app, Path(app.instance_path) / "scheduler.lock")
        return app


def serve(
    host: str, port: int, threads: int, workers: int | None = None, reuse_port: bool = False
) -> None:
    EmbeddedServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers or default_workers(),
            "threads": threads,
            "worker_class": "examcentre.serve.LoadAwareThreadWorker",
            "accesslog": "-",
            # A long-running answer save must not be killed while SQLite waits for its lock.
            "timeout": 60,
            # --reuse-port: a listening socket of its own per worker (SO_REUSEPORT), and the
            # kernel spreads new connections over them evenly. That balances the start of an
            # exam (a terminal's keep-alive connection stays with the worker that accepted it,
            # and with one shared socket one worker may take 65-95 % of a room), but a new
            # connection then waits for its worker even when the other is idle. Back-to-back
            # PostgreSQL runs (BENCHMARKS.md): the 500-candidate start 11.1 -> 8.3 s, answer
            # saves' p99 36 -> 287 ms. Off by default: saves matter more than the start.
            "reuse_port": reuse_port,
        }
    ).run()
