"""Summary figures by SQL aggregation (read-only; the operations layer's reads).

One query layer, two sources with the same columns:

- **local** (a centre's install): admission tickets, sessions, the newest theory result
  version of each attempt, the newest practical result version of each ticket (the two
  examiners' reconciled result, mode real or simulator), and simulator runs that counted as
  the exam but have no practical result yet (a run the examiners' sheets started from is
  counted once, through its practical result);
- **hub** (an authority-hub install): ``hub_sittings`` and ``hub_subject_results`` of
  *current* batches only (a re-scored session's older batch is not counted twice).

``sittings(source)`` has: sitting_key, centre, session_ref, item, starts_at, id_number,
attendance, and ``seq`` (1 for a candidate's first sitting of the item, so > 1 is a retake,
counted over all sittings before the period too). ``results(source)`` has: sitting_key,
centre, item, starts_at, subject (theory / practical / simulator), score (0-100), passed.

Theory and practical are separate sessions (separate tickets), so the overall pass rate
pairs them by candidate (ID number) and item within the period, not by sitting. It needs
four facts of each sitting (a decided / passed theory result, a decided / passed practical
or simulator result): the local source groups its results for them; the hub keeps them on
``hub_sittings`` at ingest (``transmission.outcome``, like ``seq``), so its overall figures
read that one table instead of joining a million subject results to their sittings.

Everything is grouped in the database (GROUP BY, CASE sums): the rows never come to Python,
so a period over a million results costs one pass of the database.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, and_, case, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import (
    AdmissionTicket,
    Attempt,
    AttemptEvent,
    AttemptResult,
    AuditEntry,
    Blueprint,
    Candidate,
    Centre,
    ExaminerSheet,
    ExamSession,
    HubBatch,
    HubSitting,
    HubSubjectResult,
    Paper,
    PracticalResult,
    SimulatorRun,
    User,
    session_invigilators,
)

LOCAL, HUB = "local", "hub"
PRACTICAL_SUBJECTS = ("practical", "simulator")
BINS = 10


def _local_sittings(centre_id: int | None):
    statement = (
        select(
            AdmissionTicket.id.label("sitting_key"),
            Centre.code.label("centre"),
            ExamSession.id.label("session_ref"),
            ExamSession.item.label("item"),
            ExamSession.starts_at.label("starts_at"),
            Candidate.id_number.label("id_number"),
            AdmissionTicket.attendance.label("attendance"),
        )
        .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
        .join(Candidate, Candidate.id == AdmissionTicket.candidate_id)
        .join(Centre, Centre.id == AdmissionTicket.centre_id)
        .where(ExamSession.state != "cancelled", AdmissionTicket.revoked_at.is_(None))
    )
    if centre_id is not None:
        statement = statement.where(AdmissionTicket.centre_id == centre_id)
    return statement


def _hub_sittings(centre_code: str | None):
    statement = (
        select(
            HubSitting.id.label("sitting_key"),
            HubSitting.centre_code.label("centre"),
            HubSitting.session_ref.label("session_ref"),
            HubSitting.item.label("item"),
            HubSitting.starts_at.label("starts_at"),
            HubSitting.id_number.label("id_number"),
            HubSitting.attendance.label("attendance"),
        )
        .join(HubBatch, HubBatch.id == HubSitting.hub_batch_id)
        .where(HubBatch.current.is_(True))
    )
    if centre_code is not None:
        statement = statement.where(HubSitting.centre_code == centre_code)
    return statement


def sittings(source: str, centre: int | str | None = None):
    """Every sitting of the source (a centre id for local, a centre code for hub), with its
    ``seq`` among the candidate's sittings of the same item."""
    if source == HUB and centre is None:
        # Every centre: the hub keeps the same numbering at ingest (hub_sittings.seq,
        # transmission.sequence), so no window over every sitting ever received. (One centre
        # keeps the window: its retakes count that centre's sittings only, as before.)
        return _hub_sittings(None).add_columns(HubSitting.seq.label("seq")).subquery("sittings")
    base = (_local_sittings(centre) if source == LOCAL else _hub_sittings(centre)).subquery()
    seq = (
        func.row_number()
        .over(
            partition_by=(base.c.id_number, base.c.item),
            order_by=(base.c.starts_at, base.c.sitting_key),
        )
        .label("seq")
    )
    return select(*base.c, seq).subquery("sittings")


