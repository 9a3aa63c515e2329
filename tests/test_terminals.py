"""Registering a machine as an exam terminal: the device token, its cookie, the allow-list."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select, text

from examcentre.extensions import db
from examcentre.models import AuditEntry, Terminal

from .factories import Factory

COOKIE = "examcentre_terminal"
FIVE_YEARS = 5 * 365 * 24 * 3600


def unregistered_terminal(centre, code="T03", location="201 室靠窗") -> Terminal:
    terminal = Terminal(centre_id=centre.id, code=code, location=location)
    db.session.add(terminal)
    db.session.commit()
    return terminal


def sign_in_admin(client, admin, address="127.0.0.1"):
    response = client.post(
        "/auth/login",
        data={"username": admin.username, "password": Factory.PASSWORD},
        environ_base={"REMOTE_ADDR": address},
    )
    assert response.status_code == 302
    client.get("/lang/en")


def register(client, terminal, allowed="", address="127.0.0.1"):
    return client.post(
        f"/centre/terminals/{terminal.id}/register",
        data={"allowed_addresses": allowed},
        environ_base={"REMOTE_ADDR": address},
    )


def terminal_cookie_header(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


def every_stored_value() -> str:
    """Every row of every table, as text: to prove that a secret is stored nowhere."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


def test_registering_through_the_page_sets_the_cookie_and_keeps_only_the_hash(
    client, make, login_as
):
    centre = make.centre()
    terminal = unregistered_terminal(centre)
    admin = login_as("centre_admin", centre=centre)
    client.get("/lang/en")

    page = client.get("/centre/terminals/").get_data(as_text=True)
    assert "T03" in page and "201 室靠窗" in page
    assert "This browser is not a terminal." in page
    assert "Not registered" in page
    confirm = client.get(f"/centre/terminals/{terminal.id}/register").get_data(as_text=True)
    assert "Register this browser as terminal T03?" in confirm

    response = register(client, terminal)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/centre/terminals/{terminal.id}/registered"
    header = terminal_cookie_header(response)
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert "httponly" in attributes and "secure" not in attributes  # not secure in tests
    assert "SameSite=Strict" in header and "Path=/" in header
    assert f"Max-Age={FIVE_YEARS}" in header

    token = client.get_cookie(COOKIE).value
    assert len(token) >= 40
    db.session.refresh(terminal)
    assert terminal.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert terminal.registered_by == admin.username and terminal.registered_at is not None
    assert terminal.allowed_addresses is None
    # The token itself is stored nowhere: not in the terminal row, not in the audit log.
    assert token not in every_stored_value()
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "terminal.register")
    ).all()[-1]
    assert entry.actor_label == admin.username
    assert json.loads(entry.details) == {"code": "T03", "allowed": None}

    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This browser is now terminal T03." in done
    assert "terminal start page" in done
    overview = client.get("/centre/terminals/").get_data(as_text=True)
    assert "This browser is terminal T03." in overview
    # The browser is now the terminal: the candidate sign-in opens and shows its code.
    start = client.get("/auth/terminal")
    assert start.status_code == 200
    assert "T03" in start.get_data(as_text=True)


def test_the_cookie_is_secure_when_the_platform_runs_on_https(app, client, make, login_as):
    app.config["SESSION_COOKIE_SECURE"] = True
    centre = make.centre()
    terminal = unregistered_terminal(centre)
    https = "https://localhost"
    admin = make.user("centre_admin", centre=centre)
    client.post(
        "/auth/login",
        data={"username": admin.username, "password": Factory.PASSWORD},
        base_url=https,
    )
    response = client.post(
        f"/centre/terminals/{terminal.id}/register", data={}, base_url=https
    )
    header = terminal_cookie_header(response)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header


def test_an_unregistered_browser_cannot_open_the_candidate_sign_in(client, make):
    assert client.get("/auth/terminal").status_code == 403
    client.set_cookie(COOKIE, "made-up-token")
    response = client.get("/auth/terminal")
    assert response.status_code == 403
    # Nor can it post a sign-in.
    assert client.post("/auth/terminal", data={"ticket_number": "1"}).status_code == 403


def test_allow_list_refuses_other_addresses(client, make):
    centre = make.centre()
    terminal = unregistered_terminal(centre)
    sign_in_admin(client, make.user("centre_admin", centre=centre), address="10.1.2.7")
    response = register(client, terminal, allowed=" 10.1.2.0/24 , 192.168.0.5", address="10.1.2.7")
    assert response.status_code == 302
    db.session.refresh(terminal)
    assert terminal.allowed_addresses == "10.1.2.0/24, 192.168.0.5"

    def start_page(address):
        return client.get("/auth/terminal", environ_base={"REMOTE_ADDR": address}).status_code

    assert start_page("10.1.2.7") == 200
    assert start_page("10.1.2.200") == 200
    assert start_page("192.168.0.5") == 200
    assert start_page("10.1.3.7") == 403
    assert start_page("192.168.0.6") == 403


