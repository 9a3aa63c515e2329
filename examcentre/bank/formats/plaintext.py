"""The plain-text layout Chinese exam centres circulate (试题 .txt files), read and written.

A file is a sequence of sections (``一、判断题``, ``二、单项选择题`` ...) holding numbered
questions; options follow the stem (``A、`` ``A.`` ``A．`` ``A)`` ``A:``), one per line or
several to a line; the answer sits in brackets in the stem (``（ B ）``, ``(√)``), in front of
the number (``(√)1.``) or on an ``答案：`` line. See question_bank/IMPORT-FORMATS.md.

The reader is tolerant because real files are typed by hand; everything it cannot
make sense of becomes an `ImportProblem` on the question's first line.

The writer escapes with a backslash the few things the reader would otherwise take for
structure: an option marker inside a text (``\\B.``) and the backslash itself (``\\\\``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .checks import (
    CHOICE_BLANK,
    check_question,
    clean_inline,
    clean_stem,
    find_duplicates,
    parse_letters,
    parse_true_false,
)
from .model import (
    OPTION_LETTERS,
    ImportProblem,
    ParsedQuestion,
    ParseResult,
    QuestionType,
)

_FULL_WIDTH_LETTERS = "ＡＢＣＤＥ"
_ANY_LETTER = "[A-EＡ-Ｅ]"
# What may follow an option letter: A、 A. A． A: A： A) A）
_SEPARATOR = "[、.．:：)）]"
# On a stem line a closing bracket after a letter is an answer, （ A ）, never a marker.
_STEM_LINE_SEPARATOR = "[、.．:：]"

_SECTION_KINDS: dict[str, QuestionType | None] = {
    "判断题": "true_false",
    "是非题": "true_false",
    "单项选择题": "single",
    "单选题": "single",
    "多项选择题": "multiple",
    "多选题": "multiple",
    # These may hold single or multiple questions: the type comes from each answer.
    "不定项选择题": None,
    "选择题": None,
    "true/false": "true_false",
    "single choice": "single",
    "multiple choice": "multiple",
}
_CHINESE_DIGITS = "一二三四五六七八九十"
_SECTION_KIND = (
    r"(?P<kind>判断题|是非题|单项选择题|单选题|多项选择题|多选题|不定项选择题|选择题"
    r"|true\s*/\s*false|single[\s-]*choice|multiple[\s-]*choice)(?:\s*questions?)?"
)
# 一、判断题 / 第一部分 判断题 / （一）判断题 / 判断题: such a line is a header whatever
# note follows (每题1分 …), as long as a space, bracket or punctuation sets the note apart.
_SECTION_HEADER = re.compile(
    r"^(?:第\s*[一二三四五六七八九十\d]+\s*(?:部分|大题|章|节)?"
    r"|[一二三四五六七八九十]+\s*[、.．:：]?"
    r"|[（(]\s*[一二三四五六七八九十]+\s*[）)])?"
    rf"\s*{_SECTION_KIND}\s*(?:$|[（(【\[:：，,。.;；].{{0,80}}$)",
    re.IGNORECASE,
)
# 1、判断题 looks like a question numbered 1, so only a bracketed note may follow it.
_NUMBERED_SECTION_HEADER = re.compile(
    r"^(?:\d{1,2}\s*[、.．:：]?|[（(]\s*\d{1,2}\s*[）)])"
    rf"\s*{_SECTION_KIND}\s*(?:[（(【\[][^）)】\]]*[）)】\]])?\s*[:：。.]?\s*$",
    re.IGNORECASE,
)
# Characters an answer written before the number may hold: (√)1.  ( )1.  (B)1.
_BEFORE_NUMBER_ANSWER = r"[\s√×✓✗✔✘对错正确误xXＸA-EＡ-Ｅ]{0,12}?"
_QUESTION_START = re.compile(
    rf"^(?:[（(【\[]\s*(?P<before>{_BEFORE_NUMBER_ANSWER})\s*[）)】\]]\s*)?"
    r"(?:第\s*)?"
    # "1." is a number only when no digit follows: "1.5 t" continues a stem.
    r"(?:(?P<number>\d{1,4})\s*(?:题\s*[、.．:：)）]?|[、)）:：]|[.．](?!\d))"
    r"|[（(]\s*(?P<bracketed>\d{1,4})\s*[）)])"
    r"\s*(?P<rest>.*)$"
)
_ANSWER_LINE = re.compile(
    r"^(?:[【\[]\s*(?:正确|参考|标准)?答案\s*[】\]]|(?:正确|参考|标准)?答案\s*[:：]?|答\s*[:：]"
    r"|answer\s*[:：])\s*(?P<value>.*)$",
    re.IGNORECASE,
)
# A line holding nothing but the answer, "ABD" or "√", under the options.
_BARE_ANSWER_LINE = re.compile(r"^(?P<value>[A-EＡ-Ｅ]{1,5}|[√×✓✗✔✘])$")
_EXPLANATION_LINE = re.compile(
    r"^(?:[【\[]\s*(?:答案)?解析\s*[】\]]|(?:答案)?解析\s*[:：]|explanation\s*[:：])\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_EXPLANATION_AFTER_ANSWER = re.compile(r"[【\[]?\s*(?:答案)?解析\s*[】\]:：]")
_OPTION_LINE_START = re.compile(
    rf"^(?:[（(]\s*(?P<bracketed>{_ANY_LETTER})\s*[）)]|(?P<plain>{_ANY_LETTER})\s*{_SEPARATOR})\s*"
)
# An answer inside a stem: (B) （ABC） 【 A 】 (√) （对）.
_ANSWER_BRACKET = re.compile(
    r"\s*[（(【\[]\s*(?P<value>[A-EＡ-Ｅ](?:[\s,，、]*[A-EＡ-Ｅ])*|[√×✓✗✔✘]|正确|错误|对|错)"
    r"\s*[）)】\]]\s*"
)
# Page numbers left over from a Word or PDF export: "第 1 页 共 3 页", "- 2 -", "Page 2 of 5".
_PAGE_FOOTER = re.compile(
    r"^(?:第\s*\d+\s*页\s*(?:[,，/]?\s*共\s*\d+\s*页)?|[-—]\s*\d+\s*[-—]"
    r"|page\s+\d+(?:\s+of\s+\d+)?)$",
    re.IGNORECASE,
)
# Backslash escapes the writer uses; a reader removes the backslash.
_ESCAPED = re.compile(r"\\([\\A-EＡ-Ｅ])")
# Text the reader could take for an option marker: a letter A-E after a non-word
# character and before a separator.
_MARKER_LIKE = re.compile(rf"(?<![A-Za-z0-9])({_ANY_LETTER})(?=\s*{_SEPARATOR})")

_SECTION_TITLES = {"true_false": "判断题", "single": "单项选择题", "multiple": "多项选择题"}


def _letter_pattern(letter: str) -> str:
    full_width = _FULL_WIDTH_LETTERS[OPTION_LETTERS.index(letter)]
    return f"[{letter}{full_width}]"


# The first inline option on a stem line must follow a space or punctuation.
_INLINE_FIRST_MARKER = re.compile(
    rf"(?<=[\s？?。！!：:；;）)】\]]){_letter_pattern('A')}\s*{_STEM_LINE_SEPARATOR}\s*"
)
# Later options on a line must follow whitespace (or ；。) so that a letter inside a word
# or formula ("GB/T", "4B.") is never taken for a marker.
_LATER_MARKERS_ON_OPTION_LINE = {
    letter: re.compile(
        rf"(?<=[\s；;。])(?:[（(]\s*{_letter_pattern(letter)}\s*[）)]"
        rf"|{_letter_pattern(letter)}\s*{_SEPARATOR})\s*"
    )
    for letter in OPTION_LETTERS
}
_LATER_MARKERS_ON_STEM_LINE = {
    letter: re.compile(rf"(?<=[\s；;。]){_letter_pattern(letter)}\s*{_STEM_LINE_SEPARATOR}\s*")
    for letter in OPTION_LETTERS
}


@dataclass
class _Draft:
    """A question while its lines are being read."""

    line: int
    section: QuestionType | None
    before_number_answer: str | None
    stem: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (letter, text)
    answer_line: str | None = None
    explanation: str | None = None
    reading: str = "stem"  # "stem" | "options" | "after_answer" | "explanation"


def parse_plain_text(text: str) -> ParseResult:
    """Read a plain-text question file; every problem is reported, none stops the reading."""
    section: QuestionType | None = None
    draft: _Draft | None = None
    drafts: list[_Draft] = []
    for line_number, raw_line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw_line.strip()
        if not line or _PAGE_FOOTER.match(line):
            continue
        header = _SECTION_HEADER.match(line) or _NUMBERED_SECTION_HEADER.match(line)
        if header:
            draft = None
            section = _SECTION_KINDS[_section_key(header.group("kind"))]
            continue
        start = _QUESTION_START.match(line)
        if start:
            before = start.group("before")
            draft = _Draft(line_number, section, before.strip() if before else None)
            drafts.append(draft)
            stem_text, options = _split_stem_line(start.group("rest"))
            draft.stem = stem_text
            draft.options.extend(options)
            draft.reading = "options" if options else "stem"
            continue
        if draft is None:
            continue  # titles and instructions before the first question
        _read_body_line(draft, line)

    questions: list[ParsedQuestion] = []
    problems: list[ImportProblem] = []
    for each in drafts:
        question, question_problems = _finish(each)
        problems.extend(question_problems)
        if question is not None and not question_problems:
            questions.append(question)
    problems.extend(find_duplicates(questions))
    if not drafts:
        problems.append(
            ImportProblem(1, "no_questions", "no numbered question (such as “1、…”) was found")
        )
    problems.sort(key=lambda problem: problem.line)
    return ParseResult(tuple(questions), tuple(problems))


def write_plain_text(questions: Sequence[ParsedQuestion]) -> str:
    """The plain-text layout of `questions`, in order; a new section starts at each type change.

    Only type, stem, options, answer and explanation are written: the layout has no place
    for the other fields.
    """
    lines: list[str] = []
    sections = 0
    current_type: str | None = None
    for number, question in enumerate(questions, start=1):
        if question.type != current_type:
            sections += 1
            current_type = question.type
            lines.append(f"{_chinese_number(sections)}、{_SECTION_TITLES[question.type]}")
            lines.append("")
        lines.append(f"{number}. {_escape(question.stem)}")
        for letter, option in zip(OPTION_LETTERS, question.options, strict=False):
            lines.append(f"{letter}. {_escape(option)}")
        lines.append(f"答案：{_answer_text(question)}")
        if question.explanation:
            lines.append(f"解析：{clean_inline(question.explanation)}")
        lines.append("")
    return "\n".join(lines)


def _read_body_line(draft: _Draft, line: str) -> None:
    """Fold one line after a question's first line into the draft."""
    explanation_line = _EXPLANATION_LINE.match(line)
    if explanation_line:  # before answers, since 答案解析 starts like 答案
        draft.explanation = explanation_line.group("value").strip()
        draft.reading = "explanation"
        return
    answer = _ANSWER_LINE.match(line) or _BARE_ANSWER_LINE.match(line)
    if answer:
        value = answer.group("value")
        explanation = _EXPLANATION_AFTER_ANSWER.search(value)
        if explanation:  # 答案：B  解析：……
            draft.explanation = value[explanation.end() :].strip()
            value = value[: explanation.start()]
            draft.reading = "explanation"
        # "答案：B。" - the full stop closes the sentence, it is not part of the answer.
        value = value.strip().rstrip("。.;；,，").strip()
        if value:  # an empty 答案： leaves the answer where else it may be
            draft.answer_line = value
        if draft.reading != "explanation":
            draft.reading = "after_answer"
        return
    if _OPTION_LINE_START.match(line) and draft.reading != "explanation":
        draft.options.extend(_split_option_line(line))
        draft.reading = "options"
        return
    if draft.reading in ("explanation", "after_answer"):
        # Text after the answer comments on it: 答案：B  本题考查……
        draft.explanation = _join(draft.explanation or "", line)
        draft.reading = "explanation"
        return
    # A line of its own continues whatever came last: the stem or the last option.
    if draft.options:
        letter, option = draft.options[-1]
        draft.options[-1] = (letter, _join(option, line))
    else:
        draft.stem = _join(draft.stem, line)


