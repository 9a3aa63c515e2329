"""The authority dashboard's figures (pure): per-centre totals from a summary document,
outliers, and the monthly trend buckets.

Outlier rule (a setting each): a centre whose theory pass rate lies more than
``OUTLIER_PASS_RATE_POINTS`` percentage points from the mean of the OTHER centres' rates is
highlighted, counting only centres with at least ``OUTLIER_MIN_SAT`` theory results
(smaller centres neither are flagged nor move the mean: a handful of candidates says little).

Examiner outliers (issue 9, "an examiner whose scores differ from their co-examiners'"): for
each practical examiner with at least ``OUTLIER_EXAMINER_MIN_PAIRS`` co-scored candidates in
the period, the mean signed difference between their total and the co-examiner's total for
the same candidate; flagged when its size exceeds ``OUTLIER_EXAMINER_POINTS``. Signed, so
that a consistently harsh (negative) or lenient (positive) examiner shows, where random
disagreements cancel out (those are the reconciliation's business, practical.results).
"""

from __future__ import annotations

from datetime import date

from .summary import rate


def per_centre(document: dict) -> list[dict]:
    """The summary's rows (centre x item) added up per centre, rates recomputed."""
    centres: dict[str, dict] = {}
    for row in document["rows"]:
        c = centres.setdefault(
            row["centre"],
            {
                "centre": row["centre"],
                "sessions": 0,
                "enrolled": 0,
                "candidates": 0,
                "sat": 0,
                "absent": 0,
                "retakes": 0,
                "theory": {"results": 0, "decided": 0, "passed": 0, "score_sum": 0.0},
                "practical": {"results": 0, "decided": 0, "passed": 0},
                "overall": {"decided": 0, "passed": 0},
            },
        )
        for name in ("sessions", "enrolled", "candidates", "sat", "absent", "retakes"):
            c[name] += row[name]
        theory = row["theory"]
        for name in ("results", "decided", "passed"):
            c["theory"][name] += theory[name]
        if theory["mean_score"] is not None:
            c["theory"]["score_sum"] += theory["mean_score"] * theory["results"]
        if row["practical"]:
            for name in ("results", "decided", "passed"):
                c["practical"][name] += row["practical"][name]
        for name in ("decided", "passed"):
            c["overall"][name] += row["overall"][name]
    out = []
    for c in centres.values():
        theory = c["theory"]
        theory["pass_rate"] = rate(theory["passed"], theory["decided"])
        score_sum = theory.pop("score_sum")
        theory["mean_score"] = (
            round(score_sum / theory["results"], 1) if theory["results"] else None
        )
        c["practical"]["pass_rate"] = rate(c["practical"]["passed"], c["practical"]["decided"])
        c["overall"]["pass_rate"] = rate(c["overall"]["passed"], c["overall"]["decided"])
        out.append(c)
    return sorted(out, key=lambda c: c["centre"])


def outliers(centres: list[dict], points: float, min_sat: int) -> dict[str, float]:
    """Centre -> its difference (points) from the mean of the other eligible centres, for
    the centres beyond ``points``. Eligible: ``min_sat`` or more decided theory results."""
    eligible = {
        c["centre"]: c["theory"]["pass_rate"]
        for c in centres
        if c["theory"]["decided"] >= min_sat and c["theory"]["pass_rate"] is not None
    }
    found = {}
    for centre, value in eligible.items():
        others = [v for k, v in eligible.items() if k != centre]
        if not others:
            continue
        difference = round(value - sum(others) / len(others), 1)
        if abs(difference) > points:
            found[centre] = difference
    return found


def examiner_outliers(rows: list[dict], min_pairs: int, points: float) -> list[dict]:
    """The examiners with at least ``min_pairs`` co-scored candidates, each with
    ``mean_difference`` (their total minus the co-examiner's, averaged, one decimal) and
    ``flagged`` (``|mean| > points``), largest difference first. ``rows``: one per examiner,
    with ``pairs`` and ``difference_sum`` (``queries.examiner_differences``)."""
    out = []
    for row in rows:
        pairs = int(row["pairs"])
        if pairs < min_pairs or pairs == 0:
            continue
        mean = float(row["difference_sum"]) / pairs
        out.append({**row, "mean_difference": round(mean, 1), "flagged": abs(mean) > points})
    return sorted(out, key=lambda r: (-abs(r["mean_difference"]), r["centre"], r["name"]))


def month_buckets(last: date, months: int) -> list[tuple[date, date]]:
    """The ``months`` calendar months up to and including the month of ``last``, oldest
    first, as (first day, last day)."""
    buckets = []
    year, month = last.year, last.month
    for _ in range(months):
        first = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        buckets.append((first, date.fromordinal(following.toordinal() - 1)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return buckets[::-1]


def trend_points(values: list[float | None], width: int = 300, height: int = 100) -> list[dict]:
    """Where each month's value (0-100, or None) is drawn in a width x height SVG box."""
    step = width / max(len(values) - 1, 1)
    return [
        {"x": round(i * step, 1), "y": None if v is None else round(height - v * height / 100, 1)}
        for i, v in enumerate(values)
    ]
