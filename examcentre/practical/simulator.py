"""Crane-simulator runs (pure): the scenario catalogue, a station's metrics payload, mapping
the metrics onto the score sheet, and the HMAC that authenticates a station.

**The catalogue** (``question_bank/practical/scenarios.yaml``, ``examcentre.simulator-
scenarios/1``) lists the alarm codes stations may report and, per scenario (id + version),
the item, the sheet, the longest time since the station's calibration (days), which sheet
tasks the run scores and how each value is found:

- a ``counter_deductions`` task: ``counts`` maps each counter to an integer metric
  (``bumps``, ``knock_downs``, ``stops``) or to ``0`` (not observable, counted as none, in
  writing); ``time: time_seconds`` when the task has a time limit; ``severe`` maps alarms to
  severe events (the first listed alarm present in the run ends the task).
- a ``zones`` task: ``zones`` maps every drop zone a station reports (``DROP_ZONES``,
  including the circle lines) to a sheet zone.
- a ``checklist`` task: ``items`` maps every item to ``{unless_alarm: <alarm>}`` (met unless
  the run raised that alarm) or ``{swing_at_most: <degrees>}`` (met when ``swing_degrees`` is
  at most that).
- ``vetoes`` maps alarms to the sheet's veto codes.

The rule for what a simulator cannot observe: **every counter, item and zone of a task the
scenario scores must be mapped** (the catalogue is refused otherwise), and **tasks it does not
list are left for the examiners** (``SimulatorScoring.left_for_examiner``): the sheet stays
incomplete, and so unpassed, until they are scored. Nothing is ever counted as full marks.

**The payload** (``examcentre.simulator-run/1``, a JSON object)::

    {"format": "examcentre.simulator-run/1", "station": "SIM-01", "run_id": "r-20260301-0007",
     "ticket": "T-0001", "mode": "exam",
     "scenario": {"id": "Q2-SIM-COURSE", "version": 1},
     "started_at": "2026-03-01T09:00:00+08:00", "finished_at": "2026-03-01T09:04:12+08:00",
     "calibrated_on": "2026-01-15", "log_sha256": "<64 hex: SHA-256 of the raw event log>",
     "metrics": {"time_seconds": 231.5, "bumps": 1, "knock_downs": 0, "stops": 6,
                 "drop_zone": "inner_line", "swing_degrees": 2.1, "alarms": ["no_bell"]}}

``validate_run`` reports every problem with its JSON path (``$.metrics.bumps``). The metrics
a scenario's mapping uses are required; the others are optional but checked when present.
The calibration age is counted in days from ``calibrated_on`` to the date of ``finished_at``
in its own UTC offset (the station's local date): an age equal to the scenario's maximum is
accepted, one day more is refused.

**The signature**: a station signs each request body with a shared secret::

    message   = timestamp (ASCII) + "." + body (the exact bytes sent)
    signature = lowercase hex HMAC-SHA256(secret, message)

``timestamp`` is the Unix time in whole seconds as decimal digits (``"1772326800"``). The
server refuses a timestamp more than ``max_age`` (300) seconds old or ahead of its clock;
exactly 300 s either way is accepted. Replays inside that window are for the API layer to
refuse (e.g. by the run id). The API's headers are ``X-Station-Timestamp`` and
``X-Station-Signature`` (``examcentre/api/stations.py``, ``practical/stations.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..bank.vocab import ITEMS, Problem
from .sheets import (
    SHEET_ID,
    ChecklistTask,
    CounterTask,
    Reader,
    Sheet,
    SheetError,
    ZonesTask,
    json_number,
    key_line,
    line_of,
    parse_yaml,
    to_decimal,
)

CATALOGUE_FORMAT = "examcentre.simulator-scenarios/1"
RUN_FORMAT = "examcentre.simulator-run/1"
MODES = ("exam", "training")
# Where a load can land, as a station reports it (the circle lines separately).
DROP_ZONES = ("inner", "inner_line", "middle", "middle_line", "outer", "outer_line", "outside")
COUNT_METRICS = ("bumps", "knock_downs", "stops")
METRICS = ("time_seconds", *COUNT_METRICS, "drop_zone", "swing_degrees", "alarms")
MAX_SWING_DEGREES = Decimal(90)
# How far ahead of the server's clock a run may say it finished (station clocks drift).
CLOCK_TOLERANCE = timedelta(minutes=5)
SCENARIO_ID = SHEET_ID
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TEXT_MAX = 64


# --- The catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alarm:
    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class ItemRule:
    """How a checklist item is found: met unless ``alarm`` was raised, or met when the swing
    was at most ``swing_at_most`` degrees."""

    unless_alarm: str | None = None
    swing_at_most: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TaskMapping:
    task: str
    counts: tuple[tuple[str, str | None], ...] = ()  # counter -> metric (None: counted 0)
    time: bool = False
    severe: tuple[tuple[str, str], ...] = ()  # alarm -> severe event, in priority order
    zones: tuple[tuple[str, str], ...] = ()  # drop zone -> sheet zone
    items: tuple[tuple[str, ItemRule], ...] = ()  # checklist item -> rule


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    version: int
    item: str
    sheet: str
    zh: str
    en: str
    calibration_max_age_days: int
    tasks: tuple[TaskMapping, ...]
    vetoes: tuple[tuple[str, str], ...] = ()  # alarm -> veto
    line: int = field(default=0, compare=False)

    @property
    def label(self) -> str:
        return f"{self.id} v{self.version}"

    @property
    def required_metrics(self) -> frozenset[str]:
        """The metrics this scenario's mapping reads (a run must report them)."""
        needed = {"alarms"}
        for mapping in self.tasks:
            needed.update(metric for _, metric in mapping.counts if metric)
            if mapping.time:
                needed.add("time_seconds")
            if mapping.zones:
                needed.add("drop_zone")
            if any(rule.swing_at_most is not None for _, rule in mapping.items):
                needed.add("swing_degrees")
        return frozenset(needed)


