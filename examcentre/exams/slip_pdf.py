"""The candidate's theory-exam result slip (成绩单) as a PDF (reportlab). Pure: bytes out.

One A4 page: the title, a correction banner when the result was re-issued, the verdict
printed large (合格 PASS / 不合格 FAIL) with the score beside the pass mark, then three
tables (candidate, sitting, result), the archive digest and the footer.

Decisions:

- **Both languages on every slip.** Each label is printed in both languages; ``language``
  ("zh_CN" or "en") only chooses which comes first and large, the other following in
  smaller grey type. A slip is a record that may be shown to an employer or an authority
  reading either language, and the same facts in the same places make two slips of one
  result easy to compare. Values (names, rooms, item names) are printed as recorded.
- **The ID number is masked here** (first 6 and last 4, as on the admission ticket,
  ``sessions.tickets_pdf.mask_id_number``): callers pass the full number and it never
  reaches the PDF.
- **Times in Beijing time.** Start, submit and issue times are aware datetimes converted to
  Asia/Shanghai (the centre's time zone, the config default) and labelled 北京时间; the
  exam date is the session's date as given.
- **The score is cut, not rounded, to one decimal**, so a 59.96 is never printed as 60.0
  beside 不合格. Scores already at one decimal (what grading stores) print unchanged.
- **The archive digest** (SHA-256 of the archived record, ``exams.archive``) is printed in
  a monospaced font, four groups of eight per line over two lines, so a reader can compare
  it with what the centre holds.
- **One page, always.** The body is shrunk as a whole to fit when a long correction reason or name
  would otherwise spill onto a second page; the footer is drawn at a fixed place.

Chinese is set in reportlab's built-in CID font STSong-Light (``pdf_fonts``): nothing is
embedded or downloaded. That font has no middle dot, so none is used.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..pdf_fonts import CHINESE_FONT as FONT
from ..sessions.tickets_pdf import format_date_zh, mask_id_number

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
LANGUAGES = ("zh_CN", "en")
MONO = "Courier"
EN = "Helvetica"
EN_BOLD = "Helvetica-Bold"
MARGIN = 16 * mm
FOOTER_HEIGHT = 14 * mm
TOP_MARGIN = 12 * mm
FRAME_PADDING = 6  # points: reportlab's default Frame padding
PASS_COLOUR = colors.HexColor("#1e7e34")
FAIL_COLOUR = colors.HexColor("#c82333")
CORRECTION_COLOUR = colors.HexColor("#b35c00")
GREY = colors.HexColor("#666666")
LABEL_BACKGROUND = colors.HexColor("#eef2f6")
GRID = colors.HexColor("#8a96a3")
# A label column of about 30 mm, its value column, as fractions of the frame width.
LABEL_VALUE_WIDTHS = ["17%", "33%"]
_SHA256_HEX = re.compile(r"[0-9a-f]{64}\Z")


@dataclass(frozen=True, slots=True)
class SlipData:
    """What one slip shows. ``id_number`` is the full number: the slip masks it.

    Datetimes must be time-zone aware (they are printed in Beijing time). ``score`` is on
    0 to 100; ``earned_points`` of ``total_points``. ``result_version`` > 1 marks a
    corrected result, ``correction_reason`` says why.
    """

    centre_name: str
    item_code: str
    item_name: str
    room: str
    session_date: datetime.date
    started_at: datetime.datetime
    submitted_at: datetime.datetime
    candidate_name: str
    id_number: str
    ticket_number: str
    terminal: str | None
    question_count: int
    answered_count: int
    correct_count: int
    earned_points: float
    total_points: float
    score: float
    pass_mark: float
    passed: bool
    failed_on_critical: bool
    archive_digest: str
    issued_at: datetime.datetime
    result_version: int = 1
    correction_reason: str | None = None

    def __post_init__(self) -> None:
        for name in ("started_at", "submitted_at", "issued_at"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must be a time-zone aware datetime")
        if not 0 <= self.score <= 100:
            raise ValueError(f"score must be between 0 and 100, not {self.score}")
        if not 0 <= self.answered_count <= self.question_count:
            raise ValueError("answered_count must be between 0 and question_count")
        if not 0 <= self.correct_count <= self.answered_count:
            raise ValueError("correct_count must be between 0 and answered_count")
        if self.failed_on_critical and self.passed:
            raise ValueError("a result failed on a critical question cannot be a pass")
        if self.result_version < 1:
            raise ValueError("result_version starts at 1")
        if not _SHA256_HEX.match(self.archive_digest):
            raise ValueError("archive_digest must be a SHA-256 digest in lower-case hex")

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)


# --- Formatting -------------------------------------------------------------------------------


def format_score(score: float) -> str:
    """One decimal, cut rather than rounded: ``87.5``, ``100.0``, ``59.9`` for 59.96."""
    return str(Decimal(repr(float(score))).quantize(Decimal("0.1"), rounding=ROUND_DOWN))


def format_points(points: float) -> str:
    """``90`` for 90.0, ``87.5``, ``0.25``: as many decimals as the value has."""
    return format(Decimal(repr(float(points))).normalize(), "f")


def format_local_time(moment: datetime.datetime) -> str:
    """``2026-05-10 09:02:03`` in Beijing time."""
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M:%S")


def format_date_en(day: datetime.date) -> str:
    """``Sunday 10 May 2026``."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def digest_lines(digest: str) -> list[str]:
    """The digest as two lines of four groups of eight characters."""
    groups = [digest[i : i + 8] for i in range(0, len(digest), 8)]
    return [" ".join(groups[i : i + 4]) for i in range(0, len(groups), 4)]


