"""Exam sessions: create, enrol, seat, release, check in, admit at a terminal, close.

Every change flushes (never commits) and writes an audit entry. The rules themselves live
in the pure modules beside this one: ``states`` (the life cycle), ``eligibility`` (who may
sit), ``roster`` (importing a list of approved candidates).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from ..audit.operations import Actor, actor_from, record
from ..candidates.operations import register_candidate
from ..compliance.exchange import ExchangeError
from ..compliance.operations import session_gate
from ..database import update_now
from ..extensions import db
from ..idnumber import parse_id_number
from ..models import (
    AdmissionTicket,
    Alert,
    Candidate,
    Centre,
    ExamSession,
    Role,
    Terminal,
    User,
    utcnow,
)
from .eligibility import EligibilitySettings, Reason, ReasonCode, Sitting, check_eligibility
from .roster import RosterProblem, parse_roster
from .states import SessionState, check_transition, is_editable
from .tickets_pdf import AdmissionTicketData, mask_id_number


class SessionError(ValueError):
    """A change that cannot be made; ``field`` names the form field or JSON key concerned."""

    def __init__(self, field: str, message, details: Sequence = ()) -> None:
        super().__init__(message)  # lazy: rendered when shown, in the reader's language
        self.field = field
        self.message = message
        self.details = tuple(details)


@dataclass(frozen=True)
class SessionPlan:
    item: str
    room: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    terminals: Sequence[Terminal]
    invigilators: Sequence[User]
    blueprint_version_id: int | None = None
    # A practical session: the registry's crane, the examiners and the lead among them.
    kind: str = "theory"
    equipment: str | None = None
    examiners: Sequence[User] = ()
    lead: User | None = None


def exam_day(session: ExamSession, timezone: str) -> date:
    """The calendar day of the sitting where the centre is."""
    return session.starts_at.astimezone(ZoneInfo(timezone)).date()


def _check_plan(centre: Centre, plan: SessionPlan) -> None:
    if plan.ends_at <= plan.starts_at:
        raise SessionError("ends_at", _l("The session must end after it starts."))
    if plan.capacity < 1:
        raise SessionError("capacity", _l("Capacity must be at least 1."))
    if plan.kind not in ("theory", "practical"):
        raise SessionError("kind", _l("A session is a theory or a practical exam."))
    if plan.kind == "practical":
        _check_practical_plan(centre, plan)
        return
    if any(t.centre_id != centre.id for t in plan.terminals):
        raise SessionError("terminals", _l("A terminal of another centre was chosen."))
    if len(plan.terminals) < plan.capacity:
        raise SessionError(
            "capacity",
            _l(
                "Capacity %(capacity)s needs as many terminals; %(count)s are chosen.",
                capacity=plan.capacity,
                count=len(plan.terminals),
            ),
        )
    for user in plan.invigilators:
        if user.centre_id != centre.id or user.role != Role.INVIGILATOR:
            raise SessionError("invigilators", _l("Only this centre's invigilators can be chosen."))
    if not plan.invigilators:
        raise SessionError("invigilators", _l("Choose at least one invigilator."))


def _check_practical_plan(centre: Centre, plan: SessionPlan) -> None:
    """A practical session: no terminals needed; this centre's examiners, a lead among them,
    invigilators optional."""
    if any(t.centre_id != centre.id for t in plan.terminals):
        raise SessionError("terminals", _l("A terminal of another centre was chosen."))
    for user in plan.invigilators:
        if user.centre_id != centre.id or user.role != Role.INVIGILATOR:
            raise SessionError("invigilators", _l("Only this centre's invigilators can be chosen."))
    for user in plan.examiners:
        if user.centre_id != centre.id or user.role != Role.EXAMINER:
            raise SessionError("examiners", _l("Only this centre's examiners can be chosen."))
    if plan.lead is None or plan.lead not in plan.examiners:
        raise SessionError("lead", _l("Choose the lead examiner among the session's examiners."))


def practical_gate(
    centre: Centre,
    *,
    item: str,
    day: date,
    equipment: str | None,
    examiners: Sequence[User],
    candidates: Sequence[Candidate],
) -> None:
    """Refuse a practical session whose crane, examiners or candidates do not allow it
    (``practical.gate``, with the regulation's clauses), naming every reason."""
    from ..compliance.operations import centre_record
    from ..models import ExaminerConflict
    from ..practical.gate import Conflict, session_refusals

    try:
        record_ = centre_record(centre)
    except ExchangeError:
        raise SessionError(
            "equipment",
            _l(
                "The centre's records are incomplete, so the crane and the examiners cannot be"
                " checked. Complete them under Centre records."
            ),
        ) from None
    conflicts = []
    if examiners and candidates:
        rows = db.session.scalars(
            select(ExaminerConflict).where(
                ExaminerConflict.examiner_id.in_([u.id for u in examiners]),
                ExaminerConflict.candidate_id.in_([c.id for c in candidates]),
            )
        )
        conflicts = [
            Conflict(row.examiner.display_name, row.candidate.name, row.kind) for row in rows
        ]
    refusals = session_refusals(
        record_,
        item=item,
        on=day,
        equipment_id=equipment,
        examiners=[u.display_name for u in examiners],
        conflicts=conflicts,
    )
    if refusals:
        raise SessionError(
            refusals[0].field,
            _l("The practical session cannot be held as planned."),
            details=refusals,
        )


def lead_of(session: ExamSession) -> User | None:
    from ..models import session_examiners

    user_id = db.session.scalar(
        select(session_examiners.c.user_id).where(
            session_examiners.c.session_id == session.id, session_examiners.c.lead.is_(True)
        )
    )
    return db.session.get(User, user_id) if user_id else None


def _set_examiners(session: ExamSession, examiners: Sequence[User], lead: User | None) -> None:
    from ..models import session_examiners

    db.session.execute(
        session_examiners.delete().where(session_examiners.c.session_id == session.id)
    )
    if examiners:
        db.session.execute(
            session_examiners.insert(),
            [
                {
                    "session_id": session.id,
                    "user_id": u.id,
                    "lead": lead is not None and u.id == lead.id,
                }
                for u in examiners
            ],
        )
    db.session.expire(session, ["examiners"])


def _gate_plan(centre: Centre, plan: SessionPlan, timezone: str, candidates=()) -> None:
    if plan.kind != "practical":
        return
    day = plan.starts_at.astimezone(ZoneInfo(timezone)).date()
    practical_gate(
        centre,
        item=plan.item,
        day=day,
        equipment=plan.equipment,
        examiners=plan.examiners,
        candidates=candidates,
    )


def create_session(
    actor: Actor, centre: Centre, plan: SessionPlan, timezone: str = "Asia/Shanghai"
) -> ExamSession:
    _check_plan(centre, plan)
    _gate_plan(centre, plan, timezone)
    session = ExamSession(
        centre_id=centre.id,
        kind=plan.kind,
        equipment=plan.equipment if plan.kind == "practical" else None,
        item=plan.item,
        room=plan.room,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        capacity=plan.capacity,
        blueprint_version_id=plan.blueprint_version_id,
        terminals=list(plan.terminals),
        invigilators=list(plan.invigilators),
    )
    db.session.add(session)
    db.session.flush()
    if plan.kind == "practical":
        _set_examiners(session, plan.examiners, plan.lead)
    record(actor, "session.create", obj=session, details=_plan_details(plan))
    return session


def update_session(
    actor: Actor, session: ExamSession, plan: SessionPlan, timezone: str = "Asia/Shanghai"
) -> None:
    """Change a scheduled session; a released one is frozen (only its state changes)."""
    if not is_editable(session.state):
        raise SessionError("state", _l("A session can be changed only while it is scheduled."))
    if plan.kind != session.kind:
        raise SessionError("kind", _l("A session's kind (theory or practical) cannot change."))
    centre = db.session.get(Centre, session.centre_id)
    _check_plan(centre, plan)
    _gate_plan(centre, plan, timezone, [t.candidate for t in tickets_of(session)])
    if enrolled_count(session) > plan.capacity:
        raise SessionError("capacity", _l("More candidates are enrolled than this capacity."))
    if plan.item != session.item and enrolled_count(session):
        raise SessionError("item", _l("The item cannot change once candidates are enrolled."))
    kept = {t.id for t in plan.terminals}
    seated = [t for t in tickets_of(session) if t.terminal_id and t.terminal_id not in kept]
    if seated:
        raise SessionError(
            "terminals",
            _l(
                "Terminal %(code)s has a candidate seated at it; move them first.",
                code=seated[0].terminal.code,
            ),
        )
    session.item, session.room = plan.item, plan.room
    session.starts_at, session.ends_at, session.capacity = (
        plan.starts_at,
        plan.ends_at,
        plan.capacity,
    )
    session.blueprint_version_id = plan.blueprint_version_id
    session.terminals = list(plan.terminals)
    session.invigilators = list(plan.invigilators)
    if plan.kind == "practical":
        session.equipment = plan.equipment
        _set_examiners(session, plan.examiners, plan.lead)
    record(actor, "session.update", obj=session, details=_plan_details(plan))


def _plan_details(plan: SessionPlan) -> dict:
    practical = (
        {
            "kind": "practical",
            "equipment": plan.equipment,
            "examiners": [u.username for u in plan.examiners],
            "lead": plan.lead.username if plan.lead else None,
        }
        if plan.kind == "practical"
        else {}
    )
    return {
        **practical,
        "item": plan.item,
        "room": plan.room,
        "starts_at": plan.starts_at.isoformat(),
        "ends_at": plan.ends_at.isoformat(),
        "capacity": plan.capacity,
        "terminals": [t.code for t in plan.terminals],
        "invigilators": [u.username for u in plan.invigilators],
    }


def set_show_result(actor: Actor, session: ExamSession, show: bool) -> None:
    """Show candidates their result at the terminal, or not; changeable until closing."""
    if session.state in (SessionState.CLOSED, SessionState.CANCELLED):
        raise SessionError("show_result", _l("The session is over; this can no longer change."))
    if session.show_result == show:
        return
    session.show_result = show
    record(actor, "session.show_result", obj=session, details={"show_result": show})


def tickets_of(session: ExamSession) -> list[AdmissionTicket]:
    return list(
        db.session.scalars(
            select(AdmissionTicket)
            .where(AdmissionTicket.session_id == session.id)
            .order_by(AdmissionTicket.number)
        )
    )


def enrolled_count(session: ExamSession) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AdmissionTicket)
            .where(AdmissionTicket.session_id == session.id)
        )
        or 0
    )


