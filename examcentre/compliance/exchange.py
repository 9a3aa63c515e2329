"""The public JSON exchange formats of the compliance self-check.

- ``examcentre.centre/1``: one centre's records. ``parse_centre`` reads it into a
  ``CentreRecord`` and ``centre_to_json`` writes it back (``parse_centre(centre_to_json(r)) == r``).
- ``examcentre.compliance/1``: the self-check's report, written by ``report_to_json``.

The contract is ``/work/shared/spec/compliance-input.md``. Parsing never stops at the first
problem: ``ExchangeError.problems`` lists every one, each with its JSON path
(``examiners[2].title: unknown title "高级工程狮"``), so one round of fixes suffices.

Decisions on points the contract leaves open:

- Unknown keys are errors (with a "did you mean" hint); so are duplicate keys in one object,
  which ``json`` would otherwise resolve silently in favour of the last.
- An optional key given as ``null`` means the same as leaving it out.
- Titles: any title in ``known_titles`` parses (the accepted titles plus common non-qualifying
  ones such as 助理工程师 or 无); a string outside it is reported as a typo. Whether a title
  qualifies is R-EXAM-Q's business, not the parser's. An administrator who widens
  ``accepted_titles`` passes ``known_titles_for(settings)``.
- Item codes: ``Q1`` or ``Q2(限<crane type>)`` with ASCII parentheses; a bare ``Q2`` is an
  error because a driver item always carries its limitation.
- Open vocabularies: staff ``roles``, simulator ``modules`` and the kinds under ``ppe`` are
  free strings. A typo there can only make a rule fail, never pass.
- Beyond the example document the format also accepts ``staff[].started_on``/``ended_on`` and
  ``terminals[].location``, which compliance-rules.md lists under record keeping.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from .model import (
    DEFAULT_ACCEPTED_TITLES,
    CentreRecord,
    ComplianceReport,
    ComplianceSettings,
    Department,
    Detail,
    Employment,
    Equipment,
    EquipmentStatus,
    EquipmentType,
    Examiner,
    FieldKit,
    Filing,
    Finding,
    Period,
    PracticalField,
    Site,
    StaffMember,
    Tenure,
    Terminal,
    TerminalStatus,
    Value,
    VolumeHistory,
)

CENTRE_FORMAT = "examcentre.centre/1"
REPORT_FORMAT = "examcentre.compliance/1"

NON_QUALIFYING_TITLES: tuple[str, ...] = (
    "助理工程师",
    "技术员",
    "高级工",
    "中级工",
    "初级工",
    "无",
)
KNOWN_TITLES: frozenset[str] = frozenset(DEFAULT_ACCEPTED_TITLES + NON_QUALIFYING_TITLES)
"""Titles the parser recognises; anything else is reported as a probable typo."""


def known_titles_for(settings: ComplianceSettings) -> frozenset[str]:
    """KNOWN_TITLES widened by whatever titles the administrator has chosen to accept."""
    return KNOWN_TITLES | frozenset(settings.accepted_titles)


_ITEM_CODE = re.compile(r"Q1|Q2\(限[^()\s]+\)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input document, and where."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ExchangeError(ValueError):
    """The document could not be read; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


# --- Reading -----------------------------------------------------------------------------------


