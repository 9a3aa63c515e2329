"""Item statistics of the theory exam (pure numpy): per question and per blueprint.

Definitions follow Moodle's quiz statistics report (docs/item-statistics.md gives every
formula); the upper/lower 27 % index is Kelley's classical one, which Moodle does not show.

Papers are drawn per candidate, so each question is seen by a different set of candidates
(like Moodle's random questions). The input is therefore *long*: one row per (attempt,
question on that attempt's paper):

- ``attempt``: the attempt's index 0..N-1;
- ``question``: the question's index 0..Q-1 into ``questions``;
- ``slot``: the position on the paper, 0..P-1 (the blueprint-level statistics are over slots,
  as Moodle's are with random questions);
- ``earned`` / ``points``: the points earned and the question's points;
- ``choice``: what was chosen as a bitmask of ORIGINAL option letters (bit i = ``LETTERS[i]``,
  ``TRUE_BIT``/``FALSE_BIT`` for true/false; 0 = unanswered), so shuffled option orders
  never mix up a distractor table (``choice_bits`` converts a displayed response).

A statistic that is undefined (a variance of zero: everyone right, nobody right, one
candidate) is ``None``, never NaN or a division error, and is never flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..bank.vocab import LETTERS
from ..exams.grading import displayed_to_original

FORMAT = "examcentre.item-stats/1"
TRUE_BIT = 1 << len(LETTERS)
FALSE_BIT = 1 << (len(LETTERS) + 1)
# Kelley's upper and lower groups: 27 % of the candidates each.
GROUP_SHARE = 0.27
HISTOGRAM_BINS = 10


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """One question as the statistics see it: its key in ORIGINAL letters (or true/false)."""

    ref: int  # the caller's id (question id)
    label: str  # what the report shows (external id)
    type: str
    answer: str
    option_count: int  # 0 for true_false


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a question is flagged. Settings ITEM_STATS_* (config.py); fractions, not %."""

    facility_min: float = 0.2
    facility_max: float = 0.9
    discrimination_min: float = 0.0
    min_responses: int = 30


@dataclass(frozen=True, slots=True)
class Responses:
    """The long input (see the module docstring); every array has one row per response."""

    attempt: np.ndarray
    question: np.ndarray
    slot: np.ndarray
    earned: np.ndarray
    points: np.ndarray
    choice: np.ndarray

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[int, int, int, float, float, int]]) -> Responses:
        """From (attempt, question, slot, earned, points, choice) tuples."""
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty, empty.astype(float), empty.astype(float), empty)
        a, q, s, e, p, c = zip(*rows, strict=True)
        return cls(
            np.asarray(a, dtype=np.int64),
            np.asarray(q, dtype=np.int64),
            np.asarray(s, dtype=np.int64),
            np.asarray(e, dtype=np.float64),
            np.asarray(p, dtype=np.float64),
            np.asarray(c, dtype=np.int64),
        )


def choice_bits(qtype: str, response: str | None, option_order: str) -> int:
    """A displayed response ("B", "AD", "true") as a bitmask of ORIGINAL letters."""
    if not response:
        return 0
    if qtype == "true_false":
        return TRUE_BIT if response == "true" else FALSE_BIT
    original = displayed_to_original(response, option_order)
    return sum(1 << LETTERS.index(c) for c in original)


def key_bits(info: QuestionInfo) -> int:
    if info.type == "true_false":
        return TRUE_BIT if info.answer == "true" else FALSE_BIT
    return sum(1 << LETTERS.index(c) for c in info.answer)


def option_labels(info: QuestionInfo) -> list[tuple[str, int]]:
    """(label, bit) of every option a candidate could choose."""
    if info.type == "true_false":
        return [("true", TRUE_BIT), ("false", FALSE_BIT)]
    return [(LETTERS[i], 1 << i) for i in range(info.option_count)]


def _num(value: float) -> float | None:
    """A JSON-ready number: rounded to 6 places, None for NaN/inf (undefined)."""
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), 6)


def _validate(data: Responses, questions: Sequence[QuestionInfo]) -> None:
    n = len(data.attempt)
    for name in ("question", "slot", "earned", "points", "choice"):
        if len(getattr(data, name)) != n:
            raise ValueError(f"responses.{name} has {len(getattr(data, name))} rows, not {n}")
    if n and (data.question.min() < 0 or data.question.max() >= len(questions)):
        raise ValueError("responses.question refers to a question not in the list")
    if n and (data.points <= 0).any():
        raise ValueError("responses.points: every question is worth more than 0 points")
    if n and ((data.earned < 0) | (data.earned > data.points)).any():
        raise ValueError("responses.earned is between 0 and the question's points")


def analyse(
    data: Responses, questions: Sequence[QuestionInfo], thresholds: Thresholds = Thresholds()
) -> dict:
    """Per-question and blueprint-level statistics, as a JSON-ready document."""
    _validate(data, questions)
    return {
        "format": FORMAT,
        "test": test_statistics(data),
        "questions": question_statistics(data, questions, thresholds),
    }


