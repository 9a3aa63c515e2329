"""The exchange formats: examcentre.centre/1 in and out, examcentre.compliance/1 out.

Every kind of bad input must name its JSON path, and one read must report every problem.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from examcentre.compliance.exchange import (
    KNOWN_TITLES,
    ExchangeError,
    Problem,
    centre_to_json,
    known_titles_for,
    load_centre,
    parse_centre,
    report_to_json,
)
from examcentre.compliance.model import (
    BankCoverage,
    BlueprintCell,
    ComplianceSettings,
    Employment,
    EquipmentType,
    ExamSystemFunction,
    Period,
    Status,
    Tenure,
)
from examcentre.compliance.rules import evaluate

FIXTURES = Path(__file__).parent / "fixtures"
ON = date(2026, 11, 22)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


SPEC_EXAMPLE = fixture("spec_example_centre.json")  # copied verbatim from compliance-input.md


def problems_of(document: object, **kwargs: Any) -> list[str]:
    with pytest.raises(ExchangeError) as caught:
        parse_centre(document, **kwargs)
    return [str(problem) for problem in caught.value.problems]


def changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The spec example with one change applied."""
    document = copy.deepcopy(SPEC_EXAMPLE)
    change(document)
    return document


# --- The spec's example ------------------------------------------------------------------------


def test_spec_example_parses_into_the_record_it_describes():
    record = parse_centre(SPEC_EXAMPLE)
    assert (record.code, record.items) == ("ZJ-HZ-001", ("Q1", "Q2(限桥式起重机)"))
    assert record.department is not None and record.department.head == "张三"
    assert record.volume_history is not None
    assert record.volume_history.examined_last_12_months == 380
    assert record.staff[0].employment is Employment.FULL_TIME
    examiner = record.examiners[0]
    assert examiner.practical_experience == (Period(date(2012, 3, 1), date(2020, 2, 29)),)
    assert examiner.teaching_experience == (Period(date(2018, 9, 1), None),)
    assert examiner.filings[0].expires_on is None
    assert [e.type for e in record.equipment] == [
        EquipmentType.BRIDGE_CRANE,
        EquipmentType.SIMULATOR,
        EquipmentType.JIB_CRANE,
    ]
    assert record.field_kit is not None and record.field_kit.ppe_count("vests") == 12
    assert record.site is not None and record.site.tenure is Tenure.LEASED
    assert record.site.practical_fields[0].area_m2 == 180


def test_spec_example_round_trips_exactly():
    record = parse_centre(SPEC_EXAMPLE)
    assert centre_to_json(record) == SPEC_EXAMPLE
    assert parse_centre(json.loads(json.dumps(centre_to_json(record)))) == record


def test_spec_example_report_matches_the_output_contract():
    report = evaluate(parse_centre(SPEC_EXAMPLE), ON)
    document = report_to_json(report)
    assert list(document) == [
        "format",
        "centre",
        "evaluated_on",
        "annual_volume",
        "compliant",
        "settings",
        "findings",
    ]
    assert document["format"] == "examcentre.compliance/1"
    assert (document["centre"], document["evaluated_on"]) == ("ZJ-HZ-001", "2026-11-22")
    assert document["annual_volume"] == 420
    assert document["compliant"] is False
    assert document["settings"]["terminal_step"] == 5
    assert document["settings"]["strict_examiner_overlap"] is False
    staff = next(f for f in document["findings"] if f["rule"] == "R-STAFF-1")
    assert {
        k: staff[k] for k in ("rule", "clause", "status", "required", "actual", "message_en")
    } == {
        "rule": "R-STAFF-1",
        "clause": "三(二)1",
        "status": "fail",
        "required": 3,
        "actual": 1,
        "message_en": "Full-time exam staff: 1 of the required 3.",
    }
    json.dumps(document, ensure_ascii=False)  # serialisable as it stands


