"""Eligibility at the boundaries: age, retakes, the window, absence, passes, pending."""

from __future__ import annotations

from datetime import date

import pytest

from examcentre.idnumber import IdNumberProblem, InvalidIdNumber, check_character, parse_id_number
from examcentre.sessions.eligibility import (
    EligibilitySettings,
    Reason,
    ReasonCode,
    Sitting,
    Verdict,
    age_reached_on,
    check_eligibility,
)


def make_id(birth: date, sequence: str = "451", region: str = "330106") -> str:
    """A valid 18-character ID number (odd sequence = male, even = female)."""
    body = f"{region}{birth:%Y%m%d}{sequence}"
    return body + check_character(body)


BRIDGE = "Q2(限桥式起重机)"
ADULT = make_id(date(1990, 6, 15))
EXAM = date(2026, 5, 10)


def codes(verdict: Verdict) -> list[str]:
    return [reason.code for reason in verdict.reasons]


def test_first_sitting_of_an_adult_is_eligible():
    assert check_eligibility(ADULT, BRIDGE, EXAM, []) == Verdict(True, (), False)


def test_resident_id_is_accepted_in_place_of_the_number():
    resident = parse_id_number(ADULT)
    assert check_eligibility(resident, "Q1", EXAM, ()) == Verdict(True, (), False)


def test_a_bad_number_raises_with_its_kind():
    with pytest.raises(InvalidIdNumber) as caught:
        check_eligibility(ADULT[:-1] + ("0" if ADULT[-1] != "0" else "1"), "Q1", EXAM)
    assert caught.value.problem is IdNumberProblem.CHECK_DIGIT


# --- age ---------------------------------------------------------------------------------


def test_eighteenth_birthday_on_the_exam_day_counts():
    assert check_eligibility(make_id(date(2008, 5, 10)), "Q1", EXAM).eligible is True


def test_one_day_short_of_eighteen_is_under_age_with_both_messages():
    verdict = check_eligibility(make_id(date(2008, 5, 11)), "Q1", EXAM)  # 17 y 364 d
    assert verdict == Verdict(
        False,
        (
            Reason(
                ReasonCode.UNDER_AGE,
                "考试日期 2026-05-10 时未满 18 周岁（2026-05-11 满 18 周岁）",
                "under 18 on the exam date 2026-05-10 (turns 18 on 2026-05-11)",
            ),
        ),
        False,
    )


@pytest.mark.parametrize(
    ("exam_date", "eligible"),
    [
        (date(2022, 2, 28), False),  # common year: the birthday is 1 March
        (date(2022, 3, 1), True),
    ],
)
def test_leap_day_birthday_falls_on_1_march_in_a_common_year(exam_date, eligible):
    leapling = make_id(date(2004, 2, 29))
    assert check_eligibility(leapling, "Q1", exam_date).eligible is eligible


def test_leap_day_birthday_in_a_leap_year_is_the_day_itself():
    # 18 is not a multiple of 4, so a leapling always turns 18 in a common year, on 1 March;
    # with a minimum age of 20 the birthday falls in a leap year, on 29 February itself.
    assert age_reached_on(date(2008, 2, 29), 18) == date(2026, 3, 1)
    assert age_reached_on(date(2004, 2, 29), 20) == date(2024, 2, 29)
    twenty = EligibilitySettings(min_age=20)
    leapling = make_id(date(2004, 2, 29))
    assert check_eligibility(leapling, "Q1", date(2024, 2, 28), (), twenty).eligible is False
    assert check_eligibility(leapling, "Q1", date(2024, 2, 29), (), twenty).eligible is True


def test_under_age_message_for_a_leapling_names_1_march():
    verdict = check_eligibility(make_id(date(2004, 2, 29)), "Q1", date(2022, 2, 28))
    assert verdict.reasons[0].message_en == (
        "under 18 on the exam date 2022-02-28 (turns 18 on 2022-03-01)"
    )


def test_max_age_is_off_by_default_and_inclusive_when_set():
    sixty_one_tomorrow = make_id(date(1965, 5, 11))  # 60 on the exam day
    sixty_one_today = make_id(date(1965, 5, 10))
    assert check_eligibility(sixty_one_today, "Q1", EXAM).eligible is True
    limited = EligibilitySettings(max_age=60)
    assert check_eligibility(sixty_one_tomorrow, "Q1", EXAM, (), limited).eligible is True
    verdict = check_eligibility(sixty_one_today, "Q1", EXAM, (), limited)
    assert verdict.reasons == (
        Reason(
            ReasonCode.OVER_AGE,
            "考试日期 2026-05-10 时已超过 60 周岁（61 周岁）",
            "over 60 on the exam date 2026-05-10 (aged 61)",
        ),
    )


# --- retakes -----------------------------------------------------------------------------

FAILED_DAY = date(2026, 3, 2)


def failed(subject="theory", on=FAILED_DAY, item=BRIDGE):
    return Sitting(on, item, subject, "failed")


def passed(subject="theory", on=FAILED_DAY, item=BRIDGE):
    return Sitting(on, item, subject, "passed")


def test_retake_the_next_day_is_allowed_and_flagged():
    history = [failed("theory"), passed("practical")]
    verdict = check_eligibility(ADULT, BRIDGE, date(2026, 3, 3), history)
    assert verdict == Verdict(True, (), True)


def test_retake_on_the_same_day_is_refused():
    history = [failed("practical"), passed("theory")]
    verdict = check_eligibility(ADULT, BRIDGE, FAILED_DAY, history)
    assert verdict == Verdict(
        False,
        (
            Reason(
                ReasonCode.RETAKE_SAME_DAY,
                "实际操作技能考试补考不得与不合格的考试在同一天（2026-03-02）",
                "a practical retake cannot be on the same day as the failed sitting (2026-03-02)",
            ),
        ),
        True,
    )


