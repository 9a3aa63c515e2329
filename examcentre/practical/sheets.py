"""Practical-exam score sheets (评分表) as versioned data: read, check, hash (pure).

A sheet file (``examcentre.practical-sheet/1``, ``question_bank/practical/README.md``) holds
one item's practical exam: sections (the blocks of the syllabus, e.g. 部件识别 30 / 基本操作 50 /
应急处置 20), their tasks, and the veto items (否决项). Every point value, limit and deduction
is data, so a centre changes a sheet to what its authority prescribes without touching code.

Task kinds (``TASK_KINDS``):

- ``checklist``: items, each worth points; the examiner marks each one met or not met.
- ``counter_deductions``: counters (events counted by the examiner or a simulator), each with
  a deduction per unit and a free allowance (``free: 5`` = "each stop beyond 5"); an optional
  time limit with a deduction per step of over-time; optional severe events, any one of which
  ends the task with 0.
- ``zones``: named zones (the target circles), listed best first, each earning its points.
- ``draw``: ``count`` items drawn at random from a pool (components, signals, scenarios),
  each graded (e.g. correct / partial / wrong) with the grade's points.

Reading checks every rule and reports every problem as ``file:line: reason`` (``Problem``,
as for the bank files), with lines taken from the YAML node marks: unknown keys, keys given
twice, missing zh/en, points that do not add up (tasks to their section, sections to the
total, checklist items and draw grades to their task), an unknown task kind, duplicate codes.

The content hash (``content_hash``) is SHA-256 of the canonical JSON of the sheet's content
(``sheet_document``): comments, layout and key order do not change it, any value does. A
result records the sheet id, version and hash that scored it. ``read_sheet`` reads that JSON
back (JSON is YAML), so a stored sheet can be rebuilt exactly.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar

import yaml

from ..audit.chain import canonical_json
from ..bank.vocab import ITEMS, Problem

FORMAT = "examcentre.practical-sheet/1"
TASK_KINDS = ("checklist", "counter_deductions", "zones", "draw")
# How over-time is counted: each *started* step (1 s over = 1 step) or each *full* step
# (9.9 s over = 0 steps). See ``scoring.time_steps``.
TIME_COUNTS = ("started", "full")
# The file in question_bank/practical/ that is the simulator catalogue, not a sheet.
SCENARIOS_FILE = "scenarios.yaml"

SHEET_ID = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

_LINE = "__line__"
_LINES = "__lines__"
_KEY_LINES = "__key_lines__"
_DUPLICATES = "__duplicates__"
_META = (_LINE, _LINES, _KEY_LINES, _DUPLICATES)


# --- The sheet --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    code: str
    zh: str
    en: str
    points: Decimal
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Counter:
    """An event counted during a task; ``free`` units cost nothing (the allowance)."""

    code: str
    zh: str
    en: str
    per_unit: Decimal
    free: int = 0
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """``per_step`` is deducted for each ``step_seconds`` over ``seconds`` (counted as
    ``count``: "started" or "full" steps). Over ``max_seconds`` (if set) the task ends at 0."""

    seconds: Decimal
    step_seconds: Decimal
    per_step: Decimal
    count: str = "started"
    max_seconds: Decimal | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class SevereEvent:
    code: str
    zh: str
    en: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Zone:
    code: str
    zh: str
    en: str
    points: Decimal
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Grade:
    code: str
    zh: str
    en: str
    points: Decimal
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class PoolItem:
    """One thing that can be drawn; ``key_zh``/``key_en`` say what a full answer contains."""

    code: str
    zh: str
    en: str
    key_zh: str | None = None
    key_en: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class ChecklistTask:
    kind: ClassVar[str] = "checklist"
    code: str
    zh: str
    en: str
    points: Decimal
    items: tuple[ChecklistItem, ...]
    line: int = field(default=0, compare=False)

    def item(self, code: str) -> ChecklistItem | None:
        return next((i for i in self.items if i.code == code), None)


@dataclass(frozen=True, slots=True)
class CounterTask:
    kind: ClassVar[str] = "counter_deductions"
    code: str
    zh: str
    en: str
    points: Decimal
    counters: tuple[Counter, ...]
    time_limit: TimeLimit | None = None
    severe: tuple[SevereEvent, ...] = ()
    line: int = field(default=0, compare=False)

    def counter(self, code: str) -> Counter | None:
        return next((c for c in self.counters if c.code == code), None)

    def severe_event(self, code: str) -> SevereEvent | None:
        return next((s for s in self.severe if s.code == code), None)


@dataclass(frozen=True, slots=True)
class ZonesTask:
    kind: ClassVar[str] = "zones"
    code: str
    zh: str
    en: str
    points: Decimal
    zones: tuple[Zone, ...]
    line: int = field(default=0, compare=False)

    def zone(self, code: str) -> Zone | None:
        return next((z for z in self.zones if z.code == code), None)


@dataclass(frozen=True, slots=True)
class DrawTask:
    kind: ClassVar[str] = "draw"
    code: str
    zh: str
    en: str
    points: Decimal
    count: int
    grades: tuple[Grade, ...]
    pool: tuple[PoolItem, ...]
    line: int = field(default=0, compare=False)

    @property
    def points_each(self) -> Decimal:
        """What one drawn item is worth: its best grade."""
        return max(g.points for g in self.grades)

    def grade(self, code: str) -> Grade | None:
        return next((g for g in self.grades if g.code == code), None)

    def pool_item(self, code: str) -> PoolItem | None:
        return next((p for p in self.pool if p.code == code), None)


Task = ChecklistTask | CounterTask | ZonesTask | DrawTask


@dataclass(frozen=True, slots=True)
class Section:
    code: str
    zh: str
    en: str
    points: Decimal
    tasks: tuple[Task, ...]
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Veto:
    """A dangerous act (否决项) that fails the practical whatever the points."""

    code: str
    zh: str
    en: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Sheet:
    sheet: str
    version: int
    item: str
    zh: str
    en: str
    total: Decimal
    pass_mark: Decimal
    sections: tuple[Section, ...]
    vetoes: tuple[Veto, ...]
    basis_zh: str | None = None
    basis_en: str | None = None
    name: str = field(default="", compare=False)

    @property
    def tasks(self) -> tuple[Task, ...]:
        """Every task, in sheet order."""
        return tuple(task for section in self.sections for task in section.tasks)

    def task(self, code: str) -> Task | None:
        return next((t for t in self.tasks if t.code == code), None)

    def veto(self, code: str) -> Veto | None:
        return next((v for v in self.vetoes if v.code == code), None)

    @property
    def label(self) -> str:
        """``Q2-PRACTICAL v1``: how results and messages name the sheet version."""
        return f"{self.sheet} v{self.version}"


class SheetError(ValueError):
    """A sheet file could not be read; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


