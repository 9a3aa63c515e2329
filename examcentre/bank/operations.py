"""Writing the question bank: load the bank files, import, edit, review, retire, export.

Every function here takes the acting ``Actor`` explicitly, records an audit entry for each
change, and flushes but never commits: the edge (CLI, view) commits once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..audit.operations import Actor, record
from ..extensions import db
from ..models import (
    Centre,
    PaperQuestion,
    Question,
    QuestionStatus,
    QuestionVersion,
    SyllabusPoint,
    utcnow,
)
from ..papers.blueprint import DEFAULT_COVERAGE_FACTOR, Spec
from .native import BankFile, BankQuestion, SyllabusPointData, cross_file_problems, read_bank_file
from .stats import LiveQuestion, item_stats, stats_document
from .validate import ImportCandidate, content_problems, import_problems
from .vocab import (
    AREA_CODES,
    AREAS,
    ITEM_DIRS,
    ITEMS,
    TYPES,
    Problem,
    QuestionContent,
    normalised_stem,
)
from .vocab import content_hash as hash_content

_EXTERNAL_ID = re.compile(r"^(Q\d)-(BA|OP|LW|XX)-(\d{4,})$")


class BankError(Exception):
    """A refused change, with the form field it concerns."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class BankFilesInvalid(Exception):
    """Bank files (or an import file) with problems; nothing was written."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__("\n".join(p.format() for p in problems))
        self.problems = list(problems)


# --- reading content back -----------------------------------------------------------------


def content_of(version: QuestionVersion) -> QuestionContent:
    """A stored version as plain content (what the hash covers)."""
    return QuestionContent(
        area=version.area,
        type=version.type,
        stem_zh=version.stem_zh,
        answer=version.answer,
        options_zh=tuple(version.options_zh or ()),
        point=version.point.code if version.point else None,
        difficulty=version.difficulty,
        level=version.level,
        critical=version.critical,
        explanation_zh=version.explanation_zh,
        stem_en=version.stem_en,
        options_en=tuple(version.options_en or ()),
        explanation_en=version.explanation_en,
        reference=version.reference,
        image=version.image,
    )


def _new_version(
    question: Question,
    number: int,
    content: QuestionContent,
    point: SyllabusPoint | None,
    actor: Actor,
    *,
    reviewed_by: str | None = None,
    reviewed_on: date | None = None,
) -> QuestionVersion:
    version = QuestionVersion(
        centre_id=question.centre_id,
        question=question,
        number=number,
        area=content.area,
        point=point,
        type=content.type,
        difficulty=content.difficulty,
        level=content.level,
        critical=content.critical,
        answer=content.answer,
        stem_zh=content.stem_zh,
        options_zh=list(content.options_zh),
        explanation_zh=content.explanation_zh,
        stem_en=content.stem_en,
        options_en=list(content.options_en),
        explanation_en=content.explanation_en,
        reference=content.reference,
        image=content.image,
        content_hash=hash_content(content),
        created_by_id=actor.id if actor.type == "user" else None,
        reviewed_by=reviewed_by,
        reviewed_on=reviewed_on,
    )
    db.session.add(version)
    return version


def _points(centre: Centre, item: str) -> dict[str, SyllabusPoint]:
    rows = db.session.scalars(
        select(SyllabusPoint).where(
            SyllabusPoint.centre_id == centre.id, SyllabusPoint.item == item
        )
    )
    return {p.code: p for p in rows}


# --- bank files ---------------------------------------------------------------------------


@dataclass
class LoadReport:
    files: int = 0
    created: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)
    # Questions whose wording is unchanged but whose review (reviewed_by/on) changed, as
    # "Q1-LW-0001@2": the version whose review record was updated in place.
    reviewed: list[str] = field(default_factory=list)
    unchanged: int = 0
    points_changed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.revised or self.reviewed or self.points_changed)


def read_bank_dir(root: Path) -> list[BankFile]:
    """Read and check every ``*.yaml`` under ``root``; BankFilesInvalid lists every problem.

    When ``root`` has a ``theory/`` folder (``question_bank/``: theory/<item>/<area>.yaml, see
    FORMAT.md), only that folder is read: the folders beside it hold other kinds of files
    (``practical/`` score sheets).
    """
    root = Path(root)
    base = root / "theory" if (root / "theory").is_dir() else root
    paths = sorted(p for p in base.rglob("*.yaml") if p.is_file())
    problems: list[Problem] = []
    files: list[BankFile] = []
    if not paths:
        problems.append(Problem(str(root), 0, "no bank files (*.yaml) found"))
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(str(path), 0, f"cannot read the file: {error}"))
            continue
        bank_file, file_problems = read_bank_file(text, str(path))
        problems.extend(file_problems)
        if bank_file is not None:
            files.append(bank_file)
    problems.extend(cross_file_problems(files))
    if problems:
        raise BankFilesInvalid(problems)
    return files


def load_bank(actor: Actor, centre: Centre, root: Path) -> LoadReport:
    """Sync the bank files under ``root`` into ``centre``'s bank, idempotently.

    Every file is checked first; if any has a problem nothing is written (BankFilesInvalid).
    New questions are created live (the shipped bank is reviewed); a question whose content
    differs from its current version gets a new live version; an unchanged one is untouched.
    A question staff have retired stays retired. The review record (``reviewed_by``,
    ``reviewed_on``) is not content: when only it differs, it is updated on the version the
    file is compared with, in place. One audit entry per changed file lists what changed.
    """
    files = read_bank_dir(root)
    report = LoadReport(files=len(files))
    for bank_file in files:
        _load_file(actor, centre, bank_file, report)
    return report


def _shipped_version(question: Question) -> QuestionVersion:
    """What the bank file is compared with: the live version (a revision waiting for review
    in the editor is not what the file says), else the current one."""
    number = question.live_version or question.current_version
    return next(v for v in question.versions if v.number == number)


def _load_file(actor: Actor, centre: Centre, bank_file: BankFile, report: LoadReport) -> None:
    item = bank_file.item
    points = _points(centre, item)
    point_changes = 0
    for p in bank_file.points:
        existing = points.get(p.code)
        if existing is None:
            existing = SyllabusPoint(
                centre_id=centre.id, item=item, area=bank_file.area, code=p.code,
                name_zh=p.zh, name_en=p.en,
            )  # fmt: skip
            db.session.add(existing)
            points[p.code] = existing
            point_changes += 1
        elif (existing.area, existing.name_zh, existing.name_en) != (bank_file.area, p.zh, p.en):
            existing.area, existing.name_zh, existing.name_en = bank_file.area, p.zh, p.en
            point_changes += 1
    ids = [q.external_id for q in bank_file.questions]
    questions = {
        q.external_id: q
        for q in db.session.scalars(
            select(Question)
            .where(Question.centre_id == centre.id, Question.external_id.in_(ids))
            .options(selectinload(Question.versions))
        )
    }
    created, revised, reviewed = [], [], []
    now = utcnow()
    for bq in bank_file.questions:
        question = questions.get(bq.external_id)
        digest = hash_content(bq.content)
        point = points[bq.content.point]
        if question is None:
            question = Question(
                centre_id=centre.id, item=item, external_id=bq.external_id,
                status=QuestionStatus.LIVE, current_version=1, live_version=1,
                created_at=now, updated_at=now,
            )  # fmt: skip
            db.session.add(question)
            version = _new_version(
                question, 1, bq.content, point, actor,
                reviewed_by=bq.reviewed_by, reviewed_on=bq.reviewed_on,
            )  # fmt: skip
            version.went_live_at = now
            created.append(bq.external_id)
        elif question.item != item:
            raise BankFilesInvalid(
                [Problem(bank_file.name, bq.line, f"{bq.external_id} belongs to {question.item}")]
            )
        elif (shipped := _shipped_version(question)).content_hash != digest:
            number = max(v.number for v in question.versions) + 1
            version = _new_version(
                question, number, bq.content, point, actor,
                reviewed_by=bq.reviewed_by, reviewed_on=bq.reviewed_on,
            )  # fmt: skip
            question.current_version = number
            question.updated_at = now
            if question.status != QuestionStatus.RETIRED:
                question.status = QuestionStatus.LIVE
                question.live_version = number
                version.went_live_at = now
            revised.append(f"{bq.external_id}@{number}")
        elif (shipped.reviewed_by, shipped.reviewed_on) != (bq.reviewed_by, bq.reviewed_on):
            # Updated in place, so the audit entry keeps what the record said before.
            reviewed.append(
                {
                    "question": f"{bq.external_id}@{shipped.number}",
                    "before": _review_json(shipped.reviewed_by, shipped.reviewed_on),
                    "after": _review_json(bq.reviewed_by, bq.reviewed_on),
                }
            )
            shipped.reviewed_by, shipped.reviewed_on = bq.reviewed_by, bq.reviewed_on
        else:
            report.unchanged += 1
    report.created += created
    report.revised += revised
    report.reviewed += [r["question"] for r in reviewed]
    report.points_changed += point_changes
    if created or revised or reviewed or point_changes:
        db.session.flush()
        record(
            actor,
            "bank.load",
            object_type="bank_file",
            object_id=Path(bank_file.name).name[:64],
            centre_id=centre.id,
            details={
                "file": bank_file.name,
                "item": item,
                "area": bank_file.area,
                "created": created,
                "revised": revised,
                "reviewed": reviewed,
                "points_changed": point_changes,
            },
        )


def _review_json(reviewed_by: str | None, reviewed_on: date | None) -> dict:
    return {
        "reviewed_by": reviewed_by,
        "reviewed_on": reviewed_on.isoformat() if reviewed_on else None,
    }


# --- import -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import file holds and everything wrong with it."""

    file: str
    item: str
    questions: list[ImportCandidate]
    problems: list[Problem]
    imported: bool = False
    question_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(TYPES, 0)
        for c in self.questions:
            counts[c.content.type] = counts.get(c.content.type, 0) + 1
        return counts

    def counts_by_area(self) -> dict[str, dict[str, int]]:
        """{area or "untagged": {type: n}} for the dry-run report."""
        table: dict[str, Counter] = {}
        for c in self.questions:
            table.setdefault(c.content.area or "untagged", Counter())[c.content.type] += 1
        order = [*AREAS, "untagged"]
        return {a: {t: table[a][t] for t in TYPES} for a in sorted(table, key=order.index)}

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "imported": self.imported,
            "counts": self.counts(),
            "errors": [{"line": p.line, "reason": p.reason} for p in self.problems],
        }