# --- Layout ---------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=10.5, leading=14, wordWrap="CJK")

    def style(name: str, **values: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **values)

    return {
        "centre": style("centre", fontSize=11, leading=15, alignment=TA_CENTER, textColor=GREY),
        "title": style("title", fontSize=22, leading=28, alignment=TA_CENTER),
        "title_other": style(
            "title_other", fontSize=12, leading=16, alignment=TA_CENTER, textColor=GREY
        ),
        "banner": style("banner", fontSize=12, leading=17, textColor=CORRECTION_COLOUR),
        "banner_reason": style("banner_reason", fontSize=10, leading=14),
        "verdict": style("verdict", fontSize=36, leading=40, alignment=TA_CENTER),
        "verdict_other": style("verdict_other", fontSize=15, leading=20, alignment=TA_CENTER),
        "score": style("score", fontSize=28, leading=34, alignment=TA_CENTER),
        "score_note": style(
            "score_note", fontSize=9.5, leading=13, alignment=TA_CENTER, textColor=GREY
        ),
        "critical": style(
            "critical", fontSize=10, leading=14, alignment=TA_CENTER, textColor=FAIL_COLOUR
        ),
        "h2": style("h2", fontSize=12, leading=15, spaceAfter=2),
        "label": style("label", fontSize=9.5, leading=11.5),
        "value": style("value", fontSize=11, leading=14),
        "digest": style("digest", fontName=MONO, fontSize=12, leading=16),
        "note": style("note", fontSize=8.5, leading=12, textColor=GREY),
    }


def _en(text: str, *, bold: bool = False) -> str:
    """Fixed English wording as markup, in Helvetica: STSong-Light's Latin letters are
    spaced oddly by readers that substitute another CJK font. Never used for recorded values
    (names, rooms, reasons), which may be Chinese."""
    return f'<font face="{EN_BOLD if bold else EN}">{escape(text)}</font>'


def _small(markup: str, size: float) -> str:
    return f'<font size="{size}" color="#666666">{markup}</font>'


class _Bilingual:
    """Puts the chosen language first and the other after it, smaller and grey.

    ``zh`` and ``en`` are fixed wording (plain text); the methods return Paragraph markup.
    """

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        self.chinese_first = language == "zh_CN"

    def order(self, zh: str, en: str, *, bold: bool = False) -> tuple[str, str]:
        pair = (escape(zh), _en(en, bold=bold))
        return pair if self.chinese_first else (pair[1], pair[0])

    def inline(self, zh: str, en: str, size: float) -> str:
        first, second = self.order(zh, en)
        return f"{first} {_small(second, size)}"

    def stacked(self, zh: str, en: str, size: float) -> str:
        first, second = self.order(zh, en)
        return f"{first}<br/>{_small(second, size)}"


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


Field = tuple[tuple[str, str], Any, bool]  # (zh label, en label), value, full width


