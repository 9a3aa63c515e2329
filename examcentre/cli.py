"""The ``examcentre`` command: a FlaskGroup over the app factory, plus its own groups.

``examcentre db upgrade`` comes from Flask-Migrate.
"""

from __future__ import annotations

import contextlib
import getpass
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from .audit.operations import Actor
from .extensions import db
from .models import Centre, Role


def _cli_actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor("system", None, f"cli:{who}")


def centre_option_value(code: str | None) -> Centre:
    """The centre named by --centre, or the only centre when there is exactly one."""
    if code:
        return _centre_by_code(code)
    centres = db.session.scalars(select(Centre).limit(2)).all()
    if len(centres) == 1:
        return centres[0]
    reason = "there is no centre yet" if not centres else "there is more than one centre"
    raise click.BadParameter(f"{reason}: name one with --centre CODE", param_hint="--centre")


def _centre_by_code(code: str) -> Centre:
    centre = db.session.scalar(select(Centre).where(Centre.code == code))
    if centre is None:
        raise click.BadParameter(f"no centre with code {code!r}", param_hint="--centre")
    return centre


@click.group("centre", help="Examination centres and their records (examcentre.centre/1).")
def centre_cli() -> None:
    pass


@centre_cli.command("create")
@click.option("--code", required=True, help="The centre's code, e.g. ZJ-HZ-001.")
@click.option("--name", required=True, help="The centre's name in Chinese.")
@click.option("--name-en", default=None, help="The centre's name in English.")
@with_appcontext
def centres_create(code: str, name: str, name_en: str | None) -> None:
    from .audit.operations import record

    if db.session.scalar(select(Centre).where(Centre.code == code)) is not None:
        raise click.BadParameter(f"a centre with code {code!r} already exists", param_hint="--code")
    centre = Centre(code=code, name=name, name_en=name_en)
    db.session.add(centre)
    record(_cli_actor(), "centre.create", obj=centre, details={"code": code})
    db.session.commit()
    click.echo(f"Created centre {code}.")


@click.group("users", help="Manage staff accounts.")
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role if r != Role.CANDIDATE])
)
@click.option(
    "--centre", "centre_code", default=None, help="Centre code (not for --role authority)."
)
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="The person's full name.")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def users_create(
    role: str, centre_code: str | None, username: str, display_name: str, password: str
) -> None:
    from .auth.forms import MIN_PASSWORD_LENGTH
    from .auth.operations import AccountError, create_user

    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"use at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password"
        )
    if role == Role.AUTHORITY and centre_code:
        raise click.BadParameter("authority accounts belong to no centre", param_hint="--centre")
    if role != Role.AUTHORITY and not centre_code:
        raise click.BadParameter(f"a {role} account needs a centre", param_hint="--centre")
    centre = _centre_by_code(centre_code) if centre_code else None
    try:
        user = create_user(
            _cli_actor(),
            username=username,
            display_name=display_name,
            role=Role(role),
            password=password,
            centre=centre,
        )
    except AccountError as error:
        raise click.BadParameter(error.message, param_hint=f"--{error.field}") from None
    db.session.commit()
    click.echo(f"Created {role} account {user.username}.")


@click.command(
    "demo", help="Load the demo centres and accounts (idempotent) and print the credentials."
)
@with_appcontext
def demo_command() -> None:
    from .clock import centre_today
    from .demo import RealDataPresent, load_demo

    try:
        credentials = load_demo(on=centre_today())
    except RealDataPresent as error:
        db.session.rollback()
        click.echo(
            f"Refusing to load demo data: this database holds the real centre {error}.", err=True
        )
        sys.exit(1)
    db.session.commit()
    click.echo("Demo data is loaded. Sign in at http://127.0.0.1:5000/")
    click.echo(f"  {'role':<13} {'centre':<12} {'username / ticket':<18} password / ID number")
    for c in credentials:
        click.echo(f"  {c.role:<13} {c.where:<12} {c.login:<18} {c.secret}")
    click.echo("Staff sign in at /auth/login. Candidates sign in at a registered exam terminal:")
    click.echo("  as admin, register this browser as T01 (Centre records > Terminals); then, as")
    click.echo("  invigilator, check the candidate in and press Start the exam (Exam console);")
    click.echo("  then open /auth/terminal.")


@click.group("audit", help="The hash-chained audit log.")
def audit_cli() -> None:
    pass


@audit_cli.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Recompute the chain; exit 1 and name the first broken link if it was tampered with."""
    from .audit.operations import verify_chain

    report = verify_chain()
    if report.intact:
        click.echo(f"Audit chain intact: {report.entries_checked} entries verified.")
        return
    brk = report.first_break
    click.echo(
        f"Audit chain BROKEN at entry {brk.seq} ({brk.problem}): {brk.detail}. "
        f"{report.entries_checked} entries before it are intact.",
        err=True,
    )
    sys.exit(1)


@click.group("jobs", help="Scheduled work (APScheduler).")
def jobs_cli() -> None:
    pass


@jobs_cli.command("run")
@with_appcontext
def jobs_run() -> None:
    """Run the scheduler in the foreground. Run exactly one of these per deployment."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from .jobs import add_jobs

    app = current_app._get_current_object()
    scheduler = BlockingScheduler(timezone=app.config["BABEL_DEFAULT_TIMEZONE"])
    add_jobs(scheduler, app)
    click.echo("Scheduler running; Ctrl+C stops it.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


@click.command(
    "serve", help="The embedded server: a worker per core, threads, the scheduler in one worker."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per worker.")
@click.option(
    "--workers", type=int, default=None, help="Worker processes [default: one per core, max 4]."
)
@click.option(
    "--reuse-port",
    is_flag=True,
    help="A listening socket per worker: an even start of an exam, slower saves (serve.py).",
)
def serve_command(
    host: str, port: int, threads: int, workers: int | None, reuse_port: bool
) -> None:
    from .serve import serve

    serve(host=host, port=port, threads=threads, workers=workers, reuse_port=reuse_port)


def register_commands(app: Flask) -> None:
    from .bank.cli import bank_cli, blueprint_cli, paper_cli
    from .compliance.cli import compliance_cli, register_centre_record_commands
    from .exams.cli import archive_cli, exam_cli
    from .practical.cli import station_cli
    from .sessions.cli import session_cli
    from .transmission.cli import hub_cli, keys_cli, results_cli

    register_centre_record_commands(centre_cli)
    commands = (
        centre_cli,
        users_cli,
        demo_command,
        audit_cli,
        jobs_cli,
        serve_command,
        compliance_cli,
        session_cli,
        bank_cli,
        blueprint_cli,
        paper_cli,
        archive_cli,
        exam_cli,
        station_cli,
        keys_cli,
        results_cli,
        hub_cli,
    )
    for command in commands:
        app.cli.add_command(command)


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app, help="examcentre: the exam-centre platform.")()
