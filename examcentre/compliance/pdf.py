"""The compliance self-check report as a PDF (reportlab). Pure: dicts in, bytes out.

Chinese is set in reportlab's built-in CID font STSong-Light, which every PDF reader
provides: nothing is embedded and nothing is downloaded.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..pdf_fonts import CHINESE_FONT as FONT
from .clauses import clause_texts

STATUS_ZH = {"pass": "符合", "warn": "预警", "fail": "不符合"}
STATUS_COLOUR = {
    "pass": colors.HexColor("#1e7e34"),
    "warn": colors.HexColor("#b8860b"),
    "fail": colors.HexColor("#c82333"),
}
SETTING_LABELS = {
    "terminal_base": "考试终端基数（台）",
    "terminal_step": "每达到年考试量阈值增加的终端（台）",
    "volume_threshold": "年考试量阈值（人，含本数）",
    "accepted_titles": "认可的职称",
    "strict_examiner_overlap": "同一考评人员不得同时计入司机与指挥",
    "min_practical_months": "考评人员实际经验下限（月）",
    "min_teaching_months": "考评人员教学经历下限（月）",
    "long_lease_years": "长期租赁的原始租期下限（年）",
    "lease_min_months_remaining": "租期剩余下限（月）",
    "warning_days": "预警提前天数",
    "coverage_factor": "题库覆盖倍数",
    "min_field_area_m2": "实际操作考场面积下限（平方米）",
    "ppe_required": "劳动保护用品种类",
    "mobile_counts_as_landline": "移动电话可视为固定通讯设施",
}
ITEM_NAMES = {"Q1": "起重机指挥"}


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#555555")
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontSize=17, leading=24, alignment=TA_CENTER, spaceAfter=4
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            parent=base,
            fontSize=10,
            alignment=TA_CENTER,
            textColor=colors.HexColor("#555555"),
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontSize=12.5,
            leading=18,
            spaceBefore=10,
            spaceAfter=4,
            textColor=colors.HexColor("#1f4e79"),
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=12),
    }


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "—"
    return str(value)


def _joined(*parts: str | None) -> str | None:
    return " / ".join(p for p in parts if p) or None


def _item_name(item: str) -> str:
    if item in ITEM_NAMES:
        return f"{item} {ITEM_NAMES[item]}"
    return f"{item} 起重机司机" if item.startswith("Q2") else item


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(_text(text)).replace("\n", "<br/>"), style)


def _grid(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")))
    table.setStyle(TableStyle(style))
    return table


def _centre_facts(centre: Mapping[str, Any]) -> list[tuple[str, Any]]:
    info = centre.get("centre", {})
    department = info.get("department") or {}
    site = centre.get("site") or {}
    fields = site.get("practical_fields") or []
    lease = ""
    if site.get("tenure") == "leased":
        lease = f"（租期 {site.get('lease_start', '?')} 至 {site.get('lease_end', '?')}）"
    terminals = centre.get("terminals") or []
    working = sum(1 for t in terminals if t.get("status") == "working")
    return [
        ("机构编号", info.get("code")),
        ("机构名称", info.get("name")),
        ("考试项目", "、".join(_item_name(i) for i in info.get("items", [])) or None),
        ("考试管理部门", _joined(department.get("name"), department.get("head"))),
        ("固定电话", info.get("landline")),
        ("办公地址", info.get("office_address")),
        ("计划年考试量（人）", info.get("planned_annual_volume")),
        ("近12个月实考人数", (centre.get("volume_history") or {}).get("examined_last_12_months")),
        ("专职/兼职工作人员（人）", len(centre.get("staff") or [])),
        ("考评人员（人）", len(centre.get("examiners") or [])),
        ("考试终端（台，其中可用）", f"{len(terminals)}（{working}）"),
        ("设备（台）", len(centre.get("equipment") or [])),
        (
            "场地",
            {"owned": "自有", "leased": "租赁"}.get(site.get("tenure"))
            and {"owned": "自有", "leased": "租赁"}[site["tenure"]] + lease,
        ),
        (
            "实际操作考场",
            "；".join(f"{f.get('name')} {f.get('area_m2')} 平方米" for f in fields) or None,
        ),
    ]


def build_compliance_pdf(
    report: Mapping[str, Any], centre: Mapping[str, Any], generated_at: str
) -> bytes:
    """The self-check report: centre data, findings with their clause text, settings, signatures.

    ``report`` is an ``examcentre.compliance/1`` document, ``centre`` an
    ``examcentre.centre/1`` document, ``generated_at`` the time to print (local time, text).
    """
    s = _styles()
    buffer = io.BytesIO()
    info = centre.get("centre", {})
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"考试机构基本条件自查报告 {info.get('code', '')}",
        author="examcentre",
    )
    width = A4[0] - 32 * mm
    findings = report.get("findings", [])
    fails = sum(1 for f in findings if f["status"] == "fail")
    warns = sum(1 for f in findings if f["status"] == "warn")
    verdict = "符合" if report.get("compliant") else "不符合"

    story: list[Any] = [
        _p("起重机操作人员考试机构基本条件自查报告", s["title"]),
        _p("依据《起重机操作人员考试机构基本要求》逐条核验", s["subtitle"]),
        Spacer(1, 6 * mm),
        _grid(
            [
                [
                    _p("评估日期", s["cell"]),
                    _p(report.get("evaluated_on"), s["cell"]),
                    _p("结论", s["cell"]),
                    _p(f"{verdict}（不符合 {fails} 项，预警 {warns} 项）", s["cell"]),
                ],
                [
                    _p("年考试量 V", s["cell"]),
                    _p(report.get("annual_volume"), s["cell"]),
                    _p("报告生成时间", s["cell"]),
                    _p(generated_at, s["cell"]),
                ],
            ],
            [width * 0.18, width * 0.27, width * 0.18, width * 0.37],
            header=False,
        ),
        _p("一、考试机构基本情况", s["h2"]),
        _grid(
            [
                [_p(label, s["cell"]), _p(value, s["cell"])]
                for label, value in _centre_facts(centre)
            ],
            [width * 0.3, width * 0.7],
            header=False,
        ),
        _p("二、逐条核验结果", s["h2"]),
    ]
    rows = [[_p(h, s["cell"]) for h in ("规则", "条款", "结果", "要求", "实际", "说明")]]
    for f in findings:
        status = Paragraph(
            f'<font color="{STATUS_COLOUR[f["status"]].hexval()}">{STATUS_ZH[f["status"]]}</font>',
            s["cell"],
        )
        rows.append(
            [
                _p(f["rule"], s["cell"]),
                _p(f["clause"], s["cell"]),
                status,
                _p(f.get("required"), s["cell"]),
                _p(f.get("actual"), s["cell"]),
                _p(f.get("message"), s["cell"]),
            ]
        )
    story.append(_grid(rows, [width * w for w in (0.11, 0.14, 0.08, 0.14, 0.14, 0.39)]))

    story.append(_p("三、各条核验说明及条款原文", s["h2"]))
    for f in findings:
        block = [
            _p(
                f"{f['rule']}（{f['clause']}）：{STATUS_ZH[f['status']]}。{f.get('message')}",
                s["base"],
            )
        ]
        if f.get("action") and f["status"] != "pass":
            block.append(_p(f"整改：{f['action']}", s["base"]))
        for detail in f.get("details") or []:
            block.append(_p(f"· {detail.get('message')}", s["small"]))
        if f.get("reading"):
            block.append(_p(f"采用的解释：{f['reading']}", s["small"]))
        for label, text in clause_texts(f["clause"]):
            block.append(
                _p(
                    f"条款原文 三{label[1:] if label.startswith('三') else label}：{text}",
                    s["small"],
                )
            )
        block.append(Spacer(1, 2.5 * mm))
        story.append(KeepTogether(block))

    story.append(_p("四、本次核验采用的设置", s["h2"]))
    settings = report.get("settings") or {}
    story.append(
        _grid(
            [[_p("设置", s["cell"]), _p("取值", s["cell"])]]
            + [
                [_p(SETTING_LABELS.get(k, k), s["cell"]), _p(v, s["cell"])]
                for k, v in settings.items()
            ],
            [width * 0.55, width * 0.45],
        )
    )

    story.append(Spacer(1, 10 * mm))
    signature = [
        [_p("考试机构负责人（签字）：", s["base"]), _p("日期：", s["base"])],
        [_p("核查人（签字）：", s["base"]), _p("（考试机构盖章）", s["base"])],
    ]
    signature_table = Table(
        signature, colWidths=[width * 0.6, width * 0.4], rowHeights=[14 * mm, 14 * mm]
    )
    story.append(signature_table)

    def _footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        footer = f"{info.get('code', '')} 自查报告  |  评估日期 {report.get('evaluated_on')}"
        canvas.drawString(16 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 16 * mm, 10 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()
