"""Every compliance rule at its boundary values, plus property tests over random centres.

The builders at the top make a centre that passes every rule on ON; each test changes one
fact and asserts the exact status, required and actual values of the rule it affects.
"""

from __future__ import annotations

import ast
import json
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from examcentre.compliance import rules
from examcentre.compliance.exchange import (
    KNOWN_TITLES,
    centre_to_json,
    parse_centre,
    report_to_json,
)
from examcentre.compliance.model import (
    BankCoverage,
    BlueprintCell,
    CentreRecord,
    ComplianceSettings,
    Department,
    Employment,
    Equipment,
    EquipmentStatus,
    EquipmentType,
    Examiner,
    ExamSystemFunction,
    FieldKit,
    Filing,
    Finding,
    Period,
    PracticalField,
    Site,
    StaffMember,
    Status,
    Tenure,
    Terminal,
    TerminalStatus,
    VolumeHistory,
)
from examcentre.compliance.rules import (
    add_months,
    evaluate,
    experience_months,
    whole_months_between,
)

PASS, WARN, FAIL = Status.PASS, Status.WARN, Status.FAIL
DEFAULTS = ComplianceSettings()

# --- Builders ----------------------------------------------------------------------------------

ON = date(2026, 11, 22)
SIGNALLER = "Q1"
DRIVER = "Q2(限桥式起重机)"


def days(n: int) -> timedelta:
    return timedelta(days=n)


def examiner(
    name: str,
    items: tuple[str, ...] = (DRIVER,),
    *,
    title: str | None = "工程师",
    practical: tuple[Period, ...] = (Period(date(2010, 1, 1), date(2019, 12, 31)),),
    teaching: tuple[Period, ...] = (Period(date(2018, 9, 1), None),),
    filings: tuple[Filing, ...] | None = None,
    expires_on: date | None = None,
) -> Examiner:
    """A qualified examiner; ``filings`` default to one current filing per item."""
    if filings is None:
        filings = tuple(
            Filing(item, f"ZJ-KP-{name}-{i}", date(2023, 4, 10), expires_on)
            for i, item in enumerate(items)
        )
    return Examiner(name, items, Employment.PART_TIME, title, practical, teaching, filings)


def staff(name: str, **changes: object) -> StaffMember:
    return replace(StaffMember(name, Employment.FULL_TIME, True, ("exam_admin",)), **changes)


def terminals(working: int, out_of_service: int = 0) -> tuple[Terminal, ...]:
    return tuple(Terminal(f"T{i:02d}", TerminalStatus.WORKING) for i in range(working)) + tuple(
        Terminal(f"X{i:02d}", TerminalStatus.OUT_OF_SERVICE) for i in range(out_of_service)
    )


def bridge_crane(**changes: object) -> Equipment:
    crane = Equipment(
        id="BC-1",
        type=EquipmentType.BRIDGE_CRANE,
        status=EquipmentStatus.IN_SERVICE,
        has_cab=True,
        registration_no="起11浙A00001",
        next_inspection_due=ON + days(365),
    )
    return replace(crane, **changes)


def simulator(modules: tuple[str, ...] = ("obstacle_run", "fixed_point_drop")) -> Equipment:
    return Equipment("SIM-1", EquipmentType.SIMULATOR, EquipmentStatus.IN_SERVICE, modules=modules)


def jib_crane(luffing: bool | None = True, slewing: bool | None = True) -> Equipment:
    return Equipment(
        "JIB-1",
        EquipmentType.JIB_CRANE,
        EquipmentStatus.IN_SERVICE,
        luffing=luffing,
        slewing=slewing,
    )


FULL_KIT = FieldKit(
    bump_poles_with_signs=8,
    warning_lines=True,
    safety_facilities=True,
    signal_flags=2,
    whistles=2,
    signal_wall_chart=True,
    ppe=(("helmets", 12), ("gloves", 12), ("vests", 12)),
)


def owned_site(*areas: float) -> Site:
    fields = tuple(PracticalField(f"考场{i}", area) for i, area in enumerate(areas or (180,)))
    return Site(Tenure.OWNED, practical_fields=fields)


def leased_site(start: date, end: date) -> Site:
    return Site(Tenure.LEASED, start, end, (PracticalField("考场", 180),))


def centre(**changes: object) -> CentreRecord:
    """A centre offering both items that passes every rule on ON with the default settings."""
    record = CentreRecord(
        code="ZJ-HZ-001",
        name="某某特种设备作业人员考试中心",
        items=(SIGNALLER, DRIVER),
        department=Department("考试部", "张三", date(2019, 6, 1)),
        landline="0571-88880000",
        office_address="杭州市西湖区某路1号",
        planned_annual_volume=420,
        volume_history=VolumeHistory(380),
        staff=(staff("李四"), staff("赵六"), staff("钱七")),
        examiners=(
            examiner("王五", (DRIVER,)),
            examiner("孙八", (DRIVER,)),
            examiner("周九", (SIGNALLER,)),
            examiner("吴十", (SIGNALLER,)),
        ),
        terminals=terminals(10),
        equipment=(bridge_crane(),),
        field_kit=FULL_KIT,
        site=owned_site(),
    )
    return replace(record, **changes)


ALL_SYSTEM_FUNCTIONS: dict[ExamSystemFunction | str, str] = {
    function: f"examcentre.{function.value}" for function in ExamSystemFunction
}
GOOD_BANK = BankCoverage(
    cells=(
        BlueprintCell(SIGNALLER, "Q1-BA-SIGNALS", drawn_per_paper=10, live_questions=30),
        BlueprintCell(DRIVER, "Q2-OP-HOOK", drawn_per_paper=5, live_questions=15),
    ),
    untagged_live_questions=0,
)


def finding(
    rule: str, record: CentreRecord, on: date = ON, settings: ComplianceSettings = DEFAULTS
) -> Finding:
    """The finding for ``rule`` when the centre is evaluated with everything supplied."""
    report = evaluate(record, on, settings, system_functions=ALL_SYSTEM_FUNCTIONS, bank=GOOD_BANK)
    result = report.finding(rule)
    assert result is not None, f"{rule} did not apply"
    return result


