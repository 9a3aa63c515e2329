"""Scoring a practical exam against its score sheet (pure): entries in, scores out.

Every task starts at its points and loses deductions, each with a reason code, the units
counted and the amount. A task never goes below 0 and a deduction never reaches another task
(the floor is per task). Arithmetic is exact (``Decimal``); nothing is rounded.

Entry shapes (plain JSON values, as the web form and the API fill them; the dataclasses below
are accepted too). Every value is required: a forgotten counter must not silently score full
marks.

- ``checklist``: ``{"items": {"bell": true, "smooth": false, ...}}``: every item of the task,
  ``true`` = met (earns its points), ``false`` = not met (deduction ``item.<code>``).
- ``counter_deductions``: ``{"counts": {"bump": 1, "stop": 6, ...}, "time_seconds": 251.5,
  "severe": null}``: every counter (a whole number, 0 or more); ``time_seconds`` (0 or more)
  when the task has a time limit (ignored otherwise); ``severe`` null or one severe-event
  code. Deductions:
  - ``counter.<code>``: ``max(0, count - free)`` units x ``per_unit``. ``free`` is the
    allowance: with ``free: 5`` the 5th stop costs nothing and the 6th costs one unit.
  - ``time.over``: steps of ``step_seconds`` over ``seconds`` x ``per_step``. ``count:
    started`` counts each started step: at exactly the limit 0, 0.1 s over 1 step, exactly
    one step over 1, a hair more 2. ``count: full`` counts each full step: 9.9 s over 0,
    exactly 10 s over 1. See ``time_steps``.
  - ``time.max``: over ``max_seconds`` (when set; exactly at it is not over) the task ends
    with 0 (the deduction is the task's points).
  - ``severe.<code>``: a severe event ends the task with 0 (the deduction is the task's
    points); the counted deductions are still listed, for the record.
- ``zones``: ``{"zone": "middle"}``: the zone the load landed in; deduction ``zone.<code>``
  = task points - the zone's points (none for the best zone).
- ``draw``: ``{"grades": {"hoist_brake": "correct", ...}, "seed": 8841}``: exactly ``count``
  distinct pool items, each with a grade; deduction ``draw.<item>`` = best grade - given grade.
  ``seed`` is optional: when given, the graded items must be exactly ``draw_items(task, seed)``
  (so the record proves the draw); without it, any ``count`` pool items are accepted (the
  examiner drew cards by hand).

A bad entry raises ``EntryError`` with every problem and its JSON path (``$.counts.bump``;
``score_sheet`` prefixes ``$.entries.<task>``).

Random draws (``draw_items``) sort the pool by SHA-256 of ``seed, task code, item code`` and
take the first ``count``. That is a uniformly random ordered sample (SHA-256 as the random
function) that anyone can recompute from the stored seed with any SHA-256 tool, and it does
not change with Python or numpy versions (``random.Random`` and ``numpy.random.Generator``
streams are not promised stable across versions; a result must be re-checkable for years).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from .sheets import (
    ChecklistTask,
    CounterTask,
    DrawTask,
    Sheet,
    Task,
    TimeLimit,
    ZonesTask,
    content_hash,
    json_number,
    to_decimal,
)

ZERO = Decimal(0)


# --- Entries ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChecklistEntry:
    items: Mapping[str, bool]


@dataclass(frozen=True, slots=True)
class CounterEntry:
    counts: Mapping[str, int]
    time_seconds: Decimal | int | float | None = None
    severe: str | None = None


@dataclass(frozen=True, slots=True)
class ZoneEntry:
    zone: str


@dataclass(frozen=True, slots=True)
class DrawEntry:
    grades: Mapping[str, str]
    seed: int | str | None = None


Entry = ChecklistEntry | CounterEntry | ZoneEntry | DrawEntry
_ENTRY_TYPES: dict[str, type] = {
    "checklist": ChecklistEntry,
    "counter_deductions": CounterEntry,
    "zones": ZoneEntry,
    "draw": DrawEntry,
}


@dataclass(frozen=True, slots=True)
class EntryProblem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class EntryError(ValueError):
    """Entries that cannot be scored; ``problems`` lists every problem with its JSON path."""

    def __init__(self, problems: Iterable[EntryProblem]) -> None:
        self.problems: tuple[EntryProblem, ...] = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def _as_dict(task: Task, entry: Any) -> Any:
    """A dataclass entry as the equivalent plain dict (so both are checked the same way)."""
    if isinstance(entry, ChecklistEntry):
        return {"items": entry.items}
    if isinstance(entry, CounterEntry):
        return {"counts": entry.counts, "time_seconds": entry.time_seconds, "severe": entry.severe}
    if isinstance(entry, ZoneEntry):
        return {"zone": entry.zone}
    if isinstance(entry, DrawEntry):
        return {"grades": entry.grades, "seed": entry.seed}
    return entry


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def parse_entry(task: Task, entry: Any, path: str = "$") -> tuple[Entry | None, list[EntryProblem]]:
    """Check one task's entry; the typed entry, or None and every problem found."""
    problems: list[EntryProblem] = []

    def problem(where: str, message: str) -> None:
        problems.append(EntryProblem(where, message))

    expected = _ENTRY_TYPES[task.kind]
    if isinstance(entry, tuple(_ENTRY_TYPES.values())) and not isinstance(entry, expected):
        problem(path, f"task {task.code} is a {task.kind} task, not {type(entry).__name__}")
        return None, problems
    data = _as_dict(task, entry)
    if not isinstance(data, Mapping):
        problem(path, f"expected an object for the {task.kind} task {task.code}")
        return None, problems
    allowed = {
        "checklist": {"items"},
        "counter_deductions": {"counts", "time_seconds", "severe"},
        "zones": {"zone"},
        "draw": {"grades", "seed"},
    }[task.kind]
    for key in data:
        if key not in allowed:
            problem(f"{path}.{key}", "unknown field")

    if isinstance(task, ChecklistTask):
        marks = data.get("items")
        if not isinstance(marks, Mapping):
            problem(f"{path}.items", "expected an object of item code: true or false")
            return None, problems
        for code in marks:
            if task.item(code) is None:
                problem(f"{path}.items.{code}", f"no such item in task {task.code}")
        for item in task.items:
            value = marks.get(item.code)
            if not isinstance(value, bool):
                problem(f"{path}.items.{item.code}", "required: true (met) or false (not met)")
        return (None if problems else ChecklistEntry(dict(marks))), problems

    if isinstance(task, CounterTask):
        counts = data.get("counts")
        if not isinstance(counts, Mapping):
            problem(f"{path}.counts", "expected an object of counter code: count")
            counts = {}
        for code in counts:
            if task.counter(code) is None:
                problem(f"{path}.counts.{code}", f"no such counter in task {task.code}")
        for counter in task.counters:
            if _count(counts.get(counter.code)) is None:
                problem(f"{path}.counts.{counter.code}", "required: a whole number, 0 or more")
        seconds = None
        raw_time = data.get("time_seconds")
        if task.time_limit is not None or raw_time is not None:
            seconds = to_decimal(raw_time)
            if seconds is None or seconds < 0:
                problem(f"{path}.time_seconds", "required: the time used in seconds, 0 or more")
                seconds = None
        severe = data.get("severe")
        if severe is not None and (
            not isinstance(severe, str) or task.severe_event(severe) is None
        ):
            known = ", ".join(s.code for s in task.severe) or "none on this task"
            problem(f"{path}.severe", f"unknown severe event {severe!r} (known: {known})")
        if problems:
            return None, problems
        return CounterEntry(dict(counts), seconds, severe), problems

    if isinstance(task, ZonesTask):
        zone = data.get("zone")
        if not isinstance(zone, str) or task.zone(zone) is None:
            known = ", ".join(z.code for z in task.zones)
            problem(f"{path}.zone", f"unknown zone {zone!r} (known: {known})")
            return None, problems
        return (None if problems else ZoneEntry(zone)), problems

    assert isinstance(task, DrawTask)
    grades = data.get("grades")
    if not isinstance(grades, Mapping):
        problem(f"{path}.grades", "expected an object of pool item code: grade code")
        return None, problems
    for code, grade in grades.items():
        if task.pool_item(code) is None:
            problem(f"{path}.grades.{code}", f"no such item in the pool of task {task.code}")
        if not isinstance(grade, str) or task.grade(grade) is None:
            known = ", ".join(g.code for g in task.grades)
            problem(f"{path}.grades.{code}", f"unknown grade {grade!r} (known: {known})")
    if len(grades) != task.count:
        problem(f"{path}.grades", f"grade exactly {task.count} drawn items, not {len(grades)}")
    seed = data.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int | str):
            problem(f"{path}.seed", "expected a whole number or text")
        elif set(grades) != set(draw_items(task, seed)):
            problem(
                f"{path}.grades",
                f"the graded items are not the ones drawn with seed {seed}:"
                f" {', '.join(draw_items(task, seed))}",
            )
    if problems:
        return None, problems
    return DrawEntry(dict(grades), seed), problems


