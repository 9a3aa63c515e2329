"""Admission tickets (准考证) as a PDF (reportlab). Pure: plain values in, bytes out.

One A4 page per ticket: candidates bring their own ticket, a full page survives a pocket and
a printer's margins, and no cutting is needed at the desk. Each page has the title 准考证,
the ticket number printed large, a table of the sitting's details, the candidate's photo
(or an empty 照片 box to glue one in), and the rules for candidates (考生须知).

The ID number is always printed masked (first 6 and last 4 characters): the ticket is shown
and left on desks, and the full number is checked against the ID card itself at check-in.
Requiring the ID card and the ticket together follows the Shaanxi centre procedure quoted
in domain.md §4 [REPORTED]; the other default rules are this project's sensible wording
[INFERENCE] and a centre may pass its own (``rules_zh``).

Chinese is set in reportlab's built-in CID font STSong-Light (as ``compliance/pdf.py``):
nothing is embedded or downloaded. That font has no middle dot (·), so none is used.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..pdf_fonts import CHINESE_FONT as FONT

MARGIN = 18 * mm
PHOTO_WIDTH = 33 * mm  # a 2-inch (二寸) photo is 35 x 49 mm; the box leaves a border
PHOTO_HEIGHT = 46 * mm
WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")

DEFAULT_RULES_ZH: tuple[str, ...] = (
    "请于考试开始前30分钟到达考场，凭本准考证和本人有效居民身份证原件入场，两证缺一不得入场。",
    "考试开始15分钟后不得入场，按缺考处理。",
    "入场时须接受人证核验和拍照；理论考试全程面部须保持在摄像范围内。",
    "手机、智能手表等电子设备及书籍、笔记、资料不得带至座位，须关机后放在指定位置。",
    "服从监考人员和考评人员的安排，独立完成考试，不得交谈、抄袭或协助他人作弊。",
    "实际操作考试须穿戴安全帽、工作服和防滑鞋，遵守安全操作规程；"
    "遇到危险情况立即停止操作并报告考评人员。",
    "考试结束后按指示离场，不得将试题、草稿纸带出考场。",
    "违反考场纪律的，按有关规定处理，直至取消本次考试成绩。",
)


@dataclass(frozen=True, slots=True)
class AdmissionTicketData:
    """What one ticket shows. ``masked_id`` is printed as given: mask it first."""

    ticket_number: str
    name: str
    masked_id: str
    item: str
    item_name_zh: str
    exam_date: datetime.date
    start_time: datetime.time
    end_time: datetime.time
    room: str
    terminal: str | None
    centre_name: str
    centre_address: str
    photo_jpeg: bytes | None = None


def mask_id_number(number: str) -> str:
    """Show the first 6 and last 4 characters: ``330106********4517``.

    Anything of 10 characters or fewer is masked entirely.
    """
    text = "".join(number.split())
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def format_date_zh(day: datetime.date) -> str:
    """``2026年5月10日（星期日）``."""
    return f"{day.year}年{day.month}月{day.day}日（星期{WEEKDAYS_ZH[day.weekday()]}）"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=11, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=26, leading=34, alignment=TA_CENTER),
        "subtitle": ParagraphStyle(
            "subtitle",
            parent=base,
            fontSize=12,
            alignment=TA_CENTER,
            textColor=colors.HexColor("#444444"),
        ),
        "number": ParagraphStyle(
            "number", parent=base, fontSize=22, leading=30, alignment=TA_CENTER
        ),
        "label": ParagraphStyle("label", parent=base, textColor=colors.HexColor("#333333")),
        "value": ParagraphStyle("value", parent=base, fontSize=12.5, leading=18),
        "photo": ParagraphStyle(
            "photo", parent=base, alignment=TA_CENTER, textColor=colors.HexColor("#888888")
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=14, leading=20, spaceBefore=4, spaceAfter=4
        ),
        "rule": ParagraphStyle(
            "rule", parent=base, fontSize=10.5, leading=16, leftIndent=14, firstLineIndent=-14
        ),
        "footer": ParagraphStyle(
            "footer",
            parent=base,
            fontSize=9,
            alignment=TA_CENTER,
            textColor=colors.HexColor("#666666"),
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _photo(photo_jpeg: bytes | None, style: ParagraphStyle) -> Any:
    """The photo scaled into the box, or the words 照片 when there is none (or it is unreadable)."""
    if not photo_jpeg:
        return _p("照片", style)
    try:
        width, height = ImageReader(io.BytesIO(photo_jpeg)).getSize()
    except Exception:  # whatever is wrong with the image, print the empty box instead
        return _p("照片", style)
    scale = min(PHOTO_WIDTH / width, PHOTO_HEIGHT / height)
    return Image(io.BytesIO(photo_jpeg), width=width * scale, height=height * scale)


def _ticket_story(ticket: AdmissionTicketData, rules_zh: Sequence[str], width: float) -> list:
    s = _styles()
    times = f"{ticket.start_time:%H:%M} 至 {ticket.end_time:%H:%M}"
    fields = [
        ("姓名", ticket.name),
        ("身份证号", ticket.masked_id),
        ("考试项目", f"{ticket.item} {ticket.item_name_zh}"),
        ("考试日期", format_date_zh(ticket.exam_date)),
        ("考试时间", times),
        ("考场", ticket.room),
        ("考试终端", ticket.terminal or "入场时由监考人员安排"),
        ("考试机构", ticket.centre_name),
        ("考试地址", ticket.centre_address),
    ]
    photo_rows = 6  # the photo sits beside the first six fields
    rows = []
    for index, (label, value) in enumerate(fields):
        photo = _photo(ticket.photo_jpeg, s["photo"]) if index == 0 else ""
        rows.append([_p(label, s["label"]), _p(value, s["value"]), photo])
    label_width = 26 * mm
    photo_width = PHOTO_WIDTH + 8 * mm
    table = Table(
        rows,
        colWidths=[label_width, width - label_width - photo_width, photo_width],
        rowHeights=[9 * mm] * photo_rows + [None] * (len(fields) - photo_rows),
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.HexColor("#555555")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("SPAN", (2, 0), (2, photo_rows - 1)),
                ("ALIGN", (2, 0), (2, 0), "CENTER"),
                *[("SPAN", (1, r), (2, r)) for r in range(photo_rows, len(fields))],
            ]
        )
    )
    story: list = [
        _p("准考证", s["title"]),
        _p(f"{ticket.centre_name}  特种设备作业人员考试", s["subtitle"]),
        Spacer(1, 6 * mm),
        _p(f"准考证号：{ticket.ticket_number}", s["number"]),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 8 * mm),
        _p("考生须知", s["h2"]),
    ]
    story += [_p(f"{n}. {rule}", s["rule"]) for n, rule in enumerate(rules_zh, start=1)]
    story += [
        Spacer(1, 8 * mm),
        _p("本准考证仅限本人参加本场次考试使用，请妥善保管。", s["footer"]),
    ]
    return story


def build_admission_tickets_pdf(
    tickets: Sequence[AdmissionTicketData], rules_zh: Sequence[str] = DEFAULT_RULES_ZH
) -> bytes:
    """One A4 page per ticket, in the order given. Raises ``ValueError`` for no tickets."""
    if not tickets:
        raise ValueError("no admission tickets to print")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title="准考证",  # no names or numbers in the metadata
        author="examcentre",
    )
    width = A4[0] - 2 * MARGIN
    story: list = []
    for index, ticket in enumerate(tickets):
        if index:
            story.append(PageBreak())
        story += _ticket_story(ticket, rules_zh, width)
    doc.build(story)
    return buffer.getvalue()