class _ObjectWithDuplicates(dict[str, Any]):
    """A JSON object that remembers keys given more than once (``json`` keeps only the last)."""

    duplicate_keys: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = _ObjectWithDuplicates(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicates: list[str] = []
        for key, _ in pairs:
            if key in seen:
                duplicates.append(key)
            seen.add(key)
        result.duplicate_keys = tuple(duplicates)
    return result


def load_centre(text: str | bytes, *, known_titles: Collection[str] = KNOWN_TITLES) -> CentreRecord:
    """Parse the text of an ``examcentre.centre/1`` document; bad JSON is an ExchangeError too."""
    try:
        data = json.loads(text, object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as error:
        raise ExchangeError(
            [
                Problem(
                    "$", f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
                )
            ]
        ) from None
    return parse_centre(data, known_titles=known_titles)


def _describe(value: object) -> str:
    """How a wrong value is quoted back in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value, ensure_ascii=False)


E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


class _Reader:
    """Walks a decoded JSON document, collecting every problem instead of stopping at one."""

    def __init__(self, known_titles: Collection[str]) -> None:
        self.problems: list[Problem] = []
        self.known_titles = known_titles

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # Shapes.

    def object(
        self, value: object, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> Mapping[str, Any] | None:
        """The object at ``path`` after checking for unknown, duplicate and missing keys."""
        if not isinstance(value, dict):
            # The root has no name of its own; "$" is the JSONPath convention for it.
            self.problem(path or "$", f"expected an object, got {_describe(value)}")
            return None
        allowed = required + optional
        for key in getattr(value, "duplicate_keys", ()):
            self.problem(_key(path, key), "key given more than once")
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                self.problem(
                    _key(path, key),
                    f'unknown key (did you mean "{hint[0]}"?)' if hint else "unknown key",
                )
        for key in required:
            if value.get(key) is None:
                self.problem(
                    _key(path, key), "required" if key not in value else "must not be null"
                )
        return value

    def list_of(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        read: Callable[[object, str], T | None],
    ) -> tuple[T, ...]:
        """The entries of the list under ``key``, each read by ``read``; bad ones are dropped."""
        value = obj.get(key)
        if value is None:
            return ()
        where = _key(path, key)
        if not isinstance(value, list):
            self.problem(where, f"expected a list, got {_describe(value)}")
            return ()
        entries = (read(entry, f"{where}[{index}]") for index, entry in enumerate(value))
        return tuple(entry for entry in entries if entry is not None)

    # Scalars. Each returns None when the key is absent or null, or when its value is wrong
    # (having recorded the problem); ``object`` has already reported missing required keys.

    def string(self, obj: Mapping[str, Any], key: str, path: str) -> str | None:
        return self._string(obj.get(key), _key(path, key))

    def _string(self, value: object, where: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(where, f"expected a string, got {_describe(value)}")
            return None
        if not value.strip():
            self.problem(where, "must not be empty")
            return None
        return value

    def integer(self, obj: Mapping[str, Any], key: str, path: str) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(_key(path, key), f"expected a whole number, got {_describe(value)}")
            return None
        if value < 0:
            self.problem(_key(path, key), f"must not be negative, got {value}")
            return None
        return value

    def number(self, obj: Mapping[str, Any], key: str, path: str) -> float | None:
        value = obj.get(key)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.problem(_key(path, key), f"expected a number, got {_describe(value)}")
            return None
        if value < 0:
            self.problem(_key(path, key), f"must not be negative, got {value}")
            return None
        return value

    def boolean(self, obj: Mapping[str, Any], key: str, path: str) -> bool | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.problem(_key(path, key), f"expected true or false, got {_describe(value)}")
            return None
        return value

    def date(self, obj: Mapping[str, Any], key: str, path: str) -> date | None:
        value = obj.get(key)
        if value is None:
            return None
        where = _key(path, key)
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            self.problem(where, f"expected a date YYYY-MM-DD, got {_describe(value)}")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problem(where, f"not a calendar date: {_describe(value)}")
            return None

    def choice(self, obj: Mapping[str, Any], key: str, path: str, kind: type[E]) -> E | None:
        value = obj.get(key)
        if value is None:
            return None
        allowed = [member.value for member in kind]
        if not isinstance(value, str) or value not in allowed:
            noun = key.replace("_", " ")
            expected = f"{', '.join(allowed[:-1])} or {allowed[-1]}"
            self.problem(
                _key(path, key), f"unknown {noun} {_describe(value)} (expected {expected})"
            )
            return None
        return kind(value)

    def item_code(self, value: object, where: str) -> str | None:
        code = self._string(value, where)
        if code is None:
            return None
        if not _ITEM_CODE.fullmatch(code):
            self.problem(
                where,
                f"unknown item {_describe(code)} (expected Q1 or Q2(限…), e.g. Q2(限桥式起重机))",
            )
            return None
        return code

    def item_codes(self, obj: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        codes = self.list_of(obj, key, path, self.item_code)
        if key in obj and isinstance(obj[key], list) and not obj[key]:
            self.problem(_key(path, key), "at least one item is required")
        return codes

    def strings(self, obj: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        return self.list_of(obj, key, path, self._string)

    def title(self, obj: Mapping[str, Any], key: str, path: str) -> str | None:
        title = self.string(obj, key, path)
        if title is not None and title not in self.known_titles:
            self.problem(_key(path, key), f"unknown title {_describe(title)}")
            return None
        return title

    # Cross-checks.

    def not_before(
        self, later: date | None, earlier: date | None, path: str, key: str, earlier_key: str
    ) -> None:
        if later is not None and earlier is not None and later < earlier:
            self.problem(_key(path, key), f"{later} is before {earlier_key} {earlier}")

    def unique(self, values: Iterable[tuple[str, str | None]], what: str) -> None:
        """Report every value seen before; ``values`` are (path, value) pairs."""
        seen: set[str] = set()
        for where, value in values:
            if value is None:
                continue
            if value in seen:
                self.problem(where, f"duplicate {what} {_describe(value)}")
            seen.add(value)


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parse_centre(data: object, *, known_titles: Collection[str] = KNOWN_TITLES) -> CentreRecord:
    """Read a decoded ``examcentre.centre/1`` document into a CentreRecord.

    Raises ExchangeError listing every problem (unknown keys, wrong types, bad dates or enum
    values, missing or contradictory facts), each with its JSON path.
    """
    reader = _Reader(known_titles)
    record = _read_document(reader, data)
    if reader.problems or record is None:
        raise ExchangeError(reader.problems)
    return record


def _read_document(r: _Reader, data: object) -> CentreRecord | None:
    top = r.object(
        data,
        "",
        required=("format", "centre"),
        optional=(
            "volume_history",
            "staff",
            "examiners",
            "terminals",
            "equipment",
            "field_kit",
            "site",
        ),
    )
    if top is None:
        return None
    fmt = top.get("format")
    if fmt is not None and fmt != CENTRE_FORMAT:
        r.problem("format", f'unsupported format {_describe(fmt)} (expected "{CENTRE_FORMAT}")')
    centre: Mapping[str, Any] = {}
    if top.get("centre") is not None:  # when absent, ``object`` above has said it is required
        centre = (
            r.object(
                top["centre"],
                "centre",
                required=("code", "name", "items"),
                optional=("department", "landline", "office_address", "planned_annual_volume"),
            )
            or {}
        )
    code = r.string(centre, "code", "centre")
    name = r.string(centre, "name", "centre")
    items = r.item_codes(centre, "items", "centre")
    r.unique(
        (
            (f"centre.items[{i}]", v)
            for i, v in enumerate(_raw_list(centre, "items"))
            if isinstance(v, str)
        ),
        "item",
    )
    landline = r.string(centre, "landline", "centre")
    office_address = r.string(centre, "office_address", "centre")
    planned = r.integer(centre, "planned_annual_volume", "centre")
    department = _read_department(r, centre.get("department"), "centre.department")
    volume_history = None
    if top.get("volume_history") is not None:
        history = r.object(
            top["volume_history"], "volume_history", required=("examined_last_12_months",)
        )
        if history is not None:
            examined = r.integer(history, "examined_last_12_months", "volume_history")
            volume_history = VolumeHistory(examined) if examined is not None else None
    staff = r.list_of(top, "staff", "", lambda v, p: _read_staff(r, v, p))
    examiners = r.list_of(top, "examiners", "", lambda v, p: _read_examiner(r, v, p))
    terminals = r.list_of(top, "terminals", "", lambda v, p: _read_terminal(r, v, p))
    equipment = r.list_of(top, "equipment", "", lambda v, p: _read_equipment(r, v, p))
    _check_unique_ids(r, top, "terminals")
    _check_unique_ids(r, top, "equipment")
    field_kit = _read_field_kit(r, top.get("field_kit"), "field_kit")
    site = _read_site(r, top.get("site"), "site")
    if code is None or name is None or not items:
        return None
    return CentreRecord(
        code=code,
        name=name,
        items=items,
        department=department,
        landline=landline,
        office_address=office_address,
        planned_annual_volume=planned,
        volume_history=volume_history,
        staff=staff,
        examiners=examiners,
        terminals=terminals,
        equipment=equipment,
        field_kit=field_kit,
        site=site,
    )


def _raw_list(obj: Mapping[str, Any], key: str) -> list[Any]:
    value = obj.get(key)
    return value if isinstance(value, list) else []


def _check_unique_ids(r: _Reader, top: Mapping[str, Any], key: str) -> None:
    r.unique(
        (
            (f"{key}[{i}].id", entry.get("id") if isinstance(entry.get("id"), str) else None)
            for i, entry in enumerate(_raw_list(top, key))
            if isinstance(entry, dict)
        ),
        "id",
    )


def _read_department(r: _Reader, value: object, path: str) -> Department | None:
    if value is None:
        return None
    obj = r.object(value, path, required=("name",), optional=("head", "established_on"))
    if obj is None:
        return None
    name = r.string(obj, "name", path)
    head = r.string(obj, "head", path)
    established_on = r.date(obj, "established_on", path)
    return Department(name, head, established_on) if name is not None else None


def _read_staff(r: _Reader, value: object, path: str) -> StaffMember | None:
    obj = r.object(
        value,
        path,
        required=("name", "employment", "active"),
        optional=("roles", "started_on", "ended_on"),
    )
    if obj is None:
        return None
    name = r.string(obj, "name", path)
    employment = r.choice(obj, "employment", path, Employment)
    active = r.boolean(obj, "active", path)
    roles = r.strings(obj, "roles", path)
    started_on = r.date(obj, "started_on", path)
    ended_on = r.date(obj, "ended_on", path)
    r.not_before(ended_on, started_on, path, "ended_on", "started_on")
    if name is None or employment is None or active is None:
        return None
    return StaffMember(name, employment, active, roles, started_on, ended_on)


def _read_period(r: _Reader, value: object, path: str) -> Period | None:
    obj = r.object(value, path, required=("from",), optional=("to",))
    if obj is None:
        return None
    start = r.date(obj, "from", path)
    end = r.date(obj, "to", path)
    r.not_before(end, start, path, "to", "from")
    return Period(start, end) if start is not None else None


def _read_filing(r: _Reader, value: object, path: str) -> Filing | None:
    obj = r.object(
        value, path, required=("item", "reference", "filed_on"), optional=("expires_on",)
    )
    if obj is None:
        return None
    item = r.item_code(obj.get("item"), _key(path, "item"))
    reference = r.string(obj, "reference", path)
    filed_on = r.date(obj, "filed_on", path)
    expires_on = r.date(obj, "expires_on", path)
    r.not_before(expires_on, filed_on, path, "expires_on", "filed_on")
    if item is None or reference is None or filed_on is None:
        return None
    return Filing(item, reference, filed_on, expires_on)


def _read_examiner(r: _Reader, value: object, path: str) -> Examiner | None:
    obj = r.object(
        value,
        path,
        required=("name", "items"),
        optional=(
            "employment",
            "title",
            "practical_experience",
            "teaching_experience",
            "filings",
        ),
    )
    if obj is None:
        return None
    name = r.string(obj, "name", path)
    items = r.item_codes(obj, "items", path)
    employment = r.choice(obj, "employment", path, Employment)
    title = r.title(obj, "title", path)
    practical = r.list_of(obj, "practical_experience", path, lambda v, p: _read_period(r, v, p))
    teaching = r.list_of(obj, "teaching_experience", path, lambda v, p: _read_period(r, v, p))
    filings = r.list_of(obj, "filings", path, lambda v, p: _read_filing(r, v, p))
    if name is None or not items:
        return None
    return Examiner(name, items, employment, title, practical, teaching, filings)


def _read_terminal(r: _Reader, value: object, path: str) -> Terminal | None:
    obj = r.object(value, path, required=("id", "status"), optional=("location",))
    if obj is None:
        return None
    terminal_id = r.string(obj, "id", path)
    status = r.choice(obj, "status", path, TerminalStatus)
    location = r.string(obj, "location", path)
    if terminal_id is None or status is None:
        return None
    return Terminal(terminal_id, status, location)


def _read_equipment(r: _Reader, value: object, path: str) -> Equipment | None:
    obj = r.object(
        value,
        path,
        required=("id", "type", "status"),
        optional=(
            "has_cab",
            "registration_no",
            "next_inspection_due",
            "luffing",
            "slewing",
            "modules",
        ),
    )
    if obj is None:
        return None
    equipment_id = r.string(obj, "id", path)
    kind = r.choice(obj, "type", path, EquipmentType)
    status = r.choice(obj, "status", path, EquipmentStatus)
    has_cab = r.boolean(obj, "has_cab", path)
    registration_no = r.string(obj, "registration_no", path)
    next_inspection_due = r.date(obj, "next_inspection_due", path)
    luffing = r.boolean(obj, "luffing", path)
    slewing = r.boolean(obj, "slewing", path)
    modules = r.strings(obj, "modules", path)
    if equipment_id is None or kind is None or status is None:
        return None
    return Equipment(
        equipment_id,
        kind,
        status,
        has_cab,
        registration_no,
        next_inspection_due,
        luffing,
        slewing,
        modules,
    )


def _read_field_kit(r: _Reader, value: object, path: str) -> FieldKit | None:
    if value is None:
        return None
    obj = r.object(
        value,
        path,
        required=(),
        optional=(
            "bump_poles_with_signs",
            "warning_lines",
            "safety_facilities",
            "signal_flags",
            "whistles",
            "signal_wall_chart",
            "ppe",
        ),
    )
    if obj is None:
        return None
    ppe: list[tuple[str, int]] = []
    raw_ppe = obj.get("ppe")
    if raw_ppe is not None:
        ppe_path = _key(path, "ppe")
        # Kinds are an open vocabulary (see the module docstring): every key is allowed.
        kinds = tuple(raw_ppe) if isinstance(raw_ppe, dict) else ()
        stock = r.object(raw_ppe, ppe_path, required=(), optional=kinds) or {}
        for kind in stock:
            if stock[kind] is None:
                r.problem(_key(ppe_path, kind), "expected a whole number, got null")
            count = r.integer(stock, kind, ppe_path)
            if count is not None:
                ppe.append((kind, count))
    return FieldKit(
        bump_poles_with_signs=r.integer(obj, "bump_poles_with_signs", path),
        warning_lines=r.boolean(obj, "warning_lines", path),
        safety_facilities=r.boolean(obj, "safety_facilities", path),
        signal_flags=r.integer(obj, "signal_flags", path),
        whistles=r.integer(obj, "whistles", path),
        signal_wall_chart=r.boolean(obj, "signal_wall_chart", path),
        ppe=tuple(ppe),
    )


def _read_practical_field(r: _Reader, value: object, path: str) -> PracticalField | None:
    obj = r.object(value, path, required=("name", "area_m2"))
    if obj is None:
        return None
    name = r.string(obj, "name", path)
    area = r.number(obj, "area_m2", path)
    if name is None or area is None:
        return None
    return PracticalField(name, area)


def _read_site(r: _Reader, value: object, path: str) -> Site | None:
    if value is None:
        return None
    obj = r.object(
        value,
        path,
        required=("tenure",),
        optional=("lease_start", "lease_end", "practical_fields"),
    )
    if obj is None:
        return None
    tenure = r.choice(obj, "tenure", path, Tenure)
    lease_start = r.date(obj, "lease_start", path)
    lease_end = r.date(obj, "lease_end", path)
    for key in ("lease_start", "lease_end"):
        if tenure is Tenure.LEASED and obj.get(key) is None:
            r.problem(_key(path, key), 'required when tenure is "leased"')
        if tenure is Tenure.OWNED and obj.get(key) is not None:
            r.problem(_key(path, key), 'only allowed when tenure is "leased"')
    r.not_before(lease_end, lease_start, path, "lease_end", "lease_start")
    fields = r.list_of(obj, "practical_fields", path, lambda v, p: _read_practical_field(r, v, p))
    if tenure is None:
        return None
    return Site(tenure, lease_start, lease_end, fields)


# --- Writing -----------------------------------------------------------------------------------


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _without_none(pairs: Mapping[str, Any]) -> dict[str, Any]:
    """Leave out optional keys that have no value, as the contract's example does."""
    return {key: value for key, value in pairs.items() if value is not None}


def centre_to_json(record: CentreRecord) -> dict[str, Any]:
    """The ``examcentre.centre/1`` document for ``record``; ``parse_centre`` reads it back equal."""
    department = record.department
    site = record.site
    kit = record.field_kit
    document: dict[str, Any] = {
        "format": CENTRE_FORMAT,
        "centre": _without_none(
            {
                "code": record.code,
                "name": record.name,
                "items": list(record.items),
                "department": None
                if department is None
                else _without_none(
                    {
                        "name": department.name,
                        "head": department.head,
                        "established_on": _iso(department.established_on),
                    }
                ),
                "landline": record.landline,
                "office_address": record.office_address,
                "planned_annual_volume": record.planned_annual_volume,
            }
        ),
    }
    if record.volume_history is not None:
        document["volume_history"] = {
            "examined_last_12_months": record.volume_history.examined_last_12_months
        }
    document["staff"] = [
        _without_none(
            {
                "name": member.name,
                "employment": member.employment.value,
                "roles": list(member.roles),
                "active": member.active,
                "started_on": _iso(member.started_on),
                "ended_on": _iso(member.ended_on),
            }
        )
        for member in record.staff
    ]
    document["examiners"] = [_examiner_to_json(examiner) for examiner in record.examiners]
    document["terminals"] = [
        _without_none({"id": t.id, "status": t.status.value, "location": t.location})
        for t in record.terminals
    ]
    document["equipment"] = [_equipment_to_json(e) for e in record.equipment]
    if kit is not None:
        document["field_kit"] = _without_none(
            {
                "bump_poles_with_signs": kit.bump_poles_with_signs,
                "warning_lines": kit.warning_lines,
                "safety_facilities": kit.safety_facilities,
                "signal_flags": kit.signal_flags,
                "whistles": kit.whistles,
                "signal_wall_chart": kit.signal_wall_chart,
                "ppe": dict(kit.ppe),
            }
        )
    if site is not None:
        document["site"] = _without_none(
            {
                "tenure": site.tenure.value,
                "lease_start": _iso(site.lease_start),
                "lease_end": _iso(site.lease_end),
                "practical_fields": [
                    {"name": f.name, "area_m2": f.area_m2} for f in site.practical_fields
                ],
            }
        )
    return document


def _period_to_json(period: Period) -> dict[str, Any]:
    # "to": null is spelled out: it means "ongoing", as in the contract's example.
    return {"from": period.start.isoformat(), "to": _iso(period.end)}


def _examiner_to_json(examiner: Examiner) -> dict[str, Any]:
    return _without_none(
        {
            "name": examiner.name,
            "employment": examiner.employment.value if examiner.employment else None,
            "items": list(examiner.items),
            "title": examiner.title,
            "practical_experience": [_period_to_json(p) for p in examiner.practical_experience],
            "teaching_experience": [_period_to_json(p) for p in examiner.teaching_experience],
            "filings": [
                {
                    "item": f.item,
                    "reference": f.reference,
                    "filed_on": f.filed_on.isoformat(),
                    "expires_on": _iso(f.expires_on),
                }
                for f in examiner.filings
            ],
        }
    )


def _equipment_to_json(equipment: Equipment) -> dict[str, Any]:
    return _without_none(
        {
            "id": equipment.id,
            "type": equipment.type.value,
            "has_cab": equipment.has_cab,
            "status": equipment.status.value,
            "registration_no": equipment.registration_no,
            "next_inspection_due": _iso(equipment.next_inspection_due),
            "modules": list(equipment.modules) if equipment.modules else None,
            "luffing": equipment.luffing,
            "slewing": equipment.slewing,
        }
    )


def _value_to_json(value: Value) -> Any:
    return list(value) if isinstance(value, tuple) else value


def settings_to_json(settings: ComplianceSettings) -> dict[str, Any]:
    """Every setting, so a report states exactly which readings it applied."""
    return {
        "terminal_base": settings.terminal_base,
        "terminal_step": settings.terminal_step,
        "volume_threshold": settings.volume_threshold,
        "accepted_titles": list(settings.accepted_titles),
        "strict_examiner_overlap": settings.strict_examiner_overlap,
        "min_practical_months": settings.min_practical_months,
        "min_teaching_months": settings.min_teaching_months,
        "long_lease_years": settings.long_lease_years,
        "lease_min_months_remaining": settings.lease_min_months_remaining,
        "warning_days": settings.warning_days,
        "coverage_factor": settings.coverage_factor,
        "min_field_area_m2": settings.min_field_area_m2,
        "ppe_required": list(settings.ppe_required),
        "mobile_counts_as_landline": settings.mobile_counts_as_landline,
    }


def _detail_to_json(detail: Detail) -> dict[str, str]:
    return {"subject": detail.subject, "message": detail.message, "message_en": detail.message_en}


def finding_to_json(finding: Finding) -> dict[str, Any]:
    """One finding: the contract's keys first, then action, reading and details."""
    return {
        "rule": finding.rule,
        "clause": finding.clause,
        "status": finding.status.value,
        "required": _value_to_json(finding.required),
        "actual": _value_to_json(finding.actual),
        "message": finding.message,
        "message_en": finding.message_en,
        "action": finding.action,
        "action_en": finding.action_en,
        "reading": finding.reading,
        "details": [_detail_to_json(detail) for detail in finding.details],
    }


def report_to_json(report: ComplianceReport) -> dict[str, Any]:
    """The ``examcentre.compliance/1`` document for ``report``."""
    return {
        "format": REPORT_FORMAT,
        "centre": report.centre,
        "evaluated_on": report.evaluated_on.isoformat(),
        "annual_volume": report.annual_volume,
        "compliant": report.compliant,
        "settings": settings_to_json(report.settings),
        "findings": [finding_to_json(finding) for finding in report.findings],
    }
