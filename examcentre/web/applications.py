"""The centre's application queue (/centre/applications): intake, review, documents,
enrolment. Centre administrators only; the documents are served from here, never from a
static URL."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..applications import operations as ops
from ..applications import rules, uploads
from ..applications.forms import (
    DOCUMENT_FIELDS,
    EDUCATION_CHOICES,
    ApplicationForm,
    DecisionForm,
    DocumentsForm,
    EnrolApplicationForm,
    item_choices,
)
from ..audit.operations import actor_from
from ..auth.roles import get_in_centre_or_404, in_centre, require_role
from ..clock import centre_today
from ..extensions import db
from ..formfields import choices
from ..models import Application, ApplicationDocument, AuditEntry, ExamSession, Role
from ..sessions.operations import SessionError, eligibility_messages
from ..sessions.photos import photo_directory

bp = Blueprint("applications", __name__, url_prefix="/centre/applications")
bp.before_request(require_role(Role.CENTRE_ADMIN))


@bp.before_request
def _limit_the_body() -> None:
    # At most four files at the size limit and the form: a larger body is refused (413)
    # before it is spooled to disk, while the size of each file is checked, with a message
    # naming it, by ``uploads.check``.
    request.max_content_length = 4 * max_bytes() + 1024 * 1024

STATE_LABELS = {
    "submitted": _l("Awaiting review"),
    "more_requested": _l("More material requested"),
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
    "enrolled": _l("Enrolled"),
    "withdrawn": _l("Withdrawn"),
    "closed": _l("Closed"),
}
STATE_BADGES = {
    "submitted": "warning",
    "more_requested": "info",
    "accepted": "success",
    "rejected": "danger",
    "enrolled": "primary",
    "withdrawn": "secondary",
    "closed": "dark",
}
ACTION_LABELS = {
    "accept": _l("Accept"),
    "reject": _l("Reject"),
    "request_more": _l("Request more material"),
    "resubmit": _l("Material received: back to review"),
    "withdraw": _l("Withdraw"),
    "close": _l("Close"),
}
KIND_LABELS = {
    "photo": _l("ID photo"),
    "id_card": _l("ID card copy"),
    "training": _l("Training proof"),
    "health": _l("Health declaration"),
    "education": _l("Education certificate"),
    "other": _l("Other"),
}


def files_dir() -> Path:
    configured = current_app.config.get("APPLICATION_FILES_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "applications"


def max_bytes() -> int:
    return int(current_app.config.get("APPLICATION_UPLOAD_MAX_BYTES") or uploads.DEFAULT_MAX_BYTES)


def _english() -> bool:
    from flask_babel import get_locale

    return str(get_locale()).startswith("en")


def _checked_uploads(form, kinds: dict[str, str]) -> list[tuple[str, uploads.CheckedFile]]:
    """Check every chosen file before anything is written; raise on the first bad one."""
    checked = []
    for field_name, kind in kinds.items():
        storage = form[field_name].data
        if not storage or not getattr(storage, "filename", ""):
            continue
        data = storage.read(max_bytes() + 1)
        checked.append(
            (
                kind,
                uploads.check(
                    field_name,
                    storage.filename,
                    data,
                    max_bytes=max_bytes(),
                    images_only=kind == "photo",
                ),
            )
        )
    return checked


def _add_error(form, field: str, message) -> None:
    target = getattr(form, field, None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*list(target.errors or []), message]
    else:
        form.form_errors.append(message)


UPLOAD_MESSAGES = {
    "empty": _l("%(name)s is empty."),
    "too_large": _l("%(name)s is too large: %(size)s bytes; the limit is %(limit)s bytes."),
    "wrong_type": _l("%(name)s is refused: by its content it is not a %(allowed)s file."),
    "not_image": _l("%(name)s is refused: the photo must be a JPEG or PNG image."),
    "extension_mismatch": _l(
        "%(name)s is refused: its name says %(extension)s but its content is %(media_type)s."
        " Rename or re-scan it."
    ),
}


def _upload_message(error: uploads.UploadError) -> str:
    """The refusal in the reader's language, naming the file and the limit or type."""
    template = UPLOAD_MESSAGES.get(error.code)
    return str(template) % error.params if template is not None else error.message


