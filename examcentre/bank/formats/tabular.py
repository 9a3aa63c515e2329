"""Question tables, one question per row: CSV (UTF-8) and XLSX, read and written.

The first row names the columns, in English (``type``, ``stem``, ``option_a`` ...) or with
the Chinese headings staff use (题型, 题干, 选项A ...); see question_bank/IMPORT-FORMATS.md.
Both formats share one row reader, so a row means the same in either.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from .checks import (
    check_question,
    clean_block,
    clean_inline,
    clean_stem,
    find_duplicates,
    is_meaningful_stem,
    parse_type,
)
from .model import (
    AREAS,
    CHOICE_TYPES,
    LEVELS,
    OPTION_LETTERS,
    ImportProblem,
    ParsedQuestion,
    ParseResult,
    unreadable,
)

_Value = TypeVar("_Value")

OPTION_COLUMNS = tuple(f"option_{letter.lower()}" for letter in OPTION_LETTERS)
EN_OPTION_COLUMNS = tuple(f"en_option_{letter.lower()}" for letter in OPTION_LETTERS)
COLUMNS: tuple[str, ...] = (
    "id",
    "type",
    "area",
    "point",
    "difficulty",
    "level",
    "critical",
    "stem",
    *OPTION_COLUMNS,
    "answer",
    "explanation",
    "reference",
    "en_stem",
    *EN_OPTION_COLUMNS,
    "en_explanation",
)
REQUIRED_COLUMNS = ("type", "stem", "answer")

# Chinese headings (and a few English variants) staff put in their spreadsheets, keyed by
# their normalised form (see `_header_key`). Documented in IMPORT-FORMATS.md.
COLUMN_ALIASES: dict[str, str] = {
    "编号": "id",
    "题号": "id",
    "试题编号": "id",
    "题型": "type",
    "类型": "type",
    "试题类型": "type",
    "领域": "area",
    "知识领域": "area",
    "考核领域": "area",
    "知识点": "point",
    "考点": "point",
    "考核点": "point",
    "难度": "difficulty",
    "认知层次": "level",
    "层次": "level",
    "掌握程度": "level",
    "考核要求": "level",
    "关键题": "critical",
    "安全关键": "critical",
    "是否关键": "critical",
    "题干": "stem",
    "题目": "stem",
    "试题": "stem",
    "question": "stem",
    "答案": "answer",
    "正确答案": "answer",
    "标准答案": "answer",
    "参考答案": "answer",
    "解析": "explanation",
    "答案解析": "explanation",
    "试题解析": "explanation",
    "依据": "reference",
    "出处": "reference",
    "参考依据": "reference",
    "标准依据": "reference",
    "英文题干": "en_stem",
    "题干(英文)": "en_stem",
    "英文解析": "en_explanation",
    "解析(英文)": "en_explanation",
    "external_id": "id",
}
for _letter in OPTION_LETTERS:
    _lower = _letter.lower()
    COLUMN_ALIASES.update(
        {
            f"选项{_lower}": f"option_{_lower}",
            _lower: f"option_{_lower}",
            f"option{_lower}": f"option_{_lower}",
            f"英文选项{_lower}": f"en_option_{_lower}",
            f"选项{_lower}(英文)": f"en_option_{_lower}",
        }
    )

_AREA_NAMES = {
    **{area: area for area in AREAS},
    "ba": "basics",
    "op": "operation",
    "lw": "law",
    "专业基础知识": "basics",
    "基础知识": "basics",
    "安全使用操作知识": "operation",
    "安全操作知识": "operation",
    "操作知识": "operation",
    "操作": "operation",
    "基础": "basics",
    "法规知识": "law",
    "法律法规": "law",
    "法规": "law",
}
_LEVEL_NAMES = {
    **{level: level for level in LEVELS},
    "know": "了解",
    "understand": "理解",
    "master": "掌握",
}
_DIFFICULTY_NAMES = {"1": 1, "2": 2, "3": 3, "易": 1, "容易": 1, "中": 2, "中等": 2, "难": 3}
_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "√"})
_FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "×", ""})
# Excel runs a cell starting with one of these as a formula; the CSV writer puts a quote
# in front (Excel's own "this is text" mark) and the reader takes it off again.
_FORMULA_LIKE = re.compile(r"'*[=+\-@]")
_GUARDED_FORMULA = re.compile(r"'+[=+\-@]")
_PARENTHESISED = re.compile(r"\(.*?\)")


def parse_csv(text: str) -> ParseResult:
    """Read a CSV question table (the header row names the columns)."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" export is tab-separated; a header tells which one we have.
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    last_line = 0
    try:
        for cells in reader:
            # A row may span lines (a newline inside a quoted cell): it starts after the last.
            rows.append((last_line + 1, [_strip_formula_guard(cell) for cell in cells]))
            last_line = reader.line_num
    except csv.Error as error:
        return ParseResult(
            (), (ImportProblem(reader.line_num, "unreadable_file", f"not a valid CSV: {error}"),)
        )
    return _parse_rows(rows)