def check_import(centre: Centre, item: str, filename: str, data: bytes) -> ImportReport:
    """Parse an import file and check it against the bank; writes nothing."""
    from .formats import parse_file

    if item not in ITEM_DIRS:
        problem = Problem(filename, 0, f"unknown item {item!r} (known: {', '.join(ITEM_DIRS)})")
        return ImportReport(filename, item, [], [problem])
    result = parse_file(filename, data)
    problems = [Problem(filename, p.line, p.reason) for p in result.problems]
    points = _points(centre, item)
    point_areas = {code: p.area for code, p in points.items()}
    candidates = []
    for pq in result.questions:
        area = pq.area or (point_areas.get(pq.point) if pq.point else None)
        content = QuestionContent(
            area=area,
            type=pq.type,
            stem_zh=pq.stem,
            answer=pq.answer,
            options_zh=tuple(pq.options),
            point=pq.point,
            difficulty=pq.difficulty or 2,
            level=pq.level,
            critical=bool(pq.critical),
            explanation_zh=pq.explanation,
            stem_en=pq.en_stem,
            options_en=tuple(pq.en_options or ()),
            explanation_en=pq.en_explanation,
            reference=pq.reference,
        )
        candidates.append(ImportCandidate(pq.line, content, pq.external_id))
    existing = db.session.execute(
        select(QuestionVersion.stem_zh)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(
            Question.centre_id == centre.id,
            Question.item == item,
            QuestionVersion.number == Question.current_version,
        )
    ).scalars()
    existing_ids = set(
        db.session.scalars(select(Question.external_id).where(Question.centre_id == centre.id))
    )
    problems += import_problems(
        filename,
        candidates,
        points=point_areas,
        existing_stems={normalised_stem(s) for s in existing},
        existing_ids=existing_ids,
    )
    problems.sort(key=lambda p: p.line)
    return ImportReport(filename, item, candidates, problems)


