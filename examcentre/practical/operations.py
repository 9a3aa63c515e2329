"""The practical exam scored by two examiners: conflicts, score sheets, reconciliation,
results, and each candidate's history. The only writers of ``examiner_conflicts``,
``examiner_sheets`` and ``practical_results``; every change is audited; flush, never commit.

- A sheet is one examiner's, for one ticket, one version. A draft is edited task by task
  (entries checked by ``scoring.score_task``); signing needs every task scored and freezes it
  (database triggers refuse any later UPDATE or DELETE of a signed row). An amendment is a
  new draft version with a reason; its signing makes a new result version.
- Neither examiner sees the other's sheet before both have signed (``visible_sheets``).
- When two examiners' newest sheets are signed, ``settle`` reconciles them
  (``results.reconcile_sheets``, the threshold and policy are settings): agreed gives a
  result at once; otherwise the session's lead examiner decides with a reason (``decide``).
- A result is a new row of ``practical_results`` (never changed), with the sheets it rests on
  and the SHA-256 of its canonical JSON. ``mode`` is "simulator" when the sheets started
  from a simulator run that counted as the exam, else "real".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..audit.operations import Actor, record
from ..extensions import db
from ..models import (
    AdmissionTicket,
    Attempt,
    AttemptResult,
    Candidate,
    ExaminerConflict,
    ExaminerSheet,
    ExamSession,
    PracticalResult,
    Role,
    SimulatorRun,
    User,
    session_examiners,
    utcnow,
)
from . import results as pure
from .gate import CONFLICT_KINDS
from .scoring import EntryError, SheetScore, score_sheet, score_task
from .sheets import Sheet, json_number


class PracticalError(ValueError):
    """A change that cannot be made; ``field`` names the form field concerned."""

    def __init__(self, field: str, message) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Settings:
    threshold: Decimal = pure.DEFAULT_THRESHOLD
    policy: str = "mean"
    window_days: int = pure.DEFAULT_WINDOW_DAYS


def settings_from(config: Any) -> Settings:
    return Settings(
        Decimal(str(config.get("PRACTICAL_RECONCILE_THRESHOLD", 10))),
        config.get("PRACTICAL_RECONCILE_POLICY", "mean"),
        int(config.get("PRACTICAL_RETAKE_WINDOW_DAYS", 365)),
    )


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sheet_for_item(item: str) -> Sheet:
    """The newest score-sheet version for ``item`` (question_bank/practical)."""
    from .stations import sheets_and_catalogue

    sheets, _catalogue = sheets_and_catalogue()
    candidates = [s for s in sheets.values() if s.item == item]
    if not candidates:
        raise PracticalError(
            "item", _l("There is no practical score sheet for %(item)s.", item=item)
        )
    return max(candidates, key=lambda s: s.version)


# --- Conflicts --------------------------------------------------------------------------------


def declare_conflict(
    actor: Actor, examiner: User, candidate: Candidate, kind: str, note: str | None
) -> ExaminerConflict:
    """An examiner's conflict with a candidate (回避), declared by them or an administrator."""
    if kind not in CONFLICT_KINDS:
        raise PracticalError("kind", _l("Choose own trainee, relative or same employer."))
    if examiner.role != Role.EXAMINER or examiner.centre_id != candidate.centre_id:
        raise PracticalError("examiner", _l("Only this centre's examiners can declare a conflict."))
    existing = db.session.scalar(
        select(ExaminerConflict).where(
            ExaminerConflict.examiner_id == examiner.id,
            ExaminerConflict.candidate_id == candidate.id,
        )
    )
    if existing is not None:
        raise PracticalError("candidate", _l("This conflict is already declared."))
    conflict = ExaminerConflict(
        centre_id=candidate.centre_id,
        examiner_id=examiner.id,
        candidate_id=candidate.id,
        kind=kind,
        note=(note or "").strip() or None,
        declared_by=actor.label,
    )
    db.session.add(conflict)
    record(
        actor,
        "examiner_conflict.declare",
        obj=conflict,
        details={"examiner": examiner.username, "candidate": candidate.id, "kind": kind},
    )
    return conflict


