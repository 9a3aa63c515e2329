"""Appeals and complaints (/centre/appeals): the case list, a case page with its timeline,
the steps, the theory score review, the answer letter, the classification table.
Centre administrators only; a supervisor is any other administrator than the handler."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..appeals import operations as ops
from ..appeals import states
from ..appeals.forms import (
    ACTION_LABELS,
    OUTCOME_LABELS,
    STATE_LABELS,
    TYPE_LABELS,
    CaseForm,
    ReviewForm,
    StepForm,
)
from ..appeals.letter_pdf import LetterData, build_letter_pdf
from ..audit.operations import actor_from
from ..auth.roles import get_in_centre_or_404, in_centre, require_role
from ..clock import centre_today
from ..extensions import db
from ..formfields import choices
from ..models import AdmissionTicket, AppealCase, AttemptResult, AuditEntry, Centre, Role, User
from ..workdays import WorkingCalendar

bp = Blueprint("appeals", __name__, url_prefix="/centre/appeals")
bp.before_request(require_role(Role.CENTRE_ADMIN))


def calendar() -> WorkingCalendar:
    return WorkingCalendar.from_config(
        current_app.config.get("HOLIDAYS", []), current_app.config.get("EXTRA_WORKING_DAYS", [])
    )


def _answer_days() -> int:
    return int(current_app.config.get("APPEAL_ANSWER_WORKING_DAYS", 3))


def _followup_days() -> int:
    return int(current_app.config.get("APPEAL_FOLLOWUP_DAYS", 7))


def _overdue(case: AppealCase, today) -> str | None:
    return states.overdue(case.state, today, case.answer_due_on, case.followup_due_on)


@bp.route("/")
def cases():
    state = request.args.get("state") or ""
    case_type = request.args.get("type") or ""
    query = in_centre(select(AppealCase), AppealCase, current_user)
    if state in STATE_LABELS:
        query = query.where(AppealCase.state == state)
    if case_type in TYPE_LABELS:
        query = query.where(AppealCase.case_type == case_type)
    rows = db.session.scalars(query.order_by(AppealCase.id.desc()).limit(500)).all()
    today = centre_today()
    return render_template(
        "appeals/cases.html",
        rows=[(case, _overdue(case, today)) for case in rows],
        state=state,
        case_type=case_type,
        state_labels=STATE_LABELS,
        type_labels=TYPE_LABELS,
        outcome_labels=OUTCOME_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = CaseForm()
    if request.method == "GET":
        form.received_on.data = centre_today()
    status = 200
    if form.validate_on_submit():
        ticket = None
        try:
            if (form.ticket.data or "").strip():
                ticket = db.session.scalar(
                    in_centre(select(AdmissionTicket), AdmissionTicket, current_user).where(
                        AdmissionTicket.number == form.ticket.data.strip()
                    )
                )
                if ticket is None:
                    raise ops.AppealError("ticket", _l("No such admission ticket at this centre."))
            case = ops.open_case(
                actor_from(current_user),
                current_user.centre,
                case_type=form.case_type.data,
                complainant_name=form.complainant_name.data,
                summary=form.summary.data,
                received_on=form.received_on.data,
                calendar=calendar(),
                answer_days=_answer_days(),
                contact=form.contact.data,
                ticket=ticket,
                language=form.language.data,
            )
        except ops.AppealError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
            status = 422
        else:
            db.session.commit()
            flash(
                _(
                    "Case %(number)s recorded; the answer is due on %(due)s.",
                    number=case.number,
                    due=case.answer_due_on.isoformat(),
                ),
                "success",
            )
            return redirect(url_for("appeals.case", case_id=case.id))
    elif request.method == "POST":
        status = 422
    return render_template("appeals/new.html", form=form), status


def _handler_choices():
    users = db.session.scalars(
        in_centre(select(User), User, current_user)
        .where(User.is_enabled.is_(True), User.role == Role.CENTRE_ADMIN)
        .order_by(User.display_name)
    ).all()
    return choices([("", "—")] + [(str(u.id), f"{u.display_name} ({u.username})") for u in users])


def _case_page(case: AppealCase, step_form=None, review_form=None, status: int = 200):
    step_form = step_form or StepForm()
    step_form.handler.choices = _handler_choices()
    timeline = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "appeal_cases", AuditEntry.object_id == str(case.id))
        .order_by(AuditEntry.seq)
    ).all()
    ticket = db.session.get(AdmissionTicket, case.ticket_id) if case.ticket_id else None
    attempt = ops.attempt_of(case) if case.case_type == "score_theory" else None
    results = (
        db.session.scalars(
            select(AttemptResult)
            .where(AttemptResult.attempt_id == attempt.id)
            .order_by(AttemptResult.version)
        ).all()
        if attempt
        else []
    )
    facts = states.CaseFacts(case.state, case.valid, case.handler_id)
    return (
        render_template(
            "appeals/case.html",
            case=case,
            ticket=ticket,
            session=ops.session_of(case),
            results=results,
            runs=ops.practical_evidence(case) if case.case_type == "score_practical" else [],
            sheets=ops.examiner_sheets(case) if case.case_type == "score_practical" else [],
            practical_results=(
                ops.practical_results(case) if case.case_type == "score_practical" else []
            ),
            actions=states.actions_for(facts),
            action_labels=ACTION_LABELS,
            step_form=step_form,
            review_form=review_form or ReviewForm(),
            timeline=timeline,
            overdue=_overdue(case, centre_today()),
            state_labels=STATE_LABELS,
            type_labels=TYPE_LABELS,
            outcome_labels=OUTCOME_LABELS,
            order=[str(s) for s in states.ORDER],
        ),
        status,
    )


@bp.route("/<int:case_id>")
def case(case_id: int):
    return _case_page(get_in_centre_or_404(AppealCase, case_id, current_user))


@bp.route(
    "/<int:case_id>/<any(assess, assign, propose, approve, send_back, answer, acknowledge,"
    " follow_up, close):action>",
    methods=["POST"],
)
def step(case_id: int, action: str):
    case = get_in_centre_or_404(AppealCase, case_id, current_user)
    form = StepForm()
    form.handler.choices = _handler_choices()
    if form.validate_on_submit():
        handler = None
        if action == "assign" and (form.handler.data or "").isdigit() and form.handler.data != "0":
            handler = get_in_centre_or_404(User, int(form.handler.data), current_user)
        valid = {"yes": True, "no": False}.get(form.valid.data)
        try:
            ops.take_step(
                actor_from(current_user),
                case,
                action,
                ops.Step(
                    valid=valid,
                    reason=form.reason.data,
                    handler=handler,
                    remedy=form.remedy.data,
                    answer=form.answer.data,
                    outcome=form.outcome.data,
                    note=form.note.data,
                ),
                on=centre_today(),
                followup_days=_followup_days(),
            )
        except ops.AppealError as error:
            db.session.rollback()
            field = getattr(form, error.field, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*list(field.errors or []), error.message]
            else:
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(
                _(
                    "Case %(number)s: %(state)s.",
                    number=case.number,
                    state=STATE_LABELS[case.state],
                ),
                "success",
            )
            return redirect(url_for("appeals.case", case_id=case.id))
    return _case_page(case, step_form=form, status=422)


@bp.route("/<int:case_id>/review", methods=["POST"])
def review(case_id: int):
    case = get_in_centre_or_404(AppealCase, case_id, current_user)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            findings = ops.review_theory_score(
                actor_from(current_user),
                case,
                wrong_key_position=form.position.data,
                correct_answer=form.answer.data,
                reason=form.reason.data,
            )
        except ops.AppealError as error:
            db.session.rollback()
            field = getattr(form, error.field, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*list(field.errors or []), error.message]
            else:
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            if not findings.archive_ok:
                flash(_("The archive failed verification: nothing was re-graded."), "danger")
            elif findings.changed:
                flash(
                    _(
                        "The score changed: result version %(v)s recorded.",
                        v=findings.result_version,
                    ),
                    "warning",
                )
            else:
                flash(_("Archive verified; re-grading gives the same score."), "success")
            return redirect(url_for("appeals.case", case_id=case.id) + "#review")
    return _case_page(case, review_form=form, status=422)


@bp.route("/<int:case_id>/letter.pdf")
def letter(case_id: int):
    case = get_in_centre_or_404(AppealCase, case_id, current_user)
    if case.answer is None or case.answered_on is None:
        flash(_("The letter can be printed once the answer is recorded."), "warning")
        return redirect(url_for("appeals.case", case_id=case.id))
    language = request.args.get("lang") or case.language
    centre = db.session.get(Centre, case.centre_id)
    review = case.review or {}
    data = LetterData(
        centre_name=(centre.name_en or centre.name) if language == "en" else centre.name,
        case_number=case.number,
        case_type=case.case_type,
        complainant_name=case.complainant_name,
        received_on=case.received_on,
        answered_on=case.answered_on,
        summary=case.summary,
        outcome=case.outcome or "",
        answer=case.answer,
        remedy=case.remedy,
        score_before=review.get("score_before") if review.get("changed") else None,
        score_after=review.get("score_after") if review.get("changed") else None,
    )
    pdf = build_letter_pdf(data, language)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{case.number}-{language}.pdf"'},
    )


@bp.route("/statistics")
def statistics():
    start = _date_arg("from")
    end = _date_arg("to")
    stats = ops.statistics(
        calendar(),
        centre_ids=[current_user.centre_id],
        start=start,
        end=end,
        today=centre_today(),
    )
    return render_template(
        "appeals/statistics.html",
        stats=stats,
        start=start,
        end=end,
        type_labels=TYPE_LABELS,
        outcome_labels=OUTCOME_LABELS,
    )


def _date_arg(name: str):
    from datetime import date

    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None
