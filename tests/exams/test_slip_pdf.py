"""The result slip: one page, the verdict, the masked ID (never the full one), Beijing time."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from examcentre.exams.slip_pdf import (
    FAIL_COLOUR,
    PASS_COLOUR,
    SlipData,
    digest_lines,
    format_points,
    format_score,
    render_slip,
)
from examcentre.idnumber import check_character
from tests.test_layers import FORBIDDEN, PACKAGE, imported_modules

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")


def make_id(birth: date, sequence: str = "451", region: str = "330106") -> str:
    body = f"{region}{birth:%Y%m%d}{sequence}"
    return body + check_character(body)


ID_NUMBER = make_id(date(1990, 6, 15))
MASKED = ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def slip(**overrides) -> SlipData:
    values = {
        "centre_name": "杭州示例特种设备考试中心",
        "item_code": "Q2(限桥式起重机)",
        "item_name": "起重机司机(限桥式起重机)",
        "room": "第一考场",
        "session_date": date(2026, 5, 10),
        "started_at": datetime(2026, 5, 10, 1, 2, 3, tzinfo=UTC),
        "submitted_at": datetime(2026, 5, 10, 2, 0, 0, tzinfo=UTC),
        "candidate_name": "欧阳晓红",
        "id_number": ID_NUMBER,
        "ticket_number": "2026051001",
        "terminal": "T-07",
        "question_count": 100,
        "answered_count": 98,
        "correct_count": 87,
        "earned_points": 87.5,
        "total_points": 100,
        "score": 87.5,
        "pass_mark": 60,
        "passed": True,
        "failed_on_critical": False,
        "archive_digest": DIGEST,
        "issued_at": datetime(2026, 5, 10, 3, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return SlipData(**values)


FAILED_ON_CRITICAL = {
    "passed": False,
    "failed_on_critical": True,
    "score": 72.0,
    "earned_points": 72,
    "correct_count": 72,
}
CORRECTED = {"result_version": 2, "correction_reason": "第37题答案经复核更正，重新评分。"}


def pdftotext(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def pypdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def render_png(pdf: bytes, name: str) -> Path:
    """Page 1 at 60 dpi into test-artifacts/, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            source,
            source.with_suffix(""),
        ],
        check=True,
    )
    return source.with_suffix(".png")


def pixels_near(image: Image.Image, colour, tolerance: int = 40) -> int:
    target = tuple(int(colour.hexval()[i : i + 2], 16) for i in (2, 4, 6))
    data = image.convert("RGB").tobytes()
    return sum(
        1
        for n in range(0, len(data), 3)
        if all(abs(data[n + k] - target[k]) <= tolerance for k in range(3))
    )


# --- The document -----------------------------------------------------------------------------


def test_a_pass_is_one_a4_page_with_name_score_and_verdict():
    pdf = render_slip(slip())
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = pypdf_text(pdf)
    assert "欧阳晓红" in text and "87.5" in text and "合格" in text and "不合格" not in text
    assert MASKED in text and ID_NUMBER not in text


@needs_poppler
def test_pdftotext_reads_the_pass_slip():
    text = pdftotext(render_slip(slip()))
    for expected in (
        "欧阳晓红",
        "87.5",
        "合格",
        "PASS",
        MASKED,
        "2026051001",
        "T-07",
        "第一考场",
        "Q2(限桥式起重机)",
        "杭州示例特种设备考试中心",
        "理论知识考试成绩单",
        "2026年5月10日（星期日）",
        "Sunday 10 May 2026",
    ):
        assert expected in text, expected
    assert "不合格" not in text and "FAIL" not in text
    assert ID_NUMBER not in text


@needs_poppler
def test_pdftotext_reads_the_fail_slip():
    text = pdftotext(render_slip(slip(**FAILED_ON_CRITICAL)))
    assert "不合格" in text and "FAIL" in text and "72.0" in text
    assert "关键题答错" in text
    assert MASKED in text and ID_NUMBER not in text


def test_the_full_id_number_is_nowhere_in_the_file():
    for data in (slip(), slip(**FAILED_ON_CRITICAL, **CORRECTED)):
        for language in ("zh_CN", "en"):
            pdf = render_slip(data, language=language)
            assert ID_NUMBER.encode() not in pdf
            assert ID_NUMBER not in pypdf_text(pdf)
    assert slip().masked_id == MASKED
    assert slip(id_number="11010519491231002X").masked_id == "110105********002X"


def test_times_are_printed_in_beijing_time():
    text = pypdf_text(render_slip(slip(started_at=datetime(2026, 5, 9, 23, 58, 1, tzinfo=UTC))))
    assert "2026-05-10 07:58:01" in text  # 23:58 UTC is the next morning in Beijing
    assert "2026-05-10 10:00:00" in text  # submitted
    assert "2026-05-10 11:30:00" in text  # issued
    assert "UTC+8" in text
    other_zone = timezone(timedelta(hours=-5))
    text = pypdf_text(
        render_slip(slip(submitted_at=datetime(2026, 5, 9, 21, 0, 0, tzinfo=other_zone)))
    )
    assert "2026-05-10 10:00:00" in text


