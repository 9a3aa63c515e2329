"""Cleaning and validation shared by the plain-text and the tabular (CSV/XLSX) parsers.

Every parser gathers raw strings for a question and hands them to these functions, so a
question is judged by the same rules whatever file it came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from .model import (
    CHOICE_TYPES,
    OPTION_LETTERS,
    ImportProblem,
    ParsedQuestion,
    QuestionType,
    letters_range,
)

# Control characters are never meant (they come from copy-paste out of PDFs) and XLSX
# cannot store them, so they are dropped; tab, newline and carriage return are whitespace.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# An empty answer blank, （ ） or ( ), with any whitespace around it.
_BLANK = re.compile(r"\s*[（(]\s*[）)]\s*")
_TRAILING_BLANKS = re.compile(r"(?:\s*[（(]\s*[）)])+$")
# How candidates write a choice blank: full-width brackets with two spaces inside.
CHOICE_BLANK = "（  ）"

TRUE_TOKENS = frozenset({"√", "✓", "✔", "对", "正确", "t", "true"})
FALSE_TOKENS = frozenset({"×", "✗", "✘", "x", "错", "错误", "f", "false"})
# Separators people put between answer letters: "A,C,D", "A、C、D", "A C D".
_LETTER_SEPARATORS = re.compile(r"[\s,，、;；/|]+")
_BRACKET_CHARACTERS = re.compile(r"[（()）【】\[\]]")

_TYPE_NAMES: dict[str, QuestionType] = {
    "true_false": "true_false",
    "truefalse": "true_false",
    "判断": "true_false",
    "判断题": "true_false",
    "是非题": "true_false",
    "single": "single",
    "单选": "single",
    "单选题": "single",
    "单项选择": "single",
    "单项选择题": "single",
    "multiple": "multiple",
    "多选": "multiple",
    "多选题": "multiple",
    "多项选择": "multiple",
    "多项选择题": "multiple",
}


def clean_inline(text: str) -> str:
    """One line of text: control characters dropped, every whitespace run one space."""
    return " ".join(_CONTROL_CHARACTERS.sub("", text).split())


def clean_block(text: str) -> str:
    """Text that may keep paragraphs (explanations): lines cleaned, edges trimmed."""
    lines = [clean_inline(line) for line in text.replace("\r\n", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        # One empty line separates paragraphs; more carry no meaning.
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)


def clean_stem(text: str, question_type: str) -> str:
    """A zh stem as the bank stores it.

    A choice stem keeps its answer blank in the form candidates expect, （  ）; a
    true/false stem loses a trailing blank, which only marked where the √ or × went.
    """
    stem = clean_inline(text)
    if question_type == "true_false":
        return _TRAILING_BLANKS.sub("", stem).strip()
    return _BLANK.sub(CHOICE_BLANK, stem)


def is_meaningful_stem(stem: str) -> bool:
    """False for an empty stem or one that is only an answer blank, "（  ）"."""
    return bool(_BLANK.sub("", stem).strip())


def stem_key(stem: str) -> str:
    """What two stems must share to be duplicates: width, case and spacing don't count."""
    return "".join(unicodedata.normalize("NFKC", stem).split()).casefold()


def parse_true_false(raw: str) -> str | None:
    """'true' or 'false' for any accepted spelling (√ × 对 错 T F ...), else None."""
    token = _BRACKET_CHARACTERS.sub("", unicodedata.normalize("NFKC", raw)).strip().lower()
    if token in TRUE_TOKENS:
        return "true"
    if token in FALSE_TOKENS:
        return "false"
    return None


def parse_letters(raw: str) -> str | None:
    """Answer letters sorted and without repeats ('c, a' -> 'AC'), else None.

    Any Latin letter is accepted here so that "F" in a four-option question is reported
    as not among the options rather than as gibberish.
    """
    text = _BRACKET_CHARACTERS.sub("", unicodedata.normalize("NFKC", raw)).upper()
    letters = _LETTER_SEPARATORS.sub("", text)
    if not letters or not all("A" <= ch <= "Z" for ch in letters):
        return None
    return "".join(sorted(set(letters)))


def parse_type(raw: str) -> QuestionType | None:
    """The question type for an English key or a Chinese name (判断/单选/多选), else None."""
    key = unicodedata.normalize("NFKC", raw).strip().lower().replace("-", "_").replace(" ", "_")
    return _TYPE_NAMES.get(key)


def check_question(
    line: int,
    question_type: str,
    stem: str,
    options: Sequence[str],
    raw_answer: str | None,
) -> tuple[str | None, list[ImportProblem]]:
    """Check the parts every format shares; return the normalised answer and problems.

    `stem` and `options` must already be cleaned. The answer is returned even when other
    parts have problems, so a caller can still report everything about the question.
    """
    problems: list[ImportProblem] = []

    def report(code: str, reason: str) -> None:
        problems.append(ImportProblem(line, code, reason))

    if not is_meaningful_stem(stem):
        report("empty_stem", "the question has no stem (question text)")
    answer_text = (raw_answer or "").strip()
    if question_type == "true_false":
        if options:
            report(
                "options_on_true_false",
                f"a true/false question has no options, but {len(options)} were given",
            )
        if not answer_text:
            report("no_answer", "the question has no answer")
            return None, problems
        answer = parse_true_false(answer_text)
        if answer is None:
            report(
                "bad_true_false_answer",
                f'true/false answer "{answer_text}" is not one of √ × 对 错 正确 错误 T F '
                "true false",
            )
        return answer, problems

    if question_type not in CHOICE_TYPES:
        raise ValueError(f"not a question type: {question_type!r}")
    if not options:
        report("no_options", f"a {_type_label(question_type)} question has no options")
    elif len(options) < 2:
        report(
            "option_count",
            f"a {_type_label(question_type)} question needs at least 2 options, "
            f"but has {len(options)}",
        )
    for index, option in enumerate(options):
        if not option:
            report("empty_option", f"option {OPTION_LETTERS[index]} is empty")
    if not answer_text:
        report("no_answer", "the question has no answer")
        return None, problems
    letters = parse_letters(answer_text)
    if letters is None:
        report(
            "bad_answer", f'answer "{answer_text}" is not a set of option letters such as B or ACD'
        )
        return None, problems
    if options:
        available = OPTION_LETTERS[: len(options)]
        missing = "".join(letter for letter in letters if letter not in available)
        if missing:
            report(
                "answer_not_in_options",
                f'answer "{missing}" is not among the options {letters_range(len(options))}',
            )
    if question_type == "single" and len(letters) != 1:
        report("answer_count", f'a single-choice question has one answer letter, not "{letters}"')
    if question_type == "multiple" and len(letters) < 2:
        report(
            "answer_count",
            f'a multiple-choice question has two or more answer letters, not "{letters}"',
        )
    return letters, problems


def find_duplicates(questions: Iterable[ParsedQuestion]) -> list[ImportProblem]:
    """A problem for every question whose stem and type repeat an earlier one in the file."""
    first_seen: dict[tuple[str, str], int] = {}
    problems = []
    for question in questions:
        key = (question.type, stem_key(question.stem))
        if key in first_seen:
            problems.append(
                ImportProblem(
                    question.line,
                    "duplicate_stem",
                    f'stem "{_shorten(question.stem)}" repeats the {_type_label(question.type)} '
                    f"question on line {first_seen[key]}",
                )
            )
        else:
            first_seen[key] = question.line
    return problems


def _type_label(question_type: str) -> str:
    return {"true_false": "true/false", "single": "single-choice", "multiple": "multiple-choice"}[
        question_type
    ]


def _shorten(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
