"""Reports with practical results (issue 8) on a centre's install: pass rates of theory,
practical and overall against a hand count, and a simulator exam run counted once."""

from __future__ import annotations

from datetime import date

from examcentre.extensions import db
from examcentre.models import Centre, PracticalResult, SimulatorRun
from examcentre.reports import operations as ops

from .practicalfixture import PERIOD, TZ, build


def test_practical_results_and_the_overall_pass_rate_match_the_hand_count(app, make):
    centre, _session, _users, tickets, _sheets = build(make)
    assert [
        r.version for r in db.session.query(PracticalResult).filter_by(ticket_id=tickets["A"].id)
    ] == [1, 2]
    doc = ops.period_summary("local", centre.id, *PERIOD, TZ, centre_label=centre.code)
    (row,) = doc["rows"]
    # Theory: A 100, B 80, C 50 -> 2 of 3 passed.
    assert (row["theory"]["decided"], row["theory"]["passed"]) == (3, 2)
    # Practical, newest version per ticket: A 98 (v2, not v1's 100), B 50, C 100, D 90.
    practical = row["practical"]
    assert (practical["results"], practical["decided"], practical["passed"]) == (4, 4, 3)
    assert practical["pass_rate"] == 75.0
    assert practical["mean_score"] == round((98 + 50 + 100 + 90) / 4, 1) == 84.5
    assert practical["histogram"][9] == 3 and practical["histogram"][5] == 1
    # Overall: A (pass, pass), B (pass, fail), C (fail, pass) are decided; D has no theory.
    assert row["overall"] == {"decided": 3, "passed": 1, "pass_rate": 33.3}
    assert doc["totals"]["overall"]["pass_rate"] == 33.3
    # Sittings: 3 theory + 4 practical tickets in two sessions.
    assert (row["sessions"], row["enrolled"], row["sat"]) == (2, 7, 7)
    # December only: the practical counts, but no theory, so nobody is decided overall.
    december = ops.period_summary("local", centre.id, date(2026, 12, 1), date(2026, 12, 31), TZ)
    assert december["rows"][0]["practical"]["results"] == 4
    assert december["rows"][0]["overall"] == {"decided": 0, "passed": 0, "pass_rate": None}
    # Another centre's summary does not see them.
    other = make.centre()
    assert ops.period_summary("local", other.id, *PERIOD, TZ)["rows"] == []
    assert db.session.get(Centre, centre.id) is not None


def test_a_simulator_exam_run_counts_until_its_practical_result_and_then_once(app, client, make):
    from examcentre.practical import operations as practical
    from examcentre.practical.stations import set_simulator_counts_as_exam

    from ..factories import TEST_ACTOR
    from ..practical.practicaldata import ITEM, enrol, practical_session
    from ..practical.stationdata import encode, post, registered_station, run_payload
    from ..practical.test_examiner_sheets import actor, full_marks
    from .practicalfixture import NOW, SETTINGS

    session, users = practical_session(make)
    centre = db.session.get(Centre, session.centre_id)
    ticket = enrol(session, requires_theory_pass=False)
    session.state = "released"
    db.session.commit()
    setup = registered_station(make, ticket=ticket)
    set_simulator_counts_as_exam(TEST_ACTOR, centre, ITEM, True)
    db.session.commit()
    assert post(client, "SIM-01", setup.secret, encode(run_payload(setup))).status_code == 201
    run = db.session.query(SimulatorRun).one()

    def practical_row():
        doc = ops.period_summary("local", centre.id, *PERIOD, TZ)
        return doc["rows"][0]["practical"]

    # The run alone: one result, not decided (the examiners' tasks are still open).
    before = practical_row()
    assert (before["results"], before["decided"]) == (1, 0)
    assert before["mean_score"] == round(run.total, 1)
    for user in users:
        row = practical.start_sheet(actor(user), user, ticket)
        assert row.simulator_run_id == run.id
        for task in ("part_identification", "emergency_scenario"):
            practical.save_task(actor(user), user, row, task, full_marks()[task])
        practical.sign_sheet(actor(user), user, row, NOW, SETTINGS)
    db.session.commit()
    result = db.session.query(PracticalResult).one()
    assert result.mode == "simulator" and result.simulator_run_id == run.id
    # Settled: the practical result replaces the run, one result for one exam.
    after = practical_row()
    assert (after["results"], after["decided"], after["passed"]) == (1, 1, 1)
    assert after["mean_score"] == round(result.score, 1) != round(run.total, 1)