# --- Scores -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deduction:
    """Points taken off a task: ``code`` is the reason (``counter.bump``, ``time.over``,
    ``time.max``, ``severe.<event>``, ``zone.<zone>``, ``item.<item>``, ``draw.<item>``)."""

    code: str
    units: int
    amount: Decimal
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class TaskScore:
    """``earned = max(0, points - sum of the deductions' amounts)``."""

    task: str
    kind: str
    points: Decimal
    earned: Decimal
    deductions: tuple[Deduction, ...]
    ended_by: str | None = None  # the severe event's code, or "time.max"
    detail: Mapping[str, str] = field(default_factory=dict)  # draw: item -> grade

    @property
    def floored(self) -> bool:
        """True when the deductions added up to more than the task's points."""
        return sum((d.amount for d in self.deductions), ZERO) > self.points


def time_steps(seconds: Decimal, limit: TimeLimit) -> int:
    """Steps of over-time: each *started* step (``count: started``) or each *full* step."""
    over = seconds - limit.seconds
    if over <= 0:
        return 0
    rounding = ROUND_CEILING if limit.count == "started" else ROUND_FLOOR
    return int((over / limit.step_seconds).to_integral_value(rounding=rounding))


def score_task(task: Task, entry: Any, path: str = "$") -> TaskScore:
    """Score one task; raises ``EntryError`` when the entry is not right for it."""
    parsed, problems = parse_entry(task, entry, path)
    if parsed is None:
        raise EntryError(problems)
    deductions: list[Deduction] = []
    ended_by = None
    detail: dict[str, str] = {}
    if isinstance(task, ChecklistTask):
        assert isinstance(parsed, ChecklistEntry)
        for item in task.items:
            if not parsed.items[item.code]:
                deductions.append(Deduction(f"item.{item.code}", 1, item.points, item.zh, item.en))
    elif isinstance(task, CounterTask):
        assert isinstance(parsed, CounterEntry)
        for counter in task.counters:
            units = max(0, parsed.counts[counter.code] - counter.free)
            if units:
                deductions.append(
                    Deduction(
                        f"counter.{counter.code}",
                        units,
                        units * counter.per_unit,
                        counter.zh,
                        counter.en,
                    )
                )
        limit = task.time_limit
        if limit is not None and parsed.time_seconds is not None:
            seconds = Decimal(parsed.time_seconds)
            steps = time_steps(seconds, limit)
            if steps:
                deductions.append(
                    Deduction(
                        "time.over",
                        steps,
                        steps * limit.per_step,
                        f"超时（每{json_number(limit.step_seconds)}秒）",
                        f"over time (per {json_number(limit.step_seconds)} s)",
                    )
                )
            if (
                parsed.severe is None
                and limit.max_seconds is not None
                and seconds > limit.max_seconds
            ):
                ended_by = "time.max"
                deductions.append(
                    Deduction(
                        "time.max",
                        1,
                        task.points,
                        f"超过最长时间{json_number(limit.max_seconds)}秒，本项0分",
                        f"over the maximum {json_number(limit.max_seconds)} s: task scores 0",
                    )
                )
        if parsed.severe is not None:
            event = task.severe_event(parsed.severe)
            assert event is not None
            ended_by = event.code
            deductions.append(Deduction(f"severe.{event.code}", 1, task.points, event.zh, event.en))
    elif isinstance(task, ZonesTask):
        assert isinstance(parsed, ZoneEntry)
        zone = task.zone(parsed.zone)
        assert zone is not None
        if zone.points < task.points:
            deductions.append(
                Deduction(f"zone.{zone.code}", 1, task.points - zone.points, zone.zh, zone.en)
            )
        detail = {"zone": zone.code}
    else:
        assert isinstance(parsed, DrawEntry)
        best = task.points_each
        for code, grade_code in parsed.grades.items():
            item, grade = task.pool_item(code), task.grade(grade_code)
            assert item is not None and grade is not None
            if grade.points < best:
                deductions.append(
                    Deduction(
                        f"draw.{code}",
                        1,
                        best - grade.points,
                        f"{item.zh}：{grade.zh}",
                        f"{item.en}: {grade.en}",
                    )
                )
        detail = dict(parsed.grades)
    deducted = sum((d.amount for d in deductions), ZERO)
    earned = max(ZERO, task.points - deducted)
    return TaskScore(task.code, task.kind, task.points, earned, tuple(deductions), ended_by, detail)


