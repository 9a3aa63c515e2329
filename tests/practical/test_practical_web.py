"""The practical pages: scheduling on the session form, the examiner's live entry view,
vetoes, the lead's reconciliation, conflicts."""

from __future__ import annotations

from examcentre.extensions import db
from examcentre.models import Centre, ExaminerConflict, ExamSession, PracticalResult
from examcentre.sessions import operations as sessions

from ..conftest import Factory
from ..factories import TEST_ACTOR
from .practicaldata import ITEM, enrol, examiners, practical_session, records
from .test_examiner_sheets import full_marks

EN = {"Accept-Language": "en"}


def sign_in(app, user):
    client = app.test_client()
    assert client.post("/auth/login", data={"username": user.username,
                                            "password": Factory.PASSWORD}).status_code == 302
    return client


def form(users, **changes) -> dict:
    data = {
        "kind": "practical", "item": ITEM, "day": "2026-12-07", "starts_at": "09:00",
        "ends_at": "12:00", "room": "场地1", "capacity": "4", "equipment": "BC-1",
        "examiners": [str(u.id) for u in users], "lead": str(users[0].id),
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_session_form_schedules_a_practical_and_names_refusals(client, login_as, make):
    centre = make.centre()
    records(centre, lambda d: d["equipment"][0].update(status="out_of_service"))
    users = examiners(make, centre)
    login_as("centre_admin", centre=centre)
    page = client.get("/centre/sessions/new?kind=practical", headers=EN).get_data(as_text=True)
    assert "BC-1" in page and "王五" in page and "Lead examiner" in page
    refused = client.post("/centre/sessions/new", data=form(users), headers=EN)
    assert refused.status_code == 200
    assert "equipment BC-1 is out of service" in refused.get_data(as_text=True)
    assert db.session.query(ExamSession).count() == 0
    records(centre)
    created = client.post("/centre/sessions/new", data=form(users), headers=EN)
    assert created.status_code == 302
    session = db.session.query(ExamSession).one()
    assert session.kind == "practical" and session.equipment == "BC-1"
    assert sessions.lead_of(session).id == users[0].id
    detail = client.get(f"/centre/sessions/{session.id}", headers=EN).get_data(as_text=True)
    assert "Practical exam" in detail and "王五 (lead)" in detail
    edit = client.get(f"/centre/sessions/{session.id}/edit", headers=EN).get_data(as_text=True)
    assert 'name="kind" value="practical"' in edit and "practical-fields" in edit
    saved = client.post(f"/centre/sessions/{session.id}/edit",
                        data=form(users, room="场地2", lead=str(users[1].id)))
    assert saved.status_code == 302
    db.session.expire_all()
    assert session.room == "场地2" and sessions.lead_of(session).id == users[1].id


def test_live_entry_view_veto_note_and_lead_reconciliation(app, make):
    session, (lead, other) = practical_session(make)
    ticket = enrol(session, requires_theory_pass=False)
    session.state = "released"
    db.session.commit()
    one, two = sign_in(app, lead), sign_in(app, other)
    sheet_ids = []
    for client, knock_downs in ((one, 0), (two, 3)):
        sheet_id = int(client.post(f"/examiner/tickets/{ticket.id}/start")
                       .headers["Location"].split("/")[-1])  # fmt: skip
        sheet_ids.append(sheet_id)
        view = client.get(f"/examiner/sheets/{sheet_id}/tasks/obstacle_run", headers=EN)
        html = view.get_data(as_text=True)
        assert "counter-step" in html and "timer-start" in html and "js/examiner.js" in html
        bad = client.post(f"/examiner/sheets/{sheet_id}/tasks/obstacle_run", headers=EN,
                          data={"count-bump": "x", "count-knock_down": "0", "count-stop": "0",
                                "count-spill": "0", "time_seconds": "200"})  # fmt: skip
        assert bad.status_code == 422 and "$.entries.obstacle_run.counts.bump" in bad.get_data(
            as_text=True
        )
        entries = full_marks()
        data = {"count-bump": "0", "count-knock_down": str(knock_downs), "count-stop": "6",
                "count-spill": "0", "time_seconds": "250.5", "severe": ""}  # fmt: skip
        assert client.post(f"/examiner/sheets/{sheet_id}/tasks/obstacle_run",
                           data=data).status_code == 302  # fmt: skip
        zone = client.get(f"/examiner/sheets/{sheet_id}/tasks/fixed_point_drop", headers=EN)
        assert 'name="zone"' in zone.get_data(as_text=True)
        client.post(f"/examiner/sheets/{sheet_id}/tasks/fixed_point_drop", data={"zone": "inner"})
        client.post(f"/examiner/sheets/{sheet_id}/tasks/handling", data={
            f"item-{c}": "yes" for c in entries["handling"]["items"]})  # fmt: skip
        client.post(f"/examiner/sheets/{sheet_id}/tasks/part_identification", data={
            f"grade-{c}": "correct" for c in entries["part_identification"]["grades"]})  # fmt: skip
        client.post(f"/examiner/sheets/{sheet_id}/tasks/emergency_scenario",
                    data={"grade-power_loss": "correct"})  # fmt: skip
        # A veto without a note is refused and changes nothing.
        client.post(f"/examiner/sheets/{sheet_id}/vetoes/lift_over_person", data={"note": ""},
                    headers=EN)
        page = client.get(f"/examiner/sheets/{sheet_id}", headers=EN).get_data(as_text=True)
        assert "A veto needs a note" in page
        # Not confirmed: not signed.
        client.post(f"/examiner/sheets/{sheet_id}/sign", data={})
        assert client.post(f"/examiner/sheets/{sheet_id}/sign",
                           data={"confirm": "yes"}).status_code == 302  # fmt: skip
    # 100 - 1 (stop 6) - 2 (250.5 s: 2 started steps) = 97 against 97 - 15 = 82: to the lead.
    assert db.session.query(PracticalResult).count() == 0
    assert two.get(f"/examiner/tickets/{ticket.id}/reconcile").status_code == 403
    home = one.get("/examiner/", headers=EN).get_data(as_text=True)
    assert "Reconcile" in home
    page = one.get(f"/examiner/tickets/{ticket.id}/reconcile", headers=EN).get_data(as_text=True)
    assert "97" in page and "82" in page
    refused = one.post(f"/examiner/tickets/{ticket.id}/reconcile",
                       data={"score": "90", "reason": ""})  # fmt: skip
    assert refused.status_code == 422
    done = one.post(f"/examiner/tickets/{ticket.id}/reconcile",
                    data={"score": "90", "reason": "录像复核"})  # fmt: skip
    assert done.status_code == 302
    result = db.session.query(PracticalResult).one()
    assert result.score_text == "90" and result.status == "lead_decided"
    # Both signed: each sees the other's sheet now.
    page = two.get(f"/examiner/sheets/{sheet_ids[1]}", headers=EN).get_data(as_text=True)
    assert "The other examiner" in page and "王五" in page


def test_sheets_are_private_and_conflicts_are_declared_from_both_sides(app, make, login_as,
                                                                         client):  # fmt: skip
    session, (first, second) = practical_session(make)
    ticket = enrol(session, requires_theory_pass=False)
    session.state = "released"
    db.session.commit()
    one = sign_in(app, first)
    sheet_id = int(one.post(f"/examiner/tickets/{ticket.id}/start").headers["Location"]
                   .split("/")[-1])  # fmt: skip
    two = sign_in(app, second)
    assert two.get(f"/examiner/sheets/{sheet_id}").status_code == 404
    assert two.get(f"/examiner/sheets/{sheet_id}/tasks/handling").status_code == 404
    response = two.post("/examiner/conflicts",
                        data={"ticket": ticket.id, "kind": "same_employer", "note": "同厂"})
    assert response.status_code == 302
    assert db.session.query(ExaminerConflict).one().kind == "same_employer"
    home = two.get("/examiner/", headers=EN).get_data(as_text=True)
    assert "Conflict declared" in home
    # The administrator's side, on the candidate's record.
    centre = db.session.get(Centre, session.centre_id)
    login_as("centre_admin", centre=centre)
    response = client.post(f"/centre/candidates/{ticket.candidate_id}/conflicts",
                           data={"examiner": first.id, "kind": "relative", "note": ""})
    assert response.status_code == 302
    assert db.session.query(ExaminerConflict).count() == 2
    record = client.get(f"/centre/candidates/{ticket.candidate_id}", headers=EN)
    assert "Relative" in record.get_data(as_text=True)
    # Another centre's candidate is a 404.
    other_admin_client = app.test_client()
    login_as("centre_admin", test_client=other_admin_client)
    assert other_admin_client.get(f"/centre/candidates/{ticket.candidate_id}").status_code == 404



def best_form(task) -> dict:
    """The live entry form with full marks for any task of any sheet."""
    from examcentre.practical.sheets import ChecklistTask, CounterTask, DrawTask, ZonesTask

    if isinstance(task, CounterTask):
        data = {f"count-{c.code}": "0" for c in task.counters}
        if task.time_limit is not None:
            data["time_seconds"] = "1"
        return data
    if isinstance(task, ZonesTask):
        return {"zone": task.zones[0].code}
    if isinstance(task, ChecklistTask):
        return {f"item-{i.code}": "yes" for i in task.items}
    assert isinstance(task, DrawTask)
    best = max(task.grades, key=lambda g: g.points).code
    return {f"grade-{p.code}": best for p in task.pool[: task.count]}


def test_the_signaller_sheet_is_scored_on_the_same_pages(app, make):
    from datetime import timedelta

    from examcentre.practical.operations import sheet_for_item

    from .practicaldata import DAY, plan

    centre = make.centre()
    records(centre)
    users = examiners(make, centre, names=("周九", "吴十"))
    q1 = plan(users)
    q1 = sessions.SessionPlan(**{**q1.__dict__, "item": "Q1", "ends_at": DAY + timedelta(hours=2)})
    session = sessions.create_session(TEST_ACTOR, centre, q1)
    db.session.commit()
    ticket = enrol(session, requires_theory_pass=False)
    session.state = "released"
    db.session.commit()
    sheet = sheet_for_item("Q1")
    for user in users:
        client = sign_in(app, user)
        sheet_id = int(client.post(f"/examiner/tickets/{ticket.id}/start")
                       .headers["Location"].split("/")[-1])  # fmt: skip
        for task in sheet.tasks:
            page = client.get(f"/examiner/sheets/{sheet_id}/tasks/{task.code}")
            assert page.status_code == 200
            saved = client.post(f"/examiner/sheets/{sheet_id}/tasks/{task.code}",
                                data=best_form(task))  # fmt: skip
            assert saved.status_code == 302, saved.get_data(as_text=True)
        assert client.post(f"/examiner/sheets/{sheet_id}/sign",
                           data={"confirm": "yes"}).status_code == 302  # fmt: skip
    result = db.session.query(PracticalResult).one()
    assert result.sheet == sheet.sheet and result.score_text == str(int(sheet.total))
