"""The bank's closed vocabularies and the plain content of one question version (pure)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import asdict, dataclass

# Syllabus areas and their 2009 weights (domain.md §7.1), in paper order.
AREAS = ("basics", "operation", "law")
AREA_CODES = {"basics": "BA", "operation": "OP", "law": "LW"}
AREA_NAMES = {
    "basics": ("专业基础知识", "Professional basics"),
    "operation": ("安全使用操作知识", "Safe use and operation"),
    "law": ("法规知识", "Laws and regulations"),
}
TYPES = ("true_false", "single", "multiple")
LEVELS = ("了解", "理解", "掌握")
DIFFICULTIES = (1, 2, 3)
LETTERS = "ABCDE"
# Item code -> the folder under question_bank/theory/ (FORMAT.md).
ITEM_DIRS = {"Q1": "Q1", "Q2(限桥式起重机)": "Q2"}
ITEMS = tuple(ITEM_DIRS)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, at a line (0 when it concerns the whole file)."""

    file: str
    line: int
    reason: str

    def format(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class QuestionContent:
    """Everything one version of a question says; what the content hash covers."""

    area: str | None
    type: str
    stem_zh: str
    answer: str
    options_zh: tuple[str, ...] = ()
    point: str | None = None
    difficulty: int = 2
    level: str | None = None
    critical: bool = False
    explanation_zh: str | None = None
    stem_en: str | None = None
    options_en: tuple[str, ...] = ()
    explanation_en: str | None = None
    reference: str | None = None
    image: str | None = None


def content_hash(content: QuestionContent) -> str:
    """SHA-256 of the canonical JSON of a question's content: equal exactly when unchanged."""
    text = json.dumps(asdict(content), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalised_stem(stem: str) -> str:
    """The stem as compared for duplicates: NFKC (full-width -> half-width), no whitespace."""
    return "".join(unicodedata.normalize("NFKC", stem).split()).casefold()
