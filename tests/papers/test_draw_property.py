"""Property tests: every paper meets its blueprint, repeats no question, and is reproducible."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from examcentre.papers.blueprint import Spec, cells
from examcentre.papers.draw import (
    build_pool,
    draw_paper,
    exposure_scale,
    make_plan,
    option_letters,
)

from .pools import pool_questions

SPECS = st.builds(
    lambda tf, single, multiple, weights, mix: Spec(
        counts={"true_false": tf, "single": single, "multiple": multiple},
        area_weights=dict(zip(("basics", "operation", "law"), weights, strict=True)),
        difficulty_mix=dict(zip(("1", "2", "3"), mix, strict=True)),
        pass_mark=1,
    ),
    st.integers(0, 50),
    st.integers(1, 50),
    st.integers(0, 25),
    st.sampled_from([(30, 50, 20), (34, 33, 33), (100, 0, 0), (10, 80, 10)]),
    st.sampled_from([(30, 50, 20), (0, 100, 0), (50, 0, 50), (20, 30, 50)]),
)


@settings(max_examples=60, deadline=None)
@given(
    spec=SPECS,
    factor=st.integers(1, 4),
    seed=st.integers(0, 2**63 - 1),
    exposed=st.dictionaries(st.integers(1, 400), st.integers(0, 50), max_size=40),
    excluded=st.sets(st.integers(1, 400), max_size=60),
)
def test_every_paper_meets_the_blueprint_without_duplicates(spec, factor, seed, exposed, excluded):
    questions = pool_questions(spec, factor=factor)
    pool = build_pool(questions)
    plan = make_plan(pool, spec)
    scale = exposure_scale(pool, exposed)
    paper = draw_paper(pool, plan, seed, scale, excluded)
    drawn = [pool.questions[i] for i in paper.order.tolist()]

    assert len(drawn) == spec.question_count
    assert len({q.question_id for q in drawn}) == len(drawn)  # no duplicate
    assert Counter((q.area, q.type) for q in drawn) == +Counter(cells(spec))
    # Sections in type order: all true/false, then single, then multiple.
    types = [q.type for q in drawn]
    assert types == sorted(types, key=("true_false", "single", "multiple").index)
    # Option orders are permutations of each question's own options.
    for q, row in zip(drawn, paper.option_orders, strict=True):
        letters = option_letters(row)
        assert sorted(letters) == list("ABCDE"[: q.option_count])
    # Exclusion holds wherever the cell has enough other questions.
    for (area, qtype), take in cells(spec).items():
        others = [q for q in questions if (q.area, q.type) == (area, qtype)
                  and q.question_id not in excluded]  # fmt: skip
        if len(others) >= take * 3:  # plenty: nothing excluded may appear
            assert not any(q.question_id in excluded for q in drawn
                           if (q.area, q.type) == (area, qtype))  # fmt: skip

    again = draw_paper(build_pool(reversed(questions)), plan, seed, scale, excluded)
    assert np.array_equal(again.order, paper.order)
    assert np.array_equal(again.option_orders, paper.option_orders)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), min_critical=st.integers(0, 40))
def test_critical_rule_is_met_when_the_bank_allows(seed, min_critical):
    spec = Spec(min_critical=min_critical)
    questions = pool_questions(spec, critical_every=4)
    pool = build_pool(questions)
    paper = draw_paper(pool, make_plan(pool, spec), seed)
    drawn = [pool.questions[i] for i in paper.order.tolist()]
    assert sum(q.critical for q in drawn) >= min_critical
    assert Counter((q.area, q.type, q.difficulty) for q in drawn) == Counter(
        (q.area, q.type, q.difficulty)
        for q in (pool.questions[i] for i in draw_paper(pool, make_plan(pool, Spec()), seed).order)
    )


def test_a_retaker_gets_no_question_from_the_earlier_paper():
    questions = pool_questions(factor=3)
    pool = build_pool(questions)
    plan = make_plan(pool, Spec())
    first = draw_paper(pool, plan, 1)
    earlier = {pool.questions[i].question_id for i in first.order.tolist()}
    second = draw_paper(pool, plan, 2, exclude=earlier)
    assert earlier.isdisjoint(pool.questions[i].question_id for i in second.order.tolist())


def test_when_the_bank_is_too_small_to_exclude_everything_the_paper_is_still_complete():
    questions = pool_questions(factor=1)  # exactly one paper's worth per cell
    pool = build_pool(questions)
    plan = make_plan(pool, Spec())
    everything = {q.question_id for q in questions}
    paper = draw_paper(pool, plan, 3, exclude=everything)
    assert paper.order.size == 100