@bp.route("/")
def queue():
    state = request.args.get("state") or ""
    query = in_centre(select(Application), Application, current_user)
    if state in STATE_LABELS:
        query = query.where(Application.state == state)
    rows = db.session.scalars(query.order_by(Application.id.desc()).limit(500)).all()
    return render_template(
        "applications/queue.html",
        rows=rows,
        state=state,
        state_labels=STATE_LABELS,
        state_badges=STATE_BADGES,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = ApplicationForm()
    form.item.choices = item_choices()
    status = 200
    if form.validate_on_submit():
        written: list[str] = []
        try:
            checked = _checked_uploads(
                form,
                {
                    "photo": "photo",
                    "id_card": "id_card",
                    "training": "training",
                    "health": "health",
                },
            )
            data = ops.ApplicationInput(
                item=form.item.data,
                applied_by=form.applied_by.data,
                id_number=form.id_number.data,
                name=form.name.data,
                employer=form.employer.data,
                education=form.education.data,
                phone=form.phone.data,
                address=form.address.data,
                health_declared=form.health_declared.data,
                health_note=form.health_note.data,
                training_provider=form.training_provider.data,
                training_hours=form.training_hours.data,
                training_completed_on=form.training_completed_on.data,
            )
            application, written = ops.create_application(
                actor_from(current_user),
                current_user.centre,
                data,
                checked,
                files_dir(),
                centre_today(),
            )
            db.session.commit()
        except uploads.UploadError as error:
            db.session.rollback()
            _add_error(form, error.field, _upload_message(error))
            status = 422
        except ops.ApplicationError as error:
            db.session.rollback()
            _add_error(form, error.field, error.message)
            status = 422
        except Exception:
            db.session.rollback()
            uploads.remove(files_dir(), written)
            raise
        else:
            flash(_("Application %(number)s recorded.", number=application.number), "success")
            return redirect(url_for("applications.detail", application_id=application.id))
    elif request.method == "POST":
        status = 422
    return render_template("applications/new.html", form=form), status


def _detail(application: Application, **forms):
    documents_form = forms.get("documents_form") or DocumentsForm()
    documents_form.kind.choices = choices(KIND_LABELS.items())
    enrol_form = forms.get("enrol_form") or EnrolApplicationForm()
    sessions = db.session.scalars(
        in_centre(select(ExamSession), ExamSession, current_user)
        .where(ExamSession.state == "scheduled", ExamSession.item == application.item)
        .order_by(ExamSession.starts_at)
    ).all()
    enrol_form.session.choices = choices(
        (s.id, f"{s.starts_at.astimezone(_tz()):%Y-%m-%d %H:%M} · {s.room}") for s in sessions
    )
    history = db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.object_type == "applications", AuditEntry.object_id == str(application.id)
        )
        .order_by(AuditEntry.seq)
    ).all()
    english = _english()
    findings = ops.findings_for(application, centre_today())
    return render_template(
        "applications/detail.html",
        application=application,
        findings=[(f, f.message_en if english else f.message_zh) for f in findings],
        all_ok=rules.all_ok(findings),
        actions=[a for a in rules.actions_from(application.state) if a != "enrol"],
        action_labels=ACTION_LABELS,
        decision_form=forms.get("decision_form") or DecisionForm(),
        documents_form=documents_form,
        enrol_form=enrol_form,
        sessions=sessions,
        history=history,
        state_labels=STATE_LABELS,
        state_badges=STATE_BADGES,
        kind_labels=KIND_LABELS,
        eligibility=forms.get("eligibility", []),
        document_fields=DOCUMENT_FIELDS,
        education_labels=dict(EDUCATION_CHOICES),
    )


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.route("/<int:application_id>")
def detail(application_id: int):
    return _detail(get_in_centre_or_404(Application, application_id, current_user))


