"""`parse_file`: choosing the format by extension, decoding text, refusing what it can't read."""

from __future__ import annotations

from pathlib import Path

import pytest

from examcentre.bank.formats import (
    csv_template,
    decode_text,
    parse_file,
    parse_plain_text,
    xlsx_template,
)

FIXTURES = Path(__file__).parent / "fixtures"
REALISTIC = (FIXTURES / "realistic.txt").read_text(encoding="utf-8")


def test_gb18030_file_reads_like_the_utf8_one():
    data = (FIXTURES / "realistic-gb18030.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the fixture really is a Chinese-Windows file
    assert parse_file("试题.txt", data) == parse_plain_text(REALISTIC)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_text_encodings(encoding):
    text = REALISTIC.replace("✗", "×")  # GBK predates ✗
    assert parse_file("bank.TXT", text.encode(encoding)) == parse_plain_text(text)


def test_gbk_csv():
    data = "题型,题干,答案\n判断,吊物下方严禁站人。,√\n".encode("gbk")
    result = parse_file("导入.csv", data)
    assert result.ok
    assert result.questions[0].stem == "吊物下方严禁站人。"


def test_dispatch_by_extension():
    assert parse_file("t.csv", csv_template().encode("utf-8")).counts()["single"] == 1
    assert parse_file("t.xlsx", xlsx_template()).counts()["single"] == 1
    assert parse_file("t.text", "一、判断题\n1. 甲。（√）\n".encode()).counts()["true_false"] == 1


@pytest.mark.parametrize(
    ("filename", "in_reason"),
    [
        ("bank.xls", "save the workbook as .xlsx"),
        ("bank.docx", "plain text"),
        ("bank.pdf", ".txt"),
        ("bank", "use a .txt, .csv or .xlsx file"),
        ("bank.json", '".json"'),
    ],
)
def test_unknown_extensions_are_unreadable(filename, in_reason):
    result = parse_file(filename, b"whatever")
    assert not result.ok
    assert [(p.line, p.code) for p in result.problems] == [(1, "unreadable_file")]
    assert in_reason in result.problems[0].reason


def test_bytes_in_no_known_encoding_are_unreadable():
    result = parse_file("bank.txt", b"\x81\xff\xfe\x00\x80binary")
    assert [p.code for p in result.problems] == ["unreadable_file"]
    assert decode_text(b"\x81\xff\xfe\x00\x80binary") is None


def test_binary_that_decodes_is_still_refused():
    assert decode_text(b"\x00\x01\x02") is None


def test_an_xlsx_named_csv_is_reported_not_crashed():
    result = parse_file("bank.csv", xlsx_template())
    assert not result.ok


def test_excel_unicode_text_saved_as_txt_is_read_as_a_table():
    data = "题型\t题干\t答案\r\n判断\t吊物下方严禁站人。\t√\r\n".encode("utf-16")
    result = parse_file("导出.txt", data)
    assert result.ok
    assert result.questions[0].answer == "true"
