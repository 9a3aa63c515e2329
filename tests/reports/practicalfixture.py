"""A centre's theory and practical sittings, built through the real operations (theory
attempts answered and submitted, examiners' sheets scored and signed), for the report tests.

Theory session 23 Nov 2026 (10 one-point questions): A 100, B 80, C 50.
Practical session 7 Dec 2026, two examiners (王五 lead, 孙八):

- A: both 100, agreed 100; then 王五 amends (two bumps, -4: 96) and signs: result v2 = 98;
- B: both 50 (parts and emergency wrong), agreed 50, failed;
- C: both 100, agreed 100;
- D (no theory): 王五 100, 孙八 85 (three knock-downs), 15 apart: the lead decides 90.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from examcentre.extensions import db
from examcentre.models import Centre
from examcentre.practical import operations as practical
from examcentre.sessions import operations as sessions

from ..factories import TEST_ACTOR, valid_id_number
from ..practical.practicaldata import enrol, practical_session
from ..practical.test_examiner_sheets import actor, full_marks, score
from .test_item_statistics_db import sit_all

PERIOD = (date(2026, 11, 1), date(2026, 12, 31))
TZ = "Asia/Shanghai"
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
SETTINGS = practical.Settings()


def failed_marks() -> dict:
    entries = full_marks()
    entries["part_identification"] = {"grades": {c: "wrong" for c in (
        "hook", "buffer", "wheel", "rail_sweeper", "rope_clips")}}  # fmt: skip
    entries["emergency_scenario"] = {"grades": {"power_loss": "wrong"}}
    return entries


def with_counts(**counts) -> dict:
    entries = full_marks()
    entries["obstacle_run"]["counts"].update(counts)
    return entries


def both_sign(users, ticket, first_entries, second_entries):
    rows = [score(users[0], ticket, first_entries), score(users[1], ticket, second_entries)]
    for user, row in zip(users, rows, strict=True):
        practical.sign_sheet(actor(user), user, row, NOW, SETTINGS)
    db.session.commit()
    return rows


def build(make):
    session, users = practical_session(make)
    lead, _other = users
    centre = db.session.get(Centre, session.centre_id)
    theory = make.exam_tickets(3, centre=centre)
    sit_all(theory, [10, 8, 5])
    theory[0].session.state = "closed"
    db.session.commit()
    tickets = [
        enrol(session, id_number=t.candidate.id_number, name=t.candidate.name,
              requires_theory_pass=False)
        for t in theory
    ] + [enrol(session, id_number=valid_id_number(sequence=777), name="考生丁",
               requires_theory_pass=False)]  # fmt: skip
    sessions.change_state(TEST_ACTOR, session, "released", on=session.starts_at.date())
    db.session.commit()
    a, b, c, d = tickets
    sheets = {}
    sheets["A"] = both_sign(users, a, full_marks(), full_marks())
    amended = practical.amend_sheet(actor(lead), lead, sheets["A"][0], "漏记两次碰杆")
    practical.save_task(actor(lead), lead, amended, "obstacle_run",
                        with_counts(bump=2)["obstacle_run"])  # fmt: skip
    practical.sign_sheet(actor(lead), lead, amended, NOW, SETTINGS)
    db.session.commit()
    sheets["A"].append(amended)
    sheets["B"] = both_sign(users, b, failed_marks(), failed_marks())
    sheets["C"] = both_sign(users, c, full_marks(), full_marks())
    sheets["D"] = both_sign(users, d, full_marks(), with_counts(knock_down=3))
    practical.decide(actor(lead), lead, d, score=90, reason="复看录像：倒杆两次", vetoes=[],
                     now=NOW, settings=SETTINGS)  # fmt: skip
    db.session.commit()
    return centre, session, users, dict(zip("ABCD", tickets, strict=True)), sheets