def _split_stem_line(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split ``stem A、x B、y`` into the stem and its options.

    Options count as inline only when both A and B are on the line, so a stem that
    merely mentions "A." stays whole.
    """
    first = _INLINE_FIRST_MARKER.search(text)
    if not first or not _LATER_MARKERS_ON_STEM_LINE["B"].search(text, first.end()):
        return text, []
    options = _collect_options(text, "A", first.end(), _LATER_MARKERS_ON_STEM_LINE)
    return text[: first.start()], options


def _split_option_line(line: str) -> list[tuple[str, str]]:
    """Options on a line starting with a marker: ``A、对 B、错`` -> [("A", "对"), ("B", "错")]."""
    first = _OPTION_LINE_START.match(line)
    assert first is not None  # the caller matched it already
    letter = _ascii_letter(first.group("bracketed") or first.group("plain"))
    return _collect_options(line, letter, first.end(), _LATER_MARKERS_ON_OPTION_LINE)


def _collect_options(
    text: str, first_letter: str, content_start: int, markers: dict[str, re.Pattern[str]]
) -> list[tuple[str, str]]:
    """Cut `text` at the markers following `first_letter` in alphabetical order."""
    options = []
    letter = first_letter
    for next_letter in OPTION_LETTERS[OPTION_LETTERS.index(first_letter) + 1 :]:
        marker = markers[next_letter].search(text, content_start)
        if marker is None:
            break
        options.append((letter, text[content_start : marker.start()]))
        letter, content_start = next_letter, marker.end()
    options.append((letter, text[content_start:]))
    return options


def _finish(draft: _Draft) -> tuple[ParsedQuestion | None, list[ImportProblem]]:
    """Turn a draft into a question and the problems found in it."""
    problems: list[ImportProblem] = []
    letters_seen = "".join(letter for letter, _ in draft.options)
    if letters_seen != OPTION_LETTERS[: len(letters_seen)]:
        problems.append(
            ImportProblem(
                draft.line,
                "option_order",
                f"options are lettered {' '.join(letters_seen)}, expected "
                f"{' '.join(OPTION_LETTERS[: len(letters_seen)])}",
            )
        )
    options = [clean_inline(_unescape(text)) for _, text in draft.options]
    stem = draft.stem
    answer_bracket: re.Match[str] | None = None
    if draft.before_number_answer:
        raw_answer: str | None = draft.before_number_answer
    elif draft.answer_line is not None:
        raw_answer = draft.answer_line
    else:
        answer_bracket = _pick_answer_bracket(stem, draft.section, bool(options))
        raw_answer = answer_bracket.group("value") if answer_bracket else None

    question_type = draft.section or _infer_type(raw_answer, options)
    if question_type == "true_false" and options and raw_answer:
        options, raw_answer = _options_as_true_false(options, raw_answer)
    if answer_bracket is not None:
        # Where the answer was, a choice stem keeps the blank; a true/false stem needs none.
        before, after = stem[: answer_bracket.start()], stem[answer_bracket.end() :]
        if question_type == "true_false":
            stem = _join(before, after)
        else:
            stem = before + CHOICE_BLANK + after
    stem = clean_stem(_unescape(stem), question_type)

    answer, core_problems = check_question(draft.line, question_type, stem, options, raw_answer)
    problems.extend(core_problems)
    if answer is None or problems:
        return None, problems
    explanation = clean_inline(draft.explanation) if draft.explanation else None
    question = ParsedQuestion(
        line=draft.line,
        type=question_type,
        stem=stem,
        options=tuple(options),
        answer=answer,
        explanation=explanation or None,
    )
    return question, problems


def _pick_answer_bracket(
    stem: str, section: QuestionType | None, has_options: bool
) -> re.Match[str] | None:
    """The bracket holding the answer: the last one of the kind the section expects."""
    candidates = list(_ANSWER_BRACKET.finditer(stem))
    if section == "true_false" and not has_options:
        candidates = [c for c in candidates if parse_true_false(c.group("value"))]
    elif section in ("single", "multiple"):
        candidates = [c for c in candidates if parse_letters(c.group("value"))]
    return candidates[-1] if candidates else None


def _infer_type(raw_answer: str | None, options: Sequence[str]) -> QuestionType:
    """The type of a question outside any typed section, judged by its answer and options."""
    if raw_answer and not options and parse_true_false(raw_answer):
        return "true_false"
    letters = parse_letters(raw_answer) if raw_answer else None
    if letters:
        return "multiple" if len(letters) > 1 else "single"
    return "single" if options else "true_false"


def _options_as_true_false(options: list[str], raw_answer: str) -> tuple[list[str], str]:
    """Read ``A、正确 B、错误`` in a 判断题 section as no options at all.

    The answer may be the letter of the right option (B) or the mark itself (×).
    """
    if len(options) != 2 or not all(parse_true_false(option) for option in options):
        return options, raw_answer
    if parse_true_false(raw_answer):  # 答案：× next to A、对 B、错
        return [], raw_answer
    letters = parse_letters(raw_answer)
    if letters in ("A", "B"):
        return [], options[OPTION_LETTERS.index(letters)]
    return options, raw_answer


def _answer_text(question: ParsedQuestion) -> str:
    if question.type == "true_false":
        return "√" if question.answer == "true" else "×"
    return question.answer


def _join(before: str, after: str) -> str:
    """Join a line continuing text: a space between Latin words, none within Chinese."""
    if before and after and before[-1].isascii() and after[0].isascii():
        return f"{before} {after}"
    return before + after


def _escape(text: str) -> str:
    return _MARKER_LIKE.sub(r"\\\1", text.replace("\\", "\\\\"))


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def _ascii_letter(letter: str) -> str:
    if letter in _FULL_WIDTH_LETTERS:
        return OPTION_LETTERS[_FULL_WIDTH_LETTERS.index(letter)]
    return letter


def _section_key(kind: str) -> str:
    key = " ".join(kind.lower().replace("-", " ").split())
    return key.replace(" / ", "/").replace(" /", "/").replace("/ ", "/")


def _chinese_number(number: int) -> str:
    """一 … 十, 十一 … 九十九: section numbers as centres write them."""
    tens, units = divmod(number, 10)
    if tens == 0:
        return _CHINESE_DIGITS[units - 1]
    prefix = "" if tens == 1 else _CHINESE_DIGITS[tens - 1]
    return prefix + "十" + (_CHINESE_DIGITS[units - 1] if units else "")
