"""The timed theory exam's operations: start, save, heartbeat, submit, pause, extend, move,
re-score, archive. Flush, never commit: the edges commit, so that an answer is durable
before it is acknowledged (the API commits, then answers).

Answer saves are the hot path: a whole room saves at once. They are not in the audit chain
(whose head is a single locked row; one entry per keystroke would queue the room behind
it). Each save is a row in the append-only ``answer_changes`` log instead, and the archive
written at submission, whose SHA-256 *is* recorded in the audit chain, seals that log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from ..audit.operations import SYSTEM, Actor, record
from ..clock import now_utc
from ..database import insert_now, update_now
from ..extensions import db
from ..models import (
    AdmissionTicket,
    AnswerChange,
    Attempt,
    AttemptAnswer,
    AttemptArchive,
    AttemptEvent,
    AttemptResult,
    Blueprint,
    ExamSession,
    KeyCorrection,
    Paper,
    PaperQuestion,
    QuestionVersion,
    Terminal,
)
from ..papers.blueprint import Spec
from ..sessions.states import SessionState
from . import archive, grading
from .timing import (
    AttemptState,
    accepts_answers,
    deadline_for,
    is_overdue,
    remaining_seconds,
    resumed_deadline,
)


class ExamError(ValueError):
    """A request the exam's rules refuse; ``code`` is stable (the API returns it), ``field``
    names the input at fault when there is one."""

    def __init__(self, code: str, message, field: str | None = None) -> None:
        super().__init__(message)  # lazily translated: str() it where a locale is known
        self.code = code
        self.message = message
        self.field = field


def grace_seconds() -> int:
    return int(current_app.config["ANSWER_GRACE_SECONDS"])


def spec_of(attempt_or_paper) -> Spec:
    paper = attempt_or_paper.paper if isinstance(attempt_or_paper, Attempt) else attempt_or_paper
    return Spec.from_json(paper.blueprint.spec)


def _event(attempt: Attempt, kind: str, actor: Actor, now: datetime, **details) -> None:
    db.session.add(AttemptEvent(**_event_columns(attempt, kind, actor, now, details)))


def _event_now(attempt: Attempt, kind: str, actor: Actor, now: datetime, **details) -> None:
    """``_event``, written at once (database.insert_now): for the sign-in and the start,
    which the whole room makes at once. Call it after the request's reads. (The attempt is
    in the database already: made at release, or inserted at once by ``_make_attempt``.)"""
    insert_now(AttemptEvent, **_event_columns(attempt, kind, actor, now, details))


def _event_columns(attempt: Attempt, kind: str, actor: Actor, now: datetime, details: dict):
    return {
        "attempt_id": attempt.id,
        "kind": kind,
        "at": now,
        "actor": f"{actor.type}:{actor.label}",
        "terminal_id": details.pop("terminal_id", attempt.terminal_id),
        "details": details,
    }


def process_cache(name: str) -> dict:
    """A dictionary kept for the life of this app (one per process in production; a test's
    own app has its own, so ids reused by another test's database never hit)."""
    caches = current_app.extensions.setdefault("examcentre.terminal_caches", {})
    cache = caches.setdefault(name, {})
    if len(cache) > 100_000:  # a bound, far above a day's papers and a bank's versions
        cache.clear()
    return cache


# Papers never change once drawn (papers/operations.py), so their question counts are kept:
# every save and heartbeat reports the count, and a COUNT per request was a measurable share
# of a save (bench/request_cost.py). The sign-in reads it with the ticket (question_count_of)
# and the paper's JSON counts its rows: both seed it.
def question_counts() -> dict[int, int]:
    return process_cache("question_counts")


def _counting_questions(paper_id):
    return select(func.count()).select_from(PaperQuestion).where(PaperQuestion.paper_id == paper_id)


def question_count(paper_id: int) -> int:
    counts = question_counts()
    count = counts.get(paper_id)
    if count is None:
        count = counts[paper_id] = db.session.scalar(_counting_questions(paper_id))
    return count


def question_count_of(paper_id_column):
    """The question count of the paper a query's row names, read with the row (a
    correlated subquery): the sign-in's page reports it, and the room signs in at once."""
    return _counting_questions(paper_id_column).scalar_subquery()


# --- The attempt ---------------------------------------------------------------------------


def attempt_for(ticket: AdmissionTicket) -> Attempt:
    """The ticket's attempt: made at release with the papers (make_ready_attempts), or on
    first use from a paper drawn before that was so. Within a request it is looked up once:
    the sign-in reads it and the exam page it answers with reads it again (an attempt, once
    made, stays the ticket's)."""
    memo = request.environ if has_request_context() else {}
    key = f"examcentre.attempt.{ticket.id}"
    kept = memo.get(key)
    if kept is not None and sa_inspect(kept).persistent:  # (not if a rollback undid it)
        return kept
    attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))
    if attempt is None:
        attempt = _make_attempt(ticket)
    memo[key] = attempt
    return attempt


