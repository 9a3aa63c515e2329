"""The authority dashboard: per-centre figures, outliers (hand-computed), the trend."""

from __future__ import annotations

from datetime import UTC, date, datetime

from examcentre.extensions import db
from examcentre.reports import dashboard

from .test_summary import hub_batch, hub_sitting


def centre(code, decided, passed):
    return {
        "centre": code,
        "theory": {"decided": decided, "pass_rate": round(100 * passed / decided, 1)},
    }


def test_outliers_compare_with_the_mean_of_the_others():
    centres = [
        centre("C1", 40, 36),  # 90 %: the others' mean is (60 + 64 + 56) / 3 = 60 -> +30
        centre("C2", 50, 30),  # 60 %: others 70 -> -10
        centre("C3", 50, 32),  # 64 %
        centre("C4", 50, 28),  # 56 %: others 71.3 -> -15.3
        centre("C5", 10, 0),  # 0 % but only 10 sat: neither flagged nor in the means
    ]
    assert dashboard.outliers(centres, 20, 30) == {"C1": 30.0}
    assert dashboard.outliers(centres, 10, 30) == {"C1": 30.0, "C4": -15.3}
    assert dashboard.outliers(centres[:1], 20, 30) == {}  # nobody to compare with


def test_month_buckets_and_trend_points():
    assert dashboard.month_buckets(date(2026, 2, 14), 3) == [
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
    ]
    assert dashboard.trend_points([100.0, None, 0.0]) == [
        {"x": 0.0, "y": 0.0},
        {"x": 150.0, "y": None},
        {"x": 300.0, "y": 100.0},
    ]


def fill_hub(app):
    app.config["HUB_MODE"] = True
    nov = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    octo = datetime(2026, 10, 20, 1, 0, tzinfo=UTC)
    for n, (code, sat, passed) in enumerate(
        [("C1", 40, 36), ("C2", 50, 30), ("C3", 50, 32), ("C4", 50, 28)], start=1
    ):
        batch = hub_batch(code, n)
        for i in range(sat):
            hub_sitting(
                batch,
                n,
                f"{code}-{i}",
                "checked_in",
                [("theory", 80.0 if i < passed else 40.0, i < passed)],
                starts_at=nov,
            )
    october = hub_batch("C2", 9)
    for i in range(4):
        hub_sitting(october, 9, f"O-{i}", "checked_in", [("theory", 90.0, i < 3)], starts_at=octo)
    db.session.commit()


def test_the_dashboard_highlights_the_outlier_and_draws_the_trend(app, client, login_as):
    fill_hub(app)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as("authority")
    html = client.get(
        "/authority/", query_string={"from": "2026-11-01", "to": "2026-11-30"}
    ).get_data(as_text=True)
    assert "outlier: +30.0 points" in html
    assert html.count("outlier:") == 1
    assert "190" in html  # sat in November, all centres
    # The trend: October 75 % (3 of 4), November 126 of 190.
    assert "2026-10: 75.0 % (3/4)" in html
    assert "2026-11: 66.3 % (126/190)" in html
    assert "<polyline" in html
    # One centre chosen: no outlier comparison beyond it, its own figures only.
    one = client.get(
        "/authority/", query_string={"from": "2026-11-01", "to": "2026-11-30", "centre": "C4"}
    ).get_data(as_text=True)
    assert "outlier:" not in one and "56.0 %" in one and "C1</th>" not in one
    assert "Not known here" in one  # a hub holds no compliance check of C4


def test_examiner_outliers_by_hand():
    rows = [
        # mean +8.0: exactly the limit, not flagged
        {"name": "甲", "centre": "C1", "pairs": 10, "difference_sum": 80.0},
        # mean -8.1: beyond it (harsh), flagged
        {"name": "乙", "centre": "C1", "pairs": 10, "difference_sum": -81.0},
        # mean +30 but only 9 co-scored candidates: not listed
        {"name": "丙", "centre": "C1", "pairs": 9, "difference_sum": 270.0},
        # mean +12.5 over 12 candidates (150 / 12), flagged, listed first
        {"name": "丁", "centre": "C2", "pairs": 12, "difference_sum": 150.0},
        {"name": "戊", "centre": "C2", "pairs": 20, "difference_sum": 0.0},
    ]
    got = dashboard.examiner_outliers(rows, min_pairs=10, points=8)
    assert [(r["name"], r["mean_difference"], r["flagged"]) for r in got] == [
        ("丁", 12.5, True),
        ("乙", -8.1, True),
        ("甲", 8.0, False),
        ("戊", 0.0, False),
    ]
    assert dashboard.examiner_outliers(rows, min_pairs=21, points=8) == []
    assert dashboard.examiner_outliers([], min_pairs=0, points=8) == []
