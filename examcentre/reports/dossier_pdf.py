"""The candidate dossier (建档存档) as a PDF (pure: the plain dict of
``reports.dossier.dossier`` in, bytes out). Chinese in STSong-Light (``pdf_fonts``)."""

from __future__ import annotations

import io
from datetime import date, datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..pdf_fonts import CHINESE_FONT as FONT

LABELS = {
    "zh": {
        "title": "考生档案",
        "name": "姓名",
        "id_number": "身份证号",
        "birth_date": "出生日期",
        "employer": "工作单位",
        "centre": "考试中心",
        "registered": "登记时间",
        "sitting": "考试",
        "ticket": "准考证号",
        "application": "申请编号",
        "applications": "考试申请",
        "state": "状态",
        "received": "受理时间",
        "decided_by": "审查人",
        "documents": "材料数",
        "item": "考试项目",
        "session": "场次",
        "attendance": "出勤",
        "results": "成绩",
        "version": "版本",
        "score": "得分",
        "passed": "合格",
        "failed": "不合格",
        "reason": "原因",
        "archive": "存档校验",
        "intact": "完好",
        "broken": "不一致",
        "paper": "试卷与作答（取自已校验存档）",
        "position": "题号",
        "question": "试题",
        "answer": "作答",
        "key": "答案",
        "right": "对错",
        "simulator": "模拟器考试",
        "audit": "审计记录",
        "action": "操作",
        "actor": "操作人",
        "none": "无",
        "not_in_bank": "（题库中已无此版本）",
        "practical_sheets": "实操评分表（考评员签署，含全部版本）",
        "practical_results": "实操成绩版本",
        "examiner": "考评员",
        "total": "总分",
        "vetoes": "否决项",
        "signed_at": "签署时间",
        "amendment": "更正原因",
        "mode": "方式",
        "real": "实机",
        "simulator_mode": "模拟器",
        "status": "状态",
        "agreed": "两名考评员一致",
        "lead_decided": "主考裁定",
        "created": "生成时间",
    },
    "en": {
        "title": "Candidate dossier",
        "name": "Name",
        "id_number": "ID number",
        "birth_date": "Date of birth",
        "employer": "Employer",
        "centre": "Centre",
        "registered": "Registered",
        "sitting": "Sitting",
        "ticket": "Ticket",
        "application": "Application",
        "applications": "Applications",
        "state": "Status",
        "received": "Received",
        "decided_by": "Decided by",
        "documents": "Documents",
        "item": "Item",
        "session": "Session",
        "attendance": "Attendance",
        "results": "Results",
        "version": "Version",
        "score": "Score",
        "passed": "passed",
        "failed": "failed",
        "reason": "Reason",
        "archive": "Archive check",
        "intact": "intact",
        "broken": "does not verify",
        "paper": "Paper and answers (from the verified archive)",
        "position": "No.",
        "question": "Question",
        "answer": "Answer",
        "key": "Key",
        "right": "Right",
        "simulator": "Simulator exam",
        "audit": "Audit trail",
        "action": "Action",
        "actor": "By",
        "none": "None",
        "not_in_bank": "(version no longer in the bank)",
        "practical_sheets": "Practical score sheets (signed by the examiners, every version)",
        "practical_results": "Practical result versions",
        "examiner": "Examiner",
        "total": "Total",
        "vetoes": "Vetoes",
        "signed_at": "Signed",
        "amendment": "Amendment reason",
        "mode": "Mode",
        "real": "crane",
        "simulator_mode": "simulator",
        "status": "Status",
        "agreed": "examiners agreed",
        "lead_decided": "lead examiner decided",
        "created": "Recorded",
    },
}


