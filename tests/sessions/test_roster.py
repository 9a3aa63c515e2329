"""Roster import: every kind of bad row is reported with its line; good files parse exactly."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from examcentre.idnumber import check_character
from examcentre.sessions.eligibility import EligibilitySettings, Sitting
from examcentre.sessions.roster import (
    RosterProblem,
    RosterResult,
    RosterRow,
    normalise_item,
    parse_roster,
    roster_template_csv,
)


def make_id(birth: date, sequence: str = "451", region: str = "330106") -> str:
    """A valid 18-character ID number (odd sequence = male, even = female)."""
    body = f"{region}{birth:%Y%m%d}{sequence}"
    return body + check_character(body)


BRIDGE = "Q2(限桥式起重机)"
EXAM = date(2026, 5, 10)
ZHANG = make_id(date(1990, 6, 15), "451")  # male
LI = make_id(date(1985, 1, 2), "462")  # female
WANG = make_id(date(2000, 12, 31), "473")  # male
HEADER = "id_number,name,gender,employer,phone,application_no,item"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def parse(data: bytes, filename: str = "roster.csv", **overrides) -> RosterResult:
    options = {"session_item": BRIDGE, "exam_date": EXAM, "capacity": 30}
    options.update(overrides)
    return parse_roster(filename, data, **options)


def only_problems(result: RosterResult) -> list[tuple[int, str]]:
    assert result.ok is False
    assert result.rows == ()
    return [(p.row, p.reason) for p in result.problems]


def test_good_roster_parses_into_exact_rows():
    data = csv_bytes(
        HEADER,
        f"{ZHANG},张伟,男,杭州重工机械有限公司,138 0013 8000,SQ2026-001,{BRIDGE}",
        f"{LI.lower()},李娜,F,,0571-88886666,,起重机司机（限桥式起重机）",
        f"{WANG},王强,,,+86 13912345678,SQ2026-003,q2(限桥式起重机)",
        ",,,,,,",
        "",
    )
    result = parse(data)
    assert result == RosterResult(
        rows=(
            RosterRow(
                2,
                ZHANG,
                "张伟",
                "M",
                date(1990, 6, 15),
                "杭州重工机械有限公司",
                "13800138000",
                "SQ2026-001",
                BRIDGE,
                False,
            ),
            RosterRow(
                3, LI, "李娜", "F", date(1985, 1, 2), None, "0571-88886666", None, BRIDGE, False
            ),
            RosterRow(
                4,
                WANG,
                "王强",
                "M",
                date(2000, 12, 31),
                None,
                "13912345678",
                "SQ2026-003",
                BRIDGE,
                False,
            ),
        ),
        problems=(),
    )
    assert result.ok is True


def test_chinese_headers_with_bom_and_the_extra_serial_column():
    data = "\ufeff序号,公民身份号码,姓名,性别,用人单位,手机,报名编号,作业项目\n" + (
        f"1,{ZHANG},张伟,男,杭州重工,13800138000,BM-1,起重机指挥\n"
    )
    result = parse(data.encode("utf-8"), session_item="Q1")
    assert result.problems == ()
    assert result.rows == (
        RosterRow(
            2, ZHANG, "张伟", "M", date(1990, 6, 15), "杭州重工", "13800138000", "BM-1", "Q1", False
        ),
    )


def test_gb18030_csv_as_saved_by_a_chinese_excel():
    data = csv_bytes("身份证号,姓名,工作单位", f"{LI},李娜,宁波港务", encoding="gb18030")
    result = parse(data)
    assert result.problems == ()
    assert [(r.name, r.employer, r.item) for r in result.rows] == [("李娜", "宁波港务", BRIDGE)]


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_chinese_headers():
    data = xlsx_bytes(
        [
            ["身份证号码", "姓名", "性别", "联系电话", "申请编号", "考试项目"],
            [ZHANG, "张伟", "男", 13800138000, "SQ-1", BRIDGE],
            [LI, "李娜", "女", None, None, BRIDGE],
            [None, None, None, None, None, None],
        ]
    )
    result = parse(data, filename="名单.xlsx")
    assert result.problems == ()
    assert result.rows == (
        RosterRow(
            2, ZHANG, "张伟", "M", date(1990, 6, 15), None, "13800138000", "SQ-1", BRIDGE, False
        ),
        RosterRow(3, LI, "李娜", "F", date(1985, 1, 2), None, None, None, BRIDGE, False),
    )


def test_xlsx_id_number_stored_as_a_number():
    data = xlsx_bytes([["身份证号", "姓名"], [int("330106199006154510"), "张伟"]])
    assert only_problems(parse(data, filename="r.xlsx")) == [
        (
            2,
            "resident ID number: stored as a number, which loses digits; format the column as text",
        ),
    ]


# --- one test per kind of bad row --------------------------------------------------------


def test_check_digit():
    bad = ZHANG[:-1] + ("0" if ZHANG[-1] != "0" else "1")
    assert only_problems(parse(csv_bytes("id_number,name", f"{bad},张伟"))) == [
        (2, "resident ID number: check digit does not match"),
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "resident ID number: missing"),
        ("330106900615451", "resident ID number: old 15-digit number; enter the 18-digit one"),
        ("3301061990061545", "resident ID number: wrong length (16 characters, expected 18)"),
        ("33010619900615A510", "resident ID number: bad character (position:character 15:A)"),
        ("990106199006154510", "resident ID number: unknown province code 99"),
        ("330106199002304510", "resident ID number: impossible birth date 19900230"),
        (
            make_id(date(2026, 5, 11)),
            "resident ID number: birth date 2026-05-11 is after the exam date",
        ),
    ],
)
def test_each_id_number_problem_is_named(raw, reason):
    assert only_problems(parse(csv_bytes("id_number,name", f"{raw},张伟"))) == [(2, reason)]


def test_duplicate_within_the_file():
    data = csv_bytes("id_number,name", f"{ZHANG},张伟", f"{LI},李娜", f"{ZHANG.lower()},张伟")
    assert only_problems(parse(data)) == [(4, "duplicate: same resident ID number as row 2")]


def test_duplicate_application_number():
    data = csv_bytes("id_number,name,application_no", f"{ZHANG},张伟,A1", f"{LI},李娜,A1")
    assert only_problems(parse(data)) == [(3, "duplicate: same application number as row 2")]


def test_already_enrolled_in_this_session():
    data = csv_bytes("id_number,name", f"{ZHANG},张伟", f"{LI},李娜")
    result = parse(data, already_enrolled=1, existing_id_numbers=[LI.lower()])
    assert only_problems(result) == [(3, "already enrolled in this session")]


def test_under_18_on_the_exam_date():
    minor = make_id(date(2008, 5, 11))
    assert only_problems(parse(csv_bytes("id_number,name", f"{minor},小明"))) == [
        (2, "not eligible: under 18 on the exam date 2026-05-10 (turns 18 on 2026-05-11)"),
    ]


def test_history_makes_a_retake_or_refuses():
    history = {
        ZHANG: [Sitting(date(2026, 3, 2), BRIDGE, "theory", "failed")],
        LI: [Sitting(date(2026, 3, 2), BRIDGE, "theory", "absent")],
    }
    good = parse(csv_bytes("id_number,name", f"{ZHANG},张伟"), history_for=history.get)
    assert [r.is_retake for r in good.rows] == [True]
    data = csv_bytes("id_number,name", f"{ZHANG},张伟", f"{LI},李娜")
    assert only_problems(parse(data, history_for=lambda n: history.get(n, ()))) == [
        (
            3,
            "not eligible: absent from the theory exam on 2026-03-02: counted as a fail with"
            " no retake; the candidate must re-apply",
        ),
    ]
    lenient = EligibilitySettings(absence_forbids_retake=False)
    assert parse(data, history_for=history.get, settings=lenient).ok is True


def test_item_mismatch_with_the_session():
    data = csv_bytes("id_number,name,item", f"{ZHANG},张伟,Q1", f"{LI},李娜,")
    assert only_problems(parse(data)) == [
        (2, "item 'Q1' does not match this session's item 'Q2(限桥式起重机)'"),
        (3, "item: missing"),
    ]


def test_missing_name():
    assert only_problems(parse(csv_bytes("id_number,name", f"{ZHANG},  "))) == [
        (2, "name: missing"),
    ]


@pytest.mark.parametrize("phone", ["12345", "23800138000", "1380013800", "138001380001"])
def test_phone_not_plausible(phone):
    data = csv_bytes("id_number,name,phone", f"{ZHANG},张伟,{phone}")
    assert only_problems(parse(data)) == [
        (2, f"phone: '{phone}' is not a plausible Chinese mobile or landline number"),
    ]


def test_gender_must_match_the_id_number():
    data = csv_bytes("id_number,name,gender", f"{ZHANG},张伟,女", f"{LI},李娜,x")
    assert only_problems(parse(data)) == [
        (2, "gender: '女' does not match the resident ID number (male)"),
        (3, "gender: 'x' is not one of 男, 女, M, F"),
    ]


def test_over_capacity_is_reported_once_on_the_first_row_beyond():
    data = csv_bytes("id_number,name", f"{ZHANG},张伟", f"{LI},李娜", f"{WANG},王强")
    assert only_problems(parse(data, capacity=3, already_enrolled=2)) == [
        (3, "over capacity: the session has 3 places (2 already taken)"),
    ]
    assert parse(data, capacity=3).ok is True


def test_over_capacity_when_the_session_is_already_overfull():
    data = csv_bytes("id_number,name", f"{ZHANG},张伟", f"{LI},李娜")
    assert only_problems(parse(data, capacity=2, already_enrolled=5)) == [
        (2, "over capacity: the session has 2 places (5 already taken)"),
    ]


def test_unknown_and_missing_columns_are_reported_on_row_1():
    data = csv_bytes("身份证,name,备注", f"{ZHANG},张伟,x")
    assert only_problems(parse(data)) == [
        (1, "unknown column '身份证'"),
        (1, "unknown column '备注'"),
        (1, "missing column id_number"),
    ]


def test_repeated_column():
    data = csv_bytes("身份证号,姓名,name", f"{ZHANG},张伟,张伟")
    assert only_problems(parse(data)) == [(1, "column 'name' repeats the name column")]


def test_every_problem_of_every_row_is_listed():
    minor = make_id(date(2010, 1, 1), "462")
    data = csv_bytes(
        HEADER,
        f"{ZHANG},,男,,123,,Q1",
        f"{minor},小红,男,,,,{BRIDGE}",
        f"{ZHANG},张伟,,,,,{BRIDGE}",
    )
    assert only_problems(parse(data)) == [
        (2, "name: missing"),
        (2, "phone: '123' is not a plausible Chinese mobile or landline number"),
        (2, "item 'Q1' does not match this session's item 'Q2(限桥式起重机)'"),
        (3, "gender: '男' does not match the resident ID number (female)"),
        (3, "not eligible: under 18 on the exam date 2026-05-10 (turns 18 on 2028-01-01)"),
        (4, "duplicate: same resident ID number as row 2"),
    ]


# --- the file as a whole -----------------------------------------------------------------


def test_problem_format_names_file_and_line():
    assert RosterProblem(3, "name: missing").format("名单.csv") == "名单.csv:3: name: missing"
    assert RosterProblem(0, "the file is empty").format("a.csv") == "a.csv: the file is empty"


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("a.csv", b"", "the file is empty"),
        ("a.csv", b"\r\n,,\r\n", "the file is empty"),
        (
            "a.xls",
            b"\xd0\xcf\x11\xe0",
            "old Excel .xls files are not read; save it as .xlsx or CSV",
        ),
        ("a.csv", b"\xff\xfe\x00\x81\x30", "the file is neither UTF-8 nor GB18030 text"),
    ],
)
def test_unreadable_files(filename, data, reason):
    assert only_problems(parse(data, filename=filename)) == [(0, reason)]


def test_broken_xlsx():
    result = parse(b"PK\x03\x04 not really a zip", filename="a.xlsx")
    assert result.rows == ()
    assert result.problems[0].row == 0
    assert result.problems[0].reason.startswith("not a readable .xlsx file")


def test_template_is_the_chinese_header_and_filled_in_imports():
    template = roster_template_csv()
    assert template == "身份证号,姓名,性别,工作单位,联系电话,申请编号,考试项目\r\n"
    assert only_problems(parse(template.encode("utf-8-sig"))) == [
        (0, "no candidates below the header"),
    ]
    filled = template + f"{LI},李娜,女,宁波港务,13800138000,A-7,{BRIDGE}\r\n"
    assert parse(filled.encode("utf-8-sig")).rows == (
        RosterRow(
            2, LI, "李娜", "F", date(1985, 1, 2), "宁波港务", "13800138000", "A-7", BRIDGE, False
        ),
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("q1", "Q1"),
        ("起重机指挥", "Q1"),
        ("Q2（限桥式起重机）", BRIDGE),
        (" Q2 (限桥式起重机) ", BRIDGE),
    ],
)
def test_items_are_normalised_to_their_code(raw, code):
    assert normalise_item(raw) == code
