"""``examcentre session ...``: create, release, close, roster import, admission tickets."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from ..models import Centre, ExamSession, Role, Terminal, User
from . import operations as ops
from .states import CancellationReasonRequired, ForbiddenTransition


def _text(message) -> str:
    """A (lazily translated) message in English: the command line speaks English."""
    with current_app.test_request_context(headers={"Accept-Language": "en"}), force_locale("en"):
        return str(message)


def _fail(message) -> None:
    """Report bad input on stderr, write nothing, exit 2."""
    db.session.rollback()
    click.echo(f"Error: {_text(message)}", err=True)
    sys.exit(2)


def _timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _local(text: str, option: str) -> datetime:
    try:
        moment = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise click.BadParameter(f"{text!r} is not YYYY-MM-DD HH:MM", param_hint=option) from None
    return ops.local_to_utc(moment.date(), moment.time(), _timezone())


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _session(session_id: int) -> ExamSession:
    session = db.session.get(ExamSession, session_id)
    if session is None:
        raise click.BadParameter(f"no exam session {session_id}", param_hint="SESSION_ID")
    return session


@click.group("session", help="Exam sessions.")
def session_cli() -> None:
    pass


@session_cli.command("create")
@click.option("--centre", "centre_code", required=True, help="Centre code.")
@click.option("--item", required=True, type=click.Choice(["Q1", "Q2(限桥式起重机)"]))
@click.option("--start", required=True, help='Local time, "YYYY-MM-DD HH:MM".')
@click.option("--end", required=True, help='Local time, "YYYY-MM-DD HH:MM".')
@click.option("--room", required=True)
@click.option("--capacity", required=True, type=click.IntRange(min=1))
@click.option("--terminals", required=True, help="Terminal codes, comma-separated.")
@click.option("--invigilators", required=True, help="Invigilator usernames, comma-separated.")
@with_appcontext
def create(centre_code, item, start, end, room, capacity, terminals, invigilators) -> None:
    """Schedule a theory session (times in the centre's time zone)."""
    from ..cli import _cli_actor

    centre = db.session.scalar(select(Centre).where(Centre.code == centre_code))
    if centre is None:
        raise click.BadParameter(f"no centre with code {centre_code!r}", param_hint="--centre")
    starts_at, ends_at = _local(start, "--start"), _local(end, "--end")
    chosen_terminals = []
    for code in _names(terminals):
        terminal = db.session.scalar(
            select(Terminal).where(Terminal.centre_id == centre.id, Terminal.code == code)
        )
        if terminal is None:
            raise click.BadParameter(
                f"no terminal {code!r} at centre {centre_code}", param_hint="--terminals"
            )
        chosen_terminals.append(terminal)
    chosen_users = []
    for username in _names(invigilators):
        user = db.session.scalar(
            select(User).where(
                User.centre_id == centre.id,
                User.username == username,
                User.role == Role.INVIGILATOR,
            )
        )
        if user is None:
            raise click.BadParameter(
                f"no invigilator {username!r} at centre {centre_code}",
                param_hint="--invigilators",
            )
        chosen_users.append(user)
    plan = ops.SessionPlan(
        item=item,
        room=room.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        terminals=chosen_terminals,
        invigilators=chosen_users,
    )
    try:
        session = ops.create_session(_cli_actor(), centre, plan)
        db.session.flush()
    except ops.SessionError as error:
        option = {"ends_at": "--end", "starts_at": "--start"}.get(error.field, f"--{error.field}")
        _fail(f"{option}: {_text(error.message)}")
    db.session.commit()
    click.echo(f"Created exam session {session.id} ({item}, {start}-{end[-5:]}, room {room}).")


def _move(session_id: int, target: str, reason: str | None = None) -> None:
    from ..cli import _cli_actor
    from ..clock import centre_today

    session = _session(session_id)
    before = session.state
    try:
        ops.change_state(_cli_actor(), session, target, on=centre_today(), reason=reason)
    except (ForbiddenTransition, CancellationReasonRequired) as error:
        _fail(str(error))
    except ops.SessionError as error:
        lines = [_text(error.message)]
        lines += [
            f"  {f.get('rule')}: {f.get('message_en') or f.get('message')}"
            for f in error.details
            if isinstance(f, dict)
        ]
        _fail("\n".join(lines))
    db.session.commit()
    click.echo(f"Exam session {session.id}: {before} -> {target}.")


@session_cli.command("release")
@click.argument("session_id", type=int)
@with_appcontext
def release(session_id: int) -> None:
    """Release: freeze the session (refused while the centre is not compliant)."""
    _move(session_id, "released")


@session_cli.command("start")
@click.argument("session_id", type=int)
@with_appcontext
def start(session_id: int) -> None:
    """Start the exam."""
    _move(session_id, "in_progress")


@session_cli.command("close")
@click.argument("session_id", type=int)
@with_appcontext
def close(session_id: int) -> None:
    """Close: candidates never checked in are marked absent."""
    _move(session_id, "closed")


@session_cli.command("cancel")
@click.argument("session_id", type=int)
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@with_appcontext
def cancel(session_id: int, reason: str) -> None:
    """Call the session off, for good."""
    if not reason.strip():
        raise click.BadParameter("give a reason", param_hint="--reason")
    _move(session_id, "cancelled", reason.strip())


@session_cli.group("roster", help="Session rosters.")
def roster_cli() -> None:
    pass


@roster_cli.command("import")
@click.argument("session_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row; enrol nobody.")
@with_appcontext
def roster_import(session_id: int, file: Path, dry_run: bool) -> None:
    """Enrol every candidate of a CSV or XLSX roster, or nobody if any row is wrong."""
    from ..cli import _cli_actor

    session = _session(session_id)
    try:
        result = ops.import_roster(
            _cli_actor(),
            session,
            file.name,
            file.read_bytes(),
            timezone=_timezone(),
            dry_run=dry_run,
        )
    except ops.RosterRejected as rejected:
        db.session.rollback()
        for problem in rejected.problems:
            click.echo(problem.format(file.name), err=True)
        click.echo(f"Rejected: {len(rejected.problems)} problem(s); nobody enrolled.", err=True)
        sys.exit(2)
    except ops.SessionError as error:
        _fail(error.message)
    if dry_run:
        db.session.rollback()
        click.echo(f"{file.name}: {len(result)} candidate(s) would be enrolled (dry run).")
        return
    db.session.commit()
    for ticket in result:
        seat = ticket.terminal.code if ticket.terminal else "-"
        click.echo(f"{ticket.number}  {ticket.candidate.name}  {seat}")
    click.echo(f"Enrolled {len(result)} candidate(s) in session {session.id}.")


@session_cli.command("tickets")
@click.argument("session_id", type=int)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def tickets(session_id: int, output: Path) -> None:
    """Write every admission ticket of the session to one PDF."""
    from .tickets_pdf import build_admission_tickets_pdf

    session = _session(session_id)
    enrolled = ops.tickets_of(session)
    if not enrolled:
        _fail(f"session {session.id} has nobody enrolled")
    data = ops.admission_ticket_data(
        session,
        enrolled,
        timezone=_timezone(),
        photo_dir=Path(current_app.instance_path) / "photos",
    )
    output.write_bytes(build_admission_tickets_pdf(data))
    click.echo(f"Wrote {len(enrolled)} admission ticket(s) to {output}.")
