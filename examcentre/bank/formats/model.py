"""Plain values shared by every import/export format of the question bank.

Pure: no Flask, no database, no clock. A parser turns a file into a `ParseResult`: the
questions it could read and every problem it found. The caller imports nothing when
`ParseResult.ok` is false, so a parser never stops at the first problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

QuestionType = Literal["true_false", "single", "multiple"]

QUESTION_TYPES: tuple[QuestionType, ...] = ("true_false", "single", "multiple")
CHOICE_TYPES: frozenset[str] = frozenset({"single", "multiple"})
AREAS: tuple[str, ...] = ("basics", "operation", "law")
LEVELS: tuple[str, ...] = ("了解", "理解", "掌握")
DIFFICULTIES: tuple[int, ...] = (1, 2, 3)
# Every `ImportProblem.code` a parser produces, in the order IMPORT-FORMATS.md lists them.
# Stable: the UI may key translated messages on them.
PROBLEM_CODES: tuple[str, ...] = (
    "unreadable_file",
    "no_questions",
    "missing_header",
    "missing_column",
    "unknown_column",
    "duplicate_column",
    "bad_type",
    "bad_area",
    "bad_difficulty",
    "bad_level",
    "bad_critical",
    "empty_stem",
    "no_answer",
    "bad_true_false_answer",
    "bad_answer",
    "answer_not_in_options",
    "answer_count",
    "no_options",
    "option_count",
    "empty_option",
    "option_order",
    "options_on_true_false",
    "en_option_count",
    "missing_en_stem",
    "duplicate_stem",
)
# Option letters a file may use; the native format allows at most five options.
OPTION_LETTERS = "ABCDE"


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    """One question read from an import file, already cleaned and validated."""

    line: int  # 1-based line (text, CSV) or row (XLSX) where the question starts
    type: str  # "true_false" | "single" | "multiple"
    stem: str  # zh stem, cleaned (answer marker removed, whitespace normalised)
    options: tuple[str, ...]  # option texts without their letters; () for true_false
    answer: str  # true_false: "true"/"false"; single: "B"; multiple: "ACD" (sorted)
    area: str | None = None  # "basics" | "operation" | "law"
    point: str | None = None  # syllabus point code, e.g. "Q2-OP-HOOK"
    difficulty: int | None = None  # 1..3
    level: str | None = None  # 了解 | 理解 | 掌握
    critical: bool = False
    explanation: str | None = None
    reference: str | None = None
    en_stem: str | None = None
    en_options: tuple[str, ...] = ()
    en_explanation: str | None = None
    external_id: str | None = None  # the file's id column, e.g. "Q2-OP-0001"


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """Something wrong with an import file, located at a line (or XLSX row)."""

    line: int
    code: str  # stable machine code, e.g. "answer_not_in_options"
    reason: str  # English sentence naming the offending value

    def format(self, filename: str) -> str:
        """The compiler-style form staff can search for: ``file:line: reason``."""
        return f"{filename}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Everything a parser read from one file."""

    questions: tuple[ParsedQuestion, ...]
    problems: tuple[ImportProblem, ...]

    @property
    def ok(self) -> bool:
        """True when the file can be imported as a whole (no problem at all)."""
        return not self.problems

    def counts(self) -> dict[str, int]:
        """Questions per type; all three types are always present, for a stable summary."""
        counts = dict.fromkeys(QUESTION_TYPES, 0)
        for question in self.questions:
            counts[question.type] += 1
        return counts


def unreadable(reason: str) -> ParseResult:
    """The result for a file that could not be read at all."""
    return ParseResult(questions=(), problems=(ImportProblem(1, "unreadable_file", reason),))


def letters_range(count: int) -> str:
    """'A-D' for four options, 'A' for one: how a reason names the available letters."""
    if count <= 1:
        return OPTION_LETTERS[:count] or "(none)"
    return f"{OPTION_LETTERS[0]}-{OPTION_LETTERS[count - 1]}"