def conflicts_of(examiner: User) -> list[ExaminerConflict]:
    return list(
        db.session.scalars(
            select(ExaminerConflict)
            .where(ExaminerConflict.examiner_id == examiner.id)
            .order_by(ExaminerConflict.declared_at)
        )
    )


def has_conflict(examiner: User, candidate_id: int) -> bool:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ExaminerConflict)
            .where(
                ExaminerConflict.examiner_id == examiner.id,
                ExaminerConflict.candidate_id == candidate_id,
            )
        )
        or 0
    ) > 0


# --- Assignment -------------------------------------------------------------------------------


def sessions_of(examiner: User) -> list[ExamSession]:
    """The practical sessions this examiner is assigned to, newest first."""
    return list(
        db.session.scalars(
            select(ExamSession)
            .join(session_examiners, session_examiners.c.session_id == ExamSession.id)
            .where(
                session_examiners.c.user_id == examiner.id,
                ExamSession.kind == "practical",
                ExamSession.state != "cancelled",
            )
            .order_by(ExamSession.starts_at.desc())
        )
    )


def is_assigned(examiner: User, session: ExamSession) -> bool:
    return any(u.id == examiner.id for u in session.examiners)


def is_lead(examiner: User, session: ExamSession) -> bool:
    return bool(
        db.session.scalar(
            select(session_examiners.c.lead).where(
                session_examiners.c.session_id == session.id,
                session_examiners.c.user_id == examiner.id,
            )
        )
    )


# --- Sheets -----------------------------------------------------------------------------------


def sheets_of(ticket: AdmissionTicket, examiner: User | None = None) -> list[ExaminerSheet]:
    query = select(ExaminerSheet).where(ExaminerSheet.ticket_id == ticket.id)
    if examiner is not None:
        query = query.where(ExaminerSheet.examiner_id == examiner.id)
    return list(
        db.session.scalars(query.order_by(ExaminerSheet.examiner_id, ExaminerSheet.version))
    )


def newest_sheets(ticket: AdmissionTicket) -> dict[int, ExaminerSheet]:
    """Each examiner's newest sheet version for the ticket, by examiner id."""
    newest: dict[int, ExaminerSheet] = {}
    for sheet in sheets_of(ticket):
        newest[sheet.examiner_id] = sheet
    return newest


def exam_run(ticket: AdmissionTicket) -> SimulatorRun | None:
    """The newest simulator run of the ticket that counted as the exam, if any."""
    return db.session.scalar(
        select(SimulatorRun)
        .where(SimulatorRun.ticket_id == ticket.id, SimulatorRun.mode == "exam")
        .order_by(SimulatorRun.received_at.desc(), SimulatorRun.id.desc())
        .limit(1)
    )


def _simulator_entries(run: SimulatorRun, sheet: Sheet) -> tuple[dict[str, Any], list[str]]:
    """The entries and vetoes the run gave, mapped again from what the station signed (the
    same engine that scored it on arrival)."""
    from . import simulator
    from .stations import sheets_and_catalogue

    _sheets, catalogue = sheets_and_catalogue()
    parsed, problems = simulator.parse_run_body(
        run.body.encode("utf-8"), catalogue, run.received_at
    )
    if parsed is None or problems:
        return {}, []
    mapped = simulator.map_run(parsed, catalogue, sheet)
    return dict(mapped.entries), list(mapped.vetoes)


def _rescore(row: ExaminerSheet, sheet: Sheet) -> SheetScore:
    score = score_sheet(sheet, row.entries, row.vetoes)
    row.score = score.document()
    row.total = float(score.score)
    return score


