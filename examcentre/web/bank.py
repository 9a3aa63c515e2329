"""The question bank pages (centre administrators): browse, edit, review, import, blueprints."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..audit.operations import actor_from
from ..auth.forms import ReasonForm
from ..auth.roles import get_in_centre_or_404, in_centre, require_role
from ..bank import operations as bank_ops
from ..bank.vocab import AREAS, ITEMS, TYPES
from ..extensions import db
from ..models import (
    AuditEntry,
    Question,
    QuestionStatus,
    QuestionVersion,
    Role,
    SyllabusPoint,
)
from ..models import (
    Blueprint as PaperBlueprint,
)
from ..papers import operations as paper_ops
from ..papers.blueprint import Spec, cells
from .bank_forms import BlueprintForm, ConfirmImportForm, ImportForm, QuestionForm

bp = Blueprint("bank", __name__, url_prefix="/centre/bank")
bp.before_request(require_role(Role.CENTRE_ADMIN))

PER_PAGE = 50
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _field_message(field: str) -> str:
    """The editor's message for a rule of bank.validate.content_problems, by field."""
    messages = {
        "area": _("Choose one of the three syllabus areas."),
        "type": _("Choose the question type."),
        "stem_zh": _("Write the question in Chinese."),
        "difficulty": _("Choose a difficulty."),
        "level": _("Choose a cognitive level."),
        "options_zh": _(
            "A true/false question has no options; a single-choice question has 4; a"
            " multiple-choice question has 4 or 5. No option may be empty."
        ),
        "answer": _(
            "True/false: true or false. Single choice: one option letter, e.g. B. Multiple"
            " choice: two or more letters in order, e.g. ACD."
        ),
        "options_en": _("Give as many English options as Chinese ones, or none."),
        "stem_en": _("Add the English stem, or remove the English options and explanation."),
        "point": _("Choose a syllabus point of the chosen area and item."),
        "status": _("This question cannot be changed in its current status."),
    }
    return messages.get(field, field)


def _points_for(item: str) -> list[SyllabusPoint]:
    return list(
        db.session.scalars(
            in_centre(select(SyllabusPoint), SyllabusPoint, current_user)
            .where(SyllabusPoint.item == item)
            .order_by(SyllabusPoint.area, SyllabusPoint.code)
        )
    )


def _question_or_404(question_id: int) -> Question:
    return get_in_centre_or_404(Question, question_id, current_user)


# --- browse ------------------------------------------------------------------------------


