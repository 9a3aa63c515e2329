"""The centre administrator keeps the centre's records (the basis of the compliance check)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..audit.operations import actor_from
from ..auth.forms import ReasonForm
from ..auth.roles import require_role
from ..compliance.exchange import ExchangeError, load_centre
from ..compliance.forms import LIST_SECTIONS, SINGLE_SECTIONS, ExaminerForm
from ..compliance.operations import record_document, save_record_document, validate_document
from ..extensions import db
from ..models import CentreRecordVersion, Role

bp = Blueprint("records", __name__, url_prefix="/centre/records")
bp.before_request(require_role(Role.CENTRE_ADMIN))

MAX_IMPORT_BYTES = 2 * 1024 * 1024

# (section, title, endpoint), in the order the regulation lists them.
RECORD_SECTIONS = (
    ("organisation", _l("Organisation"), "records.edit_single"),
    ("staff", _l("Staff"), "records.list_section"),
    ("examiners", _l("Examiners"), "records.list_section"),
    ("terminals", _l("Terminals"), "records.list_section"),
    ("equipment", _l("Equipment"), "records.list_section"),
    ("field-kit", _l("Field kit and PPE"), "records.edit_single"),
    ("site", _l("Site and lease"), "records.edit_single"),
    ("fields", _l("Practical fields"), "records.list_section"),
)


@bp.context_processor
def _sections() -> dict[str, Any]:
    return {
        "record_sections": RECORD_SECTIONS,
        "section_titles": {key: title for key, title, _endpoint in RECORD_SECTIONS},
    }


def _entries(document: dict[str, Any], path: tuple[str, ...]) -> list[dict[str, Any]]:
    node: Any = document
    for key in path[:-1]:
        node = node.setdefault(key, {"tenure": "owned"} if key == "site" else {})
    return node.setdefault(path[-1], [])


def _save(
    document: dict[str, Any], form: FlaskForm, source: str, prefix: str | None = None
) -> bool:
    """Save the document; on problems put each on its field (or above the form) and say no."""
    try:
        version = save_record_document(
            actor_from(current_user), current_user.centre, document, source=source
        )
    except ExchangeError as error:
        db.session.rollback()
        for problem in error.problems:
            locate = getattr(form, "field_for", None)
            matches = locate is not None and prefix is not None and problem.path.startswith(prefix)
            field = locate(problem.path) if matches else None
            if field is not None:
                field.errors = [*list(field.errors or []), problem.message]
            else:
                form.form_errors.append(f"{problem.path}: {problem.message}")
        return False
    db.session.commit()
    if version is None:
        flash(_("Nothing changed."), "info")
    else:
        flash(
            _("Saved as version %(version)s of the centre's records.", version=version.version),
            "success",
        )
    return True


@bp.route("/")
def overview():
    document = record_document(current_user.centre)
    versions = db.session.scalars(
        select(CentreRecordVersion)
        .where(CentreRecordVersion.centre_id == current_user.centre_id)
        .order_by(CentreRecordVersion.version.desc())
        .limit(10)
    ).all()
    return render_template("records/overview.html", document=document, versions=versions)


@bp.route("/<any(organisation, 'field-kit', site):section>", methods=["GET", "POST"])
def edit_single(section: str):
    form = SINGLE_SECTIONS[section]()
    document = record_document(current_user.centre)
    if request.method == "GET":
        form.load(document)
    elif form.validate_on_submit():
        form.apply(document)
        if _save(document, form, source=f"form:{section}", prefix=form.section):
            return redirect(url_for("records.overview"))
    return render_template("records/edit.html", form=form, section=section, index=None)


@bp.route("/<any(staff, examiners, terminals, equipment, fields):section>")
def list_section(section: str):
    _form_class, path = LIST_SECTIONS[section]
    entries = _entries(record_document(current_user.centre), path)
    return render_template("records/list.html", section=section, entries=entries)


@bp.route(
    "/<any(staff, examiners, terminals, equipment, fields):section>/new", methods=["GET", "POST"]
)
@bp.route(
    "/<any(staff, examiners, terminals, equipment, fields):section>/<int:index>",
    methods=["GET", "POST"],
)
def edit_entry(section: str, index: int | None = None):
    form_class, path = LIST_SECTIONS[section]
    document = record_document(current_user.centre)
    entries = _entries(document, path)
    if index is not None and index >= len(entries):
        abort(404)
    form = form_class()
    if request.method == "GET" and index is not None:
        form.load(entries[index])
    if form.validate_on_submit():
        if index is None:
            entries.append(form.entry())
            position = len(entries) - 1
        else:
            entries[index] = form.entry()
            position = index
        prefix = f"{'.'.join(path)}[{position}]"
        if _save(document, form, source=f"form:{section}", prefix=prefix):
            return redirect(url_for("records.list_section", section=section))
    if isinstance(form, ExaminerForm) and request.method == "GET":
        form.add_blank_rows()
    return render_template("records/edit.html", form=form, section=section, index=index)


@bp.route(
    "/<any(staff, examiners, terminals, equipment, fields):section>/<int:index>/remove",
    methods=["GET", "POST"],
)
def remove_entry(section: str, index: int):
    """Confirm, then remove one entry (the earlier versions keep it)."""
    _form_class, path = LIST_SECTIONS[section]
    document = record_document(current_user.centre)
    entries = _entries(document, path)
    if index >= len(entries):
        abort(404)
    form = ReasonForm()
    entry = entries[index]
    if form.validate_on_submit():
        del entries[index]
        if _save(document, form, source=f"form:{section}:remove"):
            return redirect(url_for("records.list_section", section=section))
    return render_template(
        "records/remove.html", form=form, section=section, index=index, entry=entry
    )


@bp.route("/export.json")
def export():
    document = record_document(current_user.centre)
    body = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    filename = f"{current_user.centre.code}-records.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/import", methods=["GET", "POST"])
def import_records():
    """Upload a document, see every problem or what would change, then confirm."""
    problems: list[str] = []
    preview = None
    text = request.form.get("document", "")
    upload = request.files.get("file")
    if request.method == "POST" and upload is not None and upload.filename:
        raw = upload.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            problems.append(_("The file is larger than 2 MB."))
        else:
            text = raw.decode("utf-8-sig", errors="replace")
    if request.method == "POST" and text and not problems:
        try:
            load_centre(text)
            document = json.loads(text)
            validate_document(current_user.centre, document)
        except ExchangeError as error:
            problems = [str(problem) for problem in error.problems]
        else:
            if request.form.get("confirm") == "1":
                form = FlaskForm()
                if _save(document, form, source="import"):
                    return redirect(url_for("records.overview"))
                problems = list(form.form_errors)
            else:
                current = record_document(current_user.centre)
                preview = sorted(
                    k for k in set(current) | set(document) if current.get(k) != document.get(k)
                )
    return render_template(
        "records/import.html",
        problems=problems,
        preview=preview,
        document=text if preview is not None else "",
    )