def import_questions(
    actor: Actor, centre: Centre, item: str, filename: str, data: bytes, *, dry_run: bool = False
) -> ImportReport:
    """Import a whole file as draft questions, or nothing at all if anything is wrong.

    Imported questions start as drafts: they need a review before they can be drawn.
    """
    report = check_import(centre, item, filename, data)
    if not report.ok or dry_run:
        return report
    points = _points(centre, item)
    taken = set(
        db.session.scalars(select(Question.external_id).where(Question.centre_id == centre.id))
    )
    numbers = Counter()
    now = utcnow()
    created = []
    for c in report.questions:
        external_id = c.external_id or _next_external_id(item, c.content.area, taken, numbers)
        taken.add(external_id)
        question = Question(
            centre_id=centre.id, item=item, external_id=external_id,
            status=QuestionStatus.DRAFT, current_version=1, created_at=now, updated_at=now,
        )  # fmt: skip
        db.session.add(question)
        _new_version(question, 1, c.content, points.get(c.content.point or ""), actor)
        created.append(question)
    db.session.flush()
    report.imported = True
    report.question_ids = [q.id for q in created]
    record(
        actor,
        "bank.import",
        object_type="import_file",
        object_id=Path(filename).name[:64],
        centre_id=centre.id,
        details={
            "file": Path(filename).name,
            "item": item,
            "counts": report.counts(),
            "questions": [q.external_id for q in created],
        },
    )
    return report