@dataclass(frozen=True, slots=True)
class Catalogue:
    alarms: tuple[Alarm, ...]
    scenarios: tuple[Scenario, ...]

    def scenario(self, scenario_id: str, version: int) -> Scenario | None:
        return next(
            (s for s in self.scenarios if s.id == scenario_id and s.version == version), None
        )

    def alarm(self, code: str) -> Alarm | None:
        return next((a for a in self.alarms if a.code == code), None)


def read_catalogue(
    text: str, name: str, sheets: Mapping[str, Sheet]
) -> tuple[Catalogue | None, list[Problem]]:
    """Parse and check the catalogue against the sheets it maps onto (``file:line: reason``)."""
    data, problems = parse_yaml(text, name)
    if problems:
        return None, problems
    r = Reader(name)
    doc = r.mapping(data, 1, "the catalogue", ("format", "alarms", "scenarios"))
    if doc is None:
        return None, r.problems
    if doc.get("format") is not None and doc.get("format") != CATALOGUE_FORMAT:
        r.problem(
            line_of(doc, "format"),
            f"format must be {CATALOGUE_FORMAT}, not {doc.get('format')!r}",
        )
    alarms: list[Alarm] = []
    seen_alarms: set[str] = set()
    for raw in r.items(doc, "alarms", "the catalogue"):
        alarm = r.mapping(raw, line_of(doc, "alarms"), "an alarm", ("code", "zh", "en"))
        if alarm is None:
            continue
        code = r.code(alarm, "code", "an alarm")
        zh, en = r.names(alarm, f"alarm {code}")
        if code in seen_alarms:
            r.problem(line_of(alarm), f"alarm code {code!r} is used twice")
        if code:
            seen_alarms.add(code)
            alarms.append(Alarm(code, zh, en))
    scenarios: list[Scenario] = []
    seen: set[tuple[str, int]] = set()
    for raw in r.items(doc, "scenarios", "the catalogue"):
        scenario = _read_scenario(r, raw, line_of(doc, "scenarios"), seen_alarms, sheets)
        if scenario is None:
            continue
        if (scenario.id, scenario.version) in seen:
            r.problem(scenario.line, f"scenario {scenario.label} is listed twice")
        seen.add((scenario.id, scenario.version))
        scenarios.append(scenario)
    if r.problems:
        return None, r.problems
    return Catalogue(tuple(alarms), tuple(scenarios)), []


