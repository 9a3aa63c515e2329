"""Appeals and complaints: open a case, move it through its states, review a theory score
from the archive, statistics (flush, never commit; every change audited).

The life cycle and deadlines are ``states`` (pure); the letter is ``letter_pdf`` (pure).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.operations import Actor, record
from ..exams import archive, grading
from ..exams import operations as exam_ops
from ..extensions import db
from ..models import (
    AdmissionTicket,
    AppealCase,
    Attempt,
    AttemptArchive,
    AuditEntry,
    Blueprint,
    Centre,
    ExamSession,
    QuestionVersion,
    Role,
    SimulatorRun,
    User,
    utcnow,
)
from ..numbering import add_with_running_number
from ..papers.blueprint import Spec
from ..workdays import WorkingCalendar
from . import states
from .states import CaseFacts, CaseRefused, CaseState, CaseType


class AppealError(ValueError):
    def __init__(self, field: str, message) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


REFUSALS = {
    "own_remedy": _l("The handler cannot approve their own remedy: a supervisor must."),
    "not_handler": _l("Only the assigned handler proposes the remedy."),
    "invalid_case": _l("An invalid case is answered, not assigned."),
    "remedy_needed": _l("A valid case is answered after its remedy is approved."),
    "not_allowed": _l("This step is not possible in the case's current state."),
    "unknown_action": _l("Unknown step."),
}


def _by(actor: Actor) -> str:
    return f"{actor.type}:{actor.label}"


def _facts(case: AppealCase) -> CaseFacts:
    return CaseFacts(case.state, case.valid, case.handler_id)


def open_case(
    actor: Actor,
    centre: Centre,
    *,
    case_type: str,
    complainant_name: str,
    summary: str,
    received_on: date,
    calendar: WorkingCalendar,
    answer_days: int,
    contact: str | None = None,
    ticket: AdmissionTicket | None = None,
    language: str = "zh",
) -> AppealCase:
    if case_type not in set(CaseType):
        raise AppealError("case_type", _l("Choose the kind of case."))
    if not complainant_name.strip():
        raise AppealError("complainant_name", _l("This field is required."))
    if not summary.strip():
        raise AppealError("summary", _l("This field is required."))
    if ticket is not None and ticket.centre_id != centre.id:
        raise AppealError("ticket", _l("No such admission ticket at this centre."))
    if case_type in (CaseType.SCORE_THEORY, CaseType.SCORE_PRACTICAL) and ticket is None:
        raise AppealError("ticket", _l("A score review names the admission ticket."))
    case = AppealCase(
        centre_id=centre.id,
        case_type=case_type,
        state=CaseState.RECEIVED,
        complainant_name=complainant_name.strip(),
        complainant_contact=(contact or "").strip() or None,
        ticket_id=ticket.id if ticket else None,
        summary=summary.strip(),
        language="en" if language == "en" else "zh",
        received_on=received_on,
        answer_due_on=states.answer_due(received_on, calendar, answer_days),
        created_by=_by(actor),
    )
    add_with_running_number(case, lambda n: f"SS{received_on:%Y%m%d}-{n:04d}")
    record(
        actor,
        "appeal.open",
        obj=case,
        details={
            "number": case.number,
            "type": case_type,
            "ticket": ticket.number if ticket else None,
            "answer_due_on": case.answer_due_on.isoformat(),
        },
    )
    return case


@dataclass(frozen=True)
class Step:
    """What a step carries; each action reads the fields it needs."""

    valid: bool | None = None
    reason: str | None = None
    handler: User | None = None
    remedy: str | None = None
    answer: str | None = None
    outcome: str | None = None
    note: str | None = None


def _need(value: str | None, field_name: str) -> str:
    if not (value or "").strip():
        raise AppealError(field_name, _l("This field is required."))
    return value.strip()


def take_step(
    actor: Actor,
    case: AppealCase,
    action: str,
    step: Step,
    *,
    on: date,
    followup_days: int,
) -> None:
    """Move the case on by ``action`` (``states.ACTIONS``); ``actor.id`` is the acting user
    (the four-eyes rule compares it with the handler)."""
    if action == "assess":
        # The assessment sets validity first: it decides where the case can go next.
        if step.valid is None:
            raise AppealError("valid", _l("Say whether the case is valid."))
        _need(step.reason, "reason")
    try:
        target = states.next_state(_facts(case), action, actor_id=actor.id)
    except CaseRefused as refused:
        raise AppealError(refused.field, REFUSALS.get(refused.code, str(refused))) from refused
    details: dict[str, Any] = {"from": case.state, "to": str(target)}
    reason = None
    if action == "assess":
        case.valid = step.valid
        case.assessment_reason = reason = step.reason.strip()
        details["valid"] = step.valid
    elif action == "assign":
        handler = step.handler
        # The handler works the case on these pages, which centre administrators reach.
        if (
            handler is None
            or handler.centre_id != case.centre_id
            or not handler.is_enabled
            or handler.role != Role.CENTRE_ADMIN
        ):
            raise AppealError(
                "handler", _l("Choose a centre administrator of this centre as the handler.")
            )
        case.handler_id = handler.id
        details["handler"] = handler.username
    elif action == "propose":
        case.remedy = _need(step.remedy, "remedy")
        details["remedy"] = case.remedy
    elif action == "approve":
        case.approved_by_id = actor.id
    elif action == "send_back":
        reason = _need(step.reason, "reason")
        case.approved_by_id = None
    elif action == "answer":
        case.answer = _need(step.answer, "answer")
        outcome = "invalid" if case.valid is False else step.outcome
        if outcome not in states.OUTCOMES or (outcome == "invalid") != (case.valid is False):
            raise AppealError("outcome", _l("Choose the outcome."))
        case.outcome = outcome
        case.answered_on = on
        case.followup_due_on = states.followup_due(on, followup_days)
        details.update(outcome=outcome, late=on > case.answer_due_on)
    elif action == "acknowledge":
        case.acknowledged_on = on
        case.acknowledgement = (step.note or "").strip() or None
    elif action == "follow_up":
        case.followed_up_on = on
        case.followup_note = _need(step.note, "note")
    elif action == "close":
        case.closed_on = on
    case.state = target
    record(actor, f"appeal.{action}", obj=case, reason=reason, details=details)


# --- Score review from the archive --------------------------------------------------------


@dataclass
class ReviewFindings:
    attempt_id: int | None = None
    archive_ok: bool = False
    problems: list[str] = field(default_factory=list)
    score_before: float | None = None
    passed_before: bool | None = None
    score_after: float | None = None
    passed_after: bool | None = None
    changed: bool = False
    result_version: int | None = None
    key_correction: dict | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def attempt_of(case: AppealCase) -> Attempt | None:
    if case.ticket_id is None:
        return None
    return db.session.scalar(select(Attempt).where(Attempt.ticket_id == case.ticket_id))


def _archive_problems(attempt: Attempt, sealed: AttemptArchive | None) -> list[str]:
    """The same checks as ``examcentre archive verify``, for one attempt."""
    if sealed is None:
        return ["no archive is stored for this attempt"]
    problems = list(archive.check(sealed.sha256, sealed.document.encode("utf-8")).reasons)
    audited = None
    for details in db.session.scalars(
        select(AuditEntry.details).where(
            AuditEntry.action == "attempt.submit", AuditEntry.object_id == str(attempt.id)
        )
    ):
        audited = json.loads(details or "{}").get("archive_sha256")
    if audited != sealed.sha256:
        problems.append(
            "the stored SHA-256 differs from the one the audit log recorded at submission"
        )
    return problems


def regrade_from_archive(
    attempt: Attempt, document: dict, corrections: dict[int, str]
) -> grading.Grade:
    """Grade the archived answers (the last accepted save per question) against the archived
    paper: its question versions, option orders and blueprint, with ``corrections``."""
    latest: dict[int, tuple[int, str | None]] = {}
    for change in document["answers"]:
        position = change["position"]
        if position not in latest or change["seq"] > latest[position][0]:
            latest[position] = (change["seq"], change["response"])
    responses = {position: response for position, (_seq, response) in latest.items()}
    spec = Spec.from_json(db.session.get(Blueprint, document["paper"]["blueprint"]).spec)
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(QuestionVersion).where(
                QuestionVersion.id.in_(
                    [q["question_version"] for q in document["paper"]["questions"]]
                )
            )
        )
    }
    questions = []
    for q in document["paper"]["questions"]:
        version = versions[q["question_version"]]
        if version.content_hash != q["content_sha256"]:
            raise AppealError(
                "review",
                _l("Question version %(id)s no longer matches the archive.", id=version.id),
            )
        questions.append(
            grading.KeyedQuestion(
                position=q["position"],
                type=q["type"],
                answer=corrections.get(version.id, version.answer),
                option_order=q["option_order"],
                points=spec.points[q["type"]],
                critical=bool(version.critical),
            )
        )
    return grading.grade(questions, responses, spec)


def review_theory_score(
    actor: Actor,
    case: AppealCase,
    *,
    wrong_key_position: int | None = None,
    correct_answer: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> ReviewFindings:
    """Re-verify the attempt's archive and re-grade it from the stored answers.

    With ``wrong_key_position``: the reviewer found that question's key wrong; the key is
    corrected for the centre (``exams.operations.correct_key``, which re-scores every paper
    that held the question). If this candidate's score changes, the new result version is
    linked to the case. A broken archive stops the review: nothing is re-graded from it.
    """
    now = now or utcnow()
    if case.case_type != CaseType.SCORE_THEORY:
        raise AppealError("review", _l("Only a theory score review is re-graded."))
    if case.state not in (CaseState.ASSIGNED, CaseState.REMEDY_PROPOSED):
        raise AppealError("review", _l("Review the score once the case is assigned."))
    attempt = attempt_of(case)
    if attempt is None or attempt.result is None:
        raise AppealError("review", _l("This ticket has no graded theory paper."))
    findings = ReviewFindings(attempt_id=attempt.id)
    before = attempt.result
    findings.score_before, findings.passed_before = before.score, before.passed
    sealed = db.session.scalar(
        select(AttemptArchive).where(AttemptArchive.attempt_id == attempt.id)
    )
    findings.problems = _archive_problems(attempt, sealed)
    findings.archive_ok = not findings.problems
    if findings.archive_ok:
        document = archive.load(sealed.document.encode("utf-8"))
        corrections = exam_ops._corrections(attempt.centre_id)
        if wrong_key_position is not None:
            question = next(
                (q for q in document["paper"]["questions"] if q["position"] == wrong_key_position),
                None,
            )
            if question is None:
                raise AppealError("position", _l("No question at that position on the paper."))
            version = db.session.get(QuestionVersion, question["question_version"])
            text = _need(reason, "reason")
            try:
                exam_ops.correct_key(
                    actor, version, correct_answer or "", f"{case.number}: {text}", now
                )
            except exam_ops.ExamError as error:
                raise AppealError(error.field or "answer", error.message) from error
            db.session.flush()
            corrections = exam_ops._corrections(attempt.centre_id)
            findings.key_correction = {
                "position": wrong_key_position,
                "question_version": version.id,
                "answer": corrections[version.id],
            }
        grade = regrade_from_archive(attempt, document, corrections)
        findings.score_after, findings.passed_after = grade.score, grade.passed
        db.session.refresh(attempt)
        newest = attempt.result
        if newest.id != before.id:
            # correct_key already stored the re-score (from the live answer table); it must
            # agree with the grade of the archived answers, else say so on the case.
            result = newest
            if (newest.score, newest.passed) != (grade.score, grade.passed):
                findings.problems.append(
                    f"the re-score from the stored answers ({newest.score}) differs from the"
                    f" re-grade of the archived answers ({grade.score})"
                )
        elif grade.score != before.score or grade.passed != before.passed:
            result = exam_ops._store_result(
                attempt, grade, _by(actor), f"{case.number}: score review", now
            )
            db.session.flush()
            record(
                actor,
                "attempt.rescore",
                obj=attempt,
                reason=f"{case.number}: score review",
                details={
                    "version": result.version,
                    "score_before": before.score,
                    "score_after": result.score,
                    "appeal": case.number,
                },
            )
        else:
            result = None
        if result is not None:
            findings.changed = True
            findings.result_version = result.version
            findings.score_after, findings.passed_after = result.score, result.passed
            case.result_id = result.id
    case.review = findings.as_dict()
    record(actor, "appeal.review", obj=case, details=findings.as_dict())
    return findings


def examiner_sheets(case: AppealCase) -> list[Any]:
    """Every examiner's score sheets of the case's ticket, every version (drafts left out:
    they were never a judgement), for a practical score review. Amendments show beside the
    version they replaced, with their reason."""
    from ..models import ExaminerSheet

    if case.ticket_id is None:
        return []
    return list(
        db.session.scalars(
            select(ExaminerSheet)
            .where(ExaminerSheet.ticket_id == case.ticket_id, ExaminerSheet.status == "signed")
            .order_by(ExaminerSheet.examiner_id, ExaminerSheet.version)
        )
    )


def practical_results(case: AppealCase) -> list[Any]:
    """The stored practical results of the case's ticket, every version, newest last."""
    from ..models import PracticalResult

    if case.ticket_id is None:
        return []
    return list(
        db.session.scalars(
            select(PracticalResult)
            .where(PracticalResult.ticket_id == case.ticket_id)
            .order_by(PracticalResult.version)
        )
    )