@bp.route("/")
def questions():
    args = request.args
    item = args.get("item") if args.get("item") in ITEMS else None
    area = args.get("area") if args.get("area") in (*AREAS, "none") else None
    qtype = args.get("type") if args.get("type") in TYPES else None
    status = args.get("status") if args.get("status") in list(QuestionStatus) else None
    difficulty = args.get("difficulty", type=int)
    difficulty = difficulty if difficulty in (1, 2, 3) else None
    text = (args.get("q") or "").strip()[:100]
    page = max(1, args.get("page", 1, type=int))

    statement = (
        in_centre(select(Question, QuestionVersion), Question, current_user)
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .where(QuestionVersion.number == Question.current_version)
    )
    if item:
        statement = statement.where(Question.item == item)
    if area == "none":
        statement = statement.where(QuestionVersion.area.is_(None))
    elif area:
        statement = statement.where(QuestionVersion.area == area)
    if qtype:
        statement = statement.where(QuestionVersion.type == qtype)
    if status:
        statement = statement.where(Question.status == status)
    if difficulty:
        statement = statement.where(QuestionVersion.difficulty == difficulty)
    if text:
        like = f"%{text}%"
        statement = statement.where(
            or_(
                QuestionVersion.stem_zh.ilike(like),
                QuestionVersion.stem_en.ilike(like),
                Question.external_id.ilike(like),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    rows = db.session.execute(
        statement.order_by(Question.item, Question.external_id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    status_counts = dict(
        db.session.execute(
            in_centre(select(Question.status, func.count()), Question, current_user).group_by(
                Question.status
            )
        ).all()
    )
    filters = {
        "item": item,
        "area": area,
        "type": qtype,
        "status": status,
        "difficulty": difficulty,
        "q": text or None,
    }
    return render_template(
        "bank/questions.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        status_counts=status_counts,
        items=ITEMS,
        areas=AREAS,
        types=TYPES,
        statuses=list(QuestionStatus),
    )


@bp.route("/questions/<int:question_id>")
def question(question_id: int):
    question = _question_or_404(question_id)
    history = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "questions", AuditEntry.object_id == str(question.id))
        .order_by(AuditEntry.seq.desc())
        .limit(20)
    ).all()
    return render_template(
        "bank/question.html",
        question=question,
        version=question.version,
        content=bank_ops.content_of(question.version),
        history=history,
        return_form=ReasonForm(),
        may_approve=_may_approve(question),
    )


def _may_approve(question: Question) -> bool:
    return question.status == QuestionStatus.REVIEW and current_user.id not in {
        question.version.created_by_id,
        question.submitted_by_id,
    }


@bp.route("/questions/<int:question_id>/versions/<int:number>")
def question_version(question_id: int, number: int):
    question = _question_or_404(question_id)
    version = next((v for v in question.versions if v.number == number), None)
    if version is None:
        abort(404)
    return render_template(
        "bank/version.html",
        question=question,
        version=version,
        content=bank_ops.content_of(version),
    )


# --- create and edit ---------------------------------------------------------------------


@bp.route("/questions/new", methods=["GET", "POST"])
def question_new():
    item = request.values.get("item") if request.values.get("item") in ITEMS else ITEMS[0]
    form = QuestionForm(points=_points_for(item))
    if request.method == "GET":
        form.item.data = item
    preview = None
    if form.validate_on_submit() and _store_image(form):
        content = form.content()
        if request.form.get("preview"):
            preview = content
        else:
            try:
                question = bank_ops.create_question(
                    actor_from(current_user), current_user.centre, form.item.data, content
                )
            except bank_ops.BankError as error:
                db.session.rollback()
                _field_error(form, error.field)
            else:
                db.session.commit()
                flash(_("Draft question %(id)s saved.", id=question.external_id), "success")
                return redirect(url_for("bank.question", question_id=question.id))
    return render_template("bank/edit.html", form=form, question=None, preview=preview)


IMAGE_MAX_BYTES = 2 * 1024 * 1024
_IMAGE_NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg)$")
_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


def _image_dir(centre_id: int) -> Path:
    path = Path(current_app.instance_path) / "bank-images" / str(centre_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _store_image(form: QuestionForm) -> bool:
    """Keep an uploaded picture under a content-derived name; False (with the field's error)
    when it is not a PNG or JPEG or is too large."""
    upload = form.image_file.data
    if not upload or not getattr(upload, "filename", ""):
        return True
    data = upload.read()
    extension = next((ext for magic, ext in _IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if extension is None:
        form.image_file.errors = [*form.image_file.errors, _("Use a PNG or JPEG picture.")]
        return False
    if len(data) > IMAGE_MAX_BYTES:
        form.image_file.errors = [*form.image_file.errors, _("Use a picture of at most 2 MB.")]
        return False
    name = f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}"
    (_image_dir(current_user.centre_id) / name).write_bytes(data)
    form.image.data = name
    form.remove_image.data = False
    return True


@bp.route("/images/<name>")
def image(name: str):
    """A question's picture, from the signed-in administrator's own centre only."""
    if not _IMAGE_NAME.match(name):
        abort(404)
    return send_from_directory(_image_dir(current_user.centre_id), name, max_age=3600)


def _field_error(form: QuestionForm, field: str) -> None:
    target = getattr(form, field, None) or form.stem_zh
    target.errors = [*target.errors, _field_message(field)]


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
def question_edit(question_id: int):
    question = _question_or_404(question_id)
    if question.status in (QuestionStatus.RETIRED, QuestionStatus.REVIEW):
        flash(_("This question cannot be edited in its current status."), "warning")
        return redirect(url_for("bank.question", question_id=question.id))
    form = QuestionForm(points=_points_for(question.item))
    del form.item  # the item of a question never changes
    if request.method == "GET":
        form.fill(question.version, question.item)
    preview = bank_ops.content_of(question.version)
    if form.validate_on_submit() and _store_image(form):
        content = form.content()
        if request.form.get("preview"):
            preview = content
        else:
            before = question.current_version
            try:
                version = bank_ops.edit_question(actor_from(current_user), question, content)
            except bank_ops.BankError as error:
                db.session.rollback()
                _field_error(form, error.field)
            else:
                db.session.commit()
                if question.live_version and question.live_version != version.number:
                    flash(
                        _(
                            "Saved as version %(n)s, a draft. Version %(live)s stays live until"
                            " another administrator approves the change.",
                            n=version.number,
                            live=question.live_version,
                        ),
                        "success",
                    )
                elif version.number != before:
                    flash(_("Saved as version %(n)s.", n=version.number), "success")
                else:
                    flash(_("Saved."), "success")
                return redirect(url_for("bank.question", question_id=question.id))
    return render_template("bank/edit.html", form=form, question=question, preview=preview)


# --- review workflow ---------------------------------------------------------------------


@bp.post("/questions/<int:question_id>/submit")
def question_submit(question_id: int):
    question = _question_or_404(question_id)
    return _transition(question, bank_ops.submit_for_review, _("Sent for review."))


@bp.post("/questions/<int:question_id>/approve")
def question_approve(question_id: int):
    question = _question_or_404(question_id)
    return _transition(question, bank_ops.approve_question, _("Approved: the question is live."))


def _transition(question: Question, operation, message: str):
    try:
        operation(actor_from(current_user), question)
    except bank_ops.BankError as error:
        db.session.rollback()
        if "four eyes" in error.message:
            flash(_("Someone other than the author must approve this question."), "danger")
        elif error.field == "area":
            flash(
                _("Tag the question with a syllabus area before sending it for review."), "danger"
            )
        else:
            flash(_field_message(error.field), "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("bank.question", question_id=question.id))


@bp.route("/questions/<int:question_id>/<any(return, retire):change>", methods=["GET", "POST"])
def question_reason(question_id: int, change: str):
    """Return to draft (reviewer) or retire (confirmation): both ask for a reason."""
    question = _question_or_404(question_id)
    form = ReasonForm()
    if form.validate_on_submit():
        operation = bank_ops.return_question if change == "return" else bank_ops.retire_question
        try:
            operation(actor_from(current_user), question, form.reason.data)
        except bank_ops.BankError as error:
            db.session.rollback()
            form.reason.errors.append(_field_message(error.field))
        else:
            db.session.commit()
            flash(
                _("Returned to draft.") if change == "return" else _("The question is retired."),
                "success",
            )
            return redirect(url_for("bank.question", question_id=question.id))
    return render_template("bank/reason.html", question=question, change=change, form=form)


# --- import and export -------------------------------------------------------------------


UPLOAD_KEEP_SECONDS = 24 * 3600


def _import_dir() -> Path:
    """Where a checked upload waits for its confirmation; day-old leftovers are removed."""
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(exist_ok=True)
    cutoff = time.time() - UPLOAD_KEEP_SECONDS
    for old in path.iterdir():
        if _TOKEN.match(old.name) and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return path


@bp.route("/import", methods=["GET", "POST"])
def import_upload():
    """Upload a file: the whole file is checked and the dry-run report shown before importing."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        filename = Path(upload.filename or "upload.txt").name
        data = upload.read()
        report = bank_ops.import_questions(
            actor_from(current_user), current_user.centre, form.item.data, filename, data,
            dry_run=True,
        )  # fmt: skip
        db.session.rollback()
        confirm = None
        if report.ok:
            token = secrets.token_hex(16)
            (_import_dir() / token).write_bytes(data)
            confirm = ConfirmImportForm(
                token=token, item=form.item.data, filename=filename, formdata=None
            )
        return render_template("bank/import_report.html", report=report, confirm=confirm)
    return render_template("bank/import.html", form=form, items=ITEMS)


@bp.post("/import/confirm")
def import_confirm():
    form = ConfirmImportForm()
    if not form.validate_on_submit() or not _TOKEN.match(form.token.data or ""):
        abort(400)
    path = _import_dir() / form.token.data
    if not path.exists() or form.item.data not in ITEMS:
        flash(_("That upload has expired; upload the file again."), "warning")
        return redirect(url_for("bank.import_upload"))
    report = bank_ops.import_questions(
        actor_from(current_user),
        current_user.centre,
        form.item.data,
        Path(form.filename.data or "upload.txt").name,
        path.read_bytes(),
    )
    if not report.imported:  # the bank changed since the dry run
        db.session.rollback()
        return render_template("bank/import_report.html", report=report, confirm=None)
    db.session.commit()
    path.unlink(missing_ok=True)
    flash(_("%(count)s questions imported as drafts.", count=len(report.question_ids)), "success")
    return redirect(url_for("bank.questions", item=form.item.data, status="draft"))


_MIMETYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "text": ("text/plain; charset=utf-8", "txt"),
}


@bp.route("/export/<any(csv, xlsx, text):fmt>")
def export(fmt: str):
    item = request.args.get("item")
    if item not in ITEMS:
        abort(404)
    data = bank_ops.export_questions(current_user.centre, item, fmt)
    mimetype, extension = _MIMETYPES[fmt]
    name = f"bank-{item.split('(')[0]}.{extension}"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/template.<any(csv, xlsx):fmt>")
def template(fmt: str):
    from ..bank import formats

    data = formats.csv_template().encode("utf-8-sig") if fmt == "csv" else formats.xlsx_template()
    mimetype = _MIMETYPES[fmt][0]
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="bank-template.{fmt}"'},
    )


# --- blueprints --------------------------------------------------------------------------


@bp.route("/blueprints")
def blueprints():
    rows = db.session.scalars(
        in_centre(select(PaperBlueprint), PaperBlueprint, current_user).order_by(
            PaperBlueprint.item, PaperBlueprint.version.desc()
        )
    ).all()
    by_item = {item: [b for b in rows if b.item == item] for item in ITEMS}
    return render_template("bank/blueprints.html", by_item=by_item)


@bp.route("/blueprints/<int:blueprint_id>")
def blueprint(blueprint_id: int):
    blueprint = get_in_centre_or_404(PaperBlueprint, blueprint_id, current_user)
    return _render_blueprint(blueprint)


def _render_blueprint(blueprint: PaperBlueprint, refused: bool = False):
    spec = Spec.from_json(blueprint.spec)
    coverage = paper_ops.blueprint_coverage(blueprint, _coverage_factor())
    return render_template(
        "bank/blueprint.html",
        blueprint=blueprint,
        spec=spec,
        coverage=coverage,
        by_cell={(c.area, c.type): c for c in coverage},
        refused=refused,
        factor=_coverage_factor(),
        areas=AREAS,
        types=TYPES,
    )


def _coverage_factor() -> int:
    return int(current_app.config.get("BANK_COVERAGE_FACTOR", 3))


@bp.route("/blueprints/new", methods=["GET", "POST"])
def blueprint_new():
    item = request.values.get("item")
    if item not in ITEMS:
        abort(404)
    versions = paper_ops.blueprint_versions(current_user.centre, item)
    form = BlueprintForm()
    if request.method == "GET":
        form.fill(Spec.from_json(versions[0].spec) if versions else Spec())
    if form.validate_on_submit():
        try:
            blueprint = paper_ops.create_blueprint_version(
                actor_from(current_user), current_user.centre, item, form.spec()
            )
        except paper_ops.BlueprintError as error:
            db.session.rollback()
            target = getattr(form, BlueprintForm.FIELD_FOR.get(error.field, error.field), None)
            (target or form.duration_minutes).errors.append(_blueprint_message(error.field))
        else:
            db.session.commit()
            flash(_("Blueprint version %(n)s saved as a draft.", n=blueprint.version), "success")
            return redirect(url_for("bank.blueprint", blueprint_id=blueprint.id))
    return render_template("bank/blueprint_new.html", form=form, item=item, versions=versions)


def _blueprint_message(field: str) -> str:
    return {
        "duration_minutes": _("The duration must be at least 1 minute."),
        "counts": _("A paper needs at least one question."),
        "points": _("Every question type is worth at least 1 point."),
        "area_weights": _("The three area weights add up to 100."),
        "difficulty_mix": _("The three difficulty shares add up to 100."),
        "pass_mark": _("The pass mark lies between 1 and the paper's total points."),
        "min_critical": _("At most the number of questions on the paper."),
    }.get(field, field)


@bp.post("/blueprints/<int:blueprint_id>/publish")
def blueprint_publish(blueprint_id: int):
    blueprint = get_in_centre_or_404(PaperBlueprint, blueprint_id, current_user)
    try:
        paper_ops.publish_blueprint(actor_from(current_user), blueprint, _coverage_factor())
    except paper_ops.CoverageShortfall:
        db.session.rollback()
        flash(_("Not published: some cells have too few live questions (see below)."), "danger")
        return _render_blueprint(blueprint, refused=True), 409
    except paper_ops.BlueprintError:
        db.session.rollback()
        flash(_("Only a draft blueprint can be published."), "danger")
    else:
        db.session.commit()
        flash(_("Blueprint version %(n)s is published.", n=blueprint.version), "success")
    return redirect(url_for("bank.blueprint", blueprint_id=blueprint.id))


@bp.app_template_global()
def blueprint_cells(spec: Spec) -> dict:
    return cells(spec)