def start_sheet(actor: Actor, examiner: User, ticket: AdmissionTicket) -> ExaminerSheet:
    """The examiner's sheet for this candidate: the newest one, or a new draft (version 1).

    Refused when the examiner is not assigned, has declared a conflict with the candidate,
    the session is not open, the candidate is absent, or two other examiners already score
    them. Opening the first sheet checks the candidate in (identity seen by the examiner).
    """
    session = ticket.session
    if session is None or not session.is_practical or not is_assigned(examiner, session):
        raise PracticalError("ticket", _l("You are not an examiner of this candidate's session."))
    if has_conflict(examiner, ticket.candidate_id):
        raise PracticalError(
            "ticket", _l("You declared a conflict with this candidate and may not score them.")
        )
    mine = sheets_of(ticket, examiner)
    if mine:
        return mine[-1]
    if session.state not in ("released", "in_progress"):
        raise PracticalError(
            "state", _l("Scoring is open only while the session is released or in progress.")
        )
    if ticket.attendance == "absent":
        raise PracticalError("ticket", _l("The candidate is recorded as absent."))
    others = {s.examiner_id for s in sheets_of(ticket)} - {examiner.id}
    if len(others) >= pure.MIN_PRACTICAL_EXAMINERS:
        raise PracticalError("ticket", _l("Two examiners already score this candidate."))
    if ticket.attendance == "enrolled":
        from ..sessions.operations import record_attendance

        record_attendance(actor, ticket, "checked_in", reason="practical exam: examiner")
    sheet = sheet_for_item(ticket.item)
    from .sheets import content_hash

    run = exam_run(ticket)
    entries, vetoes = _simulator_entries(run, sheet) if run is not None else ({}, [])
    row = ExaminerSheet(
        centre_id=ticket.centre_id,
        ticket_id=ticket.id,
        examiner_id=examiner.id,
        version=1,
        status="draft",
        sheet=sheet.sheet,
        sheet_version=sheet.version,
        sheet_hash=content_hash(sheet),
        entries=entries,
        vetoes=vetoes,
        veto_notes={code: f"simulator run {run.run_id}" for code in vetoes} if run else {},
        simulator_run_id=run.id if run is not None else None,
    )
    _rescore(row, sheet)
    db.session.add(row)
    record(
        actor,
        "examiner_sheet.start",
        obj=row,
        details={"ticket": ticket.number, "sheet": f"{sheet.sheet} v{sheet.version}",
                 "simulator_run": run.run_id if run is not None else None},
    )  # fmt: skip
    return row


def _sheet_of(row: ExaminerSheet) -> Sheet:
    from .stations import sheets_and_catalogue

    sheets, _catalogue = sheets_and_catalogue()
    sheet = sheets.get(row.sheet)
    if sheet is None or sheet.version != row.sheet_version:
        raise PracticalError(
            "sheet", _l("The score sheet version of this draft is no longer loaded.")
        )
    return sheet


def _draft(row: ExaminerSheet, examiner: User) -> None:
    if row.examiner_id != examiner.id:
        raise PracticalError("sheet", _l("This is another examiner's sheet."))
    if row.signed:
        raise PracticalError("sheet", _l("A signed sheet cannot change; amend it with a reason."))


def save_task(
    actor: Actor, examiner: User, row: ExaminerSheet, task_code: str, entry: Any
) -> SheetScore:
    """Store one task's entry on a draft; raises ``EntryError`` (JSON paths) when it is wrong."""
    _draft(row, examiner)
    sheet = _sheet_of(row)
    task = sheet.task(task_code)
    if task is None:
        raise PracticalError("task", _l("No such task on this sheet."))
    score_task(task, entry, f"$.entries.{task_code}")  # raises EntryError
    row.entries = {**row.entries, task_code: entry}
    row.updated_at = utcnow()
    score = _rescore(row, sheet)
    record(actor, "examiner_sheet.task", obj=row, details={"task": task_code, "entry": entry})
    return score


def set_veto(
    actor: Actor, examiner: User, row: ExaminerSheet, code: str, note: str | None, on: bool = True
) -> None:
    """Record a veto (否决项) with the examiner's note (required), or withdraw it on a draft."""
    _draft(row, examiner)
    sheet = _sheet_of(row)
    if sheet.veto(code) is None:
        raise PracticalError("veto", _l("No such veto item on this sheet."))
    vetoes, notes = list(row.vetoes), dict(row.veto_notes)
    if on:
        if not (note or "").strip():
            raise PracticalError("note", _l("A veto needs a note saying what happened."))
        if code not in vetoes:
            vetoes.append(code)
        notes[code] = note.strip()
    else:
        vetoes = [v for v in vetoes if v != code]
        notes.pop(code, None)
    row.vetoes, row.veto_notes = vetoes, notes
    _rescore(row, sheet)
    record(
        actor,
        "examiner_sheet.veto",
        obj=row,
        details={"veto": code, "on": on, "note": notes.get(code)},
    )


