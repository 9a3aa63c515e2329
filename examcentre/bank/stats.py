"""Bank statistics: what an item's live questions hold, against its blueprint (pure).

Plain values in (one ``LiveQuestion`` per live question, the blueprint ``Spec``), a JSON-ready
dict out; ``examcentre bank stats`` prints it as JSON or as text. The JSON layout
(``examcentre.bank-stats/1``) is a documented contract: question_bank/README.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..papers.blueprint import DEFAULT_COVERAGE_FACTOR, Spec, coverage
from .vocab import AREAS, DIFFICULTIES, TYPES

FORMAT = "examcentre.bank-stats/1"


@dataclass(frozen=True, slots=True)
class LiveQuestion:
    """The facts about one live question (its live version) that the statistics count."""

    area: str
    type: str
    difficulty: int
    english: bool
    reviewed: bool


def item_stats(
    item: str,
    questions: Iterable[LiveQuestion],
    spec: Spec,
    blueprint_version: int | None,
    factor: int = DEFAULT_COVERAGE_FACTOR,
) -> dict:
    """One item's statistics. ``blueprint_version`` is the published version ``spec`` comes
    from, or None when the item has none published and ``spec`` is the default."""
    questions = list(questions)
    by_cell = Counter((q.type, q.area, q.difficulty) for q in questions)
    cells = coverage(item, spec, Counter((q.area, q.type) for q in questions), factor)
    return {
        "item": item,
        "live": len(questions),
        "english": sum(q.english for q in questions),
        "reviewed": sum(q.reviewed for q in questions),
        "counts": {
            qtype: {
                area: {str(d): by_cell[(qtype, area, d)] for d in DIFFICULTIES} for area in AREAS
            }
            for qtype in TYPES
        },
        "blueprint": {
            "source": "default" if blueprint_version is None else "published",
            "version": blueprint_version,
            "cells": [
                {
                    "cell": c.cell,
                    "area": c.area,
                    "type": c.type,
                    "drawn_per_paper": c.drawn_per_paper,
                    "live": c.live_questions,
                    "required": c.required,
                    "shortfall": c.shortfall,
                }
                for c in cells
            ],
            "shortfall": sum(c.shortfall for c in cells),
        },
    }


def stats_document(centre_code: str, items: list[dict], factor: int) -> dict:
    return {"format": FORMAT, "centre": centre_code, "coverage_factor": factor, "items": items}


def stats_text(document: dict) -> str:
    """The statistics as a readable table per item."""
    lines = [f"Centre {document['centre']} (coverage factor {document['coverage_factor']})"]
    for item in document["items"]:
        lines += ["", _item_heading(item), ""]
        header = f"  {'type':<11} {'area':<10}" + "".join(
            f"{'d' + str(d):>6}" for d in DIFFICULTIES
        )
        lines.append(header + f"{'total':>7}")
        column_totals = Counter()
        for qtype in TYPES:
            for area in AREAS:
                row = item["counts"][qtype][area]
                values = [row[str(d)] for d in DIFFICULTIES]
                column_totals.update(dict(zip(DIFFICULTIES, values, strict=True)))
                lines.append(
                    f"  {qtype:<11} {area:<10}"
                    + "".join(f"{v:>6}" for v in values)
                    + f"{sum(values):>7}"
                )
        lines.append(
            f"  {'total':<22}"
            + "".join(f"{column_totals[d]:>6}" for d in DIFFICULTIES)
            + f"{item['live']:>7}"
        )
        blueprint = item["blueprint"]
        source = (
            f"published version {blueprint['version']}"
            if blueprint["source"] == "published"
            else "none published: the default blueprint"
        )
        lines += ["", f"  Blueprint: {source}"]
        lines.append(f"  {'cell':<22}{'drawn':>7}{'live':>7}{'required':>10}{'shortfall':>11}")
        for c in blueprint["cells"]:
            lines.append(
                f"  {c['cell']:<22}{c['drawn_per_paper']:>7}{c['live']:>7}"
                f"{c['required']:>10}{c['shortfall']:>11}"
            )
        lines.append(f"  {'total shortfall':<46}{blueprint['shortfall']:>11}")
    return "\n".join(lines)


def _item_heading(item: dict) -> str:
    return (
        f"{item['item']}: {item['live']} live questions, {item['english']} with English, "
        f"{item['reviewed']} reviewed"
    )
