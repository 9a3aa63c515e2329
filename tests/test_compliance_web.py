"""The centre records pages, the self-check page, alerts, the nightly job and the session gate."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from examcentre.compliance import operations
from examcentre.extensions import db
from examcentre.jobs import check_every_centre
from examcentre.models import (
    Alert,
    AuditEntry,
    CentreRecordVersion,
    ComplianceCheck,
    Terminal,
)

from .test_compliance_cli import COMPLIANT, platform_complete  # noqa: F401


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def admin_with_records(login_as, make, code="ZJ-HZ-001"):
    """A signed-in administrator of a centre whose records are the compliant fixture."""
    centre = make.centre(code)
    document = json.loads(COMPLIANT.read_text())
    document["centre"]["code"] = code
    operations.save_record_document(
        operations.Actor("system", None, "tests"), centre, document, "test"
    )
    db.session.commit()
    return login_as("centre_admin", centre=centre), centre


def test_every_records_page_opens(client, login_as, make):
    admin_with_records(login_as, make)
    for path in [
        "/centre/records/",
        "/centre/records/organisation",
        "/centre/records/field-kit",
        "/centre/records/site",
        "/centre/records/import",
        "/centre/compliance/",
        "/centre/compliance/settings",
    ]:
        assert client.get(path).status_code == 200, path
    for section in ["staff", "examiners", "terminals", "equipment", "fields"]:
        assert client.get(f"/centre/records/{section}").status_code == 200
        assert client.get(f"/centre/records/{section}/new").status_code == 200
        assert client.get(f"/centre/records/{section}/0").status_code == 200
    assert client.get("/centre/records/staff/99").status_code == 404


def test_organisation_form_saves_a_new_audited_version(client, login_as, make):
    admin, centre = admin_with_records(login_as, make)
    response = client.post(
        "/centre/records/organisation",
        data={
            "name": "某某考试中心",
            "items": ["Q1"],
            "department_name": "考试部",
            "department_head": "张三",
            "landline": "0571-88880001",
            "office_address": "杭州",
            "planned_annual_volume": "450",
            "examined_last_12_months": "300",
        },
    )
    assert response.status_code == 302
    document = operations.record_document(centre)
    assert document["centre"]["items"] == ["Q1"]
    assert document["centre"]["planned_annual_volume"] == 450
    assert operations.latest_version(centre).version == 2
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "centre_record.save")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert entry.actor_label == admin.username
    assert "centre" in json.loads(entry.details)["sections"]


def test_form_errors_name_the_field_and_nothing_is_saved(client, login_as, make):
    _admin, centre = admin_with_records(login_as, make)
    page = client.post(
        "/centre/records/site",
        data={
            "tenure": "leased",
            "lease_start": "2025-01-01",
            "lease_end": "2024-01-01",
        },
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert 'id="lease_end-error"' in page
    page = client.post(
        "/centre/records/fields/0",
        data={"name": "考场", "area_m2": "-5"},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert 'id="area_m2-error"' in page
    assert operations.latest_version(centre).version == 1


def test_examiner_with_periods_and_filings_is_saved_from_the_form(client, login_as, make):
    _admin, centre = admin_with_records(login_as, make)
    response = client.post(
        "/centre/records/examiners/new",
        data={
            "name": "钱七",
            "employment": "part_time",
            "items": ["Q1"],
            "title": "技师",
            "practical_experience-0-start": "2015-01-01",
            "practical_experience-0-end": "2020-12-31",
            "teaching_experience-0-start": "2021-01-01",
            "teaching_experience-0-end": "",
            "filings-0-item": "Q1",
            "filings-0-reference": "ZJ-KP-9",
            "filings-0-filed_on": "2024-01-02",
            "filings-0-expires_on": "",
        },
    )
    assert response.status_code == 302
    examiner = operations.record_document(centre)["examiners"][-1]
    assert examiner["practical_experience"] == [{"from": "2015-01-01", "to": "2020-12-31"}]
    assert examiner["teaching_experience"] == [{"from": "2021-01-01", "to": None}]
    assert examiner["filings"] == [
        {"item": "Q1", "reference": "ZJ-KP-9", "filed_on": "2024-01-02", "expires_on": None}
    ]


def test_terminals_are_kept_in_their_own_table(client, login_as, make):
    _admin, centre = admin_with_records(login_as, make)
    count = rows(Terminal)
    client.post(
        "/centre/records/terminals/new",
        data={"id": "T99", "location": "201", "status": "out_of_service"},
    )
    assert rows(Terminal) == count + 1
    terminal = db.session.scalar(select(Terminal).where(Terminal.code == "T99"))
    assert terminal.status == "out_of_service" and terminal.centre_id == centre.id


def test_removing_an_entry_asks_for_a_reason_first(client, login_as, make):
    _admin, centre = admin_with_records(login_as, make)
    staff_before = len(operations.record_document(centre)["staff"])
    confirm = client.get("/centre/records/staff/0/remove").get_data(as_text=True)
    assert 'name="reason"' in confirm
    assert len(operations.record_document(centre)["staff"]) == staff_before
    client.post("/centre/records/staff/0/remove", data={"reason": "retired"})
    assert len(operations.record_document(centre)["staff"]) == staff_before - 1


def test_import_shows_every_problem_then_previews_then_saves(client, login_as, make):
    _admin, centre = admin_with_records(login_as, make)
    document = json.loads(COMPLIANT.read_text())
    document["centre"]["fax"] = "1"
    document["staff"][0]["employment"] = "sometimes"
    import io

    page = client.post(
        "/centre/records/import",
        data={
            "file": (io.BytesIO(json.dumps(document).encode()), "centre.json"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "centre.fax: unknown key" in page and "staff[0].employment" in page
    assert rows(CentreRecordVersion) == 1
    document = json.loads(COMPLIANT.read_text())
    document["centre"]["planned_annual_volume"] = 999
    text = json.dumps(document, ensure_ascii=False)
    preview = client.post(
        "/centre/records/import",
        data={
            "file": (io.BytesIO(text.encode()), "centre.json"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert 'name="confirm"' in preview and rows(CentreRecordVersion) == 1
    client.post("/centre/records/import", data={"document": text, "confirm": "1"})
    assert operations.record_document(centre)["centre"]["planned_annual_volume"] == 999


def test_importing_another_centres_file_is_refused(client, login_as, make):
    admin_with_records(login_as, make, code="ZJ-OTHER")
    import io

    page = client.post(
        "/centre/records/import",
        data={
            "file": (io.BytesIO(COMPLIANT.read_bytes()), "centre.json"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "centre.code" in page


def test_running_the_check_stores_it_and_shows_findings_history_and_pdf(client, login_as, make):
    _admin, centre = admin_with_records(login_as, make)
    assert client.post("/centre/compliance/run").status_code == 302
    check = operations.latest_check(centre)
    assert check.trigger == "manual" and not check.compliant
    page = client.get("/centre/compliance/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "R-STAFF-1" in page and "R-SITE-2" in page and "三(三)2" in page
    pdf = client.get(f"/centre/compliance/checks/{check.id}/report.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    client.post(
        "/centre/records/organisation",
        data={
            "name": "某某考试中心",
            "items": ["Q1", "Q2(限桥式起重机)"],
            "landline": "",
            "office_address": "杭州",
            "planned_annual_volume": "420",
        },
    )
    client.post("/centre/compliance/run")
    later = operations.latest_check(centre)
    changes = operations.changes_between(check, later)
    assert ("R-ORG-1", "pass", "fail") in [(c.rule, c.before, c.after) for c in changes]
    detail = client.get(f"/centre/compliance/checks/{later.id}").get_data(as_text=True)
    assert "R-ORG-2" in detail


def test_new_failures_raise_alerts_once_and_the_banner_shows_until_acknowledged(
    client, login_as, make
):
    _admin, centre = admin_with_records(login_as, make)
    client.post("/centre/compliance/run")
    first = rows(Alert)
    assert (
        first
        == operations.latest_check(centre).fail_count + operations.latest_check(centre).warn_count
    )
    client.post("/centre/compliance/run")
    assert rows(Alert) == first  # nothing new: no new alerts
    page = client.get("/centre/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "compliance-banner" in page and "Acknowledge" in page
    client.post("/centre/compliance/alerts/acknowledge")
    assert operations.open_alerts(centre) == []
    page = client.get("/centre/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Acknowledge" not in page and "compliance-banner" in page  # still not compliant


def test_settings_change_is_audited_and_applied(client, login_as, make):
    _admin, centre = admin_with_records(login_as, make)
    data = {
        "terminal_base": "12",
        "terminal_step": "5",
        "volume_threshold": "500",
        "accepted_titles": ["工程师", "技师"],
        "min_practical_months": "36",
        "min_teaching_months": "24",
        "long_lease_years": "3",
        "lease_min_months_remaining": "12",
        "warning_days": "90",
        "coverage_factor": "3",
        "min_field_area_m2": "150",
        "ppe_required": "helmets, gloves",
        "block_sessions": "y",
        "reason": "local rule",
    }
    assert client.post("/centre/compliance/settings", data=data).status_code == 302
    settings, block = operations.load_settings(centre)
    assert settings.terminal_base == 12 and settings.ppe_required == ("helmets", "gloves")
    assert block is True
    report, _record = operations.evaluate_centre(centre, date(2026, 11, 22))
    assert report["settings"]["terminal_base"] == 12
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "compliance.settings")
    ).one()
    assert entry.reason == "local rule"
    page = client.post(
        "/centre/compliance/settings",
        data={**data, "terminal_base": "-1"},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert 'id="terminal_base-error"' in page


def test_session_gate_blocks_a_non_compliant_centre_unless_switched_off(app, make, request):
    from examcentre.compliance.model import ComplianceSettings

    centre = make.centre("ZJ-HZ-001")
    document = json.loads(COMPLIANT.read_text())
    operations.save_record_document(operations.Actor("system", None, "t"), centre, document, "t")
    gate = operations.session_gate(centre, date(2026, 11, 22))
    assert not gate.allowed
    # Every exam-system function exists now (R-SYS passes); the bank is still empty.
    assert {f["rule"] for f in gate.blocking} == {"R-BANK"}
    request.getfixturevalue("platform_complete")
    assert operations.session_gate(centre, date(2026, 11, 22)).allowed
    operations.update_settings(
        operations.Actor("system", None, "t"),
        centre,
        ComplianceSettings(terminal_base=50),
        False,
        "test",
    )
    assert operations.session_gate(centre, date(2026, 11, 22)).allowed  # gate switched off


def test_nightly_job_checks_every_centre(app, runner):
    runner.invoke(args=["demo"])
    results = check_every_centre(app)
    assert set(results) == {"DEMO-HZ-001"}
    assert [c.trigger for c in db.session.scalars(select(ComplianceCheck))] == ["demo", "nightly"]
    # The second demo centre has recorded nothing: it is told so, once.
    unreadable = db.session.scalars(select(Alert).where(Alert.message.like("%centre.items%"))).all()
    assert len(unreadable) == 1
    check_every_centre(app)
    assert (
        db.session.scalar(
            select(func.count()).select_from(Alert).where(Alert.message.like("%centre.items%"))
        )
        == 1
    )


def test_authority_sees_each_centres_status_and_report(client, login_as, make):
    _admin, centre = admin_with_records(login_as, make)
    client.post("/centre/compliance/run")
    check = operations.latest_check(centre)
    client.post("/auth/logout")
    login_as("authority")
    home = client.get("/authority/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Not compliant" in home
    detail = client.get(f"/authority/centres/{centre.id}").get_data(as_text=True)
    assert "R-STAFF-1" in detail
    pdf = client.get(f"/authority/centres/{centre.id}/compliance/{check.id}.pdf")
    assert pdf.data.startswith(b"%PDF")
    assert (
        client.get(f"/authority/centres/{centre.id + 1}/compliance/{check.id}.pdf").status_code
        == 404
    )


def test_another_centres_check_is_404(client, login_as, make):
    _admin, centre = admin_with_records(login_as, make)
    client.post("/centre/compliance/run")
    check = operations.latest_check(centre)
    client.post("/auth/logout")
    login_as("centre_admin")  # of a new, different centre
    assert client.get(f"/centre/compliance/checks/{check.id}").status_code == 404
    assert client.get(f"/centre/compliance/checks/{check.id}/report.pdf").status_code == 404