def load_catalogue(path: str | Path, sheets: Mapping[str, Sheet]) -> Catalogue:
    """Read the catalogue file, or raise ``SheetError`` listing every problem."""
    path = Path(path)
    catalogue, problems = read_catalogue(path.read_text(encoding="utf-8"), path.name, sheets)
    if catalogue is None:
        raise SheetError(problems)
    return catalogue


def _read_scenario(
    r: Reader, raw: Any, list_line: int, alarms: set[str], sheets: Mapping[str, Sheet]
) -> Scenario | None:
    keys = ("id", "version", "item", "sheet", "zh", "en", "calibration_max_age_days", "tasks")
    doc = r.mapping(raw, list_line, "a scenario", keys, ("vetoes",))
    if doc is None:
        return None
    scenario_id = r.code(doc, "id", "a scenario", SCENARIO_ID)
    version = r.integer(doc, "version", f"scenario {scenario_id}", minimum=1)
    where = f"scenario {scenario_id} v{version}"
    zh, en = r.names(doc, where)
    item = doc.get("item")
    if item is not None and item not in ITEMS:
        r.problem(line_of(doc, "item"), f"{where}: unknown item {item!r}")
    max_age = r.integer(doc, "calibration_max_age_days", where, minimum=0)
    sheet_id = doc.get("sheet")
    sheet = sheets.get(sheet_id) if isinstance(sheet_id, str) else None
    if sheet_id is not None and sheet is None:
        r.problem(
            line_of(doc, "sheet"),
            f"{where}: no sheet {sheet_id!r} (known: {', '.join(sheets) or 'none'})",
        )
    if sheet is not None and item is not None and sheet.item != item:
        r.problem(
            line_of(doc, "item"), f"{where}: item {item} but {sheet.label} is for {sheet.item}"
        )

    def alarm_code(value: Any, line: int) -> str | None:
        if value not in alarms:
            r.problem(line, f"{where}: unknown alarm {value!r}")
            return None
        return value

    mappings: list[TaskMapping] = []
    raw_tasks = doc.get("tasks")
    if raw_tasks is not None and (not isinstance(raw_tasks, dict) or not _keys(raw_tasks)):
        r.problem(line_of(doc, "tasks"), f"{where}: tasks must map task codes to their rules")
        raw_tasks = None
    r.no_duplicates(raw_tasks, f"{where} tasks")
    for task_code in _keys(raw_tasks or {}):
        line = key_line(raw_tasks, task_code)
        task = sheet.task(task_code) if sheet is not None else None
        if sheet is not None and task is None:
            r.problem(line, f"{where}: {sheet.label} has no task {task_code!r}")
            continue
        if task is None:
            continue
        mapping = _read_task_mapping(
            r, raw_tasks[task_code], line, f"{where} task {task_code}", task, alarm_code
        )
        if mapping is not None:
            mappings.append(mapping)
    vetoes: list[tuple[str, str]] = []
    raw_vetoes = doc.get("vetoes") or {}
    if not isinstance(raw_vetoes, dict):
        r.problem(line_of(doc, "vetoes"), f"{where}: vetoes must map alarms to veto codes")
        raw_vetoes = {}
    r.no_duplicates(raw_vetoes, f"{where} vetoes")
    for alarm in _keys(raw_vetoes):
        line = key_line(raw_vetoes, alarm)
        veto = raw_vetoes[alarm]
        if sheet is not None and (not isinstance(veto, str) or sheet.veto(veto) is None):
            r.problem(line, f"{where}: {sheet.label} has no veto {veto!r}")
            continue
        if alarm_code(alarm, line):
            vetoes.append((alarm, veto))
    if None in (scenario_id, version, max_age, sheet) or item not in ITEMS:
        return None
    return Scenario(
        scenario_id,
        version,
        item,
        sheet.sheet,
        zh,
        en,
        max_age,
        tuple(mappings),
        tuple(vetoes),
        line_of(doc),
    )


