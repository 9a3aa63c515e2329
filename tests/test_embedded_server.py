"""The embedded server's pieces for running several worker processes: the shared sign-in
limit counters and the election of the one worker that runs the scheduler."""

from __future__ import annotations

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