def _newest_versions():
    return (
        select(AttemptResult.attempt_id, func.max(AttemptResult.version).label("version"))
        .group_by(AttemptResult.attempt_id)
        .subquery()
    )


def _local_results(centre_id: int | None):
    newest = _newest_versions()
    theory = (
        select(
            Attempt.ticket_id.label("sitting_key"),
            Centre.code.label("centre"),
            ExamSession.item.label("item"),
            ExamSession.starts_at.label("starts_at"),
            literal("theory").label("subject"),
            AttemptResult.score.label("score"),
            AttemptResult.passed.label("passed"),
        )
        .join(newest, newest.c.attempt_id == Attempt.id)
        .join(
            AttemptResult,
            and_(AttemptResult.attempt_id == Attempt.id, AttemptResult.version == newest.c.version),
        )
        .join(ExamSession, ExamSession.id == Attempt.session_id)
        .join(Centre, Centre.id == Attempt.centre_id)
        .where(Attempt.state == "submitted")
    )
    newest_practical = (
        select(PracticalResult.ticket_id, func.max(PracticalResult.version).label("version"))
        .group_by(PracticalResult.ticket_id)
        .subquery()
    )
    practical = (
        select(
            PracticalResult.ticket_id.label("sitting_key"),
            Centre.code.label("centre"),
            ExamSession.item.label("item"),
            ExamSession.starts_at.label("starts_at"),
            literal("practical").label("subject"),
            PracticalResult.score.label("score"),
            PracticalResult.passed.label("passed"),
        )
        .join(
            newest_practical,
            and_(
                newest_practical.c.ticket_id == PracticalResult.ticket_id,
                newest_practical.c.version == PracticalResult.version,
            ),
        )
        .join(AdmissionTicket, AdmissionTicket.id == PracticalResult.ticket_id)
        .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
        .join(Centre, Centre.id == PracticalResult.centre_id)
    )
    # A simulator run counts only when it was accepted as the exam (the centre's setting),
    # and only until the examiners settle a result for that ticket: their sheets start from
    # the run (practical.operations.start_sheet), so the result (mode "simulator") is the
    # run's score as the examiners signed it, and counting both would count one exam twice.
    settled = select(PracticalResult.id).where(PracticalResult.ticket_id == SimulatorRun.ticket_id)
    simulator = (
        select(
            SimulatorRun.ticket_id.label("sitting_key"),
            Centre.code.label("centre"),
            ExamSession.item.label("item"),
            ExamSession.starts_at.label("starts_at"),
            literal("simulator").label("subject"),
            SimulatorRun.total.label("score"),
            SimulatorRun.score["passed"].as_boolean().label("passed"),
        )
        .join(AdmissionTicket, AdmissionTicket.id == SimulatorRun.ticket_id)
        .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
        .join(Centre, Centre.id == SimulatorRun.centre_id)
        .where(SimulatorRun.mode == "exam", ~settled.exists())
    )
    if centre_id is not None:
        theory = theory.where(Attempt.centre_id == centre_id)
        practical = practical.where(PracticalResult.centre_id == centre_id)
        simulator = simulator.where(SimulatorRun.centre_id == centre_id)
    return union_all(theory, practical, simulator)


def _hub_results(centre_code: str | None):
    # The same rule as the local source: a batch lists a simulator exam run and the practical
    # result the examiners signed from it; the sitting's practical result counts, not both.
    other = aliased(HubSubjectResult)
    settled = select(other.id).where(
        other.sitting_id == HubSubjectResult.sitting_id,
        other.hub_batch_id == HubSubjectResult.hub_batch_id,
        other.subject == "practical",
    )
    statement = (
        select(
            HubSubjectResult.sitting_id.label("sitting_key"),
            HubSubjectResult.centre_code.label("centre"),
            HubSubjectResult.item.label("item"),
            HubSubjectResult.starts_at.label("starts_at"),
            HubSubjectResult.subject.label("subject"),
            HubSubjectResult.score.label("score"),
            HubSubjectResult.passed.label("passed"),
        )
        .join(HubBatch, HubBatch.id == HubSubjectResult.hub_batch_id)
        .where(
            HubBatch.current.is_(True),
            or_(HubSubjectResult.subject != "simulator", ~settled.exists()),
        )
    )
    if centre_code is not None:
        statement = statement.where(HubSubjectResult.centre_code == centre_code)
    return statement


