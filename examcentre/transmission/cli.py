"""``examcentre keys``, ``examcentre results`` (centre) and ``examcentre hub`` (authority hub).

Registering a centre's key is a command for the hub's operator, not a web page: it is the one
act that makes a centre's batches trusted, and authority staff on the web are read-only.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import now_utc
from ..extensions import db
from ..models import ExamSession, OutboxBatch
from . import hub, keys
from . import operations as ops


def _actor():
    from ..cli import _cli_actor

    return _cli_actor()


@click.group("keys", help="The centre's Ed25519 signing key (results batches).")
def keys_cli() -> None:
    pass


@keys_cli.command("init", help="Create the centre's key pair (once) and print the public key.")
@click.option("--centre", "centre_code", default=None, help="Centre code (if several).")
@with_appcontext
def keys_init(centre_code: str | None) -> None:
    from ..cli import centre_option_value

    centre = centre_option_value(centre_code)
    _key, created = keys.load_or_create(centre.id)
    click.echo(
        f"{'created' if created else 'already present'}: {keys.key_path(centre.id)}", err=True
    )
    click.echo(keys.public_key_pem(centre.id), nl=False)
    click.echo(f"fingerprint {keys.fingerprint(centre.id)}", err=True)


@keys_cli.command("show", help="Print the centre's public key (PEM) for the authority.")
@click.option("--centre", "centre_code", default=None, help="Centre code (if several).")
@with_appcontext
def keys_show(centre_code: str | None) -> None:
    from ..cli import centre_option_value

    centre = centre_option_value(centre_code)
    pem = keys.public_key_pem(centre.id)
    if pem is None:
        raise click.ClickException("no key yet: run `examcentre keys init`")
    click.echo(pem, nl=False)
    click.echo(f"fingerprint {keys.fingerprint(centre.id)}", err=True)


@click.group("results", help="Results batches for the authority (examcentre.results/1).")
def results_cli() -> None:
    pass


def _session(session_id: int) -> ExamSession:
    session = db.session.get(ExamSession, session_id)
    if session is None:
        raise click.BadParameter(f"no session {session_id}", param_hint="--session")
    return session


def _build(session_id: int) -> OutboxBatch:
    try:
        outbox, created = ops.build_session_batch(_actor(), _session(session_id), now_utc())
    except ops.TransmissionError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{'built' if created else 'unchanged'}: batch {outbox.batch_id}", err=True)
    return outbox


@results_cli.command("build", help="Build (or find unchanged) a closed session's batch.")
@click.option("--session", "session_id", type=int, default=None)
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--centre", "centre_code", default=None, help="Centre code, for a period.")
@with_appcontext
def results_build(session_id, first, last, centre_code) -> None:
    if session_id is not None:
        _build(session_id)
        return
    if first is None or last is None:
        raise click.UsageError("give --session ID, or --from and --to for a period")
    from ..cli import centre_option_value

    centre = centre_option_value(centre_code)
    try:
        outbox, created = ops.build_period_batch(
            _actor(), centre, first.date(), last.date(), now_utc()
        )
    except ops.TransmissionError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{'built' if created else 'unchanged'}: batch {outbox.batch_id}", err=True)


@results_cli.command("export", help="Write a session's signed batch to a file (offline transfer).")
@click.option("--session", "session_id", type=int, required=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def results_export(session_id: int, output: str) -> None:
    outbox = _build(session_id)
    Path(output).write_bytes(ops.signed_envelope(outbox))
    ops.record_export(_actor(), outbox, now_utc(), output)
    db.session.commit()
    click.echo(f"wrote {output}: batch {outbox.batch_id}, {outbox.candidates} candidates")


@results_cli.command("receipt", help="Record a receipt the hub gave for an imported file.")
@click.argument("receipt_file", type=click.File("rb"))
@with_appcontext
def results_receipt(receipt_file) -> None:
    from sqlalchemy import select

    try:
        value = json.load(receipt_file)
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{receipt_file.name}: not JSON: {error}") from None
    receipt = value.get("receipt", value) if isinstance(value, dict) else None
    if not isinstance(receipt, dict) or "batch_id" not in receipt:
        raise click.ClickException(f"{receipt_file.name}: $.batch_id: is required")
    outbox = db.session.scalar(
        select(OutboxBatch).where(OutboxBatch.batch_id == receipt["batch_id"])
    )
    if outbox is None:
        raise click.ClickException(f"{receipt_file.name}: no batch {receipt['batch_id']} here")
    try:
        ops.record_receipt(_actor(), outbox, receipt, now_utc())
    except ops.TransmissionError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"delivered: batch {outbox.batch_id}")


@results_cli.command("deliver", help="Send the due batches now (what the scheduler does).")
@with_appcontext
def results_deliver() -> None:
    from ..jobs import deliver_results

    sent = deliver_results(current_app._get_current_object())
    click.echo(f"delivered {sent}")


@click.group("hub", help="Authority-hub mode: registered centres and batch import.")
def hub_cli() -> None:
    pass


@hub_cli.command("register-centre", help="Register (or re-key) a centre's public key.")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option(
    "--public-key",
    "public_key",
    type=click.File("r"),
    required=True,
    help="The PEM file from `examcentre keys show` at the centre.",
)
@with_appcontext
def hub_register_centre(code: str, name: str, public_key) -> None:
    try:
        centre = hub.register_centre(_actor(), code, name, public_key.read())
    except hub.RegistrationError as error:
        raise click.ClickException(f"{public_key.name}: {error}") from None
    db.session.commit()
    click.echo(f"registered {centre.code}: fingerprint {centre.key_fingerprint}")


@hub_cli.command("import", help="Ingest a signed batch file (from a USB stick).")
@click.argument("batch_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--receipt",
    "receipt_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the receipt to this file, for the centre.",
)
@with_appcontext
def hub_import(batch_file: str, receipt_out: str | None) -> None:
    raw = Path(batch_file).read_bytes()
    try:
        outcome = hub.ingest(raw, "file", now_utc())
    except hub.Refused as refusal:
        db.session.rollback()
        details = "".join(f"\n  {p.path}: {p.message}" for p in refusal.problems)
        raise click.ClickException(
            f"{batch_file}: refused ({refusal.code}): {refusal.message}{details}"
        ) from None
    db.session.commit()
    receipt = json.dumps(outcome.batch.receipt, ensure_ascii=False, indent=1, sort_keys=True)
    if receipt_out:
        Path(receipt_out).write_text(receipt + "\n", encoding="utf-8")
    click.echo(("stored" if outcome.created else "duplicate, already stored") + ":", err=True)
    click.echo(receipt)