def _sheet_content(row: ExaminerSheet, examiner: User) -> dict[str, Any]:
    return {
        "ticket": row.ticket.number,
        "examiner": examiner.username,
        "version": row.version,
        "sheet": row.sheet,
        "sheet_version": row.sheet_version,
        "sheet_hash": row.sheet_hash,
        "entries": row.entries,
        "vetoes": row.vetoes,
        "veto_notes": row.veto_notes,
        "score": row.score,
        "reason": row.reason,
        "signed_at": row.signed_at.isoformat() if row.signed_at else None,
    }


def sign_sheet(
    actor: Actor, examiner: User, row: ExaminerSheet, now: datetime, settings: Settings
) -> PracticalResult | None:
    """Sign a complete draft (it never changes again); then settle the result if both
    examiners have signed. Returns the new result, if one was made."""
    _draft(row, examiner)
    sheet = _sheet_of(row)
    score = _rescore(row, sheet)
    if not score.complete:
        raise PracticalError(
            "sheet",
            _l("Score every task before signing: %(missing)s.", missing=", ".join(score.missing)),
        )
    # Every signed field is set in one UPDATE: once the row is signed, the trigger refuses
    # any further change (so nothing may be flushed in between).
    with db.session.no_autoflush:
        row.signed_at = now
        digest = hashlib.sha256(_canonical(_sheet_content(row, examiner))).hexdigest()
        row.content_sha256 = digest
        row.status = "signed"
    record(
        actor,
        "examiner_sheet.sign",
        obj=row,
        details={"ticket": row.ticket.number, "version": row.version,
                 "total": row.score["score"], "sha256": row.content_sha256},
    )  # fmt: skip
    db.session.flush()
    return settle(actor, row.ticket, now, settings)


def amend_sheet(actor: Actor, examiner: User, row: ExaminerSheet, reason: str) -> ExaminerSheet:
    """A new draft version of a signed sheet (the signed one stays as it is), with a reason."""
    if row.examiner_id != examiner.id:
        raise PracticalError("sheet", _l("This is another examiner's sheet."))
    if not row.signed:
        raise PracticalError("sheet", _l("Only a signed sheet is amended; edit the draft instead."))
    if not (reason or "").strip():
        raise PracticalError("reason", _l("Give a reason for the amendment."))
    newest = sheets_of(row.ticket, examiner)[-1]
    if newest.id != row.id:
        raise PracticalError("sheet", _l("Amend the newest version of the sheet."))
    amended = ExaminerSheet(
        centre_id=row.centre_id,
        ticket_id=row.ticket_id,
        examiner_id=row.examiner_id,
        version=row.version + 1,
        status="draft",
        sheet=row.sheet,
        sheet_version=row.sheet_version,
        sheet_hash=row.sheet_hash,
        entries=dict(row.entries),
        vetoes=list(row.vetoes),
        veto_notes=dict(row.veto_notes),
        score=row.score,
        total=row.total,
        simulator_run_id=row.simulator_run_id,
        reason=reason.strip(),
    )
    db.session.add(amended)
    record(
        actor,
        "examiner_sheet.amend",
        obj=amended,
        reason=reason.strip(),
        details={"ticket": row.ticket.number, "from_version": row.version},
    )
    return amended


def visible_sheets(examiner: User, ticket: AdmissionTicket) -> list[ExaminerSheet]:
    """What this examiner may see: their own sheets, and the others' once their own newest
    sheet is signed and the other's too (independent scoring)."""
    newest = newest_sheets(ticket)
    mine = newest.get(examiner.id)
    if mine is None or not mine.signed:
        return sheets_of(ticket, examiner)
    return [
        s for s in sheets_of(ticket) if s.examiner_id == examiner.id or newest[s.examiner_id].signed
    ]


