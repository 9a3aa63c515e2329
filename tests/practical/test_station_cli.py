"""``examcentre station``: the reference client (``send``) against a live server, and
``register``, which prints the secret once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text
from werkzeug.serving import make_server

from examcentre.extensions import db
from examcentre.models import Station

from .stationdata import Q2, calibrated_days_ago, encode, registered_station, run_payload, stored


@pytest.fixture
def live_server(app):
    """The test app over real HTTP in a background thread (no browser needed)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    db.session.remove()


@pytest.fixture
def files(tmp_path, make):
    setup = registered_station(make)
    run = tmp_path / "run.json"
    run.write_bytes(encode(run_payload(setup)))
    secret = tmp_path / "secret.txt"
    secret.write_text(setup.secret + "\n", encoding="ascii")
    return setup, run, secret


def send(runner, run: Path, secret: Path, url: str, station: str = "SIM-01"):
    args = ["station", "send", str(run), "--station", station, "--secret-file", str(secret)]
    return runner.invoke(args=[*args, "--url", url])


def test_the_reference_client_posts_a_run_and_a_retry(runner, live_server, files):
    _setup, run, secret = files
    result = send(runner, run, secret, live_server)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["run"]["run_id"] == "r-0001" and answer["run"]["mode"] == "practice"
    assert answer["run"]["score"]["sheet"] == "Q2-PRACTICAL"
    db.session.rollback()  # see what the server thread committed
    before = stored()
    assert before[0] == 1
    again = send(runner, run, secret, live_server)
    assert again.exit_code == 0 and json.loads(again.stdout) == answer
    db.session.rollback()
    assert stored() == before


def test_the_reference_client_exits_1_on_a_refusal(runner, live_server, files, tmp_path):
    _setup, run, _secret = files
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not-the-secret", encoding="ascii")
    before = stored()
    result = send(runner, run, wrong, live_server)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"] == "signature_mismatch"
    assert "Refused: HTTP 401 signature_mismatch" in result.stderr
    db.session.rollback()
    assert stored() == before


def test_the_reference_client_reports_an_unreachable_server(runner, files):
    _setup, run, secret = files
    result = send(runner, run, secret, "http://127.0.0.1:9")
    assert result.exit_code == 1
    assert "Could not send the run" in result.stderr


def test_the_installed_command_sends_a_run(live_server, files, tmp_path):
    """The ``examcentre`` executable itself, as a vendor would run it."""
    _setup, run, secret = files
    executable = Path(sys.executable).with_name("examcentre")
    env = {**os.environ, "EXAMCENTRE_INSTANCE_PATH": str(tmp_path / "instance")}
    completed = subprocess.run(
        [
            str(executable),
            "station",
            "send",
            str(run),
            "--station",
            "SIM-01",
            "--secret-file",
            str(secret),
            "--url",
            live_server,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["run"]["station"] == "SIM-01"


def test_register_prints_the_secret_once_and_it_signs(runner, live_server, make, tmp_path):
    ticket = make.ticket()
    calibrated = calibrated_days_ago(10).isoformat()
    result = runner.invoke(
        args=[
            "station",
            "register",
            "--centre",
            ticket.centre.code,
            "--code",
            "SIM-CLI",
            "--name",
            "模拟器 1",
            "--item",
            Q2,
            "--calibrated-on",
            calibrated,
        ],
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert len(secret) == 43
    station = db.session.scalar(select(Station).where(Station.code == "SIM-CLI"))
    assert station.calibrated_on.isoformat() == calibrated
    row = db.session.execute(text("SELECT * FROM stations WHERE code = 'SIM-CLI'")).one()
    assert secret not in " ".join(map(str, row))

    from .stationdata import Setup

    setup = Setup(station, secret, ticket)
    (tmp_path / "run.json").write_bytes(encode(run_payload(setup)))
    (tmp_path / "secret.txt").write_text(secret, encoding="ascii")
    sent = send(runner, tmp_path / "run.json", tmp_path / "secret.txt", live_server, "SIM-CLI")
    assert sent.exit_code == 0, sent.output


def test_register_refuses_a_code_in_use(runner, make):
    setup = registered_station(make)
    result = runner.invoke(
        args=[
            "station",
            "register",
            "--centre",
            setup.ticket.centre.code,
            "--code",
            "SIM-01",
            "--name",
            "again",
            "--item",
            Q2,
        ],
    )
    assert result.exit_code == 2
    assert "already registered" in result.output


def test_the_same_run_posted_at_once_is_stored_once(live_server, files):
    """Concurrent retries: one is stored (201), the others are answered as retries (200)."""
    from concurrent.futures import ThreadPoolExecutor

    from examcentre.practical.cli import post_run

    setup, run, _secret = files
    body = run.read_bytes()
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda _: post_run(live_server, "SIM-01", setup.secret, body), range(4))
        )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 200, 200, 201], answers
    assert len({json.dumps(answer, sort_keys=True) for _, answer in answers}) == 1
    db.session.rollback()
    assert stored()[0] == 1