def results(source: str, centre: int | str | None = None):
    return (_local_results(centre) if source == LOCAL else _hub_results(centre)).subquery("results")


def _plain(row) -> dict:
    """A result row as JSON-ready values: PostgreSQL returns sums and averages as Decimals
    (every figure here is a count, except the mean score)."""
    out = {}
    for key, value in row._mapping.items():
        if isinstance(value, Decimal):
            value = float(value) if key == "mean_score" else int(value)
        out[key] = value
    return out


def _in_period(column, start: datetime, end: datetime, items: list[str] | None):
    return lambda table: [
        column(table) >= start,
        column(table) < end,
        *([table.c.item.in_(items)] if items else []),
    ]


def _as_int(condition):
    return func.sum(case((condition, 1), else_=0))


def sitting_counts(source, centre, start, end, items=None) -> list[dict]:
    """Per centre and item: sessions, sittings, sat, absent, retakes."""
    s = sittings(source, centre)
    rows = db.session.execute(
        select(
            s.c.centre,
            s.c.item,
            func.count(func.distinct(s.c.session_ref)).label("sessions"),
            func.count().label("enrolled"),
            _as_int(s.c.attendance == "checked_in").label("sat"),
            _as_int(s.c.attendance == "absent").label("absent"),
            _as_int(s.c.seq > 1).label("retakes"),
            func.count(func.distinct(s.c.id_number)).label("candidates"),
        )
        .where(*_in_period(lambda t: t.c.starts_at, start, end, items)(s))
        .group_by(s.c.centre, s.c.item)
        .order_by(s.c.centre, s.c.item)
    ).all()
    return [_plain(row) for row in rows]


def _bin(score):
    """The histogram bin (0..9) of a 0-100 score, portable (no FLOOR in SQLite)."""
    return case(*[(score < 10 * (b + 1), b) for b in range(BINS - 1)], else_=BINS - 1)


def subject_counts(source, centre, start, end, items=None) -> list[dict]:
    """Per centre, item and subject: results, decided, passed, mean score, the score
    histogram (ten bins)."""
    r = results(source, centre)
    bins = [_as_int(_bin(r.c.score) == b).label(f"bin{b}") for b in range(BINS)]
    rows = db.session.execute(
        select(
            r.c.centre,
            r.c.item,
            r.c.subject,
            func.count().label("results"),
            _as_int(r.c.passed.is_not(None)).label("decided"),
            _as_int(r.c.passed.is_(True)).label("passed"),
            func.avg(r.c.score).label("mean_score"),
            *bins,
        )
        .where(*_in_period(lambda t: t.c.starts_at, start, end, items)(r))
        .group_by(r.c.centre, r.c.item, r.c.subject)
        .order_by(r.c.centre, r.c.item, r.c.subject)
    ).all()
    out = []
    for row in rows:
        data = _plain(row)
        data["histogram"] = [int(data.pop(f"bin{b}") or 0) for b in range(BINS)]
        out.append(data)
    return out


def _flag(condition):
    return func.max(case((condition, 1), else_=0))


def _local_outcomes(centre_id, start, end, items):
    """Per (centre, item, ID number): the four outcome flags from the local results."""
    r = results(LOCAL, centre_id)
    base = _local_sittings(centre_id).subquery()
    practical = r.c.subject.in_(PRACTICAL_SUBJECTS)
    theory = r.c.subject == "theory"
    decided = r.c.passed.is_not(None)
    # Two steps: the flags per sitting first (grouped by an integer key, cheap), then per
    # candidate over the (half as many) sittings.
    per_sitting = (
        select(
            r.c.sitting_key,
            _flag(and_(theory, decided)).label("theory_decided"),
            _flag(and_(theory, r.c.passed.is_(True))).label("theory_passed"),
            _flag(and_(practical, decided)).label("practical_decided"),
            _flag(and_(practical, r.c.passed.is_(True))).label("practical_passed"),
        )
        .where(*_in_period(lambda t: t.c.starts_at, start, end, items)(r))
        .group_by(r.c.sitting_key)
        .subquery()
    )
    return (
        select(
            base.c.centre,
            base.c.item,
            base.c.id_number,
            func.max(per_sitting.c.theory_decided).label("theory_decided"),
            func.max(per_sitting.c.theory_passed).label("theory_passed"),
            func.max(per_sitting.c.practical_decided).label("practical_decided"),
            func.max(per_sitting.c.practical_passed).label("practical_passed"),
        )
        .join(base, base.c.sitting_key == per_sitting.c.sitting_key)
        .group_by(base.c.centre, base.c.item, base.c.id_number)
        .subquery()
    )