# --- Reconciliation and results -----------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where a ticket's scoring stands: the two newest signed sheets (when there are), the
    reconciliation, and the newest stored result."""

    sheets: tuple[ExaminerSheet, ...]
    reconciliation: pure.Reconciliation | None
    result: PracticalResult | None
    waiting_for: tuple[str, ...] = ()


def newest_result(ticket: AdmissionTicket) -> PracticalResult | None:
    return db.session.scalar(
        select(PracticalResult)
        .where(PracticalResult.ticket_id == ticket.id)
        .order_by(PracticalResult.version.desc())
        .limit(1)
    )


def _sheet_score(row: ExaminerSheet, sheet: Sheet) -> SheetScore:
    return score_sheet(sheet, row.entries, row.vetoes)


def standing(ticket: AdmissionTicket, settings: Settings) -> Standing:
    newest = newest_sheets(ticket)
    result = newest_result(ticket)
    waiting = tuple(s.examiner.display_name for s in newest.values() if not s.signed)
    signed = [s for s in newest.values() if s.signed]
    if len(signed) < pure.MIN_PRACTICAL_EXAMINERS or waiting:
        return Standing(tuple(signed), None, result, waiting)
    first, second = signed[:2]
    sheet = _sheet_of(first)
    reconciliation = pure.reconcile_sheets(
        _sheet_score(first, sheet),
        _sheet_score(second, sheet),
        threshold=settings.threshold,
        policy=settings.policy,
    )
    return Standing((first, second), reconciliation, result, ())


def _rests_on(result: PracticalResult | None, sheets: tuple[ExaminerSheet, ...]) -> bool:
    return result is not None and sorted(s["id"] for s in result.sheets) == sorted(
        s.id for s in sheets
    )


def settle(
    actor: Actor, ticket: AdmissionTicket, now: datetime, settings: Settings
) -> PracticalResult | None:
    """Store the result when the two newest signed sheets agree (and it is not stored yet)."""
    state = standing(ticket, settings)
    if state.reconciliation is None or _rests_on(state.result, state.sheets):
        return None
    if state.reconciliation.status != pure.ReconcileStatus.AGREED:
        record(
            actor,
            "practical_result.needs_lead",
            obj=ticket,
            details={"why": state.reconciliation.why,
                     "difference": json_number(state.reconciliation.difference)},
        )  # fmt: skip
        return None
    return _store_result(actor, ticket, state.sheets, state.reconciliation, now)


def decide(
    actor: Actor,
    lead: User,
    ticket: AdmissionTicket,
    *,
    score: Any,
    reason: str,
    vetoes: list[str],
    now: datetime,
    settings: Settings,
) -> PracticalResult:
    """The session's lead examiner decides a disagreement, with a reason."""
    if not is_lead(lead, ticket.session):
        raise PracticalError("score", _l("Only the session's lead examiner reconciles."))
    state = standing(ticket, settings)
    if (
        state.reconciliation is None
        or state.reconciliation.status != pure.ReconcileStatus.NEEDS_LEAD
    ):
        raise PracticalError(
            "score", _l("There is no disagreement to reconcile for this candidate.")
        )
    if _rests_on(state.result, state.sheets):
        raise PracticalError("score", _l("The result is already decided."))
    try:
        decided = pure.decide_by_lead(
            state.reconciliation, score=score, reason=reason, lead=lead.display_name, vetoes=vetoes
        )
    except ValueError as error:
        raise PracticalError("score", str(error)) from None
    return _store_result(actor, ticket, state.sheets, decided, now)


def sitting_number(ticket: AdmissionTicket) -> int:
    """1 for the candidate's first practical sitting of the item, 2 for the retake, ..."""
    session = ticket.session
    earlier = db.session.scalar(
        select(func.count())
        .select_from(AdmissionTicket)
        .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
        .where(
            AdmissionTicket.candidate_id == ticket.candidate_id,
            AdmissionTicket.item == ticket.item,
            ExamSession.kind == "practical",
            ExamSession.state != "cancelled",
            ExamSession.starts_at < session.starts_at,
        )
    )
    return (earlier or 0) + 1


