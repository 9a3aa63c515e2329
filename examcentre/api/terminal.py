"""/api/v1/terminal: the candidate's exam at a registered terminal (the exam page uses only
these endpoints).

- sign-in (ticket number + resident ID number, from a registered terminal),
- exam (who, which item, the clock), start (opens question 1: the clock starts),
- paper (questions and the candidate's own answers; never a key), save answer,
- heartbeat, submit, result.

Every response carries the server's clock (``server_now``) so that the page can compute the
countdown from the server's deadline and its own offset. What a candidate may see is built
here field by field (no model is serialised whole), and ``tests/exams/test_terminal_api.py``
inspects every response for answer keys and other candidates' data.

A candidate is signed in at one terminal at a time: a request from any other browser is
refused (409 ``moved``), as the pages do.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from functools import cache
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import bindparam, select

from ..audit.operations import actor_from
from ..auth.operations import note_failed_sign_in
from ..auth.views import _login_limit, current_terminal
from ..clock import now_utc
from ..exams import operations as exam_ops
from ..exams.timing import AttemptState
from ..extensions import db, limiter
from ..models import AdmissionTicket, AttemptAnswer, PaperQuestion, QuestionVersion
from . import bp
from .errors import ApiError
from .validation import Body, json_body, utc_iso

WARNINGS_AT_SECONDS = (600, 300)  # the 10- and 5-minute warnings


def _candidate_terminal():
    """The terminal this request comes from, which must be the candidate's active one."""
    terminal = current_terminal()
    if terminal is None:
        raise ApiError(403, "not_a_terminal", _("This computer is not a registered exam terminal."))
    if current_user.active_terminal_id != terminal.id:
        raise ApiError(
            409,
            "moved",
            _("You have been moved to another terminal. Ask the invigilator where to sit."),
        )
    return terminal


def _exam_error(error: exam_ops.ExamError) -> ApiError:
    status = {"no_such_question": 404, "bad_response": 422, "bad_seq": 422}.get(error.code, 409)
    errors = [{"path": f"$.{error.field}", "message": error.message}] if error.field else []
    return ApiError(status, error.code, str(error.message), errors)


def _attempt():
    try:
        attempt = exam_ops.attempt_for(current_user)
    except exam_ops.ExamError as error:
        raise _exam_error(error) from None
    exam_ops.settle(attempt)
    return attempt


def attempt_json(attempt, now: datetime) -> dict[str, Any]:
    return {
        "state": attempt.state,
        "pause_reason": attempt.pause_reason,
        "server_now": utc_iso(now),
        "started_at": utc_iso(attempt.started_at),
        "deadline_at": utc_iso(attempt.deadline_at),
        "remaining_seconds": round(exam_ops.remaining(attempt, now), 3),
        "duration_seconds": attempt.duration_seconds,
        "warnings_at_seconds": list(WARNINGS_AT_SECONDS),
        "answered": attempt.answered_count,
        "question_count": exam_ops.question_count(attempt.paper_id),
        "submitted_at": utc_iso(attempt.submitted_at),
    }


def result_json(attempt) -> dict[str, Any] | None:
    """The candidate's own result, if the session shows results at once."""
    result = attempt.result
    if result is None or not attempt.ticket.session.show_result:
        return None
    return {
        "score": result.score,
        "passed": result.passed,
        "pass_mark": result.pass_mark,
        "earned": result.earned,
        "total": result.total,
        "correct": result.correct_count,
        "failed_on_critical": result.failed_on_critical,
        "version": result.version,
        "slip_url": url_for("terminal.result_slip"),
    }


def _terminal_key() -> str:
    data = request.get_json(silent=True) or {}
    number = data.get("ticket_number") if isinstance(data, dict) else None
    return f"terminal|{request.remote_addr}|{str(number or '').strip()}"


def _failure_counts(response) -> bool:
    return response.status_code == 401