def test_report_json_turns_tuples_into_lists_and_lists_details():
    report = evaluate(parse_centre(SPEC_EXAMPLE), ON, system_functions={})
    system = next(f for f in report_to_json(report)["findings"] if f["rule"] == "R-SYS")
    assert system["status"] == "fail"
    assert system["actual"] == []
    assert system["required"][0] == "random_paper_assembly"
    assert system["details"][0] == {
        "subject": "random_paper_assembly",
        "message": "随机组卷：缺失",
        "message_en": "random paper assembly: missing",
    }
    assert system["action_en"] == "Provide the missing exam-system functions."


def test_compliant_fixture_is_compliant_end_to_end():
    record = load_centre((FIXTURES / "compliant_centre.json").read_text(encoding="utf-8"))
    bank = BankCoverage(
        (
            BlueprintCell("Q1", "Q1-BA-1", 10, 30),
            BlueprintCell("Q2(限桥式起重机)", "Q2-OP-1", 10, 40),
        ),
        untagged_live_questions=0,
    )
    functions = {f: f"examcentre.{f.value}" for f in ExamSystemFunction}
    report = evaluate(record, ON, system_functions=functions, bank=bank)
    assert [f.rule for f in report.findings if f.status is not Status.PASS] == []
    document = report_to_json(report)
    assert document["compliant"] is True
    assert len(document["findings"]) == 17


# --- Every kind of error names its JSON path ---------------------------------------------------