# -- per question ----------------------------------------------------------------------------


def _group_sums(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(index, weights=values, minlength=size)


def question_statistics(
    data: Responses, questions: Sequence[QuestionInfo], thresholds: Thresholds = Thresholds()
) -> list[dict]:
    """One entry per question (in ``questions`` order) with at least one response."""
    q_count = len(questions)
    if len(data.attempt) == 0:
        return []
    a_count = int(data.attempt.max()) + 1
    q = data.question
    total = np.bincount(data.attempt, weights=data.earned, minlength=a_count)[data.attempt]
    x = data.earned  # the item mark
    rest = total - x  # the rest of the test (Moodle's "other marks")
    n = np.bincount(q, minlength=q_count).astype(np.float64)
    safe_n = np.where(n > 0, n, 1)
    safe_n1 = np.where(n > 1, n - 1, 1)
    facility = _group_sums(q, x / data.points, q_count) / safe_n
    max_points = _group_sums(q, data.points, q_count) / safe_n
    mean_x = _group_sums(q, x, q_count) / safe_n
    mean_r = _group_sums(q, rest, q_count) / safe_n
    dx = x - mean_x[q]
    dr = rest - mean_r[q]
    var_x = _group_sums(q, dx * dx, q_count) / safe_n1
    var_r = _group_sums(q, dr * dr, q_count) / safe_n1
    cov = _group_sums(q, dx * dr, q_count) / safe_n1
    with np.errstate(divide="ignore", invalid="ignore"):
        discrimination = np.where(
            (n > 1) & (var_x > 0) & (var_r > 0), cov / np.sqrt(var_x * var_r), np.nan
        )
    # Cmax: the covariance if the candidates sorted by the rest of the test were also sorted
    # by this question's mark: sort both within each question and pair them up.
    order_x = np.lexsort((x, q))
    order_r = np.lexsort((rest, q))
    q_sorted = q[order_x]  # == q[order_r]: both are grouped by question, same group sizes
    cmax = (
        _group_sums(
            q_sorted,
            (x[order_x] - mean_x[q_sorted]) * (rest[order_r] - mean_r[q_sorted]),
            q_count,
        )
        / safe_n1
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        efficiency = np.where((n > 1) & (cmax > 0), cov / cmax, np.nan)
    upper, lower, group = _kelley_groups(q, total, data.attempt, n)
    item_score = x / data.points
    up_mean = _group_sums(q, item_score * upper, q_count) / np.where(group > 0, group, 1)
    low_mean = _group_sums(q, item_score * lower, q_count) / np.where(group > 0, group, 1)
    d27 = np.where(group > 0, up_mean - low_mean, np.nan)
    distractors = _distractor_counts(data, q, rest, upper, lower, q_count)

    out = []
    for i, info in enumerate(questions):
        if n[i] == 0:
            continue
        table = []
        key = key_bits(info)
        for label, bit in option_labels(info):
            count, up, low, rest_sum = distractors.get(bit, (None,) * 4)
            c = int(count[i]) if count is not None else 0
            table.append(
                {
                    "option": label,
                    "key": bool(key & bit),
                    "count": c,
                    "share": _num(c / n[i]),
                    "upper": int(up[i]) if count is not None else 0,
                    "lower": int(low[i]) if count is not None else 0,
                    "rest_mean": _num(rest_sum[i] / c) if c else None,
                }
            )
        count, up, low, rest_sum = distractors[0]
        blank = int(count[i])
        table.append(
            {
                "option": None,
                "key": False,
                "count": blank,
                "share": _num(blank / n[i]),
                "upper": int(up[i]),
                "lower": int(low[i]),
                "rest_mean": _num(rest_sum[i] / blank) if blank else None,
            }
        )
        entry = {
            "ref": info.ref,
            "label": info.label,
            "type": info.type,
            "n": int(n[i]),
            "max_points": _num(max_points[i]),
            "facility": _num(facility[i]),
            "sd": _num(np.sqrt(var_x[i]) / max_points[i]) if n[i] > 1 else None,
            "discrimination": _num(discrimination[i]),
            "discrimination_27": _num(d27[i]),
            "group_size": int(group[i]),
            "efficiency": _num(efficiency[i]),
            "distractors": table,
        }
        entry["flags"] = flags(entry, thresholds)
        out.append(entry)
    return out


def _kelley_groups(q, total, attempt, n):
    """Per row: in the upper / lower 27 % (by total score) of its question's candidates.

    Group size g = round(0.27 n) (half up), 0 below 2 candidates (one candidate has no
    upper and lower group). Ties in the total are broken by attempt index, so the groups
    are reproducible."""
    group = np.where(n >= 2, np.floor(GROUP_SHARE * n + 0.5), 0)
    order = np.lexsort((attempt, total, q))
    starts = np.concatenate(([0], np.cumsum(n)[:-1])).astype(np.int64)
    rank = np.empty(len(q), dtype=np.int64)
    rank[order] = np.arange(len(q)) - starts[q[order]]
    g = group[q]
    lower = (rank < g).astype(np.float64)
    upper = (rank >= n[q] - g).astype(np.float64) * (g > 0)
    return upper, lower, group


def _distractor_counts(data, q, rest, upper, lower, q_count):
    """{bit: (count, upper count, lower count, sum of rest scores)} per question; bit 0 is
    "unanswered". A multiple-choice response counts once for every letter it holds."""
    result = {}
    bits = [0] + [1 << i for i in range(len(LETTERS))] + [TRUE_BIT, FALSE_BIT]
    for bit in bits:
        chosen = (data.choice == 0) if bit == 0 else (data.choice & bit) != 0
        w = chosen.astype(np.float64)
        if bit and not w.any():
            continue
        result[bit] = (
            _group_sums(q, w, q_count),
            _group_sums(q, w * upper, q_count),
            _group_sums(q, w * lower, q_count),
            _group_sums(q, w * rest, q_count),
        )
    return result


def flags(entry: dict, t: Thresholds) -> list[str]:
    """What is wrong with a question. Nothing is flagged on fewer than ``min_responses``
    responses (noise), nor on an undefined statistic."""
    if entry["n"] < t.min_responses:
        return []
    found = []
    facility = entry["facility"]
    if facility is not None and facility > t.facility_max:
        found.append("too_easy")
    if facility is not None and facility < t.facility_min:
        found.append("too_hard")
    d = entry["discrimination"]
    if d is not None and d < t.discrimination_min:
        found.append("negative_discrimination")
    if any(row["option"] and not row["key"] and row["count"] == 0 for row in entry["distractors"]):
        found.append("unused_distractor")
    return found


# -- per blueprint ---------------------------------------------------------------------------


def test_statistics(data: Responses) -> dict:
    """Whole-paper statistics over the slots (positions) of the attempts.

    Scores are percentages of the paper's points (``100 x earned / total``). The
    coefficient of internal consistency is Cronbach's alpha over the slots' marks, which is
    KR-20 when every question is marked 0/1."""
    if len(data.attempt) == 0:
        return _empty_test()
    a_count = int(data.attempt.max()) + 1
    present = np.bincount(data.attempt, minlength=a_count) > 0
    earned = np.bincount(data.attempt, weights=data.earned, minlength=a_count)[present]
    possible = np.bincount(data.attempt, weights=data.points, minlength=a_count)[present]
    scores = 100 * earned / possible
    n = len(scores)
    slots = int(data.slot.max()) + 1
    # The slots matrix (attempts x slots) of marks as a percentage of the paper, so that
    # the slots' variances add up on the same scale as the total's.
    index = np.cumsum(present) - 1
    marks = np.zeros((n, slots))
    marks[index[data.attempt], data.slot] = 100 * data.earned / possible[index[data.attempt]]
    mean = float(scores.mean())
    sd = float(scores.std(ddof=1)) if n > 1 else float("nan")
    alpha = float("nan")
    if n > 1 and slots > 1 and sd > 0:
        slot_var = marks.var(axis=0, ddof=1).sum()
        alpha = slots / (slots - 1) * (1 - slot_var / sd**2)
    error_ratio = np.sqrt(1 - alpha) if np.isfinite(alpha) and alpha <= 1 else float("nan")
    centred = scores - mean
    m2 = float((centred**2).mean())
    skew = float((centred**3).mean() / m2**1.5) if m2 > 0 else float("nan")
    kurt = float((centred**4).mean() / m2**2 - 3) if m2 > 0 else float("nan")
    return {
        "attempts": n,
        "slots": slots,
        "mean": _num(mean),
        "median": _num(float(np.median(scores))),
        "sd": _num(sd),
        "skewness": _num(skew),
        "kurtosis": _num(kurt),
        "alpha": _num(alpha),
        "error_ratio": _num(error_ratio),
        "sem": _num(error_ratio * sd),
        "histogram": histogram(scores),
    }


def histogram(scores: np.ndarray, bins: int = HISTOGRAM_BINS) -> list[int]:
    """Counts of scores (0..100) in ``bins`` equal bins; the last one includes 100."""
    edges = np.linspace(0, 100, bins + 1)
    counts, _ = np.histogram(np.clip(scores, 0, 100), bins=edges)
    return [int(c) for c in counts]


def _empty_test() -> dict:
    return {
        "attempts": 0,
        "slots": 0,
        "mean": None,
        "median": None,
        "sd": None,
        "skewness": None,
        "kurtosis": None,
        "alpha": None,
        "error_ratio": None,
        "sem": None,
        "histogram": [0] * HISTOGRAM_BINS,
    }
