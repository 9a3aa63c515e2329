"""Two-examiner reconciliation, the combined result and the retake rules, at their boundaries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examcentre.idnumber import check_character
from examcentre.practical.results import (
    Outcome,
    ReconcileStatus,
    RetakeRefusal,
    RetakeRules,
    SubjectResult,
    combined_result,
    decide_by_lead,
    last_retake_day,
    reconcile,
    reconcile_sheets,
    retake_refusal,
)
from examcentre.practical.scoring import score_sheet
from examcentre.sessions.eligibility import ReasonCode, Sitting, check_eligibility

from .data import full_entries, mini, shipped

# --- reconciliation ---------------------------------------------------------------------------

RECONCILE = [
    # first, second, threshold, policy, status, score
    (80, 80, 10, "mean", "agreed", 80),
    (70, 71, 10, "mean", "agreed", Decimal("70.5")),
    (70, 71, 10, "lower", "agreed", 70),
    (70, 80, 10, "mean", "agreed", 75),  # exactly the threshold: agreed
    (80, 70, 10, "lower", "agreed", 70),
    (70, Decimal("80.5"), 10, "mean", "needs_lead", None),  # just over
    (60, 90, 10, "lower", "needs_lead", None),
    (75, 75, 0, "mean", "agreed", 75),
    (75, Decimal("75.5"), 0, "mean", "needs_lead", None),
    (Decimal("69.5"), 70, 5, "mean", "agreed", Decimal("69.75")),
    ("72.5", "71", "1.5", "mean", "agreed", Decimal("71.75")),
]


@pytest.mark.parametrize(("a", "b", "threshold", "policy", "status", "score"), RECONCILE)
def test_reconcile(a, b, threshold, policy, status, score):
    result = reconcile(a, b, threshold=threshold, policy=policy)
    assert result.status == status
    assert result.score == score
    assert result.difference == abs(Decimal(str(a)) - Decimal(str(b)))
    assert (result.why == "difference") == (status == "needs_lead")


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((70, 80), {"policy": "median"}),
        ((70, 80), {"threshold": -1}),
        ((-1, 80), {}),
        ((70, "abc"), {}),
        ((70, float("nan")), {}),
        ((True, 80), {}),
    ],
)
def test_reconcile_refuses_bad_input(args, kwargs):
    with pytest.raises(ValueError):
        reconcile(*args, **kwargs)


def test_the_default_is_the_mean_within_10_points():
    assert reconcile(70, 80).score == 75
    assert reconcile(70, 81).status == ReconcileStatus.NEEDS_LEAD


def test_the_lead_examiner_decides_with_a_reason():
    pending = reconcile(60, 90)
    decided = decide_by_lead(pending, score=72, reason="replayed the video", lead="E-LEAD")
    assert decided.status == ReconcileStatus.LEAD_DECIDED
    assert decided.score == 72 and decided.reason == "replayed the video"
    assert (decided.first, decided.second) == (60, 90)
    for bad in ("", "   "):
        with pytest.raises(ValueError, match="reason"):
            decide_by_lead(pending, score=72, reason=bad, lead="E-LEAD")
    with pytest.raises(ValueError, match="lead examiner"):
        decide_by_lead(pending, score=72, reason="x", lead=" ")
    with pytest.raises(ValueError, match="more than the total"):
        decide_by_lead(pending, score=101, reason="x", lead="E-LEAD")
    with pytest.raises(ValueError, match="only a needs_lead"):
        decide_by_lead(reconcile(70, 71), score=72, reason="x", lead="E-LEAD")


def sheet_score(sheet, vetoes=(), **changes):
    entries = full_entries(sheet) | changes
    return score_sheet(sheet, entries, vetoes)


def test_reconcile_sheets_passes_on_the_exact_mean():
    sheet = mini()  # total 40, pass 28
    a = sheet_score(
        sheet, drop={"zone": "outside"}, checks={"items": {"bell": False, "smooth": True}}
    )
    b = sheet_score(sheet, drop={"zone": "outside"})
    assert (a.score, b.score) == (26, 30)
    result = reconcile_sheets(a, b, threshold=5)
    assert result.score == 28 and result.passed is True
    lower = reconcile_sheets(a, b, threshold=5, policy="lower")
    assert lower.score == 26 and lower.passed is False


def test_a_mean_just_below_the_pass_mark_fails():
    sheet = mini()  # total 40, pass 28
    drawn = list(full_entries(sheet)["parts"]["grades"])
    a = sheet_score(
        sheet,
        drop={"zone": "outside"},
        parts={"grades": {drawn[0]: "partial", drawn[1]: "correct"}},
    )
    b = sheet_score(
        sheet,
        drop={"zone": "middle"},
        checks={"items": {"bell": False, "smooth": True}},
        course={"counts": {"bump": 2, "stop": 0}, "time_seconds": 0},
    )
    assert (a.score, b.score) == (Decimal("27.5"), 28)
    assert b.passed is True
    result = reconcile_sheets(a, b)
    assert result.score == Decimal("27.75") and result.passed is False


def test_different_vetoes_go_to_the_lead_examiner():
    sheet = shipped()["Q2-PRACTICAL"]
    a = sheet_score(sheet, vetoes=["lift_over_person"])
    b = sheet_score(sheet)
    result = reconcile_sheets(a, b)
    assert result.status == ReconcileStatus.NEEDS_LEAD and result.why == "vetoes"
    assert result.passed is None
    upheld = decide_by_lead(
        result, score=100, reason="video shows the load over the rigger", lead="L",
        vetoes=["lift_over_person"],
    )  # fmt: skip
    assert upheld.passed is False
    dropped = decide_by_lead(result, score=100, reason="nobody under the load", lead="L")
    assert dropped.passed is True


def test_the_lead_score_is_bounded_by_the_sheet_total():
    sheet = mini()  # total 40
    a = sheet_score(sheet)
    b = sheet_score(
        sheet, drop={"zone": "outside"}, checks={"items": {"bell": False, "smooth": False}}
    )
    pending = reconcile_sheets(a, b, threshold=5)
    assert pending.status == ReconcileStatus.NEEDS_LEAD and pending.total == 40
    with pytest.raises(ValueError, match="more than the total 40"):
        decide_by_lead(pending, score=41, reason="x", lead="L")
    assert decide_by_lead(pending, score=40, reason="x", lead="L").passed is True


def test_the_same_veto_from_both_examiners_fails_the_practical():
    sheet = shipped()["Q2-PRACTICAL"]
    a = sheet_score(sheet, vetoes=["ignored_stop_signal"])
    b = sheet_score(sheet, vetoes=["ignored_stop_signal"])
    result = reconcile_sheets(a, b)
    assert result.status == ReconcileStatus.AGREED and result.score == 100
    assert result.vetoes == ("ignored_stop_signal",) and result.passed is False


def test_reconcile_sheets_refuses_different_versions_and_incomplete_sheets():
    q2, q1 = shipped()["Q2-PRACTICAL"], shipped()["Q1-PRACTICAL"]
    with pytest.raises(ValueError, match="different sheets"):
        reconcile_sheets(sheet_score(q2), sheet_score(q1))
    partial = score_sheet(q2, {"handling": full_entries(q2)["handling"]})
    with pytest.raises(ValueError, match="second examiner's sheet is missing"):
        reconcile_sheets(sheet_score(q2), partial)


@given(
    st.decimals(min_value=0, max_value=100, places=1),
    st.decimals(min_value=0, max_value=100, places=1),
    st.sampled_from(["mean", "lower"]),
)
def test_an_agreed_result_lies_between_the_two(a, b, policy):
    result = reconcile(a, b, threshold=100, policy=policy)
    assert min(a, b) <= result.score <= max(a, b)
    assert result.score == (min(a, b) if policy == "lower" else (a + b) / 2)


# --- subject results --------------------------------------------------------------------------

D = date(2026, 3, 1)
EXAMINERS = ("E-01", "E-02")


def theory(score, on=D, sitting=1, absent=False):
    return SubjectResult(
        "theory", on, sitting, "computer", None if absent else score, absent=absent
    )


def practical(score, on=D, sitting=1, absent=False, vetoes=()):
    return SubjectResult(
        "practical", on, sitting, "crane", None if absent else score,
        examiners=() if absent else EXAMINERS, absent=absent, vetoes=vetoes,
        sheet="Q2-PRACTICAL", sheet_version=1, sheet_hash="0" * 64,
    )  # fmt: skip


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subject": "oral", "mode": "computer", "score": 80},
        {"subject": "theory", "mode": "crane", "score": 80},
        {"subject": "practical", "mode": "paper", "score": 80, "examiners": EXAMINERS},
        {"subject": "theory", "mode": "computer", "score": None},
        {"subject": "theory", "mode": "computer", "score": 80, "absent": True},
        {"subject": "theory", "mode": "computer", "score": -1},
        {"subject": "theory", "mode": "computer", "score": 80, "vetoes": ("x",)},
        {"subject": "practical", "mode": "crane", "score": 80, "examiners": ("E-01",)},
        {"subject": "practical", "mode": "crane", "score": 80, "examiners": ("E-01", "E-01")},
        {"subject": "theory", "mode": "computer", "score": 80, "sitting": 0},
    ],
)
def test_a_subject_result_checks_itself(kwargs):
    kwargs = {"on": D, "sitting": 1} | kwargs
    with pytest.raises(ValueError):
        SubjectResult(**kwargs)


def test_a_simulator_practical_and_an_absent_one():
    sim = SubjectResult("practical", D, 1, "simulator", 80, examiners=EXAMINERS)
    assert sim.outcome() == Outcome.PASSED
    assert practical(None, absent=True).outcome() == Outcome.ABSENT


COMBINED = [
    # results, passed, theory outcome, practical outcome
    ([theory(70), practical(70)], True, "passed", "passed"),
    ([theory(Decimal("69.5")), practical(90)], False, "failed", "passed"),
    ([theory(90), practical(Decimal("69.99"))], False, "passed", "failed"),
    ([theory(90), practical(95, vetoes=("lift_over_person",))], False, "passed", "failed"),
    ([theory(90)], False, "passed", "not_sat"),
    ([theory(60), theory(75, D + timedelta(days=7), 2), practical(80)], True, "passed", "passed"),
    (
        [theory(80), practical(60), practical(65, D + timedelta(days=7), 2)],
        False,
        "passed",
        "failed",
    ),
    ([theory(80), practical(None, absent=True)], False, "passed", "absent"),
]


@pytest.mark.parametrize(("results", "passed", "theory_outcome", "practical_outcome"), COMBINED)
def test_combined_result(results, passed, theory_outcome, practical_outcome):
    result = combined_result(results)
    assert result.passed is passed
    assert result.theory.outcome == theory_outcome
    assert result.practical.outcome == practical_outcome


def test_pass_marks_are_parameters():
    results = [theory(65), practical(65)]
    assert not combined_result(results).passed
    assert combined_result(results, RetakeRules(theory_pass_mark=60, practical_pass_mark=60)).passed


def test_the_combined_result_says_when_a_retake_is_still_possible():
    result = combined_result([theory(80), practical(60)])
    assert result.practical.retake_refusal is None
    assert result.practical.last_retake_day == D + timedelta(days=365)
    assert result.theory.retake_refusal == RetakeRefusal.ALREADY_PASSED
    absent = combined_result([theory(80), practical(None, absent=True)])
    assert absent.practical.retake_refusal == RetakeRefusal.ABSENT_NO_RETAKE
    assert absent.practical.last_retake_day is None


def test_sittings_must_be_numbered_in_date_order():
    with pytest.raises(ValueError, match="numbered"):
        combined_result([theory(60, sitting=2)])
    with pytest.raises(ValueError, match="not after"):
        combined_result([theory(60), theory(80, D, 2)])


# --- retakes ----------------------------------------------------------------------------------

FAILED = [theory(80), practical(60)]  # practical failed on D

RETAKES = [
    # history, subject, retake date, refusal
    (FAILED, "practical", D + timedelta(days=1), None),
    (FAILED, "practical", D, RetakeRefusal.RETAKE_SAME_DAY),
    (FAILED, "practical", D - timedelta(days=1), RetakeRefusal.BEFORE_FAILED_SITTING),
    (FAILED, "practical", D + timedelta(days=365), None),
    (FAILED, "practical", D + timedelta(days=366), RetakeRefusal.RETAKE_WINDOW_PASSED),
    (FAILED, "theory", D + timedelta(days=1), RetakeRefusal.ALREADY_PASSED),
    ([theory(80)], "practical", D + timedelta(days=1), RetakeRefusal.NO_FAILED_SITTING),
    (
        [*FAILED, practical(65, D + timedelta(days=10), 2)],
        "practical",
        D + timedelta(days=20),
        RetakeRefusal.RETAKES_USED_UP,
    ),
    (
        [theory(80), practical(None, absent=True)],
        "practical",
        D + timedelta(days=1),
        RetakeRefusal.ABSENT_NO_RETAKE,
    ),
    (
        [theory(None, absent=True), practical(90)],
        "theory",
        D + timedelta(days=1),
        RetakeRefusal.ABSENT_NO_RETAKE,
    ),
    (
        [theory(80), practical(95, vetoes=("ignored_stop_signal",))],
        "practical",
        D + timedelta(days=1),
        None,
    ),
]


@pytest.mark.parametrize(("history", "subject", "on", "refusal"), RETAKES)
def test_retake_rules(history, subject, on, refusal):
    assert retake_refusal(history, subject, on) == refusal


def test_the_window_is_a_setting():
    rules = RetakeRules(window_days=30)
    assert retake_refusal(FAILED, "practical", D + timedelta(days=30), rules) is None
    assert (
        retake_refusal(FAILED, "practical", D + timedelta(days=31), rules)
        == RetakeRefusal.RETAKE_WINDOW_PASSED
    )
    assert last_retake_day(FAILED, "practical", rules) == D + timedelta(days=30)


def test_an_absence_can_be_an_ordinary_fail():
    rules = RetakeRules(absence_forbids_retake=False)
    history = [theory(80), practical(None, absent=True)]
    assert retake_refusal(history, "practical", D + timedelta(days=1), rules) is None
    assert retake_refusal(history, "practical", D, rules) == RetakeRefusal.RETAKE_SAME_DAY


def test_retake_refusal_checks_the_subject():
    with pytest.raises(ValueError):
        retake_refusal(FAILED, "oral", D)


# --- in step with sessions.eligibility --------------------------------------------------------


def test_the_shared_reason_codes_are_the_eligibility_codes():
    ours = {r.value for r in RetakeRefusal}
    shared = ours - {"no_failed_sitting", "before_failed_sitting"}
    assert shared <= {r.value for r in ReasonCode}


ID_NUMBER = "11010119900101123" + check_character("11010119900101123")


@pytest.mark.parametrize(
    ("history", "on"),
    [
        (FAILED, D + timedelta(days=1)),
        (FAILED, D),
        (FAILED, D + timedelta(days=365)),
        (FAILED, D + timedelta(days=366)),
        ([*FAILED, practical(65, D + timedelta(days=10), 2)], D + timedelta(days=20)),
        ([theory(80), practical(None, absent=True)], D + timedelta(days=1)),
    ],
)
def test_retake_refusals_agree_with_eligibility(history, on):
    ours = retake_refusal(history, "practical", on)
    sittings = [
        Sitting(r.on, "Q2(限桥式起重机)", r.subject, r.outcome().value)
        for r in history
        if r.subject == "practical"
    ]
    verdict = check_eligibility(
        ID_NUMBER, "Q2(限桥式起重机)", on, sittings, subjects=("practical",)
    )
    theirs = [reason.code.value for reason in verdict.reasons]
    assert theirs == ([] if ours is None else [ours.value])
