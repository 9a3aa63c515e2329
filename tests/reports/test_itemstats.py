"""Item statistics against hand-computed fixtures (docs/item-statistics.md has the formulas).

The main fixture: four candidates, one paper of three single-choice questions (1 point each,
keys A, B, C in original letters):

    candidate  Q0  Q1  Q2   total
    0          A   B   C    3
    1          A   B   D    2
    2          A   C   C    2
    3          B   C   -    0
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from examcentre.reports.itemstats import (
    FALSE_BIT,
    TRUE_BIT,
    QuestionInfo,
    Responses,
    Thresholds,
    analyse,
    choice_bits,
    histogram,
)

A, B, C, D = 1, 2, 4, 8
QUESTIONS = [
    QuestionInfo(10, "Q-0", "single", "A", 4),
    QuestionInfo(11, "Q-1", "single", "B", 4),
    QuestionInfo(12, "Q-2", "single", "C", 4),
]
ANY = Thresholds(min_responses=1)


def rows_of(table, keys=(A, B, C)):
    rows = []
    for attempt, choices in enumerate(table):
        for q, choice in enumerate(choices):
            rows.append((attempt, q, q, float(choice == keys[q]), 1.0, choice))
    return Responses.from_rows(rows)


FIXTURE = [(A, B, C), (A, B, D), (A, C, C), (B, C, 0)]


def by_label(doc):
    return {q["label"]: q for q in doc["questions"]}


def test_question_statistics_match_the_hand_computation():
    stats = by_label(analyse(rows_of(FIXTURE), QUESTIONS, ANY))
    q0, q1, q2 = stats["Q-0"], stats["Q-1"], stats["Q-2"]
    assert (q0["n"], q0["facility"], q1["facility"], q2["facility"]) == (4, 0.75, 0.5, 0.5)
    # Q0: x = 1,1,1,0; rest = 2,1,1,0: cov 1/3, var x 1/4, var rest 2/3 -> r = sqrt(6)/3.
    assert q0["discrimination"] == pytest.approx(math.sqrt(6) / 3, abs=1e-6)
    assert q0["sd"] == pytest.approx(0.5)
    # Q0's rest order equals its mark order: efficiency 1.
    assert q0["efficiency"] == pytest.approx(1.0)
    # Q1: x = 1,1,0,0; rest = 2,1,2,0: cov 1/6, var rest 2.75/3 -> r = 0.5/sqrt(2.75);
    # Cmax pairs x 0,0,1,1 with rest 0,1,2,2: 1/2 -> efficiency 1/3.
    assert q1["discrimination"] == pytest.approx(0.5 / math.sqrt(2.75), abs=1e-6)
    assert q1["efficiency"] == pytest.approx(1 / 3, abs=1e-6)
    assert q2["discrimination"] == pytest.approx(0.5 / math.sqrt(2.75), abs=1e-6)
    # 27 % of 4 = 1.08 -> one candidate per group: candidate 0 (3) and candidate 3 (0).
    assert [q["group_size"] for q in (q0, q1, q2)] == [1, 1, 1]
    assert [q["discrimination_27"] for q in (q0, q1, q2)] == [1.0, 1.0, 1.0]


def test_distractor_table_counts_original_letters():
    q2 = by_label(analyse(rows_of(FIXTURE), QUESTIONS, ANY))["Q-2"]
    table = {row["option"]: row for row in q2["distractors"]}
    assert {k: v["count"] for k, v in table.items()} == {"A": 0, "B": 0, "C": 2, "D": 1, None: 1}
    assert table["C"]["key"] and not table["D"]["key"]
    assert table["D"]["rest_mean"] == 2.0  # candidate 1's other marks
    assert (table[None]["lower"], table["C"]["upper"]) == (1, 1)
    assert "unused_distractor" in q2["flags"]


def test_blueprint_statistics_match_the_hand_computation():
    test = analyse(rows_of(FIXTURE), QUESTIONS, ANY)["test"]
    # KR-20: item variances 1/4 + 1/3 + 1/3 = 11/12, total variance 4.75/3 -> alpha 12/19.
    assert test["alpha"] == pytest.approx(12 / 19, abs=1e-6)
    sd = math.sqrt(4.75 / 3) * 100 / 3
    assert test["sd"] == pytest.approx(sd, abs=1e-5)
    assert test["error_ratio"] == pytest.approx(math.sqrt(7 / 19), abs=1e-6)
    assert test["sem"] == pytest.approx(math.sqrt(7 / 19) * sd, abs=1e-4)
    assert test["mean"] == pytest.approx(175 / 3, abs=1e-5)
    assert test["median"] == pytest.approx(200 / 3, abs=1e-5)
    assert test["histogram"] == [1, 0, 0, 0, 0, 0, 2, 0, 0, 1]
    assert (test["attempts"], test["slots"]) == (4, 3)


def test_everyone_right():
    doc = analyse(rows_of([(A, B, C)] * 5), QUESTIONS, ANY)
    q0 = by_label(doc)["Q-0"]
    assert q0["facility"] == 1.0
    assert q0["discrimination"] is None and q0["efficiency"] is None
    assert q0["discrimination_27"] == 0.0
    assert q0["flags"] == ["too_easy", "unused_distractor"]
    assert doc["test"]["alpha"] is None and doc["test"]["sd"] == 0.0
    assert doc["test"]["histogram"][-1] == 5


def test_nobody_right():
    doc = analyse(rows_of([(B, C, D)] * 3), QUESTIONS, ANY)
    q0 = by_label(doc)["Q-0"]
    assert q0["facility"] == 0.0 and q0["discrimination"] is None
    assert "too_hard" in q0["flags"]
    assert "negative_discrimination" not in q0["flags"]  # undefined is never flagged
    assert doc["test"]["histogram"][0] == 3 and doc["test"]["alpha"] is None


def test_one_candidate():
    doc = analyse(rows_of([(A, C, C)]), QUESTIONS, ANY)
    q1 = by_label(doc)["Q-1"]
    assert (q1["n"], q1["facility"], q1["sd"]) == (1, 0.0, None)
    assert q1["discrimination"] is None and q1["discrimination_27"] is None
    assert q1["group_size"] == 0
    test = doc["test"]
    assert test["attempts"] == 1 and test["mean"] == pytest.approx(200 / 3, abs=1e-5)
    assert test["sd"] is None and test["alpha"] is None and test["sem"] is None


def test_negative_discrimination_is_flagged():
    # Q0 is answered right only by the weakest candidates.
    table = [(B, B, C), (B, B, C), (A, C, D), (A, C, D)]
    q0 = by_label(analyse(rows_of(table), QUESTIONS, ANY))["Q-0"]
    assert q0["discrimination"] == pytest.approx(-1.0)
    assert "negative_discrimination" in q0["flags"]
    assert q0["discrimination_27"] == -1.0


def test_too_few_responses_flag_nothing():
    q0 = by_label(analyse(rows_of([(A, B, C)] * 5), QUESTIONS, Thresholds(min_responses=6)))
    assert q0["Q-0"]["flags"] == []


def test_random_papers_count_each_question_over_its_own_candidates():
    # Two candidates saw Q0 in slot 0; one saw Q1 there instead.
    rows = [(0, 0, 0, 1.0, 1.0, A), (1, 0, 0, 0.0, 1.0, B), (2, 1, 0, 1.0, 1.0, B)]
    doc = analyse(Responses.from_rows(rows), QUESTIONS, ANY)
    stats = by_label(doc)
    assert (stats["Q-0"]["n"], stats["Q-1"]["n"]) == (2, 1)
    assert "Q-2" not in stats
    assert doc["test"]["attempts"] == 3


def test_partial_credit_and_multiple_choice_letters():
    info = [
        QuestionInfo(1, "M", "multiple", "AC", 4),
        QuestionInfo(2, "T", "true_false", "true", 0),
    ]
    rows = [
        (0, 0, 0, 2.0, 2.0, A | C),
        (0, 1, 1, 1.0, 1.0, TRUE_BIT),
        (1, 0, 0, 1.0, 2.0, A),
        (1, 1, 1, 0.0, 1.0, FALSE_BIT),
    ]
    stats = by_label(analyse(Responses.from_rows(rows), info, ANY))
    assert stats["M"]["facility"] == 0.75
    counts = {r["option"]: r["count"] for r in stats["M"]["distractors"]}
    assert counts == {"A": 2, "B": 0, "C": 1, "D": 0, None: 0}
    tf = {r["option"]: (r["count"], r["key"]) for r in stats["T"]["distractors"]}
    assert tf == {"true": (1, True), "false": (1, False), None: (0, False)}


def test_choice_bits_map_displayed_letters_to_the_original_options():
    assert choice_bits("single", "B", "CADB") == A  # displayed B is original A
    assert choice_bits("multiple", "BD", "CADB") == A | B
    assert choice_bits("true_false", "false", "") == FALSE_BIT
    assert choice_bits("single", None, "ABCD") == 0


def test_bad_input_names_the_field():
    rows = Responses.from_rows([(0, 0, 0, 2.0, 1.0, A)])
    with pytest.raises(ValueError, match=r"responses\.earned"):
        analyse(rows, QUESTIONS)
    with pytest.raises(ValueError, match=r"responses\.question"):
        analyse(Responses.from_rows([(0, 7, 0, 1.0, 1.0, A)]), QUESTIONS)


def test_empty_input():
    doc = analyse(Responses.from_rows([]), QUESTIONS)
    assert doc["questions"] == [] and doc["test"]["attempts"] == 0


def test_histogram_puts_100_in_the_last_bin():
    assert histogram(np.array([0.0, 9.99, 10.0, 100.0])) == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]


def reference(rows, q_count):
    """The textbook computation, question by question with sorted lists (slow, plain)."""
    totals = {}
    for a, _, _, earned, _, _ in rows:
        totals[a] = totals.get(a, 0.0) + earned
    out = {}
    for q in range(q_count):
        mine = [(a, e, p) for a, qq, _, e, p, _ in rows if qq == q]
        n = len(mine)
        if n < 2:
            continue
        x = np.array([e for _, e, _ in mine])
        r = np.array([totals[a] - e for a, e, _ in mine])
        t = np.array([totals[a] for a, _, _ in mine])
        cov = np.cov(x, r, ddof=1)[0, 1]
        cmax = np.cov(np.sort(x), np.sort(r), ddof=1)[0, 1]
        g = math.floor(0.27 * n + 0.5)
        score = x / np.array([p for _, _, p in mine])

        def group(sign, t=t, g=g, score=score):
            # Fractional weights for ties at the boundary.
            order = np.sort(sign * t)
            edge = order[g - 1]
            inside = sign * t < edge
            at = sign * t == edge
            weight = inside + at * (g - inside.sum()) / at.sum()
            return (score * weight).sum() / g

        out[q] = {
            "discrimination": cov / math.sqrt(x.var(ddof=1) * r.var(ddof=1))
            if x.var() > 0 and r.var() > 0
            else None,
            "efficiency": cov / cmax if x.var() > 0 and r.var() > 0 and cmax > 0 else None,
            "discrimination_27": group(-1) - group(1),
        }
    return out


def test_random_data_agree_with_the_textbook_computation():
    rng = np.random.default_rng(7)
    info = [QuestionInfo(i, f"Q{i}", "single", "A", 4) for i in range(6)]
    rows = []
    for attempt in range(40):
        for slot, q in enumerate(rng.choice(6, size=4, replace=False)):
            points = 2.0
            earned = float(rng.choice([0.0, 1.0, 2.0]))  # partial credit, many ties
            rows.append((attempt, int(q), slot, earned, points, A if earned == 2 else B))
    stats = {q["ref"]: q for q in analyse(Responses.from_rows(rows), info, ANY)["questions"]}
    for q, expected in reference(rows, 6).items():
        for name, value in expected.items():
            got = stats[q][name]
            assert (got is None) == (value is None), (q, name)
            if value is not None:
                assert got == pytest.approx(value, abs=1e-6), (q, name)


def test_chunks_add_up_to_the_same_figures(monkeypatch):
    from examcentre.reports import itemstats

    rng = np.random.default_rng(3)
    info = [QuestionInfo(i, f"Q{i}", "single", "A", 4) for i in range(5)]
    rows = [
        (a, int(q), s, float(rng.choice([0.0, 1.0])), 1.0, int(rng.choice([A, B, C, 0])))
        for a in range(30)
        for s, q in enumerate(rng.choice(5, size=3, replace=False))
    ]
    data = Responses.from_rows(rows)
    whole = analyse(data, info, ANY)
    monkeypatch.setattr(itemstats, "CHUNK", 7)  # 90 rows in 13 chunks
    chunked = analyse(data, info, ANY)
    assert chunked["test"] == pytest.approx(whole["test"])
    for a, b in zip(whole["questions"], chunked["questions"], strict=True):
        for key in ("n", "facility", "discrimination", "discrimination_27", "efficiency", "flags"):
            assert a[key] == pytest.approx(b[key]), key
        assert a["distractors"] == b["distractors"]
