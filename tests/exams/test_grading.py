"""The grading engine: hand-computed papers, the critical rule, exact arithmetic, properties."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from examcentre.exams.grading import (
    Grade,
    KeyedQuestion,
    displayed_to_original,
    grade,
    grade_many,
    grade_papers,
    normalise_response,
    original_to_displayed,
)
from examcentre.papers.blueprint import Spec, score_multiple, spec_problems

AON = Spec(pass_mark=1)
PARTIAL = Spec(pass_mark=1, multiple_scoring="partial")


def tf(position, answer, *, points=1, critical=False):
    return KeyedQuestion(position, "true_false", answer, "", points, critical)


def single(position, answer, order="ABCD", *, points=1, critical=False):
    return KeyedQuestion(position, "single", answer, order, points, critical)


def multiple(position, answer, order="ABCDE", *, points=1, critical=False):
    return KeyedQuestion(position, "multiple", answer, order, points, critical)


def one(question, response, spec=AON):
    """The single mark of a one-question paper."""
    (mark,) = grade([question], {question.position: response}, spec).marks
    return mark.correct, mark.earned


# -- per type, per policy --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "response", "expected"),
    [
        ("true", "true", (True, 1.0)),
        ("true", "false", (False, 0.0)),
        ("false", "false", (True, 1.0)),
        ("false", None, (False, 0.0)),
        ("false", "", (False, 0.0)),
    ],
)
def test_true_false(answer, response, expected):
    assert one(tf(1, answer), response) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [("B", (True, 1.0)), ("A", (False, 0.0)), ("C", (False, 0.0)), (None, (False, 0.0))],
)
def test_single_is_graded_through_the_shuffle(response, expected):
    # Shown A..D are original C, A, D, B: the key "A" is displayed as B; displayed A is C.
    assert one(single(1, "A", "CADB"), response) == expected


@pytest.mark.parametrize(
    ("response", "aon", "partial"),
    [
        ("ABC", (True, 2.0), (True, 2.0)),  # displayed A,B,C = original C,A,D: the key
        ("CAB", (True, 2.0), (True, 2.0)),  # any order
        ("AB", (False, 0.0), (False, pytest.approx(4 / 3))),  # 2 of 3 right
        ("B", (False, 0.0), (False, pytest.approx(2 / 3))),
        ("ABD", (False, 0.0), (False, 0.0)),  # D shows original B: wrong letter
        ("ABCD", (False, 0.0), (False, 0.0)),  # every right one plus a wrong one
        ("E", (False, 0.0), (False, 0.0)),
        (None, (False, 0.0), (False, 0.0)),
    ],
)
def test_multiple_under_both_policies_through_the_shuffle(response, aon, partial):
    question = multiple(1, "ACD", "CADBE", points=2)
    assert one(question, response, AON) == aon
    assert one(question, response, PARTIAL) == partial


def test_single_gets_no_partial_credit_and_the_policy_is_reported():
    question = single(1, "B")
    assert one(question, "A", PARTIAL) == (False, 0.0)
    assert grade([question], {}, PARTIAL).policy == "partial"
    assert grade([question], {}, AON).policy == "all_or_nothing"


def test_marks_keep_the_displayed_response_as_given_in_paper_order():
    questions = [tf(3, "true", critical=True), single(1, "A", "CADB", points=2)]
    result = grade(questions, {1: "B", 3: ""}, AON)
    assert [(m.position, m.response, m.correct, m.earned, m.points, m.critical)
            for m in result.marks] == [
        (3, "", False, 0.0, 1, True),
        (1, "B", True, 2.0, 2, False),
    ]  # fmt: skip
    assert (result.earned, result.total, result.score) == (2.0, 3, 66.7)


# -- fractional points and rounding ----------------------------------------------------------


def test_partial_credit_in_thirds():
    # 2-point multiple, 3 right letters, 2 of them chosen: 4/3 points of 2 = 66.666.. -> 66.7
    result = grade([multiple(1, "ACD", points=2)], {1: "AC"}, PARTIAL)
    assert result.earned == 4 / 3
    assert result.score == 66.7
    # plus a right 1-point question: 7/3 of 3 = 77.77.. -> 77.8
    result = grade([multiple(1, "ACD", points=2), tf(2, "true")], {1: "AC", 2: "true"}, PARTIAL)
    assert (result.earned, result.total, result.score) == (7 / 3, 3, 77.8)


def test_score_rounds_half_up_where_python_round_would_not():
    # 1/2 of 8 points = exactly 6.25: half up gives 6.3; round() (half to even) gives 6.2.
    questions = [multiple(1, "AB"), *(tf(p, "true") for p in range(2, 9))]
    result = grade(questions, {1: "A"}, PARTIAL)
    assert (result.earned, result.total) == (0.5, 8)
    assert round(100 * result.earned / result.total, 1) == 6.2
    assert result.score == 6.3


def test_score_rounds_the_exact_value_not_a_float_just_below_it():
    # 1/4 + 1/5 + 1/2 + 69 = 69.95 exactly of 100: half up is 70.0 ...
    questions = [multiple(1, "ABCD"), multiple(2, "ABCDE"), multiple(3, "AB")]
    questions += [tf(p, "true") for p in range(4, 101)]
    responses = {1: "A", 2: "A", 3: "A"} | {p: "true" for p in range(4, 73)}
    result = grade(questions, responses, Spec(pass_mark=70, multiple_scoring="partial"))
    assert result.total == 100 and result.earned == pytest.approx(69.95)
    assert result.score == 70.0
    # ... but the pass mark is compared with the exact points, not the rounded score.
    assert result.passed is False
    # 1/2 + 2/5 + 1/4 = 1.15 of 4 = 28.75 exactly: half up is 28.8, while float arithmetic
    # lands just below (28.749999..) and round() gives 28.7.
    questions = [multiple(1, "AB"), multiple(2, "ABCDE", points=2), multiple(3, "ABCD")]
    result = grade(questions, {1: "A", 2: "A", 3: "A"}, PARTIAL)
    assert (result.earned, result.total) == (1.15, 4)
    naive = sum(m.earned for m in result.marks)
    assert round(100 * naive / result.total, 1) == 28.7
    assert result.score == 28.8


def test_a_float_sum_just_below_the_pass_mark_still_passes():
    # 1/3 + 4/3 + 1/3 = 2 exactly; summed as floats it is 1.9999999999999998.
    questions = [multiple(1, "ABC"), multiple(2, "ABC", points=2), multiple(3, "ABC")]
    responses = {1: "A", 2: "AB", 3: "A"}
    marks = [m.earned for m in grade(questions, responses, PARTIAL).marks]
    assert sum(marks) < 2  # the trap is real
    for result in (
        grade(questions, responses, replace(PARTIAL, pass_mark=2)),
        grade_many(questions, [responses], replace(PARTIAL, pass_mark=2))[0],
    ):
        assert (result.earned, result.score, result.passed) == (2.0, 50.0, True)


# -- pass mark -------------------------------------------------------------------------------


@pytest.mark.parametrize(("right", "passed"), [(3, True), (4, True), (2, False)])
def test_pass_exactly_at_the_mark_and_just_below(right, passed):
    questions = [tf(p, "true") for p in range(1, 5)]
    responses = {p: "true" for p in range(1, right + 1)}
    result = grade(questions, responses, Spec(pass_mark=3))
    assert (result.earned, result.passed, result.pass_mark) == (right, passed, 3)


def test_pass_mark_in_points_with_fractions_just_below():
    # 2 + 2/3 of 4 points with pass mark 3: 66.7 and a fail; one more right letter passes.
    questions = [tf(1, "true", points=2), multiple(2, "ABC", points=2)]
    spec = Spec(pass_mark=3, multiple_scoring="partial")
    below = grade(questions, {1: "true", 2: "A"}, spec)
    assert (below.score, below.passed) == (66.7, False)
    at = grade(questions, {1: "true", 2: "AB"}, spec)
    assert (at.earned, at.score, at.passed) == (pytest.approx(10 / 3), 83.3, True)


@pytest.mark.parametrize("responses", [{}, {1: None, 2: "", 3: None}])
def test_an_unanswered_paper_scores_0_and_fails(responses):
    questions = [tf(1, "true"), single(2, "A"), multiple(3, "AB")]
    result = grade(questions, responses, PARTIAL)
    assert (result.earned, result.score, result.passed) == (0.0, 0.0, False)
    assert not any(m.correct for m in result.marks)


def test_the_default_paper_passes_at_70():
    questions = [tf(p, "true") for p in range(1, 101)]
    responses = {p: "true" for p in range(1, 71)}
    assert grade(questions, responses, Spec()).passed
    del responses[70]
    result = grade(questions, responses, Spec())
    assert (result.score, result.passed) == (69.0, False)


# -- the critical-question rule --------------------------------------------------------------


def critical_paper():
    """10 one-point questions, 3 critical (positions 1..3); everything else answered right."""
    return [tf(p, "true", critical=p <= 3) for p in range(1, 11)]


@pytest.mark.parametrize(
    ("allowed", "wrong_critical", "failed"),
    [
        (None, 2, False),  # the rule is off: only the score counts
        (0, 0, False),
        (0, 1, True),
        (1, 1, False),
        (1, 2, True),
    ],
)
def test_critical_rule(allowed, wrong_critical, failed):
    responses = {p: "true" for p in range(1, 11)}
    for p in range(1, wrong_critical + 1):
        responses[p] = "false"
    result = grade(critical_paper(), responses, Spec(pass_mark=7, critical_wrong_allowed=allowed))
    assert result.critical_wrong == wrong_critical  # counted even when the rule is off
    assert result.earned >= 7  # the score alone would pass
    assert (result.failed_on_critical, result.passed) == (failed, not failed)


def test_an_unanswered_critical_question_counts_as_wrong():
    responses = {p: "true" for p in range(2, 11)}  # question 1 (critical) left blank
    result = grade(critical_paper(), responses, Spec(pass_mark=7, critical_wrong_allowed=0))
    assert (result.critical_wrong, result.failed_on_critical, result.passed) == (1, True, False)
    responses[1] = ""
    again = grade(critical_paper(), responses, Spec(pass_mark=7, critical_wrong_allowed=0))
    assert (again.critical_wrong, again.failed_on_critical, again.passed) == (1, True, False)
    assert again.marks[0].response == ""  # kept as given


def test_partial_credit_does_not_save_a_critical_question():
    questions = [multiple(1, "ABC", critical=True), tf(2, "true")]
    spec = Spec(pass_mark=1, multiple_scoring="partial", critical_wrong_allowed=0)
    result = grade(questions, {1: "AB", 2: "true"}, spec)
    assert result.earned == pytest.approx(5 / 3)
    assert (result.critical_wrong, result.passed) == (1, False)


def test_a_failing_score_fails_with_no_critical_question_wrong():
    result = grade(critical_paper(), {1: "true", 2: "true", 3: "true"}, replace(
        Spec(pass_mark=7), critical_wrong_allowed=0))  # fmt: skip
    assert (result.critical_wrong, result.failed_on_critical, result.passed) == (0, False, False)


# -- the Spec field --------------------------------------------------------------------------


def test_spec_critical_rule_is_off_by_default_and_reads_old_json():
    assert Spec().critical_wrong_allowed is None
    old = Spec().to_json()
    del old["critical_wrong_allowed"]
    assert Spec.from_json(old) == Spec()
    spec = Spec(critical_wrong_allowed=1)
    assert Spec.from_json(spec.to_json()) == spec
    assert spec_problems(spec) == []
    assert spec_problems(Spec(critical_wrong_allowed=0)) == []


@pytest.mark.parametrize("allowed", [-1, "1", 1.5, True])
def test_spec_rejects_a_bad_critical_allowance(allowed):
    spec = Spec(critical_wrong_allowed=allowed)
    assert "critical_wrong_allowed" in [f for f, _reason in spec_problems(spec)]
    with pytest.raises(ValueError, match="critical_wrong_allowed"):
        grade([tf(1, "true")], {}, spec)


def test_an_unknown_policy_is_refused_not_graded_as_all_or_nothing():
    with pytest.raises(ValueError, match="multiple_scoring"):
        grade([multiple(1, "AB")], {1: "A"}, Spec(multiple_scoring="half"))
    with pytest.raises(ValueError, match="multiple_scoring"):
        grade_many([multiple(1, "AB")], [{1: "A"}], Spec(multiple_scoring="half"))


# -- letters ---------------------------------------------------------------------------------


def test_displayed_and_original_letters():
    assert displayed_to_original("A", "CADB") == "C"
    assert displayed_to_original("BD", "CADB") == "AB"
    assert displayed_to_original("DB", "CADB") == "AB"
    assert displayed_to_original("", "CADB") == ""
    assert original_to_displayed("A", "CADB") == "B"
    assert original_to_displayed("ACD", "CADBE") == "ABC"


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (displayed_to_original, ("E", "CADB")),  # only A-D are shown
        (displayed_to_original, ("AA", "CADB")),
        (displayed_to_original, ("a", "CADB")),
        (displayed_to_original, ("true", "")),
        (displayed_to_original, ("A", "CADE")),  # not a permutation of A-D
        (displayed_to_original, ("A", "CAAB")),
        (original_to_displayed, ("E", "CADB")),
        (original_to_displayed, ("AA", "CADB")),
    ],
)
def test_letters_outside_the_shown_options_are_refused(call, args):
    with pytest.raises(ValueError):
        call(*args)


@given(st.data())
def test_the_mappings_are_inverse(data):
    n = data.draw(st.integers(2, 5))
    order = "".join(data.draw(st.permutations("ABCDE"[:n])))
    letters = "".join(sorted(data.draw(st.sets(st.sampled_from("ABCDE"[:n])))))
    assert displayed_to_original(original_to_displayed(letters, order), order) == letters
    assert original_to_displayed(displayed_to_original(letters, order), order) == letters


@pytest.mark.parametrize(
    ("qtype", "response", "count", "expected"),
    [
        ("true_false", "true", 0, "true"),
        ("true_false", "false", 0, "false"),
        ("true_false", None, 0, None),
        ("single", "", 4, None),
        ("single", "D", 4, "D"),
        ("multiple", "DB", 4, "BD"),
        ("multiple", "E", 5, "E"),
        ("multiple", None, 5, None),
    ],
)
def test_normalise_response_accepts(qtype, response, count, expected):
    assert normalise_response(qtype, response, count) == expected


@pytest.mark.parametrize(
    ("qtype", "response", "count", "message"),
    [
        ("true_false", "True", 0, "'true' or 'false'"),
        ("true_false", "A", 0, "'true' or 'false'"),
        ("single", "E", 4, "one letter A-D"),
        ("single", "AB", 4, "one letter A-D"),
        ("single", "b", 4, "one letter A-D"),
        ("single", "true", 4, "one letter A-D"),
        ("multiple", "AA", 4, "different letters A-D"),
        ("multiple", "AE", 4, "different letters A-D"),
        ("multiple", " A", 4, "different letters A-D"),
        ("multiple", 3, 4, "text"),
        ("single", "A", 6, "2 to 5 options"),
        ("essay", "A", 4, "type"),
    ],
)
def test_normalise_response_refuses_with_a_clear_message(qtype, response, count, message):
    with pytest.raises(ValueError, match=message):
        normalise_response(qtype, response, count)


def test_bad_inputs_are_refused_naming_the_question():
    with pytest.raises(ValueError, match="question 2"):
        grade([tf(1, "true"), single(2, "A")], {2: "E"}, AON)
    with pytest.raises(ValueError, match="question 2"):
        grade_many([tf(1, "true"), single(2, "A")], [{2: "A"}, {2: "E"}], AON)
    with pytest.raises(ValueError, match="not on the paper"):
        grade([tf(1, "true")], {7: "true"}, AON)
    with pytest.raises(ValueError, match="not on the paper"):
        grade_papers([([tf(1, "true")], {7: "true"})], AON)
    with pytest.raises(ValueError, match="at least one question"):
        grade([], {}, AON)
    with pytest.raises(ValueError, match="distinct"):
        grade([tf(1, "true"), tf(1, "false")], {}, AON)


@pytest.mark.parametrize(
    "make",
    [
        lambda: single(1, "E"),  # not among A-D
        lambda: single(1, "AB"),
        lambda: multiple(1, "AA"),
        lambda: multiple(1, ""),
        lambda: single(1, "A", "ABCC"),
        lambda: tf(1, "yes"),
        lambda: KeyedQuestion(1, "true_false", "true", "AB", 1, False),
        lambda: tf(1, "true", points=0),
        lambda: KeyedQuestion(1, "essay", "A", "AB", 1, False),
    ],
)
def test_a_bad_key_is_refused(make):
    with pytest.raises(ValueError):
        make()


# -- many attempts ---------------------------------------------------------------------------


def test_grade_many_and_grade_papers_by_hand():
    paper = [tf(1, "true", critical=True), single(2, "A", "CADB"), multiple(3, "ACD", "CADBE")]
    attempts = [{1: "true", 2: "B", 3: "ABC"}, {1: "false", 2: "A", 3: "AB"}, {}]
    spec = Spec(pass_mark=2, multiple_scoring="partial", critical_wrong_allowed=0)
    grades = grade_many(paper, attempts, spec)
    assert [(g.earned, g.score, g.passed, g.critical_wrong) for g in grades] == [
        (3.0, 100.0, True, 0),
        (pytest.approx(2 / 3), 22.2, False, 1),
        (0.0, 0.0, False, 1),
    ]
    other = [single(1, "B", "BA")]
    mixed = grade_papers([(paper, attempts[0]), (other, {1: "A"}), (paper, attempts[1])], spec)
    assert mixed == [grades[0], grade(other, {1: "A"}, spec), grades[1]]
    assert mixed[1].passed is False and mixed[1].earned == 1.0  # pass mark 2 of 1 point
    assert grade_many(paper, [], spec) == [] and grade_papers([], spec) == []


# -- properties ------------------------------------------------------------------------------


@st.composite
def keyed(draw, position, types=("true_false", "single", "multiple")):
    """One valid keyed question: any type, 2-5 shuffled options, a key of 1+ letters."""
    qtype = draw(st.sampled_from(types))
    points, critical = draw(st.integers(1, 5)), draw(st.booleans())
    if qtype == "true_false":
        return tf(position, draw(st.sampled_from(("true", "false"))), points=points,
                  critical=critical)  # fmt: skip
    n = draw(st.integers(2, 5))
    order = "".join(draw(st.permutations("ABCDE"[:n])))
    size = 1 if qtype == "single" else n
    answer = draw(st.lists(st.sampled_from("ABCDE"[:n]), min_size=1, max_size=size, unique=True))
    return KeyedQuestion(position, qtype, "".join(answer), order, points, critical)


@st.composite
def questions(draw, max_size=10):
    """A paper: 1..max_size questions at distinct, not necessarily consecutive, positions."""
    positions = draw(st.lists(st.integers(1, 200), min_size=1, max_size=max_size, unique=True))
    return [draw(keyed(position)) for position in positions]


def response_for(draw, question):
    choices = [st.none(), st.just("")]
    if question.type == "true_false":
        choices.append(st.sampled_from(("true", "false")))
    else:
        shown = "ABCDE"[: len(question.option_order)]
        size = 1 if question.type == "single" else len(shown)
        letters = st.lists(st.sampled_from(shown), min_size=1, max_size=size, unique=True)
        choices.append(letters.map("".join))
        # the right answer, displayed, so that correct answers are common
        choices.append(st.just(original_to_displayed(question.answer, question.option_order)))
    return draw(st.one_of(*choices))


@st.composite
def attempts(draw, paper):
    """Responses to a paper; an unanswered question is sometimes missing, sometimes None."""
    responses = {}
    for q in paper:
        value = response_for(draw, q)
        if value is not None or draw(st.booleans()):
            responses[q.position] = value
    return responses


SPECS = st.builds(
    lambda policy, mark, allowed: Spec(
        pass_mark=mark, multiple_scoring=policy, critical_wrong_allowed=allowed
    ),
    st.sampled_from(("all_or_nothing", "partial")),
    st.integers(1, 30),
    st.none() | st.integers(0, 3),
)


@settings(max_examples=80, deadline=None)
@given(st.data(), SPECS)
def test_grade_many_gives_exactly_the_grades_of_grade(data, spec):
    paper = data.draw(questions())
    many = data.draw(st.lists(attempts(paper), max_size=6))
    expected = [grade(paper, responses, spec) for responses in many]
    assert grade_many(paper, many, spec) == expected
    # bit for bit, including the floats
    for got, want in zip(grade_many(paper, many, spec), expected, strict=True):
        assert repr(got) == repr(want)


@settings(max_examples=50, deadline=None)
@given(st.data(), SPECS)
def test_grade_papers_gives_exactly_the_grades_of_grade(data, spec):
    papers = data.draw(st.lists(questions(), min_size=1, max_size=5))
    items = [(p, data.draw(attempts(p))) for p in papers]
    items += [(papers[0], data.draw(attempts(papers[0])))]  # two attempts at one paper
    assert grade_papers(items, spec) == [grade(p, r, spec) for p, r in items]


@settings(max_examples=200, deadline=None)
@given(st.data(), st.sampled_from(("all_or_nothing", "partial")), st.integers(1, 5))
def test_multiple_agrees_with_score_multiple(data, policy, points):
    question = replace(data.draw(keyed(1, types=("multiple",))), points=points)
    response = response_for(data.draw, question)
    mark = grade([question], {question.position: response}, Spec(multiple_scoring=policy))
    chosen = displayed_to_original(response or "", question.option_order)
    expected = score_multiple(question.answer, chosen, points, policy)
    assert mark.marks[0].earned == expected
    assert mark.marks[0].correct == (expected == points)


@settings(max_examples=80, deadline=None)
@given(st.data(), SPECS)
def test_score_lies_between_0_and_100_and_agrees_with_earned(data, spec):
    paper = data.draw(questions())
    result = grade(paper, data.draw(attempts(paper)), spec)
    assert 0 <= result.score <= 100
    assert 0 <= result.earned <= result.total == sum(q.points for q in paper)
    assert abs(result.score - 100 * result.earned / result.total) <= 0.05 + 1e-9
    assert result.passed == (result.earned >= spec.pass_mark - 1e-9 and not
                             result.failed_on_critical)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(st.data(), SPECS)
def test_answering_a_question_right_never_lowers_the_score(data, spec):
    paper = data.draw(questions())
    responses = data.draw(attempts(paper))
    question = data.draw(st.sampled_from(paper))
    right = (
        question.answer
        if question.type == "true_false"
        else original_to_displayed(question.answer, question.option_order)
    )
    before = grade(paper, responses, spec)
    after = grade(paper, responses | {question.position: right}, spec)
    assert after.score >= before.score and after.earned >= before.earned
    assert after.critical_wrong <= before.critical_wrong
    assert after.passed or not before.passed
    was_right = next(m for m in before.marks if m.position == question.position).correct
    assume(not was_right)
    assert after.earned > before.earned  # and a wrong answer made right always gains


def test_grade_is_a_frozen_value():
    result = grade([tf(1, "true")], {1: "true"}, AON)
    assert isinstance(result, Grade)
    with pytest.raises(AttributeError):
        result.score = 0  # type: ignore[misc]
