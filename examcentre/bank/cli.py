"""The ``examcentre bank``, ``blueprint`` and ``paper`` commands (edges: parse, call, commit)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from .vocab import ITEMS

_CENTRE = click.option(
    "--centre",
    "centre_code",
    default=None,
    help="Centre code; may be left out when the database holds exactly one centre.",
)
_ITEM = click.option(
    "--item", required=True, type=click.Choice(ITEMS), help="Item code, e.g. 'Q2(限桥式起重机)'."
)


def _actor():
    from ..cli import _cli_actor

    return _cli_actor()


def _centre(code: str | None):
    from ..cli import centre_option_value

    return centre_option_value(code)


@click.group("bank", help="The question bank: load the bank files, import, export.")
def bank_cli() -> None:
    pass


@bank_cli.command("load")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_CENTRE
@with_appcontext
def bank_load(root: Path, centre_code: str | None) -> None:
    """Sync ROOT (e.g. question_bank/) into the bank; a second run changes nothing.

    Every file is checked first; any problem is printed as file:line: reason and nothing is
    written (exit 2).
    """
    from .operations import BankFilesInvalid, load_bank

    centre = _centre(centre_code)
    try:
        report = load_bank(_actor(), centre, root)
    except BankFilesInvalid as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem.format(), err=True)
        click.echo(f"{len(error.problems)} problem(s); nothing was loaded.", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(
        f"{centre.code}: {report.files} files, {len(report.created)} new, "
        f"{len(report.revised)} revised, {len(report.reviewed)} with only their review changed, "
        f"{report.unchanged} unchanged questions; "
        f"{report.points_changed} syllabus points added or renamed."
    )


@bank_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_ITEM
@_CENTRE
@click.option("--dry-run", is_flag=True, help="Check and count, import nothing.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@with_appcontext
def bank_import(file: Path, item: str, centre_code: str | None, dry_run: bool, output: str) -> None:
    """Import FILE (.txt, .csv, .xlsx) as draft questions: the whole file or nothing.

    Exit 0 on success (or a clean dry run), 2 when the file is rejected; the errors go to
    standard error as file:line: reason.
    """
    from .operations import import_questions

    centre = _centre(centre_code)
    report = import_questions(_actor(), centre, item, str(file), file.read_bytes(), dry_run=dry_run)
    if report.imported:
        db.session.commit()
    else:
        db.session.rollback()
    if output == "json":
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    if not report.ok:
        for problem in report.problems:
            click.echo(problem.format(), err=True)
        if output == "text":
            click.echo(
                f"{file}: rejected, {len(report.problems)} problem(s); nothing was imported.",
                err=True,
            )
        sys.exit(2)
    if output == "text":
        counts = report.counts()
        verb = "would import" if dry_run else "imported"
        click.echo(
            f"{file}: {verb} {sum(counts.values())} questions as drafts for {item}: "
            + ", ".join(f"{n} {t}" for t, n in counts.items())
        )
        for area, by_type in report.counts_by_area().items():
            click.echo(f"  {area:<10} " + "  ".join(f"{t} {n}" for t, n in by_type.items()))


@bank_cli.command("export")
@_ITEM
@_CENTRE
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "text", "yaml"]), required=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    required=True,
    help="A file (csv, xlsx, text) or a folder (yaml: the bank-file tree).",
)
@with_appcontext
def bank_export(item: str, centre_code: str | None, fmt: str, output: Path) -> None:
    """Export the item's questions (not retired); importing the export gives them back."""
    from .operations import export_native, export_questions

    centre = _centre(centre_code)
    if fmt == "yaml":
        files = export_native(centre, item)
        for relative, text in files.items():
            path = output / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {len(files)} bank file(s) under {output}.")
        return
    output.write_bytes(export_questions(centre, item, fmt))
    click.echo(f"Wrote {output}.")


@bank_cli.command("stats")
@click.option(
    "--item", type=click.Choice(ITEMS), default=None, help="One item (default: every item)."
)
@_CENTRE
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@with_appcontext
def bank_stats(item: str | None, centre_code: str | None, output: str) -> None:
    """Count the live questions per item (type x area x difficulty, English, reviewed) and
    each blueprint cell against what publishing needs. JSON: question_bank/README.md."""
    from .operations import bank_stats as compute
    from .stats import stats_text

    centre = _centre(centre_code)
    document = compute(
        centre, [item] if item else None, current_app.config.get("BANK_COVERAGE_FACTOR", 3)
    )
    if output == "json":
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        click.echo(stats_text(document))


@click.group("blueprint", help="Paper blueprints (versioned, per item).")
def blueprint_cli() -> None:
    pass


@blueprint_cli.command("create")
@_ITEM
@_CENTRE
@click.option("--publish", is_flag=True, help="Publish it too (needs enough live questions).")
@with_appcontext
def blueprint_create(item: str, centre_code: str | None, publish: bool) -> None:
    """A new version with the default settings (edit it on the blueprint page)."""
    from ..papers.blueprint import Spec
    from ..papers.operations import (
        CoverageShortfall,
        create_blueprint_version,
        publish_blueprint,
    )

    centre = _centre(centre_code)
    blueprint = create_blueprint_version(_actor(), centre, item, Spec())
    if publish:
        try:
            publish_blueprint(
                _actor(), blueprint, current_app.config.get("BANK_COVERAGE_FACTOR", 3)
            )
        except CoverageShortfall as error:
            db.session.rollback()
            for cell in error.cells:
                if cell.shortfall:
                    click.echo(
                        f"{item} {cell.cell}: {cell.live_questions} live questions, "
                        f"{cell.required} needed ({cell.drawn_per_paper} drawn per paper)",
                        err=True,
                    )
            click.echo("Not published: the bank is too small; nothing was saved.", err=True)
            sys.exit(2)
    db.session.commit()
    state = "published" if publish else "draft"
    click.echo(f"{item}: blueprint version {blueprint.version} ({state}).")


@click.group("paper", help="Randomised papers.")
def paper_cli() -> None:
    pass


@paper_cli.command("generate")
@_ITEM
@_CENTRE
@click.option("--seed", required=True, type=click.IntRange(min=0))
@click.option("--count", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--format", "output", type=click.Choice(["json"]), default="json")
@with_appcontext
def paper_generate(item: str, centre_code: str | None, seed: int, count: int, output: str) -> None:
    """Print papers drawn from the published blueprint, one JSON object per line.

    Paper k uses seed N + k. Nothing is stored: the same command prints the same papers
    while the bank is unchanged.
    """
    from ..papers.draw import BankTooSmall
    from ..papers.operations import draw_papers, published_blueprint

    centre = _centre(centre_code)
    blueprint = published_blueprint(centre, item)
    if blueprint is None:
        raise click.BadParameter(
            f"{item} has no published blueprint (examcentre blueprint create --publish)",
            param_hint="--item",
        )
    try:
        batch = draw_papers(blueprint, [seed + k for k in range(count)])
    except BankTooSmall as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    for paper in batch.papers:
        click.echo(json.dumps(batch.paper_json(paper), ensure_ascii=False))
