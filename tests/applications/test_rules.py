"""The application life cycle and the eligibility verdicts (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from examcentre.applications import rules
from examcentre.applications.rules import ApplicationFacts, Check
from examcentre.sessions.eligibility import Sitting

from ..factories import valid_id_number

ITEM = "Q2(限桥式起重机)"
EXAMINED = ("Q1", ITEM)


def facts(**overrides) -> ApplicationFacts:
    values = {
        "id_number": valid_id_number("19900307"),
        "item": ITEM,
        "health_declared": True,
        "training_hours": 40,
        "training_completed_on": date(2026, 10, 1),
        "education": "senior",
    }
    values.update(overrides)
    return ApplicationFacts(**values)


def verdicts(findings) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for f in findings:
        out[f.check] = out.get(f.check, True) and f.ok
    return out


def test_the_life_cycle():
    S = rules.ApplicationState
    assert rules.next_state("submitted", "accept") == S.ACCEPTED
    assert rules.next_state("submitted", "request_more", "add the training record") == (
        S.MORE_REQUESTED
    )
    assert rules.next_state("more_requested", "resubmit") == S.SUBMITTED
    assert rules.next_state("accepted", "enrol") == S.ENROLLED
    assert rules.next_state("enrolled", "close", "exam finished") == S.CLOSED
    with pytest.raises(rules.TransitionError) as refused:
        rules.next_state("submitted", "reject", "  ")
    assert refused.value.code == "reason_required"
    for state, action in [
        ("rejected", "accept"),
        ("submitted", "enrol"),
        ("enrolled", "reject"),
        ("accepted", "accept"),
        ("withdrawn", "resubmit"),
    ]:
        with pytest.raises(rules.TransitionError) as refused:
            rules.next_state(state, action, "why")
        assert refused.value.code == "not_allowed", (state, action)
    assert set(rules.actions_from("submitted")) == {"accept", "reject", "request_more", "withdraw"}
    assert rules.actions_from("rejected") == []


def test_a_complete_application_passes_every_check():
    findings = rules.assess(facts(), date(2026, 12, 5), examined_items=EXAMINED)
    assert verdicts(findings) == {c: True for c in Check}
    assert rules.all_ok(findings)


def test_age_18_on_the_review_date_counts_from_the_birthday():
    born = valid_id_number("20081205")
    on_birthday = rules.assess(facts(id_number=born), date(2026, 12, 5), examined_items=EXAMINED)
    day_before = rules.assess(facts(id_number=born), date(2026, 12, 4), examined_items=EXAMINED)
    assert verdicts(on_birthday)[Check.AGE] is True
    assert verdicts(day_before)[Check.AGE] is False
    message = next(f.message_en for f in day_before if f.check == Check.AGE)
    assert "turns 18 on 2026-12-05" in message


def test_bad_id_number_item_and_limitation():
    bad = valid_id_number()[:-1] + ("0" if valid_id_number()[-1] != "0" else "1")
    findings = rules.assess(facts(id_number=bad), date(2026, 12, 5), examined_items=EXAMINED)
    assert verdicts(findings)[Check.IDENTITY] is False
    assert Check.AGE not in verdicts(findings)  # no birth date to count from
    for item, fragment in [
        ("Q2", "limitation"),
        ("Q2(限汽车吊)", "limitation"),
        ("Q9", "Unknown item"),
        ("Q2(限塔式起重机)", "does not examine"),
    ]:
        found = rules.assess(facts(item=item), date(2026, 12, 5), examined_items=EXAMINED)
        item_finding = next(f for f in found if f.check == Check.ITEM)
        assert not item_finding.ok and fragment in item_finding.message_en, item


def test_retake_window_and_active_application():
    failed = [Sitting(date(2025, 11, 1), ITEM, "theory", "failed")]
    inside = rules.assess(facts(), date(2026, 11, 1), examined_items=EXAMINED, history=failed)
    assert verdicts(inside)[Check.RETAKE] is True
    assert any("retake" in f.message_en for f in inside if f.check == Check.RETAKE)
    late = rules.assess(facts(), date(2026, 11, 2), examined_items=EXAMINED, history=failed)
    assert verdicts(late)[Check.RETAKE] is False
    assert any("window has passed" in f.message_en for f in late)
    twice = [*failed, Sitting(date(2026, 3, 1), ITEM, "theory", "failed")]
    used = rules.assess(facts(), date(2026, 6, 1), examined_items=EXAMINED, history=twice)
    assert any("used up" in f.message_en for f in used)
    active = rules.assess(
        facts(), date(2026, 12, 5), examined_items=EXAMINED, other_active=["SQ20261201-0001"]
    )
    assert verdicts(active)[Check.ACTIVE] is False
    assert "SQ20261201-0001" in next(f.message_zh for f in active if f.check == Check.ACTIVE)


def test_missing_health_declaration_and_training_proof():
    findings = rules.assess(
        facts(
            health_declared=False,
            training_hours=None,
            training_completed_on=None,
            education="primary",
        ),
        date(2026, 12, 5),
        examined_items=EXAMINED,
    )
    v = verdicts(findings)
    assert v[Check.HEALTH] is False and v[Check.TRAINING] is False
    assert v[Check.EDUCATION] is False
    assert not rules.all_ok(findings)