@bp.route("/terminal/sign-in", methods=["POST"])
@limiter.limit(_login_limit, key_func=_terminal_key, deduct_when=_failure_counts)
def terminal_sign_in():
    """Sign in at this terminal: the same checks as the sign-in page."""
    from ..sessions.operations import admit, note_refused_admission

    terminal = current_terminal()
    if terminal is None:
        raise ApiError(403, "not_a_terminal", _("This computer is not a registered exam terminal."))
    body = Body(json_body(), ("ticket_number", "id_number"))
    number = body.string("ticket_number", required=True, max_length=32)
    id_number = body.string("id_number", required=True, max_length=18)
    body.raise_if_any()
    ticket = db.session.scalar(select(AdmissionTicket).where(AdmissionTicket.number == number))
    matches = ticket is not None and hmac.compare_digest(
        ticket.candidate.id_number, id_number.upper()
    )
    if not matches or not ticket.is_active:
        note_failed_sign_in(number, "terminal", request.remote_addr)
        db.session.commit()
        raise ApiError(
            401,
            "sign_in_failed",
            _("The ticket number and ID number do not match our records. Ask the invigilator."),
        )
    refusal = admit(ticket, terminal)
    if refusal is not None:
        note_refused_admission(ticket, terminal, refusal)
        db.session.commit()
        raise ApiError(409, refusal.code, str(refusal.message))
    login_user(ticket)  # (admit recorded the sign-in)
    db.session.commit()
    return jsonify(
        {
            "candidate": {"name": ticket.candidate.name, "ticket": ticket.number},
            "terminal": terminal.code,
        }
    )


@bp.route("/terminal/exam")
def terminal_exam():
    body = exam_json(_candidate_terminal())
    db.session.commit()
    return jsonify(body)


def exam_json(terminal) -> dict[str, Any]:
    """GET exam's body; the exam page embeds the same, saving the room one request each.

    Responses are built before the commit throughout this module: the commit expires every
    loaded row, and reading them back afterwards cost a query each.
    """
    attempt = _attempt()
    ticket = current_user
    return {
        "candidate": {"name": ticket.candidate.name, "ticket": ticket.number},
        "item": ticket.item,
        "terminal": terminal.code,
        "attempt": attempt_json(attempt, now_utc()),
        "result": result_json(attempt) if attempt.state == AttemptState.SUBMITTED else None,
    }


@bp.route("/terminal/start", methods=["POST"])
def terminal_start():
    terminal = _candidate_terminal()
    attempt = _attempt()
    # A paper not yet started has no answers (saves need a running paper): no query for them.
    unstarted = attempt.state == AttemptState.READY
    try:
        write_start = exam_ops.starting(attempt, terminal, actor_from(current_user))
    except exam_ops.ExamError as error:
        raise _exam_error(error) from None
    # The paper comes with the start: the page needs it next, and at the start of an exam
    # the whole room asks at once, so one request fewer each is what the storm is made of.
    # Read before the start is written: the write lock is then held only for the writes and
    # the commit.
    with db.session.no_autoflush:
        questions, answers = paper_parts(attempt, with_answers=not unstarted)
    write_start()
    body = paper_json(attempt, questions, answers)
    db.session.commit()
    return _json_response(body)


# --- The paper -------------------------------------------------------------------------------
#
# At the start of an exam the whole room asks for its papers at once, each of about 100
# questions, and building and encoding them was more than half of the start's work
# (bench/request_cost.py --instructions: 11.8 of 20.1 M instructions). A question version
# never changes once it is on a paper (models.bank.QuestionVersion), so what a candidate sees
# of it is kept encoded (UTF-8 JSON) per process, once per option order it is shown in; a
# paper is those pieces joined, each after its position.