# --- YAML with line numbers -------------------------------------------------------------------


class LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, of each of its values, and the
    keys given more than once (PyYAML would silently keep the last)."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        mapping = super().construct_mapping(node, deep=deep)
        lines: dict[str, int] = {}
        key_lines: dict[str, int] = {}
        duplicates: list[tuple[str, int]] = []
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            if key.value in lines:
                duplicates.append((key.value, key.start_mark.line + 1))
            lines[key.value] = value.start_mark.line + 1
            key_lines[key.value] = key.start_mark.line + 1
        mapping[_LINE] = node.start_mark.line + 1
        mapping[_LINES] = lines
        mapping[_KEY_LINES] = key_lines
        mapping[_DUPLICATES] = duplicates
        return mapping


def _plain_timestamp(loader: LineLoader, node: yaml.Node) -> Any:
    """Dates stay text: a sheet has none, and text is reported at its line like any value."""
    return loader.construct_scalar(node)


LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _plain_timestamp)


def parse_yaml(text: str, name: str) -> tuple[Any, list[Problem]]:
    """The document (mappings carry line marks) or a ``not valid YAML`` problem at its line."""
    try:
        return yaml.load(text, Loader=LineLoader), []  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error)
        return None, [Problem(name, mark.line + 1 if mark else 0, f"not valid YAML: {reason}")]


