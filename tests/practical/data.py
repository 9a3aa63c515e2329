"""A small synthetic sheet (every task kind, easy numbers) and helpers for the practical tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from examcentre.practical.sheets import Sheet, load_sheets, read_sheet

PRACTICAL = Path(__file__).resolve().parents[2] / "question_bank" / "practical"

MINI = """\
format: examcentre.practical-sheet/1
sheet: T-SHEET
version: 1
item: Q1
title: {zh: 测试评分表, en: Test sheet}
total: 40
pass_mark: 28
sections:
  - code: main
    zh: 主要
    en: Main
    points: 30
    tasks:
      - code: course
        kind: counter_deductions
        zh: 绕障
        en: Course
        points: 10
        counters:
          - {code: bump, zh: 碰杆, en: Bump, per_unit: 2}
          - {code: stop, zh: 停顿, en: Stop, per_unit: 1, free: 5}
        time_limit: {seconds: 60, step_seconds: 10, per_step: 1, count: started, max_seconds: 120}
        severe:
          - {code: grounded, zh: 触地, en: Grounded}
      - code: drop
        kind: zones
        zh: 落物
        en: Drop
        points: 10
        zones:
          - {code: inner, zh: 内圆, en: Inner, points: 10}
          - {code: middle, zh: 中圆, en: Middle, points: 6}
          - {code: outside, zh: 圆外, en: Outside, points: 0}
      - code: checks
        kind: checklist
        zh: 规范
        en: Checks
        points: 10
        items:
          - {code: bell, zh: 鸣铃, en: Bell, points: 4}
          - {code: smooth, zh: 平稳, en: Smooth, points: 6}
  - code: other
    zh: 其他
    en: Other
    points: 10
    tasks:
      - code: parts
        kind: draw
        zh: 识别
        en: Parts
        points: 10
        count: 2
        grades:
          - {code: correct, zh: 正确, en: Correct, points: 5}
          - {code: partial, zh: 部分正确, en: Partial, points: 2.5}
          - {code: wrong, zh: 错误, en: Wrong, points: 0}
        pool:
          - {code: hook, zh: 吊钩, en: Hook}
          - {code: brake, zh: 制动器, en: Brake}
          - {code: rope, zh: 钢丝绳, en: Rope}
          - {code: buffer, zh: 缓冲器, en: Buffer}
vetoes:
  - {code: over_person, zh: 吊物从人头越过, en: Over a person}
  - {code: ignored_stop, zh: 不听停止信号, en: Ignored stop}
"""


@cache
def mini() -> Sheet:
    sheet, problems = read_sheet(MINI, "t.yaml")
    assert problems == [], problems
    assert sheet is not None
    return sheet


@cache
def shipped() -> dict[str, Sheet]:
    return load_sheets(PRACTICAL)


def line_with(text: str, fragment: str) -> int:
    """The 1-based number of the only line of ``text`` containing ``fragment``."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(lines) == 1, (fragment, lines)
    return lines[0]


def full_entries(sheet: Sheet, seed: int = 1) -> dict:
    """Entries that score every task of ``sheet`` at full points."""
    from examcentre.practical.scoring import draw_items
    from examcentre.practical.sheets import ChecklistTask, CounterTask, DrawTask, ZonesTask

    entries: dict = {}
    for task in sheet.tasks:
        if isinstance(task, ChecklistTask):
            entries[task.code] = {"items": {i.code: True for i in task.items}}
        elif isinstance(task, CounterTask):
            entry: dict = {"counts": {c.code: 0 for c in task.counters}, "severe": None}
            if task.time_limit is not None:
                entry["time_seconds"] = 0
            entries[task.code] = entry
        elif isinstance(task, ZonesTask):
            entries[task.code] = {"zone": task.zones[0].code}
        elif isinstance(task, DrawTask):
            best = max(task.grades, key=lambda g: g.points).code
            entries[task.code] = {
                "grades": {code: best for code in draw_items(task, seed)},
                "seed": seed,
            }
    return entries
