"""The summary report pages shared by the centre (/centre/reports/summary, its own centre)
and the authority (/authority/reports, every centre, read-only): the filters, the page and
the downloads (PDF, CSV, XLSX) of one summary document, and the stored monthly reports."""

from __future__ import annotations

from datetime import date

from flask import Response, current_app, flash, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from ..bank.vocab import ITEMS
from ..clock import centre_now, centre_today
from ..models import StoredReport
from ..reports import operations as ops
from ..reports import summary

MIMETYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def filters() -> tuple[date, date, list[str] | None]:
    """Period (``from``/``to``; default last month) and item (``item``; default all). A bad
    value is named in a flash message and the default is used."""
    default = ops.previous_month(centre_today())
    values = []
    for name, fallback in (("from", default[0]), ("to", default[1])):
        raw = request.args.get(name, "").strip()
        try:
            values.append(date.fromisoformat(raw) if raw else fallback)
        except ValueError:
            flash(_("%(field)s: enter a date as YYYY-MM-DD.", field=name), "danger")
            values.append(fallback)
    if values[1] < values[0]:
        flash(_("to: the period ends on or after its first day."), "danger")
        values = list(default)
    item = request.args.get("item") or None
    if item is not None and item not in ITEMS:
        flash(_("item: choose one of the listed items."), "danger")
        item = None
    return values[0], values[1], [item] if item else None


def document(source: str, centre, label: str | None) -> tuple[dict, date, date, str | None]:
    period_from, period_to, items = filters()
    doc = ops.period_summary(
        source,
        centre,
        period_from,
        period_to,
        current_app.config["BABEL_DEFAULT_TIMEZONE"],
        items,
        centre_label=label,
    )
    return doc, period_from, period_to, items[0] if items else None


def download(doc: dict, fmt: str, name: str) -> Response:
    lang = language()
    if fmt == "pdf":
        body = summary.to_pdf(doc, lang, generated=centre_now())
    elif fmt == "csv":
        body = summary.to_csv(doc, lang).encode("utf-8")
    else:
        body = summary.to_xlsx(doc, lang)
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def file_name(doc: dict, centre: str | None) -> str:
    period = doc["period"]
    return f"summary-{centre or 'all'}-{period['from']}-{period['to']}"


def stored_download(row: StoredReport, fmt: str) -> Response:
    name = file_name(row.document, row.document.get("centre")) + f"-{row.kind}"
    if fmt == "pdf":  # the PDF as issued
        return Response(
            row.pdf,
            mimetype=MIMETYPES["pdf"],
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return download(row.document, fmt, name)


def render(template: str, doc: dict, **context) -> str:
    return render_template(
        template,
        doc=doc,
        rows=doc["rows"],
        totals=doc["totals"],
        items=ITEMS,
        **context,
    )