def _keys(mapping: dict) -> list[str]:
    return [k for k in mapping if not str(k).startswith("__")]


def _read_task_mapping(
    r: Reader, raw: Any, line: int, where: str, task, alarm_code
) -> TaskMapping | None:
    if isinstance(task, CounterTask):
        doc = r.mapping(
            raw, line, where, ("counts",) if task.counters else (), ("counts", "time", "severe")
        )
        if doc is None:
            return None
        counts: list[tuple[str, str | None]] = []
        raw_counts = doc.get("counts") or {}
        if not isinstance(raw_counts, dict):
            r.problem(line_of(doc, "counts"), f"{where}: counts must map counters to metrics")
            raw_counts = {}
        r.no_duplicates(raw_counts, f"{where} counts")
        for counter in _keys(raw_counts):
            value = raw_counts[counter]
            value_line = key_line(raw_counts, counter)
            if task.counter(counter) is None:
                r.problem(value_line, f"{where}: no counter {counter!r} on the task")
            elif value == 0 and not isinstance(value, bool):
                counts.append((counter, None))
            elif value in COUNT_METRICS:
                counts.append((counter, value))
            else:
                r.problem(
                    value_line,
                    f"{where}: counter {counter} must map to one of"
                    f" {', '.join(COUNT_METRICS)} or 0, not {value!r}",
                )
        for counter in task.counters:
            if counter.code not in raw_counts:
                r.problem(
                    line_of(doc),
                    f"{where}: counter {counter.code} is not mapped (map it to a metric,"
                    " or to 0 if the simulator cannot observe it)",
                )
        time = doc.get("time")
        if time is not None and time != "time_seconds":
            r.problem(line_of(doc, "time"), f"{where}: time must be time_seconds, not {time!r}")
        if task.time_limit is not None and time is None:
            r.problem(line_of(doc), f"{where}: the task has a time limit: map time: time_seconds")
        if task.time_limit is None and time is not None:
            r.problem(line_of(doc, "time"), f"{where}: the task has no time limit")
        severe: list[tuple[str, str]] = []
        raw_severe = doc.get("severe") or {}
        if not isinstance(raw_severe, dict):
            r.problem(line_of(doc, "severe"), f"{where}: severe must map alarms to severe events")
            raw_severe = {}
        r.no_duplicates(raw_severe, f"{where} severe")
        for alarm in _keys(raw_severe):
            event = raw_severe[alarm]
            alarm_line = key_line(raw_severe, alarm)
            if not isinstance(event, str) or task.severe_event(event) is None:
                r.problem(alarm_line, f"{where}: no severe event {event!r} on the task")
            elif alarm_code(alarm, alarm_line):
                severe.append((alarm, event))
        return TaskMapping(task.code, tuple(counts), time is not None, tuple(severe))
    if isinstance(task, ZonesTask):
        doc = r.mapping(raw, line, where, ("zones",))
        if doc is None:
            return None
        raw_zones = doc.get("zones") or {}
        if not isinstance(raw_zones, dict):
            r.problem(line_of(doc, "zones"), f"{where}: zones must map drop zones to sheet zones")
            return None
        zones: list[tuple[str, str]] = []
        r.no_duplicates(raw_zones, f"{where} zones")
        for drop in _keys(raw_zones):
            target = raw_zones[drop]
            zone_line = key_line(raw_zones, drop)
            if drop not in DROP_ZONES:
                r.problem(
                    zone_line,
                    f"{where}: unknown drop zone {drop!r} (known: {', '.join(DROP_ZONES)})",
                )
            elif not isinstance(target, str) or task.zone(target) is None:
                r.problem(zone_line, f"{where}: no zone {target!r} on the task")
            else:
                zones.append((drop, target))
        for drop in DROP_ZONES:
            if drop not in raw_zones:
                r.problem(key_line(doc, "zones"), f"{where}: drop zone {drop} is not mapped")
        return TaskMapping(task.code, zones=tuple(zones))
    if isinstance(task, ChecklistTask):
        doc = r.mapping(raw, line, where, ("items",))
        if doc is None:
            return None
        raw_items = doc.get("items") or {}
        if not isinstance(raw_items, dict):
            r.problem(line_of(doc, "items"), f"{where}: items must map checklist items to rules")
            return None
        items: list[tuple[str, ItemRule]] = []
        r.no_duplicates(raw_items, f"{where} items")
        for code in _keys(raw_items):
            item_line = key_line(raw_items, code)
            if task.item(code) is None:
                r.problem(item_line, f"{where}: no item {code!r} on the task")
                continue
            rule = r.mapping(
                raw_items[code],
                item_line,
                f"{where} item {code}",
                (),
                ("unless_alarm", "swing_at_most"),
            )
            if rule is None:
                continue
            if ("unless_alarm" in rule) == ("swing_at_most" in rule):
                r.problem(
                    item_line,
                    f"{where} item {code}: give exactly one of unless_alarm or swing_at_most",
                )
                continue
            if "unless_alarm" in rule:
                if alarm_code(rule["unless_alarm"], line_of(rule, "unless_alarm")):
                    items.append((code, ItemRule(unless_alarm=rule["unless_alarm"])))
            else:
                limit = r.number(rule, "swing_at_most", f"{where} item {code}")
                if limit is not None:
                    items.append((code, ItemRule(swing_at_most=limit)))
        for item in task.items:
            if item.code not in raw_items:
                r.problem(key_line(doc, "items"), f"{where}: item {item.code} is not mapped")
        return TaskMapping(task.code, items=tuple(items))
    r.problem(
        line, f"{where}: a simulator cannot score a {task.kind} task; leave it for the examiners"
    )
    return None


