"""The examples in question_bank/IMPORT-FORMATS.md parse as the page says."""

from __future__ import annotations

import re
from pathlib import Path

from examcentre.bank.formats import PROBLEM_CODES, parse_csv, parse_plain_text

DOC = Path(__file__).resolve().parents[3] / "question_bank" / "IMPORT-FORMATS.md"


def code_block(language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"no {language} example in {DOC.name}"
    return match.group(1)


def test_csv_example():
    result = parse_csv(code_block("csv"))
    assert result.ok
    assert result.counts() == {"true_false": 1, "single": 1, "multiple": 1}
    assert [q.answer for q in result.questions] == ["false", "B", "ABD"]


def test_plain_text_example():
    # The arrows are the page's annotations, not part of the file.
    text = re.sub(r"\s*← .*", "", code_block("text"))
    result = parse_plain_text(text)
    assert result.ok
    assert result.counts() == {"true_false": 3, "single": 2, "multiple": 1}
    assert [q.answer for q in result.questions] == ["false", "true", "true", "B", "B", "ABD"]
    assert result.questions[4].explanation == "吊运中应保持至少0.5 m的安全距离。"


def documented_in_order() -> list[str]:
    codes_section = DOC.read_text(encoding="utf-8").split("## 问题代码", 1)[1]
    return re.findall(r"^\| `([a-z_]+)` \|", codes_section, re.M)


def test_every_problem_code_is_listed_and_documented():
    sources = Path(__file__).resolve().parents[3] / "examcentre" / "bank" / "formats"
    used = set()
    for module in sources.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        used |= set(re.findall(r'(?:report\(|ImportProblem\([^,]+,)\s*"([a-z_]+)"', text))
    assert used == set(PROBLEM_CODES)
    assert list(documented_in_order()) == list(PROBLEM_CODES)
