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


# Marks are whole sixtieths of a point (exams/grading.py UNITS), so a mark or a total is an
# integer code: the sorted orders the statistics need come from histograms of these codes
# instead of sorting millions of rows.
UNITS = 60
# A variance below this is zero (every mark alike): the statistics that divide by it are
# undefined. The smallest real variance of marks in sixtieths is far larger.
ZERO_VARIANCE = 1e-12
_BIT_MATRIX = np.array(
    [[(code >> b) & 1 for b in range(len(LETTERS) + 2)] for code in range(FALSE_BIT << 1)],
    dtype=np.float64,
)


def _smallest_sums(counts: np.ndarray, values: np.ndarray, take: np.ndarray) -> np.ndarray:
    """Per row of a histogram (``counts`` Q x L over ascending ``values``): the sum of the
    ``take`` (Q x K) smallest values."""
    cum_count = np.cumsum(counts, axis=1)
    cum_sum = np.cumsum(counts * values, axis=1)
    q_count, l_count = counts.shape
    out = np.zeros(take.shape)
    for k in range(take.shape[1]):
        c = take[:, k]
        # First level whose cumulative count reaches c (0 when c is 0).
        level = np.minimum((cum_count < c[:, None]).sum(axis=1), l_count - 1)
        rows = np.arange(q_count)
        below_count = np.where(level > 0, cum_count[rows, level - 1], 0)
        below_sum = np.where(level > 0, cum_sum[rows, level - 1], 0.0)
        out[:, k] = np.where(c > 0, below_sum + (c - below_count) * values[level], 0.0)
    return out


def _group_weights(counts, g):
    """Kelley's groups as weights per (question, total level), Q x L each: the lower group
    is the g candidates with the lowest paper totals among those who saw the question, the
    upper group the g highest. Candidates tied at a group's boundary share its remaining
    places equally (a fractional weight), so the groups do not depend on the order the
    candidates happen to be stored in."""
    q_count, l_count = counts.shape
    cum = np.cumsum(counts, axis=1)
    n = cum[:, -1]
    rows = np.arange(q_count)
    levels = np.arange(l_count)[None, :]
    # Lower: the first level whose cumulative count reaches g.
    low_level = np.minimum((cum < g[:, None]).sum(axis=1), l_count - 1)
    low_before = np.where(low_level > 0, cum[rows, low_level - 1], 0)
    low_at = counts[rows, low_level]
    low_frac = np.where(low_at > 0, (g - low_before) / np.where(low_at > 0, low_at, 1), 0)
    # Upper: the lowest level with fewer than g candidates strictly above it.
    above = n[:, None] - cum
    up_level = np.minimum(l_count - (above < g[:, None]).sum(axis=1), l_count - 1)
    up_above = above[rows, up_level]
    up_at = counts[rows, up_level]
    up_frac = np.where(up_at > 0, (g - up_above) / np.where(up_at > 0, up_at, 1), 0)
    lower = np.where(
        levels < low_level[:, None],
        1.0,
        np.where(levels == low_level[:, None], low_frac[:, None], 0),
    )
    upper = np.where(
        levels > up_level[:, None], 1.0, np.where(levels == up_level[:, None], up_frac[:, None], 0)
    )
    has = (g > 0)[:, None]
    return upper * has, lower * has


# Rows are processed in chunks: every per-question figure is a sum over rows, so chunks add
# up, and a chunk's temporaries stay small (10 million rows at once would touch gigabytes of
# fresh memory on every call).
CHUNK = 1 << 20


def _chunks(size: int):
    for start in range(0, size, CHUNK):
        yield slice(start, min(start + CHUNK, size))