def _fields_table(rows: list[Field], s: dict, lang: _Bilingual) -> Table:
    """Label/value pairs, two pairs per row; a full-width pair takes a row of its own."""
    cells: list[list[Any]] = []
    spans: list[tuple] = []
    row: list[Any] = []

    def flush() -> None:
        if row:
            cells.append(row + [""] * (4 - len(row)))
            row.clear()

    for (zh, en), value, wide in rows:
        if wide:
            flush()
        label = Paragraph(lang.stacked(zh, en, 7.5), s["label"])
        row += [label, value if isinstance(value, Paragraph) else _p(str(value), s["value"])]
        if wide:
            spans.append(("SPAN", (1, len(cells)), (3, len(cells))))
            flush()
        elif len(row) == 4:
            flush()
    flush()
    wide_rows = {span[1][1] for span in spans}
    pair_rows = [r for r in range(len(cells)) if r not in wide_rows]
    table = Table(cells, colWidths=LABEL_VALUE_WIDTHS * 2)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("BACKGROUND", (0, 0), (0, -1), LABEL_BACKGROUND),
                *[("BACKGROUND", (2, r), (2, r), LABEL_BACKGROUND) for r in pair_rows],
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 5),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
                *spans,
            ]
        )
    )
    return table


def _verdict_box(data: SlipData, s: dict, lang: _Bilingual) -> Table:
    colour = (PASS_COLOUR if data.passed else FAIL_COLOUR).hexval()
    zh, en = ("合格", "PASS") if data.passed else ("不合格", "FAIL")
    first, second = lang.order(zh, en, bold=True)
    score = format_score(data.score)
    mark = format_points(data.pass_mark)
    verdict = [
        Paragraph(f'<font color="{colour}">{first}</font>', s["verdict"]),
        Paragraph(f'<font color="{colour}">{second}</font>', s["verdict_other"]),
    ]
    numbers = [
        _p(score, s["score"]),
        Paragraph(
            lang.inline(f"成绩 {score} 分（百分制）", f"Score {score} out of 100", 8.5)
            + "<br/>"
            + lang.inline(f"合格分数线 {mark} 分", f"Pass mark {mark}", 8.5),
            s["score_note"],
        ),
    ]
    rows: list[list[Any]] = [[verdict, numbers]]
    style: list[tuple] = [
        ("BOX", (0, 0), (-1, -1), 1.6, colour),
        ("LINEAFTER", (0, 0), (0, 0), 0.6, colour),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
    ]
    if data.failed_on_critical:
        critical = lang.inline(
            "关键题答错，无论总分多少均判定为不合格。",
            "A critical question was answered wrongly: a fail whatever the score.",
            8.5,
        )
        rows.append([Paragraph(critical, s["critical"]), ""])
        style += [("SPAN", (0, 1), (1, 1)), ("LINEABOVE", (0, 1), (-1, 1), 0.6, colour)]
    table = Table(rows, colWidths=["50%", "50%"])
    table.setStyle(TableStyle(style))
    return table


