"""Reports (operations): load what the statistics read, compute, and cache.

The item statistics are computed here from the newest result version of every submitted
attempt (so a key correction's re-score is what they see) and stored per blueprint and
period in ``item_statistics``; pages read the stored document and never compute on a
request of the exam itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, func, select

from ..audit.operations import Actor, record
from ..extensions import db
from ..models import (
    Attempt,
    AttemptResult,
    Blueprint,
    Centre,
    ExamSession,
    ItemStatistics,
    KeyCorrection,
    Paper,
    PaperQuestion,
    Question,
    QuestionVersion,
    StoredReport,
)
from ..papers.blueprint import Spec
from . import itemstats


def period_bounds(period_from: date, period_to: date, timezone: str) -> tuple[datetime, datetime]:
    """UTC [start, end) of the local days ``period_from`` .. ``period_to`` (inclusive)."""
    if period_to < period_from:
        raise ValueError("period_to: the period ends on or after its first day")
    zone = ZoneInfo(timezone)
    start = datetime.combine(period_from, time(0), zone).astimezone(UTC)
    end = datetime.combine(period_to + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def blueprints_with_attempts(centre_id: int, start: datetime, end: datetime) -> list[Blueprint]:
    """The blueprints of the centre's submitted attempts in sessions starting in [start, end)."""
    ids = (
        select(Paper.blueprint_id)
        .join(Attempt, Attempt.paper_id == Paper.id)
        .join(ExamSession, ExamSession.id == Attempt.session_id)
        .where(
            Attempt.centre_id == centre_id,
            Attempt.state == "submitted",
            ExamSession.starts_at >= start,
            ExamSession.starts_at < end,
        )
    )
    return list(
        db.session.scalars(
            select(Blueprint).where(Blueprint.id.in_(ids)).order_by(Blueprint.item, Blueprint.id)
        )
    )


def _newest_results(centre_id: int, blueprint_id: int, start: datetime, end: datetime):
    newest = (
        select(AttemptResult.attempt_id, func.max(AttemptResult.version).label("version"))
        .group_by(AttemptResult.attempt_id)
        .subquery()
    )
    return db.session.execute(
        select(Attempt.id, Attempt.paper_id, AttemptResult.marks)
        .join(ExamSession, ExamSession.id == Attempt.session_id)
        .join(Paper, Paper.id == Attempt.paper_id)
        .join(newest, newest.c.attempt_id == Attempt.id)
        .join(
            AttemptResult,
            (AttemptResult.attempt_id == Attempt.id) & (AttemptResult.version == newest.c.version),
        )
        .where(
            Attempt.centre_id == centre_id,
            Attempt.state == "submitted",
            Paper.blueprint_id == blueprint_id,
            ExamSession.starts_at >= start,
            ExamSession.starts_at < end,
        )
        .order_by(Attempt.id)
    ).all()


