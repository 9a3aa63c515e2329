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
