"""Statistics with fixed seeds: exposure is balanced, and every paper is equally difficult."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from examcentre.papers.blueprint import Spec
from examcentre.papers.draw import (
    BankTooSmall,
    allocate_difficulty,
    build_pool,
    draw_paper,
    exposure_scale,
    make_plan,
    paper_difficulty,
)

from .pools import pool_questions

PAPERS = 3000


def test_every_live_question_in_a_cell_is_drawn_about_equally_often():
    # factor 10: every cell's pool splits exactly 30/50/20, like the blueprint's mix.
    pool = build_pool(pool_questions(factor=10))
    plan = make_plan(pool, Spec())
    counts = np.zeros(len(pool), dtype=int)
    for seed in range(PAPERS):
        counts[draw_paper(pool, plan, seed).order] += 1
    for cell in plan.cells:
        start, stop = cell[0].start, cell[-1].stop
        rate = sum(s.take + s.extra for s in cell) / (stop - start)
        expected = PAPERS * rate
        observed = counts[start:stop]
        # Binomial spread: 5 standard deviations is far outside chance with these seeds.
        sd = np.sqrt(PAPERS * rate * (1 - rate))
        assert np.all(np.abs(observed - expected) <= 5 * sd), (cell, observed, expected)
    assert counts.sum() == PAPERS * 100


def test_past_exposure_steers_draws_to_the_less_exposed_questions():
    questions = pool_questions(factor=3)
    pool = build_pool(questions)
    plan = make_plan(pool, Spec())
    stratum = plan.strata[1]
    ids = pool.question_ids[stratum.start : stratum.stop].tolist()
    overexposed = set(ids[: len(ids) // 2])
    scale = exposure_scale(pool, dict.fromkeys(overexposed, 9))  # weight 1/10
    counts = Counter()
    for seed in range(1000):
        paper = draw_paper(pool, plan, seed, scale)
        counts.update(pool.question_ids[paper.order].tolist())
    heavy = np.mean([counts[i] for i in overexposed])
    light = np.mean([counts[i] for i in ids if i not in overexposed])
    assert light > 2 * heavy


TOLERANCE = 0.1  # in mean difficulty (1..3): a tenth of a step between easy and medium


def test_parallel_forms_every_paper_has_the_target_difficulty_within_tolerance():
    spec = Spec()
    pool = build_pool(pool_questions(factor=3))
    plan = make_plan(pool, spec)
    means = np.array([paper_difficulty(pool, draw_paper(pool, plan, s)) for s in range(2000)])
    assert np.all(np.abs(means - spec.target_difficulty) <= TOLERANCE), (means.min(), means.max())
    assert abs(means.mean() - spec.target_difficulty) < 0.005


def test_parallel_forms_hold_when_the_pool_is_skewed_towards_easy_questions():
    spec = Spec()
    pool = build_pool(pool_questions(factor=4, mix=(0.6, 0.3, 0.1)))
    plan = make_plan(pool, spec)
    means = np.array([paper_difficulty(pool, draw_paper(pool, plan, s)) for s in range(500)])
    assert np.all(np.abs(means - spec.target_difficulty) <= TOLERANCE)
    # Unstratified random draws from this pool would be far easier on average.
    assert float(pool.difficulty.mean()) < spec.target_difficulty - 0.3


@pytest.mark.parametrize(
    ("take", "available", "expected"),
    [
        (10, {1: 10, 2: 10, 3: 10}, {1: 3, 2: 5, 3: 2}),
        (10, {1: 10, 2: 10, 3: 0}, {1: 3, 2: 7, 3: 0}),  # hard missing: medium takes it
        (10, {1: 0, 2: 4, 3: 10}, {1: 0, 2: 4, 3: 6}),
        (6, {1: 2, 2: 2, 3: 2}, {1: 2, 2: 2, 3: 2}),
    ],
)
def test_difficulty_allocation_moves_shortfalls_to_the_nearest_difficulty(
    take, available, expected
):
    assert allocate_difficulty(take, {1: 30, 2: 50, 3: 20}, available) == expected


def test_a_bank_smaller_than_one_paper_is_named_cell_by_cell():
    questions = [q for q in pool_questions(factor=1) if (q.area, q.type) != ("law", "multiple")]
    with pytest.raises(BankTooSmall) as error:
        make_plan(build_pool(questions), Spec())
    assert error.value.shortfalls == {("law", "multiple"): (4, 0)}