def load_responses(
    blueprint: Blueprint, start: datetime, end: datetime
) -> tuple[itemstats.Responses, list[itemstats.QuestionInfo], dict[int, int]]:
    """The long input of ``itemstats.analyse`` for one blueprint's attempts in a period,
    its questions (one per question VERSION, with the corrected key if there is one), and
    question version id -> question id (for the editor link)."""
    results = _newest_results(blueprint.centre_id, blueprint.id, start, end)
    paper_ids = sorted({paper_id for _, paper_id, _ in results})
    layout: dict[tuple[int, int], tuple[int, str]] = {}
    version_ids: set[int] = set()
    for chunk in _chunks(paper_ids, 500):
        for paper_id, position, version_id, order in db.session.execute(
            select(
                PaperQuestion.paper_id,
                PaperQuestion.position,
                PaperQuestion.question_version_id,
                PaperQuestion.option_order,
            ).where(PaperQuestion.paper_id.in_(chunk))
        ):
            layout[(paper_id, position)] = (version_id, order or "")
            version_ids.add(version_id)
    corrections = dict(
        db.session.execute(
            select(KeyCorrection.question_version_id, KeyCorrection.answer)
            .where(KeyCorrection.centre_id == blueprint.centre_id)
            .order_by(KeyCorrection.id)
        ).all()
    )
    versions = {}
    for chunk in _chunks(sorted(version_ids), 500):
        for qv, external_id in db.session.execute(
            select(QuestionVersion, Question.external_id)
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(QuestionVersion.id.in_(chunk))
        ):
            versions[qv.id] = (qv, external_id)
    spec = Spec.from_json(blueprint.spec)
    index = {version_id: i for i, version_id in enumerate(sorted(versions))}
    questions = []
    for version_id in sorted(versions):
        qv, external_id = versions[version_id]
        questions.append(
            itemstats.QuestionInfo(
                ref=version_id,
                label=f"{external_id} v{qv.number}",
                type=qv.type,
                answer=corrections.get(version_id, qv.answer),
                option_count=0 if qv.type == "true_false" else len(qv.options_zh),
            )
        )
    rows = []
    for a, (_, paper_id, marks) in enumerate(results):
        for mark in marks:
            version_id, order = layout[(paper_id, mark["position"])]
            qv = versions[version_id][0]
            rows.append(
                (
                    a,
                    index[version_id],
                    mark["position"] - 1,
                    float(mark["earned"]),
                    float(spec.points[qv.type]),
                    itemstats.choice_bits(qv.type, mark.get("response"), order),
                )
            )
    question_of = {vid: versions[vid][0].question_id for vid in versions}
    return itemstats.Responses.from_rows(rows), questions, question_of


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def compute_item_statistics(
    actor: Actor,
    blueprint: Blueprint,
    period_from: date,
    period_to: date,
    timezone: str,
    thresholds: itemstats.Thresholds,
    now: datetime,
    automatic: bool = False,
) -> ItemStatistics:
    """Compute one blueprint's item statistics for a period and store them (replacing the
    stored ones of the same period). One audit entry."""
    start, end = period_bounds(period_from, period_to, timezone)
    responses, questions, question_of = load_responses(blueprint, start, end)
    document = itemstats.analyse(responses, questions, thresholds)
    for entry in document["questions"]:
        entry["question_id"] = question_of[entry["ref"]]
    document["thresholds"] = {
        "facility_min": thresholds.facility_min,
        "facility_max": thresholds.facility_max,
        "discrimination_min": thresholds.discrimination_min,
        "min_responses": thresholds.min_responses,
    }
    flagged = sum(1 for q in document["questions"] if q["flags"])
    row = db.session.scalar(
        select(ItemStatistics).where(
            ItemStatistics.centre_id == blueprint.centre_id,
            ItemStatistics.blueprint_id == blueprint.id,
            ItemStatistics.period_from == period_from,
            ItemStatistics.period_to == period_to,
        )
    )
    if row is None:
        row = ItemStatistics(
            centre_id=blueprint.centre_id,
            blueprint_id=blueprint.id,
            item=blueprint.item,
            period_from=period_from,
            period_to=period_to,
        )
        db.session.add(row)
    row.attempts = document["test"]["attempts"]
    row.flagged = flagged
    row.document = document
    row.automatic = automatic
    row.computed_at = now
    db.session.flush()
    record(
        actor,
        "reports.item_statistics",
        obj=row,
        details={
            "blueprint": blueprint.id,
            "period": [period_from.isoformat(), period_to.isoformat()],
            "attempts": row.attempts,
            "flagged": flagged,
        },
    )
    return row


def refresh_item_statistics(
    actor: Actor,
    centre_id: int,
    period_from: date,
    period_to: date,
    timezone: str,
    thresholds: itemstats.Thresholds,
    now: datetime,
) -> list[ItemStatistics]:
    """The nightly refresh of one centre: every blueprint with attempts in the period is
    recomputed; automatic rows of earlier (rolling) periods are dropped, so the cache holds
    one automatic period plus whatever an administrator asked for."""
    start, end = period_bounds(period_from, period_to, timezone)
    rows = [
        compute_item_statistics(
            actor, bp, period_from, period_to, timezone, thresholds, now, automatic=True
        )
        for bp in blueprints_with_attempts(centre_id, start, end)
    ]
    db.session.execute(
        delete(ItemStatistics).where(
            ItemStatistics.centre_id == centre_id,
            ItemStatistics.automatic.is_(True),
            (ItemStatistics.period_from != period_from) | (ItemStatistics.period_to != period_to),
        )
    )
    return rows