class _QuestionText:
    """What a candidate sees of one question version (never the key, never the
    explanation), encoded. ``shown_in(order)`` is a question's JSON from after its position
    up to its image_url's value: type, stem, and the options lettered A, B, ... in that
    order ("CADB": the original C first)."""

    __slots__ = ("_lettered", "_shown", "has_image", "head")

    def __init__(self, type_, stem_zh, stem_en, options_zh, options_en, image) -> None:
        # '"type":...,"stem":{...}': an object without its braces, to be joined into the
        # question's.
        self.head = _encode({"type": type_, "stem": {"zh": stem_zh, "en": stem_en}})[1:-1]
        options = [
            _encode({"zh": text, "en": options_en[i] if options_en and i < len(options_en)
                     else None})[1:-1]
            for i, text in enumerate(options_zh or ())
        ]
        # Each original option under each letter: ``_lettered[i][j]`` is original option j
        # shown as the i-th, '{"letter":"A",...}' for i = 0. A paper shows a question in one
        # of up to 120 orders, and a room's papers meet most of them.
        self._lettered = [
            [b'{"letter":"%c",%b}' % (65 + i, option) for option in options]
            for i in range(len(options))
        ]
        self.has_image = bool(image)
        self._shown: dict[str, bytes] = {}

    def shown_in(self, option_order: str | None) -> bytes:
        order = option_order or ""
        shown = self._shown.get(order)
        if shown is None:
            # (strict: an order of another length than the options is a broken paper)
            options = b",".join(
                [lettered[ord(o) - 65] for lettered, o in zip(self._lettered, order, strict=True)]
            )
            shown = self._shown[order] = (
                self.head + b',"options":[' + options + b'],"image_url":'
            )
        return shown


def _encode(value) -> bytes:
    """``value`` as jsonify encodes it (the app's JSON settings, compact), in UTF-8."""
    return current_app.json.dumps(value, separators=(",", ":")).encode()


def _question_texts(version_ids: set[int]) -> dict[int, _QuestionText]:
    """The versions' encoded texts, kept for the life of the app: the papers of a room share
    a bank of a few hundred versions, so the room's start reads and encodes each once."""
    cache = exam_ops.process_cache("question_texts")
    missing = [i for i in version_ids if i not in cache]
    for i in range(0, len(missing), 500):  # bound the IN list
        for row in db.session.execute(
            select(
                QuestionVersion.id,
                QuestionVersion.type,
                QuestionVersion.stem_zh,
                QuestionVersion.stem_en,
                QuestionVersion.options_zh,
                QuestionVersion.options_en,
                QuestionVersion.image,
            ).where(QuestionVersion.id.in_(missing[i : i + 500]))
        ):
            cache[row.id] = _QuestionText(*row[1:])
    return cache


@cache
def _paper_rows():
    # Built once (the paper a parameter): building a statement costs about as much as
    # running it on SQLite (bench/request_cost.py --instructions), and the room starts at once.
    # Run on the connection (paper_parts): columns need none of the ORM's result machinery.
    return (
        select(
            PaperQuestion.position,
            PaperQuestion.option_order,
            PaperQuestion.question_version_id,
        )
        .where(PaperQuestion.paper_id == bindparam("paper_id"))
        .order_by(PaperQuestion.position)
    )


def paper_body(attempt, with_answers: bool = True) -> bytes:
    """The candidate's questions and their own answers: the UTF-8 JSON of
    ``{"attempt": {...}, "questions": [...], "answers": [...]}``, where a question is
    ``{"position", "type", "stem": {"zh", "en"}, "options": [{"letter", "zh", "en"}],
    "image_url"}`` (docs/openapi.yaml). ``with_answers=False``: the caller knows there are
    none."""
    return paper_json(attempt, *paper_parts(attempt, with_answers))


def paper_parts(attempt, with_answers: bool = True) -> tuple[bytes, bytes]:
    """What the paper reads (paper_body): its questions and its answers, encoded."""
    rows = db.session.connection().execute(_paper_rows(), {"paper_id": attempt.paper_id}).all()
    texts = _question_texts({row.question_version_id for row in rows})
    answers = (
        db.session.execute(
            select(
                AttemptAnswer.position,
                AttemptAnswer.response,
                AttemptAnswer.flagged,
                AttemptAnswer.seq,
            ).where(AttemptAnswer.attempt_id == attempt.id)
        ).all()
        if with_answers
        else []
    )
    exam_ops.question_counts().setdefault(attempt.paper_id, len(rows))
    questions = []
    for position, option_order, version_id in rows:
        text = texts[version_id]
        image_url = (
            _encode(url_for("terminal.question_image", position=position))
            if text.has_image else b"null"
        )
        questions.append(
            b'{"position":%d,%b%b}' % (position, text.shown_in(option_order), image_url)
        )
    return b",".join(questions), _encode([
        {"position": a.position, "response": a.response, "flagged": a.flagged, "seq": a.seq}
        for a in answers
    ])


