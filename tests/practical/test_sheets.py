"""Score sheets: the shipped files, every validation rule (file:line: reason), the content hash."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from examcentre.practical.sheets import (
    ChecklistTask,
    CounterTask,
    DrawTask,
    SheetError,
    ZonesTask,
    canonical_sheet,
    content_hash,
    load_sheet,
    load_sheets,
    read_sheet,
)

from .data import MINI, PRACTICAL, line_with, mini, shipped

# --- The shipped sheets -----------------------------------------------------------------------


def test_shipped_sheets_load_and_add_up():
    sheets = shipped()
    assert set(sheets) == {"Q1-PRACTICAL", "Q2-PRACTICAL"}
    for sheet in sheets.values():
        assert sheet.total == 100
        assert sheet.pass_mark == 70
        assert sum(s.points for s in sheet.sections) == sheet.total
        assert sheet.zh and sheet.en and sheet.vetoes
        assert re.fullmatch(r"[0-9a-f]{64}", content_hash(sheet))


def test_q2_follows_the_reported_structure():
    q2 = shipped()["Q2-PRACTICAL"]
    assert q2.item == "Q2(限桥式起重机)"
    assert [(s.code, s.points) for s in q2.sections] == [
        ("identification", 30),
        ("operation", 50),
        ("emergency", 20),
    ]
    kinds = {t.code: type(t) for t in q2.tasks}
    assert kinds == {
        "part_identification": DrawTask,
        "obstacle_run": CounterTask,
        "fixed_point_drop": ZonesTask,
        "handling": ChecklistTask,
        "emergency_scenario": DrawTask,
    }
    run = q2.task("obstacle_run")
    assert {c.code: (c.per_unit, c.free) for c in run.counters} == {
        "bump": (2, 0),
        "knock_down": (5, 0),
        "stop": (1, 5),
        "spill": (2, 0),
    }
    assert run.time_limit.count == "started" and run.time_limit.step_seconds == 10
    assert {v.code for v in q2.vetoes} == {
        "lift_over_person",
        "ignored_stop_signal",
        "load_in_person_zone",
    }
    assert [z.code for z in q2.task("fixed_point_drop").zones] == [
        "inner",
        "inner_line",
        "middle",
        "outer",
        "outside",
    ]
    assert q2.task("fixed_point_drop").zones[-1].points == 0


def test_q1_draws_signals_of_each_kind_and_has_a_hazard_veto():
    q1 = shipped()["Q1-PRACTICAL"]
    draws = {t.code: t for t in q1.tasks if isinstance(t, DrawTask)}
    assert {"hand_signals", "flag_signals", "audible_signals"} <= set(draws)
    assert [g.code for g in draws["hand_signals"].grades] == ["correct", "unclear", "wrong"]
    assert q1.veto("hazardous_signal") is not None


def test_every_shipped_name_is_bilingual():
    for sheet in shipped().values():
        for section in sheet.sections:
            assert section.zh and section.en
            for task in section.tasks:
                assert task.zh and task.en
                parts = []
                if isinstance(task, DrawTask):
                    parts = [*task.grades, *task.pool]
                elif isinstance(task, CounterTask):
                    parts = [*task.counters, *task.severe]
                elif isinstance(task, ZonesTask):
                    parts = list(task.zones)
                elif isinstance(task, ChecklistTask):
                    parts = list(task.items)
                for part in parts:
                    assert part.zh and part.en, (task.code, part.code)
                if isinstance(task, DrawTask):
                    for item in task.pool:
                        assert (item.key_zh is None) == (item.key_en is None)


def test_the_shipped_files_mark_inference():
    for name in ("Q1.yaml", "Q2.yaml", "scenarios.yaml"):
        assert "INFERENCE" in (PRACTICAL / name).read_text(encoding="utf-8")


# --- Canonical form and hash ------------------------------------------------------------------


def test_canonical_json_reads_back_to_the_same_sheet():
    for sheet in [*shipped().values(), mini()]:
        again, problems = read_sheet(canonical_sheet(sheet), "stored.json")
        assert problems == []
        assert again == sheet
        assert content_hash(again) == content_hash(sheet)


def test_comments_and_layout_do_not_change_the_hash_but_a_value_does():
    base = content_hash(mini())
    relaid = MINI.replace("total: 40", "total: 40.0   # the total").replace(
        "title: {zh: 测试评分表, en: Test sheet}", "title:\n  en: Test sheet\n  zh: 测试评分表"
    )
    sheet, problems = read_sheet("# a comment\n" + relaid, "t.yaml")
    assert problems == []
    assert content_hash(sheet) == base
    changed, problems = read_sheet(MINI.replace("points: 2.5}", "points: 2}"), "t.yaml")
    assert problems == []
    assert content_hash(changed) != base
    bumped, _ = read_sheet(MINI.replace("version: 1", "version: 2"), "t.yaml")
    assert content_hash(bumped) != base


def test_decimal_points_are_exact():
    grade = mini().task("parts").grade("partial")
    assert grade.points == Decimal("2.5")


# --- Validation: every problem as file:line: reason -------------------------------------------

# (what to replace, with what, the line fragment the problem is reported at, reason contains)
CASES = [
    ("total: 40", "total: 41", "total: 41", "the sections add up to 40, not the total 41"),
    (
        "{code: bell, zh: 鸣铃, en: Bell, points: 4}",
        "{code: bell, zh: 鸣铃, en: Bell, points: 3}",
        "        points: 10\n        items:",
        "task checks: its items add up to 9, not 10",
    ),
    ("kind: zones", "kind: zonez", "kind: zonez", "unknown kind 'zonez'"),
    ("- code: checks", "- code: drop", None, "task code 'drop' is used twice"),
    (
        "{code: ignored_stop,",
        "{code: over_person,",
        "{code: over_person, zh: 不听停止信号",
        "veto code 'over_person' is used twice",
    ),
    (
        "{code: stop, zh: 停顿",
        "{code: bump, zh: 停顿",
        "{code: bump, zh: 停顿",
        "counter code 'bump' is used twice",
    ),
    (
        "{code: middle, zh: 中圆",
        "{code: inner, zh: 中圆",
        "{code: inner, zh: 中圆",
        "zone code 'inner' is used twice",
    ),
    (
        "{code: rope, zh: 钢丝绳",
        "{code: hook, zh: 钢丝绳",
        "{code: hook, zh: 钢丝绳",
        "pool item code 'hook' is used twice",
    ),
    ("pass_mark: 28", "pass_mark: 28\npassmark: 28", "passmark: 28", "unknown key 'passmark'"),
    ("pass_mark: 28", "pass_mark: 41", "pass_mark: 41", "pass_mark 41 is more than the total 40"),
    (
        "format: examcentre.practical-sheet/1",
        "format: other/1",
        "format: other/1",
        "format must be",
    ),
    ("item: Q1", "item: Q9", "item: Q9", "unknown item 'Q9'"),
    ("version: 1", "version: 0", "version: 0", "version must be a whole number of at least 1"),
    ("sheet: T-SHEET", "sheet: t sheet", "sheet: t sheet", "is not a code like Q2-PRACTICAL"),
    (
        "{code: bump, zh: 碰杆, en: Bump, per_unit: 2}",
        "{code: Bump, zh: 碰杆, en: Bump, per_unit: 2}",
        "{code: Bump,",
        "code 'Bump' is not a code like obstacle_run",
    ),
    ("per_unit: 2}", "per_unit: -2}", "per_unit: -2}", "per_unit must be greater than 0"),
    ("per_unit: 2}", "per_unit: true}", "per_unit: true}", "per_unit must be a number"),
    ("per_unit: 1, free: 5}", "per_unit: 1, free: -1}", "free: -1", "free must be a whole number"),
    ("count: started", "count: each", "count: each", "count must be started or full"),
    ("max_seconds: 120", "max_seconds: 60", "max_seconds: 60", "max_seconds 60 must be more"),
    (
        "{code: outside, zh: 圆外, en: Outside, points: 0}",
        "{code: outside, zh: 圆外, en: Outside, points: 7}",
        "{code: outside,",
        "zones are listed best first, but outside (7) earns more than middle (6)",
    ),
    (
        "{code: inner, zh: 内圆, en: Inner, points: 10}",
        "{code: inner, zh: 内圆, en: Inner, points: 9}",
        "{code: inner,",
        "the first (best) zone must earn the task's 10 points, not 9",
    ),
    (
        "{code: middle, zh: 中圆, en: Middle, points: 6}",
        "{code: middle, zh: 中圆, en: Middle, points: 11}",
        "{code: middle,",
        "11 points is more than the task's 10",
    ),
    ("count: 2", "count: 3", "        points: 10\n        count: 3", "3 drawn x 5"),
    ("count: 2", "count: 0", "count: 0", "count must be a whole number of at least 1"),
    (
        "    zh: 主要\n    en: Main\n",
        "    zh: 主要\n",
        "  - code: main",
        "section main: en is required",
    ),
    (
        "{code: bell, zh: 鸣铃, en: Bell, points: 4}",
        "{code: bell, zh: 鸣铃, en: '', points: 4}",
        "{code: bell,",
        "en must be non-empty text",
    ),
    (
        "        time_limit: {seconds: 60, step_seconds: 10, per_step: 1, count: started, "
        "max_seconds: 120}",
        "        time_limit: {seconds: 60, per_step: 1, count: started}",
        "time_limit:",
        "time_limit: step_seconds is required",
    ),
    (
        "          - {code: correct, zh: 正确, en: Correct, points: 5}\n"
        "          - {code: partial, zh: 部分正确, en: Partial, points: 2.5}\n"
        "          - {code: wrong, zh: 错误, en: Wrong, points: 0}\n",
        "          - {code: correct, zh: 正确, en: Correct, points: 5}\n",
        "{code: correct, zh: 正确",
        "list at least two grades",
    ),
    (
        "vetoes:\n  - {code: over_person, zh: 吊物从人头越过, en: Over a person}\n"
        "  - {code: ignored_stop, zh: 不听停止信号, en: Ignored stop}\n",
        "vetoes: 7\n",
        "vetoes: 7",
        "vetoes must be a non-empty list",
    ),
]


def _problems(text: str) -> list[str]:
    sheet, problems = read_sheet(text, "t.yaml")
    assert sheet is None or not problems
    return [p.format() for p in problems]


@pytest.mark.parametrize(("old", "new", "at", "reason"), CASES)
def test_each_rule_is_reported_at_its_line(old, new, at, reason):
    assert old in MINI, old
    text = MINI.replace(old, new, 1)
    found = _problems(text)
    assert found, "the mutated sheet was accepted"
    matching = [p for p in found if reason in p]
    assert matching, found
    if at is not None:
        if "\n" in at:  # a two-line fragment: the problem is at its first line
            first = text.index(at)
            line = text.count("\n", 0, first) + 1
        else:
            line = line_with(text, at)
        assert any(p.startswith(f"t.yaml:{line}: ") for p in matching), (line, matching)


def test_a_key_given_twice_is_reported_where_it_is_repeated():
    text = MINI.replace("    points: 30\n", "    points: 30\n    points: 31\n", 1)
    found = _problems(text)
    line = line_with(text, "points: 31")
    assert f"t.yaml:{line}: section main: key 'points' is given twice" in found, found


def test_not_yaml_is_reported_with_its_line():
    text = MINI.replace("total: 40", "total: [40")
    (problem,) = _problems(text)
    assert problem.startswith("t.yaml:") and "not valid YAML" in problem
    assert int(problem.split(":")[1]) > 0


def test_not_a_mapping():
    assert _problems("- 1\n- 2\n") == ["t.yaml:1: the sheet must be a mapping"]


def test_every_problem_is_listed_at_once():
    text = (
        MINI.replace("total: 40", "total: 41")
        .replace("kind: zones", "kind: zonez")
        .replace("count: started", "count: each")
        .replace("{code: ignored_stop,", "{code: over_person,")
    )
    found = _problems(text)
    for reason in (
        "not the total 41",
        "unknown kind 'zonez'",
        "count must be started or full",
        "veto code 'over_person' is used twice",
    ):
        assert any(reason in p for p in found), (reason, found)


def test_section_and_total_mismatch_are_both_reported():
    text = MINI.replace("    points: 30\n", "    points: 31\n", 1)
    found = _problems(text)
    section, total = line_with(text, "points: 31"), line_with(text, "total: 40")
    assert f"t.yaml:{section}: section main: its tasks add up to 30, not its 31 points" in found
    assert f"t.yaml:{total}: the sheet: the sections add up to 41, not the total 40" in found


def test_load_sheet_raises_with_every_problem(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(MINI.replace("total: 40", "total: 41").replace("item: Q1", "item: Q9"))
    with pytest.raises(SheetError) as caught:
        load_sheet(path)
    assert len(caught.value.problems) == 2
    assert str(caught.value).startswith("bad.yaml:")


def test_load_sheets_refuses_the_same_sheet_twice_and_skips_the_catalogue(tmp_path):
    (tmp_path / "a.yaml").write_text(MINI)
    (tmp_path / "b.yaml").write_text(MINI)
    (tmp_path / "scenarios.yaml").write_text("not: a sheet\n")
    with pytest.raises(SheetError, match=r"sheet T-SHEET is also in a\.yaml"):
        load_sheets(tmp_path)
    (tmp_path / "b.yaml").unlink()
    assert list(load_sheets(tmp_path)) == ["T-SHEET"]
