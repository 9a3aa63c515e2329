"""Import and export formats of the question bank: plain text, CSV and XLSX.

Pure: plain values in and out; no Flask, no database, no clock. `parse_file` is the
entry point for an uploaded file; the writers produce files the parsers read back to
the same questions. The native YAML bank format is read elsewhere.
"""

from __future__ import annotations

import os

from .model import (
    AREAS,
    LEVELS,
    PROBLEM_CODES,
    QUESTION_TYPES,
    ImportProblem,
    ParsedQuestion,
    ParseResult,
    QuestionType,
    unreadable,
)
from .plaintext import parse_plain_text, write_plain_text
from .tabular import (
    COLUMN_ALIASES,
    COLUMNS,
    csv_template,
    looks_like_table,
    parse_csv,
    parse_xlsx,
    write_csv,
    write_xlsx,
    xlsx_template,
)

__all__ = [
    "AREAS",
    "COLUMNS",
    "COLUMN_ALIASES",
    "LEVELS",
    "PROBLEM_CODES",
    "QUESTION_TYPES",
    "SUPPORTED_EXTENSIONS",
    "ImportProblem",
    "ParseResult",
    "ParsedQuestion",
    "QuestionType",
    "csv_template",
    "decode_text",
    "parse_csv",
    "parse_file",
    "parse_plain_text",
    "parse_xlsx",
    "write_csv",
    "write_plain_text",
    "write_xlsx",
    "xlsx_template",
]

SUPPORTED_EXTENSIONS = (".txt", ".text", ".csv", ".xlsx")
# What staff most often upload by mistake, and what to do instead.
_ADVICE_FOR_EXTENSION = {
    ".xls": "old Excel .xls files are not read; save the workbook as .xlsx",
    ".doc": "Word files are not read; save the document as plain text (.txt, UTF-8)",
    ".docx": "Word files are not read; save the document as plain text (.txt, UTF-8)",
    ".pdf": "PDF files are not read; copy the questions into a .txt file",
    ".yaml": "native bank files (.yaml) are loaded by the bank loader, not imported here",
    ".yml": "native bank files (.yml) are loaded by the bank loader, not imported here",
}


def parse_file(filename: str, data: bytes) -> ParseResult:
    """Parse an uploaded file, choosing the format by its extension.

    An unknown extension or text in no known encoding gives a result with a single
    ``unreadable_file`` problem.
    """
    extension = os.path.splitext(filename)[1].lower()
    if extension == ".xlsx":
        return parse_xlsx(data)
    if extension not in SUPPORTED_EXTENSIONS:
        advice = _ADVICE_FOR_EXTENSION.get(
            extension, "use a .txt, .csv or .xlsx file (see IMPORT-FORMATS.md)"
        )
        return unreadable(f'cannot read "{extension or filename}" files: {advice}')
    text = decode_text(data)
    if text is None:
        return unreadable("the file is not text in UTF-8 or GB18030 (GBK) encoding")
    if extension == ".csv" or looks_like_table(text):
        return parse_csv(text)
    return parse_plain_text(text)


def decode_text(data: bytes) -> str | None:
    """Text from an uploaded file, or None when no known encoding fits.

    UTF-8 (with or without BOM) first; then UTF-16 when it has a BOM (Excel's "Unicode
    text"); then GB18030, a superset of GBK/GB2312, which Chinese Windows saves by default.
    """
    candidates = ["utf-8-sig"]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates.insert(0, "utf-16")
    candidates.append("gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # A NUL means binary data that happened to decode (e.g. a stray image).
        if "\x00" not in text:
            return text
    return None