def _correction_banner(data: SlipData, s: dict, lang: _Bilingual) -> Table:
    version = data.result_version
    content: list[Any] = [
        Paragraph(lang.inline(f"更正版 {version}", f"Corrected version {version}", 10), s["banner"])
    ]
    if data.correction_reason:
        label = lang.inline("更正原因", "Reason", 8.5)
        content.append(Paragraph(f"{label}：{escape(data.correction_reason)}", s["banner_reason"]))
    table = Table([[content]], colWidths=["100%"])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1, CORRECTION_COLOUR),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fff4e5")),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _story(data: SlipData, lang: _Bilingual) -> list[Any]:
    s = _styles()
    title, title_other = lang.order("理论知识考试成绩单", "Theory Exam Result Slip")
    story: list[Any] = [
        _p(data.centre_name, s["centre"]),
        Spacer(1, 2 * mm),
        Paragraph(title, s["title"]),
        Paragraph(title_other, s["title_other"]),
        Spacer(1, 3.5 * mm),
    ]
    if data.result_version > 1:
        story += [_correction_banner(data, s, lang), Spacer(1, 3.5 * mm)]
    story += [_verdict_box(data, s, lang), Spacer(1, 5 * mm)]

    def heading(zh: str, en: str) -> Paragraph:
        return Paragraph(lang.inline(zh, en, 9), s["h2"])

    def note(zh: str, en: str, *, stacked: bool = False) -> Paragraph:
        markup = lang.stacked(zh, en, 7.5) if stacked else lang.inline(zh, en, 7.5)
        return Paragraph(markup, s["note"])

    day = data.session_date
    date_markup = (format_date_zh(day), _en(format_date_en(day)))
    if not lang.chinese_first:
        date_markup = date_markup[::-1]
    story += [
        heading("考生信息", "Candidate"),
        _fields_table(
            [
                (("姓名", "Name"), data.candidate_name, False),
                (("身份证号", "ID number"), data.masked_id, False),
                (("准考证号", "Ticket number"), data.ticket_number, False),
                (("考试终端", "Terminal"), data.terminal or "-", False),
            ],
            s,
            lang,
        ),
        Spacer(1, 3.5 * mm),
        heading("考试信息", "Sitting"),
        _fields_table(
            [
                (("考试项目", "Item"), f"{data.item_code} {data.item_name}", True),
                (("考试机构", "Centre"), data.centre_name, True),
                (("考场", "Room"), data.room, False),
                (
                    ("考试日期", "Date"),
                    Paragraph(f"{date_markup[0]}<br/>{_small(date_markup[1], 8)}", s["value"]),
                    False,
                ),
                (("开始时间", "Started"), format_local_time(data.started_at), False),
                (("交卷时间", "Submitted"), format_local_time(data.submitted_at), False),
            ],
            s,
            lang,
        ),
        note(
            "本成绩单中的时间均为北京时间（UTC+8）。",
            "All times on this slip are Beijing time (UTC+8).",
        ),
        Spacer(1, 3.5 * mm),
        heading("考试结果", "Result"),
        _fields_table(
            [
                (("试题数", "Questions"), data.question_count, False),
                (("已作答", "Answered"), data.answered_count, False),
                (("答对", "Correct"), data.correct_count, False),
                (
                    ("得分", "Points"),
                    f"{format_points(data.earned_points)} / {format_points(data.total_points)}",
                    False,
                ),
                (("成绩", "Score"), format_score(data.score), False),
                (("合格分数线", "Pass mark"), format_points(data.pass_mark), False),
                (("成绩版本", "Version"), data.result_version, False),
                (("出具时间", "Issued"), format_local_time(data.issued_at), False),
            ],
            s,
            lang,
        ),
        Spacer(1, 3.5 * mm),
        heading("存档校验码", "Archive digest (SHA-256)"),
        Table(
            [[Paragraph("<br/>".join(digest_lines(data.archive_digest)), s["digest"])]],
            colWidths=["100%"],
            style=TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.5, GRID),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            ),
        ),
        note(
            "本次考试的作答、事件和成绩已全部自动记录存档；上述校验码是该存档的 SHA-256 值，"
            "可向考试机构核对，以确认存档未被改动。",
            "Every answer, event and the score of this attempt were archived automatically; "
            "the code above is the SHA-256 of that archive. Ask the centre to compare it to "
            "confirm the archive is unchanged.",
            stacked=True,
        ),
    ]
    return story


def _footer(lang: _Bilingual) -> Any:
    zh = "本成绩单仅记录理论知识考试成绩；实际操作考试另行组织、另行记录成绩。"
    en = (
        "This slip records the theory exam only. "
        "The practical exam is held and recorded separately."
    )
    lines = [(zh, FONT), (en, EN)] if lang.chinese_first else [(en, EN), (zh, FONT)]

    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        top = MARGIN + FOOTER_HEIGHT - 2 * mm
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.5)
        # The frame insets its content by FRAME_PADDING: the rule lines up with the tables.
        canvas.line(MARGIN + FRAME_PADDING, top, A4[0] - MARGIN - FRAME_PADDING, top)
        (first, first_font), (second, second_font) = lines
        canvas.setFont(first_font, 9.5)
        canvas.drawCentredString(A4[0] / 2, top - 5 * mm, first)
        canvas.setFont(second_font, 8)
        canvas.setFillColor(GREY)
        canvas.drawCentredString(A4[0] / 2, top - 9.5 * mm, second)
        canvas.restoreState()

    return draw


def render_slip(data: SlipData, *, language: str = "zh_CN") -> bytes:
    """One A4 page for ``data``. ``language`` ("zh_CN" or "en") comes first and large; the
    other language follows every label, smaller. Raises ``ValueError`` for another language.
    """
    lang = _Bilingual(language)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=TOP_MARGIN,
        bottomMargin=MARGIN + FOOTER_HEIGHT,
        title="成绩单 Result slip",  # no names or numbers in the metadata
        author="examcentre",
    )
    # Column widths are fractions of the frame, so when the body is too tall for the page
    # KeepInFrame lays it out wider and shrinks it as a whole: tables and text stay aligned.
    body = KeepInFrame(doc.width, doc.height, _story(data, lang), mode="shrink")
    footer = _footer(lang)
    doc.build([body], onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