def _next_external_id(item: str, area: str | None, taken: set[str], numbers: Counter) -> str:
    prefix = f"{ITEM_DIRS[item]}-{AREA_CODES.get(area or '', 'XX')}-"
    if prefix not in numbers:
        used = [
            int(m.group(3)) for t in taken if t.startswith(prefix) and (m := _EXTERNAL_ID.match(t))
        ]
        # Imported questions number from 5001 so they never collide with the shipped files.
        numbers[prefix] = max([5000, *used])
    numbers[prefix] += 1
    return f"{prefix}{numbers[prefix]:04d}"


# --- export -------------------------------------------------------------------------------


def current_versions(
    centre: Centre, item: str, statuses: Iterable[str] | None = None
) -> list[tuple[Question, QuestionVersion]]:
    """The item's questions with their current versions, in external-id order."""
    statement = (
        select(Question, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .where(
            Question.centre_id == centre.id,
            Question.item == item,
            QuestionVersion.number == Question.current_version,
        )
        .options(selectinload(QuestionVersion.point))
        .order_by(Question.external_id)
    )
    if statuses is not None:
        statement = statement.where(Question.status.in_(list(statuses)))
    return [(q, v) for q, v in db.session.execute(statement).all()]


def export_questions(centre: Centre, item: str, fmt: str) -> bytes:
    """The item's non-retired questions as CSV, XLSX or plain text (see IMPORT-FORMATS.md)."""
    from . import formats

    rows = current_versions(centre, item, [s for s in QuestionStatus if s != "retired"])
    parsed = [_as_parsed(q, v, i + 1) for i, (q, v) in enumerate(rows)]
    if fmt == "csv":
        out = formats.write_csv(parsed)
    elif fmt == "xlsx":
        out = formats.write_xlsx(parsed)
    elif fmt == "text":
        out = formats.write_plain_text(parsed)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return out.encode("utf-8") if isinstance(out, str) else out


def _as_parsed(question: Question, version: QuestionVersion, line: int):
    from .formats import ParsedQuestion

    return ParsedQuestion(
        line=line,
        type=version.type,
        stem=version.stem_zh,
        options=tuple(version.options_zh or ()),
        answer=version.answer,
        area=version.area,
        point=version.point.code if version.point else None,
        difficulty=version.difficulty,
        level=version.level,
        critical=version.critical,
        explanation=version.explanation_zh,
        reference=version.reference,
        en_stem=version.stem_en,
        en_options=tuple(version.options_en or ()),
        en_explanation=version.explanation_en,
        external_id=question.external_id,
    )


def export_native(centre: Centre, item: str) -> dict[str, str]:
    """The item's tagged, non-retired questions as bank files: {relative path: YAML text}.

    Loading the folder these files are written to (``examcentre bank load``) gives the same
    content back. Questions without an area or syllabus point cannot go in a bank file.
    """
    from .native import write_bank_file

    rows = current_versions(centre, item, [s for s in QuestionStatus if s != "retired"])
    points = _points(centre, item)
    files = {}
    for area in AREAS:
        area_points = sorted((p for p in points.values() if p.area == area), key=lambda p: p.id)
        questions = [
            BankQuestion(
                q.external_id, content_of(v), reviewed_by=v.reviewed_by, reviewed_on=v.reviewed_on
            )
            for q, v in rows
            if v.area == area and v.point is not None
        ]
        if not area_points or not questions:
            continue
        text = write_bank_file(
            item,
            area,
            [SyllabusPointData(p.code, p.name_zh, p.name_en) for p in area_points],
            questions,
        )
        files[f"theory/{ITEM_DIRS[item]}/{area}.yaml"] = text
    return files


# --- statistics ---------------------------------------------------------------------------


def bank_stats(
    centre: Centre, items: Sequence[str] | None = None, factor: int = DEFAULT_COVERAGE_FACTOR
) -> dict:
    """``examcentre bank stats``: per item, the live questions (at their live versions, as
    drawn into papers) counted by type, area and difficulty, with English and reviewed, and
    each cell of the published blueprint (else the default) against ``factor`` x its draw.
    The layout is ``examcentre.bank-stats/1`` (question_bank/README.md)."""
    from ..papers.operations import published_blueprint

    documents = []
    for item in items or ITEMS:
        rows = db.session.execute(
            select(
                QuestionVersion.area,
                QuestionVersion.type,
                QuestionVersion.difficulty,
                QuestionVersion.stem_en,
                QuestionVersion.reviewed_on,
            )
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(
                Question.centre_id == centre.id,
                Question.item == item,
                Question.status != QuestionStatus.RETIRED,
                QuestionVersion.number == Question.live_version,
                QuestionVersion.area.is_not(None),
            )
        ).all()
        live = [
            LiveQuestion(
                area, qtype, difficulty, bool((stem_en or "").strip()), reviewed_on is not None
            )
            for area, qtype, difficulty, stem_en, reviewed_on in rows
        ]
        blueprint = published_blueprint(centre, item)
        spec = Spec.from_json(blueprint.spec) if blueprint else Spec()
        version = blueprint.version if blueprint else None
        documents.append(item_stats(item, live, spec, version, factor))
    return stats_document(centre.code, documents, factor)


# --- editing and the review workflow -----------------------------------------------------


def _is_in_a_paper(version: QuestionVersion) -> bool:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(PaperQuestion)
            .where(PaperQuestion.question_version_id == version.id)
        )
        > 0
    )