def line_of(mapping: Any, key: str | None = None) -> int:
    """The line of ``mapping[key]`` (or of the mapping itself)."""
    if not isinstance(mapping, dict):
        return 0
    if key is not None and key in mapping.get(_LINES, {}):
        return mapping[_LINES][key]
    return mapping.get(_LINE, 0)


def key_line(mapping: Any, key: str) -> int:
    """The line of the key ``key`` itself (where a misspelt or unknown key is reported)."""
    if isinstance(mapping, dict) and key in mapping.get(_KEY_LINES, {}):
        return mapping[_KEY_LINES][key]
    return line_of(mapping)


def strip_marks(value: Any) -> Any:
    """The document without the line marks (for messages and for tests)."""
    if isinstance(value, dict):
        return {k: strip_marks(v) for k, v in value.items() if k not in _META}
    if isinstance(value, list):
        return [strip_marks(v) for v in value]
    return value


class Reader:
    """Collects ``file:line: reason`` problems while reading one line-marked document."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []

    def problem(self, line: int, reason: str) -> None:
        self.problems.append(Problem(self.name, line, reason))

    def mapping(
        self,
        value: Any,
        line: int,
        where: str,
        required: Iterable[str],
        optional: Iterable[str] = (),
    ) -> dict | None:
        """``value`` as a mapping after checking unknown, duplicate and missing keys."""
        if not isinstance(value, dict):
            self.problem(line, f"{where} must be a mapping")
            return None
        required = tuple(required)
        allowed = set(required) | set(optional)
        for key, repeated_at in value.get(_DUPLICATES, ()):
            self.problem(repeated_at, f"{where}: key {key!r} is given twice")
        for key in value:
            if key not in _META and key not in allowed:
                self.problem(key_line(value, str(key)), f"{where}: unknown key {key!r}")
        for key in required:
            if value.get(key) is None:
                self.problem(line_of(value), f"{where}: {key} is required")
        return value

    def no_duplicates(self, mapping: Any, where: str) -> None:
        """Report keys given twice in a mapping read without ``mapping`` (a free-form one)."""
        if isinstance(mapping, dict):
            for key, repeated_at in mapping.get(_DUPLICATES, ()):
                self.problem(repeated_at, f"{where}: key {key!r} is given twice")

    def text(self, mapping: dict, key: str, where: str) -> str | None:
        value = mapping.get(key)
        if value is None:
            return None  # a missing required key was reported by ``mapping``
        if not isinstance(value, str) or not value.strip():
            self.problem(line_of(mapping, key), f"{where}: {key} must be non-empty text")
            return None
        return value.strip()

    def code(self, mapping: dict, key: str, where: str, pattern: re.Pattern = CODE) -> str | None:
        value = mapping.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not pattern.match(value):
            shape = "like obstacle_run" if pattern is CODE else "like Q2-PRACTICAL"
            self.problem(line_of(mapping, key), f"{where}: {key} {value!r} is not a code {shape}")
            return None
        return value

    def number(
        self, mapping: dict, key: str, where: str, *, positive: bool = False
    ) -> Decimal | None:
        """A finite number (int or decimal) as an exact ``Decimal``; never negative."""
        value = mapping.get(key)
        if value is None:
            return None
        number = to_decimal(value)
        if number is None:
            self.problem(line_of(mapping, key), f"{where}: {key} must be a number, not {value!r}")
            return None
        if number < 0 or (positive and number == 0):
            bound = "greater than 0" if positive else "0 or more"
            self.problem(line_of(mapping, key), f"{where}: {key} must be {bound}, not {value}")
            return None
        return number

    def integer(self, mapping: dict, key: str, where: str, *, minimum: int = 0) -> int | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(
                line_of(mapping, key),
                f"{where}: {key} must be a whole number of at least {minimum}, not {value!r}",
            )
            return None
        return value

    def names(self, mapping: dict, where: str) -> tuple[str, str]:
        """The zh and en names (both required: every sheet is bilingual)."""
        zh = self.text(mapping, "zh", where)
        en = self.text(mapping, "en", where)
        return zh or "", en or ""

    def bilingual(self, mapping: dict, key: str, where: str) -> tuple[str | None, str | None]:
        """A ``{zh: ..., en: ...}`` value (``title``, ``basis``, ``key``): both or neither."""
        value = mapping.get(key)
        if value is None:
            return None, None
        inner = self.mapping(value, line_of(mapping, key), f"{where} {key}", ("zh", "en"))
        if inner is None:
            return None, None
        return self.text(inner, "zh", f"{where} {key}"), self.text(inner, "en", f"{where} {key}")

    def items(self, mapping: dict, key: str, where: str, *, required: bool = True) -> list:
        """The list under ``key`` (a problem when it is not a list, or empty when required)."""
        value = mapping.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or (required and not value):
            self.problem(line_of(mapping, key), f"{where}: {key} must be a non-empty list")
            return []
        return value

    def unique(self, coded: Iterable[Any], what: str, where: str) -> None:
        """A problem at the second (third, ...) use of a code."""
        seen: set[str] = set()
        for thing in coded:
            if thing.code in seen:
                self.problem(thing.line, f"{where}: {what} code {thing.code!r} is used twice")
            seen.add(thing.code)


def to_decimal(value: Any) -> Decimal | None:
    """An int, float or Decimal as an exact Decimal (a float through its shortest text, so
    YAML ``0.1`` is 0.1); None for anything else, bools, NaN and infinities."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    return None


