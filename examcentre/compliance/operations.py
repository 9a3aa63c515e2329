"""Keeping a centre's records and running its compliance self-check.

The records are stored as versioned ``examcentre.centre/1`` documents (the public exchange
format), validated by ``exchange.parse_centre`` on every save, so a form, an import and the
CLI all obey the same rules and every JSON-path error message. Terminals are kept in their
own table and merged into the document when it is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import func, select

from ..audit.chain import canonical_json
from ..audit.operations import Actor, record
from ..extensions import db
from ..models import (
    Alert,
    Centre,
    CentreComplianceSettings,
    CentreRecordVersion,
    ComplianceCheck,
    Terminal,
    utcnow,
)
from .exchange import ExchangeError, Problem, known_titles_for, parse_centre, report_to_json
from .model import BankCoverage, CentreRecord, ComplianceSettings, ExamSystemFunction
from .rules import evaluate

FORMAT = "examcentre.centre/1"

# Where each exam-system function of 三(二)[三]1(2) lives in this platform (rule R-SYS).
# Each feature adds its entry when it lands; a function missing here fails R-SYS, which is
# the truth until the platform provides it.
PLATFORM_SYSTEM_FUNCTIONS: dict[ExamSystemFunction, str] = {
    ExamSystemFunction.RANDOM_PAPER_ASSEMBLY: (
        "题库与组卷方案 /centre/bank（examcentre/papers：按组卷方案分层随机抽题，可由种子重现）"
    ),
    ExamSystemFunction.AUTOMATIC_TIMING: (
        "考试终端 /terminal（examcentre/exams/timing：服务器计时，到时自动交卷，可暂停、延时）"
    ),
    ExamSystemFunction.AUTOMATIC_MARKING: (
        "交卷即评分（examcentre/exams/grading：按组卷方案计分，关键题规则，更正答案后重评）"
    ),
    ExamSystemFunction.AUTOMATIC_RECORDING: (
        "答卷存档（examcentre/exams/archive：每次作答与事件留痕，SHA-256 防篡改，"
        "examcentre archive verify）"
    ),
    ExamSystemFunction.DATA_TRANSMISSION: (
        "成绩上报 /centre/results（examcentre/transmission：按场次生成"
        " examcentre.results/1 成绩批次，Ed25519 签名，发件箱自动重试发送至主管部门汇集端，"
        "或导出文件离线传送）"
    ),
    ExamSystemFunction.STATISTICS: (
        "试题统计 /centre/reports/items（examcentre/reports/itemstats：难度系数、区分度、"
        "干扰项、KR-20 信度，每晚计算；综合看板 /authority/）"
    ),
    ExamSystemFunction.QUERY: (
        "查询 /authority/query（examcentre/reports/dossier：按身份证号、姓名、准考证号、"
        "申请编号查找考生，校验成绩存档）"
    ),
    ExamSystemFunction.SUMMARY_REPORTS: (
        "汇总报表 /centre/reports/summary、/authority/reports（examcentre/reports/summary："
        "PDF、CSV、Excel，每月自动生成并保存）"
    ),
    ExamSystemFunction.FILING_AND_ARCHIVING: (
        "考生档案 /authority/candidates（examcentre/reports/dossier：报名、考试、取自已校验"
        "存档的试卷与作答、成绩、审计记录，页面与 PDF）"
    ),
}


def skeleton_document(centre: Centre) -> dict[str, Any]:
    """The document of a centre that has recorded nothing yet."""
    return {"format": FORMAT, "centre": {"code": centre.code, "name": centre.name, "items": []}}


def latest_version(centre: Centre) -> CentreRecordVersion | None:
    return db.session.scalar(
        select(CentreRecordVersion)
        .where(CentreRecordVersion.centre_id == centre.id)
        .order_by(CentreRecordVersion.version.desc())
        .limit(1)
    )


def terminals_of(centre: Centre) -> list[Terminal]:
    return list(
        db.session.scalars(
            select(Terminal).where(Terminal.centre_id == centre.id).order_by(Terminal.code)
        )
    )


def record_document(centre: Centre) -> dict[str, Any]:
    """The centre's current records as an ``examcentre.centre/1`` document."""
    version = latest_version(centre)
    document = json.loads(version.document) if version else skeleton_document(centre)
    document["centre"]["code"] = centre.code
    terminals = terminals_of(centre)
    if terminals:
        document["terminals"] = [
            {"id": t.code, "status": t.status, **({"location": t.location} if t.location else {})}
            for t in terminals
        ]
    return document


def load_settings(centre: Centre) -> tuple[ComplianceSettings, bool]:
    """The centre's readings (defaults for any not set) and whether sessions are gated."""
    row = db.session.get(CentreComplianceSettings, centre.id)
    if row is None:
        return ComplianceSettings(), True
    return settings_from_json(json.loads(row.settings)), row.block_sessions_when_non_compliant


def settings_from_json(data: dict[str, Any]) -> ComplianceSettings:
    known = {f.name for f in fields(ComplianceSettings)}
    return ComplianceSettings(**{k: v for k, v in data.items() if k in known})