def _store_result(
    actor: Actor,
    ticket: AdmissionTicket,
    sheets: tuple[ExaminerSheet, ...],
    decided: pure.Reconciliation,
    now: datetime,
) -> PracticalResult:
    assert decided.score is not None
    previous = newest_result(ticket)
    first = sheets[0]
    pass_mark = decided.pass_mark if decided.pass_mark is not None else pure.DEFAULT_PASS_MARK
    passed = not decided.vetoes and decided.score >= pass_mark
    mode = "simulator" if any(s.simulator_run_id for s in sheets) else "real"
    examiners = [{"username": s.examiner.username, "name": s.examiner.display_name} for s in sheets]
    sheet_refs = [
        {"id": s.id, "version": s.version, "examiner": s.examiner.username,
         "total": s.score["score"], "sha256": s.content_sha256}
        for s in sheets
    ]  # fmt: skip
    document = {
        "ticket": ticket.number,
        "version": (previous.version + 1) if previous else 1,
        "mode": mode,
        "sitting": sitting_number(ticket),
        "sat_on": ticket.session.starts_at.date().isoformat(),
        "score": str(decided.score),
        "pass_mark": str(pass_mark),
        "passed": passed,
        "vetoes": list(decided.vetoes),
        "status": str(decided.status),
        "policy": decided.policy,
        "threshold": str(decided.threshold),
        "reason": decided.reason,
        "lead": decided.lead,
        "examiners": examiners,
        "sheets": sheet_refs,
        "sheet": f"{first.sheet} v{first.sheet_version}",
        "sheet_hash": first.sheet_hash,
    }
    digest = hashlib.sha256(_canonical(document)).hexdigest()
    result = PracticalResult(
        centre_id=ticket.centre_id,
        ticket_id=ticket.id,
        version=document["version"],
        mode=mode,
        sitting=document["sitting"],
        sat_on=ticket.session.starts_at.date(),
        score=float(decided.score),
        score_text=str(json_number(decided.score)),
        pass_mark=float(pass_mark),
        passed=passed,
        vetoes=list(decided.vetoes),
        status=str(decided.status),
        policy=decided.policy,
        threshold=float(decided.threshold),
        reason=decided.reason,
        lead=decided.lead,
        examiners=examiners,
        sheets=sheet_refs,
        sheet=first.sheet,
        sheet_version=first.sheet_version,
        sheet_hash=first.sheet_hash,
        simulator_run_id=next((s.simulator_run_id for s in sheets if s.simulator_run_id), None),
        content_sha256=digest,
        created_at=now,
        created_by=actor.label,
    )
    db.session.add(result)
    record(
        actor,
        "practical_result.store",
        obj=result,
        reason=decided.reason,
        details={"ticket": ticket.number, "version": result.version, "score": result.score_text,
                 "passed": passed, "mode": mode, "status": result.status, "sha256": digest},
    )  # fmt: skip
    return result


# --- A candidate's history ----------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    """One sitting of one subject, for the candidate's record page."""

    subject: str
    on: date
    sitting: int
    mode: str
    score: str | None
    passed: bool | None
    examiners: tuple[str, ...]
    session: ExamSession
    ticket: AdmissionTicket
    absent: bool
    pending: bool
    result_version: int | None = None