def change_state(
    actor: Actor, session: ExamSession, target: str, *, on: date, reason: str | None = None
) -> None:
    """Move a session along its life cycle (see ``states``); audited.

    Releasing and starting are refused while the centre is not compliant (when that
    setting is on); releasing pre-generates every enrolled candidate's paper. Closing
    marks every candidate never checked in as absent.
    """
    check_transition(session.state, target, reason=reason)
    centre = db.session.get(Centre, session.centre_id)
    now = utcnow()
    if target in (SessionState.RELEASED, SessionState.IN_PROGRESS):
        try:
            gate = session_gate(centre, on)
        except ExchangeError as error:
            # No (complete) records yet: the centre cannot be shown to be compliant.
            raise SessionError(
                "state",
                _l(
                    "The centre's records are incomplete, so compliance cannot be checked"
                    " and the session cannot be opened."
                ),
                details=[
                    {"rule": p.path, "message": p.message, "message_en": p.message}
                    for p in error.problems
                ],
            ) from None
        if not gate.allowed:
            raise SessionError(
                "state",
                _l(
                    "The centre does not meet the regulation's requirements, so the session"
                    " cannot be opened."
                ),
                details=gate.blocking,
            )
    details: dict = {"from": session.state, "to": target}
    if target == SessionState.RELEASED:
        tickets = tickets_of(session)
        if not tickets:
            raise SessionError("state", _l("Enrol candidates before releasing the session."))
        if session.is_practical:
            # The crane, the examiners' filings and their conflicts, on the exam day.
            try:
                practical_gate(
                    centre,
                    item=session.item,
                    day=max(on, session.starts_at.date()),
                    equipment=session.equipment,
                    examiners=session.examiners,
                    candidates=[t.candidate for t in tickets],
                )
            except SessionError as error:
                raise SessionError(
                    "state",
                    error.message,
                    details=[
                        {"rule": r.code, "message": r.message_zh, "message_en": r.message_en}
                        for r in error.details
                    ],
                ) from None
        else:
            details["papers"] = _pregenerate_papers(actor, centre, session, tickets)
        session.released_at = now
    elif target == SessionState.IN_PROGRESS:
        session.started_at = now
    elif target == SessionState.CLOSED:
        session.closed_at = now
        absent = [t for t in tickets_of(session) if t.attendance == "enrolled"]
        for ticket in absent:
            _set_attendance(ticket, "absent", actor, now)
            ticket.active_terminal_id = None
        details["marked_absent"] = [t.number for t in absent]
        if not session.is_practical:
            from ..exams.operations import submit_open_attempts

            details["papers_submitted"] = submit_open_attempts(session, actor, now)
    elif target == SessionState.CANCELLED:
        session.cancelled_reason = reason
    session.state = target
    record(actor, f"session.{target}", obj=session, reason=reason, details=details)


