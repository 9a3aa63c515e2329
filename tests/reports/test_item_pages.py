"""The centre administrator's item statistics pages and the key correction from them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import AttemptResult, Centre, ItemStatistics, QuestionVersion
from examcentre.reports import operations as reports

from .test_item_statistics_db import ANY, NOV, TZ, blueprint_of, paper_of, sit_all

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


def centre_of(ticket):
    return db.session.get(Centre, ticket.centre_id)


def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_compute_now_lists_flagged_questions_with_their_links(client, login_as, make, app):
    app.config["ITEM_STATS_MIN_RESPONSES"] = 1
    tickets = make.exam_tickets(2)
    admin = login_as("centre_admin", centre=centre_of(tickets[0]))
    attempts = sit_all(tickets, [10, 10])  # everyone right: every question too easy
    english(client)
    page = client.get("/centre/reports/items", query_string=PERIOD)
    assert "No statistics for this period yet" in page.get_data(as_text=True)
    response = client.post("/centre/reports/items/compute", query_string=PERIOD)
    assert response.status_code == 302
    row = db.session.scalar(select(ItemStatistics))
    questions = row.document["questions"]
    assert row.centre_id == admin.centre_id and row.flagged == len(questions) >= 10
    assert all("too_easy" in q["flags"] for q in questions)
    html = client.get("/centre/reports/items", query_string=PERIOD).get_data(as_text=True)
    _, qv = paper_of(attempts[0])[0]
    assert f"/centre/bank/questions/{qv.question_id}" in html
    assert f"/centre/reports/key/{qv.id}" in html
    detail = client.get(f"/centre/reports/items/{row.id}")
    assert detail.status_code == 200 and qv.question.external_id in detail.get_data(as_text=True)


def test_a_bad_period_is_named(client, login_as):
    english(client)
    login_as("centre_admin")
    response = client.get("/centre/reports/items?from=2026-13-01", follow_redirects=True)
    assert "from: enter a date as YYYY-MM-DD." in response.get_data(as_text=True)


def test_another_centres_statistics_and_questions_are_404(client, login_as, make):
    tickets = make.exam_tickets(1)
    attempts = sit_all(tickets, [5])
    row = reports.compute_item_statistics(
        make_actor(), blueprint_of(attempts[0]), *NOV, TZ, ANY, datetime.now(UTC)
    )
    db.session.commit()
    login_as("centre_admin")  # of a new centre
    _, qv = paper_of(attempts[0])[0]
    assert client.get(f"/centre/reports/items/{row.id}").status_code == 404
    assert client.get(f"/centre/reports/key/{qv.id}").status_code == 404
    assert (
        client.post(f"/centre/reports/key/{qv.id}", data={"answer": "A", "reason": "x"}).status_code
        == 404
    )


def test_the_key_correction_re_scores_with_the_reason(client, login_as, make):
    tickets = make.exam_tickets(2)
    english(client)
    login_as("centre_admin", centre=centre_of(tickets[0]))
    attempts = sit_all(tickets, [10, 0])
    _, qv = next((pq, v) for pq, v in paper_of(attempts[0]) if v.type == "single")
    page = client.get(f"/centre/reports/key/{qv.id}")
    assert "cannot be undone" in page.get_data(as_text=True)
    # A bad key is refused on the field, nothing written.
    before = db.session.scalar(select(func.count()).select_from(AttemptResult))
    bad = client.post(f"/centre/reports/key/{qv.id}", data={"answer": "Z", "reason": "typo"})
    assert bad.status_code == 200 and "not a valid key" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AttemptResult)) == before
    new_key = next(c for c in "ABCD" if c != qv.answer)
    done = client.post(
        f"/centre/reports/key/{qv.id}", data={"answer": new_key, "reason": "misprint"}
    )
    assert done.status_code == 302
    newest = db.session.scalars(
        select(AttemptResult)
        .where(AttemptResult.attempt_id == attempts[0].id)
        .order_by(AttemptResult.version.desc())
    ).first()
    assert newest.version == 2 and newest.reason == "misprint"
    assert db.session.get(QuestionVersion, qv.id).answer == qv.answer  # never changed


def make_actor():
    from ..factories import TEST_ACTOR

    return TEST_ACTOR