def with_volume(volume: int, **changes: object) -> CentreRecord:
    return centre(planned_annual_volume=volume, volume_history=VolumeHistory(0), **changes)


# --- The baseline ------------------------------------------------------------------------------


def test_baseline_centre_passes_every_rule_in_table_order():
    report = evaluate(centre(), ON, system_functions=ALL_SYSTEM_FUNCTIONS, bank=GOOD_BANK)
    assert [(f.rule, f.status) for f in report.findings] == [
        (rule.id, PASS) for rule in rules.RULES
    ]
    assert report.compliant is True
    assert report.annual_volume == 420


def test_every_finding_cites_the_clause_of_its_rule():
    report = evaluate(centre(), ON)
    assert {f.rule: f.clause for f in report.findings} == rules.CLAUSES
    assert rules.CLAUSES["R-STAFF-1"] == "三(二)1"
    assert rules.CLAUSES["R-TERM"] == "三(二)[三]1(1)"


# --- Months ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end_exclusive", "months"),
    [
        (date(2020, 1, 1), date(2023, 1, 1), 36),
        (date(2020, 1, 1), date(2022, 12, 31), 35),
        (date(2020, 1, 15), date(2020, 2, 15), 1),
        (date(2020, 1, 15), date(2020, 2, 14), 0),
        (date(2020, 1, 31), date(2020, 2, 29), 1),  # clamped to the end of February
        (date(2020, 3, 1), date(2020, 3, 1), 0),
        (date(2020, 3, 1), date(2020, 2, 1), 0),
    ],
)
def test_whole_months_between(start, end_exclusive, months):
    assert whole_months_between(start, end_exclusive) == months


def test_add_months_clamps_to_month_end_and_goes_backwards():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 22), -36) == date(2023, 11, 22)
    assert add_months(date(2026, 12, 5), 1) == date(2027, 1, 5)


@pytest.mark.parametrize(
    ("periods", "months"),
    [
        # 2020-01-01 through 2022-12-31 inclusive is exactly 36 months; a day less is 35.
        ([Period(date(2020, 1, 1), date(2022, 12, 31))], 36),
        ([Period(date(2020, 1, 1), date(2022, 12, 30))], 35),
        # Ongoing: counted up to and including ON.
        ([Period(date(2023, 11, 23), None)], 36),
        ([Period(date(2023, 11, 24), None)], 35),
        # Overlapping periods count once: 2018-01..2020-06 is 30 months, not 24 + 18.
        (
            [
                Period(date(2018, 1, 1), date(2019, 12, 31)),
                Period(date(2019, 1, 1), date(2020, 6, 30)),
            ],
            30,
        ),
        # A period inside another adds nothing; order of the periods does not matter.
        (
            [
                Period(date(2019, 3, 1), date(2019, 4, 30)),
                Period(date(2019, 1, 1), date(2019, 12, 31)),
            ],
            12,
        ),
        # Touching periods merge, so the half months join up: 2 + 2 would be 3 + 0 unmerged.
        (
            [
                Period(date(2020, 1, 15), date(2020, 3, 14)),
                Period(date(2020, 3, 15), date(2020, 5, 14)),
            ],
            4,
        ),
        # Disjoint periods add up.
        (
            [
                Period(date(2010, 1, 1), date(2010, 12, 31)),
                Period(date(2015, 1, 1), date(2015, 6, 30)),
            ],
            18,
        ),
        # The future does not count yet.
        ([Period(date(2025, 1, 1), date(2030, 12, 31))], 22),
        ([Period(date(2027, 1, 1), None)], 0),
        ([], 0),
    ],
)
def test_experience_months(periods, months):
    assert experience_months(periods, ON) == months


# --- R-VOL -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("planned", "examined", "volume", "status"),
    [
        (420, 380, 420, PASS),
        (300, 520, 520, PASS),  # the trailing 12 months can exceed the plan
        (None, 380, 380, FAIL),
        (420, None, 420, FAIL),
        (None, None, None, FAIL),
    ],
)
def test_volume(planned, examined, volume, status):
    history = VolumeHistory(examined) if examined is not None else None
    result = finding("R-VOL", centre(planned_annual_volume=planned, volume_history=history))
    assert (result.status, result.actual) == (status, volume)
    assert (
        evaluate(centre(planned_annual_volume=planned, volume_history=history), ON).annual_volume
        == volume
    )


def test_volume_message_states_the_threshold_reading():
    result = finding("R-VOL", with_volume(500))
    assert result.message_en == "Annual volume V = 500 (at or over 500)."
    assert "'500人以上' includes 500" in (result.reading or "")


# --- R-ORG-1, R-ORG-2 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "status"),
    [
        (Department("考试部", "张三"), PASS),
        (Department("考试部", None), FAIL),
        (Department("考试部", "  "), FAIL),
        (None, FAIL),
    ],
)
def test_department(department, status):
    result = finding("R-ORG-1", centre(department=department))
    assert (result.status, result.actual) == (status, status is PASS)


@pytest.mark.parametrize(
    ("landline", "address", "mobile_counts", "status", "present"),
    [
        ("0571-88880000", "杭州市", False, PASS, ("landline", "office_address")),
        ("88880000", "杭州市", False, PASS, ("landline", "office_address")),
        ("13912345678", "杭州市", False, FAIL, ("office_address",)),
        ("+86 139-1234-5678", "杭州市", False, FAIL, ("office_address",)),
        ("13912345678", "杭州市", True, PASS, ("landline", "office_address")),
        (None, "杭州市", False, FAIL, ("office_address",)),
        ("0571-88880000", None, False, FAIL, ("landline",)),
    ],
)
def test_fixed_line_and_office(landline, address, mobile_counts, status, present):
    settings = ComplianceSettings(mobile_counts_as_landline=mobile_counts)
    result = finding(
        "R-ORG-2", centre(landline=landline, office_address=address), settings=settings
    )
    assert (result.status, result.required, result.actual) == (
        status,
        ("landline", "office_address"),
        present,
    )


