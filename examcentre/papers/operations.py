"""Writing blueprints and papers: versions, publishing against coverage, bulk generation.

Actor explicit, an audit entry per change, flush never commit (see ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select

from ..audit.operations import Actor, record
from ..bank.vocab import LETTERS
from ..extensions import db
from ..models import (
    AdmissionTicket,
    Blueprint,
    BlueprintStatus,
    Centre,
    Paper,
    PaperQuestion,
    Question,
    QuestionStatus,
    QuestionVersion,
    utcnow,
)
from .blueprint import (
    DEFAULT_COVERAGE_FACTOR,
    CellCoverage,
    Spec,
    can_publish,
    coverage,
    spec_problems,
    to_bank_coverage,
)
from .draw import (
    DrawnPaper,
    Pool,
    PoolQuestion,
    bank_version,
    build_pool,
    draw_paper,
    exposure_scale,
    make_plan,
    option_letters,
)


class BlueprintError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class CoverageShortfall(Exception):
    """Publishing refused: the cells listed hold too few live questions."""

    def __init__(self, cells: list[CellCoverage]):
        self.cells = cells
        short = [c for c in cells if c.shortfall]
        super().__init__(
            "; ".join(f"{c.cell}: {c.live_questions} live, {c.required} needed" for c in short)
        )


# --- the live pool ------------------------------------------------------------------------


def live_pool(centre: Centre, item: str) -> list[PoolQuestion]:
    """The item's live questions at their current versions."""
    rows = db.session.execute(
        select(
            Question.id,
            QuestionVersion.id,
            QuestionVersion.number,
            QuestionVersion.area,
            QuestionVersion.type,
            QuestionVersion.difficulty,
            QuestionVersion.critical,
            QuestionVersion.options_zh,
            QuestionVersion.content_hash,
        )
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .where(
            Question.centre_id == centre.id,
            Question.item == item,
            Question.status != QuestionStatus.RETIRED,
            QuestionVersion.number == Question.live_version,
            QuestionVersion.area.is_not(None),
        )
    ).all()
    return [
        PoolQuestion(qid, vid, number, area, qtype, difficulty, critical, len(options or ()), h)
        for qid, vid, number, area, qtype, difficulty, critical, options, h in rows
    ]


def live_counts(centre: Centre, item: str) -> dict[tuple[str, str], int]:
    """Live questions per (area, type) cell."""
    counts: dict[tuple[str, str], int] = {}
    for q in live_pool(centre, item):
        counts[(q.area, q.type)] = counts.get((q.area, q.type), 0) + 1
    return counts


def exposure_counts(centre: Centre, item: str, before=None) -> dict[int, int]:
    """How many stored papers (created before ``before``, if given) each question is in."""
    statement = (
        select(QuestionVersion.question_id, func.count())
        .join(PaperQuestion, PaperQuestion.question_version_id == QuestionVersion.id)
        .join(Paper, Paper.id == PaperQuestion.paper_id)
        .where(Paper.centre_id == centre.id, Paper.item == item)
        .group_by(QuestionVersion.question_id)
    )
    if before is not None:
        statement = statement.where(Paper.created_at < before)
    return dict(db.session.execute(statement).all())


# --- blueprints ---------------------------------------------------------------------------


def blueprint_versions(centre: Centre, item: str) -> list[Blueprint]:
    return list(
        db.session.scalars(
            select(Blueprint)
            .where(Blueprint.centre_id == centre.id, Blueprint.item == item)
            .order_by(Blueprint.version.desc())
        )
    )


def published_blueprint(centre: Centre, item: str) -> Blueprint | None:
    return db.session.scalar(
        select(Blueprint).where(
            Blueprint.centre_id == centre.id,
            Blueprint.item == item,
            Blueprint.status == BlueprintStatus.PUBLISHED,
        )
    )


def create_blueprint_version(actor: Actor, centre: Centre, item: str, spec: Spec) -> Blueprint:
    """A new draft version of the item's blueprint (versions are never edited)."""
    problems = spec_problems(spec)
    if problems:
        raise BlueprintError(*problems[0])
    latest = db.session.scalar(
        select(func.max(Blueprint.version)).where(
            Blueprint.centre_id == centre.id, Blueprint.item == item
        )
    )
    blueprint = Blueprint(
        centre_id=centre.id,
        item=item,
        version=(latest or 0) + 1,
        status=BlueprintStatus.DRAFT,
        spec=spec.to_json(),
        created_by_id=actor.id if actor.type == "user" else None,
    )
    db.session.add(blueprint)
    record(
        actor,
        "blueprint.create",
        obj=blueprint,
        details={"item": item, "version": blueprint.version, "spec": spec.to_json()},
    )
    return blueprint


