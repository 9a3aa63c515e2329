"""The compliance rules of compliance-rules.md, one pure function per rule ID.

Each rule takes the centre's record, the evaluation date ``on`` and the settings, and returns a
``Finding``. Nothing here reads the clock, a database or Flask: the same inputs always give the
same report, so a check can be reproduced for any past date.

Decisions on points the spec leaves open (each is also stated in the finding it affects):

- Facts from outside the record. R-SYS takes ``system_functions`` (exam-system function ->
  where it lives in the platform) and R-BANK takes ``bank`` (a ``BankCoverage``). When either is
  not supplied the rule still reports, and it FAILS with a message saying the data is missing:
  the output contract promises one finding per applicable rule, and the exchange format says a
  missing fact fails the rule that needs it rather than passing it. So a check run on the
  exchange document alone (an auditor without the platform) can never come out compliant.
- Unknown annual volume. R-VOL fails when the planned volume or the trailing-12-month count is
  not on record; V is then the larger of the known figures (or unknown). Rules that depend on V
  (R-EXAM-D/S, R-TERM) use V as known, or their base requirement when V is unknown, and say so.
- Warnings. A check that passes today turns into ``warn`` when it would no longer pass on the
  day after the warning window, i.e. the last day it holds (a filing's ``expires_on``, a crane's
  ``next_inspection_due``, the last day a lease keeps its minimum months) falls within the
  next ``warning_days`` days, boundary included: a lease ending exactly 90 days from now warns.
- R-EXAM-Q fails when ANY examiner listed for an offered item falls short ("专业考评人员应为…",
  every examiner, not just the minimum number). Examiners listed only for items the centre
  does not offer are ignored. An examiner is qualified for an item only when the item is in
  their ``items`` AND a filing for that very item is current; for the driver side any offered
  ``Q2…`` item will do.
- Strict overlap (``strict_examiner_overlap``): a person qualified for both items is assigned
  to one side only; shared people go first to fill the driver requirement, the rest to the
  signaller side. This meets both requirements whenever any split can; when none can, the
  driver side is met and only the signaller side fails.
- R-OPT also fails when optional equipment (a jib crane or simulator) is in service but no
  bridge crane counts for R-CRANE: simulators add to the bridge crane, never replace it.
  Out-of-service optional equipment is not checked.
- R-PPE applies with the signaller item, as its clause 三(二)[三]2(2) is the signaller's.
- Field-kit articles counted in numbers (bump poles, flags, whistles, each PPE kind) need at
  least one; yes/no articles must be recorded as true. Not recorded is not present.
- R-SITE-1: a lease counts from ``lease_start`` to ``lease_end`` inclusive, so 2022-01-01 to
  2024-12-31 is exactly 3 years; a lease that has not started yet does not count.
- Months are whole calendar months; experience periods are merged first (overlapping or
  touching periods count once) and an ongoing period (``to: null``) runs up to ``on``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from functools import partial

from .model import (
    BankCoverage,
    CentreRecord,
    ComplianceReport,
    ComplianceSettings,
    Detail,
    Employment,
    Equipment,
    EquipmentType,
    Examiner,
    ExamSystemFunction,
    Filing,
    Finding,
    Period,
    SimulatorModule,
    StaffMember,
    Status,
    Tenure,
    TerminalStatus,
    Value,
    is_driver_item,
    is_signaller_item,
)

CLAUSES: dict[str, str] = {
    "R-VOL": "三(二)2, 三(二)[三]1(1)",
    "R-ORG-1": "三(一)",
    "R-ORG-2": "三(一)",
    "R-STAFF-1": "三(二)1",
    "R-EXAM-D": "三(二)2",
    "R-EXAM-S": "三(二)2",
    "R-EXAM-Q": "三(二)2",
    "R-TERM": "三(二)[三]1(1)",
    "R-SYS": "三(二)[三]1(2)",
    "R-BANK": "三(二)[三]1(3)",
    "R-CRANE": "三(二)[三]2(1)",
    "R-OPT": "三(二)[三]2(1)",
    "R-FIELD": "三(二)[三]2(1)",
    "R-SIG": "三(二)[三]2(2)",
    "R-PPE": "三(二)[三]2(2)",
    "R-SITE-1": "三(三)1",
    "R-SITE-2": "三(三)2",
}
"""Rule ID -> the clause it encodes, labelled as in compliance-rules.md."""

MIN_FULL_TIME_STAFF = 3  # 三(二)1 "专职人员不少于3名"
MIN_EXAMINERS = 2  # 三(二)2 "各2名"
MIN_EXAMINERS_AT_THRESHOLD = 4  # 三(二)2 "年考试量500人以上的至少配备各4名"
MIN_BRIDGE_CRANES = 1  # 三(二)[三]2(1) "至少配备一台"

DEFAULT_SETTINGS = ComplianceSettings()


# --- Dates and months --------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the end of a shorter month."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months_between(start: date, end_exclusive: date) -> int:
    """Whole calendar months from ``start`` up to (not including) ``end_exclusive``."""
    if end_exclusive <= start:
        return 0
    months = (end_exclusive.year - start.year) * 12 + end_exclusive.month - start.month
    if add_months(start, months) > end_exclusive:
        months -= 1
    return months


def experience_months(periods: Iterable[Period], on: date) -> int:
    """Whole months covered by the union of ``periods`` up to and including ``on``.

    Overlapping or touching periods are merged first so no day counts twice; an ongoing
    period runs up to ``on``; time after ``on`` does not count yet.
    """
    one_day = timedelta(days=1)
    spans = sorted(
        (period.start, min(period.end or on, on) + one_day)
        for period in periods
        if period.start <= on and (period.end is None or period.end >= period.start)
    )
    merged: list[tuple[date, date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return sum(whole_months_between(start, end) for start, end in merged)


def filing_is_current(filing: Filing, on: date) -> bool:
    """A filing holds from ``filed_on`` through ``expires_on`` inclusive (no expiry: for good)."""
    return filing.filed_on <= on and (filing.expires_on is None or filing.expires_on >= on)


def day_after_warning_window(on: date, settings: ComplianceSettings) -> date:
    """The first day outside the warning window: anything that fails by then earns a warning."""
    return on + timedelta(days=settings.warning_days + 1)


def _lapses_within_window(last_day: date | None, on: date, settings: ComplianceSettings) -> bool:
    return last_day is not None and last_day < day_after_warning_window(on, settings)


# --- Annual volume (R-VOL) ---------------------------------------------------------------------


def annual_volume(record: CentreRecord) -> int | None:
    """V = max(planned volume this year, candidates examined in the trailing 12 months).

    Uses whichever figures are on record; None when neither is.
    """
    examined = record.volume_history.examined_last_12_months if record.volume_history else None
    known = [v for v in (record.planned_annual_volume, examined) if v is not None]
    return max(known) if known else None


def _at_or_over_threshold(volume: int | None, settings: ComplianceSettings) -> bool:
    # "500人以上": in Chinese regulatory usage 以上 includes the number itself.
    return volume is not None and volume >= settings.volume_threshold


def required_examiners_per_item(volume: int | None, settings: ComplianceSettings) -> int:
    """三(二)2: 2 examiners per item, 4 when the annual volume reaches the threshold."""
    return MIN_EXAMINERS_AT_THRESHOLD if _at_or_over_threshold(volume, settings) else MIN_EXAMINERS


def required_terminals(volume: int | None, settings: ComplianceSettings) -> int:
    """三(二)[三]1(1): terminal_base + terminal_step per full volume_threshold of V."""
    steps = (volume or 0) // settings.volume_threshold
    return settings.terminal_base + settings.terminal_step * steps


def _volume_reading(volume: int | None, settings: ComplianceSettings) -> str:
    if volume is None:
        return "annual volume unknown: base requirement applied (R-VOL fails)"
    return (
        f"V = max(planned, examined in trailing 12 months) = {volume}; "
        f"'{settings.volume_threshold}人以上' includes {settings.volume_threshold}"
    )


# --- Finding helpers ---------------------------------------------------------------------------


def _finding(
    rule: str,
    status: Status,
    required: Value,
    actual: Value,
    message: tuple[str, str],
    *,
    action: tuple[str, str] | None = None,
    reading: str | None = None,
    details: Iterable[Detail] = (),
) -> Finding:
    """Build a finding; ``message`` and ``action`` are (zh, en) pairs."""
    return Finding(
        rule=rule,
        clause=CLAUSES[rule],
        status=status,
        required=required,
        actual=actual,
        message=message[0],
        message_en=message[1],
        action=None if action is None or status is Status.PASS else action[0],
        action_en=None if action is None or status is Status.PASS else action[1],
        reading=reading,
        details=tuple(details),
    )


def _status(passes_now: bool, lapses_soon: bool = False) -> Status:
    if not passes_now:
        return Status.FAIL
    return Status.WARN if lapses_soon else Status.PASS


def _listing(names: Iterable[str]) -> str:
    return ", ".join(names)


# --- R-VOL -------------------------------------------------------------------------------------


def check_volume(record: CentreRecord, on: date, settings: ComplianceSettings) -> Finding:
    """R-VOL, 三(二)2 and 三(二)[三]1(1): the annual exam volume ("年考试量") is known.

    V = max(planned this year, examined in the trailing 12 months); each (candidate, item)
    counts once a year. Fails when either figure is missing, as the staffing and terminal
    requirements cannot then be established.
    """
    volume = annual_volume(record)
    missing: list[tuple[str, str]] = []
    if record.planned_annual_volume is None:
        missing.append(("计划年考试量", "the planned annual volume"))
    if record.volume_history is None:
        missing.append(("近12个月考试人数", "the number examined in the last 12 months"))
    at_threshold = _at_or_over_threshold(volume, settings)
    if missing:
        message = (
            f"年考试量无法确定：缺少{'、'.join(zh for zh, _ in missing)}。",
            "Annual volume cannot be established: missing "
            f"{' and '.join(en for _, en in missing)}.",
        )
    else:
        message = (
            f"年考试量 V = {volume}（{'达到' if at_threshold else '低于'}"
            f"{settings.volume_threshold}人）。",
            f"Annual volume V = {volume} ({'at or over' if at_threshold else 'under'} "
            f"{settings.volume_threshold}).",
        )
    return _finding(
        "R-VOL",
        _status(not missing),
        "max(planned_annual_volume, examined_last_12_months)",
        volume,
        message,
        action=(
            "在中心资料中登记计划年考试量和近12个月实际考试人数。",
            "Record the planned annual volume and the number examined in the last 12 months.",
        ),
        reading=_volume_reading(volume, settings),
    )


# --- R-ORG-1, R-ORG-2 --------------------------------------------------------------------------


def check_department(record: CentreRecord, on: date, settings: ComplianceSettings) -> Finding:
    """R-ORG-1, 三(一): "应设立专门负责考试工作的常设的组织管理部门".

    A named standing department with a head on record.
    """
    department = record.department
    named = department is not None and bool(department.name.strip())
    headed = department is not None and bool((department.head or "").strip())
    if department is None:
        message = ("未登记常设考试管理部门。", "No standing exam department on record.")
    elif not headed:
        message = (
            f"考试管理部门“{department.name}”未登记负责人。",
            f"The exam department '{department.name}' has no head on record.",
        )
    else:
        message = (
            f"常设考试管理部门：{department.name}，负责人：{department.head}。",
            f"Standing exam department: {department.name}, head: {department.head}.",
        )
    return _finding(
        "R-ORG-1",
        _status(named and headed),
        True,
        named and headed,
        message,
        action=(
            "设立专门负责考试工作的常设部门，并登记部门名称和负责人。",
            "Set up a standing department for exam work and record its name and head.",
        ),
    )


_MOBILE_NUMBER = re.compile(r"(?:86)?1[3-9]\d{9}")


def is_mobile_number(number: str) -> bool:
    """A mainland mobile number: 11 digits starting 13–19, optional +86, punctuation ignored."""
    return _MOBILE_NUMBER.fullmatch(re.sub(r"\D", "", number)) is not None


def check_communication_and_office(
    record: CentreRecord, on: date, settings: ComplianceSettings
) -> Finding:
    """R-ORG-2, 三(一): "配备固定通讯设施和办公场所" — a fixed telephone and an office address.

    DEFAULT: a mobile number alone is not a fixed facility (``mobile_counts_as_landline``).
    """
    landline = (record.landline or "").strip()
    address = (record.office_address or "").strip()
    landline_is_mobile = bool(landline) and is_mobile_number(landline)
    has_fixed_line = bool(landline) and (
        not landline_is_mobile or settings.mobile_counts_as_landline
    )
    present = tuple(
        name for name, ok in (("landline", has_fixed_line), ("office_address", bool(address))) if ok
    )
    problems: list[tuple[str, str]] = []
    if not landline:
        problems.append(("未登记固定电话", "no fixed telephone on record"))
    elif not has_fixed_line:
        problems.append(
            (
                f"登记的电话 {landline} 是手机号码，不属于固定通讯设施",
                f"the number {landline} is a mobile number, not a fixed line",
            )
        )
    if not address:
        problems.append(("未登记办公地址", "no office address on record"))
    if problems:
        message = (
            "；".join(zh for zh, _ in problems) + "。",
            "; ".join(en for _, en in problems).capitalize() + ".",
        )
    else:
        message = (
            f"固定电话 {landline}，办公地址 {address}。",
            f"Fixed telephone {landline}, office at {address}.",
        )
    return _finding(
        "R-ORG-2",
        _status(not problems),
        ("landline", "office_address"),
        present,
        message,
        action=(
            "配备并登记固定电话（座机）和办公场所地址。",
            "Install and record a fixed (landline) telephone and the office address.",
        ),
        reading=(
            "a mobile number counts as a fixed line"
            if settings.mobile_counts_as_landline
            else "a mobile number alone is not a fixed communication facility"
        ),
    )


# --- R-STAFF-1 ---------------------------------------------------------------------------------


def _full_time_staff_on(record: CentreRecord, day: date) -> list[StaffMember]:
    return [
        member
        for member in record.staff
        if member.active
        and member.employment is Employment.FULL_TIME
        and (member.started_on is None or member.started_on <= day)
        and (member.ended_on is None or member.ended_on >= day)
    ]


def check_staff(record: CentreRecord, on: date, settings: ComplianceSettings) -> Finding:
    """R-STAFF-1, 三(二)1: "专职人员不少于3名" — at least 3 active full-time exam staff."""
    now = _full_time_staff_on(record, on)
    later = _full_time_staff_on(record, day_after_warning_window(on, settings))
    passes = len(now) >= MIN_FULL_TIME_STAFF
    leaving = [
        Detail(m.name, f"将于 {m.ended_on} 离职", f"leaves on {m.ended_on}")
        for m in now
        if m not in later
    ]
    status = _status(passes, len(later) < MIN_FULL_TIME_STAFF)
    message = (
        f"专职考试工作人员 {len(now)} 名，要求不少于 {MIN_FULL_TIME_STAFF} 名。",
        f"Full-time exam staff: {len(now)} of the required {MIN_FULL_TIME_STAFF}.",
    )
    if status is Status.WARN:
        message = (
            message[0] + f"{settings.warning_days} 天内将降至 {len(later)} 名。",
            message[1] + f" Falls to {len(later)} within {settings.warning_days} days.",
        )
    return _finding(
        "R-STAFF-1",
        status,
        MIN_FULL_TIME_STAFF,
        len(now),
        message,
        action=(
            f"配备至少 {MIN_FULL_TIME_STAFF} 名在岗专职人员负责考试组织管理工作。",
            f"Employ at least {MIN_FULL_TIME_STAFF} active full-time staff "
            "for exam administration.",
        ),
        details=leaving,
    )


# --- Examiners: R-EXAM-Q, R-EXAM-D, R-EXAM-S ---------------------------------------------------


class Side(Enum):
    """The two examined items of 三(二)2: 起重机械司机 and 指挥."""

    DRIVER = ("司机", "driver", is_driver_item)
    SIGNALLER = ("指挥", "signaller", is_signaller_item)

    def __init__(self, zh: str, en: str, matches: Callable[[str], bool]) -> None:
        self.zh = zh
        self.en = en
        self.matches = matches

    def offered_items(self, record: CentreRecord) -> tuple[str, ...]:
        return tuple(item for item in record.items if self.matches(item))


def _examined_items(examiner: Examiner, side: Side, record: CentreRecord) -> tuple[str, ...]:
    """The items of ``side`` that this examiner is listed for and the centre offers."""
    offered = side.offered_items(record)
    return tuple(item for item in examiner.items if item in offered)


def _filing_shortfall(
    examiner: Examiner, items: tuple[str, ...], on: date
) -> tuple[str, str] | None:
    """Why no filing for ``items`` is current on ``on``, or None when one is."""
    filings = [f for f in examiner.filings if f.item in items]
    if any(filing_is_current(f, on) for f in filings):
        return None
    if not filings:
        return (f"未向发证部门备案（{_listing(items)}）", f"not filed for {_listing(items)}")
    pending = [f for f in filings if f.filed_on > on]
    if pending:
        first = min(pending, key=lambda f: f.filed_on)
        return (
            f"备案 {first.reference} 自 {first.filed_on} 起才生效",
            f"filing {first.reference} takes effect only on {first.filed_on}",
        )
    last = max(filings, key=lambda f: f.expires_on or on)
    return (
        f"备案 {last.reference} 已于 {last.expires_on} 到期",
        f"filing {last.reference} expired on {last.expires_on}",
    )


def examiner_shortfalls(
    examiner: Examiner, side: Side, record: CentreRecord, on: date, settings: ComplianceSettings
) -> tuple[tuple[str, str], ...]:
    """R-EXAM-Q: every (zh, en) reason the examiner does not qualify for ``side`` on ``on``.

    Empty means qualified: ≥ min_practical_months of practical experience, ≥ min_teaching_months
    of teaching, an accepted title, and a current filing for an offered item of that side that
    the examiner is listed for.
    """
    items = _examined_items(examiner, side, record)
    if not items:
        return ((f"未登记为{side.zh}考评人员", f"not listed as a {side.en} examiner"),)
    reasons: list[tuple[str, str]] = []
    practical = experience_months(examiner.practical_experience, on)
    if practical < settings.min_practical_months:
        reasons.append(
            (
                f"相关实际经验 {practical} 个月，不足 {settings.min_practical_months} 个月",
                f"practical experience {practical} months, under {settings.min_practical_months}",
            )
        )
    teaching = experience_months(examiner.teaching_experience, on)
    if teaching < settings.min_teaching_months:
        reasons.append(
            (
                f"教学经历 {teaching} 个月，不足 {settings.min_teaching_months} 个月",
                f"teaching experience {teaching} months, under {settings.min_teaching_months}",
            )
        )
    if examiner.title is None:
        reasons.append(("未登记职称", "no title on record"))
    elif examiner.title not in settings.accepted_titles:
        reasons.append(
            (
                f"职称“{examiner.title}”不在认可范围内",
                f"title '{examiner.title}' is not an accepted title",
            )
        )
    filing = _filing_shortfall(examiner, items, on)
    if filing is not None:
        reasons.append(filing)
    return tuple(reasons)


def _qualified(
    examiner: Examiner, side: Side, record: CentreRecord, on: date, settings: ComplianceSettings
) -> bool:
    return not examiner_shortfalls(examiner, side, record, on, settings)


@dataclass(frozen=True, slots=True)
class ExaminerCounts:
    """Qualified examiners counted per side; ``shared_*`` are people qualified for both."""

    driver: int
    signaller: int
    shared_to_driver: int = 0
    shared_to_signaller: int = 0


def count_qualified_examiners(
    record: CentreRecord, on: date, settings: ComplianceSettings
) -> ExaminerCounts:
    """Qualified examiners per side on ``on``, applying the overlap reading of R-EXAM-Q.

    By default one person qualified and filed for both items counts for both. With
    ``strict_examiner_overlap`` the sides must be disjoint: shared people fill the driver
    requirement first and the rest go to the signaller side.
    """
    driver = {
        index
        for index, examiner in enumerate(record.examiners)
        if _qualified(examiner, Side.DRIVER, record, on, settings)
    }
    signaller = {
        index
        for index, examiner in enumerate(record.examiners)
        if _qualified(examiner, Side.SIGNALLER, record, on, settings)
    }
    shared = driver & signaller
    if not settings.strict_examiner_overlap or not shared:
        return ExaminerCounts(len(driver), len(signaller))
    needed = required_examiners_per_item(annual_volume(record), settings)
    driver_only = len(driver) - len(shared)
    to_driver = min(len(shared), max(0, needed - driver_only))
    to_signaller = len(shared) - to_driver
    return ExaminerCounts(
        driver=driver_only + to_driver,
        signaller=len(signaller) - len(shared) + to_signaller,
        shared_to_driver=to_driver,
        shared_to_signaller=to_signaller,
    )


def _overlap_reading(settings: ComplianceSettings) -> str:
    overlap = (
        "strict: driver and signaller examiners are disjoint sets"
        if settings.strict_examiner_overlap
        else "one person qualified and filed for both items counts for both"
    )
    return (
        f"practical >= {settings.min_practical_months} months, teaching >= "
        f"{settings.min_teaching_months} months, "
        f"title in {{{_listing(settings.accepted_titles)}}}, "
        f"current filing; {overlap}"
    )


def _lapsing_filings(
    record: CentreRecord, side: Side, on: date, settings: ComplianceSettings
) -> list[Detail]:
    """Qualified examiners of ``side`` who lose their qualification within the warning window."""
    later = day_after_warning_window(on, settings)
    details = []
    for examiner in record.examiners:
        if _qualified(examiner, side, record, on, settings) and not _qualified(
            examiner, side, record, later, settings
        ):
            expiring = [
                f
                for f in examiner.filings
                if f.item in _examined_items(examiner, side, record)
                and _lapses_within_window(f.expires_on, on, settings)
            ]
            when = max((f.expires_on for f in expiring if f.expires_on), default=None)
            details.append(
                Detail(
                    examiner.name,
                    f"{side.zh}考评备案将于 {when} 到期",
                    f"{side.en} filing expires on {when}",
                )
            )
    return details


def _check_examiner_count(
    rule: str, side: Side, record: CentreRecord, on: date, settings: ComplianceSettings
) -> Finding:
    volume = annual_volume(record)
    required = required_examiners_per_item(volume, settings)
    now = count_qualified_examiners(record, on, settings)
    later = count_qualified_examiners(record, day_after_warning_window(on, settings), settings)
    count_now = now.driver if side is Side.DRIVER else now.signaller
    count_later = later.driver if side is Side.DRIVER else later.signaller
    status = _status(count_now >= required, count_later < required)
    message = (
        f"合格的{side.zh}考评人员 {count_now} 名，要求不少于 {required} 名。",
        f"Qualified {side.en} examiners: {count_now} of the required {required}.",
    )
    shared = now.shared_to_driver if side is Side.DRIVER else now.shared_to_signaller
    if settings.strict_examiner_overlap and (now.shared_to_driver or now.shared_to_signaller):
        message = (
            message[0] + f"（严格口径：兼任两项者中 {shared} 名计入本项）",
            message[1] + f" (strict overlap: {shared} dual-qualified counted here)",
        )
    if status is Status.WARN:
        message = (
            message[0] + f"{settings.warning_days} 天内将降至 {count_later} 名。",
            message[1] + f" Falls to {count_later} within {settings.warning_days} days.",
        )
    return _finding(
        rule,
        status,
        required,
        count_now,
        message,
        action=(
            f"配备至少 {required} 名符合条件并经发证部门备案的{side.zh}考评人员（可兼职），"
            "或及时办理备案续期。",
            f"Engage at least {required} qualified {side.en} examiners filed with the issuing "
            "authority (part-time allowed), or renew expiring filings in time.",
        ),
        reading=f"{_volume_reading(volume, settings)}; {_overlap_reading(settings)}",
        details=_lapsing_filings(record, side, on, settings) if status is Status.WARN else (),
    )


def check_driver_examiners(record: CentreRecord, on: date, settings: ComplianceSettings) -> Finding:
    """R-EXAM-D, 三(二)2: driver examiners "各2名(可兼职)，年考试量500人以上的至少配备各4名"."""
    return _check_examiner_count("R-EXAM-D", Side.DRIVER, record, on, settings)


def check_signaller_examiners(
    record: CentreRecord, on: date, settings: ComplianceSettings
) -> Finding:
    """R-EXAM-S, 三(二)2: "…指挥专业考评人员各2名(可兼职)，年考试量500人以上的至少配备各4名"."""
    return _check_examiner_count("R-EXAM-S", Side.SIGNALLER, record, on, settings)


def check_examiner_qualifications(
    record: CentreRecord, on: date, settings: ComplianceSettings
) -> Finding:
    """R-EXAM-Q, 三(二)2: every examiner has "3年以上相关实际经验…2年以上教学经历…工程师或技师
    以上职称" and "应经相应发证部门备案".

    Lists every examiner of an offered item who falls short, with the reasons; fails when
    there is one. Warns when a qualified examiner's filing lapses within the warning window.
    """
    sides = [side for side in Side if side.offered_items(record)]
    unqualified: list[Detail] = []
    examined = 0
    for examiner in record.examiners:
        for side in sides:
            if not _examined_items(examiner, side, record):
                continue
            examined += 1
            reasons = examiner_shortfalls(examiner, side, record, on, settings)
            if reasons:
                unqualified.append(
                    Detail(
                        examiner.name,
                        f"{side.zh}：" + "；".join(zh for zh, _ in reasons),
                        f"{side.en}: " + "; ".join(en for _, en in reasons),
                    )
                )
    lapsing = [detail for side in sides for detail in _lapsing_filings(record, side, on, settings)]
    status = _status(not unqualified, bool(lapsing))
    if unqualified:
        message = (
            f"{len(unqualified)} 项考评人员资格不符合要求："
            f"{_listing(d.subject for d in unqualified)}。",
            f"{len(unqualified)} examiner assignment(s) not qualified: "
            f"{_listing(d.subject for d in unqualified)}.",
        )
    elif lapsing:
        message = (
            f"考评人员均符合要求，但 {len(lapsing)} 人的备案"
            f"将在 {settings.warning_days} 天内到期。",
            f"All examiners qualify, but {len(lapsing)} filing(s) expire within "
            f"{settings.warning_days} days.",
        )
    else:
        message = (
            f"全部 {examined} 项考评人员资格符合要求。",
            f"All {examined} examiner assignment(s) qualify.",
        )
    return _finding(
        "R-EXAM-Q",
        status,
        0,
        len(unqualified),
        message,
        action=(
            "不符合条件的人员不得担任考评人员；补齐经验、职称材料，或向发证部门办理（续期）备案。",
            "Do not let unqualified people examine; complete their experience and title records, "
            "or file (or renew the filing) with the issuing authority.",
        ),
        reading=_overlap_reading(settings),
        details=unqualified + lapsing,
    )


# --- R-TERM, R-SYS, R-BANK ---------------------------------------------------------------------


def check_terminals(record: CentreRecord, on: date, settings: ComplianceSettings) -> Finding:
    """R-TERM, 三(二)[三]1(1): "至少配备10台考试终端，年考试量在500人的应适当增加".

    DEFAULT: required = terminal_base + terminal_step × ⌊V / volume_threshold⌋, working ones only.
    """
    volume = annual_volume(record)
    required = required_terminals(volume, settings)
    working = sum(1 for t in record.terminals if t.status is TerminalStatus.WORKING)
    out_of_service = len(record.terminals) - working
    message = (
        f"可用考试终端 {working} 台（另有 {out_of_service} 台停用），要求不少于 {required} 台。",
        f"Working exam terminals: {working} of the required {required} "
        f"({out_of_service} out of service).",
    )
    return _finding(
        "R-TERM",
        _status(working >= required),
        required,
        working,
        message,
        action=(
            f"修复或增配考试终端，使可用终端不少于 {required} 台。",
            f"Repair or add terminals to reach at least {required} working.",
        ),
        reading=(
            f"terminals >= {settings.terminal_base} + {settings.terminal_step} x "
            f"floor(V / {settings.volume_threshold}); {_volume_reading(volume, settings)}"
        ),
    )


def check_exam_system(
    record: CentreRecord,
    on: date,
    settings: ComplianceSettings,
    system_functions: Mapping[ExamSystemFunction | str, str] | None = None,
) -> Finding:
    """R-SYS, 三(二)[三]1(2): the exam system provides 随机组卷、自动限时计时、自动判卷评分、
    自动记录存档、统计、查询、汇总报表、数据传输、建档存档.

    ``system_functions`` maps each function to where it lives in the platform; the finding
    lists them all. Without it the rule fails: the record alone cannot show the functions.
    """
    required = tuple(function.value for function in ExamSystemFunction)
    if system_functions is None:
        return _finding(
            "R-SYS",
            Status.FAIL,
            required,
            None,
            (
                "未提供考试系统功能清单，无法核验。",
                "The exam-system function list was not supplied, so the rule cannot be verified.",
            ),
            action=(
                "由平台提供考试系统功能清单后重新核验。",
                "Run the check from the platform, which supplies its function list.",
            ),
        )
    # An unknown key is the caller's typo, not a fact about the centre: raise, don't report.
    locations = {
        ExamSystemFunction(key).value: where.strip() for key, where in system_functions.items()
    }
    details = [
        Detail(
            function.value,
            f"{function.label_zh}：{locations.get(function.value) or '缺失'}",
            f"{function.label_en}: {locations.get(function.value) or 'missing'}",
        )
        for function in ExamSystemFunction
    ]
    present = tuple(key for key in required if locations.get(key))
    missing = [ExamSystemFunction(key) for key in required if key not in present]
    if missing:
        message = (
            f"考试系统缺少功能：{'、'.join(f.label_zh for f in missing)}。",
            f"The exam system lacks: {_listing(f.label_en for f in missing)}.",
        )
    else:
        message = (
            "考试系统具备全部 9 项规定功能。",
            "The exam system provides all 9 required functions.",
        )
    return _finding(
        "R-SYS",
        _status(not missing),
        required,
        present,
        message,
        action=("补齐考试系统缺少的功能。", "Provide the missing exam-system functions."),
        details=details,
    )


def check_question_bank(
    record: CentreRecord,
    on: date,
    settings: ComplianceSettings,
    bank: BankCoverage | None = None,
) -> Finding:
    """R-BANK, 三(二)[三]1(3): "有符合考核大纲和有关规定的题库".

    Every live question carries its item and syllabus point; for each offered item's paper
    blueprint, every syllabus point holds at least coverage_factor × the questions one paper
    draws from it. Without ``bank`` the rule fails: the record alone says nothing of the bank.
    """
    factor = settings.coverage_factor
    required = f"0 untagged live questions; live >= {factor} x drawn per syllabus point"
    reading = f"coverage factor {factor}: live questions >= {factor} x questions drawn per point"
    action = (
        "为题库补充题目并补全题目的项目和大纲知识点标注。",
        "Add questions to the short syllabus points and tag every live question "
        "with its item and point.",
    )
    if bank is None:
        return _finding(
            "R-BANK",
            Status.FAIL,
            required,
            None,
            (
                "未提供题库覆盖数据，无法核验。",
                "The question-bank coverage was not supplied, so the rule cannot be verified.",
            ),
            action=(
                "由平台提供题库覆盖数据后重新核验。",
                "Run the check from the platform, which reads its bank.",
            ),
            reading=reading,
        )
    problems: list[Detail] = []
    for item in record.items:
        cells = [cell for cell in bank.cells if cell.item == item]
        if not cells:
            problems.append(Detail(item, "没有组卷蓝图", "no paper blueprint"))
        for cell in cells:
            needed = factor * cell.drawn_per_paper
            if cell.live_questions < needed:
                problems.append(
                    Detail(
                        f"{item} {cell.point}",
                        f"现有题目 {cell.live_questions} 道，需要 {needed} 道"
                        f"（每卷抽 {cell.drawn_per_paper} 道）",
                        f"{cell.live_questions} live questions, needs {needed} "
                        f"({cell.drawn_per_paper} drawn per paper)",
                    )
                )
    untagged = bank.untagged_live_questions
    if untagged:
        problems.append(
            Detail(
                "untagged",
                f"{untagged} 道在用题目缺少项目或知识点标注",
                f"{untagged} live questions lack an item or syllabus-point tag",
            )
        )
    if problems:
        message = (
            f"题库有 {len(problems)} 处不符合要求。",
            f"The question bank has {len(problems)} shortfall(s).",
        )
    else:
        message = (
            "题库覆盖全部大纲知识点，题目标注完整。",
            "The bank covers every syllabus point and every live question is tagged.",
        )
    short_cells = sum(1 for d in problems if d.subject != "untagged")
    return _finding(
        "R-BANK",
        _status(not problems),
        required,
        f"{untagged} untagged live questions; {short_cells} short point(s) or missing blueprint(s)",
        message,
        action=action,
        reading=reading,
        details=problems,
    )


# --- Practical equipment: R-CRANE, R-OPT, R-FIELD ---------------------------------------------


def _bridge_crane_counts(crane: Equipment, day: date) -> bool:
    return (
        crane.type is EquipmentType.BRIDGE_CRANE
        and crane.in_service
        and crane.has_cab is True
        and crane.next_inspection_due is not None
        and crane.next_inspection_due >= day
    )


def counting_bridge_cranes(record: CentreRecord, day: date) -> tuple[Equipment, ...]:
    """In-service bridge cranes with a cab whose periodic inspection is not overdue on ``day``."""
    return tuple(crane for crane in record.equipment if _bridge_crane_counts(crane, day))


def _bridge_crane_problem(crane: Equipment) -> tuple[str, str]:
    if not crane.in_service:
        return ("停用", "out of service")
    if crane.has_cab is None:
        return ("未登记是否有驾驶室", "cab not recorded")
    if not crane.has_cab:
        return ("无驾驶室（地面操纵）不计入", "no cab (pendant-only) does not count")
    if crane.next_inspection_due is None:
        return ("未登记下次定期检验日期", "next periodic inspection date not recorded")
    return (
        f"定期检验已于 {crane.next_inspection_due} 到期",
        f"inspection overdue since {crane.next_inspection_due}",
    )


def check_bridge_crane(record: CentreRecord, on: date, settings: ComplianceSettings) -> Finding:
    """R-CRANE, 三(二)[三]2(1): "应至少配备一台具有驾驶室的考试用桥式起重机".

    Pendant-only cranes, simulators and jib cranes do not count. DEFAULT: the crane's periodic
    inspection must not be overdue (``next_inspection_due`` on or after ``on``).
    """
    counting = counting_bridge_cranes(record, on)
    later = counting_bridge_cranes(record, day_after_warning_window(on, settings))
    status = _status(len(counting) >= MIN_BRIDGE_CRANES, len(later) < MIN_BRIDGE_CRANES)
    details = [
        Detail(crane.id, *_bridge_crane_problem(crane))
        for crane in record.equipment
        if crane.type is EquipmentType.BRIDGE_CRANE and crane not in counting
    ]
    if status is Status.WARN:
        details += [
            Detail(
                crane.id,
                f"定期检验将于 {crane.next_inspection_due} 到期",
                f"inspection due on {crane.next_inspection_due}",
            )
            for crane in counting
        ]
    substitutes = [c.id for c in record.equipment if c.type is not EquipmentType.BRIDGE_CRANE]
    if not counting and substitutes:
        details.append(
            Detail(
                _listing(substitutes),
                "模拟器或臂架式起重机不能代替桥式起重机",
                "a simulator or jib crane cannot replace the bridge crane",
            )
        )
    message = (
        f"可用的有驾驶室考试用桥式起重机 {len(counting)} 台，要求至少 {MIN_BRIDGE_CRANES} 台。",
        f"Exam bridge cranes with a cab, in service and inspected: {len(counting)} "
        f"of the required {MIN_BRIDGE_CRANES}.",
    )
    if status is Status.WARN:
        message = (
            message[0] + f"定期检验将在 {settings.warning_days} 天内到期。",
            message[1] + f" Its periodic inspection falls due within {settings.warning_days} days.",
        )
    return _finding(
        "R-CRANE",
        status,
        MIN_BRIDGE_CRANES,
        len(counting),
        message,
        action=(
            "配备具有驾驶室的考试用桥式起重机，并按期完成定期检验。",
            "Provide an exam bridge crane with an operator's cab "
            "and keep its periodic inspection current.",
        ),
        reading="periodic inspection not overdue: next_inspection_due >= evaluation date",
        details=details,
    )


_REQUIRED_SIMULATOR_MODULES = (SimulatorModule.OBSTACLE_RUN, SimulatorModule.FIXED_POINT_DROP)


def check_optional_equipment(
    record: CentreRecord, on: date, settings: ComplianceSettings
) -> Finding:
    """R-OPT, 三(二)[三]2(1): "可…增加变幅、回转机构等功能的臂架式起重机或具有绕障搬运、定点落物
    等功能的起重机模拟系统".

    Declared in-service optional equipment must have those functions, and it adds to the
    bridge crane, never replaces it. Passes when nothing optional is declared.
    """
    problems: list[Detail] = []
    optional = [
        e for e in record.equipment if e.type is not EquipmentType.BRIDGE_CRANE and e.in_service
    ]
    for machine in optional:
        if machine.type is EquipmentType.JIB_CRANE:
            lacking = [
                (zh, en)
                for zh, en, has in (
                    ("变幅", "luffing", machine.luffing),
                    ("回转", "slewing", machine.slewing),
                )
                if has is not True
            ]
            if lacking:
                problems.append(
                    Detail(
                        machine.id,
                        f"臂架式起重机缺少{'、'.join(zh for zh, _ in lacking)}功能",
                        f"jib crane lacks {' and '.join(en for _, en in lacking)}",
                    )
                )
        else:
            lacking_modules = [
                m for m in _REQUIRED_SIMULATOR_MODULES if m.value not in machine.modules
            ]
            if lacking_modules:
                labels = {
                    SimulatorModule.OBSTACLE_RUN: ("绕障搬运", "obstacle run"),
                    SimulatorModule.FIXED_POINT_DROP: ("定点落物", "fixed-point drop"),
                }
                problems.append(
                    Detail(
                        machine.id,
                        f"模拟系统缺少{'、'.join(labels[m][0] for m in lacking_modules)}功能",
                        f"simulator lacks {' and '.join(labels[m][1] for m in lacking_modules)}",
                    )
                )
    if optional and not counting_bridge_cranes(record, on):
        problems.append(
            Detail(
                _listing(e.id for e in optional),
                "不能代替具有驾驶室的桥式起重机",
                "cannot replace the bridge crane with a cab",
            )
        )
    if not optional:
        message = (
            "未申报可选的臂架式起重机或模拟系统。",
            "No optional jib crane or simulator declared.",
        )
    elif problems:
        message = (
            f"可选设备有 {len(problems)} 处不符合要求。",
            f"Optional equipment: {len(problems)} problem(s).",
        )
    else:
        message = (
            "申报的可选设备功能齐全。",
            "Declared optional equipment has the required functions.",
        )
    return _finding(
        "R-OPT",
        _status(not problems),
        0,
        len(problems),
        message,
        action=(
            "补齐臂架式起重机的变幅、回转功能或模拟系统的绕障搬运、定点落物功能；"
            "可选设备只能作为桥式起重机的补充。",
            "Give jib cranes luffing and slewing and simulators obstacle run and fixed-point "
            "drop; optional equipment only adds to the bridge crane.",
        ),
        reading="jib crane: luffing and slewing; simulator: obstacle_run and fixed_point_drop; "
        "out-of-service optional equipment is not checked",
        details=problems,
    )


def _kit_check(
    rule: str,
    wanted: tuple[tuple[str, str, str, Callable[[object], bool]], ...],
    record: CentreRecord,
    action: tuple[str, str],
    reading: str | None = None,
) -> Finding:
    """Shared shape of the field-kit rules: each (key, zh, en, test) must hold."""
    kit = record.field_kit
    present = tuple(
        key for key, _, _, ok in wanted if kit is not None and ok(getattr(kit, key, None))
    )
    missing = [(zh, en) for key, zh, en, _ in wanted if key not in present]
    if missing:
        message = (
            f"缺少：{'、'.join(zh for zh, _ in missing)}。",
            f"Missing: {_listing(en for _, en in missing)}.",
        )
    else:
        message = (
            f"齐备：{'、'.join(zh for _, zh, _, _ in wanted)}。",
            f"Present: {_listing(en for _, _, en, _ in wanted)}.",
        )
    return _finding(
        rule,
        _status(not missing),
        tuple(key for key, *_ in wanted),
        present,
        message,
        action=action,
        reading=reading,
    )


def _at_least_one(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_true(value: object) -> bool:
    return value is True


def check_field_kit(record: CentreRecord, on: date, settings: ComplianceSettings) -> Finding:
    """R-FIELD, 三(二)[三]2(1): "考场应当具备…带警示标志的碰杆、考场警示线等…和安全防护设施"."""
    return _kit_check(
        "R-FIELD",
        (
            (
                "bump_poles_with_signs",
                "带警示标志的碰杆",
                "bump poles with warning signs",
                _at_least_one,
            ),
            ("warning_lines", "考场警示线", "field warning lines", _is_true),
            ("safety_facilities", "安全防护设施", "safety protection", _is_true),
        ),
        record,
        (
            "为司机实际操作考场配备带警示标志的碰杆、考场警示线和安全防护设施。",
            "Equip the driver practical field with signed bump poles, warning lines "
            "and safety protection.",
        ),
    )


def check_signal_kit(record: CentreRecord, on: date, settings: ComplianceSettings) -> Finding:
    """R-SIG, 三(二)[三]2(2): "标准指挥旗、指挥哨、《起重吊运指挥信号图解》挂图"."""
    return _kit_check(
        "R-SIG",
        (
            ("signal_flags", "标准指挥旗", "standard signal flags", _at_least_one),
            ("whistles", "指挥哨", "whistle", _at_least_one),
            (
                "signal_wall_chart",
                "《起重吊运指挥信号图解》挂图",
                "crane signal wall chart",
                _is_true,
            ),
        ),
        record,
        (
            "配备标准指挥旗、指挥哨和《起重吊运指挥信号图解》挂图。",
            "Provide standard signal flags, a whistle and the crane signal wall chart.",
        ),
    )


# Chinese names for the usual PPE kinds; any other kind an administrator adds shows as its key.
_PPE_NAMES_ZH = {"helmets": "安全帽", "gloves": "防护手套", "vests": "反光背心"}


def _ppe_zh(kinds: Iterable[str]) -> str:
    return "、".join(_PPE_NAMES_ZH.get(kind, kind) for kind in kinds)


def check_protective_equipment(
    record: CentreRecord, on: date, settings: ComplianceSettings
) -> Finding:
    """R-PPE, 三(二)[三]2(2): "…及劳动保护用品" — at least one of each kind in ``ppe_required``."""
    kit = record.field_kit
    present = tuple(
        kind for kind in settings.ppe_required if kit is not None and kit.ppe_count(kind) >= 1
    )
    missing = [kind for kind in settings.ppe_required if kind not in present]
    if missing:
        message = (
            f"缺少劳动保护用品：{_ppe_zh(missing)}。",
            f"Missing protective equipment: {_listing(missing)}.",
        )
    else:
        message = (
            f"劳动保护用品齐备：{_ppe_zh(present)}。",
            f"Protective equipment present: {_listing(present)}.",
        )
    return _finding(
        "R-PPE",
        _status(not missing),
        settings.ppe_required,
        present,
        message,
        action=(
            f"配备劳动保护用品：{_ppe_zh(missing)}。",
            f"Provide protective equipment: {_listing(missing)}.",
        ),
        reading=f"protective equipment = at least one each of {_listing(settings.ppe_required)}",
    )


# --- Site: R-SITE-1, R-SITE-2 ------------------------------------------------------------------


def last_day_lease_suffices(lease_end: date, settings: ComplianceSettings) -> date:
    """The last day with at least ``lease_min_months_remaining`` whole months of lease to run."""
    end_exclusive = lease_end + timedelta(days=1)
    months = settings.lease_min_months_remaining
    day = min(add_months(end_exclusive, -months), lease_end)
    # Month-end clamping can leave the candidate a few days off either way; settle it exactly.
    while (
        whole_months_between(day + timedelta(days=1), end_exclusive) >= months and day < lease_end
    ):
        day += timedelta(days=1)
    while whole_months_between(day, end_exclusive) < months:
        day -= timedelta(days=1)
    return day


def check_site_tenure(record: CentreRecord, on: date, settings: ComplianceSettings) -> Finding:
    """R-SITE-1, 三(三)1: "有自主或长期租赁的考试场地".

    DEFAULT: "长期" = an original term of at least long_lease_years with at least
    lease_min_months_remaining whole months still to run; warns warning_days ahead.
    """
    years, months_left = settings.long_lease_years, settings.lease_min_months_remaining
    required = f"owned, or leased >= {years} years with >= {months_left} months left"
    reading = (
        f"long-term lease = original term >= {years} years and >= {months_left} months remaining; "
        f"warn {settings.warning_days} days ahead"
    )
    action = (
        f"取得自有场地，或签订（续签）不少于 {years} 年的租赁合同，"
        f"并保证剩余租期不少于 {months_left} 个月。",
        f"Own the site, or sign (renew) a lease of at least {years} years with at least "
        f"{months_left} months left.",
    )
    site = record.site
    if site is None:
        return _finding(
            "R-SITE-1",
            Status.FAIL,
            required,
            None,
            ("未登记考试场地。", "No exam site on record."),
            action=action,
            reading=reading,
        )
    if site.tenure is Tenure.OWNED:
        return _finding(
            "R-SITE-1",
            Status.PASS,
            required,
            "owned",
            ("考试场地为自有。", "The exam site is owned."),
            reading=reading,
        )
    if site.lease_start is None or site.lease_end is None:
        return _finding(
            "R-SITE-1",
            Status.FAIL,
            required,
            "leased, dates not recorded",
            ("租赁场地未登记租期起止日期。", "The lease dates are not recorded."),
            action=action,
            reading=reading,
        )
    one_day = timedelta(days=1)
    term = whole_months_between(site.lease_start, site.lease_end + one_day)
    remaining = whole_months_between(on, site.lease_end + one_day) if on <= site.lease_end else 0
    actual = f"leased, term {term} months, {remaining} months left"
    long_enough = term >= years * 12
    started = site.lease_start <= on
    last_ok = last_day_lease_suffices(site.lease_end, settings)
    if not long_enough:
        message = (
            f"租期 {term} 个月，不足 {years} 年，不属于长期租赁。",
            f"The lease term is {term} months, under {years} years: not long-term.",
        )
    elif not started:
        message = (
            f"租赁自 {site.lease_start} 起才开始。",
            f"The lease only starts on {site.lease_start}.",
        )
    elif on > last_ok:
        message = (
            f"剩余租期 {remaining} 个月，不足 {months_left} 个月（租期至 {site.lease_end}）。",
            f"{remaining} months of lease left, under {months_left} (lease ends {site.lease_end}).",
        )
    else:
        message = (
            f"长期租赁，租期至 {site.lease_end}，剩余 {remaining} 个月。",
            f"Long-term lease to {site.lease_end}, {remaining} months left.",
        )
    passes = long_enough and started and on <= last_ok
    status = _status(passes, _lapses_within_window(last_ok, on, settings))
    if status is Status.WARN:
        message = (
            message[0] + f"自 {last_ok + one_day} 起剩余租期将不足 {months_left} 个月。",
            message[1] + f" From {last_ok + one_day} fewer than {months_left} months remain.",
        )
    return _finding("R-SITE-1", status, required, actual, message, action=action, reading=reading)


def check_field_area(record: CentreRecord, on: date, settings: ComplianceSettings) -> Finding:
    """R-SITE-2, 三(三)2: "其实际操作考场面积约不小于150平方米" — each practical field separately.

    "约" is not read as a tolerance: the minimum is applied as a hard floor.
    """
    minimum = settings.min_field_area_m2
    fields = record.site.practical_fields if record.site else ()
    small = [f for f in fields if f.area_m2 < minimum]
    smallest = min((f.area_m2 for f in fields), default=None)
    if not fields:
        message = ("未登记实际操作考场面积。", "No practical field area on record.")
    elif small:
        message = (
            f"{len(small)} 个实际操作考场面积不足 {minimum:g} 平方米。",
            f"{len(small)} practical field(s) under {minimum:g} m².",
        )
    else:
        message = (
            f"全部 {len(fields)} 个实际操作考场面积不小于 {minimum:g} 平方米。",
            f"All {len(fields)} practical field(s) are at least {minimum:g} m².",
        )
    return _finding(
        "R-SITE-2",
        _status(bool(fields) and not small),
        minimum,
        smallest,
        message,
        action=(
            f"每个实际操作考场面积应不小于 {minimum:g} 平方米。",
            f"Make every practical field at least {minimum:g} m².",
        ),
        reading=f"{minimum:g} m² is a hard minimum per practical field",
        details=[Detail(f.name, f"面积 {f.area_m2:g} 平方米", f"{f.area_m2:g} m²") for f in small],
    )


# --- evaluate ----------------------------------------------------------------------------------

RuleCheck = Callable[[CentreRecord, date, ComplianceSettings], Finding]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    check: RuleCheck
    applies: Callable[[CentreRecord], bool]


def _always(record: CentreRecord) -> bool:
    return True


def _driver(record: CentreRecord) -> bool:
    return record.offers_driver_item


def _signaller(record: CentreRecord) -> bool:
    return record.offers_signaller_item


RULES: tuple[Rule, ...] = (
    Rule("R-VOL", check_volume, _always),
    Rule("R-ORG-1", check_department, _always),
    Rule("R-ORG-2", check_communication_and_office, _always),
    Rule("R-STAFF-1", check_staff, _always),
    Rule("R-EXAM-D", check_driver_examiners, _driver),
    Rule("R-EXAM-S", check_signaller_examiners, _signaller),
    Rule("R-EXAM-Q", check_examiner_qualifications, _always),
    Rule("R-TERM", check_terminals, _always),
    Rule("R-SYS", check_exam_system, _always),
    Rule("R-BANK", check_question_bank, _always),
    Rule("R-CRANE", check_bridge_crane, _driver),
    Rule("R-OPT", check_optional_equipment, _driver),
    Rule("R-FIELD", check_field_kit, _driver),
    Rule("R-SIG", check_signal_kit, _signaller),
    Rule("R-PPE", check_protective_equipment, _signaller),
    Rule("R-SITE-1", check_site_tenure, _always),
    Rule("R-SITE-2", check_field_area, _always),
)
"""Every rule of compliance-rules.md in table order, with the items that make it apply."""


def evaluate(
    record: CentreRecord,
    on: date,
    settings: ComplianceSettings = DEFAULT_SETTINGS,
    *,
    system_functions: Mapping[ExamSystemFunction | str, str] | None = None,
    bank: BankCoverage | None = None,
) -> ComplianceReport:
    """Run every applicable rule as of ``on``.

    Rules for an item the centre does not offer are left out of the report.
    """
    # The two rules that need facts from outside the record get them bound here.
    outside_facts: dict[str, RuleCheck] = {
        "R-SYS": partial(check_exam_system, system_functions=system_functions),
        "R-BANK": partial(check_question_bank, bank=bank),
    }
    findings = tuple(
        outside_facts.get(rule.id, rule.check)(record, on, settings)
        for rule in RULES
        if rule.applies(record)
    )
    return ComplianceReport(
        centre=record.code,
        evaluated_on=on,
        annual_volume=annual_volume(record),
        settings=settings,
        findings=findings,
    )