def _hub_outcomes(centre_code, start, end, items):
    """Per (centre, item, ID number): the four outcome flags the hub keeps on each sitting at
    ingest (``transmission.outcome``): one table, no subject result read."""
    s = (
        _hub_sittings(centre_code)
        .add_columns(
            HubSitting.theory_decided,
            HubSitting.theory_passed,
            HubSitting.practical_decided,
            HubSitting.practical_passed,
        )
        .subquery()
    )
    return (
        select(
            s.c.centre,
            s.c.item,
            s.c.id_number,
            _flag(s.c.theory_decided).label("theory_decided"),
            _flag(s.c.theory_passed).label("theory_passed"),
            _flag(s.c.practical_decided).label("practical_decided"),
            _flag(s.c.practical_passed).label("practical_passed"),
        )
        .where(*_in_period(lambda t: t.c.starts_at, start, end, items)(s))
        .group_by(s.c.centre, s.c.item, s.c.id_number)
        .subquery()
    )


def overall_counts(source, centre, start, end, items=None) -> list[dict]:
    """Per centre and item: candidates (ID number) with a decided theory result and a decided
    practical (or simulator) result in the period ("decided"), and of those, the ones who
    passed both ("passed": at least one passed result of each subject, as
    ``practical.results.combined_result`` counts a retake that passes).

    Theory and practical are separate sessions with separate tickets, so the pair is the
    candidate's theory and practical sittings of the item, not one sitting. The hub reads
    the per-sitting flags kept at ingest; the local source computes them from its results."""
    outcomes = _local_outcomes if source == LOCAL else _hub_outcomes
    per_pair = outcomes(centre, start, end, items)
    both = and_(per_pair.c.theory_decided == 1, per_pair.c.practical_decided == 1)
    passed = and_(both, per_pair.c.theory_passed == 1, per_pair.c.practical_passed == 1)
    rows = db.session.execute(
        select(
            per_pair.c.centre,
            per_pair.c.item,
            _as_int(both).label("decided"),
            _as_int(passed).label("passed"),
        )
        .group_by(per_pair.c.centre, per_pair.c.item)
        .order_by(per_pair.c.centre, per_pair.c.item)
    ).all()
    return [_plain(row) for row in rows]


# -- local only: what the results batches do not carry ----------------------------------------


def incident_counts(centre_id: int, start, end, items=None) -> list[dict]:
    """Per item: pauses, extensions and moves (attempt events) and refused second
    sign-ins (audit entries ``ticket.admission_refused`` with code active_elsewhere)."""
    where = [ExamSession.centre_id == centre_id, ExamSession.starts_at >= start]
    where += [ExamSession.starts_at < end, *([ExamSession.item.in_(items)] if items else [])]
    events = dict(
        (
            (item, kind),
            count,
        )
        for item, kind, count in db.session.execute(
            select(ExamSession.item, AttemptEvent.kind, func.count())
            .join(Attempt, Attempt.id == AttemptEvent.attempt_id)
            .join(ExamSession, ExamSession.id == Attempt.session_id)
            .where(*where, AttemptEvent.kind.in_(("pause", "extend", "move")))
            .group_by(ExamSession.item, AttemptEvent.kind)
        )
    )
    second = dict(
        db.session.execute(
            select(ExamSession.item, func.count())
            .select_from(AuditEntry)
            .join(
                AdmissionTicket,
                and_(
                    AuditEntry.object_type == "admission_tickets",
                    cast(AuditEntry.object_id, Integer) == AdmissionTicket.id,
                ),
            )
            .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
            .where(
                *where,
                AuditEntry.action == "ticket.admission_refused",
                AuditEntry.details.like('%"active_elsewhere"%'),
            )
            .group_by(ExamSession.item)
        ).all()
    )
    items_seen = sorted({item for item, _ in events} | set(second))
    return [
        {
            "item": item,
            "pauses": events.get((item, "pause"), 0),
            "extensions": events.get((item, "extend"), 0),
            "moves": events.get((item, "move"), 0),
            "second_sign_ins": second.get(item, 0),
        }
        for item in items_seen
    ]


