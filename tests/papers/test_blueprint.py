"""Blueprints: the default paper, cells, coverage and scoring policies (pure)."""

from __future__ import annotations

import pytest

from examcentre.compliance.model import BlueprintCell
from examcentre.papers.blueprint import (
    Spec,
    can_publish,
    cells,
    coverage,
    largest_remainder,
    score_multiple,
    spec_problems,
    to_bank_coverage,
)


def test_default_blueprint_is_the_documented_paper():
    spec = Spec()
    assert (spec.question_count, spec.total_points, spec.duration_minutes, spec.pass_mark) == (
        100, 100, 90, 70,
    )  # fmt: skip
    assert spec.target_difficulty == pytest.approx(1.9)
    assert spec_problems(spec) == []
    assert Spec.from_json(spec.to_json()) == spec


def test_default_cells_are_12_12_6_20_20_10_8_8_4():
    assert cells(Spec()) == {
        ("basics", "true_false"): 12, ("operation", "true_false"): 20, ("law", "true_false"): 8,
        ("basics", "single"): 12, ("operation", "single"): 20, ("law", "single"): 8,
        ("basics", "multiple"): 6, ("operation", "multiple"): 10, ("law", "multiple"): 4,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (10, {"a": 30, "b": 50, "c": 20}, {"a": 3, "b": 5, "c": 2}),
        (7, {"a": 30, "b": 50, "c": 20}, {"a": 2, "b": 4, "c": 1}),
        (1, {"a": 30, "b": 50, "c": 20}, {"a": 0, "b": 1, "c": 0}),
        (0, {"a": 1}, {"a": 0}),
    ],
)
def test_largest_remainder(total, weights, expected):
    assert largest_remainder(total, weights) == expected
    assert sum(largest_remainder(total, weights).values()) == total


def test_coverage_needs_three_times_the_draw_per_cell():
    live = {cell: 3 * n for cell, n in cells(Spec()).items()}
    assert can_publish(coverage("Q1", Spec(), live))
    live[("law", "multiple")] = 11  # 4 drawn, 12 needed
    cover = coverage("Q1", Spec(), live)
    assert not can_publish(cover)
    short = [c for c in cover if c.shortfall]
    rows = [(c.cell, c.drawn_per_paper, c.live_questions, c.required, c.shortfall) for c in short]
    assert rows == [("law/multiple", 4, 11, 12, 1)]
    assert can_publish(coverage("Q1", Spec(), live, factor=2))


def test_coverage_maps_onto_the_compliance_dataclasses():
    live = {cell: 3 * n for cell, n in cells(Spec()).items()}
    bank = to_bank_coverage(coverage("Q1", Spec(), live), untagged_live_questions=2)
    assert BlueprintCell("Q1", "operation/single", 20, 60) in bank.cells
    assert len(bank.cells) == 9 and bank.untagged_live_questions == 2


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (Spec(area_weights={"basics": 30, "operation": 50, "law": 30}), "area_weights"),
        (Spec(difficulty_mix={"1": 50, "2": 50, "3": 10}), "difficulty_mix"),
        (Spec(counts={"true_false": 0, "single": 0, "multiple": 0}), "counts"),
        (Spec(pass_mark=101), "pass_mark"),
        (Spec(min_critical=101), "min_critical"),
        (Spec(multiple_scoring="half"), "multiple_scoring"),
        (Spec(duration_minutes=0), "duration_minutes"),
    ],
)
def test_inconsistent_settings_name_their_field(spec, field):
    assert field in [f for f, _reason in spec_problems(spec)]


@pytest.mark.parametrize(
    ("answer", "response", "policy", "expected"),
    [
        ("ACD", "ACD", "all_or_nothing", 2.0),
        ("ACD", "AC", "all_or_nothing", 0.0),
        ("ACD", "AC", "partial", pytest.approx(4 / 3)),
        ("ACD", "ACB", "partial", 0.0),
        ("ACD", "", "partial", 0.0),
        ("ACD", "ACD", "partial", 2.0),
    ],
)
def test_multiple_choice_scoring(answer, response, policy, expected):
    assert score_multiple(answer, response, 2, policy) == expected
