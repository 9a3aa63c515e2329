"""CSV and XLSX question tables: columns, Chinese headings, malformed rows, templates."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from examcentre.bank.formats import (
    COLUMNS,
    ParsedQuestion,
    csv_template,
    parse_csv,
    parse_xlsx,
    write_csv,
    write_xlsx,
    xlsx_template,
)

FIXTURES = Path(__file__).parent / "fixtures"

FULL_QUESTION = ParsedQuestion(
    line=2,
    type="multiple",
    stem="下列哪些情况下，起重机司机应当拒绝起吊？（  ）",
    options=("重量不明", "吊物上站人", "指挥信号明确", "歪拉斜吊", "捆绑牢固"),
    answer="ABD",
    area="operation",
    point="Q2-OP-TENN",
    difficulty=2,
    level="掌握",
    critical=True,
    explanation="“十不吊”原则。\n\n任何一项不满足都不得起吊。",
    reference="GB 6067.1-2010 第17章",
    en_stem='In which cases must the driver refuse to lift? ("ten do-not-lifts")',
    en_options=(
        "Unknown weight",
        "A person on the load",
        "Clear signals",
        "Side pulling, slanted lifting",
        "Securely slung",
    ),
    en_explanation="The ten do-not-lift rules, line one, line two.",
    external_id="Q2-OP-0042",
)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def codes(result) -> list[tuple[int, str]]:
    return [(problem.line, problem.code) for problem in result.problems]


# --- reading ---------------------------------------------------------------------------


def test_csv_with_english_headers_reads_every_field():
    text = (
        "id,type,area,point,difficulty,level,critical,stem,option_a,option_b,answer,"
        "explanation,reference,en_stem,en_option_a,en_option_b,en_explanation\n"
        "Q2-BA-0100,single,basics,Q2-BA-HOOK,3,理解,1,吊钩开口度增加多少时应报废？,10%,20%,A,"
        "按现行标准。,GB 6067.1-2010,When is a hook scrapped?,10 %,20 %,Current standard.\n"
    )
    result = parse_csv(text)
    assert result.ok
    assert result.questions == (
        ParsedQuestion(
            line=2,
            type="single",
            stem="吊钩开口度增加多少时应报废？",
            options=("10%", "20%"),
            answer="A",
            area="basics",
            point="Q2-BA-HOOK",
            difficulty=3,
            level="理解",
            critical=True,
            explanation="按现行标准。",
            reference="GB 6067.1-2010",
            en_stem="When is a hook scrapped?",
            en_options=("10 %", "20 %"),
            en_explanation="Current standard.",
            external_id="Q2-BA-0100",
        ),
    )


CHINESE_HEADER = ["编号", "题型", "领域", "知识点", "难度", "认知层次", "关键题", "题干",
                  "选项A", "选项B", "选项C", "答案", "解析", "依据"]  # fmt: skip
CHINESE_ROWS = [
    ["", "判断", "法规知识", "", "易", "了解", "否", "特种设备作业人员证每4年复审一次。",
     "", "", "", "正确", "", "特种设备作业人员监督管理办法"],
    ["Q2-OP-0007", "多选", "操作", "Q2-OP-TENN", "2", "掌握", "是", "吊运前应确认（ ）",
     "吊物重量", "捆绑情况", "天气预报", "A,B", "", ""],
]  # fmt: skip


def test_csv_with_chinese_headers():
    lines = [",".join(CHINESE_HEADER), *(",".join(f'"{c}"' for c in row) for row in CHINESE_ROWS)]
    result = parse_csv("\ufeff" + "\n".join(lines) + "\n")
    assert result.ok, result.problems
    first, second = result.questions
    assert (first.type, first.answer, first.area, first.difficulty, first.critical) == (
        "true_false", "true", "law", 1, False,
    )  # fmt: skip
    assert first.reference == "特种设备作业人员监督管理办法"
    assert second == ParsedQuestion(
        line=3,
        type="multiple",
        stem="吊运前应确认（  ）",
        options=("吊物重量", "捆绑情况", "天气预报"),
        answer="AB",
        area="operation",
        point="Q2-OP-TENN",
        difficulty=2,
        level="掌握",
        critical=True,
        external_id="Q2-OP-0007",
    )


def test_xlsx_with_chinese_headers_and_numeric_cells():
    rows = [list(row) for row in (CHINESE_HEADER, *CHINESE_ROWS)]
    rows[2][4] = 2  # a number typed into Excel, not text
    rows[1][6] = False  # an Excel boolean
    result = parse_xlsx(xlsx_bytes(rows))
    assert result.ok, result.problems
    assert [q.line for q in result.questions] == [2, 3]
    assert result.questions[1].difficulty == 2
    assert result.questions[0].critical is False


@pytest.mark.parametrize(
    "heading", ["选项Ａ", "Option A", "option-a", "A", "选项a", "*选项A", "option_a"]
)
def test_option_heading_variants(heading):
    result = parse_csv(f"type,stem,{heading},option_b,answer\nsingle,单位是,t,m,A\n")
    assert result.ok
    assert result.questions[0].options == ("t", "m")


def test_heading_with_a_note():
    result = parse_csv("题型(判断/单选/多选),题干*,答案\n判断,吊物下方严禁站人。,√\n")
    assert result.ok
    assert result.questions[0].answer == "true"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("√", "true"), ("对", "true"), ("正确", "true"), ("T", "true"), ("TRUE", "true"),
     ("×", "false"), ("错", "false"), ("错误", "false"), ("f", "false"), ("false", "false")],
)  # fmt: skip
def test_true_false_answer_spellings(raw, expected):
    result = parse_csv(f"type,stem,answer\ntrue_false,吊物下方严禁站人。,{raw}\n")
    assert result.questions[0].answer == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("false", False), ("是", True), ("否", False), ("1", True), ("0", False),
     ("", False), ("YES", True)],
)  # fmt: skip
def test_critical_spellings(raw, expected):
    result = parse_csv(f"type,stem,answer,critical\n判断,吊物下方严禁站人。,√,{raw}\n")
    assert result.questions[0].critical is expected


def test_empty_rows_are_ignored_and_lines_still_count():
    text = "type,stem,answer\n\n判断,甲。,√\n,,\n\n判断,乙。,×\n,,\n,,\n"
    result = parse_csv(text)
    assert result.ok
    assert [q.line for q in result.questions] == [3, 6]


def test_line_numbers_count_newlines_inside_cells():
    text = 'type,stem,answer,explanation\n判断,甲。,√,"一\n二\n三"\n判断,乙。,×,\n'
    result = parse_csv(text)
    assert [q.line for q in result.questions] == [2, 5]
    assert result.questions[0].explanation == "一\n二\n三"


def test_tab_separated_text():
    result = parse_csv("type\tstem\tanswer\n判断\t吊物下方严禁站人，严禁通过。\t√\n")
    assert result.ok
    assert result.questions[0].stem == "吊物下方严禁站人，严禁通过。"


def test_xlsx_trailing_formatted_but_empty_rows_are_ignored():
    data = xlsx_bytes([["type", "stem", "answer"], ["判断", "甲。", "√"], [None, None, None]])
    result = parse_xlsx(data)
    assert result.ok
    assert len(result.questions) == 1


# --- malformed tables: one problem each -------------------------------------------------

MALFORMED = [
    ("unknown_column.csv", 1, "unknown_column"),
    ("missing_column.csv", 1, "missing_column"),
    ("bad_difficulty.csv", 3, "bad_difficulty"),
    ("bad_level.csv", 3, "bad_level"),
    ("bad_type.csv", 3, "bad_type"),
    ("bad_area.csv", 3, "bad_area"),
    ("bad_critical.csv", 3, "bad_critical"),
    ("en_option_count.csv", 2, "en_option_count"),
    ("missing_en_stem.csv", 2, "missing_en_stem"),
    ("duplicate_column.csv", 1, "duplicate_column"),
    ("missing_header.csv", 1, "missing_header"),
    ("empty_option.csv", 3, "empty_option"),
    ("answer_not_in_options.csv", 3, "answer_not_in_options"),
]


@pytest.mark.parametrize(("name", "line", "code"), MALFORMED)
def test_malformed_csv(name, line, code):
    result = parse_csv((FIXTURES / "malformed" / name).read_text(encoding="utf-8"))
    assert not result.ok
    assert codes(result) == [(line, code)]


@pytest.mark.parametrize(("name", "line", "code"), MALFORMED)
def test_malformed_xlsx_reports_the_same(name, line, code):
    import csv

    text = (FIXTURES / "malformed" / name).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if name == "answer_not_in_options.csv":
        line = 3  # the multi-line cell is one row in a workbook as well
    assert codes(parse_xlsx(xlsx_bytes(rows))) == [(line, code)]


def test_reasons_name_the_values():
    text = (FIXTURES / "malformed" / "bad_difficulty.csv").read_text(encoding="utf-8")
    assert parse_csv(text).problems[0].reason == 'difficulty "5" is not 1, 2 or 3'
    text = (FIXTURES / "malformed" / "unknown_column.csv").read_text(encoding="utf-8")
    assert parse_csv(text).problems[0].format("q.csv") == 'q.csv:1: unknown column "remarks"'


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("single,单位是,t,m,AB", "answer_count"),
        ("multiple,单位是,t,m,A", "answer_count"),
        ("single,单位是,,,A", "no_options"),
        ("single,单位是,t,,A", "option_count"),
        ("single,单位是,t,m,", "no_answer"),
        ("single,单位是,t,m,√", "bad_answer"),
        ("single,,t,m,A", "empty_stem"),
        ("true_false,吊物下方严禁站人,t,m,√", "options_on_true_false"),
        ("true_false,吊物下方严禁站人,,,A", "bad_true_false_answer"),
    ],
)
def test_row_checks_shared_with_plain_text(row, expected):
    result = parse_csv(f"type,stem,option_a,option_b,answer\n{row}\n")
    assert codes(result) == [(2, expected)]


def test_all_problems_of_all_rows_are_listed():
    text = (
        "type,stem,option_a,option_b,answer,difficulty,level,area,remarks\n"
        "单选,甲（ ）,t,m,C,9,熟练,管理,x\n"
        "判断,乙。,,,√,1,了解,law,\n"
        "判断,乙。,,,√,1,了解,law,\n"
    )
    result = parse_csv(text)
    assert codes(result) == [
        (1, "unknown_column"),
        (2, "answer_not_in_options"),
        (2, "bad_area"),
        (2, "bad_difficulty"),
        (2, "bad_level"),
        (4, "duplicate_stem"),
    ]
    assert result.counts() == {"true_false": 2, "single": 0, "multiple": 0}


def test_empty_file_and_header_only():
    assert codes(parse_csv("")) == [(1, "no_questions")]
    assert codes(parse_csv("type,stem,answer\n")) == [(1, "no_questions")]


def test_broken_xlsx_is_unreadable():
    assert codes(parse_xlsx(b"PK\x03\x04 not really a zip")) == [(1, "unreadable_file")]


# --- writing and templates --------------------------------------------------------------


def test_csv_writer_header_and_bom():
    written = write_csv([FULL_QUESTION])
    assert written.startswith("\ufeff" + ",".join(COLUMNS) + "\r\n")


def test_csv_round_trip_of_every_field():
    result = parse_csv(write_csv([FULL_QUESTION, replace(FULL_QUESTION, line=3, type="single",
                                  stem="另一题", answer="C", external_id=None)]))  # fmt: skip
    assert result.ok
    assert result.questions[0] == FULL_QUESTION
    assert result.questions[1].external_id is None


def test_xlsx_round_trip_of_every_field():
    result = parse_xlsx(write_xlsx([FULL_QUESTION]))
    assert result.ok
    assert result.questions == (FULL_QUESTION,)


def test_text_that_looks_like_a_formula_stays_text():
    question = replace(
        FULL_QUESTION, stem="=1+1 是多少（  ）", en_stem="-5 °C or +5 °C?", reference="'=x"
    )
    csv_text = write_csv([question])
    assert ",'=1+1 是多少" in csv_text
    assert parse_csv(csv_text).questions == (question,)
    workbook = load_workbook(io.BytesIO(write_xlsx([question])))
    stem_cell = workbook.active.cell(2, COLUMNS.index("stem") + 1)
    assert stem_cell.data_type == "s"
    assert parse_xlsx(write_xlsx([question])).questions == (question,)


def test_csv_template_parses_into_one_example():
    result = parse_csv(csv_template())
    assert result.ok
    assert result.counts() == {"true_false": 0, "single": 1, "multiple": 0}
    assert result.questions[0].en_stem


def test_xlsx_template_parses_into_the_same_example():
    assert parse_xlsx(xlsx_template()).questions == parse_csv(csv_template()).questions
