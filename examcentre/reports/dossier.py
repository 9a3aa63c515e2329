"""Query (查询) and the candidate dossier (建档存档): reads of the operations layer.

- ``find_candidates``: by resident ID number, name, ticket number or application number.
- ``verify_attempt``: re-check one attempt's sealed archive (canonical bytes, SHA-256, and
  the digest the audit chain recorded at submission), as ``examcentre archive verify`` does
  for all of them.
- ``dossier``: everything about one candidate as plain values (``dossier_pdf`` prints it):
  the application, every sitting, each theory paper and its answers **taken from the
  verified archive** (a paper whose archive fails verification is shown as failing, never
  silently), the result versions, simulator runs that counted, the practical sittings'
  signed examiners' sheets (every version) with the practical result versions, and the
  audit trail.

Works on a centre's install, whose tables hold the archives. An authority hub holds the
results batches, not the archives (see ARCHITECTURE.md "Data transmission").
"""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from ..exams import archive
from ..exams.grading import displayed_to_original
from ..extensions import db
from ..idnumber import normalise as normalise_id
from ..models import (
    AdmissionTicket,
    Application,
    Attempt,
    AttemptArchive,
    AttemptResult,
    AuditEntry,
    Candidate,
    ExaminerSheet,
    ExamSession,
    PracticalResult,
    QuestionVersion,
    SimulatorRun,
)

LIMIT = 50


def find_candidates(text: str) -> list[Candidate]:
    """Candidates whose ID number, ticket number or application number is ``text``
    (exactly), or whose name contains it. At most ``LIMIT``, by centre and name."""
    text = text.strip()[:100]
    if not text:
        return []
    id_number = normalise_id(text)
    tickets = select(AdmissionTicket.candidate_id).where(
        or_(AdmissionTicket.number == text, AdmissionTicket.application_no == text)
    )
    return list(
        db.session.scalars(
            select(Candidate)
            .where(
                or_(
                    Candidate.id_number == id_number,
                    Candidate.name.contains(text, autoescape=True),
                    Candidate.id.in_(tickets),
                )
            )
            .order_by(Candidate.centre_id, Candidate.name, Candidate.id)
            .limit(LIMIT)
        )
    )


@dataclass(frozen=True, slots=True)
class Verification:
    attempt_id: int
    ok: bool
    sha256: str | None
    reasons: tuple[str, ...]


def verify_attempt(attempt: Attempt) -> Verification:
    """Re-check one submitted attempt's archive: its bytes, its digest and the digest the
    audit chain recorded at submission."""
    sealed = db.session.scalar(
        select(AttemptArchive).where(AttemptArchive.attempt_id == attempt.id)
    )
    if sealed is None:
        return Verification(attempt.id, False, None, ("the attempt has no archive",))
    check = archive.check(sealed.sha256, sealed.document.encode("utf-8"))
    reasons = list(check.reasons)
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "attempt.submit", AuditEntry.object_id == str(attempt.id)
        )
    )
    audited = json.loads(entry.details or "{}").get("archive_sha256") if entry else None
    if audited != sealed.sha256:
        reasons.append(
            "the stored SHA-256 differs from the one the audit log recorded at submission"
        )
    return Verification(attempt.id, not reasons, sealed.sha256, tuple(reasons))


def _paper_from_archive(sealed: AttemptArchive) -> list[dict]:
    """Each question of the archived paper with the candidate's final answer, in the
    bank's original letters; the question's text is shown only when the bank still holds
    the version with the archived content hash."""
    document = archive.load(sealed.document.encode("utf-8"))
    marks = {m["position"]: m for m in document["result"]["marks"]}
    ids = [q["question_version"] for q in document["paper"]["questions"]]
    versions = {
        v.id: v
        for v in db.session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids)))
    }
    out = []
    for q in document["paper"]["questions"]:
        version = versions.get(q["question_version"])
        mark = marks.get(q["position"], {})
        response = mark.get("response")
        if response and q["type"] != "true_false":
            with suppress(ValueError):  # an unreadable response is shown as given
                response = displayed_to_original(response, q["option_order"])
        same = version is not None and version.content_hash == q["content_sha256"]
        out.append(
            {
                "position": q["position"],
                "type": q["type"],
                "stem": version.stem_zh if same else None,
                "key": version.answer if same else None,
                "answer": response,
                "correct": bool(mark.get("correct")),
                "earned": mark.get("earned"),
            }
        )
    return out


