"""Check-in in a real browser: the invigilator confirms identity on a tablet, then the
candidate signs in at the registered terminal; and registering a machine as a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from examcentre.extensions import db
from examcentre.models import Alert

from ..factories import Factory
from .conftest import screenshot
from .test_shell import sign_in_with_keyboard

pytestmark = pytest.mark.browser

TABLET = (1280, 800)  # a 10" tablet in landscape


def write_photo(app, name: str) -> None:
    folder = Path(app.instance_path) / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (300, 400), (205, 220, 235))
    for x in range(90, 210):  # a plain head-and-shoulders shape, enough to see it is a photo
        for y in range(70, 190):
            if (x - 150) ** 2 + (y - 130) ** 2 < 55**2:
                image.putpixel((x, y), (120, 140, 160))
    for x in range(40, 260):
        for y in range(230, 400):
            if (x - 150) ** 2 / 110**2 + (y - 400) ** 2 / 170**2 < 1:
                image.putpixel((x, y), (60, 80, 110))
    image.save(folder / name)


def test_invigilator_checks_in_and_the_candidate_signs_in(app, live_server, page_for, make):
    centre = make.centre()
    session = make.session(centre, seats=3)
    first = make.ticket(centre, session=session, checked_in=False)
    session.state = "scheduled"  # enrolment closes at release: reopen it for the set-up
    db.session.commit()
    second = make.ticket(centre, session=session, checked_in=False)
    photo = f"e2e-{first.candidate.id}.png"
    write_photo(app, photo)
    first.candidate.photo = photo
    db.session.commit()
    invigilator = session.invigilators[0].username
    centre_id = centre.id
    number, id_number, name = first.number, first.candidate.id_number, first.candidate.name
    second_id, second_name = second.id, second.candidate.name
    seat, token = first.terminal.code, make.tokens[first.terminal_id]
    session_url = f"{live_server}/invigilator/sessions/{session.id}"
    db.session.remove()

    try:
        tablet = page_for("en", viewport=TABLET)
        tablet.goto(live_server + "/auth/login")
        sign_in_with_keyboard(tablet, invigilator, Factory.PASSWORD)
        assert tablet.url.endswith("/invigilator/")
        screenshot(tablet, "invigilator-sessions-tablet-en")
        tablet.get_by_role("link", name="Check-in list").first.click()
        assert tablet.url == session_url
        row = tablet.locator("li.list-group-item").filter(has_text=name)
        assert (
            row.get_by_role("img", name=f"Photo of {name}").evaluate(
                "img => img.complete && img.naturalWidth"
            )
            == 300
        )
        expect(row).to_contain_text("Enrolled")
        assert id_number not in tablet.content()
        # Touch targets: every action on the list is at least 44 px high.
        heights = tablet.locator(".checkin-actions .btn").evaluate_all(
            "buttons => buttons.map(b => b.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 44, heights
        screenshot(tablet, "invigilator-checkin-tablet-en")

        # Confirm identity with the keyboard: focus the button, press Enter.
        confirm = row.get_by_role("button", name=f"Confirm identity: {name}")
        confirm.focus()
        with tablet.expect_navigation():
            tablet.keyboard.press("Enter")
        expect(tablet.locator(".alert-success")).to_contain_text(
            f"{name} is checked in. Seat: terminal {seat}."
        )
        expect(row).to_contain_text("Checked in")
        # The focus has moved on to the next candidate waiting, ready for the next Enter.
        focused = tablet.evaluate("document.activeElement.closest('li').id")
        assert focused == f"ticket-{second_id}", (focused, second_name)
        screenshot(tablet, "invigilator-checked-in-tablet-en")

        # The candidate signs in at the registered terminal of their seat.
        terminal = page_for("zh-CN")
        terminal.context.add_cookies(
            [{"name": "examcentre_terminal", "value": token, "url": live_server}]
        )
        terminal.goto(live_server + "/auth/terminal")
        expect(terminal.locator(".terminal-id")).to_contain_text(seat)
        terminal.get_by_label("准考证号").fill(number)
        terminal.get_by_label("公民身份号码").fill(id_number)
        terminal.get_by_role("button", name="开始").click()
        # The sign-in answers with the exam page, which takes its own address (so that a
        # reload shows the page again rather than posting the form).
        terminal.wait_for_url("**/terminal/")
        expect(terminal.locator("h1")).to_contain_text(name)

        tablet.goto(session_url)
        expect(row).to_contain_text(f"Signed in at {seat} since")
        screenshot(tablet, "invigilator-signed-in-tablet-en")

        # A second sign-in alert appears at the top of the list, with its own button.
        with app.app_context():
            db.session.add(
                Alert(
                    centre_id=centre_id,
                    kind="second_sign_in",
                    level="warn",
                    message=f"考生 {name}（{number}）试图在 T003 再次登录。",
                    message_en=f"Candidate {name} ({number}) tried to sign in again at T003.",
                )
            )
            db.session.commit()
        tablet.goto(session_url)
        alert = tablet.locator(".second-sign-in-alert")
        expect(alert).to_contain_text("tried to sign in again at T003")
        screenshot(tablet, "invigilator-alert-tablet-en")
        with tablet.expect_navigation():
            alert.get_by_role("button", name="Acknowledge").click()
        expect(tablet.locator(".second-sign-in-alert")).to_have_count(0)

        tablet.get_by_role("link", name=f"Move to terminal… ({second_name})").click()
        screenshot(tablet, "invigilator-move-tablet-en")
    finally:
        (Path(app.instance_path) / "photos" / photo).unlink(missing_ok=True)


def test_administrator_registers_this_browser_as_a_terminal(live_server, page_for, make):
    from examcentre.models import Terminal

    centre = make.centre()
    admin = make.user("centre_admin", centre=centre)
    db.session.add_all(
        [
            Terminal(centre_id=centre.id, code="T01", location="201 室前排"),
            Terminal(centre_id=centre.id, code="T02", location="201 室后排"),
        ]
    )
    db.session.commit()
    username = admin.username
    db.session.remove()

    page = page_for("en")
    page.goto(live_server + "/auth/login")
    sign_in_with_keyboard(page, username, Factory.PASSWORD)
    page.goto(live_server + "/centre/records/terminals")
    page.get_by_role("link", name="Register machines as terminals").click()
    expect(page.locator("#this-browser")).to_contain_text("This browser is not a terminal.")
    screenshot(page, "terminals-overview-en")
    page.get_by_role("link", name="Register this browser as T02…").click()
    page.get_by_label("Allowed addresses").fill("10.0.0.0/8")
    page.get_by_role("button", name="Register this browser as T02").click()
    expect(page.locator("#allowed_addresses-error")).to_contain_text("is not in the list")
    screenshot(page, "terminal-register-error-en")
    page.get_by_label("Allowed addresses").fill("127.0.0.1, 10.0.0.0/8")
    page.get_by_role("button", name="Register this browser as T02").click()
    expect(page.locator("h1")).to_have_text("This browser is now terminal T02.")
    cookie = next(c for c in page.context.cookies() if c["name"] == "examcentre_terminal")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    screenshot(page, "terminal-registered-en")
    page.get_by_role("button", name="Sign out and show the start page").click()
    assert page.url.endswith("/auth/terminal")
    expect(page.locator(".terminal-id")).to_contain_text("T02")
    screenshot(page, "terminal-start-after-registration-en")