def create_question(actor: Actor, centre: Centre, item: str, content: QuestionContent) -> Question:
    """A new draft question written in the editor."""
    _check_content(centre, item, content)
    taken = set(
        db.session.scalars(select(Question.external_id).where(Question.centre_id == centre.id))
    )
    now = utcnow()
    question = Question(
        centre_id=centre.id, item=item,
        external_id=_next_external_id(item, content.area, taken, Counter()),
        status=QuestionStatus.DRAFT, current_version=1, created_at=now, updated_at=now,
    )  # fmt: skip
    db.session.add(question)
    _new_version(question, 1, content, _points(centre, item).get(content.point or ""), actor)
    record(actor, "question.create", obj=question, details={"external_id": question.external_id})
    return question


def _check_content(centre: Centre, item: str, content: QuestionContent) -> None:
    problems = content_problems(content)
    if problems:
        raise BankError(*problems[0])
    if content.point is not None:
        point = _points(centre, item).get(content.point)
        if point is None:
            raise BankError("point", f"unknown syllabus point {content.point}")
        if content.area and point.area != content.area:
            raise BankError("point", f"{content.point} belongs to the area {point.area}")


def edit_question(actor: Actor, question: Question, content: QuestionContent) -> QuestionVersion:
    """Save new content.

    A draft whose current version was never live and is in no paper is changed in place;
    otherwise (a live question, or a version a paper points at) a new version is made, so
    no paper ever changes. Editing a live question makes a draft revision: the live version
    goes on being drawn until a second person approves the revision (four eyes).
    """
    if question.status == QuestionStatus.RETIRED:
        raise BankError("status", "a retired question cannot be edited")
    if question.status == QuestionStatus.REVIEW:
        raise BankError("status", "return the question to draft before editing it")
    centre = db.session.get(Centre, question.centre_id)
    _check_content(centre, question.item, content)
    current = question.version
    digest = hash_content(content)
    if digest == current.content_hash:
        return current
    point = _points(centre, question.item).get(content.point or "")
    in_place = (
        question.status == QuestionStatus.DRAFT
        and current.went_live_at is None
        and not _is_in_a_paper(current)
    )
    if in_place:
        for name, value in _version_fields(content).items():
            setattr(current, name, value)
        current.point = point
        current.content_hash = digest
        # A review covered the old wording, not this one.
        current.reviewed_by = current.reviewed_on = None
        version = current
    else:
        number = max(v.number for v in question.versions) + 1
        version = _new_version(question, number, content, point, actor)
        question.current_version = number
        if question.status == QuestionStatus.LIVE:
            question.status = QuestionStatus.DRAFT
    question.updated_at = utcnow()
    db.session.flush()
    record(
        actor,
        "question.edit",
        obj=question,
        details={"version": version.number, "new_version": not in_place},
    )
    return version


