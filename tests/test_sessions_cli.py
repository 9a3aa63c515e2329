"""``examcentre session ...``: create, state changes, roster import, admission tickets."""

from __future__ import annotations

from pypdf import PdfReader
from sqlalchemy import func, select

from examcentre.compliance import operations as compliance
from examcentre.compliance.model import ComplianceSettings
from examcentre.extensions import db
from examcentre.models import AdmissionTicket, AuditEntry, ExamSession

from .factories import TEST_ACTOR, valid_id_number
from .test_sessions_web import csv_file, line


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_stores_local_times_as_utc(runner, make):
    centre = make.centre("CLI-001")
    make.terminal(centre, code="K01")
    make.terminal(centre, code="K02")
    make.user("invigilator", centre=centre, username="inv1")
    result = runner.invoke(
        args=[
            "session",
            "create",
            "--centre",
            "CLI-001",
            "--item",
            "Q1",
            "--start",
            "2026-12-01 09:00",
            "--end",
            "2026-12-01 10:30",
            "--room",
            "A1",
            "--capacity",
            "2",
            "--terminals",
            "K01,K02",
            "--invigilators",
            "inv1",
        ]
    )
    assert result.exit_code == 0, result.output
    session = db.session.scalar(select(ExamSession))
    assert session.starts_at.isoformat() == "2026-12-01T01:00:00+00:00"
    assert session.ends_at.isoformat() == "2026-12-01T02:30:00+00:00"
    assert [t.code for t in session.terminals] == ["K01", "K02"]
    assert f"Created exam session {session.id}" in result.output


def test_create_bad_input_names_the_option_and_writes_nothing(runner, make):
    centre = make.centre("CLI-002")
    make.terminal(centre, code="K01")
    make.user("invigilator", centre=centre, username="inv2")
    base = [
        "session",
        "create",
        "--centre",
        "CLI-002",
        "--item",
        "Q1",
        "--start",
        "2026-12-01 09:00",
        "--end",
        "2026-12-01 10:30",
        "--room",
        "A1",
        "--invigilators",
        "inv2",
    ]
    audit_before = rows(AuditEntry)
    cases = [
        (["--capacity", "1", "--terminals", "K99"], "--terminals"),
        (["--capacity", "2", "--terminals", "K01"], "--capacity"),
        (["--capacity", "1", "--terminals", "K01", "--start", "2026-13-01 09:00"], "--start"),
    ]
    for extra, option in cases:
        result = runner.invoke(args=base + extra)
        assert result.exit_code == 2, (extra, result.output)
        assert option in result.output, (extra, result.output)
    result = runner.invoke(
        args=[*base[:2], "--centre", "NOPE", *base[4:], "--capacity", "1", "--terminals", "K01"]
    )
    assert result.exit_code == 2 and "--centre" in result.output
    assert rows(ExamSession) == 0
    assert rows(AuditEntry) == audit_before


def test_forbidden_transition_exits_2_and_state_unchanged(runner, make):
    ticket = make.ticket()
    session = ticket.session
    session.state = "closed"
    db.session.commit()
    result = runner.invoke(args=["session", "release", str(session.id)])
    assert result.exit_code == 2
    assert "cannot go from 'closed' to 'released'" in result.output
    db.session.expire_all()
    assert db.session.get(ExamSession, session.id).state == "closed"
    result = runner.invoke(args=["session", "start", "999999"])
    assert result.exit_code == 2 and "SESSION_ID" in result.output


def test_release_refused_by_gate_then_allowed_start_close(runner, make):
    session = make.session()
    make.ticket(session=session, checked_in=False)
    session.state = "scheduled"
    db.session.commit()
    result = runner.invoke(args=["session", "release", str(session.id)])
    assert result.exit_code == 2
    assert "cannot be opened" in result.output
    db.session.expire_all()
    assert db.session.get(ExamSession, session.id).state == "scheduled"
    centre = db.session.get(ExamSession, session.id).centre_id
    from examcentre.models import Centre

    compliance.update_settings(
        TEST_ACTOR, db.session.get(Centre, centre), ComplianceSettings(), False, "test"
    )
    make.published_blueprint(db.session.get(Centre, centre))
    db.session.commit()
    for command, state in (("release", "released"), ("start", "in_progress"), ("close", "closed")):
        result = runner.invoke(args=["session", command, str(session.id)])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        assert db.session.get(ExamSession, session.id).state == state
    ticket = db.session.scalar(select(AdmissionTicket))
    assert ticket.attendance == "absent"


def test_cancel_needs_a_reason(runner, make):
    session = make.session()
    result = runner.invoke(args=["session", "cancel", str(session.id)])
    assert result.exit_code == 2 and "--reason" in result.output
    result = runner.invoke(args=["session", "cancel", str(session.id), "--reason", "台风"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(ExamSession, session.id).cancelled_reason == "台风"


def test_roster_import_rejects_each_bad_row_and_writes_nothing(runner, make, tmp_path):
    session = make.session(seats=2)
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_file(
            line(41),
            "110101199001011234,坏号码,,,,,Q2(限桥式起重机)",
            line(41),
            line(42, birth="20100101"),
            line(43, item="Q1"),
            line(44),
            line(45),
        )
    )
    before = rows(AdmissionTicket)
    result = runner.invoke(args=["session", "roster", "import", str(session.id), str(path)])
    assert result.exit_code == 2
    stderr = result.stderr
    assert "bad.csv:3: resident ID number: check digit does not match" in stderr
    assert "bad.csv:4: duplicate: same resident ID number as row 2" in stderr
    assert "bad.csv:5: not eligible: under 18" in stderr
    assert "bad.csv:6: item 'Q1' does not match" in stderr
    assert "over capacity: the session has 2 places" in stderr
    assert rows(AdmissionTicket) == before


def test_roster_dry_run_then_import_and_tickets_pdf(runner, make, tmp_path):
    session = make.session(seats=2)
    path = tmp_path / "good.csv"
    path.write_bytes(csv_file(line(51), line(52)))
    result = runner.invoke(
        args=["session", "roster", "import", str(session.id), str(path), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "2 candidate(s) would be enrolled" in result.output
    assert rows(AdmissionTicket) == 0
    result = runner.invoke(args=["session", "roster", "import", str(session.id), str(path)])
    assert result.exit_code == 0, result.output
    tickets = db.session.scalars(select(AdmissionTicket)).all()
    assert len(tickets) == 2 and all(t.terminal_id for t in tickets)
    output = tmp_path / "tickets.pdf"
    result = runner.invoke(args=["session", "tickets", str(session.id), "--output", str(output)])
    assert result.exit_code == 0, result.output
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(output).pages)
    for ticket in tickets:
        assert ticket.number in text and ticket.candidate.name in text
        assert ticket.candidate.id_number not in text
    assert valid_id_number(sequence=51) not in text
