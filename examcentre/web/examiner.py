"""The examiner's area (/examiner): practical-exam scoring on a tablet.

- The home page lists the examiner's practical sessions and their candidates, with the
  state of the examiner's own sheet and of the result.
- A sheet has one page per task (the live entry view: large +/- counters, a timer, zone
  buttons, yes/no checks, drawn items), the veto buttons (a note is required), signing and
  amending. Every entry goes through ``practical.operations`` (the engine checks it).
- The other examiner's sheet is shown only once both have signed.
- The lead examiner reconciles a disagreement with a reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..audit.operations import actor_from
from ..auth.roles import get_in_centre_or_404, require_role
from ..extensions import db
from ..models import AdmissionTicket, ExaminerSheet, Role
from ..practical import operations as practical
from ..practical.gate import CONFLICT_KINDS
from ..practical.scoring import EntryError
from ..practical.sheets import ChecklistTask, CounterTask, DrawTask, ZonesTask
from ..sessions.operations import tickets_of
from ..sessions.tickets_pdf import mask_id_number

bp = Blueprint("examiner", __name__, url_prefix="/examiner")
bp.before_request(require_role(Role.EXAMINER))


def _settings() -> practical.Settings:
    return practical.settings_from(current_app.config)


def _now() -> datetime:
    return datetime.now(UTC)


def _english() -> bool:
    from flask_babel import get_locale

    return str(get_locale()).startswith("en")


@bp.context_processor
def _helpers() -> dict:
    english = _english()
    from .candidates import conflict_labels

    return {
        "label": (lambda thing: thing.en if english else thing.zh),
        "mask": mask_id_number,
        "conflict_labels": conflict_labels(),
    }


@bp.route("/")
def home():
    sessions = practical.sessions_of(current_user)
    settings = _settings()
    rows: dict[int, list[dict[str, Any]]] = {}
    for session in sessions:
        lead = practical.is_lead(current_user, session)
        rows[session.id] = []
        for ticket in tickets_of(session):
            mine = practical.sheets_of(ticket, current_user)
            state = practical.standing(ticket, settings)
            rows[session.id].append(
                {
                    "ticket": ticket,
                    "sheet": mine[-1] if mine else None,
                    "result": state.result,
                    "needs_lead": lead
                    and state.reconciliation is not None
                    and state.reconciliation.status == "needs_lead"
                    and not _decided(state),
                    "conflict": practical.has_conflict(current_user, ticket.candidate_id),
                }
            )
    return render_template(
        "examiner/home.html",
        sessions=sessions,
        rows=rows,
        leads={s.id for s in sessions if practical.is_lead(current_user, s)},
    )


def _decided(state: practical.Standing) -> bool:
    return state.result is not None and sorted(s["id"] for s in state.result.sheets) == sorted(
        s.id for s in state.sheets
    )


def _ticket(ticket_id: int) -> AdmissionTicket:
    ticket = get_in_centre_or_404(AdmissionTicket, ticket_id, current_user)
    if ticket.session is None or not practical.is_assigned(current_user, ticket.session):
        abort(404)
    return ticket


def _my_sheet(sheet_id: int) -> ExaminerSheet:
    row = get_in_centre_or_404(ExaminerSheet, sheet_id, current_user)
    if row.examiner_id != current_user.id:
        abort(404)  # another examiner's sheet: not even its existence
    return row


@bp.route("/tickets/<int:ticket_id>/start", methods=["POST"])
def start(ticket_id: int):
    ticket = _ticket(ticket_id)
    try:
        row = practical.start_sheet(actor_from(current_user), current_user, ticket)
    except practical.PracticalError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("examiner.home"))
    db.session.commit()
    return redirect(url_for("examiner.sheet", sheet_id=row.id))


@bp.route("/sheets/<int:sheet_id>")
def sheet(sheet_id: int):
    row = _my_sheet(sheet_id)
    definition = practical.sheet_of(row)
    scored = {t["task"]: t for t in (row.score or {}).get("tasks", [])}
    visible = practical.visible_sheets(current_user, row.ticket)
    others = [s for s in visible if s.examiner_id != current_user.id]
    return render_template(
        "examiner/sheet.html",
        row=row,
        sheet=definition,
        scored=scored,
        others=others,
        newest=practical.sheets_of(row.ticket, current_user)[-1].id == row.id,
        result=practical.newest_result(row.ticket),
    )


def _int_or_raw(value: str | None) -> Any:
    text = (value or "").strip()
    try:
        return int(text)
    except ValueError:
        return text or None


def _number_or_raw(value: str | None) -> Any:
    text = (value or "").strip()
    try:
        number = float(text)
    except ValueError:
        return text or None
    return int(number) if number.is_integer() else number


def _entry_from_form(task, form) -> dict[str, Any]:
    """The task's entry (the engine's shape) from the live entry form; the engine checks it."""
    if isinstance(task, CounterTask):
        entry: dict[str, Any] = {
            "counts": {c.code: _int_or_raw(form.get(f"count-{c.code}")) for c in task.counters},
            "severe": form.get("severe") or None,
        }
        if task.time_limit is not None:
            entry["time_seconds"] = _number_or_raw(form.get("time_seconds"))
        return entry
    if isinstance(task, ZonesTask):
        return {"zone": form.get("zone") or None}
    if isinstance(task, ChecklistTask):
        items = {}
        for item in task.items:
            answer = form.get(f"item-{item.code}")
            items[item.code] = {"yes": True, "no": False}.get(answer or "")
        return {"items": items}
    assert isinstance(task, DrawTask)
    return {
        "grades": {
            p.code: form.get(f"grade-{p.code}") for p in task.pool if form.get(f"grade-{p.code}")
        }
    }


@bp.route("/sheets/<int:sheet_id>/tasks/<code>", methods=["GET", "POST"])
def task(sheet_id: int, code: str):
    row = _my_sheet(sheet_id)
    definition = practical.sheet_of(row)
    task_def = definition.task(code)
    if task_def is None:
        abort(404)
    entry = row.entries.get(code)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        entry = _entry_from_form(task_def, request.form)
        try:
            practical.save_task(actor_from(current_user), current_user, row, code, entry)
        except EntryError as error:
            db.session.rollback()
            problems = [str(p) for p in error.problems]
            status = 422
        except practical.PracticalError as error:
            db.session.rollback()
            problems = [str(error.message)]
            status = 422
        else:
            db.session.commit()
            flash(
                _("%(task)s is saved.", task=task_def.en if _english() else task_def.zh), "success"
            )
            tasks = [t.code for t in definition.tasks]
            following = tasks[tasks.index(code) + 1 :]
            if following and following[0] not in row.entries:
                return redirect(url_for("examiner.task", sheet_id=row.id, code=following[0]))
            return redirect(url_for("examiner.sheet", sheet_id=row.id))
    return render_template(
        "examiner/task.html", row=row, sheet=definition, task=task_def, entry=entry or {},
        problems=problems, kind=task_def.kind,
    ), status  # fmt: skip


@bp.route("/sheets/<int:sheet_id>/vetoes/<code>", methods=["POST"])
def veto(sheet_id: int, code: str):
    row = _my_sheet(sheet_id)
    on = request.form.get("on", "1") == "1"
    try:
        practical.set_veto(
            actor_from(current_user), current_user, row, code, request.form.get("note"), on
        )
    except practical.PracticalError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("The veto is recorded.") if on else _("The veto is withdrawn."), "success")
    return redirect(url_for("examiner.sheet", sheet_id=row.id) + "#vetoes")


@bp.route("/sheets/<int:sheet_id>/sign", methods=["POST"])
def sign(sheet_id: int):
    row = _my_sheet(sheet_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that the sheet is complete and correct."), "danger")
        return redirect(url_for("examiner.sheet", sheet_id=row.id) + "#sign")
    try:
        result = practical.sign_sheet(
            actor_from(current_user), current_user, row, _now(), _settings()
        )
    except practical.PracticalError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("examiner.sheet", sheet_id=row.id))
    db.session.commit()
    flash(
        _("Signed. The result is %(score)s.", score=result.score_text)
        if result is not None
        else _("Signed. The sheet can no longer change."),
        "success",
    )
    return redirect(url_for("examiner.sheet", sheet_id=row.id))


@bp.route("/sheets/<int:sheet_id>/amend", methods=["POST"])
def amend(sheet_id: int):
    row = _my_sheet(sheet_id)
    try:
        amended = practical.amend_sheet(
            actor_from(current_user), current_user, row, request.form.get("reason", "")
        )
    except practical.PracticalError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("examiner.sheet", sheet_id=row.id))
    db.session.commit()
    flash(_("A new version of the sheet is open for the amendment."), "success")
    return redirect(url_for("examiner.sheet", sheet_id=amended.id))


@bp.route("/tickets/<int:ticket_id>/reconcile", methods=["GET", "POST"])
def reconcile(ticket_id: int):
    ticket = _ticket(ticket_id)
    if not practical.is_lead(current_user, ticket.session):
        abort(403)
    settings = _settings()
    state = practical.standing(ticket, settings)
    if state.reconciliation is None:
        flash(_("Both examiners must sign before the sheets are compared."), "warning")
        return redirect(url_for("examiner.home"))
    status = 200
    if request.method == "POST":
        try:
            result = practical.decide(
                actor_from(current_user),
                current_user,
                ticket,
                score=(request.form.get("score") or "").strip(),
                reason=request.form.get("reason", ""),
                vetoes=request.form.getlist("vetoes"),
                now=_now(),
                settings=settings,
            )
        except practical.PracticalError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            status = 422
        else:
            db.session.commit()
            flash(_("The result is %(score)s.", score=result.score_text), "success")
            return redirect(url_for("examiner.home"))
    return render_template(
        "examiner/reconcile.html",
        ticket=ticket,
        state=state,
        sheet=practical.sheet_of(state.sheets[0]),
        decided=_decided(state),
    ), status


@bp.route("/conflicts", methods=["GET", "POST"])
def conflicts():
    """The examiner declares a conflict with a candidate of one of their sessions."""
    if request.method == "POST":
        ticket = _ticket(int(request.form.get("ticket") or 0))
        try:
            practical.declare_conflict(
                actor_from(current_user),
                current_user,
                ticket.candidate,
                request.form.get("kind", ""),
                request.form.get("note"),
            )
        except practical.PracticalError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("The conflict is recorded; you will not examine this candidate."), "success")
        return redirect(url_for("examiner.conflicts"))
    tickets = [t for s in practical.sessions_of(current_user) for t in tickets_of(s)]
    return render_template(
        "examiner/conflicts.html",
        conflicts=practical.conflicts_of(current_user),
        tickets=tickets,
        kinds=CONFLICT_KINDS,
    )