def thresholds_from(config) -> itemstats.Thresholds:
    return itemstats.Thresholds(
        facility_min=config["ITEM_STATS_FACILITY_MIN"],
        facility_max=config["ITEM_STATS_FACILITY_MAX"],
        discrimination_min=config["ITEM_STATS_DISCRIMINATION_MIN"],
        min_responses=config["ITEM_STATS_MIN_RESPONSES"],
    )


def rolling_period(today: date, days: int) -> tuple[date, date]:
    """The default period: the ``days`` days up to yesterday (today's sessions may be open)."""
    return today - timedelta(days=days), today - timedelta(days=1)


def period_summary(
    source: str,
    centre: int | str | None,
    period_from: date,
    period_to: date,
    timezone: str,
    items: list[str] | None = None,
    centre_label: str | None = None,
) -> dict:
    """The period summary document (``reports.summary``). ``centre`` is a centre id for the
    local source and a centre code for the hub, None for every centre. Incidents, workload
    (invigilators and practical examiners) and versions are in a centre's own tables only
    (the results batches do not carry them), so they are filled for one local centre and
    None otherwise."""
    from . import queries, summary

    start, end = period_bounds(period_from, period_to, timezone)
    local_centre = source == queries.LOCAL and centre is not None
    main = [queries.sitting_counts, queries.subject_counts, queries.overall_counts]
    sittings, subjects, overall = _concurrently(
        [partial(f, source, centre, start, end, items) for f in main]
    )
    return summary.build(
        period_from,
        period_to,
        centre_label,
        source,
        sittings,
        subjects,
        overall,
        incidents=queries.incident_counts(centre, start, end, items) if local_centre else None,
        workload=queries.invigilator_workload(centre, start, end, items) if local_centre else None,
        versions=queries.versions_used(centre, start, end, items) if local_centre else None,
        examiners=queries.examiner_workload(centre, start, end, items) if local_centre else None,
    )


def _concurrently(calls: list) -> list:
    """Run read-only queries at once on PostgreSQL, each in its own connection (the server
    runs them on its cores in parallel: a year over a million results is three full scans);
    one after another on SQLite (one file, and no gain)."""
    if db.engine.dialect.name != "postgresql":
        return [call() for call in calls]
    app = current_app._get_current_object()

    def run(call):
        with app.app_context():
            try:
                return call()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def previous_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def store_monthly_report(
    actor: Actor,
    centre: Centre | None,
    source: str,
    month: tuple[date, date],
    timezone: str,
    now: datetime,
    label: str,
) -> StoredReport | None:
    """Generate and keep one month's summary (the document and its Chinese PDF) for one
    centre (``centre``) or every centre (None). A month already stored is left as it was
    (None): a report once issued is not silently replaced. One audit entry."""
    from . import summary

    centre_id = centre.id if centre is not None else None
    exists = db.session.scalar(
        select(StoredReport.id).where(
            StoredReport.centre_id.is_(None)
            if centre_id is None
            else StoredReport.centre_id == centre_id,
            StoredReport.kind == "monthly",
            StoredReport.period_from == month[0],
            StoredReport.period_to == month[1],
        )
    )
    if exists:
        return None
    scope = centre_id if source == "local" else (centre.code if centre else None)
    document = period_summary(source, scope, *month, timezone, centre_label=label)
    local_now = now.astimezone(ZoneInfo(timezone))
    row = StoredReport(
        centre_id=centre_id,
        kind="monthly",
        source=source,
        period_from=month[0],
        period_to=month[1],
        document=document,
        pdf=summary.to_pdf(document, "zh", generated=local_now),
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "reports.monthly_stored",
        obj=row,
        centre_id=centre_id,
        details={"period": [month[0].isoformat(), month[1].isoformat()], "source": source},
    )
    return row
