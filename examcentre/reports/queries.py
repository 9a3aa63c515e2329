"""Summary figures by SQL aggregation (read-only; the operations layer's reads).

One query layer, two sources with the same columns:

- **local** (a centre's install): admission tickets, sessions, the newest theory result
  version of each attempt, and simulator runs that counted as the exam;
- **hub** (an authority-hub install): ``hub_sittings`` and ``hub_subject_results`` of
  *current* batches only (a re-scored session's older batch is not counted twice).

``sittings(source)`` has: sitting_key, centre, session_ref, item, starts_at, id_number,
attendance, and ``seq`` (1 for a candidate's first sitting of the item, so > 1 is a retake,
counted over all sittings before the period too). ``results(source)`` has: sitting_key,
centre, item, starts_at, subject (theory / practical / simulator), score (0-100), passed.

Everything is grouped in the database (GROUP BY, CASE sums): the rows never come to Python,
so a period over a million results costs one pass of the database.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, and_, case, cast, func, literal, or_, select, union_all

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
    ExamSession,
    HubBatch,
    HubSitting,
    HubSubjectResult,
    Paper,
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
    # A simulator run counts only when it was accepted as the exam (the centre's setting);
    # the practical examiners' sheets (issue 8) will join this union as "practical".
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
        .where(SimulatorRun.mode == "exam")
    )
    if centre_id is not None:
        theory = theory.where(Attempt.centre_id == centre_id)
        simulator = simulator.where(SimulatorRun.centre_id == centre_id)
    return union_all(theory, simulator)


def _hub_results(centre_code: str | None):
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
        .where(HubBatch.current.is_(True))
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


def overall_counts(source, centre, start, end, items=None) -> list[dict]:
    """Per centre and item: sittings with both a theory and a practical (or simulator)
    result, all decided ("decided"), and of those, the ones passed in every subject."""
    r = results(source, centre)
    practical = r.c.subject.in_(PRACTICAL_SUBJECTS)
    per_sitting = (
        select(
            r.c.sitting_key,
            r.c.centre,
            r.c.item,
            func.max(case((r.c.subject == "theory", 1), else_=0)).label("theory"),
            func.max(case((practical, 1), else_=0)).label("practical"),
            func.min(case((r.c.passed.is_(True), 1), (r.c.passed.is_(False), 0), else_=-1)).label(
                "worst"
            ),
        )
        .where(*_in_period(lambda t: t.c.starts_at, start, end, items)(r))
        .group_by(r.c.sitting_key, r.c.centre, r.c.item)
        .subquery()
    )
    both = and_(per_sitting.c.theory == 1, per_sitting.c.practical == 1)
    rows = db.session.execute(
        select(
            per_sitting.c.centre,
            per_sitting.c.item,
            _as_int(and_(both, per_sitting.c.worst >= 0)).label("decided"),
            _as_int(and_(both, per_sitting.c.worst == 1)).label("passed"),
        )
        .group_by(per_sitting.c.centre, per_sitting.c.item)
        .order_by(per_sitting.c.centre, per_sitting.c.item)
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
    """Per invigilator: sessions invigilated and candidates who sat in them. (Practical
    examiners' workload joins this when their score sheets are recorded, issue 8.)"""
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
