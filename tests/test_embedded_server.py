"""The embedded server's pieces for running several worker processes: the shared sign-in
limit counters and the election of the one worker that runs the scheduler."""

from __future__ import annotations

from pathlib import Path

import pytest

from examcentre import ratelimit_storage
from examcentre.ratelimit_storage import SCHEME, SQLiteFileStorage
from examcentre.serve import default_workers, take_scheduler_lock

from .conftest import make_app
from .factories import Factory


@pytest.fixture
def clock(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit_storage.time, "time", lambda: now[0])
    return now


def test_two_processes_count_into_the_same_window(tmp_path, clock):
    uri = f"{SCHEME}://{tmp_path / 'limits.sqlite3'}"
    worker_a, worker_b = SQLiteFileStorage(uri), SQLiteFileStorage(uri)  # two connections
    assert worker_a.incr("sign-in|kim", expiry=900) == 1
    assert worker_b.incr("sign-in|kim", expiry=900) == 2
    assert worker_a.get("sign-in|kim") == 2
    assert worker_b.get("sign-in|lee") == 0
    assert worker_b.get_expiry("sign-in|kim") == pytest.approx(clock[0] + 900)


def test_a_window_that_ended_starts_again(tmp_path, clock):
    storage = SQLiteFileStorage(f"{SCHEME}://{tmp_path / 'limits.sqlite3'}")
    for _ in range(5):
        storage.incr("k", expiry=60)
    clock[0] += 59
    assert storage.get("k") == 5
    clock[0] += 1
    assert storage.get("k") == 0
    assert storage.incr("k", expiry=60) == 1
    assert storage.get_expiry("k") == pytest.approx(clock[0] + 60)


def test_clear_and_reset(tmp_path, clock):
    storage = SQLiteFileStorage(f"{SCHEME}://{tmp_path / 'limits.sqlite3'}")
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.clear("a")
    assert (storage.get("a"), storage.get("b")) == (0, 1)
    assert storage.reset() == 1
    assert storage.get("b") == 0
    assert storage.check()


def test_the_app_locks_out_through_the_shared_storage(database_url, tmp_path):
    app = make_app(
        database_url, RATELIMIT_STORAGE_URI=f"{SCHEME}://{tmp_path / 'limits.sqlite3'}"
    )
    with app.app_context():
        user = Factory().user("examiner")
        client = app.test_client()
        for _ in range(5):
            response = client.post("/auth/login", data={"username": user.username, "password": "x"})
            assert response.status_code == 200
        response = client.post(
            "/auth/login", data={"username": user.username, "password": Factory.PASSWORD}
        )
        assert response.status_code == 429
        # The counter is in the file, where every other worker process reads it.
        assert SQLiteFileStorage(app.config["RATELIMIT_STORAGE_URI"]).reset() >= 1


