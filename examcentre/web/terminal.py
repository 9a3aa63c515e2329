"""The candidate's terminal (signed in with an admission ticket)."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..api.errors import ApiError
from ..api.terminal import exam_json
from ..auth.roles import require_role
from ..auth.views import current_terminal
from ..extensions import db
from ..models import Role

bp = Blueprint("terminal", __name__, url_prefix="/terminal")
bp.before_request(require_role(Role.CANDIDATE))


@bp.before_request
def _still_at_this_terminal():
    """A candidate is signed in at one terminal only: if this browser is no longer it (the
    invigilator moved them, or the machine was unregistered), this session ends here."""
    terminal = current_terminal()
    if terminal is None or current_user.active_terminal_id != terminal.id:
        logout_user()
        session.clear()
        flash(_("You have been moved to another terminal. Ask the invigilator where to sit."),
              "warning")
        return redirect(url_for("auth.terminal_login"))
    return None


@bp.route("/")
def home():
    """The exam page: a shell that ``static/js/exam.js`` drives through /api/v1/terminal."""
    return exam_page(current_terminal())


def exam_page(terminal) -> Response:
    """The exam page for the signed-in candidate at ``terminal``; also the answer to a
    successful sign-in on the terminal's page (``auth.views.terminal_login``). Commits the
    request's transaction after rendering."""
    from flask import current_app

    api = {
        name: url_for(f"api.terminal_{name}")
        for name in ("exam", "start", "paper", "heartbeat", "submit", "result")
    }
    # /api/v1/terminal/answers/<position>: the page appends the position.
    api["answers"] = url_for("api.terminal_save_answer", position=1)[:-1]
    # The page carries what GET exam would answer, so that a room opening the page at once
    # does not also ask for it at once. None (no paper yet, say): the script asks, as before.
    try:
        exam_state = exam_json(terminal)
    except ApiError:
        exam_state = None
    page = render_template(
        "terminal/home.html",
        ticket=current_user,
        api=api,
        exam_state=exam_state,
        heartbeat_seconds=current_app.config["EXAM_HEARTBEAT_SECONDS"],
    )
    # After rendering: a commit expires every loaded row, and the page would read each back.
    # (A GET usually has nothing to write: the attempt is made at sign-in; a lazy
    # auto-submit, say. After a sign-in, this is the sign-in's commit: the page is sent
    # only once it is durable.)
    db.session.commit()
    response = make_response(page)
    # The embedded state is live: never show a stored copy (back button, cache).
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/images/<int:position>")
def question_image(position: int):
    """The picture of one question of the candidate's own paper (and nothing else)."""
    from flask import abort, current_app, send_from_directory
    from sqlalchemy import select

    from ..exams.operations import attempt_for
    from ..extensions import db
    from ..models import PaperQuestion, QuestionVersion

    attempt = attempt_for(current_user)
    if attempt.state == "ready":
        abort(404)
    image = db.session.scalar(
        select(QuestionVersion.image)
        .join(PaperQuestion, PaperQuestion.question_version_id == QuestionVersion.id)
        .where(PaperQuestion.paper_id == attempt.paper_id, PaperQuestion.position == position)
    )
    if not image:
        abort(404)
    folder = Path(current_app.instance_path) / "bank-images" / str(attempt.centre_id)
    return send_from_directory(folder, image, max_age=3600)


@bp.route("/result.pdf")
def result_slip():
    """The candidate's result slip (成绩单), once submitted and if the session shows results."""
    from flask import abort

    from ..exams.operations import attempt_for, slip_data
    from ..exams.slip_pdf import render_slip
    from ..i18n import interface_language

    attempt = attempt_for(current_user)
    if attempt.result is None or not current_user.session.show_result:
        abort(404)
    pdf = render_slip(slip_data(attempt), language=interface_language())
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="result-{current_user.number}.pdf"'})
