"""The answer letter to an appeal or complaint (答复函), in Chinese or English. Pure:
plain values in, PDF bytes out (reportlab, the platform's CID font)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..pdf_fonts import CHINESE_FONT as FONT


@dataclass(frozen=True, slots=True)
class LetterData:
    centre_name: str
    case_number: str
    case_type: str
    complainant_name: str
    received_on: date
    answered_on: date
    summary: str
    outcome: str
    answer: str
    remedy: str | None
    score_before: float | None = None
    score_after: float | None = None


TEXT = {
    "zh": {
        "title": "申诉（投诉）答复函",
        "dear": "{name}：",
        "intro": "本机构于 {received} 收到您的{kind}（编号 {number}），现答复如下。",
        "summary": "您反映的问题",
        "outcome": "处理结论",
        "answer": "答复",
        "remedy": "处理措施",
        "score": "复核后成绩",
        "score_text": "原成绩 {before} 分，复核后 {after} 分。",
        "closing": "如对本答复有异议，请自收到之日起与本机构联系。",
        "date": "{centre}\n{answered}",
        "types": {
            "score_theory": "理论考试成绩复核申请",
            "score_practical": "实际操作考试成绩复核申请",
            "conduct": "考试组织投诉",
            "other": "来信",
        },
        "outcomes": {
            "upheld": "申诉成立",
            "partly_upheld": "申诉部分成立",
            "not_upheld": "申诉不成立",
            "invalid": "不予受理",
        },
    },
    "en": {
        "title": "Answer to your appeal or complaint",
        "dear": "Dear {name},",
        "intro": "On {received} the centre received your {kind} (case {number}). Our answer"
        " follows.",
        "summary": "What you raised",
        "outcome": "Outcome",
        "answer": "Answer",
        "remedy": "Remedy",
        "score": "Score after review",
        "score_text": "Score before review {before}; after review {after}.",
        "closing": "If you disagree with this answer, please contact the centre.",
        "date": "{centre}\n{answered}",
        "types": {
            "score_theory": "request for a review of your theory score",
            "score_practical": "request for a review of your practical score",
            "conduct": "complaint about the conduct of the exam",
            "other": "letter",
        },
        "outcomes": {
            "upheld": "Upheld",
            "partly_upheld": "Partly upheld",
            "not_upheld": "Not upheld",
            "invalid": "Not admissible",
        },
    },
}


def _paragraphs(text: str, style: ParagraphStyle) -> list[Paragraph]:
    return [Paragraph(escape(line) or "&nbsp;", style) for line in text.splitlines() or [""]]


def build_letter_pdf(data: LetterData, language: str = "zh") -> bytes:
    t = TEXT["en" if language == "en" else "zh"]
    body = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=1)
    label = ParagraphStyle("label", parent=body, fontSize=10, textColor="#444444")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=22 * mm,
        bottomMargin=22 * mm,
        title=t["title"],
        author=data.centre_name,
    )
    story: list = [Paragraph(escape(t["title"]), title), Spacer(1, 8 * mm)]
    story.append(Paragraph(escape(t["dear"].format(name=data.complainant_name)), body))
    story.append(Spacer(1, 3 * mm))
    intro = t["intro"].format(
        received=data.received_on.isoformat(),
        kind=t["types"].get(data.case_type, data.case_type),
        number=data.case_number,
    )
    story.append(Paragraph(escape(intro), body))
    story.append(Spacer(1, 4 * mm))
    rows = [
        (t["summary"], data.summary),
        (t["outcome"], t["outcomes"].get(data.outcome, data.outcome)),
        (t["answer"], data.answer),
    ]
    if data.remedy:
        rows.append((t["remedy"], data.remedy))
    if data.score_before is not None and data.score_after is not None:
        rows.append(
            (t["score"], t["score_text"].format(before=data.score_before, after=data.score_after))
        )
    table = Table(
        [[Paragraph(escape(k), label), _paragraphs(v, body)] for k, v in rows],
        colWidths=[35 * mm, None],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, "#bbbbbb"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story += [table, Spacer(1, 6 * mm), Paragraph(escape(t["closing"]), body)]
    story.append(Spacer(1, 12 * mm))
    signature = ParagraphStyle("sig", parent=body, alignment=2)
    story += _paragraphs(
        t["date"].format(centre=data.centre_name, answered=data.answered_on.isoformat()),
        signature,
    )
    doc.build(story)
    return buffer.getvalue()