def blueprint_coverage(
    blueprint: Blueprint, factor: int = DEFAULT_COVERAGE_FACTOR
) -> list[CellCoverage]:
    centre = db.session.get(Centre, blueprint.centre_id)
    return coverage(
        blueprint.item, Spec.from_json(blueprint.spec), live_counts(centre, blueprint.item), factor
    )


def publish_blueprint(
    actor: Actor, blueprint: Blueprint, factor: int = DEFAULT_COVERAGE_FACTOR
) -> None:
    """Make a draft version the item's blueprint, if every cell has factor x its draw.

    The previously published version becomes superseded. CoverageShortfall otherwise.
    """
    if blueprint.status != BlueprintStatus.DRAFT:
        raise BlueprintError("status", "only a draft blueprint can be published")
    cells = blueprint_coverage(blueprint, factor)
    if not can_publish(cells):
        raise CoverageShortfall(cells)
    centre = db.session.get(Centre, blueprint.centre_id)
    previous = published_blueprint(centre, blueprint.item)
    if previous is not None:
        previous.status = BlueprintStatus.SUPERSEDED
    blueprint.status = BlueprintStatus.PUBLISHED
    blueprint.published_at = utcnow()
    record(
        actor,
        "blueprint.publish",
        obj=blueprint,
        details={
            "item": blueprint.item,
            "version": blueprint.version,
            "superseded": previous.version if previous else None,
            "coverage_factor": factor,
        },
    )


def bank_coverage(centre: Centre, factor: int = DEFAULT_COVERAGE_FACTOR):
    """``compliance.model.BankCoverage`` for R-BANK: the published blueprints' cells."""
    cells: list[CellCoverage] = []
    for blueprint in db.session.scalars(
        select(Blueprint).where(
            Blueprint.centre_id == centre.id, Blueprint.status == BlueprintStatus.PUBLISHED
        )
    ):
        cells += blueprint_coverage(blueprint, factor)
    untagged = db.session.scalar(
        select(func.count())
        .select_from(Question)
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .where(
            Question.centre_id == centre.id,
            Question.status != QuestionStatus.RETIRED,
            QuestionVersion.number == Question.live_version,
            QuestionVersion.point_id.is_(None),
        )
    )
    return to_bank_coverage(cells, untagged or 0)


# --- papers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawnBatch:
    """Papers drawn (not stored) from one blueprint version and one bank state."""

    blueprint: Blueprint
    pool: Pool
    bank_version: str
    papers: list[DrawnPaper]

    def paper_json(self, paper: DrawnPaper) -> dict:
        questions = []
        for index, row in zip(paper.order.tolist(), paper.option_orders, strict=True):
            q = self.pool.questions[index]
            questions.append(
                {
                    "id": q.question_id,
                    "version": q.version,
                    "type": q.type,
                    "area": q.area,
                    "difficulty": q.difficulty,
                    "option_order": list(option_letters(row)),
                }
            )
        return {
            "item": self.blueprint.item,
            "seed": paper.seed,
            "blueprint_version": self.blueprint.version,
            "bank_version": self.bank_version,
            "questions": questions,
        }


def draw_papers(
    blueprint: Blueprint,
    seeds: Sequence[int],
    excludes: Sequence[frozenset[int]] | None = None,
    exposure_before=None,
) -> DrawnBatch:
    """Draw one paper per seed; nothing is written.

    Every paper of a batch sees the same bank state: the live versions and the exposure
    counts of the papers stored before the batch. So a paper is reproducible from its seed
    and that state, and a batch does not depend on the order it was drawn in.
    """
    centre = db.session.get(Centre, blueprint.centre_id)
    questions = live_pool(centre, blueprint.item)
    pool = build_pool(questions)
    plan = make_plan(pool, Spec.from_json(blueprint.spec))
    scale = exposure_scale(pool, exposure_counts(centre, blueprint.item, exposure_before))
    papers = [
        draw_paper(pool, plan, seed, scale, excludes[i] if excludes else ())
        for i, seed in enumerate(seeds)
    ]
    return DrawnBatch(blueprint, pool, bank_version(questions), papers)


class PaperNotReproducible(Exception):
    """The bank has changed since the paper was drawn (its bank_version differs)."""


