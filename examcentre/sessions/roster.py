"""Importing a session's roster of approved candidates from CSV or Excel. Pure: bytes in.

Columns (the header is the first line; order does not matter; case, spaces and full-width
brackets in headers are ignored):

=================  ===============================================  ========
field              accepted headers                                 needed
=================  ===============================================  ========
``id_number``      id_number, 身份证号, 身份证号码, 公民身份号码         yes
``name``           name, 姓名                                         yes
``gender``         gender, 性别                                       no
``employer``       employer, 工作单位, 用人单位                        no
``phone``          phone, 联系电话, 手机, 手机号, 手机号码              no
``application_no`` application_no, 申请编号, 报名编号                   no
``item``           item, 考试项目, 作业项目                            no
=================  ===============================================  ========

A ``序号`` (or ``no``) column, as Chinese spreadsheets often have, is ignored; any other
column is refused, so that a misspelt header cannot silently drop data.

- ``gender``, if given (男/女, M/F, male/female, or 1/2 as on the provincial platform),
  must agree with the ID number (GB 11643-1999: odd sequence code = male).
- ``item`` is a code (``Q1``, ``Q2(限桥式起重机)``) or its certificate name
  (``起重机指挥``, ``起重机司机(限桥式起重机)``), domain.md §2.1. It must be the session's
  item. Without the column, every row takes the session's item.
- ``phone``, if given, must look like a mainland mobile (11 digits from 13x to 19x, an
  optional +86) or a landline with its area code (0 + 2-3 digits, then 7-8 digits, an
  optional extension).

Every row is checked and every problem listed (``RosterProblem``); the caller imports
nothing unless ``RosterResult.ok``. Rows are numbered as lines of the file, the header
being row 1; row 0 means the file as a whole. Blank rows are skipped (their numbers still
count). CSV is read as UTF-8 (with or without a BOM), failing that as GB18030 (what Excel
saves as "CSV" on a Chinese Windows). Excel files are .xlsx (the first sheet); an old .xls
must be saved again as .xlsx or CSV.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from ..idnumber import IdNumberProblem, InvalidIdNumber, normalise, parse_id_number
from .eligibility import DEFAULT_SETTINGS, EligibilitySettings, Sitting, check_eligibility

FIELDS = ("id_number", "name", "gender", "employer", "phone", "application_no", "item")
REQUIRED_FIELDS = ("id_number", "name")
HEADER_ALIASES: dict[str, str] = {
    "id_number": "id_number",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "name": "name",
    "姓名": "name",
    "gender": "gender",
    "性别": "gender",
    "employer": "employer",
    "工作单位": "employer",
    "用人单位": "employer",
    "phone": "phone",
    "联系电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "application_no": "application_no",
    "申请编号": "application_no",
    "报名编号": "application_no",
    "item": "item",
    "考试项目": "item",
    "作业项目": "item",
}
IGNORED_HEADERS = frozenset({"序号", "no", "no."})
TEMPLATE_HEADERS_ZH = ("身份证号", "姓名", "性别", "工作单位", "联系电话", "申请编号", "考试项目")

# Certificate names of the crane items (domain.md §2.1), accepted in place of the code.
ITEM_NAMES: dict[str, str] = {
    "起重机指挥": "Q1",
    "起重机司机(限桥式起重机)": "Q2(限桥式起重机)",
    "起重机司机(限门式起重机)": "Q2(限门式起重机)",
    "起重机司机(限塔式起重机)": "Q2(限塔式起重机)",
    "起重机司机(限门座式起重机)": "Q2(限门座式起重机)",
    "起重机司机(限缆索式起重机)": "Q2(限缆索式起重机)",
    "起重机司机(限流动式起重机)": "Q2(限流动式起重机)",
}
GENDERS: dict[str, str] = {
    "男": "M",
    "女": "F",
    "m": "M",
    "f": "F",
    "male": "M",
    "female": "F",
    "1": "M",
    "2": "F",
}
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")

ID_PROBLEM_MESSAGES: dict[IdNumberProblem, str] = {
    IdNumberProblem.EMPTY: "missing",
    IdNumberProblem.OLD_15_DIGIT: "old 15-digit number; enter the 18-digit one",
    IdNumberProblem.WRONG_LENGTH: "wrong length ({detail} characters, expected 18)",
    IdNumberProblem.BAD_CHARACTER: "bad character (position:character {detail})",
    IdNumberProblem.UNKNOWN_REGION: "unknown province code {detail}",
    IdNumberProblem.BAD_BIRTH_DATE: "impossible birth date {detail}",
    IdNumberProblem.BIRTH_DATE_IN_FUTURE: "birth date {detail} is after the exam date",
    IdNumberProblem.CHECK_DIGIT: "check digit does not match",
}


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One approved candidate, checked and normalised."""

    row: int
    id_number: str
    name: str
    gender: str  # "M" or "F", from the ID number
    birth_date: datetime.date
    employer: str | None
    phone: str | None
    application_no: str | None
    item: str
    is_retake: bool