def test_mobile_as_landline_names_the_reading_and_the_number():
    result = finding("R-ORG-2", centre(landline="13912345678"))
    assert result.reading == "a mobile number alone is not a fixed communication facility"
    assert "13912345678" in result.message and "mobile" in result.message_en
    assert result.action_en is not None


# --- R-STAFF-1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "status", "actual"),
    [
        ((staff("a"), staff("b"), staff("c")), PASS, 3),
        ((staff("a"), staff("b")), FAIL, 2),
        ((staff("a"), staff("b"), staff("c", employment=Employment.PART_TIME)), FAIL, 2),
        ((staff("a"), staff("b"), staff("c", active=False)), FAIL, 2),
        ((staff("a"), staff("b"), staff("c", ended_on=ON - days(1))), FAIL, 2),
        ((staff("a"), staff("b"), staff("c", started_on=ON + days(1))), FAIL, 2),
        ((staff("a"), staff("b"), staff("c", ended_on=ON)), WARN, 3),  # leaves today
        ((staff("a"), staff("b"), staff("c", ended_on=ON + days(90))), WARN, 3),
        ((staff("a"), staff("b"), staff("c", ended_on=ON + days(91))), PASS, 3),
        ((staff("a"), staff("b"), staff("c", ended_on=ON + days(30)), staff("d")), PASS, 4),
    ],
)
def test_full_time_staff(members, status, actual):
    result = finding("R-STAFF-1", centre(staff=members))
    assert (result.status, result.required, result.actual) == (status, 3, actual)


def test_staff_finding_matches_the_contract_example():
    result = finding("R-STAFF-1", centre(staff=(staff("李四"),)))
    assert (result.clause, result.status, result.required, result.actual) == ("三(二)1", FAIL, 3, 1)
    assert result.message_en == "Full-time exam staff: 1 of the required 3."


# --- R-EXAM-Q ----------------------------------------------------------------------------------


def _driver_examiners(first: Examiner) -> tuple[Examiner, ...]:
    """The baseline examiners with the first driver examiner replaced."""
    return (first, *centre().examiners[1:])


@pytest.mark.parametrize(
    ("first", "status", "reason"),
    [
        (examiner("甲"), PASS, None),
        (
            examiner("甲", practical=(Period(date(2020, 1, 1), date(2022, 12, 31)),)),
            PASS,
            None,
        ),
        (
            examiner("甲", practical=(Period(date(2020, 1, 1), date(2022, 12, 30)),)),
            FAIL,
            "practical experience 35 months, under 36",
        ),
        (examiner("甲", practical=(Period(date(2023, 11, 23), None),)), PASS, None),
        (
            examiner("甲", practical=(Period(date(2023, 11, 24), None),)),
            FAIL,
            "practical experience 35 months, under 36",
        ),
        (
            # 24 + 18 months if added naively, but the periods overlap: 30 months in all.
            examiner(
                "甲",
                practical=(
                    Period(date(2018, 1, 1), date(2019, 12, 31)),
                    Period(date(2019, 1, 1), date(2020, 6, 30)),
                ),
            ),
            FAIL,
            "practical experience 30 months, under 36",
        ),
        (examiner("甲", teaching=(Period(date(2024, 11, 22), None),)), PASS, None),
        (
            examiner("甲", teaching=(Period(date(2024, 11, 24), None),)),
            FAIL,
            "teaching experience 23 months, under 24",
        ),
        (examiner("甲", title="高级技师"), PASS, None),
        (examiner("甲", title="助理工程师"), FAIL, "title '助理工程师' is not an accepted title"),
        (examiner("甲", title=None), FAIL, "no title on record"),
        (examiner("甲", filings=()), FAIL, f"not filed for {DRIVER}"),
        (
            examiner("甲", expires_on=ON - days(1)),
            FAIL,
            f"filing ZJ-KP-甲-0 expired on {ON - days(1)}",
        ),
        (examiner("甲", expires_on=ON), WARN, None),  # valid through today
        (examiner("甲", expires_on=ON + days(90)), WARN, None),
        (examiner("甲", expires_on=ON + days(91)), PASS, None),
        (
            examiner("甲", filings=(Filing(DRIVER, "F-1", ON + days(1)),)),
            FAIL,
            f"filing F-1 takes effect only on {ON + days(1)}",
        ),
        (
            # Filed for the signaller item only: the filing must be for the item examined.
            examiner("甲", filings=(Filing(SIGNALLER, "F-1", date(2023, 1, 1)),)),
            FAIL,
            f"not filed for {DRIVER}",
        ),
    ],
)
def test_examiner_qualification(first, status, reason):
    result = finding("R-EXAM-Q", centre(examiners=_driver_examiners(first)))
    assert result.status == status
    if status is FAIL:
        assert result.actual == 1
        assert [(d.subject, d.message_en) for d in result.details] == [("甲", f"driver: {reason}")]
    else:
        assert result.actual == 0


def test_unqualified_examiner_lists_every_reason():
    bad = examiner("甲", title="技术员", teaching=(), filings=())
    result = finding("R-EXAM-Q", centre(examiners=_driver_examiners(bad)))
    assert result.details[0].message_en == (
        f"driver: teaching experience 0 months, under 24; title '技术员' is not an accepted title; "
        f"not filed for {DRIVER}"
    )
    assert "教学经历 0 个月" in result.details[0].message


def test_examiner_for_an_item_not_offered_is_ignored():
    gantry_only = examiner("甲", ("Q2(限门式起重机)",), title=None)
    record = centre(examiners=(*centre().examiners, gantry_only))
    result = finding("R-EXAM-Q", record)
    assert (result.status, result.actual, result.details) == (PASS, 0, ())


def test_title_list_is_a_setting():
    lecturer = examiner("甲", title="高级讲师")
    record = centre(examiners=_driver_examiners(lecturer))
    assert finding("R-EXAM-Q", record).status is FAIL
    widened = ComplianceSettings(accepted_titles=(*DEFAULTS.accepted_titles, "高级讲师"))
    assert finding("R-EXAM-Q", record, settings=widened).status is PASS


