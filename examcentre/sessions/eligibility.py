"""May this person sit this item on this date? Pure: plain values in, a ``Verdict`` out.

The rules, with how sure we are of each (labels as in ``shared/spec/domain.md``):

- **Age** (``under_age``, ``over_age``): applicants must be 18 or over
  [REPORTED: domain.md §3.1, a 2019-era summary of TSG Z6001-2019 第三章; the official text
  was not available]. One summary adds "not over 60"; that is off by default
  (``max_age=None``) because it was not confirmed. Age is in whole years on the exam date,
  as ``ResidentId.age_on`` counts it: the 18th birthday itself counts as 18, the day before
  (17 years 364 days) does not. Someone born on 29 February has their birthday on 1 March
  in a common year (the usual Chinese reading: the age is reached once the date has passed
  28 February) [INFERENCE]. "Not over 60" is read as "age in whole years ≤ 60", i.e. up to
  the day before the 61st birthday [INFERENCE].
- **Subjects**: theory and practical, each passed separately; the item is passed when both
  are [CONFIRMED (secondary): domain.md §4, TSG Z6001-2019 pass mark 70 per subject].
  Retakes are counted per subject.
- **One retake** of a failed subject (``retakes_used_up`` after that; the candidate must
  re-train and re-apply) [REPORTED: domain.md §4, hzadjc.com and tianayuntea.cn].
- **Not on the same day** as the failed sitting (``retake_same_day``)
  [REPORTED: domain.md §4, hzadjc.com].
- **A no-show** (absent) fails that sitting with no retake (``absent_no_retake``)
  [REPORTED: one Zhejiang centre, domain.md §4]. A setting, on by default; when off, an
  absence counts as an ordinary fail.
- **Retake window** (``retake_window_passed``): the retake must be within
  ``retake_window_days`` (default 365) of the first failed sitting; the last day of the
  window is allowed, the day after is not. [INFERENCE: domain.md §4 says "commonly 1 year.
  Not found in public sources. Make it configurable."]
- **Pending** (``pending_result``): while any sitting of the item has no result yet (or is
  booked), a new one is not decided [INFERENCE: the result decides whether a retake is due].
- **Already passed** (``already_passed``): every subject asked for is already passed.

``history`` is the candidate's sittings under the *current* application (申请). The caller
should leave out sittings of earlier, finished applications: a new application, after
re-training, starts afresh (domain.md §4). Sittings of other items are ignored; sittings
dated after the exam date are ignored, except pending ones, which always block.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from ..idnumber import ResidentId, parse_id_number

Subject = Literal["theory", "practical"]
Outcome = Literal["passed", "failed", "absent", "pending"]
SUBJECTS: tuple[Subject, ...] = ("theory", "practical")
SUBJECT_ZH: dict[str, str] = {"theory": "理论知识考试", "practical": "实际操作技能考试"}


@dataclass(frozen=True, slots=True)
class EligibilitySettings:
    """A centre's reading of the rules (see the module docstring for each one's source)."""

    min_age: int = 18
    max_age: int | None = None
    retakes_per_subject: int = 1
    retake_window_days: int = 365
    absence_forbids_retake: bool = True


DEFAULT_SETTINGS = EligibilitySettings()


@dataclass(frozen=True, slots=True)
class Sitting:
    """One earlier (or booked) sitting of one subject of an item, and how it ended."""

    date: datetime.date
    item: str
    subject: Subject
    outcome: Outcome


class ReasonCode(StrEnum):
    """Why someone may not sit; stable codes for the edges and the audit log."""

    UNDER_AGE = "under_age"
    OVER_AGE = "over_age"
    ALREADY_PASSED = "already_passed"
    RETAKES_USED_UP = "retakes_used_up"
    RETAKE_SAME_DAY = "retake_same_day"
    RETAKE_WINDOW_PASSED = "retake_window_passed"
    ABSENT_NO_RETAKE = "absent_no_retake"
    PENDING_RESULT = "pending_result"
    # Practical sessions (sessions.operations.enrol): theory first, and 回避 of examiners.
    THEORY_NOT_PASSED = "theory_not_passed"
    EXAMINER_CONFLICT = "examiner_conflict"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason against sitting, in both languages."""

    code: ReasonCode
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """``eligible`` is true exactly when there are no reasons.

    ``is_retake`` says whether the sitting would be a retake (补考) of at least one subject.
    """

    eligible: bool
    reasons: tuple[Reason, ...]
    is_retake: bool


def birthday_on_or_after(birth_date: datetime.date, year: int) -> datetime.date:
    """The birthday in ``year``; 29 February becomes 1 March in a common year."""
    try:
        return birth_date.replace(year=year)
    except ValueError:  # 29 February in a common year
        return datetime.date(year, 3, 1)


def age_reached_on(birth_date: datetime.date, age: int) -> datetime.date:
    """The first day on which someone born on ``birth_date`` is ``age`` years old."""
    return birthday_on_or_after(birth_date, birth_date.year + age)


def _age_reasons(
    resident: ResidentId, exam_date: datetime.date, settings: EligibilitySettings
) -> list[Reason]:
    age = resident.age_on(exam_date)
    reasons: list[Reason] = []
    if age < settings.min_age:
        turns = age_reached_on(resident.birth_date, settings.min_age).isoformat()
        reasons.append(
            Reason(
                ReasonCode.UNDER_AGE,
                f"考试日期 {exam_date.isoformat()} 时未满 {settings.min_age} 周岁"
                f"（{turns} 满 {settings.min_age} 周岁）",
                f"under {settings.min_age} on the exam date {exam_date.isoformat()}"
                f" (turns {settings.min_age} on {turns})",
            )
        )
    if settings.max_age is not None and age > settings.max_age:
        reasons.append(
            Reason(
                ReasonCode.OVER_AGE,
                f"考试日期 {exam_date.isoformat()} 时已超过 {settings.max_age} 周岁（{age} 周岁）",
                f"over {settings.max_age} on the exam date {exam_date.isoformat()} (aged {age})",
            )
        )
    return reasons