@dataclass(frozen=True, slots=True)
class RosterProblem:
    """What is wrong, and where (``row`` is the file line; 0 is the whole file)."""

    row: int
    reason: str

    def format(self, filename: str) -> str:
        """``roster.csv:3: reason``, or ``roster.csv: reason`` for the whole file."""
        if self.row == 0:
            return f"{filename}: {self.reason}"
        return f"{filename}:{self.row}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RosterResult:
    """The rows, only when there is no problem at all; else no rows and every problem."""

    rows: tuple[RosterRow, ...]
    problems: tuple[RosterProblem, ...]

    @property
    def ok(self) -> bool:
        """True when the roster may be imported."""
        return not self.problems


class _Unreadable(ValueError):
    pass


def roster_template_csv() -> str:
    """The header line of an empty roster, in Chinese (encode it as UTF-8 with a BOM for Excel)."""
    return ",".join(TEMPLATE_HEADERS_ZH) + "\r\n"


def normalise_item(raw: str) -> str:
    """An item as written (code or certificate name, any bracket width) to its code."""
    text = "".join(unicodedata.normalize("NFKC", raw).split())
    text = text.replace("（", "(").replace("）", ")")
    text = ITEM_NAMES.get(text, text)
    return text[:1].upper() + text[1:]


def normalise_phone(raw: str) -> str | None:
    """A plausible mainland number without spaces or +86, or None if it is not one."""
    text = "".join(unicodedata.normalize("NFKC", raw).split()).replace("(", "").replace(")", "")
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :].lstrip("-")
    if _MOBILE.fullmatch(text.replace("-", "")):
        return text.replace("-", "")
    if _LANDLINE.fullmatch(text):
        return text
    return None


