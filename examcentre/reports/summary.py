"""The period summary report (汇总报表), pure: aggregated rows in, a document out, and the
document as CSV, XLSX and PDF.

The figures come already aggregated by the database (``reports.queries``); this module only
merges them per centre and item, derives the rates, and lays them out. Rates:

- pass rate of a subject = passed / decided results (a result with ``passed`` null, e.g. a
  simulator run whose remaining tasks wait for the examiners, is not decided);
- overall pass rate = candidates (per item, in the period) who passed both theory and
  practical (or simulator) / candidates with a decided result of each; theory and practical
  are separate sittings, paired by ID number;
- retakes = sittings that are not the candidate's first of the item (ever, not only in the
  period); absences = sittings marked absent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from xml.sax.saxutils import escape

from openpyxl import Workbook
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..pdf_fonts import CHINESE_FONT as FONT

FORMAT = "examcentre.summary/1"
BINS = 10
PRACTICAL_SUBJECTS = ("practical", "simulator")

LABELS = {
    "zh": {
        "title": "考试汇总报表",
        "period": "统计期间",
        "centre": "考试中心",
        "all_centres": "全部考试中心",
        "item": "考试项目",
        "sessions": "场次",
        "enrolled": "报名人次",
        "candidates": "考生人数",
        "sat": "实考人次",
        "absent": "缺考",
        "retakes": "补考",
        "theory_results": "理论成绩数",
        "theory_pass_rate": "理论合格率",
        "theory_mean": "理论平均分",
        "practical_results": "实操成绩数",
        "practical_pass_rate": "实操合格率",
        "overall_pass_rate": "综合合格率",
        "total": "合计",
        "histogram": "理论成绩分布",
        "incidents": "考场异常",
        "pauses": "暂停",
        "extensions": "延时",
        "moves": "换机",
        "second_sign_ins": "重复登录",
        "workload": "监考工作量",
        "invigilator": "监考员",
        "versions": "所用题库与组卷方案版本",
        "blueprint_version": "组卷方案版本",
        "bank_version": "题库版本",
        "papers": "试卷数",
        "none": "无",
        "generated": "生成时间",
        "examiners": "实操考评员工作量",
        "examiner": "考评员",
        "scored": "评分考生数",
        "signed": "签署评分表",
        "amendments": "更正",
        "lead_decisions": "主考裁定",
    },
    "en": {
        "title": "Examination summary report",
        "period": "Period",
        "centre": "Centre",
        "all_centres": "All centres",
        "item": "Item",
        "sessions": "Sessions",
        "enrolled": "Enrolled",
        "candidates": "Candidates",
        "sat": "Sat",
        "absent": "Absent",
        "retakes": "Retakes",
        "theory_results": "Theory results",
        "theory_pass_rate": "Theory pass rate",
        "theory_mean": "Theory mean score",
        "practical_results": "Practical results",
        "practical_pass_rate": "Practical pass rate",
        "overall_pass_rate": "Overall pass rate",
        "total": "Total",
        "histogram": "Theory score distribution",
        "incidents": "Incidents",
        "pauses": "Pauses",
        "extensions": "Extensions",
        "moves": "Moves",
        "second_sign_ins": "Second sign-ins",
        "workload": "Invigilator workload",
        "invigilator": "Invigilator",
        "versions": "Bank and blueprint versions used",
        "blueprint_version": "Blueprint version",
        "bank_version": "Bank version",
        "papers": "Papers",
        "none": "None",
        "generated": "Generated",
        "examiners": "Practical examiners' workload",
        "examiner": "Examiner",
        "scored": "Candidates scored",
        "signed": "Sheets signed",
        "amendments": "Amendments",
        "lead_decisions": "Lead decisions",
    },
}

COLUMNS = (
    "centre",
    "item",
    "sessions",
    "enrolled",
    "candidates",
    "sat",
    "absent",
    "retakes",
    "theory_results",
    "theory_pass_rate",
    "theory_mean",
    "practical_results",
    "practical_pass_rate",
    "overall_pass_rate",
)


EXAMINER_COLUMNS = ("name", "candidates", "signed", "amendments", "lead_decisions")


def _section_head(key: str, columns: tuple, labels: dict) -> list[str]:
    if key == "examiners":
        return [labels[{"name": "examiner", "candidates": "scored"}.get(c, c)] for c in columns]
    return [labels["invigilator"] if c == "name" else labels[c] for c in columns]


def rate(passed: int, decided: int) -> float | None:
    """A pass rate in percent with one decimal, None when nothing is decided."""
    return round(100 * passed / decided, 1) if decided else None


def _subject(rows: list[dict]) -> dict:
    results = sum(int(r["results"]) for r in rows)
    decided = sum(int(r["decided"] or 0) for r in rows)
    passed = sum(int(r["passed"] or 0) for r in rows)
    scored = [
        (float(r["mean_score"]), int(r["results"])) for r in rows if r["mean_score"] is not None
    ]
    weight = sum(n for _, n in scored)
    histogram = [sum(r["histogram"][b] for r in rows) for b in range(BINS)]
    return {
        "results": results,
        "decided": decided,
        "passed": passed,
        "pass_rate": rate(passed, decided),
        "mean_score": round(sum(m * n for m, n in scored) / weight, 1) if weight else None,
        "histogram": histogram,
    }


def build(
    period_from: date,
    period_to: date,
    centre: str | None,
    source: str,
    sittings: Iterable[dict],
    subjects: Iterable[dict],
    overall: Iterable[dict],
    incidents: list[dict] | None = None,
    workload: list[dict] | None = None,
    versions: list[dict] | None = None,
    examiners: list[dict] | None = None,
) -> dict:
    """The report document from the aggregated rows of ``reports.queries``."""
    keys: dict[tuple[str, str], dict] = {}

    def entry(c: str, item: str) -> dict:
        return keys.setdefault(
            (c, item),
            {
                "centre": c,
                "item": item,
                "sessions": 0,
                "enrolled": 0,
                "candidates": 0,
                "sat": 0,
                "absent": 0,
                "retakes": 0,
                "_theory": [],
                "_practical": [],
                "overall": {"decided": 0, "passed": 0},
            },
        )

    for row in sittings:
        e = entry(row["centre"], row["item"])
        for name in ("sessions", "enrolled", "candidates", "sat", "absent", "retakes"):
            e[name] = int(row[name] or 0)
    for row in subjects:
        e = entry(row["centre"], row["item"])
        e["_practical" if row["subject"] in PRACTICAL_SUBJECTS else "_theory"].append(row)
    for row in overall:
        e = entry(row["centre"], row["item"])
        e["overall"] = {"decided": int(row["decided"] or 0), "passed": int(row["passed"] or 0)}
    rows = []
    for key in sorted(keys):
        e = keys[key]
        theory, practical = e.pop("_theory"), e.pop("_practical")
        e["theory"] = _subject(theory)
        e["practical"] = _subject(practical) if practical else None
        e["overall"]["pass_rate"] = rate(e["overall"]["passed"], e["overall"]["decided"])
        e["_raw"] = (theory, practical)
        rows.append(e)
    totals = _totals(rows)
    for e in rows:
        del e["_raw"]
    return {
        "format": FORMAT,
        "period": {"from": period_from.isoformat(), "to": period_to.isoformat()},
        "centre": centre,
        "source": source,
        "rows": rows,
        "totals": totals,
        "incidents": incidents,
        "workload": workload,
        "versions": versions,
        "examiners": examiners,
    }


def _totals(rows: list[dict]) -> dict:
    theory = [r for e in rows for r in e["_raw"][0]]
    practical = [r for e in rows for r in e["_raw"][1]]
    decided = sum(e["overall"]["decided"] for e in rows)
    passed = sum(e["overall"]["passed"] for e in rows)
    return {
        **{
            name: sum(e[name] for e in rows)
            for name in ("sessions", "enrolled", "sat", "absent", "retakes")
        },
        # A candidate sitting two items (or at two centres) counts once per row.
        "candidates": sum(e["candidates"] for e in rows),
        "theory": _subject(theory),
        "practical": _subject(practical) if practical else None,
        "overall": {"decided": decided, "passed": passed, "pass_rate": rate(passed, decided)},
    }


def flat(entry: dict) -> dict:
    """One row of the table (CSV, XLSX, PDF, page)."""
    practical = entry.get("practical") or {}
    return {
        "centre": entry.get("centre", ""),
        "item": entry.get("item", ""),
        "sessions": entry["sessions"],
        "enrolled": entry["enrolled"],
        "candidates": entry["candidates"],
        "sat": entry["sat"],
        "absent": entry["absent"],
        "retakes": entry["retakes"],
        "theory_results": entry["theory"]["results"],
        "theory_pass_rate": entry["theory"]["pass_rate"],
        "theory_mean": entry["theory"]["mean_score"],
        "practical_results": practical.get("results", 0),
        "practical_pass_rate": practical.get("pass_rate"),
        "overall_pass_rate": entry["overall"]["pass_rate"],
    }


def table_rows(document: dict, language: str = "zh") -> list[dict]:
    total = {**document["totals"], "centre": LABELS[language]["total"], "item": ""}
    return [flat(e) for e in document["rows"]] + [flat(total)]


def _cell(value) -> str:
    return "" if value is None else str(value)


def to_csv(document: dict, language: str = "zh") -> str:
    """The table as CSV (UTF-8 with a BOM, so that Excel opens Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    labels = LABELS[language]
    writer.writerow(
        [labels[c] for c in COLUMNS]
        + [f"{labels['histogram']} {b * 10}-{b * 10 + 10}" for b in range(BINS)]
    )
    histograms = [e["theory"]["histogram"] for e in document["rows"]]
    histograms.append(document["totals"]["theory"]["histogram"])
    for row, histogram in zip(table_rows(document, language), histograms, strict=True):
        writer.writerow([_cell(row[c]) for c in COLUMNS] + histogram)
    # The examiners' workload follows the table after an empty line, under its own title and
    # header (a centre's report with practical sheets only; older stored reports lack it).
    if document.get("examiners"):
        writer.writerow([])
        writer.writerow([labels["examiners"]])
        writer.writerow(_section_head("examiners", EXAMINER_COLUMNS, labels))
        for row in document["examiners"]:
            writer.writerow([_cell(row[c]) for c in EXAMINER_COLUMNS])
    return "\ufeff" + out.getvalue()


def to_xlsx(document: dict, language: str = "zh") -> bytes:
    labels = LABELS[language]
    book = Workbook()
    sheet = book.active
    sheet.title = labels["title"][:31]
    sheet.append([labels["period"], document["period"]["from"], document["period"]["to"]])
    sheet.append([labels[c] for c in COLUMNS])
    for row in table_rows(document, language):
        sheet.append([row[c] for c in COLUMNS])
    hist = book.create_sheet(labels["histogram"][:31])
    hist.append(
        [labels["centre"], labels["item"]] + [f"{b * 10}-{b * 10 + 10}" for b in range(BINS)]
    )
    for e in document["rows"]:
        hist.append([e["centre"], e["item"], *e["theory"]["histogram"]])
    for key, columns in (
        ("incidents", ("item", "pauses", "extensions", "moves", "second_sign_ins")),
        ("workload", ("name", "sessions", "candidates")),
        ("examiners", EXAMINER_COLUMNS),
        ("versions", ("item", "blueprint_version", "bank_version", "papers")),
    ):
        if document.get(key) is None:
            continue
        extra = book.create_sheet(labels[key][:31])
        extra.append(_section_head(key, columns, labels))
        for row in document[key]:
            extra.append([row[c] for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- PDF -------------------------------------------------------------------------------------


def histogram_drawing(counts: list[int], title: str, width=170 * mm, height=60 * mm) -> Drawing:
    """A bar chart of a score histogram (reportlab.graphics)."""
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 10 * mm
    chart.width, chart.height = width - 20 * mm, height - 20 * mm
    chart.data = [list(counts)]
    chart.categoryAxis.categoryNames = [f"{b * 10}-" for b in range(BINS)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    top = max(counts) if counts and max(counts) > 0 else 1
    chart.valueAxis.valueMax = top
    chart.valueAxis.valueStep = max(1, -(-top // 5))
    chart.bars[0].fillColor = colors.HexColor("#0d6efd")
    drawing.add(chart)
    drawing.add(
        String(width / 2, height - 6 * mm, title, fontName=FONT, fontSize=9, textAnchor="middle")
    )
    return drawing


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def to_pdf(document: dict, language: str = "zh", generated: datetime | None = None) -> bytes:
    labels = LABELS[language]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=labels["title"],
    )
    h1 = ParagraphStyle("h1", fontName=FONT, fontSize=16, leading=20, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=FONT, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=FONT, fontSize=8, leading=10)
    centre = document["centre"] or labels["all_centres"]
    story = [
        Paragraph(escape(labels["title"]), h1),
        Paragraph(
            escape(
                f"{labels['centre']}: {centre}    {labels['period']}: "
                f"{document['period']['from']} - {document['period']['to']}"
                + (f"    {labels['generated']}: {generated:%Y-%m-%d %H:%M}" if generated else "")
            ),
            body,
        ),
        Spacer(1, 4 * mm),
    ]
    header = [Paragraph(escape(labels[c]), body) for c in COLUMNS]
    data = [header] + [[_fmt(row[c]) for c in COLUMNS] for row in table_rows(document, language)]
    story.append(_table(data, repeat=1))
    story.append(Spacer(1, 4 * mm))
    story.append(histogram_drawing(document["totals"]["theory"]["histogram"], labels["histogram"]))
    sections = (
        ("incidents", ("item", "pauses", "extensions", "moves", "second_sign_ins")),
        ("workload", ("name", "sessions", "candidates")),
        ("examiners", EXAMINER_COLUMNS),
        ("versions", ("item", "blueprint_version", "bank_version", "papers")),
    )
    for key, columns in sections:
        rows = document.get(key)
        if rows is None:
            continue
        story.append(Paragraph(escape(labels[key]), h2))
        if not rows:
            story.append(Paragraph(escape(labels["none"]), body))
        else:
            head = _section_head(key, columns, labels)
            story.append(_table([head] + [[_fmt(r[c]) for c in columns] for r in rows], repeat=1))
    doc.build(story)
    return out.getvalue()


def _table(data: list[list], repeat: int = 1) -> Table:
    table = Table(data, repeatRows=repeat)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table