def test_lapsing_filing_warning_names_the_examiner_and_date():
    record = centre(examiners=_driver_examiners(examiner("甲", expires_on=ON + days(30))))
    result = finding("R-EXAM-Q", record)
    assert result.status is WARN
    assert [(d.subject, d.message_en) for d in result.details] == [
        ("甲", f"driver filing expires on {ON + days(30)}")
    ]


# --- R-EXAM-D, R-EXAM-S ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("volume", "drivers", "status", "required"),
    [
        (499, 2, PASS, 2),
        (500, 2, FAIL, 4),  # "500人以上" includes 500
        (500, 3, FAIL, 4),
        (500, 4, PASS, 4),
        (1200, 4, PASS, 4),
        (0, 1, FAIL, 2),
    ],
)
def test_driver_examiner_count(volume, drivers, status, required):
    signallers = (examiner("S1", (SIGNALLER,)), examiner("S2", (SIGNALLER,)))
    examiners = (*(examiner(f"D{i}") for i in range(drivers)), *signallers)
    result = finding("R-EXAM-D", with_volume(volume, examiners=examiners))
    assert (result.status, result.required, result.actual) == (status, required, drivers)


def test_unqualified_examiners_do_not_count():
    record = centre(examiners=_driver_examiners(examiner("甲", title="无")))
    result = finding("R-EXAM-D", record)
    assert (result.status, result.actual) == (FAIL, 1)


def test_examiner_count_warns_when_a_needed_filing_lapses_within_90_days():
    record = centre(examiners=_driver_examiners(examiner("甲", expires_on=ON + days(90))))
    result = finding("R-EXAM-D", record)
    assert (result.status, result.actual) == (WARN, 2)
    assert result.details[0].subject == "甲"
    # A lapse that is not needed (a third examiner covers it) does not warn.
    spare = centre(examiners=(*record.examiners, examiner("丙")))
    assert finding("R-EXAM-D", spare).status is PASS


def _dual(name: str) -> Examiner:
    return examiner(name, (SIGNALLER, DRIVER))


@pytest.mark.parametrize(
    ("examiners", "strict", "driver", "signaller"),
    [
        # Two dual-qualified people plus one driver examiner.
        ((_dual("A"), _dual("B"), examiner("C")), False, (PASS, 3), (PASS, 2)),
        ((_dual("A"), _dual("B"), examiner("C")), True, (PASS, 2), (FAIL, 1)),
        # With one more signaller examiner strict mode can cover both sides.
        (
            (_dual("A"), _dual("B"), examiner("C"), examiner("D", (SIGNALLER,))),
            True,
            (PASS, 2),
            (PASS, 2),
        ),
        # Two dual people alone: counted twice by default; under strict the driver side is
        # filled first, so only one side fails.
        ((_dual("A"), _dual("B")), False, (PASS, 2), (PASS, 2)),
        ((_dual("A"), _dual("B")), True, (PASS, 2), (FAIL, 0)),
    ],
)
def test_examiner_overlap_default_vs_strict(examiners, strict, driver, signaller):
    settings = ComplianceSettings(strict_examiner_overlap=strict)
    record = centre(examiners=examiners)
    d = finding("R-EXAM-D", record, settings=settings)
    s = finding("R-EXAM-S", record, settings=settings)
    assert ((d.status, d.actual), (s.status, s.actual)) == (driver, signaller)
    assert ("strict" in (d.reading or "")) is strict


def test_signaller_examiner_count_uses_the_signaller_item():
    record = centre(examiners=(examiner("D1"), examiner("D2"), examiner("S1", (SIGNALLER,))))
    result = finding("R-EXAM-S", record)
    assert (result.status, result.required, result.actual) == (FAIL, 2, 1)
    assert result.message_en == "Qualified signaller examiners: 1 of the required 2."


# --- R-TERM ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("volume", "working", "out_of_service", "status", "required"),
    [
        (420, 9, 0, FAIL, 10),
        (420, 10, 0, PASS, 10),
        (499, 10, 0, PASS, 10),
        (500, 14, 0, FAIL, 15),
        (500, 15, 0, PASS, 15),
        (999, 15, 0, PASS, 15),
        (1000, 15, 0, FAIL, 20),
        (420, 9, 3, FAIL, 10),  # out-of-service terminals do not count
    ],
)
def test_terminals(volume, working, out_of_service, status, required):
    result = finding("R-TERM", with_volume(volume, terminals=terminals(working, out_of_service)))
    assert (result.status, result.required, result.actual) == (status, required, working)


def test_terminal_increase_is_a_setting():
    settings = ComplianceSettings(terminal_base=12, terminal_step=2)
    result = finding("R-TERM", with_volume(1000, terminals=terminals(15)), settings=settings)
    assert (result.status, result.required) == (FAIL, 16)
    assert result.reading is not None and result.reading.startswith(
        "terminals >= 12 + 2 x floor(V / 500)"
    )


def test_terminals_with_unknown_volume_use_the_base_and_say_so():
    record = centre(planned_annual_volume=None, volume_history=None, terminals=terminals(10))
    result = finding("R-TERM", record)
    assert (result.status, result.required) == (PASS, 10)
    assert "annual volume unknown" in (result.reading or "")


# --- R-SYS -------------------------------------------------------------------------------------


def test_exam_system_without_the_function_list_fails():
    result = rules.check_exam_system(centre(), ON, DEFAULTS, None)
    assert (result.status, result.actual) == (FAIL, None)
    assert "not supplied" in result.message_en


def test_exam_system_lists_every_function_with_where_it_lives():
    result = rules.check_exam_system(centre(), ON, DEFAULTS, ALL_SYSTEM_FUNCTIONS)
    assert result.status is PASS
    assert len(result.details) == 9
    assert result.details[0].message_en == "random paper assembly: examcentre.random_paper_assembly"
    assert result.actual == result.required == tuple(f.value for f in ExamSystemFunction)