def test_on_a_hub_a_sittings_practical_result_replaces_its_simulator_run(app):
    from .test_summary import hub_batch, hub_sitting

    batch = hub_batch("C1", 1)
    hub_sitting(batch, 1, "A", "checked_in", [("simulator", 48.0, None), ("practical", 95.0, True)])
    hub_sitting(batch, 1, "B", "checked_in", [("simulator", 80.0, True)])
    hub_sitting(batch, 2, "A", "checked_in", [("theory", 90.0, True)])
    db.session.commit()
    (row,) = ops.period_summary("hub", None, *PERIOD, TZ)["rows"]
    assert (row["practical"]["results"], row["practical"]["passed"]) == (2, 2)
    assert row["practical"]["mean_score"] == 87.5
    # A's theory (session 2) and practical (session 1) pair up by ID number.
    assert row["overall"] == {"decided": 1, "passed": 1, "pass_rate": 100.0}


def test_examiner_workload_in_the_summary_page_pdf_csv_and_xlsx(app, client, make, login_as):
    import csv
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from examcentre.reports import summary

    centre, _session, (lead, other), _tickets, _sheets = build(make)
    doc = ops.period_summary("local", centre.id, *PERIOD, TZ, centre_label=centre.code)
    by_name = {row["name"]: row for row in doc["examiners"]}
    # 王五: A v1 and v2 (one amendment), B, C, D; decided D as lead. 孙八: A, B, C, D.
    assert by_name == {
        lead.display_name: {"name": "王五", "username": lead.username, "candidates": 4,
                            "signed": 5, "amendments": 1, "lead_decisions": 1},
        other.display_name: {"name": "孙八", "username": other.username, "candidates": 4,
                             "signed": 4, "amendments": 0, "lead_decisions": 0},
    }  # fmt: skip
    # The hub source and all-centres reports do not have the sheets.
    assert ops.period_summary("local", None, *PERIOD, TZ)["examiners"] is None
    # October: no practical session, nobody listed.
    assert (
        ops.period_summary("local", centre.id, date(2026, 10, 1), date(2026, 10, 31), TZ)[
            "examiners"
        ]
        == []
    )

    rows = list(csv.reader(io.StringIO(summary.to_csv(doc, "en").lstrip("\ufeff"))))
    start = rows.index(["Practical examiners' workload"])
    assert rows[start + 1] == [
        "Examiner", "Candidates scored", "Sheets signed", "Amendments", "Lead decisions"
    ]  # fmt: skip
    assert sorted(rows[start + 2 :]) == [["孙八", "4", "4", "0", "0"], ["王五", "4", "5", "1", "1"]]
    book = load_workbook(io.BytesIO(summary.to_xlsx(doc, "zh")))
    sheet = book["实操考评员工作量"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["考评员", "评分考生数", "签署评分表", "更正", "主考裁定"]
    assert sorted(values[1:]) == [["孙八", 4, 4, 0, 0], ["王五", 4, 5, 1, 1]]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(summary.to_pdf(doc, "zh"))).pages)
    assert "实操考评员工作量" in text and "主考裁定" in text and "王五" in text

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as("centre_admin", centre=centre)
    query = {"from": "2026-11-01", "to": "2026-12-31"}
    html = client.get("/centre/reports/summary", query_string=query).get_data(as_text=True)
    assert "Practical examiners’ workload" in html and "Lead decisions" in html
    assert "王五" in html and "孙八" in html
    assert "75.0 %" in html  # the practical pass rate in the table


def test_examiner_differences_and_the_dashboard_highlight(app, client, make, login_as):
    from examcentre.reports import dashboard, queries
    from examcentre.reports.operations import period_bounds

    centre, *_rest = build(make)
    start, end = period_bounds(*PERIOD, TZ)
    rows = {r["name"]: r for r in queries.examiner_differences(centre.id, start, end)}
    # Newest signed sheets: A 96 (王五's v2, not v1's 100) vs 100, B 50 vs 50, C 100 vs 100,
    # D 100 vs 85. 王五: -4 + 0 + 0 + 15 = 11 over 4 (mean 2.75); 孙八 the opposite.
    assert (rows["王五"]["pairs"], rows["王五"]["difference_sum"]) == (4, 11.0)
    assert (rows["孙八"]["pairs"], rows["孙八"]["difference_sum"]) == (4, -11.0)
    assert queries.examiner_differences(None, start, end) == list(
        queries.examiner_differences(centre.id, start, end)
    )
    assert queries.examiner_differences(make.centre().id, start, end) == []
    flagged = dashboard.examiner_outliers(list(rows.values()), min_pairs=4, points=2.7)
    assert {r["name"]: r["flagged"] for r in flagged} == {"王五": True, "孙八": True}

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as("authority")
    query = {"from": "2026-11-01", "to": "2026-12-31"}
    html = client.get("/authority/", query_string=query).get_data(as_text=True)
    assert "No examiner co-scored 10 or more candidates in this period." in html
    app.config.update(OUTLIER_EXAMINER_MIN_PAIRS=4, OUTLIER_EXAMINER_POINTS=2.7)
    html = client.get("/authority/", query_string=query).get_data(as_text=True)
    assert "Practical examiners compared with their co-examiners" in html
    assert "outlier: +2.8 points" in html and "outlier: -2.8 points" in html
    app.config["OUTLIER_EXAMINER_POINTS"] = 2.75  # |mean| must exceed the limit
    html = client.get("/authority/", query_string=query).get_data(as_text=True)
    assert "outlier: +2.8" not in html and "+2.8" in html and "王五" in html
    # On a hub the sheets are not there, and the page says so.
    app.config["HUB_MODE"] = True
    html = client.get("/authority/", query_string=query).get_data(as_text=True)
    assert "Not available on an authority hub" in html


def pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_dossier_holds_both_examiners_sheets_every_version_and_the_results(
    app, client, make, login_as
):
    from examcentre.models import AuditEntry, ExaminerSheet

    _centre, _session, (lead, other), tickets, sheets = build(make)
    a = tickets["A"]
    candidate = a.candidate
    results = (
        db.session.query(PracticalResult)
        .filter_by(ticket_id=a.id)
        .order_by(PracticalResult.version)
        .all()
    )
    # A's signed sheets: 王五 v1 (100) and v2 (96, amended), 孙八 v1 (100).
    first, second, amended = sheets["A"]
    assert (first.version, amended.version, amended.total) == (1, 2, 96)

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as("authority")
    html = client.get(f"/authority/candidates/{candidate.id}").get_data(as_text=True)
    assert "Practical score sheets (signed, every version)" in html
    for row in (first, second, amended):
        assert row.content_sha256 in html
    assert "漏记两次碰杆" in html  # the amendment's reason
    assert ">96<" in html and html.count(">100<") >= 2
    assert "Practical result versions" in html and "examiners agreed" in html
    assert [r.score_text for r in results] == ["100", "98"]
    # The audit trail now holds the sheets' and results' entries too.
    sheet_ids = [str(s.id) for s in db.session.query(ExaminerSheet).filter_by(ticket_id=a.id)]
    audited = (
        db.session.query(AuditEntry)
        .filter(AuditEntry.object_type == "examiner_sheets", AuditEntry.object_id.in_(sheet_ids))
        .all()
    )
    assert len(audited) >= 6  # start, tasks, signing of three versions, the amendment
    for entry in audited:
        assert f'href="/authority/audit/{entry.id}"' in html

    # The PDF (Chinese), read back as text: both examiners, every version, the reason, the
    # signing time, the result versions and their hashes.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    pdf = client.get(f"/authority/candidates/{candidate.id}.pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    flat = "".join(text.split())
    for expected in (
        "实操评分表",
        "实操成绩版本",
        "王五",
        "孙八",
        "漏记两次碰杆",
        "两名考评员一致",
        "2026-12-0711:00",
    ):  # fmt: skip  (signed 03:00 UTC = 11:00 in Shanghai)
        assert expected in flat, expected
    for row in (first, second, amended):
        assert row.content_sha256 in flat
    for r in results:
        assert r.content_sha256 in flat
    assert "96" in text and "98" in text

    # D: the lead's decision, its reason and the vetoes column.
    d = tickets["D"].candidate
    text = "".join(pdf_text(client.get(f"/authority/candidates/{d.id}.pdf").data).split())
    assert "主考裁定" in text and "复看录像：倒杆两次" in text and lead.display_name in text
    assert other.display_name in text and "85" in text


def test_the_dossier_shows_a_veto_with_the_examiners_note(app, client, make, login_as):
    from examcentre.practical import operations as practical

    from ..practical.practicaldata import enrol, practical_session
    from ..practical.test_examiner_sheets import actor, full_marks, score
    from .practicalfixture import NOW, SETTINGS

    session, (first, second) = practical_session(make)
    ticket = enrol(session, requires_theory_pass=False)
    session.state = "released"
    db.session.commit()
    a = score(first, ticket, full_marks(), vetoes=["lift_over_person"])
    b = score(second, ticket, full_marks(), vetoes=["lift_over_person"])
    practical.sign_sheet(actor(first), first, a, NOW, SETTINGS)
    practical.sign_sheet(actor(second), second, b, NOW, SETTINGS)
    db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as("authority")
    html = client.get(f"/authority/candidates/{ticket.candidate_id}").get_data(as_text=True)
    assert html.count(">lift_over_person</span> 吊物从人员头顶越过") == 2
    text = "".join(
        pdf_text(client.get(f"/authority/candidates/{ticket.candidate_id}.pdf").data).split()
    )
    assert "lift_over_person(吊物从人员头顶越过)" in text
    assert "failed" in text  # a veto fails the result whatever the points