def invigilator_workload(centre_id: int, start, end, items=None) -> list[dict]:
    """Per invigilator: sessions invigilated and candidates who sat in them (practical
    examiners: ``examiner_workload``)."""
    sat = (
        select(AdmissionTicket.session_id, func.count().label("sat"))
        .where(AdmissionTicket.attendance == "checked_in")
        .group_by(AdmissionTicket.session_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            User.display_name.label("name"),
            User.username.label("username"),
            func.count(ExamSession.id).label("sessions"),
            func.coalesce(func.sum(sat.c.sat), 0).label("candidates"),
        )
        .select_from(session_invigilators)
        .join(ExamSession, ExamSession.id == session_invigilators.c.session_id)
        .join(User, User.id == session_invigilators.c.user_id)
        .outerjoin(sat, sat.c.session_id == ExamSession.id)
        .where(
            ExamSession.centre_id == centre_id,
            ExamSession.state != "cancelled",
            ExamSession.starts_at >= start,
            ExamSession.starts_at < end,
            *([ExamSession.item.in_(items)] if items else []),
        )
        .group_by(User.id, User.display_name, User.username)
        .order_by(User.display_name)
    ).all()
    return [_plain(row) for row in rows]


def examiner_workload(centre_id: int, start, end, items=None) -> list[dict]:
    """Per practical examiner, over the sessions of the period: candidates scored (tickets
    with at least one signed sheet of theirs), sheets signed (every signed version),
    amendments (sheet versions after the first, drafts included: each was opened with a
    reason) and lead decisions (result versions the lead decided, ``practical_results``
    status lead_decided; the result names the lead by display name)."""
    where = [
        ExaminerSheet.centre_id == centre_id,
        ExamSession.starts_at >= start,
        ExamSession.starts_at < end,
        *([ExamSession.item.in_(items)] if items else []),
    ]
    signed = ExaminerSheet.status == "signed"
    rows = db.session.execute(
        select(
            User.display_name.label("name"),
            User.username.label("username"),
            func.count(func.distinct(case((signed, ExaminerSheet.ticket_id)))).label("candidates"),
            _as_int(signed).label("signed"),
            _as_int(ExaminerSheet.version > 1).label("amendments"),
        )
        .join(User, User.id == ExaminerSheet.examiner_id)
        .join(AdmissionTicket, AdmissionTicket.id == ExaminerSheet.ticket_id)
        .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
        .where(*where)
        .group_by(User.id, User.display_name, User.username)
        .order_by(User.display_name, User.username)
    ).all()
    decisions = dict(
        db.session.execute(
            select(PracticalResult.lead, func.count())
            .join(AdmissionTicket, AdmissionTicket.id == PracticalResult.ticket_id)
            .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
            .where(
                PracticalResult.centre_id == centre_id,
                PracticalResult.status == "lead_decided",
                *where[1:],
            )
            .group_by(PracticalResult.lead)
        ).all()
    )
    out = []
    for row in rows:
        data = _plain(row)
        data["lead_decisions"] = int(decisions.pop(data["name"], 0) or 0)
        out.append(data)
    # A lead with decisions but no sheet of their own in the period (not expected: the lead
    # scores too) is still listed, so that no decision goes uncounted.
    for name, count in sorted(decisions.items(), key=lambda kv: str(kv[0])):
        out.append({"name": name, "username": None, "candidates": 0, "signed": 0,
                    "amendments": 0, "lead_decisions": int(count)})  # fmt: skip
    return out


