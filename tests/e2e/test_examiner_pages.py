"""The examiner's live entry view on a tablet: +/- counters, the timer, zone buttons."""

from __future__ import annotations

from playwright.sync_api import expect

from examcentre.extensions import db

from ..conftest import Factory
from ..practical.practicaldata import enrol, practical_session
from .conftest import screenshot
from .test_shell import sign_in_with_keyboard


def test_examiner_scores_a_task_on_a_tablet(live_server, page_for, make):
    session, (examiner, _second) = practical_session(make)
    enrol(session, requires_theory_pass=False, name="考生丙")
    session.state = "released"
    db.session.commit()

    page = page_for("zh-CN", viewport=(820, 1180))  # a tablet, upright
    page.goto(live_server + "/auth/login")
    sign_in_with_keyboard(page, examiner.username, Factory.PASSWORD)
    page.goto(live_server + "/examiner/")
    expect(page.get_by_text("考生丙")).to_be_visible()
    page.get_by_role("button", name="开始评分").click()
    page.get_by_role("link", name="绕障运行（吊运水桶绕杆）").click()

    plus = page.get_by_role("button", name="加一")
    minus = page.get_by_role("button", name="减一")
    for _ in range(3):
        plus.first.click()  # three bumps
    minus.first.click()  # one taken back
    expect(page.locator("#count-bump")).to_have_value("2")
    page.get_by_role("button", name="开始计时").click()
    page.wait_for_timeout(1200)
    page.get_by_role("button", name="停止计时").click()
    seconds = float(page.locator("#time_seconds").input_value())
    assert 1.0 <= seconds < 10
    screenshot(page, "examiner-obstacle-run-zh")
    page.get_by_role("button", name="保存本项").click()

    # Saved: the next task opens (the drop), with its zone buttons.
    expect(page.locator("h1")).to_have_text("定点落物")
    page.get_by_text("落在中圆环内").click()
    screenshot(page, "examiner-zones-zh")
    page.get_by_role("button", name="保存本项").click()
    page.goto(page.url.rsplit("/tasks/", 1)[0])
    expect(page.locator(".sheet-tasks")).to_contain_text("21")  # 25 - 2 x 2
    expect(page.locator(".sheet-tasks")).to_contain_text("9")
    screenshot(page, "examiner-sheet-zh")