def remember_attempt(
    ticket: AdmissionTicket, attempt: Attempt | None, question_count: int | None = None
) -> None:
    """``attempt``, read with the ticket in one query, is what attempt_for answers for the
    rest of the request (the candidate's loader and the sign-in read both at once), and
    ``question_count`` its paper's count, when the query read it too."""
    if attempt is not None and question_count is not None:
        question_counts().setdefault(attempt.paper_id, question_count)
    if attempt is not None and has_request_context():
        request.environ[f"examcentre.attempt.{ticket.id}"] = attempt


def _ready_attempt(ticket: AdmissionTicket, session_id: int, paper_id: int, spec: Spec) -> dict:
    """The columns of a ticket's attempt before anyone has signed in: its paper and its time."""
    return {
        "centre_id": ticket.centre_id,
        "session_id": session_id,
        "ticket_id": ticket.id,
        "paper_id": paper_id,
        "state": AttemptState.READY,
        "duration_seconds": spec.duration_minutes * 60,
    }


def _make_attempt(ticket: AdmissionTicket) -> Attempt:
    # The paper, its blueprint's spec and its question count in one query (every page and
    # save reports the count, kept per process).
    paper = db.session.execute(
        select(Paper.id, Blueprint.spec, question_count_of(Paper.id).label("question_count"))
        .join(Blueprint, Blueprint.id == Paper.blueprint_id)
        .where(Paper.ticket_id == ticket.id)
    ).first()
    if paper is None or ticket.session_id is None:
        raise ExamError("no_paper", _l("No paper has been drawn for you. Ask the invigilator."))
    question_counts().setdefault(paper.id, paper.question_count)
    spec = Spec.from_json(paper.spec)
    # Inserted as one statement, returning the row (no ORM flush: cheaper, and the whole room
    # signs in at once). In a savepoint: the same candidate's other request (a double
    # click) may have made it first, and then that one is read.
    try:
        with db.session.begin_nested():
            attempt = db.session.scalars(
                insert(Attempt)
                .values(
                    **_ready_attempt(ticket, ticket.session_id, paper.id, spec),
                    terminal_id=ticket.active_terminal_id,
                )
                .returning(Attempt)
            ).one()
    except IntegrityError:
        attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))
    return attempt


def make_ready_attempts(
    session: ExamSession,
    tickets: Sequence[AdmissionTicket],
    paper_ids: Sequence[int],
    blueprint: Blueprint,
) -> None:
    """Every candidate's attempt, ready, made with the papers at release (one statement).
    The room then signs in at once without making them: making them at sign-in was 15 % of
    the start storm's server time on PostgreSQL (py-spy, BENCHMARKS.md). A ready attempt is
    not a sign-in: the sign-in event and the ticket's active terminal say who came
    (web/console.py)."""
    spec = Spec.from_json(blueprint.spec)
    db.session.execute(
        insert(Attempt),
        [
            _ready_attempt(ticket, session.id, paper_id, spec)
            for ticket, paper_id in zip(tickets, paper_ids, strict=True)
        ],
    )


def record_sign_in(
    ticket: AdmissionTicket, terminal, actor: Actor, now: datetime
) -> Attempt | None:
    """A terminal sign-in, as an event of the candidate's attempt (the archive lists it),
    in the sign-in's own transaction, written at once (``_event_now``). The attempt is made
    here rather than by the exam page that follows, so that a room opening that page at once
    only reads. None when no paper has been drawn for the ticket (the exam page then says
    so)."""
    try:
        attempt = attempt_for(ticket)
    except ExamError:
        return None
    _event_now(attempt, "sign_in", actor, now, terminal_id=terminal.id)
    return attempt