def _pregenerate_papers(
    actor: Actor, centre: Centre, session: ExamSession, tickets: Sequence[AdmissionTicket]
) -> int:
    """Draw every enrolled candidate's paper now, in this transaction, so that nothing is
    drawn when the room starts at once. Each paper gets its own random seed, stored with it,
    so that it can be rebuilt exactly for an appeal."""
    from ..models import Blueprint, BlueprintStatus
    from ..papers.operations import generate_papers, published_blueprint

    if session.blueprint_version_id is not None:
        blueprint = db.session.get(Blueprint, session.blueprint_version_id)
    else:
        blueprint = published_blueprint(centre, session.item)
    if blueprint is None or blueprint.status != BlueprintStatus.PUBLISHED:
        raise SessionError(
            "blueprint_version_id",
            _l(
                "There is no published paper blueprint for %(item)s. Publish one under"
                " Question bank, Blueprints.",
                item=session.item,
            ),
        )
    session.blueprint_version_id = blueprint.id
    # Below 2**62: seeds are stored in a signed 64-bit column and passed to numpy's PCG64.
    seeds = [secrets.randbelow(2**62) for _ in tickets]
    paper_ids = generate_papers(actor, centre, blueprint, seeds, tickets)
    from ..exams.operations import make_ready_attempts  # (exams builds on sessions)

    make_ready_attempts(session, tickets, paper_ids, blueprint)
    return len(paper_ids)


