"""``examcentre compliance check`` and ``examcentre centre export|import``.

The contract is ``shared/spec/compliance-input.md``: exit 0 compliant, 1 not compliant,
2 the input could not be read (each problem on standard error with its JSON path, and
nothing written anywhere).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import Centre

EXIT_COMPLIANT, EXIT_NOT_COMPLIANT, EXIT_UNREADABLE = 0, 1, 2


def _cli_actor():
    from ..cli import _cli_actor as actor

    return actor()


def _fail_unreadable(problems: list[str]) -> None:
    for problem in problems:
        click.echo(problem, err=True)
    sys.exit(EXIT_UNREADABLE)


def _read_json_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        _fail_unreadable([f"{path}: cannot read the file ({error})"])
        raise AssertionError("unreachable") from None


def _parse_on(value: str | None) -> date:
    from ..clock import centre_today

    if value is None:
        return centre_today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail_unreadable([f"--on: {value!r} is not a date (YYYY-MM-DD)"])
        raise AssertionError("unreachable") from None


def format_text(report: dict) -> str:
    """A plain-text rendering for a terminal."""
    marks = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}
    lines = [
        f"Centre {report['centre']} evaluated on {report['evaluated_on']}: "
        + ("COMPLIANT" if report["compliant"] else "NOT COMPLIANT")
        + f" (annual volume {report['annual_volume']})",
    ]
    for finding in report["findings"]:
        lines.append(
            f"  {marks[finding['status']]:<4} {finding['rule']:<10} {finding['clause']:<16} "
            f"{finding['message_en']}"
        )
    return "\n".join(lines) + "\n"


@click.group("compliance", help="The centre compliance self-check against the regulation.")
def compliance_cli() -> None:
    pass


@compliance_cli.command("check")
@click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False),
    help="An examcentre.centre/1 JSON file.",
)
@click.option("--centre", "centre_code", help="Check a centre held in the database.")
@click.option("--on", "on_text", help="Evaluate as of this date (YYYY-MM-DD); default today.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "text", "pdf"]),
    default="text",
    show_default=True,
)
@click.option("--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@with_appcontext
def check(input_path, centre_code, on_text, output_format, output) -> None:
    """Exit 0 compliant, 1 not compliant, 2 the input could not be read."""
    from ..clock import centre_now
    from .exchange import ExchangeError, centre_to_json, load_centre, report_to_json
    from .operations import (
        PLATFORM_SYSTEM_FUNCTIONS,
        bank_coverage,
        record_document,
        report_of,
        run_check,
    )
    from .pdf import build_compliance_pdf
    from .rules import evaluate

    if bool(input_path) == bool(centre_code):
        _fail_unreadable(["give exactly one of --input FILE or --centre CODE"])
    if output_format == "pdf" and not output:
        _fail_unreadable(["--format pdf needs --output FILE"])
    on = _parse_on(on_text)

    if input_path:
        text = _read_json_file(input_path)
        try:
            centre_record = load_centre(text)
        except ExchangeError as error:
            _fail_unreadable([str(problem) for problem in error.problems])
        # The bank is the platform's: known only when the centre is also held here.
        held = db.session.scalar(select(Centre).where(Centre.code == centre_record.code))
        report = report_to_json(
            evaluate(
                centre_record,
                on,
                system_functions=PLATFORM_SYSTEM_FUNCTIONS,
                bank=bank_coverage(held) if held else None,
            )
        )
        document = centre_to_json(centre_record)
    else:
        centre = db.session.scalar(select(Centre).where(Centre.code == centre_code))
        if centre is None:
            _fail_unreadable([f"--centre: no centre with code {centre_code!r}"])
        try:
            stored = run_check(_cli_actor(), centre, on, trigger="cli")
        except ExchangeError as error:  # a stored record that no longer parses
            db.session.rollback()
            _fail_unreadable([str(problem) for problem in error.problems])
        db.session.commit()
        report = report_of(stored)
        document = record_document(centre)

    if output_format == "json":
        payload = (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode()
    elif output_format == "text":
        payload = format_text(report).encode()
    else:
        stamp = centre_now().strftime("%Y-%m-%d %H:%M")
        payload = build_compliance_pdf(report, document, stamp)
    if output:
        Path(output).write_bytes(payload)
    else:
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
    sys.exit(EXIT_COMPLIANT if report["compliant"] else EXIT_NOT_COMPLIANT)


def register_centre_record_commands(group: click.Group) -> None:
    @group.command("export")
    @click.argument("code")
    @click.option("--output", type=click.Path(dir_okay=False), help="Default: stdout.")
    @with_appcontext
    def export(code: str, output: str | None) -> None:
        """Write the centre's records as an examcentre.centre/1 document."""
        from .operations import record_document

        centre = db.session.scalar(select(Centre).where(Centre.code == code))
        if centre is None:
            raise click.BadParameter(f"no centre with code {code!r}", param_hint="CODE")
        text = json.dumps(record_document(centre), ensure_ascii=False, indent=2) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)

    @group.command("import")
    @click.argument("path", type=click.Path(dir_okay=False))
    @with_appcontext
    def import_(path: str) -> None:
        """Read an examcentre.centre/1 document into the centre it names (created if new).

        Exit 2 with every problem (JSON path first) when the file is invalid; nothing is
        written then.
        """
        from ..audit.operations import record
        from .exchange import ExchangeError, load_centre
        from .operations import save_record_document

        text = _read_json_file(path)
        try:
            parsed = load_centre(text)
        except ExchangeError as error:
            _fail_unreadable([f"{path}: {problem}" for problem in error.problems])
        actor = _cli_actor()
        centre = db.session.scalar(select(Centre).where(Centre.code == parsed.code))
        if centre is None:
            centre = Centre(code=parsed.code, name=parsed.name)
            db.session.add(centre)
            record(actor, "centre.create", obj=centre, details={"code": parsed.code})
        try:
            version = save_record_document(actor, centre, json.loads(text), source="import")
        except ExchangeError as error:
            db.session.rollback()
            _fail_unreadable([f"{path}: {problem}" for problem in error.problems])
        db.session.commit()
        if version is None:
            click.echo(f"{centre.code}: no change.")
        else:
            click.echo(f"{centre.code}: saved as version {version.version}.")
