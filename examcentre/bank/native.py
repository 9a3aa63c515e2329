"""The native bank files (``examcentre.bank/1``, question_bank/FORMAT.md): read and write (pure).

Reading checks every rule and reports every problem as ``file:line: reason``, with the line
of the offending question or key taken from the YAML node marks. A key the format does not
know is a problem too, so that a misspelt optional key (``reviewd_on``) is not silently lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

from .validate import content_problems
from .vocab import AREA_CODES, AREA_NAMES, AREAS, ITEM_DIRS, Problem, QuestionContent

FORMAT = "examcentre.bank/1"
_ID = re.compile(r"^(?P<item>Q\d)-(?P<area>BA|OP|LW)-\d{4}$")
_LINE = "__line__"
_LINES = "__lines__"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The longest reviewer text (QuestionVersion.reviewed_by).
REVIEWER_MAX = 100
# The keys each mapping may hold (question_bank/FORMAT.md).
FILE_KEYS = frozenset({"format", "item", "area", "title", "points", "questions"})
POINT_KEYS = frozenset({"code", "zh", "en"})
QUESTION_KEYS = frozenset(
    {
        "id", "point", "type", "difficulty", "level", "critical", "answer", "reference", "image",
        "reviewed_by", "reviewed_on", "zh", "en",
    }
)  # fmt: skip
LANGUAGE_KEYS = frozenset({"stem", "options", "explanation"})


@dataclass(frozen=True, slots=True)
class SyllabusPointData:
    code: str
    zh: str
    en: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class BankQuestion:
    """One question of a bank file: its content (what the content hash covers) and, apart from
    it, who fact-checked that wording and when (``reviewed_by``/``reviewed_on``)."""

    external_id: str
    content: QuestionContent
    line: int = 0
    reviewed_by: str | None = None
    reviewed_on: date | None = None


@dataclass(frozen=True, slots=True)
class BankFile:
    """One file: one item's questions in one syllabus area."""

    name: str
    item: str
    area: str
    points: tuple[SyllabusPointData, ...]
    questions: tuple[BankQuestion, ...]


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping and of each of its values."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        mapping[_LINES] = {
            key.value: value.start_mark.line + 1
            for key, value in node.value
            if isinstance(key, yaml.ScalarNode)
        }
        return mapping


