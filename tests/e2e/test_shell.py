"""The UI shell in a real browser: sign-in per role, language switching, keyboard use."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from examcentre.extensions import db

from ..factories import Factory
from .conftest import screenshot

pytestmark = pytest.mark.browser


def sign_in_with_keyboard(page, username: str, password: str) -> None:
    # The username field has focus on load; Tab moves to the password; Enter submits.
    # Wait for the autofocus to land first: keys typed before it would go nowhere.
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    expect(page.locator("#password")).to_have_value(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_centre_admin_signs_in_with_the_keyboard_and_switches_language(live_server, page_for, make):
    admin = make.user("centre_admin")
    page = page_for("zh-CN")
    page.goto(live_server + "/")
    expect(page.locator("h1")).to_have_text("工作人员登录")
    screenshot(page, "staff-login-zh")
    sign_in_with_keyboard(page, admin.username, Factory.PASSWORD)
    assert page.url.endswith("/centre/")
    expect(page.get_by_role("link", name="账号管理")).to_be_visible()
    screenshot(page, "centre-home-zh")

    page.get_by_role("link", name="English").click()
    assert page.url.endswith("/centre/")
    expect(page.get_by_role("link", name="Accounts")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"


def test_centre_admin_creates_an_account_and_sees_field_errors(live_server, page_for, make):
    admin = make.user("centre_admin")
    page = page_for("en")
    page.goto(live_server + "/auth/login")
    sign_in_with_keyboard(page, admin.username, Factory.PASSWORD)
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="New account").click()
    page.get_by_label("Username").fill("li.si")
    page.get_by_label("Full name").fill("李四")
    page.get_by_label("Role").select_option("examiner")
    page.get_by_label("Initial password").fill("short")
    page.get_by_label("Repeat the password").fill("different")
    page.get_by_role("button", name="Create account").click()
    summary = page.locator("#form-errors")
    expect(summary).to_contain_text("Use at least 10 characters.")
    expect(summary).to_contain_text("The two passwords differ.")
    screenshot(page, "user-new-errors-en")
    page.get_by_label("Initial password").fill("long enough password")
    page.get_by_label("Repeat the password").fill("long enough password")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".alert-success")).to_contain_text("Account li.si created.")


def test_candidate_signs_in_at_a_terminal(live_server, page_for, make):
    ticket = make.ticket()
    number, id_number, name = ticket.number, ticket.candidate.id_number, ticket.candidate.name
    token, seat = make.tokens[ticket.terminal_id], ticket.terminal.code
    db.session.remove()
    page = page_for("zh-CN")
    page.goto(live_server + "/auth/terminal")
    expect(page.locator("h1")).to_contain_text("不是已登记的考试终端")
    page.context.add_cookies([{"name": "examcentre_terminal", "value": token, "url": live_server}])
    page.goto(live_server + "/auth/terminal")
    expect(page.locator(".terminal-id")).to_contain_text(seat)
    page.get_by_label("准考证号").fill(number)
    page.get_by_label("公民身份号码").fill(id_number[:-1] + ("0" if id_number[-1] != "0" else "1"))
    page.get_by_role("button", name="开始").click()
    expect(page.locator("#id_number-error")).to_contain_text("校验码")
    screenshot(page, "terminal-login-error-zh")
    page.get_by_label("公民身份号码").fill(id_number)
    page.get_by_role("button", name="开始").click()
    page.wait_for_url("**/terminal/")  # the sign-in's answer is the exam page, at its address
    expect(page.locator("h1")).to_contain_text(name)
    screenshot(page, "terminal-home-zh")


@pytest.mark.parametrize("role", ["examiner", "invigilator", "authority"])
def test_each_staff_role_reaches_its_home(role, live_server, page_for, make):
    make.centre("SHOW-1")
    user = make.user(role)
    page = page_for("zh-CN", viewport=(1024, 768))
    page.goto(live_server + "/auth/login")
    sign_in_with_keyboard(page, user.username, Factory.PASSWORD)
    home = {"examiner": "/examiner/", "invigilator": "/invigilator/", "authority": "/authority/"}
    assert page.url.endswith(home[role])
    screenshot(page, f"{role}-home-zh")