@bp.route(
    "/<int:application_id>/<any(accept, reject, request_more, resubmit, withdraw, close):action>",
    methods=["POST"],
)
def decide(application_id: int, action: str):
    application = get_in_centre_or_404(Application, application_id, current_user)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            ops.decide(actor_from(current_user), application, action, form.reason.data)
        except ops.ApplicationError as error:
            db.session.rollback()
            _add_error(form, error.field, error.message)
        else:
            db.session.commit()
            flash(
                _(
                    "Application %(number)s: %(state)s.",
                    number=application.number,
                    state=STATE_LABELS[application.state],
                ),
                "success",
            )
            return redirect(url_for("applications.detail", application_id=application.id))
    return _detail(application, decision_form=form), 422


@bp.route("/<int:application_id>/documents", methods=["POST"])
def add_document(application_id: int):
    application = get_in_centre_or_404(Application, application_id, current_user)
    form = DocumentsForm()
    form.kind.choices = choices(KIND_LABELS.items())
    if form.validate_on_submit():
        written: list[str] = []
        try:
            checked = _checked_uploads(form, {"document": form.kind.data})
            if not checked:
                raise ops.ApplicationError("document", _l("Choose a file."))
            written = ops.add_documents(actor_from(current_user), application, checked, files_dir())
            db.session.commit()
        except uploads.UploadError as error:
            db.session.rollback()
            _add_error(form, error.field, _upload_message(error))
        except ops.ApplicationError as error:
            db.session.rollback()
            uploads.remove(files_dir(), written)
            _add_error(form, error.field, error.message)
        except Exception:
            db.session.rollback()
            uploads.remove(files_dir(), written)
            raise
        else:
            flash(_("Document added."), "success")
            return redirect(url_for("applications.detail", application_id=application.id))
    return _detail(application, documents_form=form), 422


@bp.route("/<int:application_id>/documents/<int:document_id>")
def document(application_id: int, document_id: int):
    """The file, as a download: never rendered inline, never sniffed into another type."""
    application = get_in_centre_or_404(Application, application_id, current_user)
    doc = get_in_centre_or_404(ApplicationDocument, document_id, current_user)
    if doc.application_id != application.id:
        abort(404)
    path = uploads.safe_path(files_dir(), doc.stored_name)
    if path is None:
        abort(404)
    response = send_file(
        path,
        mimetype=doc.media_type,
        as_attachment=True,
        download_name=f"{application.number}-{doc.kind}{uploads.EXTENSION[doc.media_type]}",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.route("/<int:application_id>/enrol", methods=["POST"])
def enrol(application_id: int):
    application = get_in_centre_or_404(Application, application_id, current_user)
    form = EnrolApplicationForm()
    form.session.choices = choices(
        (s.id, str(s.id))
        for s in db.session.scalars(
            in_centre(select(ExamSession), ExamSession, current_user).where(
                ExamSession.state == "scheduled"
            )
        )
    )
    eligibility: list[str] = []
    if form.validate_on_submit():
        session = get_in_centre_or_404(ExamSession, form.session.data, current_user)
        try:
            ticket = ops.enrol_application(
                actor_from(current_user),
                application,
                session,
                timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
                files_dir=files_dir(),
                photos_dir=photo_directory(),
            )
        except (ops.ApplicationError, SessionError) as error:
            db.session.rollback()
            _add_error(form, "session", error.message)
            eligibility = eligibility_messages(getattr(error, "details", ()), _english())
        else:
            db.session.commit()
            flash(_("Enrolled with ticket %(number)s.", number=ticket.number), "success")
            return redirect(url_for("applications.detail", application_id=application.id))
    return _detail(application, enrol_form=form, eligibility=eligibility), 422
