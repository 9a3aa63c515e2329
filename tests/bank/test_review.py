"""The review record of a question version (reviewed_by, reviewed_on): read from and written to
the bank files, checked with file:line, kept out of the content hash, updated in place."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from examcentre.audit.operations import Actor
from examcentre.bank.native import BankQuestion, read_bank_file, write_bank_file
from examcentre.bank.operations import create_question, edit_question, export_native, load_bank
from examcentre.bank.vocab import content_hash
from examcentre.extensions import db
from examcentre.models import AuditEntry, Question, QuestionVersion

from ..bankdata import LOADER, question, write_bank

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "question_bank"
REVIEWER = "independent second reader (fact-check pass)"
QUESTION = """format: examcentre.bank/1
item: Q1
area: law
points:
  - code: Q1-LW-A
    zh: 法规
questions:
  - id: Q1-LW-0001
    point: Q1-LW-A
    type: true_false
    difficulty: 1
    answer: true
{review}    zh:
      stem: 吊物下方不得站人。
"""


def read(review: str):
    return read_bank_file(QUESTION.format(review=review), "law.yaml")


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Question, QuestionVersion, AuditEntry)
    )


def test_the_review_is_read_and_is_not_content():
    bank_file, problems = read(f'    reviewed_by: "{REVIEWER}"\n    reviewed_on: 2026-11-22\n')
    assert problems == []
    q = bank_file.questions[0]
    assert (q.reviewed_by, q.reviewed_on) == (REVIEWER, date(2026, 11, 22))
    plain, _problems = read("")
    assert (plain.questions[0].reviewed_by, plain.questions[0].reviewed_on) == (None, None)
    assert content_hash(q.content) == content_hash(plain.questions[0].content)
    # A quoted ISO date is a date too.
    quoted, problems = read('    reviewed_by: "R"\n    reviewed_on: "2026-11-22"\n')
    assert problems == [] and quoted.questions[0].reviewed_on == date(2026, 11, 22)


def test_a_bad_review_is_a_problem_at_its_line():
    cases = {
        "    reviewed_by: R\n    reviewed_on: 2026-02-30\n": (14, "is not a real date"),
        "    reviewed_by: R\n    reviewed_on: 22.11.2026\n": (14, "must be a date like 2026-11-22"),
        "    reviewed_by: R\n    reviewed_on: 2026-11-22 10:00:00\n": (14, "must be a date"),
        "    reviewed_by: R\n": (13, "reviewed_by needs reviewed_on"),
        "    reviewed_on: 2026-11-22\n": (13, "reviewed_on needs reviewed_by"),
        "    reviewed_by: 12\n    reviewed_on: 2026-11-22\n": (13, "reviewed_by must be text"),
        f"    reviewed_by: {'x' * 101}\n    reviewed_on: 2026-11-22\n": (13, "longer than 100"),
        "    reviewd_on: 2026-11-22\n": (13, "unknown key 'reviewd_on'"),
    }
    for review, (line, reason) in cases.items():
        bank_file, problems = read(review)
        assert bank_file is None, review
        assert [(p.line, reason in p.reason) for p in problems] == [(line, True)], (
            review,
            [p.format() for p in problems],
        )
        assert problems[0].format().startswith(f"law.yaml:{line}: Q1-LW-0001")


def test_written_files_carry_the_review_and_read_back_the_same():
    content = question("Q1", "law", "single", 1)
    questions = [
        BankQuestion("Q1-LW-0001", content, reviewed_by=REVIEWER, reviewed_on=date(2026, 11, 22)),
        BankQuestion("Q1-LW-0002", question("Q1", "law", "single", 2)),
    ]
    from examcentre.bank.native import SyllabusPointData

    text = write_bank_file("Q1", "law", [SyllabusPointData("Q1-LW-P1", "要点")], questions)
    assert "reviewed_on: 2026-11-22" in text
    bank_file, problems = read_bank_file(text, "law.yaml")
    assert problems == []
    assert [(q.external_id, q.content, q.reviewed_by, q.reviewed_on) for q in questions] == [
        (q.external_id, q.content, q.reviewed_by, q.reviewed_on) for q in bank_file.questions
    ]


def test_a_review_only_change_updates_the_version_in_place_audited_once(runner, make, tmp_path):
    make.centre()
    bank = tmp_path / "bank"
    shutil.copytree(BANK, bank)
    assert runner.invoke(args=["bank", "load", str(bank)]).exit_code == 0
    path = bank / "theory/Q1/law.yaml"
    text = path.read_text(encoding="utf-8")
    old = f'    reviewed_by: "{REVIEWER}"\n    reviewed_on: 2026-11-22\n'
    first = text.index(old)
    path.write_text(
        text[:first]
        + '    reviewed_by: "third reader"\n    reviewed_on: 2026-12-01\n'
        + text[first + len(old) :],
        encoding="utf-8",
    )
    before = counts()
    version = db.session.scalar(
        select(QuestionVersion).join(Question).where(Question.external_id == "Q1-LW-0001")
    )
    digest = version.content_hash
    result = runner.invoke(args=["bank", "load", str(bank)])
    assert result.exit_code == 0, result.output
    assert " 0 new, 0 revised, 1 with only their review changed" in result.output
    db.session.expire_all()
    question = db.session.scalar(select(Question).where(Question.external_id == "Q1-LW-0001"))
    assert question.current_version == question.live_version == 1
    assert (question.version.reviewed_by, question.version.reviewed_on) == (
        "third reader",
        date(2026, 12, 1),
    )
    assert question.version.content_hash == digest
    # No new version, one audit entry that keeps what the record said before.
    assert counts() == (before[0], before[1], before[2] + 1)
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert entry.action == "bank.load"
    assert json.loads(entry.details)["reviewed"] == [
        {
            "question": "Q1-LW-0001@1",
            "before": {"reviewed_by": REVIEWER, "reviewed_on": "2026-11-22"},
            "after": {"reviewed_by": "third reader", "reviewed_on": "2026-12-01"},
        }
    ]
    again = runner.invoke(args=["bank", "load", str(bank)])
    assert " 0 new, 0 revised, 0 with only their review changed" in again.output
    assert counts() == (before[0], before[1], before[2] + 1)


def test_a_changed_wording_takes_the_files_review_into_its_new_version(make, tmp_path):
    centre = make.centre()
    root = write_bank(tmp_path / "bank", factor=1)
    load_bank(LOADER, centre, root)
    path = root / "theory/Q1/law.yaml"
    text = path.read_text(encoding="utf-8")
    target = "  reference: GB 6067.1-2010\n  zh:\n    stem: Q1lawtrue_false第1题"
    assert text.count(target) == 1
    path.write_text(
        text.replace(
            target,
            "  reference: GB 6067.1-2010\n  reviewed_by: R\n  reviewed_on: 2026-12-02\n"
            "  zh:\n    stem: Q1lawtrue_false第1题（改）",
        ),
        encoding="utf-8",
    )
    report = load_bank(LOADER, centre, root)
    assert report.revised == ["Q1-LW-0001@2"] and report.reviewed == []
    question = db.session.scalar(select(Question).where(Question.external_id == "Q1-LW-0001"))
    old, new = question.versions
    assert (old.reviewed_by, new.reviewed_by, new.reviewed_on) == (None, "R", date(2026, 12, 2))


def test_the_yaml_export_keeps_the_review(make, tmp_path):
    centre = make.centre()
    load_bank(LOADER, centre, BANK)
    db.session.commit()
    files = export_native(centre, "Q1")
    assert files["theory/Q1/law.yaml"].count(f"reviewed_by: {REVIEWER}") > 0
    out = tmp_path / "export"
    for relative, text in files.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(text, encoding="utf-8")
    report = load_bank(LOADER, centre, out)
    assert (report.created, report.revised, report.reviewed) == ([], [], [])


def test_editing_a_draft_in_place_drops_its_review(make, tmp_path):
    centre = make.centre()
    load_bank(LOADER, centre, write_bank(tmp_path / "bank", factor=1))
    author = Actor("user", make.user("centre_admin", centre=centre).id, "author")
    draft = create_question(author, centre, "Q1", question("Q1", "law", "single", 900))
    draft.version.reviewed_by, draft.version.reviewed_on = "R", date(2026, 12, 2)
    edit_question(author, draft, question("Q1", "law", "single", 901))
    assert (draft.current_version, draft.version.reviewed_by, draft.version.reviewed_on) == (
        1,
        None,
        None,
    )


def test_the_question_page_says_who_reviewed_it_and_when(client, login_as, make):
    admin = login_as("centre_admin")
    load_bank(LOADER, admin.centre, BANK)
    db.session.commit()
    question = db.session.scalar(select(Question).where(Question.external_id == "Q1-LW-0001"))
    url = f"/centre/bank/questions/{question.id}"
    en = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"Reviewed by {REVIEWER} on Nov 22, 2026." in en
    zh = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert f"由{REVIEWER}于2026年11月22日审核。" in zh
    version = client.get(f"{url}/versions/1", headers={"Accept-Language": "en"})
    assert "Reviewed by" in version.get_data(as_text=True)