def test_allowed_addresses_errors_name_the_field(client, make):
    centre = make.centre()
    terminal = unregistered_terminal(centre)
    sign_in_admin(client, make.user("centre_admin", centre=centre), address="10.1.2.7")

    bad = register(client, terminal, allowed="10.1.2.0/24, 300.1.1.1", address="10.1.2.7")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert 'id="allowed_addresses-error"' in page
    assert "“300.1.1.1” is not an IP address or network (CIDR)." in page
    assert "Allowed addresses" in page

    # An allow-list that leaves out the machine registering would lock it out at once.
    locked_out = register(client, terminal, allowed="10.1.3.0/24", address="10.1.2.7")
    page = locked_out.get_data(as_text=True)
    assert locked_out.status_code == 200
    assert "This machine&#39;s address (10.1.2.7) is not in the list" in page

    db.session.refresh(terminal)
    assert terminal.token_hash is None
    assert client.get_cookie(COOKIE) is None


def test_registering_again_cuts_off_the_old_machine(app, make):
    centre = make.centre()
    terminal = unregistered_terminal(centre)
    admin = make.user("centre_admin", centre=centre)
    old_machine, new_machine = app.test_client(), app.test_client()
    for machine in (old_machine, new_machine):
        sign_in_admin(machine, admin)
    assert register(old_machine, terminal).status_code == 302
    old_token = old_machine.get_cookie(COOKIE).value
    assert old_machine.get("/auth/terminal").status_code == 200

    assert register(new_machine, terminal).status_code == 302
    new_token = new_machine.get_cookie(COOKIE).value
    assert new_token != old_token
    db.session.refresh(terminal)
    assert terminal.token_hash == hashlib.sha256(new_token.encode()).hexdigest()
    assert old_machine.get("/auth/terminal").status_code == 403
    assert new_machine.get("/auth/terminal").status_code == 200
    page = old_machine.get("/centre/terminals/").get_data(as_text=True)
    assert "This browser holds a terminal token that is no longer valid." in page


def test_unregister_needs_a_reason_and_cuts_the_machine_off(client, make):
    centre = make.centre()
    terminal = unregistered_terminal(centre)
    sign_in_admin(client, make.user("centre_admin", centre=centre))
    register(client, terminal)
    assert client.get("/auth/terminal").status_code == 200

    confirm = client.get(f"/centre/terminals/{terminal.id}/unregister").get_data(as_text=True)
    assert "Unregister terminal T03?" in confirm and "This browser is T03" in confirm
    refused = client.post(f"/centre/terminals/{terminal.id}/unregister", data={"reason": " "})
    assert refused.status_code == 200
    assert 'id="reason-error"' in refused.get_data(as_text=True)
    db.session.refresh(terminal)
    assert terminal.token_hash is not None

    done = client.post(
        f"/centre/terminals/{terminal.id}/unregister", data={"reason": "Machine sent for repair"}
    )
    assert done.status_code == 302
    db.session.refresh(terminal)
    assert terminal.token_hash is None
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "terminal.unregister")
    ).one()
    assert entry.reason == "Machine sent for repair"
    # This browser was the terminal: its cookie is removed, and the sign-in is closed.
    assert client.get_cookie(COOKIE) is None
    assert client.get("/auth/terminal").status_code == 403


def test_another_centres_terminal_is_a_404(client, make, login_as):
    mine, theirs = make.centre(), make.centre()
    foreign = unregistered_terminal(theirs, code="X01")
    login_as("centre_admin", centre=mine)
    assert client.get(f"/centre/terminals/{foreign.id}/register").status_code == 404
    assert register(client, foreign).status_code == 404
    assert client.post(
        f"/centre/terminals/{foreign.id}/unregister", data={"reason": "x"}
    ).status_code == 404
    assert "X01" not in client.get("/centre/terminals/").get_data(as_text=True)
    db.session.refresh(foreign)
    assert foreign.token_hash is None


def test_terminal_pages_are_for_centre_administrators_only(client, make, login_as):
    centre = make.centre()
    terminal = unregistered_terminal(centre)
    login_as("invigilator", centre=centre)
    assert client.get("/centre/terminals/").status_code == 403
    assert register(client, terminal).status_code == 403
    assert client.get_cookie(COOKIE) is None


def test_empty_state_and_the_link_from_the_records(client, make, login_as):
    login_as("centre_admin", centre=make.centre())
    client.get("/lang/en")
    page = client.get("/centre/terminals/").get_data(as_text=True)
    assert "No terminals recorded" in page
    records = client.get("/centre/records/terminals").get_data(as_text=True)
    assert 'href="/centre/terminals/"' in records
    assert "Register machines as terminals" in records


def test_signing_out_leaves_the_machine_on_the_start_page(client, make):
    centre = make.centre()
    terminal = unregistered_terminal(centre)
    sign_in_admin(client, make.user("centre_admin", centre=centre))
    register(client, terminal)
    response = client.post("/centre/terminals/sign-out")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/terminal"
    start = client.get("/auth/terminal")
    assert start.status_code == 200
    assert "T03" in start.get_data(as_text=True)
    # Signed out: the administrator's pages now ask for a sign-in.
    assert client.get("/centre/terminals/").status_code == 302


def test_the_front_door_of_a_registered_terminal_is_its_start_page(client, make):
    assert client.get("/").headers["Location"] == "/auth/login"
    terminal = make.terminal(make.centre())
    make.at_terminal(client, terminal.id)
    assert client.get("/").headers["Location"] == "/auth/terminal"