def _set(path: list[str | int], value: object) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _delete(path: list[str | int]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # Unknown keys, with a hint for a near miss.
        (_set(["centre", "nmae"], "x"), 'centre.nmae: unknown key (did you mean "name"?)'),
        (_set(["sites"], {}), 'sites: unknown key (did you mean "site"?)'),
        (_set(["equipment", 0, "colour"], "red"), "equipment[0].colour: unknown key"),
        # Missing and null required keys.
        (_delete(["centre", "code"]), "centre.code: required"),
        (_set(["centre", "name"], None), "centre.name: must not be null"),
        (_delete(["terminals", 1, "status"]), "terminals[1].status: required"),
        # Wrong types.
        (_set(["staff", 0, "active"], "yes"), 'staff[0].active: expected true or false, got "yes"'),
        (
            _set(["centre", "planned_annual_volume"], "420"),
            'centre.planned_annual_volume: expected a whole number, got "420"',
        ),
        (
            _set(["centre", "planned_annual_volume"], True),
            "centre.planned_annual_volume: expected a whole number, got true",
        ),
        (
            _set(["field_kit", "signal_flags"], 2.5),
            "field_kit.signal_flags: expected a whole number, got 2.5",
        ),
        (
            _set(["volume_history", "examined_last_12_months"], -1),
            "volume_history.examined_last_12_months: must not be negative, got -1",
        ),
        (_set(["centre", "name"], 5), "centre.name: expected a string, got 5"),
        (_set(["centre", "landline"], "  "), "centre.landline: must not be empty"),
        (_set(["staff"], {}), "staff: expected a list, got an object"),
        (_set(["site"], []), "site: expected an object, got a list"),
        (
            _set(["site", "practical_fields", 0, "area_m2"], "180"),
            'site.practical_fields[0].area_m2: expected a number, got "180"',
        ),
        (
            _set(["field_kit", "ppe", "helmets"], "12"),
            'field_kit.ppe.helmets: expected a whole number, got "12"',
        ),
        # Dates.
        (
            _set(["site", "lease_end"], "2030/12/31"),
            'site.lease_end: expected a date YYYY-MM-DD, got "2030/12/31"',
        ),
        (
            _set(["site", "lease_end"], "20301231"),
            'site.lease_end: expected a date YYYY-MM-DD, got "20301231"',
        ),
        (
            _set(["examiners", 0, "practical_experience", 0, "to"], "2020-02-30"),
            'examiners[0].practical_experience[0].to: not a calendar date: "2020-02-30"',
        ),
        (
            _set(["examiners", 0, "practical_experience", 0, "to"], "2011-01-01"),
            "examiners[0].practical_experience[0].to: 2011-01-01 is before from 2012-03-01",
        ),
        (
            _set(["examiners", 0, "filings", 0, "expires_on"], "2023-01-01"),
            "examiners[0].filings[0].expires_on: 2023-01-01 is before filed_on 2023-04-10",
        ),
        (
            _set(["site", "lease_end"], "2021-12-31"),
            "site.lease_end: 2021-12-31 is before lease_start 2022-01-01",
        ),
        # Enumerations.
        (
            _set(["terminals", 1, "status"], "broken"),
            'terminals[1].status: unknown status "broken" (expected working or out_of_service)',
        ),
        (
            _set(["equipment", 0, "type"], "gantry"),
            'equipment[0].type: unknown type "gantry" '
            "(expected bridge_crane, jib_crane or simulator)",
        ),
        (
            _set(["staff", 0, "employment"], "fulltime"),
            'staff[0].employment: unknown employment "fulltime" (expected full_time or part_time)',
        ),
        (
            _set(["site", "tenure"], "rented"),
            'site.tenure: unknown tenure "rented" (expected owned or leased)',
        ),
        (
            _set(["examiners", 0, "title"], "高级工程狮"),
            'examiners[0].title: unknown title "高级工程狮"',
        ),
        (
            _set(["centre", "items"], ["Q1", "Q2"]),
            'centre.items[1]: unknown item "Q2" (expected Q1 or Q2(限…), e.g. Q2(限桥式起重机))',
        ),
        (
            _set(["examiners", 0, "filings", 0, "item"], "Q3"),
            'examiners[0].filings[0].item: unknown item "Q3" (expected Q1 or Q2(限…), '
            "e.g. Q2(限桥式起重机))",
        ),
        (_set(["centre", "items"], []), "centre.items: at least one item is required"),
        # Contradictions and duplicates.
        (_delete(["site", "lease_end"]), 'site.lease_end: required when tenure is "leased"'),
        (_set(["terminals", 1, "id"], "T01"), 'terminals[1].id: duplicate id "T01"'),
        (_set(["equipment", 2, "id"], "BC-1"), 'equipment[2].id: duplicate id "BC-1"'),
        (_set(["centre", "items"], ["Q1", "Q1"]), 'centre.items[1]: duplicate item "Q1"'),
        (
            _set(["format"], "examcentre.centre/2"),
            'format: unsupported format "examcentre.centre/2" (expected "examcentre.centre/1")',
        ),
    ],
)
def test_each_kind_of_error_names_its_path(change, expected):
    assert problems_of(changed(change)) == [expected]


def test_spec_example_message_for_an_unknown_title_on_the_third_examiner():
    def add_examiners(document: dict[str, Any]) -> None:
        first = document["examiners"][0]
        document["examiners"] += [
            dict(first, name="甲"),
            dict(first, name="乙", title="高级工程狮"),
        ]

    assert problems_of(changed(add_examiners)) == ['examiners[2].title: unknown title "高级工程狮"']


def test_owned_site_with_lease_dates_is_contradictory():
    document = changed(_set(["site", "tenure"], "owned"))
    assert problems_of(document) == [
        'site.lease_start: only allowed when tenure is "leased"',
        'site.lease_end: only allowed when tenure is "leased"',
    ]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], "$: expected an object, got a list"),
        ("centre", '$: expected an object, got "centre"'),
        ({}, "format: required"),
    ],
)
def test_a_document_that_is_not_an_object(document, expected):
    assert problems_of(document)[0] == expected