def _levels(present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code -> level index lookup, the levels' values in points) of the codes present."""
    return np.cumsum(present) - 1, np.flatnonzero(present) / UNITS


def question_statistics(
    data: Responses, questions: Sequence[QuestionInfo], thresholds: Thresholds = Thresholds()
) -> list[dict]:
    """One entry per question (in ``questions`` order) with at least one response."""
    q_count = len(questions)
    rows = len(data.attempt)
    if rows == 0:
        return []
    a_count = int(data.attempt.max()) + 1
    total_of = np.bincount(data.attempt, weights=data.earned, minlength=a_count)
    t_code = np.rint(total_of * UNITS).astype(np.int64)  # per attempt
    seen = np.bincount(data.attempt, minlength=a_count) > 0
    t_lookup, t_values = _levels(np.bincount(t_code[seen], minlength=1) > 0)
    t_level = t_lookup[t_code]
    t_count = len(t_values)
    x_max = int(np.rint(data.points.max() * UNITS))
    r_max = int(t_code.max())
    z = np.zeros(q_count)
    n, facility, points_sum, sum_x, sum_r = z.copy(), z.copy(), z.copy(), z.copy(), z.copy()
    x_present = np.zeros(x_max + 1, dtype=bool)
    r_present = np.zeros(r_max + 1, dtype=bool)
    t_hist = np.zeros(q_count * t_count)
    # Pass 1: counts, sums, the codes present, the totals' histogram per question.
    for s in _chunks(rows):
        q, a, x, m = data.question[s], data.attempt[s], data.earned[s], data.points[s]
        x_code = np.rint(x * UNITS).astype(np.int64)
        n += np.bincount(q, minlength=q_count)
        facility += np.bincount(q, weights=x / m, minlength=q_count)
        points_sum += np.bincount(q, weights=m, minlength=q_count)
        sum_x += np.bincount(q, weights=x, minlength=q_count)
        sum_r += np.bincount(q, weights=total_of[a] - x, minlength=q_count)
        x_present |= np.bincount(x_code, minlength=x_max + 1) > 0
        r_present |= np.bincount(t_code[a] - x_code, minlength=r_max + 1) > 0
        t_hist += np.bincount(q * t_count + t_level[a], minlength=q_count * t_count)
    t_hist = t_hist.reshape(q_count, t_count)
    safe_n = np.where(n > 0, n, 1)
    safe_n1 = np.where(n > 1, n - 1, 1)
    facility /= safe_n
    max_points = points_sum / safe_n
    mean_x, mean_r = sum_x / safe_n, sum_r / safe_n
    x_lookup, x_values = _levels(x_present)
    r_lookup, r_values = _levels(r_present)
    x_count, r_count = len(x_values), len(r_values)
    group = np.where(n >= 2, np.floor(GROUP_SHARE * n + 0.5), 0)
    upper_table, lower_table = (t.ravel() for t in _group_weights(t_hist, group))
    # Pass 2: (co)variances around the means, the mark and rest histograms, Kelley's groups,
    # the distractor histograms over (question, choice code).
    code_count = FALSE_BIT << 1
    var_x, var_r, cov, up_sum, low_sum = z.copy(), z.copy(), z.copy(), z.copy(), z.copy()
    x_hist = np.zeros(q_count * x_count)
    r_hist = np.zeros(q_count * r_count)
    by_code = [np.zeros(q_count * code_count) for _ in range(4)]
    for s in _chunks(rows):
        q, a, x, m = data.question[s], data.attempt[s], data.earned[s], data.points[s]
        rest = total_of[a] - x  # the rest of the paper (Moodle's "other marks")
        x_code = np.rint(x * UNITS).astype(np.int64)
        dx, dr = x - mean_x[q], rest - mean_r[q]
        var_x += np.bincount(q, weights=dx * dx, minlength=q_count)
        var_r += np.bincount(q, weights=dr * dr, minlength=q_count)
        cov += np.bincount(q, weights=dx * dr, minlength=q_count)
        x_hist += np.bincount(q * x_count + x_lookup[x_code], minlength=q_count * x_count)
        r_level = r_lookup[t_code[a] - x_code]
        r_hist += np.bincount(q * r_count + r_level, minlength=q_count * r_count)
        flat_t = q * t_count + t_level[a]
        upper, lower = upper_table[flat_t], lower_table[flat_t]
        score = x / m
        up_sum += np.bincount(q, weights=score * upper, minlength=q_count)
        low_sum += np.bincount(q, weights=score * lower, minlength=q_count)
        c_flat = q * code_count + data.choice[s]
        for h, w in zip(by_code, (None, upper, lower, rest), strict=True):
            h += np.bincount(c_flat, weights=w, minlength=q_count * code_count)
    var_x /= safe_n1
    var_r /= safe_n1
    cov /= safe_n1
    defined = (n > 1) & (var_x > ZERO_VARIANCE) & (var_r > ZERO_VARIANCE)
    with np.errstate(divide="ignore", invalid="ignore"):
        discrimination = np.where(defined, cov / np.sqrt(var_x * var_r), np.nan)
    # Cmax: the covariance if the candidates sorted by the rest of the paper were also
    # sorted by this question's mark: sum over the x levels of (x - mean) times the sum of
    # the rest values in the same ranks of the sorted rest.
    bounds = np.cumsum(x_hist.reshape(q_count, x_count), axis=1)
    prefix = _smallest_sums(r_hist.reshape(q_count, r_count), r_values, bounds)
    segment = np.diff(np.concatenate([np.zeros((q_count, 1)), prefix], axis=1), axis=1)
    cmax = ((x_values[None, :] - mean_x[:, None]) * segment).sum(axis=1) / safe_n1
    with np.errstate(divide="ignore", invalid="ignore"):
        efficiency = np.where(defined & (cmax > 0), cov / cmax, np.nan)
    safe_g = np.where(group > 0, group, 1)
    d27 = np.where(group > 0, (up_sum - low_sum) / safe_g, np.nan)
    # Each option's column is the sum over the choice codes holding its bit.
    by_code = [h.reshape(q_count, code_count) for h in by_code]
    tables = [h @ _BIT_MATRIX for h in by_code]
    blank = [h[:, 0] for h in by_code]
    bit_index = {1 << b: b for b in range(len(LETTERS) + 2)}

    out = []
    for i, info in enumerate(questions):
        if n[i] == 0:
            continue
        table = []
        key = key_bits(info)
        rows = [
            (label, bit, [t[i, bit_index[bit]] for t in tables])
            for label, bit in option_labels(info)
        ]
        rows.append((None, 0, [b[i] for b in blank]))
        for label, bit, (count, up, low, rest_sum) in rows:
            c = round(float(count))
            table.append(
                {
                    "option": label,
                    "key": bool(key & bit),
                    "count": c,
                    "share": _num(c / n[i]),
                    "upper": _num(up),
                    "lower": _num(low),
                    "rest_mean": _num(rest_sum / c) if c else None,
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
    # Each slot's mark as a percentage of the paper, so that the slots' variances add up on
    # the same scale as the total's; an attempt without the slot counts 0 there. Two
    # passes over the rows (mean, then squares around it), chunk by chunk.
    index = np.cumsum(present) - 1
    slot_n, slot_sum = np.zeros(slots), np.zeros(slots)
    for part in _chunks(len(data.attempt)):
        y = 100 * data.earned[part] / possible[index[data.attempt[part]]]
        slot_n += np.bincount(data.slot[part], minlength=slots)
        slot_sum += np.bincount(data.slot[part], weights=y, minlength=slots)
    slot_mean = slot_sum / n
    slot_squares = (n - slot_n) * slot_mean**2  # the attempts without the slot
    for part in _chunks(len(data.attempt)):
        y = 100 * data.earned[part] / possible[index[data.attempt[part]]]
        d = y - slot_mean[data.slot[part]]
        slot_squares += np.bincount(data.slot[part], weights=d * d, minlength=slots)
    mean = float(scores.mean())
    sd = float(scores.std(ddof=1)) if n > 1 else float("nan")
    alpha = float("nan")
    if n > 1 and slots > 1 and sd > 0:
        slot_var = slot_squares.sum() / (n - 1)
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