# --- Enrolment -------------------------------------------------------------------------------


def history_for(
    centre: Centre,
    item: str,
    excluding: ExamSession | None,
    subjects: Sequence[str] = ("theory",),
) -> Callable[[str], list]:
    """A candidate's earlier sittings of ``item`` at this centre, for the eligibility rules.

    Absent sittings count as absences; a graded theory paper counts as passed or failed
    (its newest result version), a practical sitting by its newest practical result; any
    other sitting of a session not yet closed is pending, and a closed one with no result is
    left out. Only sittings of ``subjects`` (theory sessions, practical sessions) are listed.
    """
    from ..models import Attempt, AttemptResult, PracticalResult

    def sittings(id_number: str) -> list[Sitting]:
        rows = db.session.execute(
            select(AdmissionTicket, ExamSession)
            .join(Candidate, Candidate.id == AdmissionTicket.candidate_id)
            .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
            .where(
                Candidate.centre_id == centre.id,
                Candidate.id_number == id_number,
                ExamSession.item == item,
                ExamSession.state != SessionState.CANCELLED,
                ExamSession.kind.in_(list(subjects)),
            )
        ).all()
        ticket_ids = [ticket.id for ticket, _session in rows]
        passed_by_ticket: dict[int, bool] = {}
        if ticket_ids:
            for ticket_id, _version, passed in db.session.execute(
                select(Attempt.ticket_id, AttemptResult.version, AttemptResult.passed)
                .join(AttemptResult, AttemptResult.attempt_id == Attempt.id)
                .where(Attempt.ticket_id.in_(ticket_ids))
                .order_by(AttemptResult.version)
            ):
                passed_by_ticket[ticket_id] = passed  # the newest version wins
            for ticket_id, _version, passed in db.session.execute(
                select(PracticalResult.ticket_id, PracticalResult.version, PracticalResult.passed)
                .where(PracticalResult.ticket_id.in_(ticket_ids))
                .order_by(PracticalResult.version)
            ):
                passed_by_ticket[ticket_id] = passed
        result = []
        for ticket, session in rows:
            if excluding is not None and session.id == excluding.id:
                continue
            day = session.starts_at.date()
            subject = "practical" if session.kind == "practical" else "theory"
            if ticket.attendance == "absent":
                result.append(Sitting(day, item, subject, "absent"))
            elif ticket.id in passed_by_ticket:
                outcome = "passed" if passed_by_ticket[ticket.id] else "failed"
                result.append(Sitting(day, item, subject, outcome))
            elif session.state != SessionState.CLOSED or (
                subject == "practical" and ticket.attendance == "checked_in"
            ):
                # A practical sat but not yet reconciled (the lead examiner decides) is
                # pending even after the session closed.
                result.append(Sitting(day, item, subject, "pending"))
        return result

    return sittings