def _practical(ticket: AdmissionTicket) -> dict | None:
    """The practical sitting's record: every SIGNED sheet version of each examiner (a draft
    is work in progress, not yet the examiner's word) and every result version. None when
    the ticket has neither (a theory sitting, or a practical not yet scored)."""
    sheets = db.session.scalars(
        select(ExaminerSheet)
        .where(ExaminerSheet.ticket_id == ticket.id, ExaminerSheet.status == "signed")
        .order_by(ExaminerSheet.signed_at, ExaminerSheet.id)
    ).all()
    results = db.session.scalars(
        select(PracticalResult)
        .where(PracticalResult.ticket_id == ticket.id)
        .order_by(PracticalResult.version)
    ).all()
    if not sheets and not results:
        return None
    return {
        "sheets": [
            {
                "id": row.id,
                "examiner": row.examiner.display_name,
                "version": row.version,
                "sheet": f"{row.sheet} v{row.sheet_version}",
                "total": row.total,
                "vetoes": [
                    {"code": code, "note": (row.veto_notes or {}).get(code)}
                    for code in row.vetoes or []
                ],
                "signed_at": row.signed_at,
                "reason": row.reason,
                "simulator": row.simulator_run_id is not None,
                "sha256": row.content_sha256,
            }
            for row in sheets
        ],
        "results": [
            {
                "id": r.id,
                "version": r.version,
                "mode": r.mode,
                "sitting": r.sitting,
                "score": r.score_text,
                "passed": r.passed,
                "status": r.status,
                "vetoes": list(r.vetoes or []),
                "reason": r.reason,
                "lead": r.lead,
                "examiners": [e.get("name") or e.get("username") for e in r.examiners],
                "created_at": r.created_at,
                "sha256": r.content_sha256,
            }
            for r in results
        ],
    }


def dossier(candidate: Candidate) -> dict:
    """The candidate's file as plain values."""
    tickets = db.session.scalars(
        select(AdmissionTicket)
        .where(AdmissionTicket.candidate_id == candidate.id)
        .order_by(AdmissionTicket.issued_at, AdmissionTicket.id)
    ).all()
    sittings = []
    attempt_ids = []
    for ticket in tickets:
        session = db.session.get(ExamSession, ticket.session_id) if ticket.session_id else None
        attempt = db.session.scalar(select(Attempt).where(Attempt.ticket_id == ticket.id))
        entry = {
            "ticket": ticket.number,
            "application_no": ticket.application_no,
            "item": ticket.item,
            "session": None
            if session is None
            else {"id": session.id, "starts_at": session.starts_at, "room": session.room},
            "attendance": ticket.attendance,
            "theory": None,
            "practical": _practical(ticket),
            "simulator": [
                {
                    "scenario": run.scenario_id,
                    "total": run.total,
                    "passed": (run.score or {}).get("passed"),
                    "ended_at": run.ended_at,
                }
                for run in db.session.scalars(
                    select(SimulatorRun)
                    .where(SimulatorRun.ticket_id == ticket.id, SimulatorRun.mode == "exam")
                    .order_by(SimulatorRun.id)
                )
            ],
        }
        if attempt is not None:
            attempt_ids.append(attempt.id)
            results = db.session.scalars(
                select(AttemptResult)
                .where(AttemptResult.attempt_id == attempt.id)
                .order_by(AttemptResult.version)
            ).all()
            theory = {
                "attempt_id": attempt.id,
                "state": attempt.state,
                "submitted_at": attempt.submitted_at,
                "results": [
                    {
                        "version": r.version,
                        "score": r.score,
                        "earned": r.earned,
                        "total": r.total,
                        "passed": r.passed,
                        "reason": r.reason,
                        "created_at": r.created_at,
                    }
                    for r in results
                ],
                "verification": None,
                "paper": [],
            }
            if attempt.state == "submitted":
                verification = verify_attempt(attempt)
                theory["verification"] = verification
                if verification.ok:
                    sealed = db.session.scalar(
                        select(AttemptArchive).where(AttemptArchive.attempt_id == attempt.id)
                    )
                    theory["paper"] = _paper_from_archive(sealed)
            entry["theory"] = theory
        sittings.append(entry)
    ticket_ids = [str(t.id) for t in tickets]
    # The applications (受理审查) the candidate made at this centre, with the review decision.
    applications = db.session.scalars(
        select(Application)
        .where(
            Application.centre_id == candidate.centre_id,
            Application.id_number == candidate.id_number,
        )
        .order_by(Application.created_at, Application.id)
    ).all()
    # Every sheet version (drafts included: their edits are audited) and result of the
    # candidate's tickets.
    sheet_ids = db.session.scalars(
        select(ExaminerSheet.id).where(ExaminerSheet.ticket_id.in_([t.id for t in tickets]))
    ).all()
    result_ids = db.session.scalars(
        select(PracticalResult.id).where(PracticalResult.ticket_id.in_([t.id for t in tickets]))
    ).all()
    trail = db.session.scalars(
        select(AuditEntry)
        .where(
            or_(
                and_(
                    AuditEntry.object_type == "candidates",
                    AuditEntry.object_id == str(candidate.id),
                ),
                and_(
                    AuditEntry.object_type == "admission_tickets",
                    AuditEntry.object_id.in_(ticket_ids),
                ),
                and_(
                    AuditEntry.object_type == "attempts",
                    AuditEntry.object_id.in_([str(a) for a in attempt_ids]),
                ),
                and_(
                    AuditEntry.object_type == "examiner_sheets",
                    AuditEntry.object_id.in_([str(i) for i in sheet_ids]),
                ),
                and_(
                    AuditEntry.object_type == "practical_results",
                    AuditEntry.object_id.in_([str(i) for i in result_ids]),
                ),
                and_(
                    AuditEntry.object_type == "applications",
                    AuditEntry.object_id.in_([str(a.id) for a in applications]),
                ),
            )
        )
        .order_by(AuditEntry.seq)
    ).all()
    return {
        "candidate": {
            "id": candidate.id,
            "name": candidate.name,
            "id_number": candidate.id_number,
            "gender": candidate.gender,
            "birth_date": candidate.birth_date,
            "employer": candidate.employer,
            "centre": candidate.centre.code,
            "registered_at": candidate.created_at,
        },
        "applications": [
            {
                "number": a.number,
                "item": a.item,
                "applied_by": a.applied_by,
                "employer": a.employer,
                "education": a.education,
                "health_declared": a.health_declared,
                "training_provider": a.training_provider,
                "training_hours": a.training_hours,
                "state": a.state,
                "decision_reason": a.decision_reason,
                "decided_by": a.decided_by,
                "decided_at": a.decided_at,
                "received_at": a.created_at,
                "documents": len(a.documents),
            }
            for a in applications
        ],
        "sittings": sittings,
        "audit": [
            {
                "id": e.id,
                "seq": e.seq,
                "at": e.at,
                "action": e.action,
                "actor": e.actor_label,
                "reason": e.reason,
            }
            for e in trail
        ],
    }


