"""Simulator runs: the catalogue, payload validation (JSON paths), mapping onto the sheet, HMAC."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from examcentre.practical.scoring import score_sheet
from examcentre.practical.simulator import (
    DROP_ZONES,
    SignatureProblem,
    load_catalogue,
    map_run,
    parse_run_body,
    read_catalogue,
    sign,
    signed_message,
    validate_run,
    verify,
)

from .data import PRACTICAL, full_entries, line_with, shipped

CATALOGUE_TEXT = (PRACTICAL / "scenarios.yaml").read_text(encoding="utf-8")
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def catalogue():
    return load_catalogue(PRACTICAL / "scenarios.yaml", shipped())


def payload(**metrics):
    base = {
        "format": "examcentre.simulator-run/1",
        "station": "SIM-01",
        "run_id": "r-20260301-0007",
        "ticket": "T-0001",
        "mode": "exam",
        "scenario": {"id": "Q2-SIM-COURSE", "version": 1},
        "started_at": "2026-03-01T09:00:00+08:00",
        "finished_at": "2026-03-01T09:04:12+08:00",
        "calibrated_on": "2026-01-15",
        "log_sha256": hashlib.sha256(b"raw event log").hexdigest(),
        "metrics": {
            "time_seconds": 231.5,
            "bumps": 0,
            "knock_downs": 0,
            "stops": 3,
            "drop_zone": "inner",
            "swing_degrees": 1.5,
            "alarms": [],
        },
    }
    base["metrics"] |= metrics
    return base


def valid_run(**metrics):
    run, problems = validate_run(payload(**metrics), catalogue(), NOW)
    assert problems == [], problems
    return run


# --- the catalogue ----------------------------------------------------------------------------


def test_the_shipped_catalogue_loads():
    cat = catalogue()
    assert [s.label for s in cat.scenarios] == ["Q2-SIM-COURSE v1", "Q2-SIM-DROP v1"]
    course = cat.scenario("Q2-SIM-COURSE", 1)
    assert course.sheet == "Q2-PRACTICAL"
    assert course.calibration_max_age_days == 180
    assert {m.task for m in course.tasks} == {"obstacle_run", "fixed_point_drop", "handling"}
    assert course.required_metrics == {
        "time_seconds", "bumps", "knock_downs", "stops", "drop_zone", "swing_degrees", "alarms",
    }  # fmt: skip
    assert cat.scenario("Q2-SIM-DROP", 1).required_metrics == {"drop_zone", "alarms"}


CATALOGUE_CASES = [
    # (replace, with, line fragment, reason contains)
    ("spill: 0}", "}", "counts: {bump: bumps", "counter spill is not mapped"),
    ("bump: bumps,", "bump: speed,", "bump: speed", "counter bump must map to one of bumps"),
    (
        "smooth: {unless_alarm: jerk}",
        "smooth: {unless_alarm: jolt}",
        "unless_alarm: jolt",
        "unknown alarm 'jolt'",
    ),
    ("      handling:\n", "      handlin:\n", "handlin:", "has no task 'handlin'"),
    (
        "          outer_line: outside\n",
        "",
        "        zones:\n          inner: inner",
        "drop zone outer_line is not mapped",
    ),
    (
        "      person_zone: load_in_person_zone",
        "      person_zone: fire",
        "person_zone: fire",
        "has no veto 'fire'",
    ),
    (
        "sheet: Q2-PRACTICAL\n    zh: 绕障",
        "sheet: Q3-PRACTICAL\n    zh: 绕障",
        "sheet: Q3-PRACTICAL",
        "no sheet 'Q3-PRACTICAL'",
    ),
    (
        "item: Q2(限桥式起重机)\n    sheet: Q2-PRACTICAL\n    zh: 定点",
        "item: Q1\n    sheet: Q2-PRACTICAL\n    zh: 定点",
        "item: Q1",
        "is for Q2",
    ),
    (
        "id: Q2-SIM-DROP",
        "id: Q2-SIM-COURSE",
        "- id: Q2-SIM-COURSE\n    version: 1\n    item: Q2(限桥式起重机)\n"
        "    sheet: Q2-PRACTICAL\n    zh: 定点",
        "listed twice",
    ),
    (
        "steady_hook: {swing_at_most: 3}",
        "steady_hook: {swing_at_most: 3, unless_alarm: jerk}",
        "steady_hook:",
        "exactly one of",
    ),
    (
        "calibration_max_age_days: 180     # INFERENCE\n    tasks:\n      obstacle_run",
        "calibration_max_age_days: -1\n    tasks:\n      obstacle_run",
        "calibration_max_age_days: -1",
        "calibration_max_age_days must be a whole number",
    ),
    (
        "      handling:\n",
        "      part_identification: {}\n      handling:\n",
        "part_identification: {}",
        "cannot score a draw task",
    ),
    ("time: time_seconds", "time: clock", "time: clock", "time must be time_seconds"),
    (
        "  - {code: jerk,",
        "  - {code: no_bell,",
        "{code: no_bell, zh: 急起急停",
        "alarm code 'no_bell' is used twice",
    ),
]


@pytest.mark.parametrize(("old", "new", "at", "reason"), CATALOGUE_CASES)
def test_catalogue_problems_are_reported_at_their_line(old, new, at, reason):
    assert old in CATALOGUE_TEXT, old
    text = CATALOGUE_TEXT.replace(old, new, 1)
    cat, problems = read_catalogue(text, "scenarios.yaml", shipped())
    assert cat is None
    found = [p.format() for p in problems]
    matching = [p for p in found if reason in p]
    assert matching, found
    line = text.count("\n", 0, text.index(at)) + 1 if "\n" in at else line_with(text, at)
    assert any(p.startswith(f"scenarios.yaml:{line}: ") for p in matching), (line, matching)


def test_a_mapping_key_given_twice():
    text = CATALOGUE_TEXT.replace(
        "          inner: inner\n", "          inner: inner\n          inner: middle\n", 1
    )
    _, problems = read_catalogue(text, "scenarios.yaml", shipped())
    line = line_with(text, "inner: middle")
    assert [p.format() for p in problems] == [
        f"scenarios.yaml:{line}: scenario Q2-SIM-COURSE v1 task fixed_point_drop zones:"
        " key 'inner' is given twice"
    ]


def test_a_zone_mapped_to_no_sheet_zone():
    text = CATALOGUE_TEXT.replace("outside: outside\n", "outside: nowhere\n", 1)
    _, problems = read_catalogue(text, "scenarios.yaml", shipped())
    assert any("no zone 'nowhere' on the task" in p.reason for p in problems)


# --- payload validation: every problem at its JSON path ---------------------------------------


def mutate(path, value=..., delete=False):
    data = payload()
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    if delete:
        del target[last]
    else:
        target[last] = value
    return data


PAYLOAD_CASES = [
    (mutate(["metrics", "bumps"], delete=True), "$.metrics.bumps"),
    (mutate(["metrics", "bumps"], -1), "$.metrics.bumps"),
    (mutate(["metrics", "bumps"], True), "$.metrics.bumps"),
    (mutate(["metrics", "bumps"], 1.5), "$.metrics.bumps"),
    (mutate(["metrics", "knock_downs"], "2"), "$.metrics.knock_downs"),
    (mutate(["metrics", "stops"], None), "$.metrics.stops"),
    (mutate(["metrics", "time_seconds"], "231.5"), "$.metrics.time_seconds"),
    (mutate(["metrics", "time_seconds"], -0.5), "$.metrics.time_seconds"),
    (mutate(["metrics", "drop_zone"], "centre"), "$.metrics.drop_zone"),
    (mutate(["metrics", "drop_zone"], delete=True), "$.metrics.drop_zone"),
    (mutate(["metrics", "swing_degrees"], 91), "$.metrics.swing_degrees"),
    (mutate(["metrics", "alarms"], ["no_bell", "siren"]), "$.metrics.alarms[1]"),
    (mutate(["metrics", "alarms"], "no_bell"), "$.metrics.alarms"),
    (mutate(["metrics", "alarms"], delete=True), "$.metrics.alarms"),
    (mutate(["metrics", "speed"], 3), "$.metrics.speed"),
    (mutate(["metrics"], []), "$.metrics"),
    (mutate(["extra"], 1), "$.extra"),
    (mutate(["ticket"], delete=True), "$.ticket"),
    (mutate(["station"], ""), "$.station"),
    (mutate(["run_id"], "x" * 65), "$.run_id"),
    (mutate(["mode"], "practice"), "$.mode"),
    (mutate(["format"], "examcentre.simulator-run/2"), "$.format"),
    (mutate(["scenario", "id"], "Q2-SIM-NONE"), "$.scenario.id"),
    (mutate(["scenario", "version"], 9), "$.scenario.version"),
    (mutate(["scenario", "version"], "1"), "$.scenario.version"),
    (mutate(["scenario", "seed"], 1), "$.scenario.seed"),
    (mutate(["scenario"], "Q2-SIM-COURSE"), "$.scenario"),
    (mutate(["started_at"], "2026-03-01T09:00:00"), "$.started_at"),
    (mutate(["finished_at"], "yesterday"), "$.finished_at"),
    (mutate(["finished_at"], "2026-03-01T08:59:59+08:00"), "$.finished_at"),
    (mutate(["finished_at"], "2026-03-01T10:05:01+08:00"), "$.finished_at"),
    (mutate(["calibrated_on"], "2026-02-30"), "$.calibrated_on"),
    (mutate(["calibrated_on"], "15/01/2026"), "$.calibrated_on"),
    (mutate(["calibrated_on"], "2026-03-02"), "$.calibrated_on"),
    (mutate(["calibrated_on"], "2025-09-01"), "$.calibrated_on"),
    (mutate(["log_sha256"], "A" * 64), "$.log_sha256"),
    (mutate(["log_sha256"], "abc"), "$.log_sha256"),
    ([], "$"),
]


@pytest.mark.parametrize(("data", "path"), PAYLOAD_CASES)
def test_each_payload_problem_has_its_json_path(data, path):
    run, problems = validate_run(data, catalogue(), NOW)
    assert run is None
    assert path in [p.path for p in problems], problems


def test_a_valid_payload():
    run = valid_run()
    assert run.scenario_id == "Q2-SIM-COURSE" and run.mode == "exam"
    assert run.metrics.bumps == 0 and run.metrics.alarms == ()
    assert run.finished_at - run.started_at == timedelta(minutes=4, seconds=12)


def test_finished_up_to_five_minutes_ahead_of_the_server_clock_is_accepted():
    data = mutate(["finished_at"], "2026-03-01T10:05:00+08:00")
    assert validate_run(data, catalogue(), NOW)[1] == []


@pytest.mark.parametrize(("calibrated", "ok"), [("2025-09-02", True), ("2025-09-01", False)])
def test_calibration_age_boundary(calibrated, ok):
    # the run is on 2026-03-01 (local date); 2025-09-02 is 180 days before, 2025-09-01 is 181
    _, problems = validate_run(mutate(["calibrated_on"], calibrated), catalogue(), NOW)
    assert (problems == []) is ok, problems
    if not ok:
        assert "181 days old" in problems[0].message


def test_the_calibration_age_uses_the_stations_local_date():
    # 23:30 in Beijing on 1 March is 15:30 UTC: still 1 March locally
    data = mutate(["finished_at"], "2026-03-01T23:30:00+08:00")
    data["calibrated_on"] = "2025-09-02"
    later = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert validate_run(data, catalogue(), later)[1] == []


def test_the_drop_scenario_needs_only_the_drop_zone_and_alarms():
    data = payload()
    data["scenario"] = {"id": "Q2-SIM-DROP", "version": 1}
    data["metrics"] = {"drop_zone": "middle", "alarms": []}
    assert validate_run(data, catalogue(), NOW)[1] == []


def test_every_payload_problem_is_reported_at_once():
    data = mutate(["metrics", "bumps"], -1)
    data["mode"] = "practice"
    data["log_sha256"] = "x"
    _, problems = validate_run(data, catalogue(), NOW)
    assert {p.path for p in problems} == {"$.metrics.bumps", "$.mode", "$.log_sha256"}


def test_the_raw_body_is_decoded_with_duplicate_keys_refused():
    body = json.dumps(payload()).encode()
    run, problems = parse_run_body(body, catalogue(), NOW)
    assert problems == [] and run.run_id == "r-20260301-0007"
    doubled = body.replace(b'"bumps": 0', b'"bumps": 0, "bumps": 5')
    _, problems = parse_run_body(doubled, catalogue(), NOW)
    assert [p.path for p in problems] == ["$.metrics.bumps"]
    assert "more than once" in problems[0].message
    for bad in (b"{", b"\xff\xfe"):
        _, problems = parse_run_body(bad, catalogue(), NOW)
        assert [p.path for p in problems] == ["$"]


# --- mapping a run onto the sheet -------------------------------------------------------------


def test_a_course_run_maps_onto_three_tasks_and_leaves_two_for_the_examiners():
    q2 = shipped()["Q2-PRACTICAL"]
    run = valid_run(bumps=1, knock_downs=1, stops=6, time_seconds=251, drop_zone="inner_line")
    scoring = map_run(run, catalogue(), q2)
    assert scoring.entries == {
        "obstacle_run": {
            "counts": {"bump": 1, "knock_down": 1, "stop": 6, "spill": 0},
            "time_seconds": 251,
            "severe": None,
        },
        "fixed_point_drop": {"zone": "inner_line"},
        "handling": {
            "items": {
                "bell": True,
                "smooth": True,
                "steady_hook": True,
                "no_limit_stop": True,
                "no_three_mechanisms": True,
            }
        },
    }
    assert scoring.left_for_examiner == ("part_identification", "emergency_scenario")
    assert (scoring.scenario_id, scoring.scenario_version) == ("Q2-SIM-COURSE", 1)
    assert (scoring.sheet, scoring.sheet_version) == ("Q2-PRACTICAL", 1)
    json.dumps(scoring.entries)  # JSON-ready, for storing
    partial = score_sheet(q2, scoring.entries, scoring.vetoes)
    assert partial.passed is None and partial.missing == scoring.left_for_examiner
    assert partial.score == (25 - 2 - 5 - 1 - 2) + 12 + 10
    examiners = full_entries(q2)
    done = score_sheet(
        q2, {**scoring.entries, **{t: examiners[t] for t in scoring.left_for_examiner}}
    )
    assert done.score == 87 and done.passed is True


@pytest.mark.parametrize(
    ("zone", "sheet_zone"),
    [
        ("inner", "inner"),
        ("inner_line", "inner_line"),
        ("middle", "middle"),
        ("middle_line", "outer"),
        ("outer", "outer"),
        ("outer_line", "outside"),
        ("outside", "outside"),
    ],
)
def test_each_reported_drop_zone_lands_on_a_sheet_zone(zone, sheet_zone):
    scoring = map_run(valid_run(drop_zone=zone), catalogue(), shipped()["Q2-PRACTICAL"])
    assert scoring.entries["fixed_point_drop"] == {"zone": sheet_zone}
    assert set(DROP_ZONES) >= {zone}


@pytest.mark.parametrize(
    ("alarm", "item"),
    [
        ("no_bell", "bell"),
        ("jerk", "smooth"),
        ("limit_switch_stop", "no_limit_stop"),
        ("three_mechanisms", "no_three_mechanisms"),
    ],
)
def test_each_handling_alarm_fails_its_item(alarm, item):
    scoring = map_run(valid_run(alarms=[alarm]), catalogue(), shipped()["Q2-PRACTICAL"])
    marks = scoring.entries["handling"]["items"]
    assert [code for code, met in marks.items() if not met] == [item]


@pytest.mark.parametrize(("swing", "met"), [(0, True), (3, True), (3.01, False), (45, False)])
def test_the_swing_limit_for_steadying_the_hook(swing, met):
    scoring = map_run(valid_run(swing_degrees=swing), catalogue(), shipped()["Q2-PRACTICAL"])
    assert scoring.entries["handling"]["items"]["steady_hook"] is met


def test_severe_alarms_end_the_run_in_listed_order():
    q2 = shipped()["Q2-PRACTICAL"]
    scoring = map_run(valid_run(alarms=["uncontrolled_swing"]), catalogue(), q2)
    assert scoring.entries["obstacle_run"]["severe"] == "uncontrolled_swing"
    both = map_run(valid_run(alarms=["uncontrolled_swing", "load_grounded"]), catalogue(), q2)
    assert both.entries["obstacle_run"]["severe"] == "load_grounded"  # listed first
    assert score_sheet(q2, both.entries).tasks[0].earned == 0


@pytest.mark.parametrize(
    ("alarm", "veto"),
    [
        ("load_over_person", "lift_over_person"),
        ("person_zone", "load_in_person_zone"),
        ("stop_signal_ignored", "ignored_stop_signal"),
    ],
)
def test_veto_alarms_become_vetoes(alarm, veto):
    q2 = shipped()["Q2-PRACTICAL"]
    scoring = map_run(valid_run(alarms=[alarm, alarm, "overload"]), catalogue(), q2)
    assert scoring.vetoes == (veto,)
    entries = {**full_entries(q2), **scoring.entries}
    assert score_sheet(q2, entries, scoring.vetoes).passed is False


def test_the_drop_scenario_scores_only_the_drop():
    data = payload()
    data["scenario"] = {"id": "Q2-SIM-DROP", "version": 1}
    data["metrics"] = {"drop_zone": "outer_line", "alarms": []}
    run, problems = validate_run(data, catalogue(), NOW)
    assert problems == []
    scoring = map_run(run, catalogue(), shipped()["Q2-PRACTICAL"])
    assert scoring.entries == {"fixed_point_drop": {"zone": "outside"}}
    assert "obstacle_run" in scoring.left_for_examiner


def test_a_run_cannot_score_another_sheet():
    with pytest.raises(ValueError, match="scores Q2-PRACTICAL, not Q1-PRACTICAL"):
        map_run(valid_run(), catalogue(), shipped()["Q1-PRACTICAL"])
    run = replace(valid_run(), scenario_version=2)
    with pytest.raises(ValueError, match="no scenario"):
        map_run(run, catalogue(), shipped()["Q2-PRACTICAL"])


# --- HMAC -------------------------------------------------------------------------------------

SECRET = b"station-secret"
BODY = b'{"run_id":"r-1"}'
TS = "1772326800"  # 2026-03-01T01:00:00Z
AT = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def test_the_signed_message_is_timestamp_dot_body():
    assert signed_message(TS, BODY) == b'1772326800.{"run_id":"r-1"}'
    expected = hmac.new(SECRET, b'1772326800.{"run_id":"r-1"}', hashlib.sha256).hexdigest()
    assert sign(SECRET, TS, BODY) == expected
    # a fixed vector for station implementers
    assert sign(SECRET, TS, BODY) == (
        "52f63a257fb5f22a754e6b27b69415366422b14d68dc779a5862b373639ad044"
    )


GOOD = sign(SECRET, TS, BODY)

VERIFY_CASES = [
    # secret, timestamp, body, signature, now, expected
    (SECRET, TS, BODY, GOOD, AT, None),
    (SECRET, TS, BODY, GOOD.upper(), AT, None),
    (SECRET, TS, BODY, GOOD, AT + timedelta(seconds=300), None),
    (SECRET, TS, BODY, GOOD, AT + timedelta(seconds=300, microseconds=1), SignatureProblem.TOO_OLD),
    (SECRET, TS, BODY, GOOD, AT + timedelta(seconds=301), SignatureProblem.TOO_OLD),
    (SECRET, TS, BODY, GOOD, AT + timedelta(days=1), SignatureProblem.TOO_OLD),
    (SECRET, TS, BODY, GOOD, AT - timedelta(seconds=300), None),
    (SECRET, TS, BODY, GOOD, AT - timedelta(seconds=301), SignatureProblem.FROM_FUTURE),
    (SECRET, TS, BODY + b" ", GOOD, AT, SignatureProblem.MISMATCH),
    (SECRET, TS, b'{"run_id":"r-2"}', GOOD, AT, SignatureProblem.MISMATCH),
    (b"other-secret", TS, BODY, GOOD, AT, SignatureProblem.MISMATCH),
    (SECRET, "1772326801", BODY, GOOD, AT, SignatureProblem.MISMATCH),
    (SECRET, TS, BODY, GOOD[:-1], AT, SignatureProblem.BAD_SIGNATURE),
    (SECRET, TS, BODY, "g" * 64, AT, SignatureProblem.BAD_SIGNATURE),
    (SECRET, TS, BODY, "sha256=" + GOOD, AT, SignatureProblem.BAD_SIGNATURE),
    (SECRET, "", BODY, GOOD, AT, SignatureProblem.BAD_TIMESTAMP),
    (SECRET, "1772326800.5", BODY, GOOD, AT, SignatureProblem.BAD_TIMESTAMP),
    (SECRET, "-1772326800", BODY, GOOD, AT, SignatureProblem.BAD_TIMESTAMP),
    (SECRET, " 1772326800", BODY, GOOD, AT, SignatureProblem.BAD_TIMESTAMP),
    (SECRET, "２０２６", BODY, GOOD, AT, SignatureProblem.BAD_TIMESTAMP),
]


@pytest.mark.parametrize(("secret", "ts", "body", "signature", "now", "expected"), VERIFY_CASES)
def test_verify(secret, ts, body, signature, now, expected):
    assert verify(secret, ts, body, signature, now) == expected


def test_verify_with_another_max_age_and_in_another_timezone():
    beijing = AT.astimezone(datetime.now(UTC).astimezone().tzinfo)
    assert verify(SECRET, TS, BODY, GOOD, beijing) is None
    late = AT + timedelta(seconds=61)
    assert verify(SECRET, TS, BODY, GOOD, late, max_age=60) == SignatureProblem.TOO_OLD


def test_an_empty_secret_or_a_naive_clock_is_a_programming_error():
    with pytest.raises(ValueError):
        sign(b"", TS, BODY)
    with pytest.raises(ValueError):
        verify(b"", TS, BODY, GOOD, AT)
    with pytest.raises(ValueError):
        verify(SECRET, TS, BODY, GOOD, AT.replace(tzinfo=None))
