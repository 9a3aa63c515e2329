"""Every role against every area: each request is allowed or refused as it should be."""

from __future__ import annotations

import pytest

ROLES = ["anonymous", "candidate", "examiner", "invigilator", "centre_admin", "authority"]

# Area pages (GET) and the one role each admits.
AREAS = {
    "/terminal/": "candidate",
    "/examiner/": "examiner",
    "/examiner/conflicts": "examiner",
    "/invigilator/": "invigilator",
    "/centre/": "centre_admin",
    "/centre/users": "centre_admin",
    "/centre/users/new": "centre_admin",
    "/centre/audit": "centre_admin",
    "/centre/audit/verify": "centre_admin",
    "/centre/bank/": "centre_admin",
    "/centre/bank/?item=Q1&status=live": "centre_admin",
    "/centre/bank/questions/new": "centre_admin",
    "/centre/bank/import": "centre_admin",
    "/centre/bank/template.csv": "centre_admin",
    "/centre/bank/export/csv?item=Q1": "centre_admin",
    "/centre/bank/blueprints": "centre_admin",
    "/centre/bank/blueprints/new?item=Q1": "centre_admin",
    "/centre/records/": "centre_admin",
    "/centre/records/examiners": "centre_admin",
    "/centre/records/organisation": "centre_admin",
    "/centre/records/export.json": "centre_admin",
    "/centre/compliance/": "centre_admin",
    "/centre/compliance/settings": "centre_admin",
    "/centre/terminals/": "centre_admin",
    "/centre/stations/": "centre_admin",
    "/centre/stations/new": "centre_admin",
    "/centre/results/": "centre_admin",
    "/centre/candidates/": "centre_admin",
    "/centre/candidates/?q=test": "centre_admin",
    "/centre/applications/": "centre_admin",
    "/centre/applications/?state=submitted": "centre_admin",
    "/centre/applications/new": "centre_admin",
    "/centre/appeals/": "centre_admin",
    "/centre/appeals/?state=received&type=conduct": "centre_admin",
    "/centre/appeals/new": "centre_admin",
    "/centre/appeals/statistics": "centre_admin",
    "/centre/reports/items": "centre_admin",
    "/centre/reports/summary": "centre_admin",
    "/centre/reports/summary.csv": "centre_admin",
    "/authority/": "authority",
    "/authority/audit": "authority",
    "/authority/audit/verify": "authority",
    "/authority/hub/": "authority",
    "/authority/appeals": "authority",
    "/authority/reports": "authority",
    "/authority/query": "authority",
    "/authority/query?q=330106": "authority",
    "/authority/reports/summary.xlsx": "authority",
}


def expected_status(role: str, path: str) -> int:
    if role == AREAS[path]:
        return 200
    if role == "anonymous":
        return 302  # to a sign-in page
    return 403


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_area(role, client, login_as):
    if role != "anonymous":
        login_as(role)
    outcomes = {path: client.get(path).status_code for path in AREAS}
    expected = {path: expected_status(role, path) for path in AREAS}
    assert outcomes == expected


@pytest.mark.parametrize("path", sorted(AREAS))
def test_anonymous_is_sent_to_the_right_sign_in_page(path, client):
    location = client.get(path).headers["Location"]
    if AREAS[path] == "candidate":
        assert location.startswith("/auth/terminal")
    else:
        assert location.startswith("/auth/login")


def test_public_pages_need_no_sign_in(client, make):
    assert client.get("/auth/login").status_code == 200
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}
    # The candidate sign-in opens only on a registered exam terminal.
    assert client.get("/auth/terminal").status_code == 403
    terminal = make.terminal(make.centre())
    make.at_terminal(client, terminal.id)
    assert client.get("/auth/terminal").status_code == 200


def test_centre_admin_gets_404_for_another_centres_records(client, login_as, make):
    centre_a, centre_b = make.centre(), make.centre()
    login_as("centre_admin", centre=centre_a)
    own = make.user("examiner", centre=centre_a)
    other = make.user("examiner", centre=centre_b)
    assert client.get(f"/centre/users/{own.id}").status_code == 200
    assert client.get(f"/centre/users/{other.id}").status_code == 404
    assert client.get(f"/centre/users/{other.id}/disable").status_code == 404
    response = client.post(f"/centre/users/{other.id}/disable", data={"reason": "x"})
    assert response.status_code == 404
    # ...and the refused request changed nothing.
    from examcentre.extensions import db

    db.session.refresh(other)
    assert other.is_enabled


def test_centre_admin_sees_only_own_centres_audit_entries(client, login_as, make):
    from sqlalchemy import select

    from examcentre.extensions import db
    from examcentre.models import AuditEntry

    centre_a, centre_b = make.centre(), make.centre()
    login_as("centre_admin", centre=centre_a)
    make.user("examiner", centre=centre_b, username="b-examiner")
    foreign = db.session.scalars(
        select(AuditEntry).where(AuditEntry.centre_id == centre_b.id)
    ).first()
    assert client.get(f"/centre/audit/{foreign.id}").status_code == 404
    page = client.get("/centre/audit").get_data(as_text=True)
    assert "b-examiner" not in page and "users" in page


def test_authority_sees_every_centre_but_cannot_write(client, login_as, make):
    centre_a, centre_b = make.centre("AUTH-A"), make.centre("AUTH-B")
    login_as("authority")
    home = client.get("/authority/").get_data(as_text=True)
    assert "AUTH-A" in home and "AUTH-B" in home
    assert client.get(f"/authority/centres/{centre_b.id}").status_code == 200
    # Any write outside the authority's own session is refused, whatever the endpoint.
    assert client.post("/auth/terminal", data={"ticket_number": "x"}).status_code == 403
    assert client.post(f"/centre/users/{centre_a.id}/disable").status_code == 403
    # Signing out is the one write an authority account makes.
    assert client.post("/auth/logout").status_code == 302


def test_candidate_cannot_reach_staff_areas_even_by_guessing(client, login_as):
    login_as("candidate")
    for path in ("/centre/users", "/authority/audit", "/examiner/", "/centre/audit/1"):
        assert client.get(path).status_code == 403
