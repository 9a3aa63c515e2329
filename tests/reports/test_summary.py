"""The period summary against hand-computed fixtures, from both sources (centre tables and
hub tables), and its CSV / XLSX / PDF forms (the PDF read back as text)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from examcentre.extensions import db
from examcentre.models import (
    AdmissionTicket,
    Centre,
    HubBatch,
    HubCentre,
    HubSitting,
    HubSubjectResult,
)
from examcentre.reports import operations as ops
from examcentre.reports import summary
from examcentre.transmission import hub

from .test_item_statistics_db import sit_all

NOV = (date(2026, 11, 1), date(2026, 11, 30))
TZ = "Asia/Shanghai"
ITEM = "Q2(限桥式起重机)"


@pytest.fixture
def centre_period(make):
    """Five candidates in a session of 23 Nov 2026 (10 one-point questions, pass mark 7):
    three sit and score 100, 80 and 50; one is absent; one sat but has no result yet. The
    80 % candidate also sat in October (so November is a retake)."""
    tickets = make.exam_tickets(5)
    centre = db.session.get(Centre, tickets[0].centre_id)
    sit_all(tickets[:3], [10, 8, 5])
    tickets[3].attendance = "absent"
    october = make.session(centre, starts_at=datetime(2026, 10, 12, 1, 0, tzinfo=UTC))
    db.session.add(
        AdmissionTicket(
            centre_id=centre.id,
            candidate_id=tickets[1].candidate_id,
            number="OCT-0001",
            item=ITEM,
            session_id=october.id,
            attendance="checked_in",
        )
    )
    db.session.commit()
    return centre


def test_a_centres_period_summary_matches_the_hand_count(centre_period):
    centre = centre_period
    doc = ops.period_summary("local", centre.id, *NOV, TZ, centre_label=centre.code)
    (row,) = doc["rows"]
    assert (row["centre"], row["item"]) == (centre.code, ITEM)
    assert {
        k: row[k] for k in ("sessions", "enrolled", "candidates", "sat", "absent", "retakes")
    } == {
        "sessions": 1,
        "enrolled": 5,
        "candidates": 5,
        "sat": 4,
        "absent": 1,
        "retakes": 1,
    }
    theory = row["theory"]
    assert (theory["results"], theory["decided"], theory["passed"]) == (3, 3, 2)
    assert theory["pass_rate"] == 66.7 and theory["mean_score"] == 76.7
    assert theory["histogram"] == [0, 0, 0, 0, 0, 1, 0, 0, 1, 1]
    assert row["practical"] is None
    assert row["overall"] == {"decided": 0, "passed": 0, "pass_rate": None}
    assert doc["totals"]["theory"]["pass_rate"] == 66.7
    # The centre's own sections.
    assert doc["versions"][0]["papers"] == 5 and doc["versions"][0]["item"] == ITEM
    assert doc["workload"][0]["sessions"] == 1 and doc["workload"][0]["candidates"] == 4
    assert doc["incidents"] == []
    # October alone: the first sitting is no retake.
    october = ops.period_summary("local", centre.id, date(2026, 10, 1), date(2026, 10, 31), TZ)
    assert october["rows"][0]["retakes"] == 0 and october["rows"][0]["sat"] == 1


def hub_sitting(batch, session_ref, id_number, attendance, results, starts_at=None):
    starts_at = starts_at or datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    sitting = HubSitting(
        hub_batch_id=batch.id,
        centre_code=batch.centre_code,
        session_ref=session_ref,
        item=ITEM,
        starts_at=starts_at,
        ticket=f"T{id_number}",
        id_number=id_number,
        name="考生",
        attendance=attendance,
    )
    db.session.add(sitting)
    db.session.flush()
    for subject, score, passed in results:
        db.session.add(
            HubSubjectResult(
                hub_batch_id=batch.id,
                sitting_id=sitting.id,
                centre_code=batch.centre_code,
                item=ITEM,
                starts_at=starts_at,
                subject=subject,
                score=score,
                total=100,
                passed=passed,
            )
        )
    # The outcome flags the overall pass rate reads, as the migration and the benchmark set
    # them (ingest sets the same in Python: tests/transmission/test_sitting_outcomes.py).
    db.session.flush()
    hub.mark_outcomes(db.session.connection(), batch.id)


def hub_batch(code, n, current=True):
    centre = db.session.query(HubCentre).filter_by(code=code).first()
    if centre is None:
        centre = HubCentre(
            code=code, name=code, public_key="-", key_fingerprint="0" * 64, registered_by="tests"
        )
        db.session.add(centre)
        db.session.flush()
    batch = HubBatch(
        batch_id=f"00000000-0000-0000-0000-{n:012d}",
        hub_centre_id=centre.id,
        centre_code=code,
        scope="session",
        session_ref=n,
        content_sha256="0" * 64,
        document="{}",
        signature="-",
        key_fingerprint="0" * 64,
        created_at=datetime(2026, 11, 24, tzinfo=UTC),
        received_at=datetime(2026, 11, 24, tzinfo=UTC),
        received_via="file",
        receipt={},
        current=current,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def test_the_hub_source_counts_current_batches_with_practical_and_overall(app):
    old = hub_batch("C1", 1, current=False)  # superseded: must not count
    hub_sitting(old, 1, "A", "checked_in", [("theory", 10.0, False)])
    new = hub_batch("C1", 2)
    hub_sitting(new, 1, "A", "checked_in", [("theory", 90.0, True), ("simulator", 85.0, True)])
    hub_sitting(new, 1, "B", "checked_in", [("theory", 75.0, True), ("simulator", 40.0, False)])
    hub_sitting(new, 1, "C", "checked_in", [("theory", 60.0, False), ("simulator", 70.0, None)])
    hub_sitting(new, 1, "D", "absent", [])
    other = hub_batch("C2", 3)
    hub_sitting(other, 7, "E", "checked_in", [("theory", 100.0, True)])
    # E sat before, in September: a retake.
    hub_sitting(
        other,
        6,
        "E",
        "checked_in",
        [("theory", 30.0, False)],
        starts_at=datetime(2026, 9, 1, 1, 0, tzinfo=UTC),
    )
    db.session.commit()
    doc = ops.period_summary("hub", None, *NOV, TZ)
    rows = {r["centre"]: r for r in doc["rows"]}
    c1 = rows["C1"]
    assert (c1["enrolled"], c1["sat"], c1["absent"], c1["retakes"]) == (4, 3, 1, 0)
    assert (c1["theory"]["results"], c1["theory"]["passed"], c1["theory"]["pass_rate"]) == (
        3,
        2,
        66.7,
    )
    assert c1["theory"]["mean_score"] == 75.0
    # Practical: 3 results, 2 decided (C's run waits for the examiners), 1 passed.
    assert (c1["practical"]["results"], c1["practical"]["decided"]) == (3, 2)
    assert c1["practical"]["pass_rate"] == 50.0
    # Overall: A passed both, B failed the practical; C is undecided.
    assert c1["overall"] == {"decided": 2, "passed": 1, "pass_rate": 50.0}
    assert rows["C2"]["retakes"] == 1 and rows["C2"]["theory"]["pass_rate"] == 100.0
    assert doc["totals"]["enrolled"] == 5 and doc["totals"]["theory"]["passed"] == 3
    assert doc["incidents"] is None  # not in the batches
    only_c2 = ops.period_summary("hub", "C2", *NOV, TZ)
    assert [r["centre"] for r in only_c2["rows"]] == ["C2"]


def test_empty_period():
    doc = summary.build(*NOV, None, "hub", [], [], [])
    assert doc["rows"] == [] and doc["totals"]["theory"]["pass_rate"] is None
    assert summary.to_pdf(doc, "en").startswith(b"%PDF")


def test_csv_xlsx_and_pdf_carry_the_figures(centre_period):
    doc = ops.period_summary("local", centre_period.id, *NOV, TZ, centre_label="T-中心")
    rows = list(csv.reader(io.StringIO(summary.to_csv(doc, "en").lstrip("\ufeff"))))
    assert rows[0][:3] == ["Centre", "Item", "Sessions"]
    assert rows[1][rows[0].index("Theory pass rate")] == "66.7"
    assert rows[-1][0] == "Total"
    book = load_workbook(io.BytesIO(summary.to_xlsx(doc, "zh")))
    sheet = book.worksheets[0]
    assert sheet.cell(2, 1).value == "考试中心" and sheet.cell(3, 10).value == 66.7
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(summary.to_pdf(doc, "zh"))).pages
    )
    assert "考试汇总报表" in text and "66.7" in text and "76.7" in text
    assert "理论成绩分布" in text and "监考工作量" in text


def test_the_centre_page_and_downloads_show_its_own_centre_only(
    client, login_as, centre_period, make
):
    other = make.exam_tickets(2)  # another centre, same period
    sit_all(other, [10, 10])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as("centre_admin", centre=centre_period)
    query = {"from": "2026-11-01", "to": "2026-11-30"}
    html = client.get("/centre/reports/summary", query_string=query).get_data(as_text=True)
    assert centre_period.code in html and "66.7 %" in html
    assert db.session.get(Centre, other[0].centre_id).code not in html
    assert "<svg" in html and "Invigilator workload" in html
    response = client.get("/centre/reports/summary.csv", query_string=query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) == 3
    pdf = client.get("/centre/reports/summary.pdf", query_string=query)
    assert pdf.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Examination summary report" in text and centre_period.code in text


def test_the_authority_sees_every_centre_and_can_choose_one(client, login_as, centre_period, make):
    other = make.exam_tickets(2)
    sit_all(other, [10, 10])
    other_code = db.session.get(Centre, other[0].centre_id).code
    login_as("authority")
    query = {"from": "2026-11-01", "to": "2026-11-30"}
    html = client.get("/authority/reports", query_string=query).get_data(as_text=True)
    assert centre_period.code in html and other_code in html
    one = client.get("/authority/reports", query_string={**query, "centre": other[0].centre_id})
    body = one.get_data(as_text=True)
    assert "100.0 %" in body and "66.7 %" not in body
    xlsx = client.get("/authority/reports/summary.xlsx", query_string=query)
    assert load_workbook(io.BytesIO(xlsx.data)).worksheets[0].max_row == 5  # 2 rows + total
    # Read-only: no write is accepted from authority staff.
    assert client.post("/authority/reports", query_string=query).status_code in (403, 405)


def test_the_monthly_job_stores_each_centre_once(app, centre_period, monkeypatch, client, login_as):
    from examcentre import clock
    from examcentre.jobs import store_monthly_reports
    from examcentre.models import StoredReport

    monkeypatch.setattr(clock, "centre_today", lambda: date(2026, 12, 1))
    assert store_monthly_reports(app) == 1
    assert store_monthly_reports(app) == 0  # already stored: kept as issued
    row = db.session.query(StoredReport).one()
    assert (row.period_from, row.period_to, row.centre_id) == (*NOV, centre_period.id)
    assert row.document["rows"][0]["theory"]["pass_rate"] == 66.7
    assert "考试汇总报表" in PdfReader(io.BytesIO(row.pdf)).pages[0].extract_text()
    login_as("centre_admin", centre=centre_period)
    assert client.get(f"/centre/reports/stored/{row.id}.pdf").data == row.pdf
    assert client.get(f"/centre/reports/stored/{row.id}.csv").status_code == 200
    stranger = app.test_client()
    login_as("centre_admin", test_client=stranger)  # another centre's administrator
    assert stranger.get(f"/centre/reports/stored/{row.id}.pdf").status_code == 404