def named(what: str, raw: Any, key: str = "code") -> str:
    """``section main`` when the mapping has a usable code, else ``a section``: how
    messages name a thing whose own code may be the problem."""
    code = raw.get(key) if isinstance(raw, dict) else None
    if isinstance(code, str) and code.strip():
        return f"{what} {code}"
    return f"an {what}" if what[:1] in "aeiou" else f"a {what}"


# --- Reading a sheet --------------------------------------------------------------------------

_SHEET_KEYS = ("format", "sheet", "version", "item", "title", "total", "pass_mark", "sections")
_TASK_BASE = ("code", "kind", "zh", "en", "points")
_TASK_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required besides the base keys, optional)
    "checklist": (("items",), ()),
    "counter_deductions": ((), ("counters", "time_limit", "severe")),
    "zones": (("zones",), ()),
    "draw": (("count", "grades", "pool"), ()),
}


def read_sheet(text: str, name: str) -> tuple[Sheet | None, list[Problem]]:
    """Parse and check one sheet file; the sheet is None when any problem was found."""
    data, problems = parse_yaml(text, name)
    if problems:
        return None, problems
    r = Reader(name)
    doc = r.mapping(data, 1, "the sheet", _SHEET_KEYS, ("basis", "vetoes"))
    if doc is None:
        return None, r.problems
    if doc.get("format") is not None and doc.get("format") != FORMAT:
        r.problem(line_of(doc, "format"), f"format must be {FORMAT}, not {doc.get('format')!r}")
    sheet_id = r.code(doc, "sheet", "the sheet", SHEET_ID)
    version = r.integer(doc, "version", "the sheet", minimum=1)
    item = doc.get("item")
    if item is not None and item not in ITEMS:
        r.problem(line_of(doc, "item"), f"unknown item {item!r} (known: {', '.join(ITEMS)})")
    title_zh, title_en = r.bilingual(doc, "title", "the sheet")
    basis_zh, basis_en = r.bilingual(doc, "basis", "the sheet")
    total = r.number(doc, "total", "the sheet", positive=True)
    pass_mark = r.number(doc, "pass_mark", "the sheet", positive=True)
    if total is not None and pass_mark is not None and pass_mark > total:
        r.problem(
            line_of(doc, "pass_mark"),
            f"the sheet: pass_mark {pass_mark} is more than the total {total}",
        )

    raw_sections = r.items(doc, "sections", "the sheet")
    sections = [
        s
        for raw in raw_sections
        if (s := _read_section(r, raw, line_of(doc, "sections"))) is not None
    ]
    r.unique(sections, "section", "the sheet")
    r.unique([t for s in sections for t in s.tasks], "task", "the sheet")
    # The sums are checked only when every part was read (else they would be off anyway).
    if total is not None and sections and len(sections) == len(raw_sections):
        summed = sum((s.points for s in sections), Decimal(0))
        if summed != total:
            r.problem(
                line_of(doc, "total"),
                f"the sheet: the sections add up to {summed}, not the total {total}",
            )
    vetoes = []
    for raw in r.items(doc, "vetoes", "the sheet", required=False):
        veto = r.mapping(raw, line_of(doc, "vetoes"), named("veto", raw), ("code", "zh", "en"))
        if veto is None:
            continue
        code = r.code(veto, "code", "a veto")
        zh, en = r.names(veto, f"veto {code}")
        vetoes.append(Veto(code or "", zh, en, line_of(veto)))
    r.unique(vetoes, "veto", "the sheet")
    if r.problems:
        return None, r.problems
    sheet = Sheet(
        sheet=sheet_id or "",
        version=version or 0,
        item=item,
        zh=title_zh or "",
        en=title_en or "",
        total=total or Decimal(0),
        pass_mark=pass_mark or Decimal(0),
        sections=tuple(sections),
        vetoes=tuple(vetoes),
        basis_zh=basis_zh,
        basis_en=basis_en,
        name=name,
    )
    return sheet, []