def parse_xlsx(data: bytes) -> ParseResult:
    """Read the first worksheet of an XLSX workbook as a question table."""
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    # openpyxl raises many kinds of error for a damaged or foreign file; all mean the same
    # thing to staff: the file is not a workbook we can read.
    except Exception as error:
        return unreadable(f"not a readable .xlsx workbook ({type(error).__name__})")
    sheet = workbook.worksheets[0]
    rows = [
        (row_number, [_cell_text(value) for value in values])
        for row_number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
    ]
    return _parse_rows(rows)


def write_csv(questions: Sequence[ParsedQuestion]) -> str:
    """A CSV table of `questions`, starting with a BOM so that Excel reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for question in questions:
        writer.writerow([_add_formula_guard(str(value)) for value in _row_values(question)])
    return "\ufeff" + buffer.getvalue()


def write_xlsx(questions: Sequence[ParsedQuestion]) -> bytes:
    """An XLSX workbook of `questions`: one sheet, header row frozen."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = "questions"
    sheet.append(list(COLUMNS))
    for question in questions:
        sheet.append(
            [
                ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
                for value in _row_values(question)
            ]
        )
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                # Text is text: without this "=..." would be stored as a formula.
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        width = 48 if column in ("stem", "en_stem", "explanation", "en_explanation") else 16
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXAMPLE_QUESTION = ParsedQuestion(
    line=2,
    type="single",
    stem="桥式起重机吊钩出现下列哪种情况时必须报废？（  ）",
    options=("钩身表面有少量油污", "危险断面出现裂纹", "防脱棘爪油漆剥落", "钩尾螺母有防松措施"),
    answer="B",
    area="basics",
    point="Q2-BA-HOOK",
    difficulty=1,
    level="掌握",
    critical=True,
    explanation="吊钩出现裂纹必须报废，且不得焊补。",
    reference="GB 6067.1-2010",
    en_stem="In which case must a bridge-crane hook be scrapped?",
    en_options=(
        "A little grease on the hook body",
        "A crack at the critical section",
        "Flaking paint on the safety latch",
        "The shank nut is locked",
    ),
    en_explanation="A cracked hook must be scrapped and must never be welded.",
)


def csv_template() -> str:
    """A CSV with the header row and one example question, for "download a template"."""
    return write_csv([EXAMPLE_QUESTION])


def xlsx_template() -> bytes:
    """An XLSX with the header row and one example question."""
    return write_xlsx([EXAMPLE_QUESTION])


def looks_like_table(text: str) -> bool:
    """True when the first non-empty line is a tab-separated header of known columns.

    Excel's "Unicode text" export is such a table saved as .txt; it must not be read as
    the plain-text layout.
    """
    first_line = next((line for line in text.lstrip("\ufeff").splitlines() if line.strip()), "")
    headings = [cell for cell in first_line.split("\t") if cell.strip()]
    return len(headings) >= 2 and all(_column_name(cell) for cell in headings)


