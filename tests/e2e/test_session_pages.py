"""Exam sessions in a real browser: schedule a session, enrol a candidate, print the tickets."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from ..factories import Factory, valid_id_number
from .conftest import screenshot
from .test_shell import sign_in_with_keyboard

pytestmark = pytest.mark.browser


def test_admin_schedules_enrols_and_prints_tickets(live_server, page_for, make):
    centre = make.centre()
    for code in ("T01", "T02"):
        make.terminal(centre, code=code)
    make.user("invigilator", centre=centre)
    admin = make.user("centre_admin", centre=centre)

    page = page_for("en-GB")
    page.goto(live_server + "/auth/login")
    sign_in_with_keyboard(page, admin.username, Factory.PASSWORD)
    page.get_by_role("link", name="Exam sessions").first.click()
    expect(page.locator("h1")).to_have_text("Exam sessions")
    expect(page.get_by_text("No upcoming sessions")).to_be_visible()
    screenshot(page, "sessions-empty-en")

    page.get_by_role("link", name="New session").click()
    page.get_by_label("Item").select_option("Q1")
    page.get_by_label("Date").fill("2026-12-01")
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End time").fill("10:30")
    page.get_by_label("Room").fill("201")
    page.get_by_label("Capacity").fill("2")
    page.get_by_label("T01").check()
    page.get_by_label("T02").check()
    screenshot(page, "session-new-en")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text("Q1, 2026-12-01 09:00–10:30")

    page.get_by_label("Resident ID number").fill(valid_id_number(sequence=77))
    page.get_by_label("Name").fill("王五")
    page.get_by_label("Employer").fill("杭州起重设备有限公司")
    page.get_by_role("button", name="Enrol", exact=True).click()
    row = page.locator(".roster-table tbody tr").first
    expect(row).to_contain_text("王五")
    expect(row).to_contain_text("T01")
    expect(row).to_contain_text("330106********")
    screenshot(page, "session-detail-en")

    href = page.get_by_role("link", name="Admission tickets (PDF)").get_attribute("href")
    response = page.request.get(live_server + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(PdfReader(io.BytesIO(response.body())).pages[0].extract_text().split())
    assert "王五" in text and "起重机指挥" in text

    page.get_by_role("link", name="Release").click()
    page.get_by_role("button", name="Release").click()
    expect(page.get_by_text("Blocking findings")).to_be_visible()
    screenshot(page, "session-release-refused-en")

    zh = page_for("zh-CN")
    zh.goto(live_server + "/auth/login")
    sign_in_with_keyboard(zh, admin.username, Factory.PASSWORD)
    zh.goto(live_server + "/centre/sessions/")
    screenshot(zh, "sessions-overview-zh")