def paper_json(attempt, questions: bytes, answers: bytes) -> bytes:
    """The paper's JSON (paper_body) from its parts and the attempt as it is now."""
    return b"".join((
        b'{"attempt":', _encode(attempt_json(attempt, now_utc())),
        b',"questions":[', questions, b'],"answers":', answers, b"}",
    ))


def _json_response(body: bytes):
    return current_app.response_class(body, mimetype=current_app.json.mimetype)


@bp.route("/terminal/paper")
def terminal_paper():
    _candidate_terminal()
    attempt = _attempt()
    if attempt.state == AttemptState.READY:
        db.session.commit()
        raise ApiError(409, "not_started", _("The exam has not started for you yet."))
    body = paper_body(attempt)
    db.session.commit()
    return _json_response(body)


@bp.route("/terminal/answers/<int:position>", methods=["PUT"])
def terminal_save_answer(position: int):
    """Save one answer; acknowledged only once it is committed."""
    terminal = _candidate_terminal()
    body = Body(json_body(), ("response", "flagged", "seq"))
    seq = body.integer("seq", required=True, minimum=1)
    flagged = body.data.get("flagged", False)
    if not isinstance(flagged, bool):
        body.problem("flagged", _("Expected true or false."))
    response = body.data.get("response")
    if response is not None and not isinstance(response, str):
        body.problem("response", _("Expected a string or null."))
    body.raise_if_any()
    attempt = _attempt()
    try:
        saved = exam_ops.save_answer(attempt, position, response, flagged, seq, terminal)
    except exam_ops.ExamError as error:
        db.session.commit()  # keep a lazy auto-submit that the refusal found due
        raise _exam_error(error) from None
    body = {
        "position": saved.position,
        "response": saved.response,
        "flagged": saved.flagged,
        "seq": saved.seq,
        "saved_at": utc_iso(saved.saved_at),
        "applied": saved.applied,
        "attempt": attempt_json(attempt, now_utc()),
    }
    db.session.commit()  # durable before it is acknowledged: the 200 goes out after this
    return jsonify(body)


@bp.route("/terminal/heartbeat", methods=["POST"])
def terminal_heartbeat():
    terminal = _candidate_terminal()
    attempt = _attempt()
    exam_ops.heartbeat(attempt, terminal)
    terminal.last_seen_at = attempt.last_heartbeat_at
    body = {"attempt": attempt_json(attempt, now_utc())}
    db.session.commit()
    return jsonify(body)


@bp.route("/terminal/submit", methods=["POST"])
def terminal_submit():
    _candidate_terminal()
    attempt = _attempt()
    if attempt.state == AttemptState.PAUSED:
        # Only the invigilator submits a paused paper (exams/timing.py).
        db.session.commit()
        raise ApiError(409, "paused", _("Your exam is paused. Wait for the invigilator."))
    if attempt.state != AttemptState.SUBMITTED:
        now = now_utc()
        # The page submits by itself when its countdown reaches zero: that is the deadline's
        # submission, not the candidate's choice.
        by = "deadline" if attempt.deadline_at and now >= attempt.deadline_at else "candidate"
        try:
            exam_ops.submit(attempt, actor_from(current_user), by=by, now=now)
        except exam_ops.ExamError as error:
            raise _exam_error(error) from None
    body = {"attempt": attempt_json(attempt, now_utc()), "result": result_json(attempt)}
    db.session.commit()
    return jsonify(body)


@bp.route("/terminal/result")
def terminal_result():
    _candidate_terminal()
    attempt = _attempt()
    db.session.commit()
    if attempt.state != AttemptState.SUBMITTED:
        raise ApiError(409, "not_submitted", _("Your paper has not been submitted yet."))
    result = result_json(attempt)
    return jsonify(
        {
            "attempt": attempt_json(attempt, now_utc()),
            "result": result,
            "shown": result is not None,
        }
    )
