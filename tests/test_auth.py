"""Signing in and out, lock-out, CSRF, cookies, passwords."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from examcentre.extensions import db
from examcentre.models import AuditEntry

from .conftest import make_app
from .factories import Factory


def sign_in(client, username, password):
    return client.post("/auth/login", data={"username": username, "password": password})


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("examiner", "/examiner/"),
        ("invigilator", "/invigilator/"),
        ("centre_admin", "/centre/"),
        ("authority", "/authority/"),
    ],
)
def test_each_staff_role_lands_on_its_home(role, home, client, make):
    user = make.user(role)
    response = sign_in(client, user.username, Factory.PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200


def test_username_is_case_insensitive(client, make):
    make.user("examiner", username="Wang.Wu")
    assert sign_in(client, "wang.wu", Factory.PASSWORD).status_code == 302


def test_wrong_password_names_the_field_and_is_audited(client, make):
    user = make.user("examiner")
    response = sign_in(client, user.username, "not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="password-error"' in page
    failed = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.sign_in_failed")
    ).all()
    assert [json.loads(e.details) for e in failed] == [
        {"address": "127.0.0.1", "area": "staff", "attempted": user.username}
    ]


def test_empty_form_lists_every_missing_field(client):
    page = client.post("/auth/login", data={}).get_data(as_text=True)
    assert 'id="username-error"' in page and 'id="password-error"' in page


def test_lock_out_after_repeated_failures_but_not_after_success(client, make):
    user = make.user("examiner")
    for _ in range(4):
        assert sign_in(client, user.username, "wrong").status_code == 200
    # A success in between does not count against the limit...
    assert sign_in(client, user.username, Factory.PASSWORD).status_code == 302
    client.post("/auth/logout")
    assert sign_in(client, user.username, "wrong").status_code == 200
    # ...but the sixth failure in the window is one too many: locked out, even with the
    # right password.
    assert sign_in(client, user.username, "wrong").status_code == 429
    assert sign_in(client, user.username, Factory.PASSWORD).status_code == 429
    # Another account from the same terminal is not locked.
    other = make.user("examiner")
    assert sign_in(client, other.username, Factory.PASSWORD).status_code == 302


def test_disabled_account_cannot_sign_in_and_loses_its_session(client, make, app):
    user = make.user("examiner")
    assert sign_in(client, user.username, Factory.PASSWORD).status_code == 302
    user.is_enabled = False
    db.session.commit()
    assert client.get("/examiner/").status_code == 302  # signed out at the next request
    page = sign_in(client, user.username, Factory.PASSWORD).get_data(as_text=True)
    assert 'id="username-error"' in page


def test_next_parameter_cannot_redirect_off_site(client, make):
    user = make.user("examiner")
    response = client.post(
        "/auth/login?next=//evil.example/x",
        data={"username": user.username, "password": Factory.PASSWORD},
    )
    assert response.headers["Location"] == "/examiner/"


def test_next_parameter_returns_to_the_requested_page(client, make):
    user = make.user("centre_admin")
    response = client.post(
        "/auth/login?next=/centre/users",
        data={"username": user.username, "password": Factory.PASSWORD},
    )
    assert response.headers["Location"] == "/centre/users"


def test_candidate_signs_in_with_ticket_and_id_number(client, make):
    ticket = make.ticket()
    make.at_terminal(client, ticket.terminal_id)
    response = client.post(
        "/auth/terminal",
        data={"ticket_number": ticket.number, "id_number": ticket.candidate.id_number.lower()},
    )
    # The answer is the exam page itself, not a redirect to it (one request fewer for each
    # candidate of a room signing in at once); the page then shows at its own address too.
    assert response.status_code == 200
    for page in (response.get_data(as_text=True), client.get("/terminal/").get_data(as_text=True)):
        assert 'id="exam-app"' in page
        assert ticket.candidate.name in page and ticket.number in page


def test_a_candidates_successful_sign_ins_do_not_count_toward_the_lock_out(client, make):
    """A successful terminal sign-in answers 200 (the exam page) like a refused one (the form
    again): only the refusals may count."""
    ticket = make.ticket()
    make.at_terminal(client, ticket.terminal_id)

    def sign_in_at_terminal(id_number):
        return client.post(
            "/auth/terminal", data={"ticket_number": ticket.number, "id_number": id_number}
        )

    for _ in range(6):  # more than the 5 failures the window allows
        assert 'id="exam-app"' in sign_in_at_terminal(ticket.candidate.id_number).get_data(
            as_text=True
        )
        client.post("/auth/logout")
    for _ in range(5):
        assert sign_in_at_terminal("wrong").status_code == 200  # the form again
    assert sign_in_at_terminal("wrong").status_code == 429


def test_candidate_with_a_mistyped_id_number_is_told_what_is_wrong(client, make):
    ticket = make.ticket()
    make.at_terminal(client, ticket.terminal_id)
    typo = (
        ticket.candidate.id_number[:-2]
        + str((int(ticket.candidate.id_number[-2]) + 1) % 10)
        + ticket.candidate.id_number[-1]
    )
    page = client.post(
        "/auth/terminal",
        data={"ticket_number": ticket.number, "id_number": typo},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "check digit" in page


def test_candidate_with_someone_elses_id_number_is_refused(client, make):
    ticket, other = make.ticket(), make.ticket()
    make.at_terminal(client, ticket.terminal_id)
    page = client.post(
        "/auth/terminal",
        data={"ticket_number": ticket.number, "id_number": other.candidate.id_number},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "do not match our records" in page
    assert client.get("/terminal/").status_code == 302


def test_revoked_ticket_cannot_sign_in(client, make):
    from examcentre.models import utcnow

    ticket = make.ticket()
    make.at_terminal(client, ticket.terminal_id)
    ticket.revoked_at = utcnow()
    db.session.commit()
    page = client.post(
        "/auth/terminal",
        data={"ticket_number": ticket.number, "id_number": ticket.candidate.id_number},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "withdrawn" in page


def test_csrf_token_is_required_on_every_form(database_url, make):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make.user("centre_admin")
        client = app.test_client()
        response = client.post(
            "/auth/login", data={"username": user.username, "password": Factory.PASSWORD}
        )
        assert response.status_code == 400
        assert client.get("/centre/").status_code == 302  # not signed in


def test_session_cookie_is_http_only_and_same_site(client, make):
    user = make.user("examiner")
    response = sign_in(client, user.username, Factory.PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_passwords_are_stored_as_scrypt_hashes(make):
    user = make.user("examiner")
    assert user.password_hash.startswith("scrypt:")
    assert Factory.PASSWORD not in user.password_hash


def test_security_headers_forbid_framing_and_foreign_scripts(client):
    headers = client.get("/auth/login").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
