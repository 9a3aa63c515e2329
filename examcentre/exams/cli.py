"""Commands for the theory exam: archive verification and answer-key corrections."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..audit.operations import SYSTEM
from ..extensions import db
from ..models import Centre, QuestionVersion
from ..sessions.cli import _text


@click.group("archive", help="The tamper-evident archive of submitted theory papers.")
def archive_cli() -> None:
    pass


@archive_cli.command("verify")
@click.option("--centre", "centre_code", help="Only this centre's archives.")
@with_appcontext
def archive_verify(centre_code: str | None) -> None:
    """Check every archived attempt against its SHA-256 and the audit log; exit 1 on any
    change, naming the attempt and what is wrong."""
    from .operations import verify_archives

    centre_id = None
    if centre_code:
        centre = db.session.scalar(select(Centre).where(Centre.code == centre_code))
        if centre is None:
            click.echo(f"--centre: no centre with code {centre_code!r}.", err=True)
            sys.exit(2)
        centre_id = centre.id
    checked, findings = verify_archives(centre_id)
    if not findings:
        click.echo(f"Archive intact: {checked} submitted papers verified.")
        return
    for finding in findings:
        click.echo(
            f"attempt {finding.attempt_id} (ticket {finding.ticket}): {finding.problem}", err=True
        )
    bad = len({f.attempt_id for f in findings})
    click.echo(f"Archive CHANGED: {bad} of {checked} papers fail verification.", err=True)
    sys.exit(1)


@click.group("exam", help="The timed theory exam.")
def exam_cli() -> None:
    pass


@exam_cli.command("correct-key")
@click.option(
    "--question-version",
    "version_id",
    type=int,
    required=True,
    help="The id of the question version whose key was wrong.",
)
@click.option("--answer", required=True, help="The correct key: true/false, B, ACD, ...")
@click.option("--reason", required=True, help="Why the key is wrong (kept in the audit log).")
@with_appcontext
def correct_key_command(version_id: int, answer: str, reason: str) -> None:
    """Correct an answer key and re-score every submitted paper that held the question:
    each gets a new result version; no result is overwritten."""
    from .operations import ExamError, correct_key

    version = db.session.get(QuestionVersion, version_id)
    if version is None:
        click.echo(f"--question-version: no question version {version_id}.", err=True)
        sys.exit(2)
    try:
        results = correct_key(SYSTEM, version, answer, reason)
    except ExamError as error:
        db.session.rollback()
        click.echo(f"--{error.field or 'answer'}: {_text(error.message)}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Key of question version {version_id} corrected to {answer.strip()}.")
    click.echo(f"Re-scored {len(results)} submitted papers: each has a new result version.")