# --- The payload ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathProblem:
    """One thing wrong with a payload, at its JSON path. ``code`` marks the two problems an
    API answers apart from a malformed payload: ``unknown_scenario`` (no such scenario id or
    version) and ``out_of_calibration`` (the calibration is too old for the scenario)."""

    path: str
    message: str
    code: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class Metrics:
    time_seconds: Decimal | None = None
    bumps: int | None = None
    knock_downs: int | None = None
    stops: int | None = None
    drop_zone: str | None = None
    swing_degrees: Decimal | None = None
    alarms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SimulatorRun:
    station: str
    run_id: str
    ticket: str
    mode: str
    scenario_id: str
    scenario_version: int
    started_at: datetime
    finished_at: datetime
    calibrated_on: date
    log_sha256: str
    metrics: Metrics


_RUN_KEYS = (
    "format", "station", "run_id", "ticket", "mode", "scenario", "started_at", "finished_at",
    "calibrated_on", "log_sha256", "metrics",
)  # fmt: skip


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value, ensure_ascii=False)


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def validate_run(
    payload: Any, catalogue: Catalogue, now: datetime
) -> tuple[SimulatorRun | None, list[PathProblem]]:
    """Check a decoded payload; the run, or None and every problem with its JSON path.

    ``now`` (timezone-aware) bounds ``finished_at`` (at most ``CLOCK_TOLERANCE`` ahead).
    """
    problems: list[PathProblem] = []

    def problem(path: str, message: str, code: str = "") -> None:
        problems.append(PathProblem(path, message, code))

    if not isinstance(payload, dict):
        problem("$", f"expected an object, got {_describe(payload)}")
        return None, problems
    for key in getattr(payload, "duplicate_keys", ()):
        problem(f"$.{key}", "key given more than once")
    for key in payload:
        if key not in _RUN_KEYS:
            problem(f"$.{key}", "unknown key")
    for key in _RUN_KEYS:
        if payload.get(key) is None:
            problem(f"$.{key}", "required")
    if payload.get("format") is not None and payload["format"] != RUN_FORMAT:
        problem("$.format", f"must be {RUN_FORMAT}, not {_describe(payload['format'])}")
    texts: dict[str, str] = {}
    for key in ("station", "run_id", "ticket"):
        value = payload.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > _TEXT_MAX:
            problem(f"$.{key}", f"expected text of 1 to {_TEXT_MAX} characters")
        else:
            texts[key] = value.strip()
    mode = payload.get("mode")
    if mode is not None and mode not in MODES:
        problem("$.mode", f"must be exam or training, not {_describe(mode)}")

    scenario = None
    raw_scenario = payload.get("scenario")
    if raw_scenario is not None:
        if not isinstance(raw_scenario, dict):
            problem("$.scenario", "expected an object with id and version")
        else:
            for key in raw_scenario:
                if key not in ("id", "version"):
                    problem(f"$.scenario.{key}", "unknown key")
            scenario_id, version = raw_scenario.get("id"), raw_scenario.get("version")
            known_ids = {s.id for s in catalogue.scenarios}
            if not isinstance(scenario_id, str) or scenario_id not in known_ids:
                problem(
                    "$.scenario.id",
                    f"unknown scenario {_describe(scenario_id)}",
                    "unknown_scenario",
                )
            elif isinstance(version, bool) or not isinstance(version, int):
                problem("$.scenario.version", "expected a whole number")
            else:
                scenario = catalogue.scenario(scenario_id, version)
                if scenario is None:
                    versions = sorted(s.version for s in catalogue.scenarios if s.id == scenario_id)
                    problem(
                        "$.scenario.version",
                        f"no version {version} of {scenario_id}"
                        f" (known: {', '.join(map(str, versions))})",
                        "unknown_scenario",
                    )

    started, finished = (_instant(payload.get(k)) for k in ("started_at", "finished_at"))
    for key, value in (("started_at", started), ("finished_at", finished)):
        if payload.get(key) is not None and value is None:
            problem(
                f"$.{key}", "expected a date-time with a UTC offset, like 2026-03-01T09:00:00+08:00"
            )
    if started and finished:
        if finished < started:
            problem("$.finished_at", "is before started_at")
        if finished > now + CLOCK_TOLERANCE:
            problem("$.finished_at", "is in the future")
    calibrated_on = None
    raw_calibrated = payload.get("calibrated_on")
    if raw_calibrated is not None:
        if isinstance(raw_calibrated, str) and _ISO_DATE.match(raw_calibrated):
            try:
                calibrated_on = date.fromisoformat(raw_calibrated)
            except ValueError:
                problem("$.calibrated_on", f"not a calendar date: {_describe(raw_calibrated)}")
        else:
            problem("$.calibrated_on", "expected a date YYYY-MM-DD")
    if calibrated_on and finished:
        run_day = finished.date()  # the station's local date (its own UTC offset)
        age = (run_day - calibrated_on).days
        if age < 0:
            problem("$.calibrated_on", f"is after the run's date {run_day.isoformat()}")
        elif scenario is not None and age > scenario.calibration_max_age_days:
            problem(
                "$.calibrated_on",
                f"calibration is {age} days old on {run_day.isoformat()};"
                f" {scenario.label} allows at most {scenario.calibration_max_age_days}",
                "out_of_calibration",
            )
    log = payload.get("log_sha256")
    if log is not None and (not isinstance(log, str) or not _HEX64.match(log)):
        problem("$.log_sha256", "expected 64 lowercase hexadecimal characters (SHA-256)")

    metrics = _read_metrics(payload.get("metrics"), catalogue, scenario, problem)
    if problems:
        return None, problems
    assert scenario is not None and started and finished and calibrated_on and metrics
    return (
        SimulatorRun(
            station=texts["station"],
            run_id=texts["run_id"],
            ticket=texts["ticket"],
            mode=mode,
            scenario_id=scenario.id,
            scenario_version=scenario.version,
            started_at=started,
            finished_at=finished,
            calibrated_on=calibrated_on,
            log_sha256=log,
            metrics=metrics,
        ),
        problems,
    )