def _next_ticket_number(session: ExamSession, day: date) -> str:
    # Digits only, so that a candidate types it on a numeric pad: date, session, sequence.
    return f"{day:%y%m%d}{session.id:04d}{enrolled_count(session) + 1:03d}"


def free_terminals(session: ExamSession, *, registered_only: bool = False) -> list[Terminal]:
    """The session's working terminals with no one seated at them.

    ``registered_only`` for a move on the day: only a registered machine can be signed in at.
    """
    taken = {t.terminal_id for t in tickets_of(session)}
    return [
        t
        for t in session.terminals
        if t.id not in taken
        and t.status == "working"
        and (t.token_hash is not None or not registered_only)
    ]


def enrol(
    actor: Actor,
    session: ExamSession,
    *,
    id_number: str,
    name: str,
    timezone: str,
    employer: str | None = None,
    phone: str | None = None,
    application_no: str | None = None,
    requires_theory_pass: bool | None = None,
    retake_window_days: int | None = None,
) -> AdmissionTicket:
    """Enrol one approved candidate: eligibility, a ticket number, a seat. Audited.

    A practical session also needs the theory passed first (``requires_theory_pass``, the
    setting PRACTICAL_REQUIRES_THEORY_PASS) and no declared conflict with its examiners.
    Both settings default to the app's configuration, so that every way in (page, roster
    import, API, CLI) applies the same rules.
    """
    from flask import current_app

    if requires_theory_pass is None:
        requires_theory_pass = bool(current_app.config.get("PRACTICAL_REQUIRES_THEORY_PASS", True))
    if retake_window_days is None:
        retake_window_days = int(current_app.config.get("PRACTICAL_RETAKE_WINDOW_DAYS", 365))
    settings = EligibilitySettings(retake_window_days=retake_window_days)
    if not is_editable(session.state):
        raise SessionError("state", _l("Enrolment closes when the session is released."))
    if enrolled_count(session) >= session.capacity:
        raise SessionError(
            "id_number",
            _l("The session is full (capacity %(capacity)s).", capacity=session.capacity),
        )
    day = exam_day(session, timezone)
    centre = db.session.get(Centre, session.centre_id)
    resident = parse_id_number(id_number, on=day)
    if session.is_practical:
        history = history_for(centre, session.item, session, ("theory", "practical"))
        sittings = history(resident.number)
        verdict = check_eligibility(
            resident, session.item, day, sittings, settings, subjects=("practical",)
        )
        if verdict.eligible and requires_theory_pass:
            theory_passed = any(
                s.subject == "theory" and s.outcome == "passed" and s.date <= day for s in sittings
            )
            if not theory_passed:
                # Setting PRACTICAL_REQUIRES_THEORY_PASS (domain.md §4: theory first).
                raise SessionError(
                    "id_number",
                    _l("Not eligible for this sitting."),
                    details=[THEORY_FIRST],
                )
    else:
        verdict = check_eligibility(
            resident,
            session.item,
            day,
            history_for(centre, session.item, session)(resident.number),
            settings,
        )
    if not verdict.eligible:
        raise SessionError(
            "id_number", _l("Not eligible for this sitting."), details=verdict.reasons
        )
    already = db.session.scalar(
        select(AdmissionTicket)
        .join(Candidate, Candidate.id == AdmissionTicket.candidate_id)
        .where(AdmissionTicket.session_id == session.id, Candidate.id_number == resident.number)
    )
    if already is not None:
        raise SessionError("id_number", _l("This candidate is already enrolled in the session."))
    candidate = register_candidate(
        actor, centre, id_number=resident.number, name=name, on=day, employer=employer, phone=phone
    )
    db.session.flush()
    if session.is_practical:
        _refuse_conflicts(session, candidate)
    free = free_terminals(session)
    ticket = AdmissionTicket(
        centre_id=centre.id,
        candidate_id=candidate.id,
        session_id=session.id,
        number=_next_ticket_number(session, day),
        item=session.item,
        application_no=application_no,
        terminal_id=free[0].id if free else None,
    )
    db.session.add(ticket)
    record(
        actor,
        "ticket.issue",
        obj=ticket,
        details={
            "number": ticket.number,
            "item": ticket.item,
            "session": session.id,
            "retake": verdict.is_retake,
        },
    )
    return ticket


