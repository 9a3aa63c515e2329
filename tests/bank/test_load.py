"""examcentre bank load: validate everything first, then sync idempotently."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import AuditEntry, Question, QuestionVersion, SyllabusPoint

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "question_bank"


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Question, QuestionVersion, SyllabusPoint, AuditEntry)
    )


def test_shipped_bank_loads_live_and_a_second_run_changes_nothing(runner, make):
    centre = make.centre("BANK-1")
    first = runner.invoke(args=["bank", "load", str(BANK)])
    assert first.exit_code == 0, first.output
    questions, versions, points, audit = counts()
    assert questions == versions > 500
    assert {s for (s,) in db.session.execute(select(Question.status).distinct())} == {"live"}
    assert db.session.scalar(select(func.count()).select_from(Question).where(
        Question.centre_id == centre.id)) == questions  # fmt: skip
    second = runner.invoke(args=["bank", "load", str(BANK)])
    assert second.exit_code == 0, second.output
    assert counts() == (questions, versions, points, audit)
    assert " 0 new, 0 revised" in second.output


def test_a_changed_question_gets_a_new_version(runner, make, tmp_path):
    make.centre()
    bank = tmp_path / "bank"
    shutil.copytree(BANK, bank)
    assert runner.invoke(args=["bank", "load", str(bank)]).exit_code == 0
    path = bank / "theory/Q1/law.yaml"
    text = path.read_text(encoding="utf-8")
    question = db.session.scalar(select(Question).where(Question.external_id == "Q1-LW-0001"))
    old_stem = question.version.stem_zh
    assert old_stem in text
    path.write_text(text.replace(old_stem, old_stem + "（修订）", 1), encoding="utf-8")
    before = counts()
    result = runner.invoke(args=["bank", "load", str(bank)])
    assert result.exit_code == 0, result.output
    assert "1 revised" in result.output
    db.session.expire_all()
    question = db.session.scalar(select(Question).where(Question.external_id == "Q1-LW-0001"))
    assert question.current_version == question.live_version == 2
    assert question.status == "live"
    assert question.version.stem_zh == old_stem + "（修订）"
    assert question.versions[0].stem_zh == old_stem
    assert counts() == (before[0], before[1] + 1, before[2], before[3] + 1)


def test_an_invalid_file_writes_nothing_and_names_file_and_line(runner, make, tmp_path):
    make.centre()
    bank = tmp_path / "bank"
    shutil.copytree(BANK, bank)
    path = bank / "theory/Q2/law.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == "type: single")
    lines[index] = lines[index].replace("single", "essay")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = counts()
    result = runner.invoke(args=["bank", "load", str(bank)])
    assert result.exit_code == 2
    assert f"{path}:{index + 1}: " in result.output
    assert "essay" in result.output
    assert counts() == before


def test_broken_yaml_and_cross_file_problems_are_all_reported(runner, make, tmp_path):
    make.centre()
    bank = tmp_path / "bank"
    shutil.copytree(BANK, bank)
    (bank / "theory/Q1/broken.yaml").write_text("format: [unclosed\n", encoding="utf-8")
    shutil.copy(bank / "theory/Q1/law.yaml", bank / "theory/Q1/law-copy.yaml")
    result = runner.invoke(args=["bank", "load", str(bank)])
    assert result.exit_code == 2
    assert "broken.yaml:" in result.output and "not valid YAML" in result.output
    assert "law.yaml:" in result.output and "is also in" in result.output
    assert "law-copy.yaml" in result.output
    assert counts() == (0, 0, 0, 0)


def test_centre_must_be_named_when_there_are_several(runner, make):
    make.centre("A-1")
    make.centre("A-2")
    result = runner.invoke(args=["bank", "load", str(BANK)])
    assert result.exit_code == 2 and "--centre" in result.output
    named = runner.invoke(args=["bank", "load", str(BANK), "--centre", "A-2"])
    assert named.exit_code == 0, named.output
    assert "A-2:" in named.output


def test_demo_loads_the_bank_and_publishes_q1_idempotently(runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    after = counts()
    assert after[0] > 500
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert counts() == after
    papers = runner.invoke(args=["paper", "generate", "--item", "Q1", "--seed", "1",
                                 "--centre", "DEMO-HZ-001"])  # fmt: skip
    assert papers.exit_code == 0, papers.output


def test_a_revision_waiting_for_review_survives_a_reload_of_unchanged_files(runner, make):
    import dataclasses

    from examcentre.audit.operations import actor_from
    from examcentre.bank.operations import content_of, edit_question

    centre = make.centre()
    assert runner.invoke(args=["bank", "load", str(BANK)]).exit_code == 0
    admin = actor_from(make.user("centre_admin", centre=centre))
    question = db.session.scalar(select(Question).where(Question.external_id == "Q1-BA-0001"))
    edit_question(admin, question, dataclasses.replace(content_of(question.version), difficulty=3))
    db.session.commit()
    before = counts()
    assert runner.invoke(args=["bank", "load", str(BANK)]).exit_code == 0
    assert counts() == before
    db.session.refresh(question)
    assert (question.status, question.current_version, question.live_version) == ("draft", 2, 1)


def test_only_the_theory_folder_of_a_bank_folder_is_read(runner, make, tmp_path):
    make.centre()
    bank = tmp_path / "bank"
    shutil.copytree(BANK / "theory", bank / "theory")
    # Other kinds of YAML live beside theory/ (question_bank/practical/ score sheets).
    (bank / "practical").mkdir()
    (bank / "practical" / "Q1.yaml").write_text("format: something-else/1\n", encoding="utf-8")
    result = runner.invoke(args=["bank", "load", str(bank)])
    assert result.exit_code == 0, result.output
    assert "6 files" in result.output
    # A folder without theory/ is read whole, as before.
    alone = runner.invoke(args=["bank", "load", str(bank / "theory")])
    assert alone.exit_code == 0 and "6 files, 0 new" in alone.output