@pytest.mark.parametrize("blank", ["", "   "])
def test_exam_system_missing_or_blank_function_fails(blank):
    functions = {k: v for k, v in ALL_SYSTEM_FUNCTIONS.items() if k != ExamSystemFunction.QUERY}
    missing = rules.check_exam_system(centre(), ON, DEFAULTS, functions)
    blanked = rules.check_exam_system(
        centre(), ON, DEFAULTS, {**ALL_SYSTEM_FUNCTIONS, ExamSystemFunction.QUERY: blank}
    )
    for result in (missing, blanked):
        assert result.status is FAIL
        assert "query" not in (result.actual or ())
        assert result.message_en == "The exam system lacks: query."


def test_exam_system_accepts_string_keys_and_rejects_unknown_ones():
    by_name = {f.value: "somewhere" for f in ExamSystemFunction}
    assert rules.check_exam_system(centre(), ON, DEFAULTS, by_name).status is PASS
    with pytest.raises(ValueError, match="random_paper"):
        rules.check_exam_system(centre(), ON, DEFAULTS, {**by_name, "random_paper": "x"})


# --- R-BANK ------------------------------------------------------------------------------------


def _bank(live: int, drawn: int = 10, untagged: int = 0, items=(SIGNALLER, DRIVER)) -> BankCoverage:
    return BankCoverage(tuple(BlueprintCell(i, f"{i}-P", drawn, live) for i in items), untagged)


@pytest.mark.parametrize(
    ("bank", "factor", "status"),
    [
        (_bank(30), 3, PASS),
        (_bank(29), 3, FAIL),
        (_bank(20), 2, PASS),
        (_bank(30, untagged=1), 3, FAIL),
        (_bank(30, items=(DRIVER,)), 3, FAIL),  # the signaller item has no blueprint
        (_bank(30, items=(SIGNALLER, DRIVER, "Q2(限门式起重机)")), 3, PASS),  # extra item ignored
        (None, 3, FAIL),
    ],
)
def test_question_bank(bank, factor, status):
    settings = ComplianceSettings(coverage_factor=factor)
    result = rules.check_question_bank(centre(), ON, settings, bank)
    assert result.status == status


def test_question_bank_details_name_the_short_point():
    result = rules.check_question_bank(centre(), ON, DEFAULTS, _bank(29, untagged=2))
    assert [(d.subject, d.message_en) for d in result.details] == [
        (f"{SIGNALLER} {SIGNALLER}-P", "29 live questions, needs 30 (10 drawn per paper)"),
        (f"{DRIVER} {DRIVER}-P", "29 live questions, needs 30 (10 drawn per paper)"),
        ("untagged", "2 live questions lack an item or syllabus-point tag"),
    ]


def test_without_outside_facts_the_centre_is_not_compliant():
    report = evaluate(centre(), ON)
    assert {f.rule for f in report.findings if f.status is FAIL} == {"R-SYS", "R-BANK"}
    assert report.compliant is False


# --- R-CRANE, R-OPT ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("equipment", "status", "actual"),
    [
        ((bridge_crane(),), PASS, 1),
        ((bridge_crane(has_cab=False),), FAIL, 0),  # pendant-only
        ((bridge_crane(has_cab=None),), FAIL, 0),
        ((bridge_crane(status=EquipmentStatus.OUT_OF_SERVICE),), FAIL, 0),
        ((bridge_crane(next_inspection_due=None),), FAIL, 0),
        ((bridge_crane(next_inspection_due=ON - days(1)),), FAIL, 0),
        ((bridge_crane(next_inspection_due=ON),), WARN, 1),
        ((bridge_crane(next_inspection_due=ON + days(90)),), WARN, 1),
        ((bridge_crane(next_inspection_due=ON + days(91)),), PASS, 1),
        ((bridge_crane(has_cab=False), bridge_crane(id="BC-2")), PASS, 1),
        # A second crane inspected later covers the first one's inspection.
        ((bridge_crane(next_inspection_due=ON), bridge_crane(id="BC-2")), PASS, 2),
        ((simulator(),), FAIL, 0),
        ((jib_crane(),), FAIL, 0),
        ((), FAIL, 0),
    ],
)
def test_bridge_crane(equipment, status, actual):
    result = finding("R-CRANE", centre(equipment=equipment))
    assert (result.status, result.required, result.actual) == (status, 1, actual)


def test_pendant_only_crane_is_named_with_the_reason():
    result = finding("R-CRANE", centre(equipment=(bridge_crane(has_cab=False),)))
    assert [(d.subject, d.message_en) for d in result.details] == [
        ("BC-1", "no cab (pendant-only) does not count")
    ]


def test_simulator_without_bridge_crane_fails_crane_and_optional_rules():
    record = centre(equipment=(simulator(),))
    crane, optional = finding("R-CRANE", record), finding("R-OPT", record)
    assert (crane.status, crane.actual) == (FAIL, 0)
    assert (
        crane.details[-1].message_en == "a simulator or jib crane cannot replace the bridge crane"
    )
    assert (optional.status, optional.actual) == (FAIL, 1)
    assert optional.details[0].message_en == "cannot replace the bridge crane with a cab"


@pytest.mark.parametrize(
    ("equipment", "status", "problems"),
    [
        ((bridge_crane(),), PASS, []),
        ((bridge_crane(), simulator(), jib_crane()), PASS, []),
        ((bridge_crane(), jib_crane(slewing=False)), FAIL, ["jib crane lacks slewing"]),
        (
            (bridge_crane(), jib_crane(luffing=None, slewing=None)),
            FAIL,
            ["jib crane lacks luffing and slewing"],
        ),
        (
            (bridge_crane(), simulator(("obstacle_run",))),
            FAIL,
            ["simulator lacks fixed-point drop"],
        ),
        (
            (bridge_crane(), simulator(())),
            FAIL,
            ["simulator lacks obstacle run and fixed-point drop"],
        ),
        # Out-of-service optional equipment is not checked.
        ((bridge_crane(), replace(simulator(()), status=EquipmentStatus.OUT_OF_SERVICE)), PASS, []),
    ],
)
def test_optional_equipment(equipment, status, problems):
    result = finding("R-OPT", centre(equipment=equipment))
    assert result.status == status
    assert [d.message_en for d in result.details] == problems
    assert result.actual == len(problems)