@dataclass(frozen=True, slots=True)
class _SubjectStatus:
    passed: bool
    is_retake: bool
    reasons: tuple[Reason, ...]


def _subject_status(
    subject: Subject,
    sittings: Sequence[Sitting],
    exam_date: datetime.date,
    settings: EligibilitySettings,
) -> _SubjectStatus:
    """One subject's standing, from that subject's sittings of the item (any dates)."""
    zh = SUBJECT_ZH[subject]
    pending = [s for s in sittings if s.outcome == "pending"]
    if pending:
        day = min(s.date for s in pending).isoformat()
        return _SubjectStatus(
            passed=False,
            is_retake=False,
            reasons=(
                Reason(
                    ReasonCode.PENDING_RESULT,
                    f"{zh}（{day}）尚无结果或已安排，结果确定前不能再次安排",
                    f"the {subject} sitting of {day} has no result yet (or is booked); wait for it",
                ),
            ),
        )
    earlier = sorted((s for s in sittings if s.date <= exam_date), key=lambda s: s.date)
    if any(s.outcome == "passed" for s in earlier):
        return _SubjectStatus(passed=True, is_retake=False, reasons=())
    absences = [s for s in earlier if s.outcome == "absent"]
    if absences and settings.absence_forbids_retake:
        day = absences[0].date.isoformat()
        return _SubjectStatus(
            passed=False,
            is_retake=False,
            reasons=(
                Reason(
                    ReasonCode.ABSENT_NO_RETAKE,
                    f"{day} {zh}缺考，按不合格处理且不安排补考，须重新申请",
                    f"absent from the {subject} exam on {day}: counted as a fail with no"
                    " retake; the candidate must re-apply",
                ),
            ),
        )
    failures = [s for s in earlier if s.outcome in ("failed", "absent")]
    if not failures:
        return _SubjectStatus(passed=False, is_retake=False, reasons=())
    reasons: list[Reason] = []
    if len(failures) > settings.retakes_per_subject:
        reasons.append(
            Reason(
                ReasonCode.RETAKES_USED_UP,
                f"{zh}已不合格 {len(failures)} 次，补考机会"
                f"（{settings.retakes_per_subject} 次）已用完，须重新培训并申请",
                f"{subject} failed {len(failures)} times: the"
                f" {settings.retakes_per_subject} retake(s) are used up; the candidate must"
                " re-train and re-apply",
            )
        )
        return _SubjectStatus(passed=False, is_retake=True, reasons=tuple(reasons))
    if any(s.date == exam_date for s in failures):
        reasons.append(
            Reason(
                ReasonCode.RETAKE_SAME_DAY,
                f"{zh}补考不得与不合格的考试在同一天（{exam_date.isoformat()}）",
                f"a {subject} retake cannot be on the same day as the failed sitting"
                f" ({exam_date.isoformat()})",
            )
        )
    first_failed = failures[0].date
    last_day = first_failed + datetime.timedelta(days=settings.retake_window_days)
    if exam_date > last_day:
        reasons.append(
            Reason(
                ReasonCode.RETAKE_WINDOW_PASSED,
                f"{zh}补考期限已过（{first_failed.isoformat()} 不合格，"
                f"最迟 {last_day.isoformat()} 补考），须重新申请",
                f"the {subject} retake window has passed (failed on"
                f" {first_failed.isoformat()}, last day {last_day.isoformat()});"
                " the candidate must re-apply",
            )
        )
    return _SubjectStatus(passed=False, is_retake=True, reasons=tuple(reasons))


def check_eligibility(
    id_number_or_resident: str | ResidentId,
    item: str,
    exam_date: datetime.date,
    history: Sequence[Sitting] = (),
    settings: EligibilitySettings = DEFAULT_SETTINGS,
    *,
    subjects: Sequence[Subject] = SUBJECTS,
) -> Verdict:
    """Every reason (none means eligible) against sitting ``item`` on ``exam_date``.

    ``subjects`` are the subjects the session examines (both by default). A subject already
    passed is not sat again; if all of them are passed, the reason is ``already_passed``.
    A bad ID number raises ``idnumber.InvalidIdNumber``.
    """
    resident = (
        id_number_or_resident
        if isinstance(id_number_or_resident, ResidentId)
        else parse_id_number(id_number_or_resident, on=exam_date)
    )
    reasons = _age_reasons(resident, exam_date, settings)
    of_item = [s for s in history if s.item == item]
    statuses = [
        _subject_status(subject, [s for s in of_item if s.subject == subject], exam_date, settings)
        for subject in subjects
    ]
    for status in statuses:
        reasons.extend(status.reasons)
    if statuses and all(status.passed for status in statuses):
        reasons.append(
            Reason(
                ReasonCode.ALREADY_PASSED,
                f"已通过 {item} 的" + "、".join(SUBJECT_ZH[s] for s in subjects),
                f"already passed {item} ({', '.join(subjects)})",
            )
        )
    is_retake = any(status.is_retake for status in statuses)
    return Verdict(eligible=not reasons, reasons=tuple(reasons), is_retake=is_retake)