def examiner_differences(centre_id: int | None, start, end, items=None) -> list[dict]:
    """Per practical examiner (local source; every centre when ``centre_id`` is None): the
    candidates they co-scored in the period's sessions (``pairs``: one per co-examiner's
    sheet on the same ticket) and the sum of (their total - the co-examiner's total). Each
    examiner's NEWEST signed sheet version per ticket is compared (an amendment replaces
    the sheet it amends). Grouped in the database; ``dashboard.examiner_outliers`` derives
    the mean and the flag."""
    newest = (
        select(
            ExaminerSheet.ticket_id,
            ExaminerSheet.examiner_id,
            func.max(ExaminerSheet.version).label("version"),
        )
        .where(ExaminerSheet.status == "signed")
        .group_by(ExaminerSheet.ticket_id, ExaminerSheet.examiner_id)
        .subquery()
    )
    totals = (
        select(
            ExaminerSheet.ticket_id,
            ExaminerSheet.examiner_id,
            ExaminerSheet.centre_id,
            ExaminerSheet.total,
        )
        .join(
            newest,
            and_(
                newest.c.ticket_id == ExaminerSheet.ticket_id,
                newest.c.examiner_id == ExaminerSheet.examiner_id,
                newest.c.version == ExaminerSheet.version,
            ),
        )
        .join(AdmissionTicket, AdmissionTicket.id == ExaminerSheet.ticket_id)
        .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
        .where(
            ExamSession.starts_at >= start,
            ExamSession.starts_at < end,
            ExaminerSheet.total.is_not(None),
            *([ExamSession.item.in_(items)] if items else []),
            *([ExaminerSheet.centre_id == centre_id] if centre_id is not None else []),
        )
        .subquery()
    )
    own, other = totals.alias("own"), totals.alias("other")
    rows = db.session.execute(
        select(
            User.id.label("examiner_id"),
            User.display_name.label("name"),
            Centre.code.label("centre"),
            func.count().label("pairs"),
            func.sum(own.c.total - other.c.total).label("difference_sum"),
        )
        .select_from(own)
        .join(
            other,
            and_(other.c.ticket_id == own.c.ticket_id, other.c.examiner_id != own.c.examiner_id),
        )
        .join(User, User.id == own.c.examiner_id)
        .join(Centre, Centre.id == own.c.centre_id)
        .group_by(User.id, User.display_name, Centre.code)
        .order_by(Centre.code, User.display_name)
    ).all()
    out = []
    for row in rows:
        data = _plain(row)
        data["difference_sum"] = float(row.difference_sum or 0)
        out.append(data)
    return out


def versions_used(centre_id: int, start, end, items=None) -> list[dict]:
    """Per item: the blueprint versions and bank versions (content hash of the live
    questions) the period's papers were drawn from, with the number of papers."""
    rows = db.session.execute(
        select(
            Paper.item,
            Blueprint.version.label("blueprint_version"),
            Paper.bank_version,
            func.count().label("papers"),
        )
        .join(Blueprint, Blueprint.id == Paper.blueprint_id)
        .join(AdmissionTicket, AdmissionTicket.id == Paper.ticket_id)
        .join(ExamSession, ExamSession.id == AdmissionTicket.session_id)
        .where(
            Paper.centre_id == centre_id,
            ExamSession.starts_at >= start,
            ExamSession.starts_at < end,
            or_(ExamSession.state != "cancelled", ExamSession.state.is_(None)),
            *([Paper.item.in_(items)] if items else []),
        )
        .group_by(Paper.item, Blueprint.version, Paper.bank_version)
        .order_by(Paper.item, Blueprint.version)
    ).all()
    return [_plain(row) for row in rows]


def monthly_trend(
    source, centre, bounds: list[tuple[datetime, datetime]], items=None
) -> list[dict]:
    """Per month bucket (``bounds``: consecutive [start, end) in order): sittings sat, theory
    results decided and passed, mean theory score. One pass: each row's bucket is a CASE."""
    if not bounds:
        return []
    r = results(source, centre)
    s = sittings(source, centre)

    def bucket(column):
        return case(*[(column < end, i) for i, (_, end) in enumerate(bounds)], else_=-1)

    start, end = bounds[0][0], bounds[-1][1]
    theory = dict(
        (row[0], row[1:])
        for row in db.session.execute(
            select(
                bucket(r.c.starts_at).label("bucket"),
                _as_int(r.c.passed.is_not(None)),
                _as_int(r.c.passed.is_(True)),
                func.avg(r.c.score),
            )
            .where(
                r.c.subject == "theory",
                *_in_period(lambda t: t.c.starts_at, start, end, items)(r),
            )
            .group_by("bucket")
        ).all()
    )
    sat = dict(
        db.session.execute(
            select(bucket(s.c.starts_at).label("bucket"), _as_int(s.c.attendance == "checked_in"))
            .where(*_in_period(lambda t: t.c.starts_at, start, end, items)(s))
            .group_by("bucket")
        ).all()
    )
    out = []
    for i in range(len(bounds)):
        decided, passed, mean = theory.get(i, (0, 0, None))
        out.append(
            {
                "sat": int(sat.get(i) or 0),
                "decided": int(decided or 0),
                "passed": int(passed or 0),
                "mean_score": None if mean is None else round(float(mean), 1),
            }
        )
    return out