# -- on an authority hub: the received batches -------------------------------------------------


def find_hub_sittings(text: str) -> list:
    """Sittings received in batches whose ID number, ticket or application number is
    ``text``, or whose name contains it (newest first; superseded batches included, marked)."""
    from ..models import HubBatch, HubSitting

    text = text.strip()[:100]
    if not text:
        return []
    return list(
        db.session.execute(
            select(HubSitting, HubBatch.current)
            .join(HubBatch, HubBatch.id == HubSitting.hub_batch_id)
            .where(
                or_(
                    HubSitting.id_number == normalise_id(text),
                    HubSitting.ticket == text,
                    HubSitting.application_no == text,
                    HubSitting.name.contains(text, autoescape=True),
                )
            )
            .order_by(HubSitting.starts_at.desc(), HubSitting.id.desc())
            .limit(LIMIT)
        ).all()
    )


def verify_hub_sitting(sitting) -> Verification:
    """Re-check a received sitting: the batch's signature against the centre's registered
    key, and the stored rows (candidate and every subject result) against what the centre
    signed. A row changed in the hub's database after ingest is found here."""
    import base64

    from ..models import HubBatch, HubCentre, HubSubjectResult
    from ..transmission import batch as fmt
    from ..transmission import signing
    from ..transmission.outcome import sitting_outcome

    batch = db.session.get(HubBatch, sitting.hub_batch_id)
    centre = db.session.get(HubCentre, batch.hub_centre_id)
    reasons = []
    if batch.key_fingerprint != centre.key_fingerprint:
        reasons.append("the batch was signed with a key that is no longer the centre's")
    signed = batch.document.encode("utf-8")
    key = signing.load_public_key(centre.public_key)
    if not signing.verify(key, base64.b64decode(batch.signature), signed):
        reasons.append("the stored batch no longer matches its signature")
        return Verification(sitting.id, False, batch.content_sha256, tuple(reasons))
    parsed = fmt.parse_batch(json.loads(signed), "$.batch")
    row = next(
        (
            s
            for s in parsed.sittings
            if s.ticket == sitting.ticket and s.session_id == sitting.session_ref
        ),
        None,
    )
    if row is None:
        reasons.append("the signed batch holds no such sitting")
        return Verification(sitting.id, False, batch.content_sha256, tuple(reasons))
    for name in ("id_number", "name", "attendance", "item", "application_no"):
        if getattr(row, name) != getattr(sitting, name):
            reasons.append(f"{name} differs from what the centre signed")
    stored = db.session.scalars(
        select(HubSubjectResult)
        .where(HubSubjectResult.sitting_id == sitting.id)
        .order_by(HubSubjectResult.id)
    ).all()
    signed_results = sorted(
        (r.subject, r.score, r.total, r.passed, r.archive_sha256) for r in row.results
    )
    held = sorted((r.subject, r.score, r.total, r.passed, r.archive_sha256) for r in stored)
    if signed_results != held:
        reasons.append("the stored results differ from what the centre signed")
    # The flags the overall pass rate reads (kept at ingest, transmission/outcome.py).
    kept = (
        sitting.theory_decided,
        sitting.theory_passed,
        sitting.practical_decided,
        sitting.practical_passed,
    )
    if tuple(sitting_outcome(row.results)) != kept:
        reasons.append("the outcome kept for the pass rates differs from what the centre signed")
    return Verification(sitting.id, not reasons, batch.content_sha256, tuple(reasons))