def _when(value, timezone: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def build_pdf(doc: dict, language: str = "zh", timezone: str = "Asia/Shanghai") -> bytes:
    labels = LABELS[language]
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=labels["title"],
    )
    h1 = ParagraphStyle("h1", fontName=FONT, fontSize=16, leading=20, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=FONT, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=FONT, fontSize=8, leading=10)

    def p(text) -> Paragraph:
        return Paragraph(escape("-" if text is None else str(text)), body)

    c = doc["candidate"]
    story = [
        Paragraph(escape(f"{labels['title']}: {c['name']}"), h1),
        _table(
            [
                [labels["name"], c["name"], labels["id_number"], c["id_number"]],
                [
                    labels["birth_date"],
                    _when(c["birth_date"], timezone),
                    labels["centre"],
                    c["centre"],
                ],
                [
                    labels["employer"],
                    c["employer"] or "-",
                    labels["registered"],
                    _when(c["registered_at"], timezone),
                ],
            ],
            header=False,
        ),
    ]
    if doc.get("applications"):
        story.append(Paragraph(escape(labels["applications"]), h2))
        rows = [[
            labels["application"], labels["item"], labels["received"], labels["state"],
            labels["reason"], labels["decided_by"], labels["documents"],
        ]]
        for a in doc["applications"]:
            rows.append([
                a["number"], a["item"], _when(a["received_at"], timezone), a["state"],
                p(a["decision_reason"]), a["decided_by"] or "-", str(a["documents"]),
            ])
        story.append(_table(rows))
    for s in doc["sittings"]:
        session = s["session"]
        story.append(Paragraph(escape(f"{labels['sitting']} {s['ticket']}"), h2))
        story.append(
            _table(
                [
                    [labels["item"], s["item"], labels["application"], s["application_no"] or "-"],
                    [
                        labels["session"],
                        _session_text(session, timezone),
                        labels["attendance"],
                        s["attendance"],
                    ],
                ],
                header=False,
            )
        )
        theory = s["theory"]
        if theory and theory["results"]:
            rows = [[labels["version"], labels["score"], labels["passed"], labels["reason"]]]
            for r in theory["results"]:
                rows.append(
                    [
                        str(r["version"]),
                        f"{r['score']:.1f}",
                        labels["passed"] if r["passed"] else labels["failed"],
                        p(r["reason"]),
                    ]
                )
            story.append(Spacer(1, 2 * mm))
            story.append(_table(rows))
        if theory and theory["verification"] is not None:
            v = theory["verification"]
            verdict = labels["intact"] if v.ok else labels["broken"] + ": " + "; ".join(v.reasons)
            story.append(
                Paragraph(
                    escape(f"{labels['archive']}: {verdict}  SHA-256 {v.sha256 or '-'}"), body
                )
            )
        if theory and theory["paper"]:
            story.append(Paragraph(escape(labels["paper"]), h2))
            rows = [
                [
                    labels["position"],
                    labels["question"],
                    labels["answer"],
                    labels["key"],
                    labels["right"],
                ]
            ]
            for q in theory["paper"]:
                rows.append(
                    [
                        str(q["position"]),
                        p(q["stem"] if q["stem"] is not None else labels["not_in_bank"]),
                        q["answer"] or "-",
                        q["key"] or "-",
                        "√" if q["correct"] else "×",
                    ]
                )
            story.append(_table(rows, widths=[12 * mm, 120 * mm, 16 * mm, 16 * mm, 12 * mm]))
        if s.get("practical"):
            story += _practical(s["practical"], labels, timezone, h2, body, p)
        if s["simulator"]:
            story.append(Paragraph(escape(labels["simulator"]), h2))
            story.append(
                _table(
                    [[labels["item"], labels["score"], labels["passed"]]]
                    + [
                        [
                            r["scenario"],
                            f"{r['total']:.1f}",
                            "-"
                            if r["passed"] is None
                            else (labels["passed"] if r["passed"] else labels["failed"]),
                        ]
                        for r in s["simulator"]
                    ]
                )
            )
    story.append(Paragraph(escape(labels["audit"]), h2))
    if doc["audit"]:
        rows = [["#", labels["registered"], labels["action"], labels["actor"], labels["reason"]]]
        rows += [
            [str(e["seq"]), _when(e["at"], timezone), e["action"], p(e["actor"]), p(e["reason"])]
            for e in doc["audit"]
        ]
        story.append(_table(rows, widths=[12 * mm, 28 * mm, 45 * mm, 45 * mm, 50 * mm]))
    else:
        story.append(p(labels["none"]))
    pdf.build(story)
    return out.getvalue()


def _outcome(passed, labels) -> str:
    return "-" if passed is None else (labels["passed"] if passed else labels["failed"])


def _practical(practical: dict, labels: dict, timezone: str, h2, body, p) -> list:
    """The practical sitting: each examiner's signed sheet versions, then the results."""
    story = []
    if practical["sheets"]:
        story.append(Paragraph(escape(labels["practical_sheets"]), h2))
        rows = [
            [
                labels["examiner"],
                labels["version"],
                labels["total"],
                labels["vetoes"],
                labels["signed_at"],
                labels["amendment"],
                "SHA-256",
            ]
        ]
        for sheet in practical["sheets"]:
            vetoes = "; ".join(
                v["code"] + (f" ({v['note']})" if v["note"] else "") for v in sheet["vetoes"]
            )
            rows.append(
                [
                    p(sheet["examiner"]),
                    str(sheet["version"]),
                    "-" if sheet["total"] is None else f"{sheet['total']:g}",
                    p(vetoes or "-"),
                    _when(sheet["signed_at"], timezone),
                    p(sheet["reason"]),
                    p(sheet["sha256"]),
                ]
            )
        widths = [22 * mm, 10 * mm, 12 * mm, 30 * mm, 24 * mm, 32 * mm, 50 * mm]
        story.append(_table(rows, widths=widths))
    if practical["results"]:
        story.append(Paragraph(escape(labels["practical_results"]), h2))
        rows = [
            [
                labels["version"],
                labels["mode"],
                labels["score"],
                labels["passed"],
                labels["status"],
                labels["reason"],
                labels["created"],
                "SHA-256",
            ]
        ]
        for r in practical["results"]:
            mode = labels["real"] if r["mode"] == "real" else labels["simulator_mode"]
            reason = r["reason"] and f"{r['reason']} ({r['lead']})"
            rows.append(
                [
                    str(r["version"]),
                    mode,
                    r["score"],
                    _outcome(r["passed"], labels),
                    p(labels.get(r["status"], r["status"])),
                    p(reason),
                    _when(r["created_at"], timezone),
                    p(r["sha256"]),
                ]
            )
        widths = [10 * mm, 14 * mm, 12 * mm, 14 * mm, 20 * mm, 34 * mm, 24 * mm, 52 * mm]
        story.append(_table(rows, widths=widths))
    return story


def _session_text(session: dict | None, timezone: str) -> str:
    if session is None:
        return "-"
    return f"#{session['id']} {_when(session['starts_at'], timezone)} {session['room']}"


def _table(rows, header: bool = True, widths=None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")))
    table.setStyle(TableStyle(style))
    return table