def _read_metrics(
    raw: Any, catalogue: Catalogue, scenario: Scenario | None, problem
) -> Metrics | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problem("$.metrics", f"expected an object, got {_describe(raw)}")
        return None
    for key in getattr(raw, "duplicate_keys", ()):
        problem(f"$.metrics.{key}", "key given more than once")
    for key in raw:
        if key not in METRICS:
            problem(f"$.metrics.{key}", "unknown metric")
    if scenario is not None:
        for key in sorted(scenario.required_metrics):
            if raw.get(key) is None:
                problem(f"$.metrics.{key}", f"required by scenario {scenario.label}")
    values: dict[str, Any] = {}
    for key in ("time_seconds", "swing_degrees"):
        if raw.get(key) is None:
            continue
        number = to_decimal(raw[key])
        if number is None or number < 0:
            problem(f"$.metrics.{key}", f"expected a number, 0 or more, got {_describe(raw[key])}")
        elif key == "swing_degrees" and number > MAX_SWING_DEGREES:
            problem(f"$.metrics.{key}", f"at most {MAX_SWING_DEGREES} degrees, got {number}")
        else:
            values[key] = number
    for key in COUNT_METRICS:
        value = raw.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problem(
                f"$.metrics.{key}", f"expected a whole number, 0 or more, got {_describe(value)}"
            )
        else:
            values[key] = value
    zone = raw.get("drop_zone")
    if zone is not None:
        if zone not in DROP_ZONES:
            problem(
                "$.metrics.drop_zone",
                f"unknown drop zone {_describe(zone)} (known: {', '.join(DROP_ZONES)})",
            )
        else:
            values["drop_zone"] = zone
    alarms = raw.get("alarms")
    if alarms is not None:
        if not isinstance(alarms, list):
            problem("$.metrics.alarms", f"expected a list of alarm codes, got {_describe(alarms)}")
        else:
            for index, code in enumerate(alarms):
                if not isinstance(code, str) or catalogue.alarm(code) is None:
                    problem(f"$.metrics.alarms[{index}]", f"unknown alarm {_describe(code)}")
            values["alarms"] = tuple(a for a in alarms if isinstance(a, str))
    return Metrics(**values)


