"""`examcentre compliance check` and `examcentre centre export|import`: the public contract."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from examcentre.compliance import operations
from examcentre.compliance.model import BankCoverage, BlueprintCell, ExamSystemFunction
from examcentre.compliance.rules import RULES
from examcentre.extensions import db
from examcentre.models import AuditEntry, Centre, CentreRecordVersion, ComplianceCheck

FIXTURES = Path(__file__).parent / "compliance" / "fixtures"
SPEC_EXAMPLE = FIXTURES / "spec_example_centre.json"
COMPLIANT = FIXTURES / "compliant_centre.json"


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def platform_complete(monkeypatch):
    """As if every exam-system function existed and the bank covered every cell."""
    monkeypatch.setattr(
        operations, "PLATFORM_SYSTEM_FUNCTIONS", {f: "somewhere" for f in ExamSystemFunction}
    )
    cells = (
        BlueprintCell("Q1", "Q1-OP", 20, 60),
        BlueprintCell("Q2(限桥式起重机)", "Q2-OP", 20, 60),
    )
    coverage = BankCoverage(cells=cells, untagged_live_questions=0)
    monkeypatch.setattr(operations, "bank_coverage", lambda centre: coverage)


def test_spec_example_is_not_compliant_and_reports_every_applicable_rule(runner, tmp_path):
    out = tmp_path / "report.json"
    result = runner.invoke(
        args=[
            "compliance",
            "check",
            "--input",
            str(SPEC_EXAMPLE),
            "--on",
            "2026-11-22",
            "--format",
            "json",
            "--output",
            str(out),
        ]
    )
    assert result.exit_code == 1
    report = json.loads(out.read_text())
    assert report["format"] == "examcentre.compliance/1"
    assert report["centre"] == "ZJ-HZ-001" and report["evaluated_on"] == "2026-11-22"
    assert [f["rule"] for f in report["findings"]] == [r.id for r in RULES]  # both items offered
    staff = next(f for f in report["findings"] if f["rule"] == "R-STAFF-1")
    assert (staff["status"], staff["required"], staff["actual"]) == ("fail", 3, 1)
    assert staff["message_en"] == "Full-time exam staff: 1 of the required 3."
    assert report["compliant"] is False


def test_a_compliant_centre_exits_zero(runner, make, platform_complete):
    make.centre("ZJ-HZ-001")
    result = runner.invoke(
        args=[
            "compliance",
            "check",
            "--input",
            str(COMPLIANT),
            "--on",
            "2026-11-22",
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["compliant"] is True


def test_on_date_makes_a_check_reproducible(runner):
    later = runner.invoke(
        args=[
            "compliance",
            "check",
            "--input",
            str(COMPLIANT),
            "--on",
            "2031-06-01",
            "--format",
            "json",
        ]
    )
    report = json.loads(later.output)
    assert report["evaluated_on"] == "2031-06-01"
    lease = next(f for f in report["findings"] if f["rule"] == "R-SITE-1")
    assert lease["status"] == "fail"  # the lease has less than 12 months left by then


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["centre"].update(fax="x"), "centre.fax: unknown key"),
        (
            lambda d: d["centre"].update(planned_annual_volume="many"),
            "centre.planned_annual_volume:",
        ),
        (lambda d: d["site"].update(lease_end="2030-02-30"), "site.lease_end:"),
        (
            lambda d: d["examiners"][0].update(title="高级工程狮"),
            'examiners[0].title: unknown title "高级工程狮"',
        ),
    ],
    ids=["unknown-key", "wrong-type", "bad-date", "unknown-title"],
)
def test_invalid_input_exits_2_names_the_path_and_writes_nothing(
    runner, tmp_path, change, expected
):
    document = json.loads(COMPLIANT.read_text())
    change(document)
    source = tmp_path / "centre.json"
    source.write_text(json.dumps(document, ensure_ascii=False))
    out = tmp_path / "out.json"
    before = (rows(ComplianceCheck), rows(AuditEntry))
    result = runner.invoke(
        args=["compliance", "check", "--input", str(source), "--output", str(out)]
    )
    assert result.exit_code == 2
    assert expected in result.stderr
    assert not out.exists()
    assert (rows(ComplianceCheck), rows(AuditEntry)) == before


def test_unreadable_json_exits_2(runner, tmp_path):
    source = tmp_path / "centre.json"
    source.write_text("{not json")
    result = runner.invoke(args=["compliance", "check", "--input", str(source)])
    assert result.exit_code == 2 and result.stderr


def test_check_a_centre_in_the_database_stores_the_check(runner, app):
    runner.invoke(args=["demo"])
    result = runner.invoke(
        args=["compliance", "check", "--centre", "DEMO-HZ-001", "--format", "text"]
    )
    # The demo centre meets every rule, now that every exam-system function exists (R-SYS).
    assert result.exit_code == 0, result.output
    assert "R-STAFF-1" in result.output
    # The demo ran the first check; the command stored the second.
    checks = db.session.scalars(select(ComplianceCheck).order_by(ComplianceCheck.id)).all()
    assert [c.trigger for c in checks] == ["demo", "cli"]
    assert checks[-1].record_version == 1


def test_pdf_report_holds_every_rule_id_and_the_centre_name(runner, tmp_path):
    runner.invoke(args=["demo"])
    out = tmp_path / "report.pdf"
    result = runner.invoke(
        args=[
            "compliance",
            "check",
            "--centre",
            "DEMO-HZ-001",
            "--format",
            "pdf",
            "--output",
            str(out),
        ]
    )
    assert result.exit_code == 0  # the demo centre is compliant
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "示范起重机械作业人员考试中心（杭州）" in text
    for rule in RULES:
        assert rule.id in text, rule.id
    assert "考试机构负责人（签字）" in text  # signature lines
    assert "专职人员不少于3名" in text  # the clause's own words


def test_pdf_needs_an_output_file(runner):
    result = runner.invoke(
        args=["compliance", "check", "--input", str(COMPLIANT), "--format", "pdf"]
    )
    assert result.exit_code == 2 and "--output" in result.stderr


def test_export_then_import_round_trips(runner, tmp_path):
    runner.invoke(args=["demo"])
    exported = tmp_path / "demo.json"
    assert (
        runner.invoke(args=["centre", "export", "DEMO-HZ-001", "--output", str(exported)]).exit_code
        == 0
    )
    result = runner.invoke(args=["centre", "import", str(exported)])
    assert result.exit_code == 0 and "no change" in result.output
    document = json.loads(exported.read_text())
    document["centre"]["planned_annual_volume"] = 520
    exported.write_text(json.dumps(document, ensure_ascii=False))
    result = runner.invoke(args=["centre", "import", str(exported)])
    assert "version 2" in result.output
    second = tmp_path / "again.json"
    runner.invoke(args=["centre", "export", "DEMO-HZ-001", "--output", str(second)])
    assert json.loads(second.read_text()) == document


def test_import_creates_a_new_centre_and_refuses_invalid_files_whole(runner, tmp_path):
    assert runner.invoke(args=["centre", "import", str(COMPLIANT)]).exit_code == 0
    centre = db.session.scalar(select(Centre).where(Centre.code == "ZJ-HZ-001"))
    assert centre is not None and rows(CentreRecordVersion) == 1
    document = json.loads(COMPLIANT.read_text())
    document["staff"][0]["employment"] = "sometimes"
    document["terminals"] = []
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document, ensure_ascii=False))
    result = runner.invoke(args=["centre", "import", str(bad)])
    assert result.exit_code == 2 and "staff[0].employment" in result.stderr
    assert rows(CentreRecordVersion) == 1
    assert len(operations.terminals_of(centre)) == len(
        json.loads(COMPLIANT.read_text())["terminals"]
    )
