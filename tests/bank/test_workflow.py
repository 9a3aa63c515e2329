"""Review with four eyes, versions on live edits, and papers that never change."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from examcentre.audit.operations import actor_from
from examcentre.bank.operations import (
    BankError,
    approve_question,
    content_of,
    create_question,
    edit_question,
    retire_question,
    return_question,
    submit_for_review,
)
from examcentre.bank.vocab import QuestionContent
from examcentre.extensions import db
from examcentre.models import AuditEntry, Paper, Question
from examcentre.papers.blueprint import Spec
from examcentre.papers.operations import (
    create_blueprint_version,
    generate_papers,
    live_pool,
    publish_blueprint,
)

from ..bankdata import LOADER, load_synthetic

CONTENT = QuestionContent(
    area="operation",
    type="single",
    stem_zh="多台起重机同时作业时，应当由谁统一指挥？",
    answer="C",
    options_zh=("各自司机", "任意一人", "指定的一名指挥人员", "起重工"),
    difficulty=2,
)


@pytest.fixture
def two_admins(make):
    centre = make.centre()
    author = make.user("centre_admin", centre=centre)
    reviewer = make.user("centre_admin", centre=centre)
    return centre, actor_from(author), actor_from(reviewer)


def test_the_author_cannot_approve_their_own_question(two_admins):
    centre, author, reviewer = two_admins
    question = create_question(author, centre, "Q1", CONTENT)
    submit_for_review(author, question)
    with pytest.raises(BankError, match="four eyes"):
        approve_question(author, question)
    assert question.status == "review"
    approve_question(reviewer, question)
    assert question.status == "live"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "questions")
    ).all()
    assert actions == ["question.create", "question.submit", "question.approve"]


def test_whoever_submitted_cannot_approve_either(two_admins, make):
    centre, author, reviewer = two_admins
    question = create_question(author, centre, "Q1", CONTENT)
    submit_for_review(reviewer, question)  # the reviewer sent it: now they are involved
    with pytest.raises(BankError):
        approve_question(reviewer, question)
    third = actor_from(make.user("centre_admin", centre=centre))
    approve_question(third, question)
    assert question.status == "live"


def test_a_returned_question_goes_back_to_draft_with_the_reason(two_admins):
    centre, author, reviewer = two_admins
    question = create_question(author, centre, "Q1", CONTENT)
    submit_for_review(author, question)
    with pytest.raises(BankError):
        return_question(reviewer, question, "  ")
    return_question(reviewer, question, "选项C表述不准确")
    assert question.status == "draft" and question.status_reason == "选项C表述不准确"


def test_a_draft_is_edited_in_place_but_a_live_question_gets_a_new_version(two_admins):
    centre, author, reviewer = two_admins
    question = create_question(author, centre, "Q1", CONTENT)
    edit_question(author, question, dataclasses.replace(CONTENT, difficulty=3))
    assert question.current_version == 1 and question.version.difficulty == 3
    submit_for_review(author, question)
    approve_question(reviewer, question)
    edit_question(author, question, dataclasses.replace(CONTENT, reference="GB 6067.1-2010"))
    assert question.current_version == 2
    assert [v.reference for v in question.versions] == [None, "GB 6067.1-2010"]
    # The revision is a draft; version 1 is still what papers draw.
    assert (question.status, question.live_version) == ("draft", 1)
    assert [q.version for q in live_pool(centre, "Q1")] == [1]
    # The author cannot push their own revision live either.
    submit_for_review(author, question)
    with pytest.raises(BankError, match="four eyes"):
        approve_question(author, question)
    approve_question(reviewer, question)
    assert (question.status, question.live_version) == ("live", 2)
    assert [q.version for q in live_pool(centre, "Q1")] == [2]


def test_an_untagged_question_cannot_go_to_review(two_admins):
    centre, author, _reviewer = two_admins
    question = create_question(author, centre, "Q1", dataclasses.replace(CONTENT, area=None))
    with pytest.raises(BankError, match="area"):
        submit_for_review(author, question)


def test_a_paper_keeps_pointing_at_the_version_it_was_drawn_with(make, tmp_path):
    centre = make.centre()
    admin = actor_from(make.user("centre_admin", centre=centre))
    load_synthetic(centre, tmp_path)
    blueprint = create_blueprint_version(LOADER, centre, "Q1", Spec())
    publish_blueprint(LOADER, blueprint)
    (paper_id,) = generate_papers(LOADER, centre, blueprint, [7])
    paper = db.session.get(Paper, paper_id)
    first = paper.questions[0].question_version
    question = db.session.get(Question, first.question_id)
    old_stem = first.stem_zh
    edit_question(
        admin, question, dataclasses.replace(content_of(first), stem_zh=old_stem + "（新）")
    )
    db.session.commit()
    db.session.expire_all()
    paper = db.session.get(Paper, paper_id)
    assert paper.questions[0].question_version.stem_zh == old_stem
    assert paper.questions[0].question_version.number == 1
    assert db.session.get(Question, question.id).version.number == 2


def test_a_retired_question_cannot_be_edited_or_retired_again(two_admins):
    centre, author, reviewer = two_admins
    question = create_question(author, centre, "Q1", CONTENT)
    submit_for_review(author, question)
    approve_question(reviewer, question)
    retire_question(reviewer, question, "superseded by a better question")
    with pytest.raises(BankError):
        edit_question(author, question, dataclasses.replace(CONTENT, difficulty=1))
    with pytest.raises(BankError):
        retire_question(reviewer, question, "again")