@dataclass(frozen=True, slots=True)
class SectionScore:
    code: str
    points: Decimal
    earned: Decimal
    complete: bool


@dataclass(frozen=True, slots=True)
class VetoHit:
    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class SheetScore:
    """One examiner's sheet for one candidate, and the sheet version that scored it.

    ``passed``: False when any veto was recorded (whatever the points, even while tasks are
    missing); None while tasks are missing; else ``score >= pass_mark`` (exact, no rounding).
    """

    sheet: str
    version: int
    content_hash: str
    item: str
    total: Decimal
    pass_mark: Decimal
    score: Decimal
    tasks: tuple[TaskScore, ...]
    sections: tuple[SectionScore, ...]
    vetoes: tuple[VetoHit, ...]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoes)

    @property
    def passed(self) -> bool | None:
        if self.vetoes:
            return False
        if self.missing:
            return None
        return self.score >= self.pass_mark

    def document(self) -> dict[str, Any]:
        """Plain JSON values (points as numbers: whole or exact short decimals)."""
        return {
            "sheet": self.sheet,
            "version": self.version,
            "content_hash": self.content_hash,
            "item": self.item,
            "total": json_number(self.total),
            "pass_mark": json_number(self.pass_mark),
            "score": json_number(self.score),
            "passed": self.passed,
            "missing": list(self.missing),
            "vetoes": [v.code for v in self.vetoes],
            "sections": [
                {
                    "code": s.code,
                    "points": json_number(s.points),
                    "earned": json_number(s.earned),
                    "complete": s.complete,
                }
                for s in self.sections
            ],
            "tasks": [
                {
                    "task": t.task,
                    "kind": t.kind,
                    "points": json_number(t.points),
                    "earned": json_number(t.earned),
                    "ended_by": t.ended_by,
                    "detail": dict(t.detail),
                    "deductions": [
                        {"code": d.code, "units": d.units, "amount": json_number(d.amount)}
                        for d in t.deductions
                    ],
                }
                for t in self.tasks
            ],
        }