def _read_section(r: Reader, raw: Any, list_line: int) -> Section | None:
    section = r.mapping(
        raw, list_line, named("section", raw), ("code", "zh", "en", "points", "tasks")
    )
    if section is None:
        return None
    code = r.code(section, "code", "a section")
    where = f"section {code}"
    zh, en = r.names(section, where)
    points = r.number(section, "points", where, positive=True)
    raw_tasks = r.items(section, "tasks", where)
    tasks = [
        t
        for raw_task in raw_tasks
        if (t := _read_task(r, raw_task, line_of(section, "tasks"))) is not None
    ]
    if points is not None and tasks and len(tasks) == len(raw_tasks):
        summed = sum((t.points for t in tasks), Decimal(0))
        if summed != points:
            r.problem(
                line_of(section, "points"),
                f"{where}: its tasks add up to {summed}, not its {points} points",
            )
    if code is None or points is None:
        return None
    return Section(code, zh, en, points, tuple(tasks), line_of(section))


def _read_task(r: Reader, raw: Any, list_line: int) -> Task | None:
    if not isinstance(raw, dict):
        r.problem(list_line, "each task must be a mapping")
        return None
    kind = raw.get("kind")
    if kind is not None and kind not in TASK_KINDS:
        r.problem(
            line_of(raw, "kind"),
            f"{named('task', raw)}: unknown kind {kind!r} (known: {', '.join(TASK_KINDS)})",
        )
        kind = None
    required, optional = _TASK_KEYS.get(kind, ((), ()))
    if kind is None:  # no kind to go by: check only what every task has
        optional = tuple({k for spec in _TASK_KEYS.values() for k in spec[0] + spec[1]})
    task = r.mapping(raw, list_line, named("task", raw), _TASK_BASE + required, optional)
    if task is None:
        return None
    code = r.code(task, "code", "a task")
    where = f"task {code}"
    zh, en = r.names(task, where)
    points = r.number(task, "points", where, positive=True)
    line = line_of(task)
    if kind is None or code is None or points is None:
        return None
    if kind == "checklist":
        return _read_checklist(r, task, where, code, zh, en, points, line)
    if kind == "counter_deductions":
        return _read_counters(r, task, where, code, zh, en, points, line)
    if kind == "zones":
        return _read_zones(r, task, where, code, zh, en, points, line)
    return _read_draw(r, task, where, code, zh, en, points, line)


