"""Admission tickets: each candidate's page shows name, number and masked ID, never the full ID."""

from __future__ import annotations

import io
from datetime import date, time

import pytest
from PIL import Image
from pypdf import PdfReader

from examcentre.idnumber import check_character
from examcentre.sessions.tickets_pdf import (
    DEFAULT_RULES_ZH,
    AdmissionTicketData,
    build_admission_tickets_pdf,
    format_date_zh,
    mask_id_number,
)


def make_id(birth: date, sequence: str = "451", region: str = "330106") -> str:
    """A valid 18-character ID number (odd sequence = male, even = female)."""
    body = f"{region}{birth:%Y%m%d}{sequence}"
    return body + check_character(body)


ZHANG = make_id(date(1990, 6, 15), "451")
OUYANG = make_id(date(1985, 1, 2), "462")


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (350, 490), (40, 60, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


def ticket(number: str, name: str, id_number: str, **overrides) -> AdmissionTicketData:
    values = {
        "ticket_number": number,
        "name": name,
        "masked_id": mask_id_number(id_number),
        "item": "Q2(限桥式起重机)",
        "item_name_zh": "起重机司机(限桥式起重机)",
        "exam_date": date(2026, 5, 10),
        "start_time": time(9, 0),
        "end_time": time(10, 30),
        "room": "第一考场",
        "terminal": "T-07",
        "centre_name": "杭州示例特种设备考试中心",
        "centre_address": "浙江省杭州市西湖区文三路 123 号",
        "photo_jpeg": None,
    }
    values.update(overrides)
    return AdmissionTicketData(**values)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("330106199006154517", "330106********4517"),
        (" 11010519491231002X ", "110105********002X"),
        ("1234567890", "**********"),
        ("", ""),
    ],
)
def test_mask_shows_first_six_and_last_four(number, masked):
    assert mask_id_number(number) == masked


def test_one_page_per_ticket_each_with_its_own_candidate():
    tickets = [
        ticket("2026051001", "张伟", ZHANG, photo_jpeg=jpeg()),
        ticket(
            "2026051002", "欧阳晓红", OUYANG, item="Q1", item_name_zh="起重机指挥", terminal=None
        ),
    ]
    pdf = build_admission_tickets_pdf(tickets)
    first, second = page_texts(pdf)
    assert "张伟" in first and "2026051001" in first and mask_id_number(ZHANG) in first
    assert "欧阳晓红" in second and "2026051002" in second and mask_id_number(OUYANG) in second
    assert "欧阳晓红" not in first and "张伟" not in second
    assert "准考证" in first and "考生须知" in first
    assert "2026年5月10日（星期日）" in first and "09:00 至 10:30" in first
    assert "入场时由监考人员安排" in second and "T-07" in first
    for text in (first, second):
        assert ZHANG not in text and OUYANG not in text
    assert ZHANG.encode() not in pdf and OUYANG.encode() not in pdf


def test_photo_is_drawn_when_given_else_the_photo_box():
    tickets = [
        ticket("A1", "张伟", ZHANG, photo_jpeg=jpeg()),
        ticket("A2", "李娜", OUYANG),
        ticket("A3", "王强", OUYANG, photo_jpeg=b"not a picture"),
    ]
    reader = PdfReader(io.BytesIO(build_admission_tickets_pdf(tickets)))
    assert [len(page.images) for page in reader.pages] == [1, 0, 0]
    texts = [page.extract_text() for page in reader.pages]
    assert ["照片" in t for t in texts] == [False, True, True]


def test_default_and_custom_rules_are_printed():
    default = page_texts(build_admission_tickets_pdf([ticket("A1", "张伟", ZHANG)]))[0]
    assert "30分钟" in default and "居民身份证" in default
    assert len(DEFAULT_RULES_ZH) == 8
    custom = page_texts(
        build_admission_tickets_pdf([ticket("A1", "张伟", ZHANG)], ["请携带黑色签字笔。"])
    )[0]
    assert "1. 请携带黑色签字笔。" in custom and "30分钟" not in custom


def test_no_tickets_is_an_error():
    with pytest.raises(ValueError, match="no admission tickets to print"):
        build_admission_tickets_pdf([])


def test_date_in_chinese_with_weekday():
    assert format_date_zh(date(2026, 5, 11)) == "2026年5月11日（星期一）"