def score_sheet(sheet: Sheet, entries: Mapping[str, Any], vetoes: Iterable[str] = ()) -> SheetScore:
    """Score the tasks that have entries; list the ones that do not (``missing``).

    ``entries`` maps task code -> entry. ``vetoes`` are the veto codes the examiner recorded.
    Raises ``EntryError`` with every problem (paths ``$.entries.<task>...``, ``$.vetoes[i]``).
    """
    problems: list[EntryProblem] = []
    if not isinstance(entries, Mapping):
        raise EntryError([EntryProblem("$.entries", "expected an object of task code: entry")])
    for code in entries:
        if sheet.task(code) is None:
            problems.append(EntryProblem(f"$.entries.{code}", f"no such task on {sheet.label}"))
    if isinstance(vetoes, str | bytes | Mapping):
        problems.append(EntryProblem("$.vetoes", "expected a list of veto codes"))
        vetoes = ()
    hits: list[VetoHit] = []
    for index, code in enumerate(vetoes):
        veto = sheet.veto(code) if isinstance(code, str) else None
        if veto is None:
            known = ", ".join(v.code for v in sheet.vetoes) or "none on this sheet"
            problems.append(
                EntryProblem(f"$.vetoes[{index}]", f"unknown veto {code!r} (known: {known})")
            )
        elif any(h.code == code for h in hits):
            problems.append(EntryProblem(f"$.vetoes[{index}]", f"veto {code} is given twice"))
        else:
            hits.append(VetoHit(veto.code, veto.zh, veto.en))
    scores: dict[str, TaskScore] = {}
    for task in sheet.tasks:
        if task.code not in entries:
            continue
        try:
            scores[task.code] = score_task(task, entries[task.code], f"$.entries.{task.code}")
        except EntryError as error:
            problems.extend(error.problems)
    if problems:
        raise EntryError(problems)
    sections = tuple(
        SectionScore(
            section.code,
            section.points,
            sum((scores[t.code].earned for t in section.tasks if t.code in scores), ZERO),
            all(t.code in scores for t in section.tasks),
        )
        for section in sheet.sections
    )
    return SheetScore(
        sheet=sheet.sheet,
        version=sheet.version,
        content_hash=content_hash(sheet),
        item=sheet.item,
        total=sheet.total,
        pass_mark=sheet.pass_mark,
        score=sum((s.earned for s in scores.values()), ZERO),
        tasks=tuple(scores[t.code] for t in sheet.tasks if t.code in scores),
        sections=sections,
        vetoes=tuple(hits),
        missing=tuple(t.code for t in sheet.tasks if t.code not in scores),
    )