def _read_checklist(r, task, where, code, zh, en, points, line) -> ChecklistTask | None:
    items = []
    raw_items = r.items(task, "items", where)
    for raw in raw_items:
        item = r.mapping(
            raw, line_of(task, "items"), named(f"{where} item", raw), ("code", "zh", "en", "points")
        )
        if item is None:
            continue
        item_code = r.code(item, "code", f"{where} item")
        item_where = f"{where} item {item_code}"
        item_zh, item_en = r.names(item, item_where)
        item_points = r.number(item, "points", item_where, positive=True)
        if item_code and item_points is not None:
            items.append(ChecklistItem(item_code, item_zh, item_en, item_points, line_of(item)))
    r.unique(items, "item", where)
    summed = sum((i.points for i in items), Decimal(0))
    if items and len(items) == len(raw_items) and summed != points:
        r.problem(line_of(task, "points"), f"{where}: its items add up to {summed}, not {points}")
    return ChecklistTask(code, zh, en, points, tuple(items), line)


def _read_counters(r, task, where, code, zh, en, points, line) -> CounterTask | None:
    counters = []
    for raw in r.items(task, "counters", where, required=False):
        counter = r.mapping(
            raw,
            line_of(task, "counters"),
            named(f"{where} counter", raw),
            ("code", "zh", "en", "per_unit"),
            ("free",),
        )
        if counter is None:
            continue
        counter_code = r.code(counter, "code", f"{where} counter")
        counter_where = f"{where} counter {counter_code}"
        counter_zh, counter_en = r.names(counter, counter_where)
        per_unit = r.number(counter, "per_unit", counter_where, positive=True)
        free = r.integer(counter, "free", counter_where) if "free" in counter else 0
        if counter_code and per_unit is not None and free is not None:
            counters.append(
                Counter(counter_code, counter_zh, counter_en, per_unit, free, line_of(counter))
            )
    r.unique(counters, "counter", where)
    time_limit = None
    if task.get("time_limit") is not None:
        time_limit = _read_time_limit(r, task, where)
    severe = []
    for raw in r.items(task, "severe", where, required=False):
        event = r.mapping(
            raw, line_of(task, "severe"), named(f"{where} severe event", raw), ("code", "zh", "en")
        )
        if event is None:
            continue
        event_code = r.code(event, "code", f"{where} severe event")
        event_zh, event_en = r.names(event, f"{where} severe event {event_code}")
        if event_code:
            severe.append(SevereEvent(event_code, event_zh, event_en, line_of(event)))
    r.unique(severe, "severe event", where)
    if not task.get("counters") and task.get("time_limit") is None:
        r.problem(line, f"{where}: a counter_deductions task needs counters or a time_limit")
    return CounterTask(code, zh, en, points, tuple(counters), time_limit, tuple(severe), line)


def _read_time_limit(r: Reader, task: dict, where: str) -> TimeLimit | None:
    where = f"{where} time_limit"
    raw = r.mapping(
        task.get("time_limit"),
        line_of(task, "time_limit"),
        where,
        ("seconds", "step_seconds", "per_step", "count"),
        ("max_seconds",),
    )
    if raw is None:
        return None
    seconds = r.number(raw, "seconds", where, positive=True)
    step = r.number(raw, "step_seconds", where, positive=True)
    per_step = r.number(raw, "per_step", where, positive=True)
    count = raw.get("count")
    if count is not None and count not in TIME_COUNTS:
        r.problem(line_of(raw, "count"), f"{where}: count must be started or full, not {count!r}")
        count = None
    max_seconds = r.number(raw, "max_seconds", where, positive=True)
    if max_seconds is not None and seconds is not None and max_seconds <= seconds:
        r.problem(
            line_of(raw, "max_seconds"),
            f"{where}: max_seconds {max_seconds} must be more than seconds {seconds}",
        )
    if None in (seconds, step, per_step, count):
        return None
    return TimeLimit(seconds, step, per_step, count, max_seconds, line_of(raw))