def test_the_default_storage_is_the_instance_file(tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMCENTRE_INSTANCE_PATH", str(tmp_path))
    app = make_app("sqlite://", RATELIMIT_STORAGE_URI=None)
    assert app.config["RATELIMIT_STORAGE_URI"] == f"{SCHEME}://{tmp_path / 'ratelimits.sqlite3'}"


def test_exactly_one_worker_holds_the_scheduler_lock(tmp_path):
    path = tmp_path / "scheduler.lock"
    first = take_scheduler_lock(path)
    assert first is not None
    assert take_scheduler_lock(path) is None  # another worker: not elected
    first.close()  # the elected worker's process ends
    second = take_scheduler_lock(path)
    assert second is not None
    second.close()


def test_default_workers_is_one_per_core_within_bounds():
    assert 1 <= default_workers() <= 4


def _listening_sockets(port: int) -> int:
    """How many TCP sockets listen on ``port`` (state 0A in /proc/net/tcp)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            count += 1
    return count


def test_with_reuse_port_each_worker_listens_on_its_own_socket(tmp_path):
    """`examcentre serve --reuse-port` gives each worker its own listening socket
    (SO_REUSEPORT), so the kernel spreads the terminals' keep-alive connections evenly over
    the workers; with one shared socket one worker kept most of a room (bench/exam_storm.py)."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, EXAMCENTRE_INSTANCE_PATH=str(tmp_path))
    command = Path(sys.executable).parent / "examcentre"
    server = subprocess.Popen(
        [str(command), "serve", "--port", str(port), "--workers", "2", "--threads", "1",
         "--reuse-port"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while _listening_sockets(port) < 2 and time.monotonic() < deadline:
            assert server.poll() is None, "the server exited"
            time.sleep(0.2)
        assert _listening_sockets(port) == 2
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_a_worker_with_every_thread_busy_leaves_new_connections_to_the_others():
    """The embedded server's worker accepts a connection only while one of its threads is
    free; the stock gthread worker accepted up to 1000 and queued them, so one worker took
    most of a room at the start of an exam and the other idled (bench/exam_storm.py)."""
    import logging
    import selectors
    import socket
    import threading
    from concurrent import futures

    from gunicorn.config import Config

    from examcentre.serve import LoadAwareThreadWorker

    cfg = Config()
    cfg.set("threads", 2)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    worker = LoadAwareThreadWorker(0, 0, [listener], None, 30, cfg, logging.getLogger("test"))
    worker.tpool = futures.ThreadPoolExecutor(max_workers=2)
    worker.poller = selectors.DefaultSelector()
    worker.method_queue.init()
    worker.poller.register(worker.method_queue.fileno(), selectors.EVENT_READ,
                           worker.method_queue.run_callbacks)
    release = threading.Event()
    served = []

    def busy_request(conn):  # stands in for a request that keeps its thread busy
        served.append(conn)
        release.wait(10)
        return False  # close the connection afterwards

    worker.handle = busy_request
    clients = [socket.create_connection(listener.getsockname()) for _ in range(3)]

    def turn_of_the_loop():  # what gunicorn's run() does each time round
        worker.set_accept_enabled(worker.nr_conns < worker.worker_connections)
        worker.wait_for_and_dispatch_events(timeout=0.2)

    try:
        worker.set_accept_enabled(True)
        for _ in range(10):
            turn_of_the_loop()
        assert worker.requests_in_hand == 2
        assert worker.nr_conns == 2  # the third connection waits in the listening socket
        assert len(served) == 2
        assert listener not in [key.fileobj for key in worker.poller.get_map().values()]

        release.set()  # both requests finish: a thread is free again
        for _ in range(10):
            turn_of_the_loop()
        assert len(served) == 3  # then the third connection is accepted
        assert worker.requests_in_hand == 0
    finally:
        release.set()
        worker.tpool.shutdown(wait=True)
        for client in clients:
            client.close()
        worker.poller.close()
        worker.method_queue.close()
        listener.close()


def test_the_start_templates_and_exam_page_shells_are_ready_before_the_first_request(
    database_url,
):
    """At the start of an exam every thread of a fresh worker compiled the exam page at
    once (Jinja has no lock), then rendered its shell at once; the server does both as the
    worker boots instead, for both languages."""
    from examcentre.serve import START_TEMPLATES, prepare_start

    app = make_app(database_url)
    app.jinja_env.auto_reload = False  # (as served; the shells are not kept while reloading)
    prepare_start(app)
    compiled = {name for (_loader, name) in app.jinja_env.cache}
    assert set(START_TEMPLATES) <= compiled
    shells = app.extensions["examcentre.exam_page_shells"]
    assert {(language, seated) for (language, seated, _root) in shells} == {
        ("zh_CN", True), ("zh_CN", False), ("en", True), ("en", False)}
    zh, en = shells["zh_CN", True, ""], shells["en", True, ""]
    assert "答题卡" in "".join(zh.literals) and "Answer sheet" in "".join(en.literals)