# --- R-FIELD, R-SIG, R-PPE ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kit", "status", "present"),
    [
        (FULL_KIT, PASS, ("bump_poles_with_signs", "warning_lines", "safety_facilities")),
        (replace(FULL_KIT, bump_poles_with_signs=0), FAIL, ("warning_lines", "safety_facilities")),
        (
            replace(FULL_KIT, warning_lines=False),
            FAIL,
            ("bump_poles_with_signs", "safety_facilities"),
        ),
        (
            replace(FULL_KIT, safety_facilities=None),
            FAIL,
            ("bump_poles_with_signs", "warning_lines"),
        ),
        (None, FAIL, ()),
    ],
)
def test_driver_field_kit(kit, status, present):
    result = finding("R-FIELD", centre(field_kit=kit))
    assert (result.status, result.actual) == (status, present)


@pytest.mark.parametrize(
    ("kit", "status", "missing_en"),
    [
        (FULL_KIT, PASS, None),
        (replace(FULL_KIT, whistles=0), FAIL, "Missing: whistle."),
        (
            replace(FULL_KIT, signal_flags=None, signal_wall_chart=False),
            FAIL,
            "Missing: standard signal flags, crane signal wall chart.",
        ),
        (None, FAIL, "Missing: standard signal flags, whistle, crane signal wall chart."),
    ],
)
def test_signal_kit(kit, status, missing_en):
    result = finding("R-SIG", centre(field_kit=kit))
    assert result.status == status
    if missing_en:
        assert result.message_en == missing_en


@pytest.mark.parametrize(
    ("ppe", "required", "status", "present"),
    [
        ((("helmets", 1), ("gloves", 1), ("vests", 1)), None, PASS, ("helmets", "gloves", "vests")),
        ((("helmets", 12), ("gloves", 12)), None, FAIL, ("helmets", "gloves")),
        ((("helmets", 12), ("gloves", 12), ("vests", 0)), None, FAIL, ("helmets", "gloves")),
        ((("helmets", 12),), ("helmets",), PASS, ("helmets",)),
        ((), None, FAIL, ()),
    ],
)
def test_protective_equipment(ppe, required, status, present):
    settings = ComplianceSettings(ppe_required=required) if required else DEFAULTS
    result = finding("R-PPE", centre(field_kit=replace(FULL_KIT, ppe=ppe)), settings=settings)
    assert (result.status, result.actual) == (status, present)
    assert result.required == (required or ("helmets", "gloves", "vests"))


def test_missing_protective_equipment_is_named_in_both_languages():
    result = finding("R-PPE", centre(field_kit=replace(FULL_KIT, ppe=(("helmets", 3),))))
    assert result.message == "缺少劳动保护用品：防护手套、反光背心。"
    assert result.message_en == "Missing protective equipment: gloves, vests."


# --- R-SITE-1 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "status"),
    [
        (owned_site(), PASS),
        (None, FAIL),
        # Exactly 3 years (2026-01-01 through 2028-12-31) is long-term; a day less is not.
        (leased_site(date(2026, 1, 1), date(2028, 12, 31)), PASS),
        (leased_site(date(2026, 1, 2), date(2028, 12, 31)), FAIL),
        # Exactly 12 whole months left today passes, but the threshold is crossed tomorrow.
        (leased_site(date(2020, 1, 1), date(2027, 11, 21)), WARN),
        (leased_site(date(2020, 1, 1), date(2027, 11, 20)), FAIL),  # 11 months left
        # The last day with 12 months left is 2027-02-20 = ON + 90 (warn) or 2027-02-21 (pass).
        (leased_site(date(2020, 1, 1), date(2028, 2, 19)), WARN),
        (leased_site(date(2020, 1, 1), date(2028, 2, 20)), PASS),
        (leased_site(ON + days(1), date(2035, 12, 31)), FAIL),  # not started yet
        (Site(Tenure.LEASED, None, None), FAIL),
    ],
)
def test_site_tenure(site, status):
    assert finding("R-SITE-1", centre(site=site)).status == status


@pytest.mark.parametrize(("days_left", "status"), [(-1, FAIL), (0, WARN), (90, WARN), (91, PASS)])
def test_site_lease_end_warning_at_90_days(days_left, status):
    settings = ComplianceSettings(lease_min_months_remaining=0)
    site = leased_site(date(2020, 1, 1), ON + days(days_left))
    assert finding("R-SITE-1", centre(site=site), settings=settings).status == status


def test_site_lease_values_and_warning_message():
    result = finding("R-SITE-1", centre(site=leased_site(date(2020, 1, 1), date(2027, 11, 21))))
    assert result.actual == "leased, term 94 months, 12 months left"
    assert result.message_en.endswith("From 2026-11-23 fewer than 12 months remain.")
    assert result.reading is not None and "original term >= 3 years" in result.reading


def test_long_lease_reading_is_a_setting():
    site = leased_site(date(2026, 6, 1), date(2028, 5, 31))  # two years, 18 months left
    assert finding("R-SITE-1", centre(site=site)).status is FAIL
    two_years = ComplianceSettings(long_lease_years=2)
    assert finding("R-SITE-1", centre(site=site), settings=two_years).status is PASS


# --- R-SITE-2 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("areas", "minimum", "status", "smallest"),
    [
        ((150,), 150, PASS, 150),
        ((149,), 150, FAIL, 149),
        ((149.99,), 150, FAIL, 149.99),
        ((400, 149), 150, FAIL, 149),  # each field separately
        ((149,), 100, PASS, 149),
    ],
)
def test_field_area(areas, minimum, status, smallest):
    settings = ComplianceSettings(min_field_area_m2=minimum)
    result = finding("R-SITE-2", centre(site=owned_site(*areas)), settings=settings)
    assert (result.status, result.required, result.actual) == (status, minimum, smallest)


def test_field_area_missing_fails_and_small_field_is_named():
    assert finding("R-SITE-2", centre(site=None)).status is FAIL
    assert finding("R-SITE-2", centre(site=Site(Tenure.OWNED))).status is FAIL
    result = finding("R-SITE-2", centre(site=owned_site(400, 149)))
    assert [(d.subject, d.message_en) for d in result.details] == [("考场1", "149 m²")]


