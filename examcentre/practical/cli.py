"""``examcentre station``: ``send``, the reference client of the simulator-station API, and
``register``, which registers a station and prints its secret once.

``send`` is written to be copied by simulator vendors: it needs the Python standard library
and ``sign`` (``examcentre/practical/simulator.py``: HMAC-SHA256 of ``timestamp + "." +
body``). It sends the file's bytes exactly as they are, because the signature covers them.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import quote

import click
from flask.cli import with_appcontext  # for ``register`` only; ``send`` needs no app

from .simulator import sign


def post_run(base_url: str, station: str, secret: str, body: bytes) -> tuple[int, dict]:
    """POST one run, signed now; return the HTTP status and the JSON answer."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError("the URL must start with http:// or https://")
    timestamp = str(int(time.time()))  # Unix time in whole seconds
    request = urllib.request.Request(  # noqa: S310 (http or https, checked above)
        f"{base_url.rstrip('/')}/api/v1/stations/{quote(station, safe='')}/runs",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Station-Timestamp": timestamp,
            "X-Station-Signature": sign(secret.encode("ascii"), timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:  # 4xx and 5xx: the API's JSON error
        text = error.read().decode("utf-8", "replace")
        try:
            return error.code, json.loads(text)
        except json.JSONDecodeError:
            return error.code, {"error": "http_error", "message": text[:500]}


@click.group("station", help="Crane-simulator stations: register one, or send a run.")
def station_cli() -> None:
    pass


@station_cli.command("send")
@click.argument("run_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--station", required=True, help="The station's code, e.g. SIM-01.")
@click.option(
    "--secret-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file holding the station's secret (as shown when it was registered).",
)
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="The platform.")
def send_command(run_file: Path, station: str, secret_file: Path, url: str) -> None:
    """Sign RUN_FILE (an examcentre.simulator-run/1 JSON document) and post it. Prints the
    answer; exits 0 when the run is stored (201) or was already (200), else 1."""
    secret = secret_file.read_text(encoding="ascii").strip()
    try:
        status, answer = post_run(url, station, secret, run_file.read_bytes())
    except (OSError, ValueError) as error:  # no connection, bad URL
        click.echo(f"Could not send the run: {error}", err=True)
        sys.exit(1)
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    if status not in (200, 201):
        click.echo(f"Refused: HTTP {status} {answer.get('error', '')}", err=True)
        sys.exit(1)


@station_cli.command("register")
@click.option("--centre", "centre_code", default=None, help="Centre code (optional if only one).")
@click.option("--code", required=True, help="The station's code, e.g. SIM-01 (unique).")
@click.option("--name", required=True, help="A name staff recognise, e.g. 'Simulator, room 3'.")
@click.option("--item", required=True, help="The item it examines, e.g. Q2(限桥式起重机).")
@click.option(
    "--calibrated-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The date of its last calibration (YYYY-MM-DD).",
)
@with_appcontext
def register_command(
    centre_code: str | None, code: str, name: str, item: str, calibrated_on
) -> None:
    """Register a station and print its secret. The secret is shown this once."""
    from ..cli import _cli_actor, centre_option_value
    from ..clock import centre_today
    from ..extensions import db
    from ..sessions.cli import _text
    from .stations import StationError, register_station

    centre = centre_option_value(centre_code)
    on: date | None = calibrated_on.date() if calibrated_on else None
    try:
        station, secret = register_station(
            _cli_actor(),
            centre,
            code=code,
            name=name,
            item=item,
            calibrated_on=on,
            today=centre_today(),
        )
    except StationError as error:
        db.session.rollback()
        raise click.BadParameter(_text(error.message), param_hint=f"--{error.field}") from None
    db.session.commit()
    click.echo(f"Registered station {station.code} ({station.item}) of {centre.code}.")
    click.echo("Its secret (shown this once; keep it on the station only):")
    click.echo(secret)
