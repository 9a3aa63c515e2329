"""Practical results (pure): reconciling two examiners, the combined result, and retakes.

Dates and settings are parameters; nothing here reads a clock or the database.

**Two examiners** score each candidate independently [INFERENCE: domain.md §10 "at least 2
examiners per practical"]. ``reconcile`` compares their totals:

- ``|first - second| <= threshold``: agreed; the result is the mean (``policy="mean"``, exact,
  so 70 and 71 give 70.5) or the lower of the two (``policy="lower"``). A difference exactly
  equal to the threshold is agreed; only more than the threshold goes to the lead examiner.
- ``|first - second| > threshold``: ``needs_lead``; ``decide_by_lead`` records the lead
  examiner's score with a reason (required).

``reconcile_sheets`` does the same for two ``SheetScore``s of the same sheet version (both
complete). If the examiners recorded different vetoes, that is a disagreement whatever the
points: it goes to the lead examiner too. Both recording the same vetoes fails the practical.
The defaults (threshold 10 points, the mean) are INFERENCE: a centre setting.

**The combined result** [CONFIRMED (secondary): domain.md §4]: the candidate passes the item
when theory >= its pass mark AND practical >= its pass mark (70 each by default; the
comparison is exact: 69.5 fails) and the practical has no veto. A subject is passed when any
of its sittings passed (a passed retake counts).

**Retakes** [REPORTED: domain.md §4, hzadjc.com; tianayuntea.cn], as
``sessions.eligibility`` reads them (the same reason codes, and a test keeps the two in step):

- one retake (``retakes``) per failed subject; a second retake is refused (``retakes_used_up``);
- not on the day of the failed sitting (``retake_same_day``), nor before it
  (``before_failed_sitting``);
- within ``window_days`` (default 365) of the *first* failed sitting of that subject: the
  failed day + 365 days is the last day allowed, + 366 is refused (``retake_window_passed``)
  [INFERENCE: domain.md §4 "commonly 1 year ... make it configurable"];
- an absence fails that sitting with no retake (``absent_no_retake``), when
  ``absence_forbids_retake`` (default on) [REPORTED: one Zhejiang centre]. When off, an
  absence counts as an ordinary fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any

from .scoring import SheetScore
from .sheets import to_decimal

SUBJECTS = ("theory", "practical")
MODES = {"theory": ("computer", "paper"), "practical": ("crane", "simulator")}
POLICIES = ("mean", "lower")
DEFAULT_THRESHOLD = Decimal(10)  # INFERENCE: a centre setting
DEFAULT_PASS_MARK = Decimal(70)  # CONFIRMED (secondary), domain.md §0
DEFAULT_WINDOW_DAYS = 365  # INFERENCE, domain.md §4
MIN_PRACTICAL_EXAMINERS = 2  # INFERENCE, domain.md §10


def _points(value: Any, what: str) -> Decimal:
    """A number of points (int, Decimal, float or numeric text) as an exact Decimal, >= 0."""
    if isinstance(value, str):
        try:
            number: Decimal | None = Decimal(value.strip())
        except ArithmeticError:
            number = None
    else:
        number = to_decimal(value)
    if number is None or not number.is_finite() or number < 0:
        raise ValueError(f"{what} must be a number, 0 or more, not {value!r}")
    return number


# --- Two examiners ----------------------------------------------------------------------------


class ReconcileStatus(StrEnum):
    AGREED = "agreed"
    NEEDS_LEAD = "needs_lead"
    LEAD_DECIDED = "lead_decided"


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """``score`` is None exactly while ``status`` is ``needs_lead``.

    ``why`` says what sent it to the lead examiner: ``"difference"`` or ``"vetoes"``.
    ``pass_mark`` (from the sheet, when reconciling sheets) lets ``passed`` answer.
    """

    status: ReconcileStatus
    first: Decimal
    second: Decimal
    difference: Decimal
    score: Decimal | None
    policy: str
    threshold: Decimal
    vetoes: tuple[str, ...] = ()
    why: str | None = None
    reason: str | None = None
    lead: str | None = None
    pass_mark: Decimal | None = None
    total: Decimal | None = None

    @property
    def passed(self) -> bool | None:
        """False with a veto; None while undecided or without a pass mark; else exact >=."""
        if self.vetoes:
            return False
        if self.score is None or self.pass_mark is None:
            return None
        return self.score >= self.pass_mark


def _check_policy(threshold: Any, policy: str) -> Decimal:
    if policy not in POLICIES:
        raise ValueError(f"policy must be mean or lower, not {policy!r}")
    return _points(threshold, "the threshold")


def reconcile(
    first: Any,
    second: Any,
    *,
    threshold: Any = DEFAULT_THRESHOLD,
    policy: str = "mean",
) -> Reconciliation:
    """Two examiners' totals -> the result, or ``needs_lead`` when they differ by more than
    ``threshold`` (equal to it is still agreed)."""
    limit = _check_policy(threshold, policy)
    a, b = _points(first, "the first total"), _points(second, "the second total")
    difference = abs(a - b)
    if difference > limit:
        return Reconciliation(
            ReconcileStatus.NEEDS_LEAD, a, b, difference, None, policy, limit, why="difference"
        )
    score = (a + b) / 2 if policy == "mean" else min(a, b)
    return Reconciliation(ReconcileStatus.AGREED, a, b, difference, score, policy, limit)


def reconcile_sheets(
    first: SheetScore,
    second: SheetScore,
    *,
    threshold: Any = DEFAULT_THRESHOLD,
    policy: str = "mean",
) -> Reconciliation:
    """Two examiners' sheets (same sheet version, both complete) -> the result.

    Different vetoes go to the lead examiner (``why="vetoes"``) even when the totals agree.
    Raises ``ValueError`` for sheets of different versions or an incomplete sheet.
    """
    key = (first.sheet, first.version, first.content_hash)
    if key != (second.sheet, second.version, second.content_hash):
        raise ValueError(
            f"the examiners scored different sheets: {first.sheet} v{first.version} and"
            f" {second.sheet} v{second.version}"
        )
    for which, sheet in (("first", first), ("second", second)):
        if not sheet.complete:
            raise ValueError(f"the {which} examiner's sheet is missing {', '.join(sheet.missing)}")
    result = reconcile(first.score, second.score, threshold=threshold, policy=policy)
    vetoes_a = tuple(v.code for v in first.vetoes)
    vetoes_b = tuple(v.code for v in second.vetoes)
    if set(vetoes_a) != set(vetoes_b):
        return Reconciliation(
            ReconcileStatus.NEEDS_LEAD, result.first, result.second, result.difference, None,
            policy, result.threshold, vetoes=(), why="vetoes", pass_mark=first.pass_mark,
            total=first.total,
        )  # fmt: skip
    return Reconciliation(
        result.status, result.first, result.second, result.difference, result.score, policy,
        result.threshold, vetoes=vetoes_a, why=result.why, pass_mark=first.pass_mark,
        total=first.total,
    )  # fmt: skip


def decide_by_lead(
    reconciliation: Reconciliation,
    *,
    score: Any,
    reason: str,
    lead: str,
    vetoes: Iterable[str] = (),
    total: Any = None,
) -> Reconciliation:
    """The lead examiner's decision on a ``needs_lead`` reconciliation: a score from 0 to
    the total (``total``, else the sheet's from ``reconcile_sheets``, else 100), the vetoes
    they uphold, who they are and why (both required)."""
    if reconciliation.status != ReconcileStatus.NEEDS_LEAD:
        raise ValueError(
            f"only a needs_lead result goes to the lead examiner, not {reconciliation.status}"
        )
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("the lead examiner must give a reason")
    if not isinstance(lead, str) or not lead.strip():
        raise ValueError("name the lead examiner")
    value = _points(score, "the lead examiner's score")
    if total is None:
        total = reconciliation.total if reconciliation.total is not None else 100
    if value > _points(total, "the total"):
        raise ValueError(f"the lead examiner's score {value} is more than the total {total}")
    return Reconciliation(
        ReconcileStatus.LEAD_DECIDED, reconciliation.first, reconciliation.second,
        reconciliation.difference, value, reconciliation.policy, reconciliation.threshold,
        vetoes=tuple(dict.fromkeys(vetoes)), why=reconciliation.why, reason=reason.strip(),
        lead=lead.strip(), pass_mark=reconciliation.pass_mark, total=reconciliation.total,
    )  # fmt: skip


# --- Subject results --------------------------------------------------------------------------


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ABSENT = "absent"
    NOT_SAT = "not_sat"


@dataclass(frozen=True, slots=True)
class SubjectResult:
    """One sitting of one subject.

    ``sitting`` is 1 for the first sitting and 2 for the retake. ``mode``: theory
    ``computer``/``paper``, practical ``crane``/``simulator``. ``score`` is None exactly when
    ``absent``. A practical that was sat records at least two examiners and may record
    vetoes and the sheet version (id, version, content hash) that scored it.
    """

    subject: str
    on: date
    sitting: int
    mode: str
    score: Decimal | None
    examiners: tuple[str, ...] = ()
    absent: bool = False
    vetoes: tuple[str, ...] = ()
    sheet: str | None = None
    sheet_version: int | None = None
    sheet_hash: str | None = None

    def __post_init__(self) -> None:
        if self.subject not in SUBJECTS:
            raise ValueError(f"subject must be theory or practical, not {self.subject!r}")
        if self.mode not in MODES[self.subject]:
            raise ValueError(
                f"a {self.subject} mode is {' or '.join(MODES[self.subject])}, not {self.mode!r}"
            )
        if isinstance(self.sitting, bool) or not isinstance(self.sitting, int) or self.sitting < 1:
            raise ValueError(f"sitting is 1 (first) or more (retakes), not {self.sitting!r}")
        if self.absent != (self.score is None):
            raise ValueError("an absent candidate has no score, and one who sat has one")
        if self.score is not None:
            object.__setattr__(self, "score", _points(self.score, "the score"))
        object.__setattr__(self, "examiners", tuple(self.examiners))
        object.__setattr__(self, "vetoes", tuple(self.vetoes))
        if self.subject == "theory" and (self.vetoes or self.sheet):
            raise ValueError("vetoes and score sheets belong to the practical")
        if (
            self.subject == "practical"
            and not self.absent
            and len(set(self.examiners)) < MIN_PRACTICAL_EXAMINERS
        ):
            raise ValueError(
                f"a practical is scored by at least {MIN_PRACTICAL_EXAMINERS} examiners"
            )

    def outcome(self, pass_mark: Any = DEFAULT_PASS_MARK) -> Outcome:
        """Absent, or passed when score >= pass_mark (exact) with no veto, else failed."""
        if self.absent:
            return Outcome.ABSENT
        assert self.score is not None
        if self.vetoes or self.score < _points(pass_mark, "the pass mark"):
            return Outcome.FAILED
        return Outcome.PASSED


class RetakeRefusal(StrEnum):
    """Why a retake is not allowed; the shared codes equal ``sessions.eligibility.ReasonCode``."""

    NO_FAILED_SITTING = "no_failed_sitting"
    ALREADY_PASSED = "already_passed"
    ABSENT_NO_RETAKE = "absent_no_retake"
    RETAKES_USED_UP = "retakes_used_up"
    BEFORE_FAILED_SITTING = "before_failed_sitting"
    RETAKE_SAME_DAY = "retake_same_day"
    RETAKE_WINDOW_PASSED = "retake_window_passed"


@dataclass(frozen=True, slots=True)
class RetakeRules:
    window_days: int = DEFAULT_WINDOW_DAYS
    retakes: int = 1
    absence_forbids_retake: bool = True
    theory_pass_mark: Decimal = DEFAULT_PASS_MARK
    practical_pass_mark: Decimal = DEFAULT_PASS_MARK

    def pass_mark(self, subject: str) -> Decimal:
        return self.theory_pass_mark if subject == "theory" else self.practical_pass_mark


DEFAULT_RULES = RetakeRules()


def _history(results: Sequence[SubjectResult], subject: str) -> list[SubjectResult]:
    """The subject's sittings in order; refuses numbering that is not 1, 2, ... by date."""
    sittings = sorted((r for r in results if r.subject == subject), key=lambda r: r.sitting)
    for expected, result in enumerate(sittings, start=1):
        if result.sitting != expected:
            raise ValueError(f"{subject} sittings must be numbered 1, 2, ...: got {result.sitting}")
    for earlier, later in pairwise(sittings):
        if later.on <= earlier.on:
            raise ValueError(
                f"{subject} sitting {later.sitting} is not after sitting {earlier.sitting}"
            )
    return sittings


def _standing_refusal(
    history: list[SubjectResult], rules: RetakeRules, subject: str
) -> RetakeRefusal | None:
    """The refusal that does not depend on the retake's date."""
    if not history:
        return RetakeRefusal.NO_FAILED_SITTING
    outcomes = [r.outcome(rules.pass_mark(subject)) for r in history]
    if Outcome.PASSED in outcomes:
        return RetakeRefusal.ALREADY_PASSED
    if rules.absence_forbids_retake and Outcome.ABSENT in outcomes:
        return RetakeRefusal.ABSENT_NO_RETAKE
    if len(history) > rules.retakes:
        return RetakeRefusal.RETAKES_USED_UP
    return None


def last_retake_day(
    results: Sequence[SubjectResult], subject: str, rules: RetakeRules = DEFAULT_RULES
) -> date | None:
    """The last day a retake of ``subject`` is allowed (first failed day + window), or None."""
    history = _history(results, subject)
    if not history or _standing_refusal(history, rules, subject) is not None:
        return None
    return history[0].on + timedelta(days=rules.window_days)


def retake_refusal(
    results: Sequence[SubjectResult],
    subject: str,
    on: date,
    rules: RetakeRules = DEFAULT_RULES,
) -> RetakeRefusal | None:
    """None when a retake of ``subject`` may be held on ``on``; else the first reason against,
    in this order: no failed sitting, already passed, absent, retakes used up, before the
    failed sitting, the same day, the window passed."""
    if subject not in SUBJECTS:
        raise ValueError(f"subject must be theory or practical, not {subject!r}")
    history = _history(results, subject)
    refusal = _standing_refusal(history, rules, subject)
    if refusal is not None:
        return refusal
    failed = history[-1].on
    if on < failed:
        return RetakeRefusal.BEFORE_FAILED_SITTING
    if on == failed:
        return RetakeRefusal.RETAKE_SAME_DAY
    if on > history[0].on + timedelta(days=rules.window_days):
        return RetakeRefusal.RETAKE_WINDOW_PASSED
    return None


@dataclass(frozen=True, slots=True)
class SubjectStanding:
    """Where a subject stands: its outcome (passed if any sitting passed, else the latest
    sitting's), its sittings, and whether a retake is still possible (``retake_refusal``
    None and ``last_retake_day`` set) or why not."""

    subject: str
    outcome: Outcome
    sittings: tuple[SubjectResult, ...]
    retake_refusal: RetakeRefusal | None
    last_retake_day: date | None

    @property
    def latest(self) -> SubjectResult | None:
        return self.sittings[-1] if self.sittings else None


@dataclass(frozen=True, slots=True)
class CombinedResult:
    passed: bool
    theory: SubjectStanding
    practical: SubjectStanding


def combined_result(
    results: Sequence[SubjectResult], rules: RetakeRules = DEFAULT_RULES
) -> CombinedResult:
    """The item's result from every sitting of both subjects (one application).

    ``passed`` when both subjects are passed. Raises ``ValueError`` for sittings that are not
    numbered 1, 2, ... in date order.
    """
    standings = []
    for subject in SUBJECTS:
        history = _history(results, subject)
        outcomes = [r.outcome(rules.pass_mark(subject)) for r in history]
        if not history:
            outcome = Outcome.NOT_SAT
        elif Outcome.PASSED in outcomes:
            outcome = Outcome.PASSED
        else:
            outcome = outcomes[-1]
        refusal = _standing_refusal(history, rules, subject)
        last_day = None if refusal else history[0].on + timedelta(days=rules.window_days)
        standings.append(SubjectStanding(subject, outcome, tuple(history), refusal, last_day))
    theory, practical = standings
    passed = theory.outcome == Outcome.PASSED and practical.outcome == Outcome.PASSED
    return CombinedResult(passed, theory, practical)


__all__ = [
    "DEFAULT_PASS_MARK",
    "DEFAULT_RULES",
    "DEFAULT_THRESHOLD",
    "DEFAULT_WINDOW_DAYS",
    "MIN_PRACTICAL_EXAMINERS",
    "MODES",
    "POLICIES",
    "SUBJECTS",
    "CombinedResult",
    "Outcome",
    "ReconcileStatus",
    "Reconciliation",
    "RetakeRefusal",
    "RetakeRules",
    "SubjectResult",
    "SubjectStanding",
    "combined_result",
    "decide_by_lead",
    "last_retake_day",
    "reconcile",
    "reconcile_sheets",
    "retake_refusal",
]
