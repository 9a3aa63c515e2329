"""/centre/stations: register (the secret shown once), calibration, new secret, retire, and the
per-item "simulator runs count as the exam" setting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from examcentre.extensions import db
from examcentre.models import AuditEntry, PracticalSetting, Station
from examcentre.practical.stations import station_secret

from .stationdata import Q2, calibrated_days_ago, encode, post, registered_station, run_payload

EN = {"Accept-Language": "en"}


def page(client, path: str) -> str:
    response = client.get(path, headers=EN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_registering_shows_the_secret_once(client, login_as):
    admin = login_as("centre_admin")
    assert "No simulator stations" in page(client, "/centre/stations/")
    response = client.post(
        "/centre/stations/new",
        data={
            "code": "SIM-01",
            "name": "Simulator, room 3",
            "item": Q2,
            "calibrated_on": calibrated_days_ago(3).isoformat(),
        },
        headers=EN,
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    station = db.session.scalar(select(Station).where(Station.code == "SIM-01"))
    assert station.centre_id == admin.centre_id and station.registered_by == admin.username
    secret = station_secret(station)
    html = response.get_data(as_text=True)
    assert secret in html and "This is the only time the secret is shown" in html
    overview = page(client, "/centre/stations/")
    assert "SIM-01" in overview and secret not in overview


def test_registration_problems_are_shown_on_the_form(client, login_as, make):
    login_as("centre_admin")
    registered_station(make)  # SIM-01, another centre
    taken = client.post(
        "/centre/stations/new", data={"code": "SIM-01", "name": "x", "item": Q2}, headers=EN
    ).get_data(as_text=True)
    assert "A station with this code is already registered." in taken
    bad = client.post(
        "/centre/stations/new", data={"code": "SIM 01/x", "name": "x", "item": Q2}, headers=EN
    ).get_data(as_text=True)
    assert "Use 1 to 32 letters" in bad
    future = (calibrated_days_ago(0) + timedelta(days=2)).isoformat()
    ahead = client.post(
        "/centre/stations/new",
        data={"code": "SIM-02", "name": "x", "item": Q2, "calibrated_on": future},
        headers=EN,
    ).get_data(as_text=True)
    assert "A calibration date cannot be in the future." in ahead
    assert db.session.scalar(select(Station).where(Station.code == "SIM-02")) is None


def test_calibration_new_secret_and_retiring(client, login_as, make):
    setup = registered_station(make)
    login_as("centre_admin", centre=setup.ticket.centre)
    sid = setup.station.id
    day = calibrated_days_ago(1)
    response = client.post(
        f"/centre/stations/{sid}/calibration", data={"calibrated_on": day.isoformat()}
    )
    assert response.status_code == 302
    assert setup.station.calibrated_on == day

    assert "Issue a new secret" in page(client, f"/centre/stations/{sid}/secret")
    response = client.post(f"/centre/stations/{sid}/secret", data={"reason": "lost"}, headers=EN)
    new = station_secret(setup.station)
    assert new != setup.secret and new in response.get_data(as_text=True)

    response = client.post(f"/centre/stations/{sid}/retire", data={"reason": "sold"})
    assert response.status_code == 302
    assert setup.station.retired_at is not None and setup.station.retired_reason == "sold"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "stations")
    ).all()
    assert actions == [
        "station.register",
        "station.calibration",
        "station.new_secret",
        "station.retire",
    ]
    assert "Retired" in page(client, "/centre/stations/")


def test_another_centres_station_is_a_404(client, login_as, make):
    setup = registered_station(make)
    login_as("centre_admin")  # of a new centre
    sid = setup.station.id
    for path in ("calibration", "secret", "retire"):
        assert client.get(f"/centre/stations/{sid}/{path}").status_code == 404
        assert (
            client.post(f"/centre/stations/{sid}/{path}", data={"reason": "x"}).status_code == 404
        )
    assert setup.station.retired_at is None


def test_the_simulator_mode_setting_and_each_results_mode(client, login_as, make):
    setup = registered_station(make)
    admin = login_as("centre_admin", centre=setup.ticket.centre)
    overview = page(client, "/centre/stations/")
    assert "2009" in overview and "Practice only" in overview
    assert post(client, "SIM-01", setup.secret, encode(run_payload(setup))).status_code == 201

    response = client.post(
        "/centre/stations/simulator-mode", data={"item": Q2, "counts_as_exam": "1"}
    )
    assert response.status_code == 302
    setting = db.session.scalar(
        select(PracticalSetting).where(PracticalSetting.centre_id == admin.centre_id)
    )
    assert setting.item == Q2 and setting.simulator_counts_as_exam
    second = encode(run_payload(setup, run_id="r-0002"))
    assert post(client, "SIM-01", setup.secret, second).json["run"]["mode"] == "exam"

    overview = page(client, "/centre/stations/")
    assert "Simulator runs count as the exam" in overview
    assert "Exam result" in overview and ">Practice<" in overview  # each run shows its mode

    refused = client.post(
        "/centre/stations/simulator-mode", data={"item": "Q9", "counts_as_exam": "0"}
    )
    assert refused.status_code == 302
    db.session.refresh(setting)
    assert setting.simulator_counts_as_exam


def test_the_records_page_links_to_the_stations(client, login_as):
    login_as("centre_admin")
    assert "/centre/stations/" in page(client, "/centre/records/terminals")