# --- Random draws -----------------------------------------------------------------------------


def draw_key(seed: int | str, task_code: str, item_code: str) -> str:
    """The sort key of one pool item: SHA-256 hex of ``"<seed>\\x1f<task>\\x1f<item>"``."""
    message = f"{seed}\x1f{task_code}\x1f{item_code}".encode()
    return hashlib.sha256(message).hexdigest()


def draw_items(task: DrawTask, seed: int | str) -> list[str]:
    """The ``count`` pool item codes drawn with ``seed``, in the order they are asked.

    The same seed, task code and pool always give the same draw; the same seed on another
    task draws independently (the task code is in the key). The operations layer should use
    a fresh random seed for every candidate and sitting (e.g. ``secrets.randbits(63)``) and
    store it with the result.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | str):
        raise TypeError("the seed is a whole number or text")
    ordered = sorted(task.pool, key=lambda item: (draw_key(seed, task.code, item.code), item.code))
    return [item.code for item in ordered[: task.count]]


__all__ = [
    "ChecklistEntry",
    "CounterEntry",
    "Deduction",
    "DrawEntry",
    "Entry",
    "EntryError",
    "EntryProblem",
    "SectionScore",
    "SheetScore",
    "TaskScore",
    "VetoHit",
    "ZoneEntry",
    "draw_items",
    "draw_key",
    "parse_entry",
    "score_sheet",
    "score_task",
    "time_steps",
]