def test_retake_on_the_last_day_of_the_window_is_allowed():
    last_day = date(2027, 3, 2)  # 2026-03-02 + 365 days
    assert check_eligibility(ADULT, BRIDGE, last_day, [failed()]) == Verdict(True, (), True)


def test_retake_the_day_after_the_window_is_refused():
    verdict = check_eligibility(ADULT, BRIDGE, date(2027, 3, 3), [failed()])
    assert codes(verdict) == ["retake_window_passed"]
    assert verdict.reasons[0].message_en == (
        "the theory retake window has passed (failed on 2026-03-02, last day 2027-03-02);"
        " the candidate must re-apply"
    )


def test_window_is_a_setting():
    short = EligibilitySettings(retake_window_days=30)
    assert check_eligibility(ADULT, BRIDGE, date(2026, 4, 1), [failed()], short).eligible
    assert codes(check_eligibility(ADULT, BRIDGE, date(2026, 4, 2), [failed()], short)) == [
        "retake_window_passed"
    ]


def test_second_failure_uses_up_the_retake():
    history = [failed(on=date(2026, 3, 2)), failed(on=date(2026, 4, 2))]
    verdict = check_eligibility(ADULT, BRIDGE, date(2026, 5, 2), history)
    assert verdict == Verdict(
        False,
        (
            Reason(
                ReasonCode.RETAKES_USED_UP,
                "理论知识考试已不合格 2 次，补考机会（1 次）已用完，须重新培训并申请",
                "theory failed 2 times: the 1 retake(s) are used up;"
                " the candidate must re-train and re-apply",
            ),
        ),
        True,
    )


def test_retakes_are_counted_per_subject():
    history = [
        failed("theory", date(2026, 3, 2)),
        passed("theory", date(2026, 4, 2)),
        failed("practical", date(2026, 4, 2)),
    ]
    assert check_eligibility(ADULT, BRIDGE, date(2026, 5, 2), history) == Verdict(True, (), True)


def test_more_retakes_when_the_setting_allows():
    history = [failed(on=date(2026, 3, 2)), failed(on=date(2026, 4, 2))]
    two = EligibilitySettings(retakes_per_subject=2)
    assert check_eligibility(ADULT, BRIDGE, date(2026, 5, 2), history, two).eligible


def test_absence_means_no_retake_by_default():
    history = [Sitting(FAILED_DAY, BRIDGE, "theory", "absent")]
    verdict = check_eligibility(ADULT, BRIDGE, date(2026, 4, 1), history)
    assert verdict == Verdict(
        False,
        (
            Reason(
                ReasonCode.ABSENT_NO_RETAKE,
                "2026-03-02 理论知识考试缺考，按不合格处理且不安排补考，须重新申请",
                "absent from the theory exam on 2026-03-02: counted as a fail with no retake;"
                " the candidate must re-apply",
            ),
        ),
        False,
    )


def test_absence_counts_as_an_ordinary_fail_when_the_setting_is_off():
    lenient = EligibilitySettings(absence_forbids_retake=False)
    history = [Sitting(FAILED_DAY, BRIDGE, "theory", "absent")]
    verdict = check_eligibility(ADULT, BRIDGE, date(2026, 4, 1), history, lenient)
    assert verdict == Verdict(True, (), True)


def test_both_subjects_passed_is_already_passed():
    history = [passed("theory"), passed("practical", date(2026, 3, 3))]
    verdict = check_eligibility(ADULT, BRIDGE, date(2026, 4, 1), history)
    assert verdict.reasons == (
        Reason(
            ReasonCode.ALREADY_PASSED,
            "已通过 Q2(限桥式起重机) 的理论知识考试、实际操作技能考试",
            "already passed Q2(限桥式起重机) (theory, practical)",
        ),
    )
    assert verdict.eligible is False


def test_a_session_of_one_subject_asks_only_about_that_subject():
    history = [passed("theory")]
    practical = check_eligibility(ADULT, BRIDGE, date(2026, 4, 1), history, subjects=["practical"])
    assert practical == Verdict(True, (), False)
    theory = check_eligibility(ADULT, BRIDGE, date(2026, 4, 1), history, subjects=["theory"])
    assert codes(theory) == ["already_passed"]


def test_pending_result_blocks_even_when_dated_later():
    history = [Sitting(date(2026, 6, 1), BRIDGE, "theory", "pending")]
    verdict = check_eligibility(ADULT, BRIDGE, EXAM, history)
    assert codes(verdict) == ["pending_result"]
    assert verdict.reasons[0].message_en == (
        "the theory sitting of 2026-06-01 has no result yet (or is booked); wait for it"
    )


def test_other_items_and_later_sittings_are_ignored():
    history = [
        failed(item="Q1", on=date(2026, 3, 2)),
        failed(item="Q1", on=date(2026, 4, 2)),
        failed(on=date(2026, 6, 1)),  # after the exam date
    ]
    assert check_eligibility(ADULT, BRIDGE, EXAM, history) == Verdict(True, (), False)


def test_every_reason_is_listed_together():
    history = [failed(on=EXAM), Sitting(EXAM, BRIDGE, "practical", "absent")]
    verdict = check_eligibility(make_id(date(2010, 1, 1)), BRIDGE, EXAM, history)
    assert codes(verdict) == ["under_age", "retake_same_day", "absent_no_retake"]