def _parse_rows(rows: Iterable[tuple[int, list[str]]]) -> ParseResult:
    """The format-independent part: header, then one question per non-empty row."""
    non_empty = [(line, cells) for line, cells in rows if any(cell.strip() for cell in cells)]
    if not non_empty:
        return ParseResult((), (ImportProblem(1, "no_questions", "the file is empty"),))
    (header_line, header), data_rows = non_empty[0], non_empty[1:]
    columns, problems = _read_header(header_line, header, data_rows)
    if any(problem.code in ("missing_column", "missing_header") for problem in problems):
        # Without type, stem or answer every row would only repeat the header's problem.
        return ParseResult((), tuple(problems))
    questions = []
    for line, cells in data_rows:
        values = {
            name: cells[index] if index < len(cells) else "" for index, name in columns.items()
        }
        question, row_problems = _read_row(line, values)
        problems.extend(row_problems)
        if question is not None:
            questions.append(question)
    problems.extend(find_duplicates(questions))
    if not data_rows:
        problems.append(ImportProblem(header_line, "no_questions", "there is no question row"))
    problems.sort(key=lambda problem: problem.line)
    return ParseResult(tuple(questions), tuple(problems))


def _read_header(
    line: int, header: list[str], data_rows: list[tuple[int, list[str]]]
) -> tuple[dict[int, str], list[ImportProblem]]:
    """Map column positions to column names; report unknown, repeated and missing columns."""
    columns: dict[int, str] = {}
    problems: list[ImportProblem] = []
    for index, heading in enumerate(header):
        if not heading.strip():
            if any(index < len(cells) and cells[index].strip() for _, cells in data_rows):
                problems.append(
                    ImportProblem(
                        line, "unknown_column", f"column {index + 1} holds data but has no heading"
                    )
                )
            continue
        name = _column_name(heading)
        if name is None:
            problems.append(
                ImportProblem(line, "unknown_column", f'unknown column "{heading.strip()}"')
            )
        elif name in columns.values():
            problems.append(
                ImportProblem(line, "duplicate_column", f'column "{heading.strip()}" appears twice')
            )
        else:
            columns[index] = name
    if not columns:
        shown = ", ".join(cell.strip() for cell in header if cell.strip())[:60]
        return columns, [
            ImportProblem(
                line,
                "missing_header",
                f'the first row must name the columns (type, stem, answer, ...), not "{shown}"',
            )
        ]
    for required in REQUIRED_COLUMNS:
        if required not in columns.values():
            problems.append(
                ImportProblem(
                    line, "missing_column", f'the required column "{required}" is missing'
                )
            )
    return columns, problems


def _read_row(
    line: int, values: dict[str, str]
) -> tuple[ParsedQuestion | None, list[ImportProblem]]:
    """One question from one row; every problem in the row is reported."""
    problems: list[ImportProblem] = []

    def report(code: str, reason: str) -> None:
        problems.append(ImportProblem(line, code, reason))

    def value(column: str) -> str:
        return values.get(column, "")

    raw_type = clean_inline(value("type"))
    question_type = parse_type(raw_type)
    if question_type is None:
        report(
            "bad_type",
            f'type "{raw_type}" is not one of true_false, single, multiple (判断, 单选, 多选)',
        )
    stem = clean_stem(value("stem"), question_type or "single")
    options = _filled_prefix([clean_inline(value(column)) for column in OPTION_COLUMNS])
    answer: str | None = None
    if question_type is not None:
        answer, core_problems = check_question(line, question_type, stem, options, value("answer"))
        problems.extend(core_problems)
    elif not is_meaningful_stem(stem):
        report("empty_stem", "the question has no stem (question text)")

    area, known = _lookup(value("area"), _AREA_NAMES)
    if not known:
        report("bad_area", f'area "{clean_inline(value("area"))}" is not basics, operation or law')
    difficulty, known = _lookup(value("difficulty"), _DIFFICULTY_NAMES)
    if not known:
        report(
            "bad_difficulty",
            f'difficulty "{clean_inline(value("difficulty"))}" is not 1, 2 or 3',
        )
    level, known = _lookup(value("level"), _LEVEL_NAMES)
    if not known:
        report("bad_level", f'level "{clean_inline(value("level"))}" is not 了解, 理解 or 掌握')
    critical = _critical(value("critical"))
    if critical is None:
        report(
            "bad_critical",
            f'critical "{clean_inline(value("critical"))}" is not true/false, 是/否 or 1/0',
        )

    en_stem = clean_inline(value("en_stem")) or None
    en_options = _filled_prefix([clean_inline(value(column)) for column in EN_OPTION_COLUMNS])
    if en_options and not en_stem:
        report("missing_en_stem", "English options are given but the English stem is empty")
    # A translated choice question needs its options translated too; a true/false one none.
    if (
        en_stem
        and question_type is not None
        and len(en_options) != len(options)
        and (en_options or question_type in CHOICE_TYPES)
    ):
        report(
            "en_option_count",
            f"there are {len(en_options)} English options for {len(options)} Chinese options",
        )
    if any(not option for option in en_options):
        report("empty_option", "an English option is empty while a later one is filled")

    if problems or question_type is None or answer is None:
        return None, problems
    question = ParsedQuestion(
        line=line,
        type=question_type,
        stem=stem,
        options=tuple(options),
        answer=answer,
        area=area,
        point=clean_inline(value("point")) or None,
        difficulty=difficulty,
        level=level,
        critical=bool(critical),
        explanation=clean_block(value("explanation")) or None,
        reference=clean_inline(value("reference")) or None,
        en_stem=en_stem,
        en_options=tuple(en_options),
        en_explanation=clean_block(value("en_explanation")) or None,
        external_id=clean_inline(value("id")) or None,
    )
    return question, problems