def regenerate_paper(paper: Paper) -> list[tuple[int, str]]:
    """Draw ``paper`` again from its seed: (question_version_id, option_order) per position.

    The bank state is the one the paper was drawn from: the same live versions (checked via
    bank_version) and the exposure of the papers stored before its batch. A retaker's
    exclusions are recomputed from the ticket.
    """
    ticket = db.session.get(AdmissionTicket, paper.ticket_id) if paper.ticket_id else None
    exclude = [earlier_question_ids(ticket, before=paper.created_at)] if ticket else None
    batch = draw_papers(paper.blueprint, [paper.seed], exclude, exposure_before=paper.created_at)
    if batch.bank_version != paper.bank_version:
        raise PaperNotReproducible(
            f"paper {paper.id}: the bank changed since it was drawn "
            f"({paper.bank_version[:12]} then, {batch.bank_version[:12]} now)"
        )
    drawn = batch.papers[0]
    versions = [batch.pool.questions[i].version_id for i in drawn.order.tolist()]
    orders = [option_letters(row) for row in drawn.option_orders]
    return list(zip(versions, orders, strict=True))


def earlier_question_ids(ticket: AdmissionTicket, before=None) -> frozenset[int]:
    """Questions in the candidate's earlier papers for the same item (no repeats on a retake)."""
    statement = (
        select(QuestionVersion.question_id)
        .join(PaperQuestion, PaperQuestion.question_version_id == QuestionVersion.id)
        .join(Paper, Paper.id == PaperQuestion.paper_id)
        .join(AdmissionTicket, AdmissionTicket.id == Paper.ticket_id)
        .where(
            AdmissionTicket.candidate_id == ticket.candidate_id,
            Paper.item == ticket.item,
            Paper.ticket_id != ticket.id,
        )
    )
    if before is not None:
        statement = statement.where(Paper.created_at < before)
    return frozenset(db.session.scalars(statement))


def generate_papers(
    actor: Actor,
    centre: Centre,
    blueprint: Blueprint,
    seeds: Sequence[int],
    tickets: Sequence[AdmissionTicket | None] | None = None,
) -> list[int]:
    """Draw and store a whole session's papers in one transaction; returns the paper ids.

    ``tickets`` (optional, one per seed) links each paper to a candidate's admission and
    keeps a retaker away from the questions of their earlier papers. Rows go in with Core
    bulk inserts, so 500 papers x 100 questions cost a few statements, not 50,000 objects.
    """
    if blueprint.centre_id != centre.id:
        raise BlueprintError("blueprint", "the blueprint belongs to another centre")
    if blueprint.status != BlueprintStatus.PUBLISHED:
        raise BlueprintError("blueprint", "papers are drawn from a published blueprint only")
    if tickets is not None and len(tickets) != len(seeds):
        raise ValueError("one ticket (or None) per seed")
    excludes = [earlier_question_ids(t) if t else frozenset() for t in tickets or ()]
    batch = draw_papers(blueprint, seeds, excludes or None)
    now = utcnow()
    paper_ids = list(
        db.session.scalars(
            insert(Paper).returning(Paper.id, sort_by_parameter_order=True),
            [
                {
                    "centre_id": centre.id,
                    "item": blueprint.item,
                    "blueprint_id": blueprint.id,
                    "seed": paper.seed,
                    "bank_version": batch.bank_version,
                    "ticket_id": tickets[i].id if tickets and tickets[i] else None,
                    "created_at": now,
                }
                for i, paper in enumerate(batch.papers)
            ],
        )
    )
    version_ids = [q.version_id for q in batch.pool.questions]
    rows = []
    for paper_id, paper in zip(paper_ids, batch.papers, strict=True):
        orders = [
            "".join(LETTERS[i] for i in row if i >= 0) for row in paper.option_orders.tolist()
        ]
        for position, (index, order) in enumerate(zip(paper.order.tolist(), orders, strict=True)):
            rows.append(
                {
                    "centre_id": centre.id,
                    "paper_id": paper_id,
                    "position": position + 1,
                    "question_version_id": version_ids[index],
                    "option_order": order,
                }
            )
    if rows:
        db.session.execute(insert(PaperQuestion), rows)
    record(
        actor,
        "papers.generate",
        object_type="blueprints",
        object_id=blueprint.id,
        centre_id=centre.id,
        details={
            "item": blueprint.item,
            "blueprint_version": blueprint.version,
            "bank_version": batch.bank_version,
            "papers": len(paper_ids),
            "seeds": [int(s) for s in seeds] if len(seeds) <= 20 else [int(seeds[0]), "..."],
        },
    )
    return paper_ids