def existing_attempt(ticket: AdmissionTicket) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))


def submit_open_attempts(session: ExamSession, actor: Actor, now: datetime | None = None) -> int:
    """Closing the session ends every paper still open (running or paused)."""
    now = now or now_utc()
    attempts = running_attempts(session, [AttemptState.IN_PROGRESS, AttemptState.PAUSED])
    for attempt in attempts:
        submit(attempt, actor, by="invigilator", now=now)
    return len(attempts)


def settle(attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Submit the attempt if its time ran out (lazily, on any request that touches it)."""
    now = now or now_utc()
    if is_overdue(attempt.state, attempt.deadline_at, now, grace_seconds()):
        submit(attempt, SYSTEM, by="deadline", now=now)
    return attempt


@cache
def _session_state():
    # Built once (the id a parameter), as the start's other statements (api/terminal.py), and
    # run on the connection: a column needs none of the ORM's result machinery.
    return select(ExamSession.state).where(ExamSession.id == bindparam("id"))


def start(attempt: Attempt, terminal: Terminal, actor: Actor, now: datetime | None = None) -> None:
    """The candidate opens question 1: the clock starts (once). A candidate who was moved
    to this terminal continues with the time they had left."""
    starting(attempt, terminal, actor, now)()


def starting(
    attempt: Attempt, terminal: Terminal, actor: Actor, now: datetime | None = None
) -> Callable[[], None]:
    """``start`` in two steps: check now that the candidate may start (ExamError if not),
    and answer the writes, for the caller to make once its own reads are done.

    A first start is written at once, not at the flush (database.update_now): the whole room
    starts at once, and the unit of work's flush was a measurable share of each start. A
    writer holds SQLite's write lock from its first write to its commit, so the terminal's
    start (api/terminal.py) reads the paper before it writes."""
    now = now or now_utc()
    if attempt.state == AttemptState.READY:
        # Only the session's state, not the whole session: the room starts at once.
        session_state = db.session.connection().scalar(
            _session_state(), {"id": attempt.session_id}
        )
        if session_state != SessionState.IN_PROGRESS:
            raise ExamError(
                "not_started", _l("The exam has not started yet. Wait for the invigilator.")
            )

        def first_start() -> None:
            update_now(
                attempt,
                state=AttemptState.IN_PROGRESS,
                started_at=now,
                deadline_at=deadline_for(now, attempt.duration_seconds, attempt.extra_seconds),
                terminal_id=terminal.id,
                last_heartbeat_at=now,
            )
            _event_now(attempt, "start", actor, now, terminal_id=terminal.id)

        return first_start
    if attempt.state == AttemptState.PAUSED and attempt.pause_reason == "move":
        return lambda: _resume(attempt, actor, now, terminal=terminal)
    if attempt.terminal_id != terminal.id and attempt.state == AttemptState.IN_PROGRESS:

        def elsewhere() -> None:
            attempt.terminal_id = terminal.id
            _event(attempt, "resume_elsewhere", actor, now, terminal_id=terminal.id)

        return elsewhere
    return lambda: None


def require_running(attempt: Attempt) -> None:
    if attempt.state == AttemptState.READY:
        raise ExamError("not_started", _l("The exam has not started for you yet."))


# --- Saving answers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Saved:
    position: int
    response: str | None
    flagged: bool
    seq: int
    saved_at: datetime
    # False when a newer save (higher seq) was already stored: this one changed nothing.
    applied: bool


def _paper_question(attempt: Attempt, position: int) -> tuple[PaperQuestion, QuestionVersion]:
    row = db.session.execute(
        select(PaperQuestion, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == attempt.paper_id, PaperQuestion.position == position)
    ).first()
    if row is None:
        raise ExamError(
            "no_such_question", _l("There is no question %(n)s.", n=position), "position"
        )
    return row[0], row[1]


def save_answer(
    attempt: Attempt,
    position: int,
    response: str | None,
    flagged: bool,
    seq: int,
    terminal: Terminal,
    now: datetime | None = None,
) -> Saved:
    """Record one answer (idempotent by ``seq``): a save whose seq is not newer than the
    stored one is acknowledged with the stored answer and changes nothing."""
    now = now or now_utc()
    settle(attempt, now)
    if attempt.state == AttemptState.PAUSED:
        raise ExamError("paused", _l("Your exam is paused. Wait for the invigilator."))
    if not accepts_answers(attempt.state, attempt.deadline_at, now, grace_seconds()):
        if attempt.state == AttemptState.READY:
            raise ExamError("not_started", _l("The exam has not started for you yet."))
        raise ExamError("time_up", _l("Time is up: this answer was not recorded."))
    if seq < 1:
        raise ExamError("bad_seq", _l("seq counts up from 1."), "seq")
    paper_question, version = _paper_question(attempt, position)
    try:
        response = grading.normalise_response(
            version.type, response, len(paper_question.option_order or "")
        )
    except ValueError as error:
        raise ExamError("bad_response", str(error), "response") from None

    stored = db.session.scalar(
        select(AttemptAnswer).where(
            AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.position == position
        )
    )
    if stored is not None and stored.seq >= seq:
        return Saved(position, stored.response, stored.flagged, stored.seq, stored.saved_at, False)
    if stored is None:
        stored = AttemptAnswer(attempt_id=attempt.id, position=position)
        try:
            with db.session.begin_nested():
                stored.response, stored.flagged, stored.seq, stored.saved_at = (
                    response,
                    flagged,
                    seq,
                    now,
                )
                db.session.add(stored)
        except IntegrityError:  # a concurrent save of the same question inserted first
            return save_answer(attempt, position, response, flagged, seq, terminal, now)
    else:
        # Conditional update: a concurrent newer save wins even between our read and write.
        changed = db.session.execute(
            update(AttemptAnswer)
            .where(AttemptAnswer.id == stored.id, AttemptAnswer.seq < seq)
            .values(response=response, flagged=flagged, seq=seq, saved_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.refresh(stored)
        if not changed:
            return Saved(
                position, stored.response, stored.flagged, stored.seq, stored.saved_at, False
            )
    db.session.add(
        AnswerChange(
            attempt_id=attempt.id,
            position=position,
            response=response,
            flagged=flagged,
            seq=seq,
            terminal_id=terminal.id,
            saved_at=now,
        )
    )
    attempt.answered_count = db.session.scalar(
        select(func.count())
        .select_from(AttemptAnswer)
        .where(AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.response.is_not(None))
    )
    attempt.last_heartbeat_at = now
    return Saved(position, response, flagged, seq, now, True)


def heartbeat(attempt: Attempt, terminal: Terminal, now: datetime | None = None) -> None:
    now = now or now_utc()
    settle(attempt, now)
    attempt.last_heartbeat_at = now


# --- Submission and grading ----------------------------------------------------------------


def _keyed_questions(paper_id: int, corrections: dict[int, str]) -> list[grading.KeyedQuestion]:
    rows = db.session.execute(
        select(PaperQuestion, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == paper_id)
        .order_by(PaperQuestion.position)
    ).all()
    paper = db.session.get(Paper, paper_id)
    spec = spec_of(paper)
    return [
        grading.KeyedQuestion(
            position=pq.position,
            type=qv.type,
            answer=corrections.get(qv.id, qv.answer),
            option_order=pq.option_order or "",
            points=spec.points[qv.type],
            critical=bool(qv.critical),
        )
        for pq, qv in rows
    ]


def _corrections(centre_id: int) -> dict[int, str]:
    """The newest corrected key per question version (empty for almost every centre)."""
    rows = db.session.execute(
        select(KeyCorrection.question_version_id, KeyCorrection.answer)
        .where(KeyCorrection.centre_id == centre_id)
        .order_by(KeyCorrection.id)
    ).all()
    return {version_id: answer for version_id, answer in rows}


def responses_of(attempt: Attempt) -> dict[int, str | None]:
    rows = db.session.execute(
        select(AttemptAnswer.position, AttemptAnswer.response).where(
            AttemptAnswer.attempt_id == attempt.id
        )
    ).all()
    return dict(rows)


def _store_result(
    attempt: Attempt, grade: grading.Grade, created_by: str, reason: str | None, now: datetime
) -> AttemptResult:
    version = 1 + (
        db.session.scalar(
            select(func.max(AttemptResult.version)).where(AttemptResult.attempt_id == attempt.id)
        )
        or 0
    )
    result = AttemptResult(
        attempt_id=attempt.id,
        version=version,
        earned=grade.earned,
        total=grade.total,
        score=grade.score,
        passed=grade.passed,
        pass_mark=grade.pass_mark,
        critical_wrong=grade.critical_wrong,
        failed_on_critical=grade.failed_on_critical,
        correct_count=sum(1 for m in grade.marks if m.correct),
        marks=[
            {
                "position": m.position,
                "response": m.response,
                "correct": m.correct,
                "earned": m.earned,
            }
            for m in grade.marks
        ],
        reason=reason,
        created_by=created_by,
        created_at=now,
    )
    db.session.add(result)
    attempt.results.append(result)
    return result


def submit(
    attempt: Attempt, actor: Actor, *, by: str, now: datetime | None = None
) -> AttemptResult:
    """Close the attempt, grade it at once and archive it; all or nothing.

    ``by`` is "candidate", "deadline" or "invigilator". Submitting twice returns the
    existing result (a double click, or the job racing the candidate).
    """
    now = now or now_utc()
    if attempt.state == AttemptState.SUBMITTED:
        return attempt.result
    if attempt.state == AttemptState.READY:
        raise ExamError("not_started", _l("The exam has not started for you yet."))
    # Claim the attempt with a conditional update, so that only one of two racing submits
    # (the candidate's and the job's) grades it.
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state != AttemptState.SUBMITTED)
        .values(state=AttemptState.SUBMITTED, submitted_at=now, submitted_by=by)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if not claimed:
        return attempt.result
    if attempt.paused_at is not None:
        attempt.paused_at = None
        attempt.pause_reason = None
    _event(attempt, "submit", actor, now, by=by)
    grade = grading.grade(
        _keyed_questions(attempt.paper_id, _corrections(attempt.centre_id)),
        responses_of(attempt),
        spec_of(attempt),
    )
    result = _store_result(attempt, grade, f"{actor.type}:{actor.label}", None, now)
    db.session.flush()
    sealed = _write_archive(attempt, now)
    record(
        actor,
        "attempt.submit",
        obj=attempt,
        details={
            "by": by,
            "score": grade.score,
            "passed": grade.passed,
            "archive_sha256": sealed.sha256,
        },
    )
    return result


def overdue_attempt_ids(now: datetime | None = None) -> list[int]:
    now = now or now_utc()
    limit = now - timedelta(seconds=grace_seconds())
    return list(
        db.session.scalars(
            select(Attempt.id)
            .where(Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline_at < limit)
            .order_by(Attempt.id)
        )
    )


def submit_overdue(now: datetime | None = None, *, only: int | None = None) -> int:
    """Submit every attempt (or just ``only``) whose time plus grace has run out; the
    scheduled job, run at start-up too, calls this. Returns how many were submitted."""
    now = now or now_utc()
    ids = overdue_attempt_ids(now)
    if only is not None:
        ids = [i for i in ids if i == only]
    for attempt_id in ids:
        submit(db.session.get(Attempt, attempt_id), SYSTEM, by="deadline", now=now)
    return len(ids)


# --- The invigilator's actions -------------------------------------------------------------


def pause(
    attempt: Attempt,
    actor: Actor,
    reason: str,
    *,
    kind: str = "incident",
    now: datetime | None = None,
) -> None:
    now = now or now_utc()
    settle(attempt, now)
    if attempt.state != AttemptState.IN_PROGRESS:
        raise ExamError("not_running", _l("Only a running exam can be paused."))
    attempt.state = AttemptState.PAUSED
    attempt.paused_at = now
    attempt.pause_reason = kind
    _event(attempt, "pause", actor, now, reason=reason, pause_kind=kind)
    record(actor, "attempt.pause", obj=attempt, reason=reason, details={"kind": kind})


def _resume(
    attempt: Attempt, actor: Actor, now: datetime, terminal: Terminal | None = None
) -> None:
    paused_for = (now - attempt.paused_at).total_seconds()
    attempt.deadline_at = resumed_deadline(attempt.deadline_at, attempt.paused_at, now)
    attempt.state = AttemptState.IN_PROGRESS
    attempt.paused_at = None
    attempt.pause_reason = None
    if terminal is not None:
        attempt.terminal_id = terminal.id
    attempt.last_heartbeat_at = now
    _event(attempt, "resume", actor, now, paused_seconds=round(paused_for, 3))


def resume(attempt: Attempt, actor: Actor, now: datetime | None = None) -> None:
    now = now or now_utc()
    if attempt.state != AttemptState.PAUSED:
        raise ExamError("not_paused", _l("This exam is not paused."))
    _resume(attempt, actor, now)
    record(actor, "attempt.resume", obj=attempt, details={})


def running_attempts(session: ExamSession, states: Sequence[str]) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt).where(Attempt.session_id == session.id, Attempt.state.in_(states))
        )
    )


def pause_room(session: ExamSession, actor: Actor, reason: str, now: datetime | None = None) -> int:
    """Pause every running attempt of the session at the same instant (an incident)."""
    now = now or now_utc()
    attempts = running_attempts(session, [AttemptState.IN_PROGRESS])
    for attempt in attempts:
        pause(attempt, actor, reason, kind="room", now=now)
    record(actor, "session.pause", obj=session, reason=reason, details={"attempts": len(attempts)})
    return len(attempts)


def resume_room(session: ExamSession, actor: Actor, now: datetime | None = None) -> int:
    now = now or now_utc()
    attempts = [
        a for a in running_attempts(session, [AttemptState.PAUSED]) if a.pause_reason == "room"
    ]
    for attempt in attempts:
        resume(attempt, actor, now)
    record(actor, "session.resume", obj=session, details={"attempts": len(attempts)})
    return len(attempts)


def extend(
    attempt: Attempt, actor: Actor, minutes: int, reason: str, now: datetime | None = None
) -> None:
    """Give a candidate more time (an audited decision, always with a reason)."""
    now = now or now_utc()
    settle(attempt, now)
    if not reason.strip():
        raise ExamError("reason_required", _l("Give the reason for the extension."), "reason")
    if not 1 <= minutes <= 120:
        raise ExamError("bad_minutes", _l("Extend by 1 to 120 minutes."), "minutes")
    if attempt.state == AttemptState.SUBMITTED:
        raise ExamError("submitted", _l("This paper has been submitted."))
    attempt.extra_seconds += minutes * 60
    if attempt.deadline_at is not None:
        attempt.deadline_at += timedelta(minutes=minutes)
    _event(attempt, "extend", actor, now, minutes=minutes, reason=reason)
    record(actor, "attempt.extend", obj=attempt, reason=reason, details={"minutes": minutes})


def move(
    attempt: Attempt | None,
    ticket: AdmissionTicket,
    terminal: Terminal,
    actor: Actor,
    reason: str,
    now: datetime | None = None,
) -> None:
    """After the seat has moved (``sessions.operations.assign_seat``): a running exam pauses
    here and resumes when the candidate opens it at the new terminal, with the same time
    left."""
    now = now or now_utc()
    if attempt is None:
        return
    settle(attempt, now)
    if attempt.state == AttemptState.IN_PROGRESS:
        attempt.state = AttemptState.PAUSED
        attempt.paused_at = now
        attempt.pause_reason = "move"
    elif attempt.state == AttemptState.PAUSED:
        attempt.pause_reason = "move"
    _event(attempt, "move", actor, now, reason=reason, to=terminal.code)


# --- Re-scoring after a key correction -----------------------------------------------------


def correct_key(
    actor: Actor, version: QuestionVersion, answer: str, reason: str, now: datetime | None = None
) -> list[AttemptResult]:
    """Record a corrected key for a question version and re-score every submitted attempt
    whose paper holds it: each gets a new result version with the reason; nothing is
    overwritten."""
    now = now or now_utc()
    if not reason.strip():
        raise ExamError("reason_required", _l("Give the reason for the correction."), "reason")
    letters = "".join(sorted(set(answer.strip().upper())))
    if version.type == "true_false":
        letters = answer.strip().lower()
        if letters not in ("true", "false"):
            raise ExamError("bad_answer", _l("A true/false key is true or false."), "answer")
    elif (
        not letters
        or any(c not in "ABCDE"[: len(version.options_zh)] for c in letters)
        or (version.type == "single" and len(letters) != 1)
    ):
        raise ExamError("bad_answer", _l("That is not a valid key for this question."), "answer")
    correction = KeyCorrection(
        centre_id=version.centre_id,
        question_version_id=version.id,
        answer=letters,
        reason=reason,
        created_by=f"{actor.type}:{actor.label}",
        created_at=now,
    )
    db.session.add(correction)
    record(
        actor,
        "question.key_correct",
        obj=version,
        reason=reason,
        details={"from": version.answer, "to": letters},
    )
    affected = db.session.scalars(
        select(Attempt)
        .join(PaperQuestion, PaperQuestion.paper_id == Attempt.paper_id)
        .where(
            PaperQuestion.question_version_id == version.id,
            Attempt.state == AttemptState.SUBMITTED,
        )
        .order_by(Attempt.id)
    ).all()
    corrections = _corrections(version.centre_id)
    corrections[version.id] = letters
    items = [(_keyed_questions(a.paper_id, corrections), responses_of(a)) for a in affected]
    results = []
    # One numpy pass per paper blueprint (usually one for the whole centre).
    by_spec: dict[int, list[int]] = {}
    for index, attempt in enumerate(affected):
        by_spec.setdefault(attempt.paper.blueprint_id, []).append(index)
    grades: dict[int, grading.Grade] = {}
    for blueprint_id, indexes in by_spec.items():
        spec = Spec.from_json(db.session.get(Blueprint, blueprint_id).spec)
        for index, grade in zip(
            indexes, grading.grade_papers([items[i] for i in indexes], spec), strict=True
        ):
            grades[index] = grade
    for index, attempt in enumerate(affected):
        before = attempt.result
        result = _store_result(attempt, grades[index], f"{actor.type}:{actor.label}", reason, now)
        db.session.flush()
        record(
            actor,
            "attempt.rescore",
            obj=attempt,
            reason=reason,
            details={
                "version": result.version,
                "score_before": before.score if before else None,
                "score_after": result.score,
                "passed_before": before.passed if before else None,
                "passed_after": result.passed,
            },
        )
        results.append(result)
    return results


# --- Archive -------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def archive_document(attempt: Attempt) -> dict:
    """The attempt as one plain document (``archive.ARCHIVE_FORMAT``)."""
    ticket = attempt.ticket
    session = db.session.get(ExamSession, attempt.session_id)
    rows = db.session.execute(
        select(PaperQuestion, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == attempt.paper_id)
        .order_by(PaperQuestion.position)
    ).all()
    terminals = dict(db.session.execute(select(Terminal.id, Terminal.code)).all())
    changes = db.session.scalars(
        select(AnswerChange).where(AnswerChange.attempt_id == attempt.id).order_by(AnswerChange.id)
    ).all()
    events = db.session.scalars(
        select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id).order_by(AttemptEvent.id)
    ).all()
    result = attempt.results[0]
    return {
        "format": archive.ARCHIVE_FORMAT,
        "attempt": attempt.id,
        "centre": ticket.centre.code,
        "session": {"id": session.id, "item": session.item, "room": session.room},
        "candidate": {
            "name": ticket.candidate.name,
            "id_number": ticket.candidate.id_number,
            "ticket": ticket.number,
        },
        "paper": {
            "id": attempt.paper_id,
            "seed": attempt.paper.seed,
            "bank_version": attempt.paper.bank_version,
            "blueprint": attempt.paper.blueprint_id,
            "questions": [
                {
                    "position": pq.position,
                    "question_version": qv.id,
                    "content_sha256": qv.content_hash,
                    "type": qv.type,
                    "option_order": pq.option_order or "",
                }
                for pq, qv in rows
            ],
        },
        "timing": {
            "started_at": _iso(attempt.started_at),
            "deadline_at": _iso(attempt.deadline_at),
            "submitted_at": _iso(attempt.submitted_at),
            "submitted_by": attempt.submitted_by,
            "duration_seconds": attempt.duration_seconds,
            "extra_seconds": attempt.extra_seconds,
        },
        "terminal": terminals.get(attempt.terminal_id),
        "answers": [
            {
                "position": c.position,
                "response": c.response,
                "flagged": c.flagged,
                "seq": c.seq,
                "at": _iso(c.saved_at),
                "terminal": terminals.get(c.terminal_id),
            }
            for c in changes
        ],
        "events": [
            {
                "kind": e.kind,
                "at": _iso(e.at),
                "actor": e.actor,
                "terminal": terminals.get(e.terminal_id),
                "details": e.details or {},
            }
            for e in events
        ],
        "result": {
            "earned": result.earned,
            "total": result.total,
            "score": result.score,
            "passed": result.passed,
            "pass_mark": result.pass_mark,
            "critical_wrong": result.critical_wrong,
            "failed_on_critical": result.failed_on_critical,
            "marks": result.marks,
        },
    }


def _write_archive(attempt: Attempt, now: datetime) -> AttemptArchive:
    document = archive_document(attempt)
    body = archive.canonical_json(document)
    sealed = AttemptArchive(
        attempt_id=attempt.id,
        format=archive.ARCHIVE_FORMAT,
        document=body.decode("utf-8"),
        sha256=archive.digest(document),
        created_at=now,
    )
    db.session.add(sealed)
    return sealed


@dataclass(frozen=True, slots=True)
class ArchiveFinding:
    attempt_id: int
    ticket: str
    problem: str


def verify_archives(centre_id: int | None = None) -> tuple[int, list[ArchiveFinding]]:
    """Check every stored archive: canonical bytes, digest, and the digest the audit chain
    recorded at submission. Returns (archives checked, problems)."""
    from ..models import AuditEntry

    query = select(AttemptArchive, Attempt).join(Attempt, Attempt.id == AttemptArchive.attempt_id)
    if centre_id is not None:
        query = query.where(Attempt.centre_id == centre_id)
    findings = []
    count = 0
    audited = {}
    for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "attempt.submit")
    ):
        audited[str(entry.object_id)] = json.loads(entry.details or "{}").get("archive_sha256")
    for sealed, attempt in db.session.execute(query.order_by(AttemptArchive.id)).all():
        count += 1
        check = archive.check(sealed.sha256, sealed.document.encode("utf-8"))
        ticket = attempt.ticket.number
        if not check.ok:
            findings.extend(ArchiveFinding(attempt.id, ticket, r) for r in check.reasons)
        if audited.get(str(attempt.id)) != sealed.sha256:
            findings.append(
                ArchiveFinding(
                    attempt.id,
                    ticket,
                    "the stored SHA-256 differs from the one the audit log recorded at submission",
                )
            )
    return count, findings


# --- What the terminal may see -------------------------------------------------------------


def remaining(attempt: Attempt, now: datetime) -> float:
    return remaining_seconds(
        attempt.state, attempt.deadline_at, attempt.paused_at, now, attempt.duration_seconds
    )


def item_name(item: str) -> str:
    """The item's name as printed (TSG Z6001: Q1 起重机指挥, Q2 起重机司机)."""
    if item == "Q1":
        return "起重机指挥 Crane signaller"
    if item.startswith("Q2"):
        return "起重机司机 Crane driver"
    return item


def slip_data(attempt: Attempt, now: datetime | None = None):
    """The candidate's result slip (``slip_pdf.SlipData``), from the newest result version."""
    from zoneinfo import ZoneInfo

    from .slip_pdf import SlipData

    ticket = attempt.ticket
    session = db.session.get(ExamSession, attempt.session_id)
    result = attempt.result
    sealed = db.session.scalar(
        select(AttemptArchive).where(AttemptArchive.attempt_id == attempt.id)
    )
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    answered = sum(1 for m in result.marks if m.get("response"))
    return SlipData(
        centre_name=ticket.centre.name,
        item_code=session.item,
        item_name=item_name(session.item),
        room=session.room,
        session_date=session.starts_at.astimezone(tz).date(),
        started_at=attempt.started_at,
        submitted_at=attempt.submitted_at,
        candidate_name=ticket.candidate.name,
        id_number=ticket.candidate.id_number,
        ticket_number=ticket.number,
        terminal=attempt.terminal.code if attempt.terminal else None,
        question_count=len(result.marks),
        answered_count=answered,
        correct_count=result.correct_count,
        earned_points=result.earned,
        total_points=result.total,
        score=result.score,
        pass_mark=result.pass_mark,
        passed=result.passed,
        failed_on_critical=result.failed_on_critical,
        archive_digest=sealed.sha256,
        issued_at=now or now_utc(),
        result_version=result.version,
        correction_reason=result.reason,
    )