# --- evaluate ----------------------------------------------------------------------------------

DRIVER_ONLY_RULES = {"R-EXAM-D", "R-CRANE", "R-OPT", "R-FIELD"}
SIGNALLER_ONLY_RULES = {"R-EXAM-S", "R-SIG", "R-PPE"}


@pytest.mark.parametrize(
    ("items", "left_out"),
    [
        ((SIGNALLER, DRIVER), set()),
        ((SIGNALLER,), DRIVER_ONLY_RULES),
        ((DRIVER,), SIGNALLER_ONLY_RULES),
        (("Q2(限门式起重机)",), SIGNALLER_ONLY_RULES),  # any Q2 limitation is a driver item
    ],
)
def test_rules_for_items_not_offered_are_left_out(items, left_out):
    report = evaluate(centre(items=items), ON)
    assert {f.rule for f in report.findings} == set(rules.CLAUSES) - left_out


def test_warnings_do_not_break_compliance_but_failures_do():
    warned = centre(equipment=(bridge_crane(next_inspection_due=ON + days(10)),))
    report = evaluate(warned, ON, system_functions=ALL_SYSTEM_FUNCTIONS, bank=GOOD_BANK)
    assert [f.rule for f in report.findings if f.status is not PASS] == ["R-CRANE"]
    assert report.compliant is True
    failed = replace(warned, terminals=terminals(9))
    report = evaluate(failed, ON, system_functions=ALL_SYSTEM_FUNCTIONS, bank=GOOD_BANK)
    assert report.compliant is False


def test_evaluation_date_is_a_parameter():
    record = centre(equipment=(bridge_crane(next_inspection_due=date(2027, 1, 1)),))
    assert finding("R-CRANE", record, on=date(2026, 6, 1)).status is PASS
    assert finding("R-CRANE", record, on=date(2026, 12, 1)).status is WARN
    assert finding("R-CRANE", record, on=date(2027, 1, 2)).status is FAIL


def test_passing_findings_carry_no_action_and_failing_ones_do():
    report = evaluate(centre(staff=()), ON)
    for f in report.findings:
        assert (f.action is None) == (f.status is PASS), f.rule
        assert (f.action_en is None) == (f.status is PASS), f.rule


@pytest.mark.parametrize(
    "changes",
    [
        {"terminal_base": -1},
        {"volume_threshold": 0},
        {"warning_days": True},
        {"min_field_area_m2": -1},
        {"ppe_required": "helmets"},
    ],
)
def test_settings_reject_nonsense(changes):
    with pytest.raises(ValueError):
        ComplianceSettings(**changes)


def test_settings_keep_lists_from_config_as_tuples():
    settings = ComplianceSettings(accepted_titles=["工程师"], ppe_required=["helmets"])  # type: ignore[arg-type]
    assert (settings.accepted_titles, settings.ppe_required) == (("工程师",), ("helmets",))
    assert hash(settings) == hash(
        ComplianceSettings(accepted_titles=("工程师",), ppe_required=("helmets",))
    )


def test_settings_defaults_are_the_spec_readings():
    assert (
        ComplianceSettings(
            terminal_base=10,
            terminal_step=5,
            volume_threshold=500,
            accepted_titles=("工程师", "高级工程师", "正高级工程师", "技师", "高级技师"),
            strict_examiner_overlap=False,
            min_practical_months=36,
            min_teaching_months=24,
            long_lease_years=3,
            lease_min_months_remaining=12,
            warning_days=90,
            coverage_factor=3,
            min_field_area_m2=150,
            ppe_required=("helmets", "gloves", "vests"),
            mobile_counts_as_landline=False,
        )
        == DEFAULTS
    )


# --- The pure layer stays pure -----------------------------------------------------------------

PACKAGE = Path(rules.__file__).parent


# The rule engine itself: the package also holds operations and edges (forms, CLI), and the
# PDF builder, which may import reportlab.
RULE_ENGINE = ("__init__.py", "model.py", "rules.py", "exchange.py", "clauses.py")


@pytest.mark.parametrize("module", [PACKAGE / n for n in RULE_ENGINE], ids=lambda p: p.name)
def test_compliance_modules_import_only_the_standard_library_and_never_read_the_clock(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
    clock_calls = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"today", "now", "utcnow", "time"}
    ]
    assert clock_calls == []


# --- Properties over random centres ------------------------------------------------------------

ITEM_POOL = (SIGNALLER, DRIVER, "Q2(限门式起重机)")
names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=6).filter(
    str.strip
)
dates = st.dates(date(2005, 1, 1), date(2032, 12, 31))
counts = st.integers(0, 30)
maybe = st.none


@st.composite
def periods(draw) -> Period:
    start = draw(dates)
    end = draw(st.one_of(maybe(), st.dates(start, date(2032, 12, 31))))
    return Period(start, end)


@st.composite
def filings(draw) -> Filing:
    filed_on = draw(dates)
    expires_on = draw(st.one_of(maybe(), st.dates(filed_on, date(2033, 12, 31))))
    return Filing(draw(st.sampled_from(ITEM_POOL)), draw(names), filed_on, expires_on)


examiners = st.builds(
    Examiner,
    name=names,
    items=st.lists(st.sampled_from(ITEM_POOL), min_size=1, max_size=3, unique=True).map(tuple),
    employment=st.one_of(maybe(), st.sampled_from(Employment)),
    title=st.one_of(maybe(), st.sampled_from(sorted(KNOWN_TITLES))),
    practical_experience=st.lists(periods(), max_size=3).map(tuple),
    teaching_experience=st.lists(periods(), max_size=3).map(tuple),
    filings=st.lists(filings(), max_size=3).map(tuple),
)