def practical_evidence(case: AppealCase) -> list[SimulatorRun]:
    """What the practical record holds for the case's ticket today: simulator runs (see
    ``examiner_sheets`` for the examiners' sheets)."""
    if case.ticket_id is None:
        return []
    return list(
        db.session.scalars(
            select(SimulatorRun)
            .where(SimulatorRun.ticket_id == case.ticket_id)
            .order_by(SimulatorRun.id)
        )
    )


# --- Statistics (the complaint classification table) ---------------------------------------


@dataclass(frozen=True)
class Statistics:
    total: int
    by_type: dict[str, int]
    by_outcome: dict[str, int]
    by_type_outcome: dict[tuple[str, str], int]
    by_centre: dict[str, int]
    answered: int
    answered_late: int
    mean_working_days: float | None
    max_working_days: int | None
    open_overdue: int


def statistics(
    calendar: WorkingCalendar,
    *,
    centre_ids: list[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> Statistics:
    """Cases received from ``start`` to ``end`` (inclusive) at ``centre_ids`` (all: None),
    classified by type, outcome and centre; handling time in working days from receipt to
    answer. The authority's reports call this too."""
    query = select(AppealCase, Centre.code).join(Centre, Centre.id == AppealCase.centre_id)
    if centre_ids is not None:
        query = query.where(AppealCase.centre_id.in_(centre_ids))
    if start is not None:
        query = query.where(AppealCase.received_on >= start)
    if end is not None:
        query = query.where(AppealCase.received_on <= end)
    by_type: Counter[str] = Counter()
    by_outcome: Counter[str] = Counter()
    by_type_outcome: Counter[tuple[str, str]] = Counter()
    by_centre: Counter[str] = Counter()
    handling: list[int] = []
    late = overdue = 0
    rows = db.session.execute(query).all()
    for case, code in rows:
        outcome = case.outcome or "open"
        by_type[case.case_type] += 1
        by_outcome[outcome] += 1
        by_type_outcome[(case.case_type, outcome)] += 1
        by_centre[code] += 1
        if case.answered_on is not None:
            handling.append(calendar.working_days_between(case.received_on, case.answered_on))
            late += case.answered_on > case.answer_due_on
        elif today is not None and states.overdue(case.state, today, case.answer_due_on, None):
            overdue += 1
    return Statistics(
        total=len(rows),
        by_type=dict(by_type),
        by_outcome=dict(by_outcome),
        by_type_outcome=dict(by_type_outcome),
        by_centre=dict(by_centre),
        answered=len(handling),
        answered_late=late,
        mean_working_days=round(sum(handling) / len(handling), 1) if handling else None,
        max_working_days=max(handling) if handling else None,
        open_overdue=overdue,
    )


def group_by_state(cases: list[AppealCase]) -> dict[str, list[AppealCase]]:
    grouped: dict[str, list[AppealCase]] = defaultdict(list)
    for case in cases:
        grouped[case.state].append(case)
    return grouped


def session_of(case: AppealCase) -> ExamSession | None:
    if case.ticket_id is None:
        return None
    ticket = db.session.get(AdmissionTicket, case.ticket_id)
    return db.session.get(ExamSession, ticket.session_id) if ticket and ticket.session_id else None
