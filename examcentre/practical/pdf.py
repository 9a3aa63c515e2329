"""Printable practical-exam documents (pure: plain values in, PDF bytes out).

- ``build_score_sheet_pdf``: one candidate's score sheet: every task with its points, each
  deduction with its reason, per examiner (each examiner's signed sheet and its SHA-256), the
  vetoes with the examiners' notes, the result, and signature lines for the examiners, the
  lead examiner and the candidate.
- ``build_roster_pdf``: the whole session: candidates, attendance, each examiner's total, the
  result, and signature lines.

Chinese is set in ``pdf_fonts.CHINESE_FONT``; every label is bilingual (中文 / English).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..pdf_fonts import CHINESE_FONT

BODY = ParagraphStyle("body", fontName=CHINESE_FONT, fontSize=9, leading=12)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
TITLE = ParagraphStyle("title", parent=BODY, fontSize=14, leading=18, spaceAfter=4)
HEADING = ParagraphStyle("heading", parent=BODY, fontSize=11, leading=14, spaceBefore=6)
GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), CHINESE_FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    escaped = str(text if text is not None else "—")
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped, style)


@dataclass(frozen=True)
class ExaminerSheetData:
    examiner: str
    version: int
    status: str  # "signed" or "draft"
    total: str
    signed_at: str | None
    sha256: str | None
    # (task label, points, earned, [(deduction label, units, amount)])
    tasks: Sequence[tuple[str, str, str, Sequence[tuple[str, int, str]]]]
    vetoes: Sequence[tuple[str, str]] = ()  # (veto label, note)
    reason: str | None = None


@dataclass(frozen=True)
class ScoreSheetData:
    centre: str
    sheet_title: str  # "起重机司机…评分表 / Crane driver … score sheet"
    sheet_label: str  # "Q2-PRACTICAL v1"
    sheet_hash: str
    item: str
    session: str  # date, room
    equipment: str
    candidate: str
    ticket: str
    masked_id: str
    sheets: Sequence[ExaminerSheetData]
    result: dict[str, str] | None = None  # score, passed, mode, sitting, status, reason, sha256
    lead: str | None = None
    examiners: Sequence[str] = field(default_factory=tuple)


def _sheet_table(sheet: ExaminerSheetData) -> Table:
    rows: list[list[Any]] = [[_p("项目 Task", SMALL), _p("分值 Points", SMALL),
                              _p("扣分 Deductions", SMALL), _p("得分 Earned", SMALL)]]  # fmt: skip
    for label, points, earned, deductions in sheet.tasks:
        lines = "; ".join(f"{d} x{u}: -{a}" for d, u, a in deductions) or "—"
        rows.append([_p(label, SMALL), _p(points, SMALL), _p(lines, SMALL), _p(earned, SMALL)])
    rows.append([_p("合计 Total", SMALL), "", "", _p(sheet.total, SMALL)])
    table = Table(rows, colWidths=[55 * mm, 18 * mm, 85 * mm, 20 * mm], repeatRows=1)
    table.setStyle(GRID)
    return table


def _signature_lines(names: Sequence[str]) -> Table:
    rows = [[_p(f"{name}  签名 Signature: ____________________  日期 Date: __________")]
            for name in names]  # fmt: skip
    table = Table(rows, colWidths=[178 * mm])
    table.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 10)]))
    return table


def build_score_sheet_pdf(data: ScoreSheetData) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=15 * mm, title=f"{data.ticket} {data.sheet_label}",
    )  # fmt: skip
    story: list[Any] = [
        _p(data.sheet_title, TITLE),
        _p(f"{data.centre}  |  {data.sheet_label}  SHA-256 {data.sheet_hash[:16]}…", SMALL),
        Spacer(1, 4),
        _p(
            f"考生 Candidate: {data.candidate}   准考证号 Ticket: {data.ticket}"
            f"   身份证号 ID: {data.masked_id}"
        ),
        _p(f"项目 Item: {data.item}   场次 Session: {data.session}   设备 Crane: {data.equipment}"),
    ]
    for sheet in data.sheets:
        state = "已签名 signed" if sheet.status == "signed" else "草稿 draft"
        story.append(
            _p(f"考评人员 Examiner: {sheet.examiner}  (v{sheet.version}, {state})", HEADING)
        )
        if sheet.reason:
            story.append(_p(f"更正原因 Amendment reason: {sheet.reason}", SMALL))
        story.append(_sheet_table(sheet))
        for label, note in sheet.vetoes:
            story.append(_p(f"否决项 Veto: {label}  ({note})"))
        if sheet.signed_at:
            story.append(
                _p(f"签名时间 Signed at: {sheet.signed_at}  SHA-256 {sheet.sha256}", SMALL)
            )
    story.append(_p("成绩 Result", HEADING))
    if data.result:
        r = data.result
        story.append(
            _p(
                f"成绩 Score: {r['score']}   {'合格 PASSED' if r['passed'] else '不合格 FAILED'}"
                f"   方式 Mode: {r['mode']}   第 {r['sitting']} 次 Sitting {r['sitting']}"
                f"   {r['status']}"
            )
        )
        if r.get("reason"):
            story.append(_p(f"主考裁定理由 Lead examiner's reason: {r['reason']}"))
        story.append(_p(f"SHA-256 {r['sha256']}", SMALL))
    else:
        story.append(_p("尚无成绩 No result yet"))
    story.append(Spacer(1, 6))
    names = [f"考评人员 Examiner {n}" for n in data.examiners]
    if data.lead:
        names.append(f"主考 Lead examiner {data.lead}")
    names.append(f"考生 Candidate {data.candidate}")
    story.append(_signature_lines(names))
    doc.build(story)
    return buffer.getvalue()


@dataclass(frozen=True)
class RosterRow:
    ticket: str
    name: str
    masked_id: str
    attendance: str
    totals: str  # "王五 82 / 孙八 80"
    score: str
    verdict: str


@dataclass(frozen=True)
class RosterData:
    centre: str
    item: str
    session: str
    equipment: str
    examiners: Sequence[str]
    lead: str | None
    rows: Sequence[RosterRow]


def build_roster_pdf(data: RosterData) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
        topMargin=12 * mm, bottomMargin=12 * mm, title=f"{data.item} {data.session}",
    )  # fmt: skip
    story: list[Any] = [
        _p("实际操作技能考试场次名单 Practical exam session roster", TITLE),
        _p(
            f"{data.centre}   项目 Item: {data.item}   场次 Session: {data.session}"
            f"   设备 Crane: {data.equipment}"
        ),
        _p(f"考评人员 Examiners: {', '.join(data.examiners)}   主考 Lead: {data.lead or '—'}"),
        Spacer(1, 6),
    ]
    rows: list[list[Any]] = [[_p(h, SMALL) for h in (
        "准考证号 Ticket", "姓名 Name", "身份证号 ID", "考勤 Attendance",
        "考评人员评分 Examiners' totals", "成绩 Score", "结论 Verdict")]]  # fmt: skip
    for row in data.rows:
        rows.append([_p(v, SMALL) for v in (row.ticket, row.name, row.masked_id, row.attendance,
                                            row.totals, row.score, row.verdict)])  # fmt: skip
    table = Table(rows, colWidths=[35 * mm, 28 * mm, 40 * mm, 28 * mm, 70 * mm, 22 * mm, 30 * mm],
                  repeatRows=1)  # fmt: skip
    table.setStyle(GRID)
    story.append(table)
    story.append(Spacer(1, 10))
    names = [f"考评人员 Examiner {n}" for n in data.examiners]
    story.append(_signature_lines(names))
    doc.build(story)
    return buffer.getvalue()


__all__ = [
    "ExaminerSheetData",
    "RosterData",
    "RosterRow",
    "ScoreSheetData",
    "build_roster_pdf",
    "build_score_sheet_pdf",
]