def _header_key(raw: str) -> str:
    text = "".join(unicodedata.normalize("NFKC", raw).split()).lower()
    return text.replace("-", "_").strip("*")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_csv(data: bytes) -> list[list[object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise _Unreadable("the file is neither UTF-8 nor GB18030 text") from None
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as error:
        raise _Unreadable(f"not a readable CSV file ({error})") from None


def _read_xlsx(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook  # openpyxl is slow to import; only Excel needs it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise _Unreadable(f"not a readable .xlsx file ({error})") from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _read_table(filename: str, data: bytes) -> list[list[object]]:
    lower = filename.lower()
    if lower.endswith(".xls"):
        raise _Unreadable("old Excel .xls files are not read; save it as .xlsx or CSV")
    if lower.endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    return _read_csv(data)


def _is_blank(row: Iterable[object]) -> bool:
    return all(_cell_text(cell) == "" for cell in row)


def _read_header(header: Sequence[object]) -> tuple[dict[str, int], list[RosterProblem]]:
    columns: dict[str, int] = {}
    problems: list[RosterProblem] = []
    for index, cell in enumerate(header):
        raw = _cell_text(cell)
        key = _header_key(raw)
        if key == "" or key in IGNORED_HEADERS:
            continue
        field = HEADER_ALIASES.get(key)
        if field is None:
            problems.append(RosterProblem(1, f"unknown column {raw!r}"))
        elif field in columns:
            problems.append(RosterProblem(1, f"column {raw!r} repeats the {field} column"))
        else:
            columns[field] = index
    for field in REQUIRED_FIELDS:
        if field not in columns:
            problems.append(RosterProblem(1, f"missing column {field}"))
    return columns, problems


def _id_message(error: InvalidIdNumber) -> str:
    template = ID_PROBLEM_MESSAGES[error.problem]
    return "resident ID number: " + template.format(detail=error.detail)


def parse_roster(
    filename: str,
    data: bytes,
    *,
    session_item: str,
    exam_date: datetime.date,
    capacity: int,
    already_enrolled: int = 0,
    existing_id_numbers: Collection[str] = (),
    settings: EligibilitySettings = DEFAULT_SETTINGS,
    history_for: Callable[[str], Sequence[Sitting]] | None = None,
) -> RosterResult:
    """Check a whole roster file against the session; every problem is listed.

    ``capacity`` is the session's number of places, ``already_enrolled`` how many are
    taken, ``existing_id_numbers`` who holds them. ``history_for(id_number)`` gives a
    candidate's earlier sittings (see ``eligibility``); without it nobody has a history.
    """
    try:
        table = _read_table(filename, data)
    except _Unreadable as error:
        return RosterResult((), (RosterProblem(0, str(error)),))
    while table and _is_blank(table[-1]):
        table.pop()
    if not table:
        return RosterResult((), (RosterProblem(0, "the file is empty"),))
    columns, problems = _read_header(table[0])
    if problems:
        return RosterResult((), tuple(problems))

    session_code = normalise_item(session_item)
    enrolled = {normalise(n) for n in existing_id_numbers}
    seen_ids: dict[str, int] = {}
    seen_applications: dict[str, int] = {}
    places_left = max(capacity - already_enrolled, 0)
    candidates_so_far = 0
    rows: list[RosterRow] = []

    for row_number, cells in enumerate(table[1:], start=2):
        if _is_blank(cells):
            continue
        candidates_so_far += 1
        row_problems: list[str] = []

        def cell(field: str, cells: Sequence[object] = cells) -> object:
            index = columns.get(field)
            return cells[index] if index is not None and index < len(cells) else None

        if candidates_so_far == places_left + 1:
            row_problems.append(
                f"over capacity: the session has {capacity} places"
                f" ({already_enrolled} already taken)"
            )

        raw_id = cell("id_number")
        resident = None
        if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
            row_problems.append(
                "resident ID number: stored as a number, which loses digits;"
                " format the column as text"
            )
        else:
            try:
                resident = parse_id_number(_cell_text(raw_id), on=exam_date)
            except InvalidIdNumber as error:
                row_problems.append(_id_message(error))

        name = _cell_text(cell("name"))
        if not name:
            row_problems.append("name: missing")

        raw_gender = _cell_text(cell("gender"))
        if raw_gender:
            gender = GENDERS.get(raw_gender.lower())
            if gender is None:
                row_problems.append(f"gender: {raw_gender!r} is not one of 男, 女, M, F")
            elif resident is not None and gender != resident.gender:
                from_id = "male" if resident.gender == "M" else "female"
                row_problems.append(
                    f"gender: {raw_gender!r} does not match the resident ID number ({from_id})"
                )

        raw_phone = _cell_text(cell("phone"))
        phone = normalise_phone(raw_phone) if raw_phone else None
        if raw_phone and phone is None:
            row_problems.append(
                f"phone: {raw_phone!r} is not a plausible Chinese mobile or landline number"
            )

        if "item" in columns:
            raw_item = _cell_text(cell("item"))
            item = normalise_item(raw_item) if raw_item else ""
            if not raw_item:
                row_problems.append("item: missing")
            elif item != session_code:
                row_problems.append(
                    f"item {raw_item!r} does not match this session's item {session_item!r}"
                )
        else:
            item = session_code

        application_no = _cell_text(cell("application_no")) or None
        if application_no is not None:
            if application_no in seen_applications:
                row_problems.append(
                    f"duplicate: same application number as row {seen_applications[application_no]}"
                )
            else:
                seen_applications[application_no] = row_number

        is_retake = False
        if resident is not None:
            if resident.number in seen_ids:
                row_problems.append(
                    f"duplicate: same resident ID number as row {seen_ids[resident.number]}"
                )
            else:
                seen_ids[resident.number] = row_number
            if resident.number in enrolled:
                row_problems.append("already enrolled in this session")
            history = history_for(resident.number) if history_for is not None else ()
            verdict = check_eligibility(resident, session_code, exam_date, history, settings)
            row_problems.extend(f"not eligible: {r.message_en}" for r in verdict.reasons)
            is_retake = verdict.is_retake

        problems.extend(RosterProblem(row_number, reason) for reason in row_problems)
        if not row_problems and resident is not None:
            rows.append(
                RosterRow(
                    row=row_number,
                    id_number=resident.number,
                    name=name,
                    gender=resident.gender,
                    birth_date=resident.birth_date,
                    employer=_cell_text(cell("employer")) or None,
                    phone=phone,
                    application_no=application_no,
                    item=item,
                    is_retake=is_retake,
                )
            )

    if candidates_so_far == 0:
        problems.append(RosterProblem(0, "no candidates below the header"))
    if problems:
        return RosterResult((), tuple(problems))
    return RosterResult(tuple(rows), ())