def centre_record(centre: Centre, settings: ComplianceSettings | None = None) -> CentreRecord:
    settings = settings or load_settings(centre)[0]
    return parse_centre(record_document(centre), known_titles=known_titles_for(settings))


def validate_document(centre: Centre, document: Any) -> CentreRecord:
    """Parse a document meant for this centre; raise ExchangeError listing every problem."""
    settings, _block = load_settings(centre)
    record_ = parse_centre(document, known_titles=known_titles_for(settings))
    if record_.code != centre.code:
        raise ExchangeError(
            [Problem("centre.code", f'is "{record_.code}", but this is centre "{centre.code}"')]
        )
    return record_


def save_record_document(
    actor: Actor, centre: Centre, document: dict[str, Any], source: str
) -> CentreRecordVersion | None:
    """Validate and store a new version; return None when nothing changed.

    Raises ``ExchangeError`` (every problem, with its JSON path) and writes nothing then.
    """
    validate_document(centre, document)
    document = json.loads(json.dumps(document))  # a private copy
    terminals = document.pop("terminals", [])
    changed_terminals = _sync_terminals(centre, terminals)
    if document["centre"].get("name") and document["centre"]["name"] != centre.name:
        centre.name = document["centre"]["name"]
    text = canonical_json(document)
    previous = latest_version(centre)
    if previous is not None and previous.document == text:
        if changed_terminals:
            record(
                actor,
                "centre_record.terminals",
                obj=centre,
                details={"source": source, "terminals": changed_terminals},
            )
        return None
    version = CentreRecordVersion(
        centre_id=centre.id,
        version=(previous.version + 1) if previous else 1,
        document=text,
        actor_label=actor.label,
        source=source,
    )
    db.session.add(version)
    changed_sections = _changed_sections(
        json.loads(previous.document) if previous else {}, document
    )
    record(
        actor,
        "centre_record.save",
        obj=version,
        details={
            "version": version.version,
            "source": source,
            "sections": changed_sections,
            "terminals": changed_terminals,
        },
    )
    return version