class _ObjectWithDuplicates(dict):
    duplicate_keys: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = _ObjectWithDuplicates(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicates = []
        for key, _ in pairs:
            if key in seen:
                duplicates.append(key)
            seen.add(key)
        result.duplicate_keys = tuple(duplicates)
    return result


def parse_run_body(
    body: bytes, catalogue: Catalogue, now: datetime
) -> tuple[SimulatorRun | None, list[PathProblem]]:
    """Decode the raw request body (UTF-8 JSON; keys given twice are problems) and check it."""
    try:
        payload = json.loads(body.decode("utf-8"), object_pairs_hook=_object_pairs)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, [PathProblem("$", f"not valid UTF-8 JSON: {error}")]
    return validate_run(payload, catalogue, now)


# --- Mapping a run onto the sheet -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimulatorScoring:
    """What a run contributes to a sheet: ``entries`` (task code -> entry, the shapes
    ``scoring.score_sheet`` takes), the vetoes its alarms raise, and the tasks the examiners
    still have to score."""

    scenario_id: str
    scenario_version: int
    sheet: str
    sheet_version: int
    entries: Mapping[str, dict[str, Any]]
    vetoes: tuple[str, ...]
    left_for_examiner: tuple[str, ...]


def map_run(run: SimulatorRun, catalogue: Catalogue, sheet: Sheet) -> SimulatorScoring:
    """The sheet entries a validated run gives. Raises ``ValueError`` if the run's scenario
    is not in the catalogue or maps onto another sheet."""
    scenario = catalogue.scenario(run.scenario_id, run.scenario_version)
    if scenario is None:
        raise ValueError(f"no scenario {run.scenario_id} v{run.scenario_version}")
    if scenario.sheet != sheet.sheet:
        raise ValueError(f"{scenario.label} scores {scenario.sheet}, not {sheet.sheet}")
    m = run.metrics
    alarms = set(m.alarms)
    entries: dict[str, dict[str, Any]] = {}
    for mapping in scenario.tasks:
        task = sheet.task(mapping.task)
        if task is None:
            raise ValueError(f"{sheet.label} has no task {mapping.task} ({scenario.label})")
        if isinstance(task, CounterTask):
            counts = {
                code: (getattr(m, metric) if metric else 0) for code, metric in mapping.counts
            }
            severe = next((event for alarm, event in mapping.severe if alarm in alarms), None)
            entry: dict[str, Any] = {"counts": counts, "severe": severe}
            if mapping.time:
                entry["time_seconds"] = json_number(m.time_seconds)  # JSON-ready
            entries[task.code] = entry
        elif isinstance(task, ZonesTask):
            entries[task.code] = {"zone": dict(mapping.zones)[m.drop_zone]}
        elif isinstance(task, ChecklistTask):
            marks = {}
            for code, rule in mapping.items:
                if rule.unless_alarm is not None:
                    marks[code] = rule.unless_alarm not in alarms
                else:
                    marks[code] = m.swing_degrees <= rule.swing_at_most
            entries[task.code] = {"items": marks}
    vetoes = tuple(dict.fromkeys(veto for alarm, veto in scenario.vetoes if alarm in alarms))
    return SimulatorScoring(
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        sheet=sheet.sheet,
        sheet_version=sheet.version,
        entries=entries,
        vetoes=vetoes,
        left_for_examiner=tuple(t.code for t in sheet.tasks if t.code not in entries),
    )


# --- HMAC -------------------------------------------------------------------------------------


class SignatureProblem(StrEnum):
    """Why a signed request was refused (stable codes for the API and the audit log)."""

    BAD_TIMESTAMP = "bad_timestamp"
    TOO_OLD = "too_old"
    FROM_FUTURE = "from_future"
    BAD_SIGNATURE = "bad_signature"
    MISMATCH = "mismatch"


_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^[0-9a-fA-F]{64}$")


def signed_message(timestamp: str, body: bytes) -> bytes:
    """Exactly what is signed: the ASCII timestamp, a full stop, then the body bytes."""
    return timestamp.encode("ascii") + b"." + body


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``timestamp + "." + body`` under ``secret``."""
    if not secret:
        raise ValueError("the secret must not be empty")
    return hmac.new(secret, signed_message(timestamp, body), hashlib.sha256).hexdigest()


def verify(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    now: datetime,
    max_age: int = 300,
) -> SignatureProblem | None:
    """None when the signature is right and the timestamp within ``max_age`` seconds of
    ``now`` (either way, the bound included); else why not. The comparison is constant-time.
    """
    if not secret:
        raise ValueError("the secret must not be empty")
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(timestamp, str) or not _TIMESTAMP.match(timestamp):
        return SignatureProblem.BAD_TIMESTAMP
    skew = int(timestamp) - now.timestamp()
    if skew < -max_age:
        return SignatureProblem.TOO_OLD
    if skew > max_age:
        return SignatureProblem.FROM_FUTURE
    if not isinstance(signature, str) or not _SIGNATURE.match(signature):
        return SignatureProblem.BAD_SIGNATURE
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.lower()):
        return SignatureProblem.MISMATCH
    return None


__all__ = [
    "CATALOGUE_FORMAT",
    "CLOCK_TOLERANCE",
    "DROP_ZONES",
    "METRICS",
    "MODES",
    "RUN_FORMAT",
    "Alarm",
    "Catalogue",
    "ItemRule",
    "Metrics",
    "PathProblem",
    "Scenario",
    "SignatureProblem",
    "SimulatorRun",
    "SimulatorScoring",
    "TaskMapping",
    "load_catalogue",
    "map_run",
    "parse_run_body",
    "read_catalogue",
    "sign",
    "signed_message",
    "validate_run",
    "verify",
]
