"""The scoring engine: every deduction, zones, vetoes, severe events, allowances, time rounding,
entry problems with their paths, and reproducible draws."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examcentre.practical.scoring import (
    ChecklistEntry,
    CounterEntry,
    DrawEntry,
    EntryError,
    ZoneEntry,
    draw_items,
    score_sheet,
    score_task,
    time_steps,
)
from examcentre.practical.sheets import TimeLimit

from .data import full_entries, mini, shipped


def q2():
    return shipped()["Q2-PRACTICAL"]


def q1():
    return shipped()["Q1-PRACTICAL"]


def run(**counts):
    """An obstacle-run entry for the shipped Q2 sheet (all counters 0 unless given)."""
    time = counts.pop("time", 200)
    severe = counts.pop("severe", None)
    base = {"bump": 0, "knock_down": 0, "stop": 0, "spill": 0}
    return {"counts": base | counts, "time_seconds": time, "severe": severe}


# --- counter_deductions on the shipped Q2 obstacle run (25 points) ----------------------------

OBSTACLE = [
    # entry, earned, deductions (code, units, amount)
    (run(), 25, []),
    (run(bump=1), 23, [("counter.bump", 1, 2)]),
    (run(bump=3), 19, [("counter.bump", 3, 6)]),
    (run(knock_down=1), 20, [("counter.knock_down", 1, 5)]),
    (run(knock_down=2), 15, [("counter.knock_down", 2, 10)]),
    (run(spill=1), 23, [("counter.spill", 1, 2)]),
    # the stop allowance: 5 stops are free, each one beyond costs 1
    (run(stop=4), 25, []),
    (run(stop=5), 25, []),
    (run(stop=6), 24, [("counter.stop", 1, 1)]),
    (run(stop=9), 21, [("counter.stop", 4, 4)]),
    # over the 240 s limit: 1 point per started 10 s
    (run(time=240), 25, []),
    (run(time=240.1), 24, [("time.over", 1, 1)]),
    (run(time=250), 24, [("time.over", 1, 1)]),
    (run(time=250.1), 23, [("time.over", 2, 2)]),
    (run(time=300), 19, [("time.over", 6, 6)]),
    (
        run(bump=1, knock_down=1, stop=7, spill=1, time=251),
        25 - 2 - 5 - 2 - 2 - 2,
        [
            ("counter.bump", 1, 2),
            ("counter.knock_down", 1, 5),
            ("counter.stop", 2, 2),
            ("counter.spill", 1, 2),
            ("time.over", 2, 2),
        ],
    ),
    # floor at 0: 6 knock-downs are 30 points off a 25-point task
    (run(knock_down=6), 0, [("counter.knock_down", 6, 30)]),
]


@pytest.mark.parametrize(("entry", "earned", "deductions"), OBSTACLE)
def test_each_obstacle_run_deduction(entry, earned, deductions):
    score = score_task(q2().task("obstacle_run"), entry)
    assert score.earned == earned
    assert [(d.code, d.units, d.amount) for d in score.deductions] == deductions
    assert score.ended_by is None
    assert all(d.zh and d.en for d in score.deductions)


def test_the_floor_is_flagged():
    score = score_task(q2().task("obstacle_run"), run(knock_down=6))
    assert score.floored and score.earned == 0
    assert not score_task(q2().task("obstacle_run"), run(knock_down=5)).floored


@pytest.mark.parametrize("event", ["load_grounded", "uncontrolled_swing", "load_overturned"])
def test_a_severe_event_ends_the_task_with_0_and_keeps_the_record(event):
    score = score_task(q2().task("obstacle_run"), run(bump=1, severe=event))
    assert score.earned == 0
    assert score.ended_by == event
    assert [(d.code, d.amount) for d in score.deductions] == [
        ("counter.bump", 2),
        (f"severe.{event}", 25),
    ]


def test_a_severe_event_with_a_perfect_run_still_scores_0():
    score = score_task(q2().task("obstacle_run"), run(severe="load_grounded"))
    assert score.earned == 0


# --- time rounding ----------------------------------------------------------------------------

STEPS = [
    # seconds over the limit, steps counted "started", steps counted "full"
    ("0", 0, 0),
    ("-5", 0, 0),
    ("0.001", 1, 0),
    ("9.999", 1, 0),
    ("10", 1, 1),
    ("10.001", 2, 1),
    ("19.999", 2, 1),
    ("20", 2, 2),
    ("95", 10, 9),
]


@pytest.mark.parametrize(("over", "started", "full"), STEPS)
def test_time_steps_started_and_full(over, started, full):
    limit = TimeLimit(Decimal(240), Decimal(10), Decimal(1), "started")
    seconds = Decimal(240) + Decimal(over)
    assert time_steps(seconds, limit) == started
    assert time_steps(seconds, replace(limit, count="full")) == full


def test_max_seconds_ends_the_task_strictly_over_it():
    course = mini().task("course")  # 10 points, limit 60 s, 1 per started 10 s, max 120 s

    def at(seconds):
        return score_task(course, {"counts": {"bump": 0, "stop": 0}, "time_seconds": seconds})

    assert at(120).earned == 4 and at(120).ended_by is None  # 6 steps
    over = at(120.5)
    assert over.earned == 0 and over.ended_by == "time.max"
    assert over.deductions[-1].code == "time.max"


def test_float_time_is_read_exactly():
    # a float is read through its shortest text: 250.0 is exactly 1 step over 240
    score = score_task(q2().task("obstacle_run"), run(time=250.0))
    assert score.earned == 24
    score = score_task(q2().task("obstacle_run"), run(time=Decimal("249.99")))
    assert score.earned == 24


# --- zones: the target circles ----------------------------------------------------------------

ZONES = [
    ("inner", 15, []),
    ("inner_line", 12, [("zone.inner_line", 3)]),
    ("middle", 9, [("zone.middle", 6)]),
    ("outer", 5, [("zone.outer", 10)]),
    ("outside", 0, [("zone.outside", 15)]),
]


@pytest.mark.parametrize(("zone", "earned", "deductions"), ZONES)
def test_each_circle_zone(zone, earned, deductions):
    score = score_task(q2().task("fixed_point_drop"), {"zone": zone})
    assert score.earned == earned
    assert [(d.code, d.amount) for d in score.deductions] == deductions
    assert score.detail == {"zone": zone}


# --- checklist: start-up and handling ---------------------------------------------------------


@pytest.mark.parametrize(
    "item", ["bell", "smooth", "steady_hook", "no_limit_stop", "no_three_mechanisms"]
)
def test_each_handling_item_not_met_costs_its_points(item):
    task = q2().task("handling")
    marks = {i.code: True for i in task.items} | {item: False}
    score = score_task(task, {"items": marks})
    assert score.earned == 8
    assert [(d.code, d.amount) for d in score.deductions] == [(f"item.{item}", 2)]


def test_a_checklist_with_nothing_met_scores_0():
    task = q2().task("handling")
    score = score_task(task, {"items": {i.code: False for i in task.items}})
    assert score.earned == 0 and len(score.deductions) == 5


# --- draw: part identification, signals, scenarios --------------------------------------------


def test_draw_grades_and_decimal_points():
    parts = mini().task("parts")  # 2 drawn, correct 5 / partial 2.5 / wrong 0
    score = score_task(parts, {"grades": {"hook": "correct", "rope": "partial"}})
    assert score.earned == Decimal("7.5")
    assert [(d.code, d.amount) for d in score.deductions] == [("draw.rope", Decimal("2.5"))]
    assert score.detail == {"hook": "correct", "rope": "partial"}
    assert score_task(parts, {"grades": {"hook": "wrong", "rope": "wrong"}}).earned == 0


@pytest.mark.parametrize(("grade", "earned"), [("correct", 20), ("unclear", 17), ("wrong", 15)])
def test_q1_signal_grades(grade, earned):
    task = q1().task("hand_signals")  # 4 x 5 points
    drawn = draw_items(task, 7)
    grades = dict.fromkeys(drawn, "correct") | {drawn[0]: grade}
    assert score_task(task, {"grades": grades, "seed": 7}).earned == earned


def test_a_seed_proves_the_draw():
    task = q2().task("part_identification")
    drawn = draw_items(task, 42)
    assert score_task(task, {"grades": dict.fromkeys(drawn, "correct"), "seed": 42}).earned == 30
    other = [p.code for p in task.pool if p.code not in drawn][:1] + drawn[1:]
    with pytest.raises(EntryError) as caught:
        score_task(task, {"grades": dict.fromkeys(other, "correct"), "seed": 42})
    assert caught.value.problems[0].path == "$.grades"
    assert "not the ones drawn with seed 42" in caught.value.problems[0].message


def test_draw_is_reproducible_and_documented():
    task = q2().task("part_identification")
    assert draw_items(task, 42) == draw_items(task, 42)
    # the documented algorithm, recomputed with hashlib only
    keys = sorted(
        (hashlib.sha256(f"42\x1fpart_identification\x1f{p.code}".encode()).hexdigest(), p.code)
        for p in task.pool
    )
    assert draw_items(task, 42) == [code for _, code in keys[:5]]
    # frozen: a change here would make stored draws unverifiable
    assert draw_items(task, 42) == [
        "rope_deformation",
        "rope_diameter",
        "rope_broken_wires",
        "hoist_brake",
        "buffer",
    ]


def test_draw_does_not_depend_on_the_pool_order_and_differs_by_task():
    task = q2().task("part_identification")
    reversed_pool = replace(task, pool=tuple(reversed(task.pool)))
    for seed in range(20):
        assert draw_items(reversed_pool, seed) == draw_items(task, seed)
    renamed = replace(task, code="other_task")
    assert any(draw_items(renamed, s) != draw_items(task, s) for s in range(5))


def test_draw_seeds_are_whole_numbers_or_text():
    task = mini().task("parts")
    assert len(draw_items(task, "2026-03-01/T-0001")) == 2
    with pytest.raises(TypeError):
        draw_items(task, True)
    with pytest.raises(TypeError):
        draw_items(task, 1.5)


def test_draws_are_uniform_over_many_seeds():
    task = mini().task("parts")  # 2 of 4: each item drawn with probability 1/2
    seen = Counter(code for seed in range(4000) for code in draw_items(task, seed))
    assert set(seen) == {"hook", "brake", "rope", "buffer"}
    for count in seen.values():
        assert abs(count - 2000) < 5 * 32  # 5 standard deviations
    firsts = Counter(draw_items(task, seed)[0] for seed in range(4000))
    for count in firsts.values():
        assert abs(count - 1000) < 5 * 28


@given(st.integers(min_value=0, max_value=2**63), st.integers(min_value=0, max_value=3))
def test_a_draw_is_count_distinct_pool_items(seed, which):
    task = [mini().task("parts"), *[t for t in q1().tasks if t.kind == "draw"]][which]
    drawn = draw_items(task, seed)
    assert len(drawn) == task.count == len(set(drawn))
    assert set(drawn) <= {p.code for p in task.pool}


# --- the sheet: vetoes, completeness, pass mark -----------------------------------------------


def test_full_marks_pass():
    for sheet in (q1(), q2(), mini()):
        score = score_sheet(sheet, full_entries(sheet))
        assert score.score == sheet.total
        assert score.passed is True and score.complete
        assert [s.earned for s in score.sections] == [s.points for s in sheet.sections]
        assert score.sheet == sheet.sheet and score.version == sheet.version
        assert len(score.content_hash) == 64


@pytest.mark.parametrize(
    ("sheet", "veto"),
    [
        ("Q2-PRACTICAL", "lift_over_person"),
        ("Q2-PRACTICAL", "ignored_stop_signal"),
        ("Q2-PRACTICAL", "load_in_person_zone"),
        ("Q1-PRACTICAL", "hazardous_signal"),
        ("Q1-PRACTICAL", "directed_over_person"),
    ],
)
def test_each_veto_fails_whatever_the_points(sheet, veto):
    sheet = shipped()[sheet]
    score = score_sheet(sheet, full_entries(sheet), [veto])
    assert score.score == 100
    assert score.passed is False and score.vetoed
    assert [v.code for v in score.vetoes] == [veto]
    assert score.document()["vetoes"] == [veto]


def test_a_veto_fails_even_an_incomplete_sheet():
    entries = {"obstacle_run": run()}
    assert score_sheet(q2(), entries).passed is None
    assert score_sheet(q2(), entries, ["lift_over_person"]).passed is False


def test_missing_tasks_are_listed_and_leave_the_result_open():
    entries = full_entries(q2())
    del entries["part_identification"], entries["emergency_scenario"]
    score = score_sheet(q2(), entries)
    assert score.missing == ("part_identification", "emergency_scenario")
    assert score.passed is None and not score.complete
    assert score.score == 50
    assert [(s.code, s.complete) for s in score.sections] == [
        ("identification", False),
        ("operation", True),
        ("emergency", False),
    ]


def test_the_pass_mark_is_exact():
    sheet = mini()  # total 40, pass 28
    entries = full_entries(sheet)
    entries["drop"] = {"zone": "middle"}  # -4: 36
    entries["course"] = {"counts": {"bump": 2, "stop": 0}, "time_seconds": 60}  # -4: 32
    entries["checks"] = {"items": {"bell": False, "smooth": True}}  # -4: 28
    assert score_sheet(sheet, entries).score == 28
    assert score_sheet(sheet, entries).passed is True
    drawn = list(entries["parts"]["grades"])
    entries["parts"] = {"grades": {drawn[0]: "partial", drawn[1]: "correct"}}  # -2.5: 25.5
    assert score_sheet(sheet, entries).score == Decimal("25.5")
    assert score_sheet(sheet, entries).passed is False


def test_dataclass_entries_score_like_dicts():
    sheet = mini()
    drawn = draw_items(sheet.task("parts"), 3)
    entries = {
        "course": CounterEntry({"bump": 1, "stop": 6}, 71, None),
        "drop": ZoneEntry("middle"),
        "checks": ChecklistEntry({"bell": True, "smooth": False}),
        "parts": DrawEntry(dict.fromkeys(drawn, "correct"), 3),
    }
    score = score_sheet(sheet, entries)
    assert score.score == (10 - 2 - 1 - 2) + 6 + 4 + 10


def test_the_document_is_plain_json():
    import json

    score = score_sheet(mini(), full_entries(mini()), ["over_person"])
    text = json.dumps(score.document())
    assert '"passed": false' in text and '"sheet": "T-SHEET"' in text


# --- entry problems, each with its JSON path --------------------------------------------------

PROBLEMS = [
    ({"course": {"counts": {"bump": 0}, "time_seconds": 1}}, "$.entries.course.counts.stop"),
    (
        {"course": {"counts": {"bump": -1, "stop": 0}, "time_seconds": 1}},
        "$.entries.course.counts.bump",
    ),
    (
        {"course": {"counts": {"bump": True, "stop": 0}, "time_seconds": 1}},
        "$.entries.course.counts.bump",
    ),
    (
        {"course": {"counts": {"bump": 1.5, "stop": 0}, "time_seconds": 1}},
        "$.entries.course.counts.bump",
    ),
    (
        {"course": {"counts": {"bump": 0, "stop": 0, "spill": 1}, "time_seconds": 1}},
        "$.entries.course.counts.spill",
    ),
    ({"course": {"counts": {"bump": 0, "stop": 0}}}, "$.entries.course.time_seconds"),
    (
        {"course": {"counts": {"bump": 0, "stop": 0}, "time_seconds": -1}},
        "$.entries.course.time_seconds",
    ),
    (
        {"course": {"counts": {"bump": 0, "stop": 0}, "time_seconds": "60"}},
        "$.entries.course.time_seconds",
    ),
    (
        {"course": {"counts": {"bump": 0, "stop": 0}, "time_seconds": 1, "severe": "fire"}},
        "$.entries.course.severe",
    ),
    (
        {"course": {"counts": {"bump": 0, "stop": 0}, "time_seconds": 1, "note": "x"}},
        "$.entries.course.note",
    ),
    ({"course": []}, "$.entries.course"),
    ({"course": ZoneEntry("inner")}, "$.entries.course"),
    ({"drop": {"zone": "centre"}}, "$.entries.drop.zone"),
    ({"drop": {}}, "$.entries.drop.zone"),
    ({"checks": {"items": {"bell": True}}}, "$.entries.checks.items.smooth"),
    ({"checks": {"items": {"bell": True, "smooth": 1}}}, "$.entries.checks.items.smooth"),
    (
        {"checks": {"items": {"bell": True, "smooth": True, "horn": True}}},
        "$.entries.checks.items.horn",
    ),
    ({"parts": {"grades": {"hook": "correct"}}}, "$.entries.parts.grades"),
    (
        {"parts": {"grades": {"hook": "correct", "winch": "correct"}}},
        "$.entries.parts.grades.winch",
    ),
    ({"parts": {"grades": {"hook": "correct", "rope": "great"}}}, "$.entries.parts.grades.rope"),
    (
        {"parts": {"grades": {"hook": "correct", "rope": "wrong"}, "seed": 1.5}},
        "$.entries.parts.seed",
    ),
    ({"nope": {}}, "$.entries.nope"),
]


@pytest.mark.parametrize(("entries", "path"), PROBLEMS)
def test_entry_problems_carry_their_path(entries, path):
    with pytest.raises(EntryError) as caught:
        score_sheet(mini(), entries)
    assert path in [p.path for p in caught.value.problems], caught.value.problems


def test_vetoes_must_be_a_list():
    with pytest.raises(EntryError) as caught:
        score_sheet(mini(), {}, "over_person")
    assert [p.path for p in caught.value.problems] == ["$.vetoes"]


@pytest.mark.parametrize(
    ("vetoes", "path"),
    [
        (["fire"], "$.vetoes[0]"),
        (["over_person", "over_person"], "$.vetoes[1]"),
        ([7], "$.vetoes[0]"),
    ],
)
def test_veto_problems(vetoes, path):
    with pytest.raises(EntryError) as caught:
        score_sheet(mini(), {}, vetoes)
    assert [p.path for p in caught.value.problems] == [path]


def test_every_entry_problem_is_reported_at_once():
    with pytest.raises(EntryError) as caught:
        score_sheet(
            mini(),
            {"drop": {"zone": "x"}, "checks": {"items": {}}, "nope": {}},
            ["fire"],
        )
    paths = {p.path for p in caught.value.problems}
    assert paths == {
        "$.entries.drop.zone",
        "$.entries.checks.items.bell",
        "$.entries.checks.items.smooth",
        "$.entries.nope",
        "$.vetoes[0]",
    }


# --- properties -------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=60)
times = st.decimals(min_value=0, max_value=2000, places=2)


@given(counts, counts, counts, counts, times, st.sampled_from([None, "load_grounded"]))
def test_a_counter_task_stays_between_0_and_its_points(bump, knock, stop, spill, time, severe):
    task = q2().task("obstacle_run")
    entry = run(bump=bump, knock_down=knock, stop=stop, spill=spill, time=time, severe=severe)
    score = score_task(task, entry)
    assert 0 <= score.earned <= task.points
    assert score.earned == max(0, task.points - sum(d.amount for d in score.deductions))
    if severe:
        assert score.earned == 0
    # one more bump never raises the score
    worse = score_task(
        task, run(bump=bump + 1, knock_down=knock, stop=stop, spill=spill, time=time, severe=severe)
    )
    assert worse.earned <= score.earned


@given(
    st.sampled_from(["inner", "inner_line", "middle", "outer", "outside"]),
    st.lists(st.booleans(), min_size=5, max_size=5),
    st.lists(st.sampled_from(["correct", "partial", "wrong"]), min_size=6, max_size=6),
    st.integers(min_value=0, max_value=10**9),
    st.booleans(),
)
def test_a_sheet_total_stays_between_0_and_the_total(zone, marks, grades, seed, vetoed):
    sheet = q2()
    entries = full_entries(sheet, seed)
    entries["fixed_point_drop"] = {"zone": zone}
    handling = sheet.task("handling")
    entries["handling"] = {"items": {i.code: m for i, m in zip(handling.items, marks, strict=True)}}
    for code in ("part_identification", "emergency_scenario"):
        drawn = list(entries[code]["grades"])
        entries[code] = {"grades": dict(zip(drawn, grades, strict=False)), "seed": seed}
    score = score_sheet(sheet, entries, ["lift_over_person"] if vetoed else [])
    assert 0 <= score.score <= sheet.total
    for task in score.tasks:
        assert 0 <= task.earned <= task.points
    assert score.passed == (not vetoed and score.score >= 70)