def _read_zones(r, task, where, code, zh, en, points, line) -> ZonesTask | None:
    zones = []
    for raw in r.items(task, "zones", where):
        zone = r.mapping(
            raw, line_of(task, "zones"), named(f"{where} zone", raw), ("code", "zh", "en", "points")
        )
        if zone is None:
            continue
        zone_code = r.code(zone, "code", f"{where} zone")
        zone_where = f"{where} zone {zone_code}"
        zone_zh, zone_en = r.names(zone, zone_where)
        zone_points = r.number(zone, "points", zone_where)
        if zone_points is not None and zone_points > points:
            r.problem(
                line_of(zone, "points"),
                f"{zone_where}: {zone_points} points is more than the task's {points}",
            )
        if zone_code and zone_points is not None:
            zones.append(Zone(zone_code, zone_zh, zone_en, zone_points, line_of(zone)))
    r.unique(zones, "zone", where)
    if zones:
        if len(zones) < 2:
            r.problem(line_of(task, "zones"), f"{where}: list at least two zones")
        if zones[0].points != points:
            r.problem(
                zones[0].line,
                f"{where}: the first (best) zone must earn the task's {points} points,"
                f" not {zones[0].points}",
            )
        for better, worse in pairwise(zones):
            if worse.points > better.points:
                r.problem(
                    worse.line,
                    f"{where}: zones are listed best first, but {worse.code} ({worse.points})"
                    f" earns more than {better.code} ({better.points})",
                )
    return ZonesTask(code, zh, en, points, tuple(zones), line)


def _read_draw(r, task, where, code, zh, en, points, line) -> DrawTask | None:
    count = r.integer(task, "count", where, minimum=1)
    grades = []
    for raw in r.items(task, "grades", where):
        grade = r.mapping(
            raw,
            line_of(task, "grades"),
            named(f"{where} grade", raw),
            ("code", "zh", "en", "points"),
        )
        if grade is None:
            continue
        grade_code = r.code(grade, "code", f"{where} grade")
        grade_zh, grade_en = r.names(grade, f"{where} grade {grade_code}")
        grade_points = r.number(grade, "points", f"{where} grade {grade_code}")
        if grade_code and grade_points is not None:
            grades.append(Grade(grade_code, grade_zh, grade_en, grade_points, line_of(grade)))
    r.unique(grades, "grade", where)
    if grades and len(grades) < 2:
        r.problem(line_of(task, "grades"), f"{where}: list at least two grades")
    pool = []
    for raw in r.items(task, "pool", where):
        entry = r.mapping(
            raw,
            line_of(task, "pool"),
            named(f"{where} pool item", raw),
            ("code", "zh", "en"),
            ("key",),
        )
        if entry is None:
            continue
        entry_code = r.code(entry, "code", f"{where} pool item")
        entry_where = f"{where} pool item {entry_code}"
        entry_zh, entry_en = r.names(entry, entry_where)
        key_zh, key_en = r.bilingual(entry, "key", entry_where)
        if entry_code:
            pool.append(PoolItem(entry_code, entry_zh, entry_en, key_zh, key_en, line_of(entry)))
    r.unique(pool, "pool item", where)
    if count is not None and pool and count > len(pool):
        r.problem(
            line_of(task, "count"),
            f"{where}: draws {count} from a pool of only {len(pool)}",
        )
    if count is not None and grades:
        best = max(g.points for g in grades)
        if best * count != points:
            r.problem(
                line_of(task, "points"),
                f"{where}: {count} drawn x {best} (the best grade) is {best * count}, not {points}",
            )
    if count is None:
        return None
    return DrawTask(code, zh, en, points, count, tuple(grades), tuple(pool), line)


def load_sheet(path: str | Path) -> Sheet:
    """Read one sheet file, or raise ``SheetError`` listing every problem."""
    path = Path(path)
    sheet, problems = read_sheet(path.read_text(encoding="utf-8"), path.name)
    if sheet is None:
        raise SheetError(problems)
    return sheet


def load_sheets(directory: str | Path) -> dict[str, Sheet]:
    """Every sheet in ``directory`` (each ``*.yaml`` but ``scenarios.yaml``), by sheet id.

    Raises ``SheetError`` with every problem of every file, and when two files hold the same
    sheet id (a directory holds one version of each sheet: the current one).
    """
    sheets: dict[str, Sheet] = {}
    problems: list[Problem] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        if path.name == SCENARIOS_FILE:
            continue
        sheet, found = read_sheet(path.read_text(encoding="utf-8"), path.name)
        problems += found
        if sheet is None:
            continue
        if sheet.sheet in sheets:
            problems.append(
                Problem(path.name, 1, f"sheet {sheet.sheet} is also in {sheets[sheet.sheet].name}")
            )
            continue
        sheets[sheet.sheet] = sheet
    if problems:
        raise SheetError(problems)
    return sheets


