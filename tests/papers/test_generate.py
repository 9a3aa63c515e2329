"""Storing papers: bulk generation, reproducibility from the seed, retakes, and the CLI."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import AdmissionTicket, AuditEntry, Paper, PaperQuestion
from examcentre.papers.blueprint import Spec
from examcentre.papers.operations import (
    BlueprintError,
    CoverageShortfall,
    bank_coverage,
    create_blueprint_version,
    generate_papers,
    publish_blueprint,
    regenerate_paper,
)

from ..bankdata import LOADER, load_synthetic


@pytest.fixture
def published(make, tmp_path):
    centre = make.centre()
    load_synthetic(centre, tmp_path)
    blueprint = create_blueprint_version(LOADER, centre, "Q1", Spec())
    publish_blueprint(LOADER, blueprint)
    db.session.commit()
    return centre, blueprint


def test_a_session_is_generated_in_one_go_with_one_audit_entry(published):
    centre, blueprint = published
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    ids = generate_papers(LOADER, centre, blueprint, list(range(100, 130)))
    db.session.commit()
    assert len(ids) == 30
    assert db.session.scalar(select(func.count()).select_from(PaperQuestion)) == 3000
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before + 1
    paper = db.session.get(Paper, ids[0])
    assert paper.seed == 100 and paper.blueprint_id == blueprint.id
    assert [pq.position for pq in paper.questions] == list(range(1, 101))
    versions = [pq.question_version for pq in paper.questions]
    assert Counter((v.area, v.type) for v in versions)[("operation", "single")] == 20
    assert len({v.question_id for v in versions}) == 100
    for pq in paper.questions:
        expected = {"true_false": 0, "single": 4, "multiple": 5}[pq.question_version.type]
        assert sorted(pq.option_order) == list("ABCDE"[:expected])


def test_a_stored_paper_is_regenerated_identically_from_its_seed(published):
    centre, blueprint = published
    generate_papers(LOADER, centre, blueprint, [1, 2, 3])  # earlier exposure
    db.session.commit()
    ids = generate_papers(LOADER, centre, blueprint, [41, 42])
    db.session.commit()
    for paper_id in ids:
        paper = db.session.get(Paper, paper_id)
        stored = [(pq.question_version_id, pq.option_order) for pq in paper.questions]
        assert regenerate_paper(paper) == stored


def test_a_retaker_gets_none_of_their_earlier_questions(published, make):
    centre, blueprint = published
    ticket = make.ticket(centre=centre, item="Q1")
    # The same candidate's ticket for a later sitting (set up directly: the eligibility rules
    # are not the subject here).
    retake = AdmissionTicket(
        centre_id=centre.id, candidate_id=ticket.candidate_id, number="RETAKE-1", item="Q1"
    )
    db.session.add(retake)
    db.session.commit()
    (first,) = generate_papers(LOADER, centre, blueprint, [5], [ticket])
    (second,) = generate_papers(LOADER, centre, blueprint, [5], [retake])
    db.session.commit()
    questions = {
        paper_id: {
            pq.question_version.question_id for pq in db.session.get(Paper, paper_id).questions
        }
        for paper_id in (first, second)
    }
    assert questions[first].isdisjoint(questions[second])
    assert regenerate_paper(db.session.get(Paper, second)) == [
        (pq.question_version_id, pq.option_order) for pq in db.session.get(Paper, second).questions
    ]


def test_only_a_published_blueprint_draws_papers(make, tmp_path):
    centre = make.centre()
    load_synthetic(centre, tmp_path)
    draft = create_blueprint_version(LOADER, centre, "Q1", Spec())
    with pytest.raises(BlueprintError):
        generate_papers(LOADER, centre, draft, [1])


def test_publishing_supersedes_the_previous_version_and_feeds_r_bank(published):
    centre, first = published
    second = create_blueprint_version(LOADER, centre, "Q1", Spec(duration_minutes=60))
    publish_blueprint(LOADER, second)
    assert (first.status, second.status) == ("superseded", "published")
    coverage = bank_coverage(centre)
    assert len(coverage.cells) == 9 and coverage.untagged_live_questions == 0
    assert {c.live_questions / c.drawn_per_paper for c in coverage.cells} == {3.0}


def test_publishing_is_refused_below_the_coverage_factor(make, tmp_path):
    centre = make.centre()
    load_synthetic(centre, tmp_path, factor=2)
    blueprint = create_blueprint_version(LOADER, centre, "Q1", Spec())
    with pytest.raises(CoverageShortfall) as error:
        publish_blueprint(LOADER, blueprint)
    assert {c.cell: c.shortfall for c in error.value.cells}["operation/single"] == 20
    publish_blueprint(LOADER, blueprint, factor=2)
    assert blueprint.status == "published"


def test_cli_prints_one_reproducible_paper_per_line(runner, published):
    args = ["paper", "generate", "--item", "Q1", "--seed", "7", "--count", "3", "--format", "json"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    lines = [json.loads(line) for line in first.output.splitlines()]
    assert [p["seed"] for p in lines] == [7, 8, 9]
    paper = lines[0]
    assert paper["item"] == "Q1" and paper["blueprint_version"] == 1
    assert len(paper["bank_version"]) == 64
    assert len(paper["questions"]) == 100
    assert set(paper["questions"][0]) == {
        "id",
        "version",
        "type",
        "area",
        "difficulty",
        "option_order",
    }
    assert paper["questions"][0]["option_order"] == []  # true/false first
    assert sorted(paper["questions"][99]["option_order"]) == list("ABCDE")
    assert runner.invoke(args=args).output == first.output  # nothing was stored
    assert db.session.scalar(select(func.count()).select_from(Paper)) == 0


def test_cli_without_a_published_blueprint_says_how_to_make_one(runner, make, tmp_path):
    make.centre()
    result = runner.invoke(args=["paper", "generate", "--item", "Q1", "--seed", "1"])
    assert result.exit_code == 2 and "blueprint create --publish" in result.output