def candidate_history(
    candidate: Candidate, item: str, settings: Settings
) -> tuple[list[HistoryRow], pure.CombinedResult | None]:
    """Every sitting of ``item`` (theory and practical, sitting numbers per subject) and the
    combined result (``results.combined_result``) of those with a result."""
    rows = db.session.execute(
        select(AdmissionTicket, ExamSession)
        .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
        .where(
            AdmissionTicket.candidate_id == candidate.id,
            AdmissionTicket.item == item,
            ExamSession.state != "cancelled",
        )
        .order_by(ExamSession.starts_at)
    ).all()
    history: list[HistoryRow] = []
    subject_results: list[pure.SubjectResult] = []
    counters = {"theory": 0, "practical": 0}
    for ticket, session in rows:
        subject = "practical" if session.is_practical else "theory"
        day = session.starts_at.date()
        absent = ticket.attendance == "absent"
        score_text, passed, mode, examiners, version = None, None, "", (), None
        keys: tuple[str, ...] = ()  # who examined, as the pure rules tell them apart
        if subject == "theory":
            mode = "computer"
            examiners = tuple(u.display_name for u in session.invigilators)
            newest = db.session.scalar(
                select(AttemptResult)
                .join(Attempt, Attempt.id == AttemptResult.attempt_id)
                .where(Attempt.ticket_id == ticket.id)
                .order_by(AttemptResult.version.desc())
                .limit(1)
            )
            if newest is not None:
                score_text, passed, version = str(newest.score), newest.passed, newest.version
        else:
            mode = "crane"
            result = newest_result(ticket)
            if result is not None:
                score_text, passed, version = result.score_text, result.passed, result.version
                mode = "crane" if result.mode == "real" else "simulator"
                examiners = tuple(e["name"] for e in result.examiners)
                keys = tuple(e["username"] for e in result.examiners)
            else:
                examiners = tuple(u.display_name for u in session.examiners)
        has_result = absent or score_text is not None
        if has_result or session.state == "closed":
            counters[subject] += 1
        sitting = counters[subject] if has_result or session.state == "closed" else 0
        history.append(
            HistoryRow(subject, day, sitting, mode, score_text, passed, examiners, session,
                       ticket, absent, not has_result, version)
        )  # fmt: skip
        if has_result:
            vetoes: tuple[str, ...] = ()
            if subject == "practical" and not absent and passed is False:
                result = newest_result(ticket)
                vetoes = tuple(result.vetoes) if result is not None else ()
            subject_results.append(
                pure.SubjectResult(
                    subject=subject,
                    on=day,
                    sitting=counters[subject],
                    mode=mode,
                    score=None if absent else Decimal(score_text),
                    examiners=keys if subject == "practical" and not absent else (),
                    absent=absent,
                    vetoes=vetoes,
                )
            )
    try:
        rules = pure.RetakeRules(window_days=settings.window_days)
        combined = pure.combined_result(subject_results, rules) if subject_results else None
    except ValueError:
        combined = None  # two sittings of a subject on one day: shown, not combined
    return history, combined


__all__ = [
    "PracticalError",
    "Settings",
    "amend_sheet",
    "candidate_history",
    "conflicts_of",
    "decide",
    "declare_conflict",
    "newest_result",
    "save_task",
    "set_veto",
    "settle",
    "sign_sheet",
    "standing",
    "start_sheet",
    "visible_sheets",
]

sheet_of = _sheet_of  # the loaded sheet version a stored sheet row was scored on
_ = EntryError  # re-exported for the edges: a bad entry raises it


# --- Printable documents ------------------------------------------------------------------------


def _sheet_data(row: ExaminerSheet, sheet: Sheet, timezone: str):
    from zoneinfo import ZoneInfo

    from .pdf import ExaminerSheetData

    scored = {t["task"]: t for t in (row.score or {}).get("tasks", [])}
    tasks = []
    for task in sheet.tasks:
        done = scored.get(task.code)
        deductions = []
        if done is not None:
            for d in done["deductions"]:
                label = _deduction_label(task, d["code"])
                deductions.append((label, d["units"], str(d["amount"])))
        tasks.append((f"{task.zh} {task.en}", str(json_number(task.points)),
                      str(done["earned"]) if done else "—", deductions))  # fmt: skip
    vetoes = [(f"{sheet.veto(c).zh} {sheet.veto(c).en}" if sheet.veto(c) else c,
               row.veto_notes.get(c, "")) for c in row.vetoes]  # fmt: skip
    return ExaminerSheetData(
        examiner=row.examiner.display_name,
        version=row.version,
        status=row.status,
        total=str((row.score or {}).get("score", "—")),
        signed_at=(
            f"{row.signed_at.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} ({timezone})"
            if row.signed_at
            else None
        ),
        sha256=row.content_sha256,
        tasks=tasks,
        vetoes=vetoes,
        reason=row.reason,
    )


