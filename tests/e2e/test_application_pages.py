"""Applications and appeals in a real browser: the navbar stays on one line at 1366 px in
both languages, and the Candidates menu leads to the queues."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..factories import Factory
from .conftest import screenshot
from .test_shell import sign_in_with_keyboard

pytestmark = pytest.mark.browser


def nav_tops(page) -> set[int]:
    """The distinct vertical positions of the navbar's top-level entries and controls."""
    return set(
        page.eval_on_selector_all(
            "#nav-main > ul > li",
            "items => items.map(li => Math.round(li.getBoundingClientRect().top))",
        )
    )


@pytest.mark.parametrize(
    ("locale", "candidates", "applications"),
    [("zh-CN", "考生", "考试申请"), ("en", "Candidates", "Applications")],
)
def test_the_navbar_fits_on_one_line_and_the_menu_works(
    live_server, page_for, make, locale, candidates, applications
):
    admin = make.user("centre_admin")
    page = page_for(locale)
    page.goto(live_server + "/auth/login")
    sign_in_with_keyboard(page, admin.username, Factory.PASSWORD)
    tops = nav_tops(page)
    screenshot(page, f"navbar-1366-{locale}")
    # Items of one row differ by a few pixels (vertical centring); a second row is ~40 px down.
    assert max(tops) - min(tops) < 20, f"the navbar wraps at 1366 px ({locale}): {sorted(tops)}"
    height = page.eval_on_selector("nav.app-navbar", "nav => nav.getBoundingClientRect().height")
    assert height < 70, f"the navbar is {height} px high ({locale})"
    page.get_by_role("button", name=candidates, exact=True).click()
    page.get_by_role("link", name=applications, exact=True).click()
    assert page.url.endswith("/centre/applications/")
    expect(page.locator("h1")).to_have_text(applications)


def test_staff_record_and_accept_an_application_then_open_a_case(
    live_server, page_for, make, tmp_path, app
):
    from ..factories import valid_id_number

    app.config["APPLICATION_FILES_DIR"] = str(tmp_path / "files")
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    admin = make.user("centre_admin")
    page = page_for("en")
    page.goto(live_server + "/auth/login")
    sign_in_with_keyboard(page, admin.username, Factory.PASSWORD)
    page.goto(live_server + "/centre/applications/new")
    page.get_by_label("Resident ID number").fill(valid_id_number("19900307", 88))
    page.locator("#name").fill("Zhang San")
    page.get_by_label("Education").select_option("senior")
    page.get_by_label("ID photo (JPEG or PNG)").set_input_files(str(photo))
    page.get_by_role("button", name="Record application").click()
    expect(page.locator("#status")).to_contain_text("Awaiting review")
    expect(page.locator('[data-check="age"]')).to_have_attribute("data-ok", "yes")
    expect(page.locator('[data-check="training"]')).to_have_attribute("data-ok", "no")
    screenshot(page, "application-detail-en")
    page.get_by_role("button", name="Request more material").click()
    expect(page.locator("#reason-error")).to_be_visible()
    page.get_by_label("Reason").fill("Bring the training certificate")
    page.get_by_role("button", name="Request more material").click()
    expect(page.locator("#status")).to_contain_text("Bring the training certificate")

    page.goto(live_server + "/centre/appeals/new")
    page.get_by_label("Kind of case").select_option("conduct")
    page.get_by_label("Candidate or complainant").fill("Li Si")
    page.get_by_label("What the case is about").fill("The room was too noisy.")
    page.get_by_role("button", name="Record the case").click()
    expect(page.locator("h1")).to_contain_text("Case SS")
    page.get_by_label("Valid?").select_option("yes")
    page.get_by_label("Reason").fill("Confirmed by the invigilator")
    page.get_by_role("button", name="Record the assessment").click()
    expect(page.locator("#timeline li")).to_have_count(2)
    screenshot(page, "appeal-case-en")