def _version_fields(content: QuestionContent) -> dict:
    return {
        "area": content.area,
        "type": content.type,
        "difficulty": content.difficulty,
        "level": content.level,
        "critical": content.critical,
        "answer": content.answer,
        "stem_zh": content.stem_zh,
        "options_zh": list(content.options_zh),
        "explanation_zh": content.explanation_zh,
        "stem_en": content.stem_en,
        "options_en": list(content.options_en),
        "explanation_en": content.explanation_en,
        "reference": content.reference,
        "image": content.image,
    }


def submit_for_review(actor: Actor, question: Question) -> None:
    """draft -> review. A question must be tagged with an area to be reviewed."""
    if question.status != QuestionStatus.DRAFT:
        raise BankError("status", "only a draft can be sent for review")
    if question.version.area is None:
        raise BankError("area", "tag the question with a syllabus area first")
    question.status = QuestionStatus.REVIEW
    question.submitted_by_id = actor.id if actor.type == "user" else None
    question.status_reason = None
    question.updated_at = utcnow()
    record(actor, "question.submit", obj=question, details={"version": question.current_version})


def approve_question(actor: Actor, question: Question) -> None:
    """review -> live, by a second person: the four-eyes rule.

    Whoever wrote the current version, or sent it for review, cannot approve it.
    """
    if question.status != QuestionStatus.REVIEW:
        raise BankError("status", "only a question in review can be approved")
    author = question.version.created_by_id
    if actor.type != "user" or actor.id in {author, question.submitted_by_id}:
        raise BankError(
            "status", "four eyes: someone other than the author must approve this question"
        )
    question.status = QuestionStatus.LIVE
    question.live_version = question.current_version
    question.status_reason = None
    question.updated_at = question.version.went_live_at = utcnow()
    record(actor, "question.approve", obj=question, details={"version": question.current_version})


def return_question(actor: Actor, question: Question, reason: str) -> None:
    """review -> draft, with the reviewer's reason."""
    if question.status != QuestionStatus.REVIEW:
        raise BankError("status", "only a question in review can be returned")
    if not reason.strip():
        raise BankError("reason", "say what needs changing")
    question.status = QuestionStatus.DRAFT
    question.status_reason = reason.strip()
    question.updated_at = utcnow()
    record(actor, "question.return", obj=question, reason=reason.strip())


def retire_question(actor: Actor, question: Question, reason: str) -> None:
    """Any status -> retired: never drawn again; papers that hold it keep it."""
    if question.status == QuestionStatus.RETIRED:
        raise BankError("status", "the question is already retired")
    if not reason.strip():
        raise BankError("reason", "give the reason for retiring the question")
    question.status = QuestionStatus.RETIRED
    question.status_reason = reason.strip()
    question.updated_at = utcnow()
    record(actor, "question.retire", obj=question, reason=reason.strip())