def _deduction_label(task: Any, code: str) -> str:
    """A deduction's reason in both languages (``counter.bump`` -> 碰杆 Pole bumped)."""
    kind, _sep, name = code.partition(".")
    thing = None
    if kind == "counter":
        thing = task.counter(name)
    elif kind == "severe":
        thing = task.severe_event(name)
    elif kind == "zone":
        thing = task.zone(name)
    elif kind == "item":
        thing = task.item(name)
    elif kind == "draw":
        thing = task.pool_item(name)
    if thing is not None:
        return f"{thing.zh} {thing.en}"
    return {"time.over": "超时 over time", "time.max": "超过最长时间 over the maximum"}.get(
        code, code
    )


def score_sheet_data(ticket: AdmissionTicket, centre_name: str, timezone: str):
    """What a candidate's score-sheet PDF prints: every examiner's newest sheet (drafts shown
    as drafts), the result, and the names for the signature lines."""
    from zoneinfo import ZoneInfo

    from ..sessions.tickets_pdf import mask_id_number
    from .pdf import ScoreSheetData
    from .sheets import content_hash

    session = ticket.session
    sheet = sheet_for_item(ticket.item)
    rows = list(newest_sheets(ticket).values())
    if rows:
        sheet = _sheet_of(rows[0])
    result = newest_result(ticket)
    from ..sessions.operations import lead_of

    lead = lead_of(session)
    starts = session.starts_at.astimezone(ZoneInfo(timezone))
    return ScoreSheetData(
        centre=centre_name,
        sheet_title=f"{sheet.zh} / {sheet.en}",
        sheet_label=sheet.label,
        sheet_hash=content_hash(sheet),
        item=ticket.item,
        session=f"{starts:%Y-%m-%d %H:%M} {session.room}",
        equipment=session.equipment or "—",
        candidate=ticket.candidate.name,
        ticket=ticket.number,
        masked_id=mask_id_number(ticket.candidate.id_number),
        sheets=[_sheet_data(r, sheet, timezone) for r in rows],
        result=None
        if result is None
        else {
            "score": result.score_text,
            "passed": result.passed,
            "mode": result.mode,
            "sitting": str(result.sitting),
            "status": result.status,
            "reason": result.reason or "",
            "sha256": result.content_sha256,
        },
        lead=lead.display_name if lead else None,
        examiners=[r.examiner.display_name for r in rows]
        or [u.display_name for u in session.examiners],
    )


def roster_data(session: ExamSession, centre_name: str, timezone: str):
    from zoneinfo import ZoneInfo

    from ..sessions.operations import lead_of, tickets_of
    from ..sessions.tickets_pdf import mask_id_number
    from .pdf import RosterData, RosterRow

    attendance = {"enrolled": "已报名 enrolled", "checked_in": "已签到 checked in",
                  "absent": "缺考 absent"}  # fmt: skip
    rows = []
    for ticket in tickets_of(session):
        sheets = newest_sheets(ticket).values()
        totals = " / ".join(
            f"{s.examiner.display_name} {(s.score or {}).get('score', '—')}"
            + ("" if s.signed else " (草稿 draft)")
            for s in sheets
        )
        result = newest_result(ticket)
        verdict = "—"
        if ticket.attendance == "absent":
            verdict = "缺考 absent"
        elif result is not None:
            verdict = "合格 passed" if result.passed else "不合格 failed"
        rows.append(
            RosterRow(ticket.number, ticket.candidate.name,
                      mask_id_number(ticket.candidate.id_number),
                      attendance.get(ticket.attendance, ticket.attendance), totals or "—",
                      result.score_text if result else "—", verdict)
        )  # fmt: skip
    lead = lead_of(session)
    starts = session.starts_at.astimezone(ZoneInfo(timezone))
    return RosterData(
        centre=centre_name,
        item=session.item,
        session=f"{starts:%Y-%m-%d %H:%M} {session.room}",
        equipment=session.equipment or "—",
        examiners=[u.display_name for u in session.examiners],
        lead=lead.display_name if lead else None,
        rows=rows,
    )
