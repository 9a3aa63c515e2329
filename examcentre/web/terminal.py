"""The candidate's terminal (signed in with an admission ticket)."""

from __future__ import annotations

import re
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
from flask_wtf.csrf import generate_csrf
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

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
    from ..i18n import interface_language

    ticket = current_user
    # The page carries what GET exam would answer, so that a room opening the page at once
    # does not also ask for it at once. None (no paper yet, say): the script asks, as before.
    try:
        exam_state = exam_json(terminal)
    except ApiError:
        exam_state = None
    values = page_values(ticket, exam_state)
    if session.get("_flashes"):  # a message to show: the whole page, rendered for it
        page = render_template("terminal/home.html", **page_constants(), **values)
    else:
        page = page_shell(interface_language(), values["terminal_code"] is not None).fill(
            **values, csrf_token=generate_csrf()
        )
    # After rendering: a commit expires every loaded row, and the page would read each back.
    # (A GET usually has nothing to write: the attempt is made at sign-in; a lazy
    # auto-submit, say. After a sign-in, the sign-in is already committed, and nothing has
    # been read since: no transaction to end, and a commit would still expire every row.)
    if db.session().in_transaction():
        db.session.commit()
    response = make_response(page)
    # The embedded state is live: never show a stored copy (back button, cache).
    response.headers["Cache-Control"] = "no-store"
    return response


def page_values(ticket, exam_state: dict | None) -> dict:
    """The candidate's own values on the exam page (all of them: see ExamPageShell)."""
    from flask import current_app

    from .labels import item_label

    return {
        "candidate_name": ticket.candidate.name,
        "ticket_number": ticket.number,
        "terminal_code": ticket.terminal.code if ticket.terminal else None,
        "item_name": item_label(ticket.item),
        "centre_name": ticket.centre.name,
        "exam_state_json": htmlsafe_json_dumps(exam_state, dumps=current_app.json.dumps),
    }


def page_constants() -> dict:
    """What the exam page needs that is the same for every candidate."""
    from flask import current_app

    api = {
        name: url_for(f"api.terminal_{name}")
        for name in ("exam", "start", "paper", "heartbeat", "submit", "result")
    }
    # /api/v1/terminal/answers/<position>: the page appends the position.
    api["answers"] = url_for("api.terminal_save_answer", position=1)[:-1]
    return {"api": api, "heartbeat_seconds": current_app.config["EXAM_HEARTBEAT_SECONDS"]}


# --- The exam page, once per language --------------------------------------------------------
#
# Every candidate's exam page is the same page but for a handful of values: their name,
# ticket, seat, item, centre, the session's CSRF token and the exam's state. At the start of
# an exam the whole room gets the page at once, and rendering it was the largest single part
# of the sign-in (bench/request_cost.py). So it is rendered once per language with a marker
# in place of each of those values (a shell), and each page is the shell with the
# candidate's values, escaped as the template would have escaped them, put in the markers'
# places. The template may use no other per-candidate data (terminal/home.html says so; a
# test compares the two ways of rendering for a name that needs escaping).

_SLOT = re.compile("\ue000([a-z_]+)\ue001")  # private-use characters: never escaped, never text
_ESCAPED_SLOTS = ("candidate_name", "ticket_number", "terminal_code", "item_name",
                  "centre_name", "csrf_token")
_MARKUP_SLOTS = ("exam_state_json",)  # already HTML-safe JSON


def _marker(name: str) -> str:
    return f"\ue000{name}\ue001"


class ExamPageShell:
    def __init__(self, html: str) -> None:
        parts = _SLOT.split(html)
        self.literals = parts[0::2]  # the text between the markers
        self.slots = parts[1::2]  # the value named at each marker

    def fill(self, **values) -> str:
        escaped = {name: str(escape(values[name])) for name in _ESCAPED_SLOTS}
        escaped.update((name, str(values[name])) for name in _MARKUP_SLOTS)
        out = [self.literals[0]]
        for slot, literal in zip(self.slots, self.literals[1:], strict=True):
            out.append(escaped[slot])
            out.append(literal)
        return "".join(out)


def page_shell(language: str, with_terminal: bool) -> ExamPageShell:
    from flask import current_app, request

    app = current_app
    key = (language, with_terminal, request.script_root)
    shells = app.extensions.setdefault("examcentre.exam_page_shells", {})
    shell = shells.get(key)
    if shell is None:
        markers = {name: _marker(name) for name in _ESCAPED_SLOTS + _MARKUP_SLOTS}
        markers["exam_state_json"] = Markup(markers["exam_state_json"])  # noqa: S704 (a marker)
        if not with_terminal:
            markers["terminal_code"] = None
        csrf_marker = markers.pop("csrf_token")  # the template calls csrf_token()
        html = render_template(
            "terminal/home.html",
            **page_constants(),
            **markers,
            csrf_token=lambda: csrf_marker,
            get_flashed_messages=lambda **_kwargs: [],
            current_user=None,  # nothing of the candidate but the slots
        )
        shell = ExamPageShell(html)
        if not app.jinja_env.auto_reload:  # (development: an edited template shows at once)
            shells[key] = shell
    return shell


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