def _timestamp_or_text(loader: _LineLoader, node: yaml.Node) -> Any:
    """A YAML date, or the text itself when it only looks like one (``2026-02-30``), so that
    the key holding it can be reported at its line instead of the whole file failing."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _unknown_keys(mapping: dict, known: frozenset[str], where: str) -> list[tuple[int, str]]:
    """(line, reason) for every key of ``mapping`` that the format does not define."""
    return [
        (_line(mapping, str(key)), f"{where}: unknown key {key!r}")
        for key in mapping
        if key not in (_LINE, _LINES) and key not in known
    ]


def _line(mapping: dict, key: str | None = None) -> int:
    if key is not None and key in mapping.get(_LINES, {}):
        return mapping[_LINES][key]
    return mapping.get(_LINE, 0)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def read_bank_file(text: str, name: str) -> tuple[BankFile | None, list[Problem]]:
    """Parse and check one bank file; the file is None when any problem was found."""
    problems: list[Problem] = []

    def problem(line: int, reason: str) -> None:
        problems.append(Problem(name, line, reason))

    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem(mark.line + 1 if mark else 0, f"not valid YAML: {getattr(error, 'problem', error)}")
        return None, problems
    if not isinstance(data, dict):
        problem(1, "the file is not a YAML mapping")
        return None, problems
    for line, reason in _unknown_keys(data, FILE_KEYS, "the file"):
        problem(line, reason)
    if data.get("format") != FORMAT:
        problem(_line(data, "format"), f"format must be {FORMAT}, not {data.get('format')!r}")
    item = data.get("item")
    if item not in ITEM_DIRS:
        problem(_line(data, "item"), f"unknown item {item!r} (known: {', '.join(ITEM_DIRS)})")
    area = data.get("area")
    if area not in AREAS:
        problem(_line(data, "area"), f"area must be one of {', '.join(AREAS)}, not {area!r}")
        area = None

    points: list[SyllabusPointData] = []
    point_codes: set[str] = set()
    raw_points = data.get("points")
    if not isinstance(raw_points, list) or not raw_points:
        problem(_line(data, "points"), "points must be a non-empty list")
        raw_points = []
    for raw in raw_points:
        if not isinstance(raw, dict):
            problem(_line(data, "points"), "each point is a mapping with code, zh and en")
            continue
        code, zh = _text(raw.get("code")), _text(raw.get("zh"))
        line = _line(raw)
        if not code:
            problem(line, "a point has no code")
            continue
        for key_line, reason in _unknown_keys(raw, POINT_KEYS, f"point {code}"):
            problem(key_line, reason)
        if (
            area
            and item in ITEM_DIRS
            and not code.startswith(f"{ITEM_DIRS[item]}-{AREA_CODES[area]}-")
        ):
            problem(
                line, f"point code {code} must start with {ITEM_DIRS[item]}-{AREA_CODES[area]}-"
            )
        if code in point_codes:
            problem(line, f"point {code} is listed twice")
        if not zh:
            problem(line, f"point {code} has no zh name")
        point_codes.add(code)
        points.append(SyllabusPointData(code, zh or "", _text(raw.get("en")), line))

    questions: list[BankQuestion] = []
    ids: set[str] = set()
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list):
        problem(_line(data, "questions"), "questions must be a list")
        raw_questions = []
    for raw in raw_questions:
        if not isinstance(raw, dict):
            problem(_line(data, "questions"), "each question is a mapping")
            continue
        question, question_problems = _read_question(raw, item, area, point_codes)
        for line, reason in question_problems:
            problem(line, reason)
        if question is not None:
            if question.external_id in ids:
                problem(question.line, f"question id {question.external_id} is used twice")
            ids.add(question.external_id)
            questions.append(question)
    if problems:
        return None, problems
    return BankFile(name, item, area, tuple(points), tuple(questions)), problems


def _read_question(
    raw: dict, item: Any, area: str | None, point_codes: set[str]
) -> tuple[BankQuestion | None, list[tuple[int, str]]]:
    problems: list[tuple[int, str]] = []
    line = _line(raw)
    qid = _text(raw.get("id"))
    match = _ID.match(qid or "")
    if not match:
        problems.append((line, f"question id {qid!r} is not like Q2-OP-0001"))
    elif (
        item in ITEM_DIRS
        and area
        and (match["item"] != ITEM_DIRS[item] or match["area"] != AREA_CODES[area])
    ):
        problems.append((line, f"question id {qid} does not belong to {item} {area}"))
    label = qid or "question"
    problems += _unknown_keys(raw, QUESTION_KEYS, label)
    point = _text(raw.get("point"))
    if point not in point_codes:
        problems.append(
            (_line(raw, "point"), f"{label}: point {point!r} is not one of this file's points")
        )
    zh = raw.get("zh")
    if not isinstance(zh, dict) or not _text(zh.get("stem")):
        problems.append((_line(raw, "zh"), f"{label}: zh with a stem is required"))
        zh = zh if isinstance(zh, dict) else {}
    en = raw.get("en")
    if en is not None and not isinstance(en, dict):
        problems.append((_line(raw, "en"), f"{label}: en must be a mapping"))
        en = None
    en = en or {}
    for language, mapping in (("zh", zh), ("en", en)):
        problems += _unknown_keys(mapping, LANGUAGE_KEYS, f"{label} {language}")
    reviewed_by, reviewed_on, review_problems = _read_review(raw, label)
    problems += review_problems
    answer = raw.get("answer")
    if isinstance(answer, bool):
        answer = "true" if answer else "false"
    difficulty = raw.get("difficulty")
    critical = raw.get("critical", False)
    if not isinstance(critical, bool):
        problems.append((_line(raw, "critical"), f"{label}: critical must be true or false"))
        critical = False
    options_zh = zh.get("options") or []
    options_en = en.get("options") or []
    if not isinstance(options_zh, list) or not isinstance(options_en, list):
        problems.append((_line(raw, "zh"), f"{label}: options must be a list"))
        options_zh, options_en = [], []
    content = QuestionContent(
        area=area or "",
        type=str(raw.get("type")),
        stem_zh=_text(zh.get("stem")) or "",
        answer=str(answer).strip() if answer is not None else "",
        options_zh=tuple(str(o).strip() for o in options_zh),
        point=point,
        difficulty=difficulty if isinstance(difficulty, int) else -1,
        level=_text(raw.get("level")),
        critical=critical,
        explanation_zh=_text(zh.get("explanation")),
        stem_en=_text(en.get("stem")),
        options_en=tuple(str(o).strip() for o in options_en),
        explanation_en=_text(en.get("explanation")),
        reference=_text(raw.get("reference")),
        image=_text(raw.get("image")),
    )
    field_keys = {
        "type": "type",
        "difficulty": "difficulty",
        "level": "level",
        "answer": "answer",
        "options_zh": "zh",
        "stem_zh": "zh",
        "options_en": "en",
        "stem_en": "en",
    }
    for field, reason in content_problems(content):
        if field == "area":
            continue  # reported once for the file
        problems.append((_line(raw, field_keys.get(field)), f"{label}: {reason}"))
    if problems:
        return None, problems
    return BankQuestion(qid, content, line, reviewed_by, reviewed_on), problems


def _read_review(raw: dict, label: str) -> tuple[str | None, date | None, list[tuple[int, str]]]:
    """``reviewed_by`` (text) and ``reviewed_on`` (an ISO date): both or neither."""
    problems: list[tuple[int, str]] = []
    by_line, on_line = _line(raw, "reviewed_by"), _line(raw, "reviewed_on")
    reviewer = raw.get("reviewed_by")
    if reviewer is not None and not isinstance(reviewer, str):
        problems.append((by_line, f"{label}: reviewed_by must be text, not {reviewer!r}"))
        reviewer = None
    reviewer = _text(reviewer)
    if reviewer and len(reviewer) > REVIEWER_MAX:
        problems.append((by_line, f"{label}: reviewed_by is longer than {REVIEWER_MAX} characters"))
    value = raw.get("reviewed_on")
    reviewed_on = None
    if isinstance(value, date) and not isinstance(value, datetime):
        reviewed_on = value
    elif isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            reviewed_on = date.fromisoformat(value.strip())
        except ValueError:
            problems.append((on_line, f"{label}: reviewed_on {value!r} is not a real date"))
    elif value is not None:
        shown = value if isinstance(value, str) else str(value)
        problems.append(
            (on_line, f"{label}: reviewed_on must be a date like 2026-11-22, not {shown!r}")
        )
    if raw.get("reviewed_by") is not None and value is None:
        problems.append((by_line, f"{label}: reviewed_by needs reviewed_on (the day of review)"))
    if value is not None and not _text(raw.get("reviewed_by")):
        problems.append((on_line, f"{label}: reviewed_on needs reviewed_by (who reviewed it)"))
    return reviewer, reviewed_on, problems


def cross_file_problems(files: Iterable[BankFile]) -> list[Problem]:
    """Ids unique across the bank; point codes unique per item; one file per item and area."""
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    codes: dict[tuple[str, str], str] = {}
    areas: dict[tuple[str, str], str] = {}
    for f in files:
        if (f.item, f.area) in areas:
            problems.append(
                Problem(f.name, 1, f"{f.item} {f.area} is also in {areas[(f.item, f.area)]}")
            )
        areas[(f.item, f.area)] = f.name
        for p in f.points:
            if (f.item, p.code) in codes:
                problems.append(
                    Problem(f.name, p.line, f"point {p.code} is also in {codes[(f.item, p.code)]}")
                )
            codes[(f.item, p.code)] = f.name
        for q in f.questions:
            if q.external_id in ids:
                problems.append(
                    Problem(
                        f.name,
                        q.line,
                        f"question id {q.external_id} is also in {ids[q.external_id]}",
                    )
                )
            ids[q.external_id] = f.name
    return problems


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def write_bank_file(
    item: str,
    area: str,
    points: Sequence[SyllabusPointData],
    questions: Sequence[BankQuestion],
) -> str:
    """The YAML text of one bank file, in FORMAT.md's layout (reads back to the same content)."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "item": item,
        "area": area,
        "title": {"zh": AREA_NAMES[area][0], "en": AREA_NAMES[area][1]},
        "points": [{"code": p.code, "zh": p.zh, **({"en": p.en} if p.en else {})} for p in points],
        "questions": [_question_doc(q) for q in questions],
    }
    return yaml.dump(
        doc,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )


def _question_doc(q: BankQuestion) -> dict[str, Any]:
    c = q.content
    doc: dict[str, Any] = {
        "id": q.external_id,
        "point": c.point,
        "type": c.type,
        "difficulty": c.difficulty,
    }
    if c.level:
        doc["level"] = c.level
    doc["critical"] = c.critical
    doc["answer"] = (c.answer == "true") if c.type == "true_false" else c.answer
    if c.reference:
        doc["reference"] = c.reference
    if c.image:
        doc["image"] = c.image
    if q.reviewed_by:
        doc["reviewed_by"] = q.reviewed_by
    if q.reviewed_on:
        doc["reviewed_on"] = q.reviewed_on
    doc["zh"] = _language(c.stem_zh, c.options_zh, c.explanation_zh)
    if c.stem_en:
        doc["en"] = _language(c.stem_en, c.options_en, c.explanation_en)
    return doc


def _language(stem: str, options: tuple[str, ...], explanation: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"stem": stem}
    if options:
        doc["options"] = list(options)
    if explanation:
        doc["explanation"] = explanation
    return doc
