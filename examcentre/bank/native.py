"""The native bank files (``examcentre.bank/1``, question_bank/FORMAT.md): read and write (pure).

Reading checks every rule and reports every problem as ``file:line: reason``, with the line
of the offending question or key taken from the YAML node marks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from .validate import content_problems
from .vocab import AREA_CODES, AREA_NAMES, AREAS, ITEM_DIRS, Problem, QuestionContent

FORMAT = "examcentre.bank/1"
_ID = re.compile(r"^(?P<item>Q\d)-(?P<area>BA|OP|LW)-\d{4}$")
_LINE = "__line__"
_LINES = "__lines__"


@dataclass(frozen=True, slots=True)
class SyllabusPointData:
    code: str
    zh: str
    en: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class BankQuestion:
    external_id: str
    content: QuestionContent
    line: int = 0


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
    return BankQuestion(qid, content, line), problems


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