def test_the_archive_digest_is_printed_so_it_can_be_compared():
    text = pypdf_text(render_slip(slip()))
    lines = digest_lines(DIGEST)
    assert lines == ["9f86d081 884c7d65 9a2feaa0 c55ad015", "a3bf4f1b 2b0b822c d15d6c15 b0f00a08"]
    assert all(line in text for line in lines)
    assert "".join("".join(lines).split()) == DIGEST
    assert "SHA-256" in text


def test_the_footer_says_theory_only():
    text = pypdf_text(render_slip(slip()))
    assert "本成绩单仅记录理论知识考试成绩" in text and "实际操作考试另行组织" in text
    assert "The practical exam is held and recorded separately." in text


def test_a_corrected_result_says_so_with_its_reason():
    first = pypdf_text(render_slip(slip()))
    assert "更正版" not in first and "Corrected version" not in first
    corrected = pypdf_text(render_slip(slip(**CORRECTED)))
    assert "更正版 2" in corrected and "Corrected version 2" in corrected
    assert "第37题答案经复核更正，重新评分。" in corrected
    no_reason = pypdf_text(render_slip(slip(result_version=3)))
    assert "更正版 3" in no_reason and "更正原因" not in no_reason


def test_the_language_chooses_which_comes_first():
    zh = pypdf_text(render_slip(slip(), language="zh_CN"))
    en = pypdf_text(render_slip(slip(), language="en"))
    assert zh.index("理论知识考试成绩单") < zh.index("Theory Exam Result Slip")
    assert en.index("Theory Exam Result Slip") < en.index("理论知识考试成绩单")
    assert "合格" in en and "PASS" in en
    with pytest.raises(ValueError, match="language must be one of zh_CN, en"):
        render_slip(slip(), language="fr")


def test_a_very_long_correction_reason_still_fits_one_page():
    reason = "第37题（单选题）的标准答案经命题组复核后由 B 更正为 C。" * 12
    pdf = render_slip(slip(**CORRECTED | {"correction_reason": reason}, candidate_name="名" * 40))
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "本成绩单仅记录理论知识考试成绩" in pypdf_text(pdf)


def test_text_is_escaped_not_read_as_markup():
    text = pypdf_text(render_slip(slip(candidate_name="<b>张&伟</b>", room="A<br/>B")))
    assert "<b>张&伟</b>" in text and "A<br/>B" in text


def test_metadata_carries_no_personal_data():
    metadata = PdfReader(io.BytesIO(render_slip(slip()))).metadata
    assert "欧阳晓红" not in str(metadata) and MASKED not in str(metadata)


@needs_poppler
@pytest.mark.parametrize(
    ("name", "overrides", "language", "colour"),
    [
        ("slip-pass-zh", {}, "zh_CN", PASS_COLOUR),
        ("slip-fail-critical-corrected-en", FAILED_ON_CRITICAL | CORRECTED, "en", FAIL_COLOUR),
    ],
)
def test_page_one_renders_to_png_for_a_person_to_look_at(name, overrides, language, colour):
    png = render_png(render_slip(slip(**overrides), language=language), name)
    with Image.open(png) as image:
        width, height = image.size  # A4 at 60 dpi, give or take poppler's rounding
        assert abs(width - 496) <= 1 and abs(height - 702) <= 1
        assert pixels_near(image, colour) > 300  # the verdict is printed large, in colour
        other = FAIL_COLOUR if colour is PASS_COLOUR else PASS_COLOUR
        assert pixels_near(image, other) < 20


# --- Formatting and validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "text"),
    [(87.5, "87.5"), (100, "100.0"), (0, "0.0"), (59.96, "59.9"), (59.9, "59.9"), (72.04, "72.0")],
)
def test_the_score_is_cut_to_one_decimal_never_rounded_up(score, text):
    assert format_score(score) == text


@pytest.mark.parametrize(
    ("points", "text"), [(90.0, "90"), (87.5, "87.5"), (0.25, "0.25"), (100, "100"), (0, "0")]
)
def test_points_print_without_trailing_zeros(points, text):
    assert format_points(points) == text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"started_at": datetime(2026, 5, 10, 9, 0)}, "started_at must be a time-zone aware"),
        ({"issued_at": datetime(2026, 5, 10, 9, 0)}, "issued_at must be a time-zone aware"),
        ({"score": 100.5}, "score must be between 0 and 100"),
        ({"score": -1}, "score must be between 0 and 100"),
        ({"answered_count": 101}, "answered_count must be between"),
        ({"correct_count": 99}, "correct_count must be between"),
        ({"failed_on_critical": True}, "failed on a critical question cannot be a pass"),
        ({"result_version": 0}, "result_version starts at 1"),
        ({"archive_digest": DIGEST.upper()}, "archive_digest must be a SHA-256"),
        ({"archive_digest": DIGEST[:-1]}, "archive_digest must be a SHA-256"),
    ],
)
def test_impossible_slips_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        slip(**overrides)


def test_slip_data_is_frozen():
    data = slip()
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.score = 100  # type: ignore[misc]


def test_the_module_is_pure():
    names = imported_modules(PACKAGE / "exams" / "slip_pdf.py")
    assert not {n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)}