def test_every_problem_is_reported_not_just_the_first():
    def break_many(document: dict[str, Any]) -> None:
        document["centre"]["planned_annual_volume"] = "lots"
        document["staff"][0]["employment"] = "fulltime"
        document["examiners"][0]["title"] = "高级工程狮"
        document["examiners"][0]["teaching_experience"][0]["from"] = "2018-13-01"
        document["terminals"].append({"id": "T03", "state": "working"})
        del document["site"]["lease_start"]

    assert problems_of(changed(break_many)) == [
        'centre.planned_annual_volume: expected a whole number, got "lots"',
        'staff[0].employment: unknown employment "fulltime" (expected full_time or part_time)',
        'examiners[0].title: unknown title "高级工程狮"',
        'examiners[0].teaching_experience[0].from: not a calendar date: "2018-13-01"',
        'terminals[2].state: unknown key (did you mean "status"?)',
        "terminals[2].status: required",
        'site.lease_start: required when tenure is "leased"',
    ]


def test_exchange_error_carries_structured_problems_and_a_readable_message():
    with pytest.raises(ExchangeError) as caught:
        parse_centre(changed(_delete(["centre", "code"])))
    assert caught.value.problems == (Problem("centre.code", "required"),)
    assert str(caught.value) == "centre.code: required"


def test_bad_json_text_and_duplicate_keys_are_exchange_errors():
    with pytest.raises(ExchangeError) as caught:
        load_centre('{"format": "examcentre.centre/1",}')
    assert str(caught.value).startswith("$: not valid JSON: ")

    text = json.dumps(SPEC_EXAMPLE, ensure_ascii=False).replace(
        '"landline": "0571-88880000"', '"landline": "0571-88880000", "landline": "13900000000"'
    )
    with pytest.raises(ExchangeError) as caught:
        load_centre(text)
    assert [str(p) for p in caught.value.problems] == ["centre.landline: key given more than once"]


# --- Titles, optional keys ---------------------------------------------------------------------


def test_non_qualifying_titles_parse_and_the_rule_decides():
    for title in ("助理工程师", "技术员", "高级工", "中级工", "初级工", "无"):
        assert title in KNOWN_TITLES
        record = parse_centre(changed(_set(["examiners", 0, "title"], title)))
        assert record.examiners[0].title == title


def test_known_titles_widen_with_the_accepted_titles_setting():
    document = changed(_set(["examiners", 0, "title"], "高级讲师"))
    assert problems_of(document) == ['examiners[0].title: unknown title "高级讲师"']
    settings = ComplianceSettings(accepted_titles=("工程师", "高级讲师"))
    record = parse_centre(document, known_titles=known_titles_for(settings))
    assert record.examiners[0].title == "高级讲师"


def test_optional_keys_may_be_left_out_or_null():
    minimal = {
        "format": "examcentre.centre/1",
        "centre": {"code": "C-1", "name": "中心", "items": ["Q1"], "landline": None},
    }
    record = parse_centre(minimal)
    assert (record.landline, record.staff, record.site, record.field_kit) == (None, (), None, None)
    assert centre_to_json(record) == {
        "format": "examcentre.centre/1",
        "centre": {"code": "C-1", "name": "中心", "items": ["Q1"]},
        "staff": [],
        "examiners": [],
        "terminals": [],
        "equipment": [],
    }
    # A missing optional fact fails the rule that needs it rather than passing it.
    report = evaluate(record, ON)
    assert report.finding("R-SITE-1").status is Status.FAIL  # type: ignore[union-attr]
    assert report.finding("R-VOL").status is Status.FAIL  # type: ignore[union-attr]


def test_record_keeping_extras_round_trip():
    def add_extras(document: dict[str, Any]) -> None:
        document["staff"][0].update(started_on="2020-01-01", ended_on="2030-01-01")
        document["terminals"][0]["location"] = "机房A"

    document = changed(add_extras)
    record = parse_centre(document)
    assert record.staff[0].started_on == date(2020, 1, 1)
    assert record.terminals[0].location == "机房A"
    assert centre_to_json(record) == document
