"""The compliance self-check in a real browser: records, run the check, findings, settings."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from examcentre.extensions import db

from .conftest import screenshot
from .test_shell import sign_in_with_keyboard

pytestmark = pytest.mark.browser


def test_admin_keeps_records_and_runs_the_self_check(live_server, page_for, runner):
    runner.invoke(args=["demo"])
    db.session.remove()
    page = page_for("zh-CN")
    page.goto(live_server + "/auth/login")
    sign_in_with_keyboard(page, "admin", "demo-admin-pass")

    page.get_by_role("button", name="考试机构", exact=True).click()  # the navbar's menu
    page.get_by_role("link", name="机构资料").first.click()
    expect(page.locator("h1")).to_have_text("机构资料")
    screenshot(page, "records-overview-zh")

    page.get_by_role("link", name="考评人员").click()
    page.get_by_role("link", name="编辑").first.click()
    expect(page.get_by_label("职称")).to_have_value("工程师")
    screenshot(page, "records-examiner-zh")

    page.goto(live_server + "/centre/compliance/")
    page.get_by_role("button", name="立即自查").click()
    expect(page.locator(".findings-table tbody tr")).to_have_count(17)
    expect(page.locator(".finding-warn").first).to_contain_text("R-EXAM-S")
    screenshot(page, "compliance-overview-zh")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("button", name="Run the check now")).to_be_visible()
    screenshot(page, "compliance-overview-en")

    with page.expect_response(lambda r: r.url.endswith("report.pdf")) as response:
        page.get_by_role("link", name="PDF report").first.click()
    assert response.value.headers["content-type"] == "application/pdf"


def test_settings_page_is_usable_on_a_tablet(live_server, page_for, runner):
    runner.invoke(args=["demo"])
    db.session.remove()
    page = page_for("zh-CN", viewport=(800, 1280))
    page.goto(live_server + "/auth/login")
    sign_in_with_keyboard(page, "admin", "demo-admin-pass")
    page.goto(live_server + "/centre/compliance/settings")
    expect(page.get_by_label("考试终端最少台数（R-TERM）")).to_have_value("10")
    page.get_by_role("button", name="保存设置").click()
    expect(page.locator("#form-errors")).to_contain_text("变更原因")
    screenshot(page, "compliance-settings-tablet-zh")