@st.composite
def staff_members(draw) -> StaffMember:
    started_on = draw(st.one_of(maybe(), dates))
    ended_on = draw(
        st.one_of(maybe(), st.dates(started_on or date(2005, 1, 1), date(2032, 12, 31)))
    )
    return StaffMember(
        draw(names),
        draw(st.sampled_from(Employment)),
        draw(st.booleans()),
        tuple(draw(st.lists(names, max_size=2))),
        started_on,
        ended_on,
    )


optional_bool = st.one_of(maybe(), st.booleans())
equipment_entry = st.builds(
    lambda kind, status, cab, due, luffing, slewing, modules: (
        kind,
        status,
        cab,
        due,
        luffing,
        slewing,
        modules,
    ),
    st.sampled_from(EquipmentType),
    st.sampled_from(EquipmentStatus),
    optional_bool,
    st.one_of(maybe(), dates),
    optional_bool,
    optional_bool,
    st.lists(
        st.sampled_from(["obstacle_run", "fixed_point_drop", "hook_swing"]), max_size=3, unique=True
    ),
)


def _equipment(entries) -> tuple[Equipment, ...]:
    # Ids are numbered so they stay unique, as the exchange format requires.
    return tuple(
        Equipment(f"E{i}", kind, status, cab, None, due, luffing, slewing, tuple(modules))
        for i, (kind, status, cab, due, luffing, slewing, modules) in enumerate(entries)
    )


field_kits = st.one_of(
    maybe(),
    st.builds(
        FieldKit,
        bump_poles_with_signs=st.one_of(maybe(), counts),
        warning_lines=optional_bool,
        safety_facilities=optional_bool,
        signal_flags=st.one_of(maybe(), counts),
        whistles=st.one_of(maybe(), counts),
        signal_wall_chart=optional_bool,
        ppe=st.dictionaries(st.sampled_from(["helmets", "gloves", "vests", "boots"]), counts).map(
            lambda d: tuple(d.items())
        ),
    ),
)


@st.composite
def sites(draw) -> Site | None:
    fields = tuple(
        PracticalField(name, area)
        for name, area in draw(
            st.lists(st.tuples(names, st.floats(0, 1000, allow_nan=False)), max_size=3)
        )
    )
    tenure = draw(st.sampled_from([None, Tenure.OWNED, Tenure.LEASED]))
    if tenure is None:
        return None
    if tenure is Tenure.OWNED:
        return Site(tenure, practical_fields=fields)
    start = draw(dates)
    return Site(tenure, start, draw(st.dates(start, date(2040, 12, 31))), fields)


centres = st.builds(
    CentreRecord,
    code=names,
    name=names,
    items=st.lists(st.sampled_from(ITEM_POOL), min_size=1, max_size=3, unique=True).map(tuple),
    department=st.one_of(
        maybe(), st.builds(Department, names, st.one_of(maybe(), names), st.one_of(maybe(), dates))
    ),
    landline=st.one_of(maybe(), st.sampled_from(["0571-88880000", "13912345678"])),
    office_address=st.one_of(maybe(), names),
    planned_annual_volume=st.one_of(maybe(), st.integers(0, 2000)),
    volume_history=st.one_of(maybe(), st.builds(VolumeHistory, st.integers(0, 2000))),
    staff=st.lists(staff_members(), max_size=5).map(tuple),
    examiners=st.lists(examiners, max_size=6).map(tuple),
    terminals=st.lists(st.sampled_from(TerminalStatus), max_size=25).map(
        lambda statuses: tuple(Terminal(f"T{i}", s) for i, s in enumerate(statuses))
    ),
    equipment=st.lists(equipment_entry, max_size=4).map(_equipment),
    field_kit=field_kits,
    site=sites(),
)
settings_strategy = st.builds(
    ComplianceSettings,
    strict_examiner_overlap=st.booleans(),
    warning_days=st.integers(0, 365),
    mobile_counts_as_landline=st.booleans(),
)
banks = st.one_of(
    maybe(),
    st.builds(
        BankCoverage,
        cells=st.lists(
            st.builds(
                BlueprintCell, st.sampled_from(ITEM_POOL), names, counts, st.integers(0, 100)
            ),
            max_size=4,
        ).map(tuple),
        untagged_live_questions=st.integers(0, 3),
    ),
)

REPORT_KEYS = {
    "format",
    "centre",
    "evaluated_on",
    "annual_volume",
    "compliant",
    "settings",
    "findings",
}
FINDING_KEYS = {"rule", "clause", "status", "required", "actual", "message", "message_en"}
FUZZ = hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ
@given(
    record=centres,
    on=st.dates(date(2020, 1, 1), date(2032, 12, 31)),
    settings=settings_strategy,
    with_system=st.booleans(),
    bank=banks,
)
def test_report_contract_holds_for_any_centre(record, on, settings, with_system, bank):
    functions = ALL_SYSTEM_FUNCTIONS if with_system else None
    report = evaluate(record, on, settings, system_functions=functions, bank=bank)
    assert report.compliant == all(f.status is not FAIL for f in report.findings)

    document = json.loads(json.dumps(report_to_json(report), ensure_ascii=False))
    assert set(document) == REPORT_KEYS
    assert document["format"] == "examcentre.compliance/1"
    assert document["evaluated_on"] == on.isoformat()
    assert document["compliant"] == (not any(f["status"] == "fail" for f in document["findings"]))
    assert document["settings"]["strict_examiner_overlap"] is settings.strict_examiner_overlap
    rule_ids = [f["rule"] for f in document["findings"]]
    assert len(rule_ids) == len(set(rule_ids))
    for f in document["findings"]:
        assert set(f) >= FINDING_KEYS
        assert f["status"] in {"pass", "warn", "fail"}
        assert f["clause"] == rules.CLAUSES[f["rule"]]
        assert f["message"] and f["message_en"]
    if not record.offers_driver_item:
        assert not DRIVER_ONLY_RULES & set(rule_ids)
    if not record.offers_signaller_item:
        assert not SIGNALLER_ONLY_RULES & set(rule_ids)


@FUZZ
@given(record=centres)
def test_any_centre_round_trips_through_the_exchange_format(record):
    document = json.loads(json.dumps(centre_to_json(record), ensure_ascii=False))
    assert parse_centre(document) == record