THEORY_FIRST = Reason(
    ReasonCode.THEORY_NOT_PASSED,
    "尚未通过该项目理论知识考试，不能参加实际操作技能考试",
    "the theory exam of this item is not passed yet: the practical comes after it",
)


def _refuse_conflicts(session: ExamSession, candidate: Candidate) -> None:
    from ..models import ExaminerConflict
    from ..practical.gate import Conflict, conflict_refusals

    examiners = [u.id for u in session.examiners]
    rows = db.session.scalars(
        select(ExaminerConflict).where(
            ExaminerConflict.candidate_id == candidate.id,
            ExaminerConflict.examiner_id.in_(examiners),
        )
    ).all()
    if rows:
        refusals = conflict_refusals(
            Conflict(r.examiner.display_name, candidate.name, r.kind) for r in rows
        )
        raise SessionError(
            "id_number",
            _l("An examiner of this session declared a conflict with this candidate."),
            details=[
                Reason(ReasonCode.EXAMINER_CONFLICT, r.message_zh, r.message_en) for r in refusals
            ],
        )


class RosterRejected(ValueError):
    def __init__(self, problems: Sequence[RosterProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = tuple(problems)


def import_roster(
    actor: Actor,
    session: ExamSession,
    filename: str,
    data: bytes,
    *,
    timezone: str,
    dry_run: bool = False,
    requires_theory_pass: bool | None = None,
) -> list:
    """Enrol every row of a roster file, or nobody: any bad row rejects the whole file."""
    if not is_editable(session.state):
        raise SessionError("state", _l("Enrolment closes when the session is released."))
    centre = db.session.get(Centre, session.centre_id)
    existing = [t.candidate.id_number for t in tickets_of(session)]
    result = parse_roster(
        filename,
        data,
        session_item=session.item,
        exam_date=exam_day(session, timezone),
        capacity=session.capacity,
        already_enrolled=len(existing),
        existing_id_numbers=existing,
        history_for=history_for(
            centre,
            session.item,
            session,
            ("theory", "practical") if session.is_practical else ("theory",),
        ),
    )
    if not result.ok:
        raise RosterRejected(result.problems)
    if dry_run:
        return list(result.rows)
    return [
        enrol(
            actor,
            session,
            id_number=row.id_number,
            name=row.name,
            timezone=timezone,
            employer=row.employer,
            phone=row.phone,
            application_no=row.application_no,
            requires_theory_pass=requires_theory_pass,
        )
        for row in result.rows
    ]


def assign_seat(actor: Actor, ticket: AdmissionTicket, terminal: Terminal, reason: str) -> None:
    """Seat a candidate at a terminal of the session (by hand, or a move by the invigilator).

    Moving also ends the candidate's sign-in at the old terminal, so they can sign in anew.
    """
    session = ticket.session
    if ticket.attendance == "absent":
        raise SessionError(
            "terminal",
            _l("%(name)s is recorded as absent and cannot be seated.", name=ticket.candidate.name),
        )
    if terminal not in session.terminals:
        raise SessionError("terminal", _l("That terminal is not used by this session."))
    holder = next((t for t in tickets_of(session) if t.terminal_id == terminal.id), None)
    if holder is not None and holder.id != ticket.id:
        raise SessionError(
            "terminal",
            _l(
                "Terminal %(code)s is already assigned to %(name)s.",
                code=terminal.code,
                name=holder.candidate.name,
            ),
        )
    old = ticket.terminal.code if ticket.terminal else None
    ticket.terminal_id = terminal.id
    ticket.active_terminal_id = None
    ticket.active_since = None
    record(
        actor, "ticket.seat", obj=ticket, reason=reason, details={"from": old, "to": terminal.code}
    )


def _set_attendance(ticket: AdmissionTicket, value: str, actor: Actor, now: datetime) -> None:
    ticket.attendance = value
    ticket.attendance_at = now
    ticket.attendance_by = actor.label


def record_attendance(
    actor: Actor, ticket: AdmissionTicket, attendance: str, reason: str | None = None
) -> None:
    """Check a candidate in (identity confirmed against the roster, 人证核验) or mark absent.

    Absence is a result of its own: the candidate sits nothing in this session.
    """
    if ticket.session.state not in (SessionState.RELEASED, SessionState.IN_PROGRESS):
        raise SessionError(
            "state", _l("Check-in is open only while the session is released or in progress.")
        )
    if attendance not in ("checked_in", "absent"):
        raise ValueError(attendance)
    if ticket.attendance == attendance:
        return
    if ticket.attendance == "absent":
        # Absence is a result of its own for the sitting: it is not undone at the door.
        raise SessionError(
            "attendance",
            _l(
                "%(name)s is recorded as absent; absence is final for this sitting.",
                name=ticket.candidate.name,
            ),
        )
    _set_attendance(ticket, attendance, actor, utcnow())
    if attendance == "absent":
        ticket.active_terminal_id = None
    record(actor, f"ticket.{attendance}", obj=ticket, reason=reason)


# --- Terminals -------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_terminal(actor: Actor, terminal: Terminal, allowed_addresses: str | None) -> str:
    """Make this machine the terminal: return a new device token (only its hash is kept).

    Registering again replaces the old token, so a stolen or lost machine is cut off.
    """
    for part in filter(None, (p.strip() for p in (allowed_addresses or "").split(","))):
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise SessionError(
                "allowed_addresses", _l("“%(value)s” is not an address or network.", value=part)
            ) from None
    token = secrets.token_urlsafe(32)
    terminal.token_hash = token_hash(token)
    terminal.registered_at = utcnow()
    terminal.registered_by = actor.label
    terminal.allowed_addresses = (allowed_addresses or "").strip() or None
    record(
        actor,
        "terminal.register",
        obj=terminal,
        details={"code": terminal.code, "allowed": terminal.allowed_addresses},
    )
    return token


def unregister_terminal(actor: Actor, terminal: Terminal, reason: str) -> None:
    terminal.token_hash = None
    record(actor, "terminal.unregister", obj=terminal, reason=reason)


@cache
def _terminal_by_token():
    # Built once (the hash a parameter): every sign-in at a terminal asks, the whole room at
    # once, and building the statement was much of the lookup's cost (request_cost.py).
    return select(Terminal).where(Terminal.token_hash == bindparam("token_hash"))


def terminal_for(
    token: str | None, address: str | None, likely: Terminal | None = None
) -> Terminal | None:
    """The registered terminal a request comes from, or None. ``likely``: a terminal already
    read in this request (a candidate's active one), used if the token is its own."""
    if not token:
        return None
    hashed = token_hash(token)
    if likely is not None and hmac.compare_digest(likely.token_hash or "", hashed):
        terminal = likely
    else:
        terminal = db.session.scalar(_terminal_by_token(), {"token_hash": hashed})
    if terminal is None or not address_allowed(terminal.allowed_addresses, address):
        return None
    return terminal


def address_allowed(allowed: str | None, address: str | None) -> bool:
    """True when no allow-list is set, or the address falls in one of its networks."""
    if not allowed:
        return True
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(p.strip(), strict=False) for p in allowed.split(",") if p.strip()
    )


@dataclass(frozen=True)
class Refusal:
    code: str
    message: object


def admit(ticket: AdmissionTicket, terminal: Terminal) -> Refusal | None:
    """May this candidate sign in at this terminal now? None means yes, and records it: the
    active terminal, the terminal's last contact, and the sign-in event on the attempt.

    A candidate's sign-in is an event of their attempt, not also an entry in the audit
    chain: the attempt's events are sealed into its archive, whose SHA-256 is in the chain,
    and the chain's head is one locked row that a room signing in at once would queue on
    (as answer saves are kept out of it: exams/operations.py). Only a sign-in before any
    paper is drawn (no attempt to hold it) goes to the audit log. Refusals always do.

    One candidate has one active terminal: a sign-in elsewhere is refused, logged, and
    raises an alert for the invigilators, until an invigilator moves the candidate.
    """
    session = ticket.session
    if session is None or session.state not in (SessionState.RELEASED, SessionState.IN_PROGRESS):
        return Refusal("not_open", _l("Your session is not open yet. Please wait."))
    if ticket.attendance != "checked_in":
        return Refusal("not_checked_in", _l("The invigilator has not checked you in yet."))
    # Checked before the seat: a second sign-in anywhere else is the event to alert on.
    if ticket.active_terminal_id not in (None, terminal.id):
        return Refusal("active_elsewhere", _l("You are already signed in at another terminal."))
    if ticket.terminal_id != terminal.id:
        seat = ticket.terminal.code if ticket.terminal else "?"
        return Refusal("wrong_terminal", _l("Your seat is terminal %(code)s.", code=seat))
    from ..exams.operations import record_sign_in  # (exams builds on sessions)

    now = utcnow()
    # The sign-in on the candidate's attempt (the archive lists it), in this transaction.
    # Written at once, as the ticket and the terminal after it (database.update_now: the whole
    # room signs in at once, and the unit of work's flush was a quarter of a sign-in), and
    # after every read: a writer holds SQLite's write lock from its first write to its commit.
    attempt = record_sign_in(ticket, terminal, actor_from(ticket), now)
    update_now(terminal, last_seen_at=now)
    update_now(ticket, active_terminal_id=terminal.id, active_since=now)
    if attempt is None:  # no paper drawn yet, so no attempt: the audit log keeps the sign-in
        from ..auth.operations import note_sign_in

        note_sign_in(actor_from(ticket), ticket)
    return None


def note_refused_admission(ticket: AdmissionTicket, terminal: Terminal, refusal: Refusal) -> None:
    """Log a refused candidate sign-in; a second sign-in also alerts the invigilators."""
    record(
        actor_from(ticket),
        "ticket.admission_refused",
        obj=ticket,
        details={"terminal": terminal.code, "code": refusal.code},
    )
    if refusal.code == "active_elsewhere":
        db.session.add(
            Alert(
                centre_id=ticket.centre_id,
                kind="second_sign_in",
                level="warn",
                message=(
                    f"考生 {ticket.candidate.name}（{ticket.number}）"
                    f"试图在 {terminal.code} 再次登录。"
                ),
                message_en=(
                    f"Candidate {ticket.candidate.name} ({ticket.number}) tried to sign in"
                    f" again at {terminal.code}."
                ),
            )
        )


def release_terminal(ticket: AdmissionTicket) -> None:
    """The candidate signed out: the terminal is free for them again."""
    ticket.active_terminal_id = None
    ticket.active_since = None


def eligibility_messages(reasons: Sequence[Reason], english: bool) -> list[str]:
    return [r.message_en if english else r.message_zh for r in reasons]


# --- Admission tickets and local times ------------------------------------------------------

ITEM_NAMES_ZH = {"Q1": "起重机指挥", "Q2(限桥式起重机)": "起重机司机（限桥式起重机）"}


def local_to_utc(day: date, clock: time, timezone: str) -> datetime:
    """A wall-clock time at the centre as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def admission_ticket_data(
    session: ExamSession,
    tickets: Sequence[AdmissionTicket],
    *,
    timezone: str,
    photo_dir: Path | None = None,
) -> list[AdmissionTicketData]:
    """What each ticket prints: masked ID, the item's Chinese name, local date and times."""
    from ..compliance.operations import record_document

    centre = db.session.get(Centre, session.centre_id)
    address = record_document(centre)["centre"].get("office_address", "") or ""
    zone = ZoneInfo(timezone)
    starts, ends = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    result = []
    for ticket in tickets:
        photo = None
        if photo_dir is not None and ticket.candidate.photo:
            path = photo_dir / ticket.candidate.photo
            if path.is_file() and path.resolve().parent == photo_dir.resolve():
                photo = path.read_bytes()
        result.append(
            AdmissionTicketData(
                ticket_number=ticket.number,
                name=ticket.candidate.name,
                masked_id=mask_id_number(ticket.candidate.id_number),
                item=session.item,
                item_name_zh=ITEM_NAMES_ZH.get(session.item, session.item),
                exam_date=starts.date(),
                start_time=starts.time().replace(tzinfo=None),
                end_time=ends.time().replace(tzinfo=None),
                room=session.room,
                terminal=ticket.terminal.code if ticket.terminal else None,
                centre_name=centre.name,
                centre_address=address,
                photo_jpeg=photo,
            )
        )
    return result
