"""The question bank in a real browser: filter, open a question, see the candidate preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from examcentre.bank.operations import load_bank
from examcentre.extensions import db

from ..bankdata import LOADER
from ..factories import Factory
from .conftest import screenshot
from .test_shell import sign_in_with_keyboard

pytestmark = pytest.mark.browser
BANK = Path(__file__).resolve().parents[2] / "question_bank"


def test_admin_filters_the_bank_opens_a_question_and_sees_the_preview(
    live_server, page_for, make, tmp_path
):
    admin = make.user("centre_admin")
    load_bank(LOADER, admin.centre, BANK)
    db.session.commit()
    page = page_for("zh-CN")
    page.goto(live_server + "/auth/login")
    sign_in_with_keyboard(page, admin.username, Factory.PASSWORD)
    page.get_by_role("link", name="题库", exact=True).click()
    expect(page.locator("h1")).to_have_text("题库")
    screenshot(page, "bank-list-zh")

    page.get_by_label("作业项目").select_option("Q1")
    page.get_by_label("知识领域").select_option("law")
    page.get_by_label("题型").select_option("multiple")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("status")).to_contain_text("共 14 题")
    rows = page.locator("table.bank-table tbody tr")
    expect(rows).to_have_count(14)
    first_id = rows.first.locator("td").first.inner_text()
    assert first_id.startswith("Q1-LW-")

    rows.first.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text(first_id)
    preview = page.locator(".candidate-preview").first
    expect(preview).to_be_visible()
    expect(preview.locator(".preview-option").nth(3)).to_be_visible()  # at least 4 options
    expect(page.get_by_role("heading", name="预览")).to_be_visible()
    screenshot(page, "bank-question-zh")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.locator(".candidate-preview")).to_have_count(2)  # zh and en side by side
    screenshot(page, "bank-question-en")

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Stem (Chinese)").fill("下列设备中，哪些属于特种设备？")
    page.get_by_role("button", name="Update the preview").click()
    expect(page.locator(".candidate-preview").first).to_contain_text("哪些属于特种设备")
    screenshot(page, "bank-edit-en")

    page.get_by_role("link", name="Question bank", exact=True).click()
    page.get_by_role("link", name="Blueprints").click()
    page.get_by_role("link", name="New version").first.click()
    page.get_by_role("button", name="Save as draft").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status").first).to_contain_text("Blueprint version 1 is published.")
    screenshot(page, "bank-blueprint-en")