def _row_values(question: ParsedQuestion) -> list[str | int]:
    """A question's cells in `COLUMNS` order; empty cells are empty strings."""
    options = list(question.options) + [""] * (len(OPTION_COLUMNS) - len(question.options))
    en_options = list(question.en_options) + [""] * (
        len(EN_OPTION_COLUMNS) - len(question.en_options)
    )
    return [
        question.external_id or "",
        question.type,
        question.area or "",
        question.point or "",
        question.difficulty if question.difficulty is not None else "",
        question.level or "",
        "true" if question.critical else "false",
        question.stem,
        *options,
        question.answer,
        question.explanation or "",
        question.reference or "",
        question.en_stem or "",
        *en_options,
        question.en_explanation or "",
    ]


def _column_name(heading: str) -> str | None:
    """The column a heading names, or None; "选项Ａ", "Option A", "题型*" all work."""
    key = _header_key(heading)
    if key in COLUMNS:
        return key
    if key in COLUMN_ALIASES:
        return COLUMN_ALIASES[key]
    # A heading with a note, "题型(判断/单选/多选)", names the column before the note.
    bare = _header_key(_PARENTHESISED.sub("", key))
    return bare if bare in COLUMNS else COLUMN_ALIASES.get(bare)


def _header_key(heading: str) -> str:
    text = unicodedata.normalize("NFKC", heading).strip().strip("*").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _lookup(raw: str, names: Mapping[str, _Value]) -> tuple[_Value | None, bool]:
    """(value, known): the value `raw` names; (None, True) for an empty cell, (None, False)
    for a name not in `names`."""
    key = unicodedata.normalize("NFKC", raw).strip().lower()
    if not key:
        return None, True
    if key.endswith(".0"):  # spreadsheets turn 2 into "2.0"
        key = key[:-2]
    return names.get(key), key in names


def _critical(raw: str) -> bool | None:
    word = unicodedata.normalize("NFKC", raw).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None


def _filled_prefix(values: list[str]) -> list[str]:
    """The values up to the last filled one; gaps stay (as "") so they can be reported."""
    while values and not values[-1]:
        values = values[:-1]
    return values


def _cell_text(value: object) -> str:
    """An XLSX cell as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _strip_formula_guard(cell: str) -> str:
    return cell[1:] if _GUARDED_FORMULA.match(cell) else cell


def _add_formula_guard(cell: str) -> str:
    # A text that itself starts with quotes gets one more, so reading takes exactly one off.
    return "'" + cell if _FORMULA_LIKE.match(cell) else cell