# --- Canonical form and content hash ----------------------------------------------------------


def json_number(value: Decimal) -> int | float:
    """A Decimal for JSON: an int when whole, else the float with the same shortest text."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _named(thing: Any, **extra: Any) -> dict[str, Any]:
    return {"code": thing.code, "zh": thing.zh, "en": thing.en, **extra}


def _task_document(task: Task) -> dict[str, Any]:
    doc = _named(task, kind=task.kind, points=json_number(task.points))
    if isinstance(task, ChecklistTask):
        doc["items"] = [_named(i, points=json_number(i.points)) for i in task.items]
    elif isinstance(task, CounterTask):
        doc["counters"] = [
            _named(c, per_unit=json_number(c.per_unit), free=c.free) for c in task.counters
        ]
        if task.time_limit is not None:
            limit = task.time_limit
            doc["time_limit"] = {
                "seconds": json_number(limit.seconds),
                "step_seconds": json_number(limit.step_seconds),
                "per_step": json_number(limit.per_step),
                "count": limit.count,
            }
            if limit.max_seconds is not None:
                doc["time_limit"]["max_seconds"] = json_number(limit.max_seconds)
        doc["severe"] = [_named(s) for s in task.severe]
    elif isinstance(task, ZonesTask):
        doc["zones"] = [_named(z, points=json_number(z.points)) for z in task.zones]
    else:
        doc["count"] = task.count
        doc["grades"] = [_named(g, points=json_number(g.points)) for g in task.grades]
        doc["pool"] = [
            _named(p, **({"key": {"zh": p.key_zh, "en": p.key_en}} if p.key_zh else {}))
            for p in task.pool
        ]
    return doc


def sheet_document(sheet: Sheet) -> dict[str, Any]:
    """The sheet's content as plain JSON values (what the content hash covers)."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "sheet": sheet.sheet,
        "version": sheet.version,
        "item": sheet.item,
        "title": {"zh": sheet.zh, "en": sheet.en},
        "total": json_number(sheet.total),
        "pass_mark": json_number(sheet.pass_mark),
        "sections": [
            _named(s, points=json_number(s.points), tasks=[_task_document(t) for t in s.tasks])
            for s in sheet.sections
        ],
        "vetoes": [_named(v) for v in sheet.vetoes],
    }
    if sheet.basis_zh:
        doc["basis"] = {"zh": sheet.basis_zh, "en": sheet.basis_en}
    return doc


def canonical_sheet(sheet: Sheet) -> str:
    """Canonical JSON text of the sheet; ``read_sheet`` reads it back to an equal sheet."""
    return canonical_json(sheet_document(sheet))


def content_hash(sheet: Sheet) -> str:
    """SHA-256 (hex) of the canonical JSON: comments and layout do not change it."""
    return hashlib.sha256(canonical_sheet(sheet).encode("utf-8")).hexdigest()


__all__ = [
    "CODE",
    "FORMAT",
    "SCENARIOS_FILE",
    "SHEET_ID",
    "TASK_KINDS",
    "TIME_COUNTS",
    "ChecklistItem",
    "ChecklistTask",
    "Counter",
    "CounterTask",
    "DrawTask",
    "Grade",
    "PoolItem",
    "Reader",
    "Section",
    "SevereEvent",
    "Sheet",
    "SheetError",
    "Task",
    "TimeLimit",
    "Veto",
    "Zone",
    "ZonesTask",
    "canonical_sheet",
    "content_hash",
    "json_number",
    "key_line",
    "line_of",
    "load_sheet",
    "load_sheets",
    "named",
    "parse_yaml",
    "read_sheet",
    "sheet_document",
    "strip_marks",
    "to_decimal",
]