def _changed_sections(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    keys = sorted(set(before) | set(after))
    return [key for key in keys if before.get(key) != after.get(key)]


def _sync_terminals(centre: Centre, terminals: list[dict[str, Any]]) -> list[str]:
    """Make the terminals table match the document; return the codes that changed."""
    existing = {t.code: t for t in terminals_of(centre)}
    wanted = {t["id"]: t for t in terminals}
    changed = []
    for code, spec in wanted.items():
        terminal = existing.get(code)
        if terminal is None:
            terminal = Terminal(centre_id=centre.id, code=code)
            db.session.add(terminal)
        new = (spec.get("status", "working"), spec.get("location"))
        if (terminal.status, terminal.location) != new or terminal.id is None:
            terminal.status, terminal.location = new
            changed.append(code)
    for code, terminal in existing.items():
        if code not in wanted:
            db.session.delete(terminal)
            changed.append(code)
    return sorted(changed)


def update_settings(
    actor: Actor, centre: Centre, settings: ComplianceSettings, block_sessions: bool, reason: str
) -> None:
    from .exchange import settings_to_json

    row = db.session.get(CentreComplianceSettings, centre.id)
    before = json.loads(row.settings) if row else {}
    if row is None:
        row = CentreComplianceSettings(centre_id=centre.id)
        db.session.add(row)
    after = settings_to_json(settings)
    row.settings = canonical_json(after)
    row.block_sessions_when_non_compliant = block_sessions
    changed = {k: {"from": before.get(k), "to": v} for k, v in after.items() if before.get(k) != v}
    record(
        actor,
        "compliance.settings",
        obj=centre,
        reason=reason,
        details={"changed": changed, "block_sessions": block_sessions},
    )


def bank_coverage(centre: Centre) -> BankCoverage | None:
    """The question bank's coverage per published blueprint cell (rule R-BANK)."""
    from ..papers.operations import bank_coverage as coverage_of_published_blueprints

    settings, _block = load_settings(centre)
    return coverage_of_published_blueprints(centre, settings.coverage_factor)


def evaluate_centre(centre: Centre, on: date) -> tuple[dict[str, Any], CentreRecord]:
    """The report as an ``examcentre.compliance/1`` document, and the record it judged."""
    settings, _block = load_settings(centre)
    record_ = centre_record(centre, settings)
    report = evaluate(
        record_,
        on,
        settings,
        system_functions=PLATFORM_SYSTEM_FUNCTIONS,
        bank=bank_coverage(centre),
    )
    return report_to_json(report), record_


def run_check(actor: Actor, centre: Centre, on: date, trigger: str) -> ComplianceCheck:
    """Run and store the self-check; raise an alert for each newly failing or warning rule."""
    report, _record = evaluate_centre(centre, on)
    previous = latest_check(centre)
    version = latest_version(centre)
    findings = report["findings"]
    check = ComplianceCheck(
        centre_id=centre.id,
        evaluated_on=on,
        trigger=trigger,
        actor_label=actor.label,
        record_version=version.version if version else None,
        compliant=report["compliant"],
        fail_count=sum(f["status"] == "fail" for f in findings),
        warn_count=sum(f["status"] == "warn" for f in findings),
        report=canonical_json(report),
    )
    db.session.add(check)
    db.session.flush()
    before = statuses(previous) if previous else {}
    for finding in findings:
        if finding["status"] != "pass" and before.get(finding["rule"]) != finding["status"]:
            db.session.add(
                Alert(
                    centre_id=centre.id,
                    kind="compliance",
                    level=finding["status"],
                    message=f"{finding['rule']}：{finding['message']}",
                    message_en=f"{finding['rule']}: {finding['message_en']}",
                    compliance_check_id=check.id,
                )
            )
    record(
        actor,
        "compliance.check",
        obj=check,
        details={
            "trigger": trigger,
            "evaluated_on": on.isoformat(),
            "compliant": check.compliant,
            "fails": check.fail_count,
            "warns": check.warn_count,
        },
    )
    return check


def latest_check(centre: Centre) -> ComplianceCheck | None:
    return db.session.scalar(
        select(ComplianceCheck)
        .where(ComplianceCheck.centre_id == centre.id)
        .order_by(ComplianceCheck.id.desc())
        .limit(1)
    )


def report_of(check: ComplianceCheck) -> dict[str, Any]:
    return json.loads(check.report)


def statuses(check: ComplianceCheck) -> dict[str, str]:
    return {f["rule"]: f["status"] for f in report_of(check)["findings"]}


@dataclass(frozen=True)
class Change:
    rule: str
    before: str | None  # None: the rule did not apply before
    after: str | None


def changes_between(earlier: ComplianceCheck | None, later: ComplianceCheck) -> list[Change]:
    """Which rules changed status from one check to the next."""
    before = statuses(earlier) if earlier else {}
    after = statuses(later)
    return [
        Change(rule, before.get(rule), after.get(rule))
        for rule in sorted(set(before) | set(after))
        if before.get(rule) != after.get(rule)
    ]


def previous_check(check: ComplianceCheck) -> ComplianceCheck | None:
    return db.session.scalar(
        select(ComplianceCheck)
        .where(ComplianceCheck.centre_id == check.centre_id, ComplianceCheck.id < check.id)
        .order_by(ComplianceCheck.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class SessionGate:
    allowed: bool
    blocking: list[dict[str, Any]]  # the failing findings that stop a session from opening


def session_gate(centre: Centre, on: date) -> SessionGate:
    """May the centre open an exam session today? (三: the centre must meet every requirement.)

    Evaluated afresh from the current records, so a fix takes effect at once. Gating is a
    centre setting, on by default.
    """
    _settings, block = load_settings(centre)
    if not block:
        return SessionGate(True, [])
    report, _record = evaluate_centre(centre, on)
    failing = [f for f in report["findings"] if f["status"] == "fail"]
    return SessionGate(not failing, failing)


def note_unreadable_records(centre: Centre, error: ExchangeError) -> Alert | None:
    """Alert the centre that its records cannot be checked (once, until acknowledged)."""
    problems = "; ".join(str(p) for p in error.problems)
    message = f"考试机构记录不完整，无法核验：{problems}"
    if any(a.message == message for a in open_alerts(centre)):
        return None
    alert = Alert(
        centre_id=centre.id,
        kind="compliance",
        level="fail",
        message=message,
        message_en=f"The centre's records are incomplete and cannot be checked: {problems}",
    )
    db.session.add(alert)
    return alert


COMPLIANCE_ALERT = "compliance"


def open_alerts(centre: Centre, kind: str = COMPLIANCE_ALERT) -> list[Alert]:
    """The centre's unacknowledged alerts of one kind (each audience sees its own kind)."""
    return list(
        db.session.scalars(
            select(Alert)
            .where(
                Alert.centre_id == centre.id, Alert.kind == kind, Alert.acknowledged_at.is_(None)
            )
            .order_by(Alert.id.desc())
        )
    )


def acknowledge_alert(actor: Actor, alert: Alert) -> bool:
    """Mark one alert as seen; False if it already was. Audited."""
    if alert.acknowledged_at is not None:
        return False
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by = actor.label
    record(
        actor,
        "alert.acknowledge",
        obj=alert,
        details={"kind": alert.kind, "message": alert.message_en},
    )
    return True


def acknowledge_alerts(actor: Actor, centre: Centre) -> int:
    """Acknowledge every open compliance alert of the centre (the banner's button)."""
    alerts = open_alerts(centre)
    for alert in alerts:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = actor.label
    if alerts:
        record(actor, "alerts.acknowledge", obj=centre, details={"count": len(alerts)})
    return len(alerts)


def version_count(centre: Centre) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(CentreRecordVersion)
            .where(CentreRecordVersion.centre_id == centre.id)
        )
        or 0
    )
