"""Running numbers: a number another desk took in the meantime is skipped, not a crash."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from examcentre.appeals import operations as appeals
from examcentre.applications import operations as applications
from examcentre.extensions import db
from examcentre.models import AppealCase, Application
from examcentre.workdays import WorkingCalendar

from .factories import TEST_ACTOR, valid_id_number

DAY = date(2026, 12, 4)


def apply(centre, tmp_path, sequence: int) -> Application:
    data = applications.ApplicationInput(
        item="Q1", applied_by="candidate", id_number=valid_id_number(sequence=sequence),
        name="考生", health_declared=True,
    )
    application, _files = applications.create_application(
        TEST_ACTOR, centre, data, [], tmp_path, DAY
    )
    db.session.commit()
    return application


def test_an_application_skips_a_number_taken_meanwhile(app, make, tmp_path):
    centre = make.centre()
    assert apply(centre, tmp_path, 1).number == "SQ20261204-0001"
    # Another desk's row with the number this one would take next (count + 1 = 3).
    taken = apply(centre, tmp_path, 2)
    taken.number = "SQ20261204-0003"
    db.session.commit()
    third = apply(centre, tmp_path, 3)
    assert third.number == "SQ20261204-0004"
    numbers = db.session.scalars(
        select(Application.number).where(Application.centre_id == centre.id)
    ).all()
    assert sorted(numbers) == ["SQ20261204-0001", "SQ20261204-0003", "SQ20261204-0004"]


def test_an_appeal_case_skips_a_number_taken_meanwhile(app, make):
    centre = make.centre()

    def open_case():
        case = appeals.open_case(
            TEST_ACTOR, centre, case_type="conduct", complainant_name="李四", summary="噪声",
            received_on=DAY, calendar=WorkingCalendar(), answer_days=3,
        )
        db.session.commit()
        return case

    first = open_case()
    first.number = "SS20261204-0002"  # as if another desk had taken 0002
    db.session.commit()
    assert open_case().number == "SS20261204-0003"
    assert db.session.scalar(select(AppealCase.id).where(AppealCase.number == "SS20261204-0003"))
