"""Grading the timed theory exam (pure): one engine for submission and for re-scoring.

A paper question is graded against its key, which is stored in the ORIGINAL option letters
(``"B"``, ``"ACD"``, ``"true"``), while the candidate's response is stored exactly as seen, in
the DISPLAYED letters of the shuffled paper (``option_order`` ``"CADB"``: displayed A is
original C, displayed B is original A, ...).

Scoring, per question:

- true_false and single: full points for the right answer, else 0.
- multiple: ``Spec.multiple_scoring``, exactly as ``papers.blueprint.score_multiple``:
  all_or_nothing = full points for exactly the right letters, else 0; partial = 0 when any
  wrong letter or nothing is chosen, else points x right chosen / right.
- Unanswered (missing, None or "") scores 0 and counts as wrong.

A paper: ``earned`` is the sum of the questions' points (partial credit makes it fractional),
``total`` the sum of their points, ``score = 100 x earned / total`` rounded half up to one
decimal (for display and reports). The result is **passed** when ``earned >= Spec.pass_mark``
(the pass mark is in points, compared with the exact earned points, never the rounded score:
69.95 of 100 shows as 70.0 and fails) and the critical-question rule (``Spec.
critical_wrong_allowed``, off by default) does not fail it. A critical question counts as
wrong unless it is fully right: partial credit earns its points but does not save a critical
question.

Arithmetic is exact. A question's credit is ``points x k / r`` with r (right letters) at most
``len(LETTERS)`` = 5, so every credit is a whole number of 1/60 points (60 = lcm(1..5)).
``grade`` sums ``Fraction``s, ``grade_many`` sums integer sixtieths in numpy; both turn the
exact value into a float once (correctly rounded, so the two agree to the bit) and round the
score with integer arithmetic, so no float sum (1/3 + 4/3 + 1/3 = 1.9999999999999998) can
tip a pass or a rounding.

Responses a terminal sends are checked with ``normalise_response`` before they are stored;
the engine checks them again and raises ``ValueError`` (naming the position) rather than
grade a response that cannot have been shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from ..bank.vocab import LETTERS, TYPES
from ..papers.blueprint import PARTIAL, SCORING_POLICIES, Spec

TRUE_FALSE_ANSWERS = ("true", "false")
# Every credit is a whole number of 1/UNITS points (lcm of the possible right-letter counts).
UNITS = math.lcm(*range(1, len(LETTERS) + 1))
# Response/key bitmasks: bit i = displayed letter LETTERS[i]; true and false get their own.
TRUE_BIT = 1 << len(LETTERS)
FALSE_BIT = 1 << (len(LETTERS) + 1)
_POPCOUNT = np.array([bin(i).count("1") for i in range(FALSE_BIT << 1)], dtype=np.int64)

__all__ = [
    "UNITS",
    "Grade",
    "KeyedQuestion",
    "QuestionMark",
    "displayed_to_original",
    "grade",
    "grade_many",
    "grade_papers",
    "normalise_response",
    "original_to_displayed",
]


# -- letters ---------------------------------------------------------------------------------


def _check_order(option_order: str) -> str:
    """The letters shown (``"ABCD"`` for a 4-option order); the order must permute them."""
    shown = LETTERS[: len(option_order)] if isinstance(option_order, str) else None
    if shown is None or sorted(option_order) != list(shown):
        raise ValueError(
            f"an option order is the letters A.. of its options, each once, not {option_order!r}"
        )
    return shown


def displayed_to_original(response: str, option_order: str) -> str:
    """The original option letters (sorted) behind displayed letters.

    ``displayed_to_original("BD", "CADB") == "AB"``: displayed B is original A, D is B.
    A letter not shown (beyond the question's options) or given twice is a ``ValueError``.
    """
    shown = _check_order(option_order)
    if len(set(response)) != len(response):
        raise ValueError(f"each letter is chosen at most once, not {response!r}")
    original = []
    for letter in response:
        index = shown.find(letter)
        if index < 0:
            raise ValueError(f"{letter!r} is not one of the options shown ({shown or 'none'})")
        original.append(option_order[index])
    return "".join(sorted(original))


def original_to_displayed(letters: str, option_order: str) -> str:
    """The displayed letters (sorted) of original option letters: the inverse mapping.

    ``original_to_displayed("A", "CADB") == "B"``. A letter that is not one of the
    question's options or is given twice is a ``ValueError``.
    """
    _check_order(option_order)
    if len(set(letters)) != len(letters):
        raise ValueError(f"each letter is given at most once, not {letters!r}")
    displayed = []
    for letter in letters:
        index = option_order.find(letter) if len(letter) == 1 else -1
        if index < 0:
            raise ValueError(
                f"{letter!r} is not one of the question's options ({option_order or 'none'})"
            )
        displayed.append(LETTERS[index])
    return "".join(sorted(displayed))


def normalise_response(qtype: str, response: str | None, option_count: int) -> str | None:
    """A response as a terminal sends it, checked and in its stored form.

    - None or "" is unanswered: None.
    - true_false: "true" or "false" (``option_count`` is ignored).
    - single: one displayed letter among the first ``option_count``.
    - multiple: one or more different displayed letters among the first ``option_count``,
      returned sorted ("DB" -> "BD").

    Strict: no case folding, no whitespace. Anything else is a ``ValueError`` saying what a
    valid response looks like.
    """
    if qtype not in TYPES:
        raise ValueError(f"the question type is one of {', '.join(TYPES)}, not {qtype!r}")
    if response is None or response == "":
        return None
    if not isinstance(response, str):
        raise ValueError(f"a response is text, not {type(response).__name__}")
    if qtype == "true_false":
        if response not in TRUE_FALSE_ANSWERS:
            raise ValueError(f"a true_false response is 'true' or 'false', not {response!r}")
        return response
    if isinstance(option_count, bool) or not 2 <= option_count <= len(LETTERS):
        raise ValueError(f"a question shows 2 to {len(LETTERS)} options, not {option_count!r}")
    shown = LETTERS[:option_count]
    letters = f"{shown[0]}-{shown[-1]}"
    if qtype == "single":
        if len(response) != 1 or response not in shown:
            raise ValueError(f"a single response is one letter {letters}, not {response!r}")
        return response
    if any(c not in shown for c in response) or len(set(response)) != len(response):
        raise ValueError(
            f"a multiple response is one or more different letters {letters}, not {response!r}"
        )
    return "".join(sorted(response))


# -- values ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyedQuestion:
    """One question of one paper with its key (original letters) and its displayed order."""

    position: int
    type: str
    answer: str
    option_order: str
    points: int
    critical: bool

    def __post_init__(self) -> None:
        where = f"question {self.position}"
        if self.type not in TYPES:
            raise ValueError(f"{where}: the type is one of {', '.join(TYPES)}, not {self.type!r}")
        if isinstance(self.points, bool) or not isinstance(self.points, int) or self.points < 1:
            raise ValueError(f"{where}: a question is worth 1 point or more, not {self.points!r}")
        if self.type == "true_false":
            if self.option_order != "":
                raise ValueError(f"{where}: a true_false question has no option order")
            if self.answer not in TRUE_FALSE_ANSWERS:
                raise ValueError(f"{where}: a true_false key is true or false, not {self.answer!r}")
            return
        try:
            shown = _check_order(self.option_order)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if len(shown) < 2:
            raise ValueError(f"{where}: a choice question has 2 or more options")
        valid = (
            isinstance(self.answer, str)
            and len(set(self.answer)) == len(self.answer) >= 1
            and all(c in shown for c in self.answer)
        )
        if not valid or (self.type == "single" and len(self.answer) != 1):
            raise ValueError(
                f"{where}: a {self.type} key is "
                f"{'one option letter' if self.type == 'single' else 'different option letters'}"
                f" among {shown}, not {self.answer!r}"
            )


@dataclass(frozen=True, slots=True)
class QuestionMark:
    """One question's outcome; ``response`` is the displayed response exactly as given."""

    position: int
    response: str | None
    correct: bool
    earned: float
    points: int
    critical: bool


@dataclass(frozen=True, slots=True)
class Grade:
    """One attempt's result. ``score = 100 x earned / total``, rounded half up to 1 decimal;
    ``passed`` = ``earned >= pass_mark`` (points, exact) and not ``failed_on_critical``.
    ``critical_wrong`` is counted whether or not the critical rule is on."""

    earned: float
    total: int
    score: float
    passed: bool
    pass_mark: int
    critical_wrong: int
    failed_on_critical: bool
    marks: tuple[QuestionMark, ...]
    policy: str


# -- checks shared by both paths -------------------------------------------------------------


def _check_spec(spec: Spec) -> tuple[str, int | None]:
    if spec.multiple_scoring not in SCORING_POLICIES:
        raise ValueError(
            f"multiple_scoring is {' or '.join(SCORING_POLICIES)}, not {spec.multiple_scoring!r}"
        )
    allowed = spec.critical_wrong_allowed
    if allowed is not None and (
        isinstance(allowed, bool) or not isinstance(allowed, int) or allowed < 0
    ):
        raise ValueError(f"critical_wrong_allowed is None or 0 or more, not {allowed!r}")
    return spec.multiple_scoring, allowed


def _check_questions(questions: Sequence[KeyedQuestion]) -> tuple[KeyedQuestion, ...]:
    questions = tuple(questions)
    if not questions:
        raise ValueError("a paper has at least one question")
    positions = [q.position for q in questions]
    if len(set(positions)) != len(positions):
        raise ValueError("a paper's question positions are distinct")
    return questions


def _check_positions(responses: Mapping[int, str | None], positions: frozenset[int]) -> None:
    unknown = set(responses) - positions
    if unknown:
        raise ValueError(f"responses to positions not on the paper: {sorted(unknown)}")


def _normalised(q: KeyedQuestion, given: str | None) -> str | None:
    try:
        return normalise_response(q.type, given, len(q.option_order))
    except ValueError as exc:
        raise ValueError(f"question {q.position}: {exc}") from None


def _failed_on_critical(critical_wrong: int, allowed: int | None) -> bool:
    return allowed is not None and critical_wrong > allowed


# -- one attempt (plain Python, exact fractions) ---------------------------------------------


def _credit(q: KeyedQuestion, given: str | None, policy: str) -> tuple[bool, Fraction]:
    """(fully right, points earned) for one question."""
    response = _normalised(q, given)
    if response is None:
        return False, Fraction(0)
    if q.type == "true_false":
        right = response == q.answer
        return right, Fraction(q.points if right else 0)
    chosen, key = set(displayed_to_original(response, q.option_order)), set(q.answer)
    if chosen == key:
        return True, Fraction(q.points)
    if q.type == "multiple" and policy == PARTIAL and chosen <= key:
        return False, Fraction(q.points * len(chosen), len(key))
    return False, Fraction(0)


def grade(
    questions: Sequence[KeyedQuestion], responses: Mapping[int, str | None], spec: Spec
) -> Grade:
    """Grade one attempt. ``responses`` maps a question's position to the displayed response
    (None, "" or a missing position: unanswered). Raises ``ValueError`` for a response that
    the question could not have been given, or a position not on the paper."""
    policy, allowed = _check_spec(spec)
    questions = _check_questions(questions)
    _check_positions(responses, frozenset(q.position for q in questions))
    earned = Fraction(0)
    critical_wrong = 0
    marks = []
    for q in questions:
        given = responses.get(q.position)
        right, credit = _credit(q, given, policy)
        earned += credit
        critical_wrong += q.critical and not right
        marks.append(QuestionMark(q.position, given, right, float(credit), q.points, q.critical))
    total = sum(q.points for q in questions)
    tenths = math.floor(1000 * earned / total + Fraction(1, 2))
    failed = _failed_on_critical(critical_wrong, allowed)
    return Grade(
        earned=float(earned),
        total=total,
        score=tenths / 10,
        passed=earned >= spec.pass_mark and not failed,
        pass_mark=spec.pass_mark,
        critical_wrong=critical_wrong,
        failed_on_critical=failed,
        marks=tuple(marks),
        policy=policy,
    )


# -- many attempts (numpy, integer sixtieths) ------------------------------------------------


# A few thousand (type, key, option order) combinations exist at most (5! orders x 31 keys).
@lru_cache(maxsize=8192)
def _key_bits(qtype: str, answer: str, option_order: str) -> int:
    """The key as a bitmask of DISPLAYED letters (so responses need no mapping)."""
    if qtype == "true_false":
        return TRUE_BIT if answer == "true" else FALSE_BIT
    return _letter_bits(original_to_displayed(answer, option_order))


def _letter_bits(letters: str) -> int:
    return sum(1 << LETTERS.index(c) for c in letters)


@lru_cache(maxsize=4096)
def _response_bits(qtype: str, option_count: int, given: str) -> int:
    """A response (checked by ``normalise_response``) as a bitmask of displayed letters."""
    response = normalise_response(qtype, given, option_count)
    if response is None:
        return 0
    if qtype == "true_false":
        return TRUE_BIT if response == "true" else FALSE_BIT
    return _letter_bits(response)


def _encode(q: KeyedQuestion, given: str | None) -> int:
    if given is None or given == "":
        return 0
    try:
        return _response_bits(q.type, len(q.option_order), given)
    except (ValueError, TypeError):  # TypeError: unhashable junk; let the checker word it
        _normalised(q, given)
        raise


def _paper_arrays(questions: tuple[KeyedQuestion, ...], width: int, policy: str):
    """Per question, padded to ``width``: key bits, points, critical, partial credit allowed."""
    pad = width - len(questions)
    key = [_key_bits(q.type, q.answer, q.option_order) for q in questions] + [0] * pad
    points = [q.points for q in questions] + [0] * pad
    critical = [q.critical for q in questions] + [False] * pad
    partial = [q.type == "multiple" and policy == PARTIAL for q in questions] + [False] * pad
    return key, points, critical, partial


def _grade_matrix(
    papers: Sequence[tuple[KeyedQuestion, ...]],
    attempts: Sequence[Mapping[int, str | None]],
    spec: Spec,
    policy: str,
    allowed: int | None,
    shared: bool,
) -> list[Grade]:
    """Grade attempt ``a`` against ``papers[0 if shared else a]`` in one pass of array maths.

    Rows are attempts, columns question slots (shorter papers are padded with 0-point,
    non-critical slots that are never reported)."""
    width = max(len(p) for p in papers)
    count = len(attempts)
    codes = np.zeros((count, width), dtype=np.int64)
    for a, responses in enumerate(attempts):
        paper = papers[0 if shared else a]
        _check_positions(responses, frozenset(q.position for q in paper))
        row = codes[a]
        for j, q in enumerate(paper):
            row[j] = _encode(q, responses.get(q.position))
    columns = [_paper_arrays(p, width, policy) for p in papers]
    key, points, critical, partial = (np.array(c) for c in zip(*columns, strict=True))
    key, points = key.astype(np.int64), points.astype(np.int64)
    critical, partial = critical.astype(bool), partial.astype(bool)
    # key etc. are (1, width) when shared, else (count, width): broadcasting does the rest.
    correct = codes == key
    subset = (codes != 0) & ((codes & ~key) == 0)
    units = points * UNITS
    partial_units = units * _POPCOUNT[codes & key] // np.maximum(_POPCOUNT[key], 1)
    earned = np.where(correct, units, np.where(partial & subset, partial_units, 0))
    earned = np.where(points > 0, earned, 0)  # padding slots
    earned_sum = earned.sum(axis=1)
    total = np.broadcast_to(points.sum(axis=1), (count,))
    tenths = (2000 * earned_sum + UNITS * total) // (2 * UNITS * total)
    critical_wrong = (critical & ~correct).sum(axis=1)
    passing = earned_sum >= spec.pass_mark * UNITS

    grades = []
    earned_rows, correct_rows = earned.tolist(), np.broadcast_to(correct, codes.shape).tolist()
    for a, responses in enumerate(attempts):
        paper = papers[0 if shared else a]
        wrong = int(critical_wrong[a])
        failed = _failed_on_critical(wrong, allowed)
        row_units, row_correct = earned_rows[a], correct_rows[a]
        marks = tuple(
            QuestionMark(
                q.position,
                responses.get(q.position),
                row_correct[j],
                row_units[j] / UNITS,
                q.points,
                q.critical,
            )
            for j, q in enumerate(paper)
        )
        grades.append(
            Grade(
                earned=int(earned_sum[a]) / UNITS,
                total=int(total[a]),
                score=int(tenths[a]) / 10,
                passed=bool(passing[a]) and not failed,
                pass_mark=spec.pass_mark,
                critical_wrong=wrong,
                failed_on_critical=failed,
                marks=marks,
                policy=policy,
            )
        )
    return grades


def grade_many(
    questions: Sequence[KeyedQuestion],
    responses_per_attempt: Sequence[Mapping[int, str | None]],
    spec: Spec,
) -> list[Grade]:
    """Grade many attempts at the SAME paper (same questions, keys and option orders), e.g.
    re-scoring after a key correction. Vectorised: responses become one attempts x questions
    matrix of option bitmasks. Gives exactly the Grades ``grade`` gives, one per attempt."""
    policy, allowed = _check_spec(spec)
    questions = _check_questions(questions)
    if not responses_per_attempt:
        return []
    return _grade_matrix([questions], responses_per_attempt, spec, policy, allowed, shared=True)


def grade_papers(
    items: Sequence[tuple[Sequence[KeyedQuestion], Mapping[int, str | None]]], spec: Spec
) -> list[Grade]:
    """Grade attempts at DIFFERENT papers ((questions, responses) per attempt), in order.

    Every candidate has their own draw and option orders, so the keys become a matrix too
    (papers of different lengths are padded). Same Grades as ``grade`` on each item."""
    policy, allowed = _check_spec(spec)
    if not items:
        return []
    papers = [_check_questions(questions) for questions, _responses in items]
    attempts = [responses for _questions, responses in items]
    return _grade_matrix(papers, attempts, spec, policy, allowed, shared=False)
