"""The rules every question obeys (FORMAT.md), and the checks an import makes (pure).

Used by the bank-file loader, the importers and the edit form, so that a question cannot be
valid in one place and invalid in another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .vocab import AREAS, DIFFICULTIES, LETTERS, LEVELS, TYPES, Problem, QuestionContent


def content_problems(q: QuestionContent) -> list[tuple[str, str]]:
    """(field, reason) for every rule ``q`` breaks; empty when the question is valid."""
    problems: list[tuple[str, str]] = []
    if q.area is not None and q.area not in AREAS:
        problems.append(("area", f"area must be one of {', '.join(AREAS)}, not {q.area!r}"))
    if q.type not in TYPES:
        problems.append(("type", f"type must be one of {', '.join(TYPES)}, not {q.type!r}"))
    if not (q.stem_zh or "").strip():
        problems.append(("stem_zh", "the Chinese stem is empty"))
    if q.difficulty not in DIFFICULTIES:
        problems.append(("difficulty", f"difficulty must be 1, 2 or 3, not {q.difficulty!r}"))
    if q.level is not None and q.level not in LEVELS:
        problems.append(("level", f"level must be one of {', '.join(LEVELS)}, not {q.level!r}"))
    options = q.options_zh
    if any(not (o or "").strip() for o in options):
        problems.append(("options_zh", "an option is empty"))
    if q.type == "true_false":
        if options:
            problems.append(("options_zh", "a true_false question has no options"))
        if q.answer not in ("true", "false"):
            problems.append(("answer", f"a true_false answer is true or false, not {q.answer!r}"))
    elif q.type == "single":
        if len(options) != 4:
            problems.append(("options_zh", f"a single question has 4 options, not {len(options)}"))
        if len(q.answer) != 1 or q.answer not in LETTERS[: len(options)]:
            problems.append(("answer", f"a single answer is one option letter, not {q.answer!r}"))
    elif q.type == "multiple":
        if len(options) not in (4, 5):
            problems.append(
                ("options_zh", f"a multiple question has 4 or 5 options, not {len(options)}")
            )
        letters = LETTERS[: len(options)]
        if (
            len(q.answer) < 2
            or any(c not in letters for c in q.answer)
            or "".join(sorted(set(q.answer))) != q.answer
        ):
            problems.append(
                (
                    "answer",
                    f"a multiple answer is 2 or more option letters in order, not {q.answer!r}",
                )
            )
    if q.options_en and len(q.options_en) != len(options):
        problems.append(
            (
                "options_en",
                f"the English version has {len(q.options_en)} options, the Chinese {len(options)}",
            )
        )
    if (q.options_en or q.explanation_en) and not (q.stem_en or "").strip():
        problems.append(("stem_en", "English options or explanation without an English stem"))
    return problems


@dataclass(frozen=True, slots=True)
class ImportCandidate:
    """One question from an import file, as checked against the bank."""

    line: int
    content: QuestionContent
    external_id: str | None = None


def import_problems(
    filename: str,
    candidates: Iterable[ImportCandidate],
    *,
    points: Mapping[str, str],
    existing_stems: set[str],
    existing_ids: set[str] = frozenset(),
) -> list[Problem]:
    """Every reason to reject an import file: invalid questions, unknown syllabus points,
    duplicates of the bank's stems (normalised) for the item, ids already used.

    ``points`` maps the item's point codes to their area.
    """
    from .vocab import normalised_stem

    problems: list[Problem] = []
    seen_ids: dict[str, int] = {}
    for c in candidates:
        q = c.content
        for _field, reason in content_problems(q):
            problems.append(Problem(filename, c.line, reason))
        if q.point is not None:
            if q.point not in points:
                problems.append(Problem(filename, c.line, f"unknown syllabus point {q.point!r}"))
            elif points[q.point] != q.area:
                problems.append(
                    Problem(
                        filename,
                        c.line,
                        f"syllabus point {q.point} belongs to area {points[q.point]}, not {q.area}",
                    )
                )
        # Duplicates within the file are the parser's to report (formats.checks).
        if normalised_stem(q.stem_zh or "") in existing_stems:
            problems.append(
                Problem(filename, c.line, "duplicate: the bank already has this stem for the item")
            )
        if c.external_id:
            if c.external_id in existing_ids:
                problems.append(
                    Problem(filename, c.line, f"id {c.external_id} is already in the bank")
                )
            elif c.external_id in seen_ids:
                problems.append(
                    Problem(
                        filename,
                        c.line,
                        f"id {c.external_id} is also on line {seen_ids[c.external_id]}",
                    )
                )
            else:
                seen_ids[c.external_id] = c.line
    return problems
