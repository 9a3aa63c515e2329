"""The examcentre.results/1 format, its signed envelope, signatures, deadline and backoff."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from examcentre.transmission import batch as fmt
from examcentre.transmission import policy, signing
from examcentre.workdays import WorkingCalendar

HEX = "ab" * 32


def document() -> dict:
    return {
        "format": fmt.FORMAT,
        "batch_id": "0b8f8c1e-6c1e-4a57-9a57-1d2b3c4d5e6f",
        "created_at": "2026-12-03T10:00:00Z",
        "centre": {"code": "ZJ-HZ-001", "name": "某某考试中心"},
        "scope": {"kind": "session", "session_id": 7},
        "due_on": "2026-12-10",
        "sessions": [
            {
                "id": 7,
                "item": "Q1",
                "room": "201",
                "starts_at": "2026-12-03T01:00:00Z",
                "ends_at": "2026-12-03T03:00:00Z",
                "blueprint": {"id": 3, "version": 2},
                "examiners": [{"username": "inv1", "name": "王五", "role": "invigilator"}],
                "candidates": [
                    {
                        "ticket": "T-1",
                        "application_no": None,
                        "id_number": "11010519491231002X",
                        "name": "张三",
                        "attendance": "checked_in",
                        "results": [
                            {
                                "subject": "theory",
                                "score": 86.5,
                                "total": 100,
                                "earned": 86.5,
                                "pass_mark": 70,
                                "passed": True,
                                "result_version": 1,
                                "failed_on_critical": False,
                                "submitted_at": "2026-12-03T02:10:00Z",
                                "archive_sha256": HEX,
                            },
                            {
                                "subject": "simulator",
                                "station": "SIM-01",
                                "run_id": "r1",
                                "scenario": "obstacle@1",
                                "total": 90.0,
                                "passed": None,
                                "log_sha256": HEX,
                                "body_sha256": HEX,
                            },
                        ],
                    },
                    {
                        "ticket": "T-2",
                        "application_no": "A-9",
                        "id_number": "110105194912310021",
                        "name": "李四",
                        "attendance": "absent",
                        "results": [],
                    },
                ],
            }
        ],
    }


def test_a_valid_batch_parses_into_sittings_and_results():
    parsed = fmt.parse_batch(document())
    assert parsed.centre_code == "ZJ-HZ-001"
    assert [s.ticket for s in parsed.sittings] == ["T-1", "T-2"]
    theory, simulator = parsed.sittings[0].results
    assert (theory.subject, theory.score, theory.passed, theory.archive_sha256) == (
        "theory",
        86.5,
        True,
        HEX,
    )
    assert (simulator.subject, simulator.score, simulator.passed) == ("simulator", 90.0, None)
    assert parsed.sittings[1].attendance == "absent" and parsed.sittings[1].results == []
    assert parsed.last_session_end == datetime(2026, 12, 3, 3, tzinfo=UTC)
    assert parsed.examiners[0]["session_id"] == 7


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.pop("centre"), "$.centre"),
        (lambda d: d.update(format="examcentre.results/2"), "$.format"),
        (lambda d: d.update(batch_id="not-a-uuid"), "$.batch_id"),
        (lambda d: d.update(extra=1), "$.extra"),
        (
            lambda d: d["sessions"][0]["candidates"][0].update(id_number="123"),
            "$.sessions[0].candidates[0].id_number",
        ),
        (
            lambda d: d["sessions"][0]["candidates"][0]["results"][0].update(score="86"),
            "$.sessions[0].candidates[0].results[0].score",
        ),
        (
            lambda d: d["sessions"][0]["candidates"][0]["results"][0].update(subject="oral"),
            "$.sessions[0].candidates[0].results[0].subject",
        ),
        (
            lambda d: d["sessions"][0]["candidates"][1]["results"].append(
                {"subject": "practical", "score": 80, "passed": True, "sheet_sha256": HEX}
            ),
            "$.sessions[0].candidates[1].results",
        ),
        (
            lambda d: d["sessions"][0]["candidates"][1].update(ticket="T-1"),
            "$.sessions[0].candidates[1].ticket",
        ),
        (lambda d: d.update(sessions=[]), "$.sessions"),
        (lambda d: d.update(due_on="2026-02-30"), "$.due_on"),
        (
            lambda d: d["sessions"][0]["candidates"][0]["results"][0].pop("archive_sha256"),
            "$.sessions[0].candidates[0].results[0].archive_sha256",
        ),
        (lambda d: d["sessions"][0].pop("ends_at"), "$.sessions[0].ends_at"),
        (
            lambda d: d["sessions"][0]["candidates"][0].update(name="张" * 101),
            "$.sessions[0].candidates[0].name",
        ),
        (lambda d: d["centre"].update(code="X" * 33), "$.centre.code"),
        (lambda d: d["sessions"][0]["examiners"][0].pop("role"), "$.sessions[0].examiners[0].role"),
    ],
)
def test_every_problem_is_named_by_its_json_path(change, path):
    value = document()
    change(value)
    with pytest.raises(fmt.BatchError) as error:
        fmt.parse_batch(value)
    assert error.value.code == "malformed"
    assert path in [p.path for p in error.value.problems]


def test_a_practical_result_is_accepted_in_its_reserved_shape():
    value = document()
    value["sessions"][0]["candidates"][0]["results"].append(
        {
            "subject": "practical",
            "score": None,
            "passed": None,
            "sheet_sha256": HEX,
            "examiners": ["e1", "e2"],
        }
    )
    practical = fmt.parse_batch(value).sittings[0].results[-1]
    assert practical.subject == "practical" and practical.details["examiners"] == ["e1", "e2"]


def test_canonical_bytes_and_content_digest():
    a, b = document(), document()
    b = json.loads(json.dumps(b, indent=3))  # other whitespace and key order round-trip
    assert fmt.canonical_bytes(a) == fmt.canonical_bytes(b)
    assert "张三".encode() in fmt.canonical_bytes(a)  # UTF-8, not \\u escapes
    # The identity is outside the content digest; the results are inside it.
    b["batch_id"], b["created_at"] = fmt.new_batch_id(), "2027-01-01T00:00:00Z"
    assert fmt.content_sha256(a) == fmt.content_sha256(b)
    b["sessions"][0]["candidates"][0]["results"][0]["score"] = 86.0
    assert fmt.content_sha256(a) != fmt.content_sha256(b)


def test_signature_round_trip_and_a_changed_byte_fails():
    key = signing.generate_private_key()
    public = signing.load_public_key(signing.public_key_pem(key.public_key()))
    value = document()
    signature = signing.sign(key, fmt.canonical_bytes(value))
    envelope = fmt.envelope(value, signature, signing.fingerprint(public))
    parsed = fmt.parse_envelope(json.dumps(envelope, indent=2).encode())
    assert parsed.key_fingerprint == signing.fingerprint(public)
    assert signing.verify(public, parsed.signature, parsed.signed_bytes)

    tampered = copy.deepcopy(envelope)
    tampered["batch"]["sessions"][0]["candidates"][0]["results"][0]["score"] = 96.5
    parsed = fmt.parse_envelope(json.dumps(tampered).encode())
    assert not signing.verify(public, parsed.signature, parsed.signed_bytes)
    other = signing.generate_private_key().public_key()
    assert not signing.verify(other, signature, fmt.canonical_bytes(value))


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b"\xff\xfe", "$"),
        (b"[]", "$"),
        (b'{"format": "examcentre.signed-results/1", "batch": {}}', "$.signature"),
        (
            json.dumps(
                {
                    "format": fmt.ENVELOPE_FORMAT,
                    "batch": {},
                    "signature": {"algorithm": "RSA", "key": "k", "value": "AA=="},
                }
            ).encode(),
            "$.signature.algorithm",
        ),
        (
            json.dumps(
                {
                    "format": fmt.ENVELOPE_FORMAT,
                    "batch": {},
                    "signature": {"algorithm": "Ed25519", "key": "k", "value": "!!"},
                }
            ).encode(),
            "$.signature.value",
        ),
        (
            json.dumps(
                {
                    "format": fmt.ENVELOPE_FORMAT,
                    "batch": [],
                    "signature": {"algorithm": "Ed25519", "key": "k", "value": "A" * 88},
                }
            ).encode(),
            "$.batch",
        ),
    ],
)
def test_a_malformed_envelope_is_refused_with_its_path(raw, path):
    with pytest.raises(fmt.BatchError) as error:
        fmt.parse_envelope(raw)
    assert path in [p.path for p in error.value.problems]


def test_keys_that_are_not_ed25519_pem_are_refused():
    with pytest.raises(signing.KeyProblem):
        signing.load_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(signing.KeyProblem):
        signing.load_private_key(b"not a key")


def test_due_date_counts_working_days_from_the_local_end_day():
    calendar = WorkingCalendar.from_config(["2026-12-07"], ["2026-12-12"])
    # Ends Thursday 3 Dec 2026 at 23:30 Shanghai time = 15:30 UTC the same day.
    end = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)
    # Fri 4, (Mon 7 holiday), Tue 8, Wed 9, Thu 10, Fri 11 -> 5 working days.
    assert policy.due_on(end, "Asia/Shanghai", 5, calendar) == date(2026, 12, 11)
    # 16:30 UTC is already Friday 4 Dec in Shanghai: Tue 8 .. Fri 11, Sat 12 (make-up day).
    assert policy.due_on(end + timedelta(hours=1), "Asia/Shanghai", 5, calendar) == date(
        2026, 12, 12
    )
    assert policy.is_overdue(date(2026, 12, 11), date(2026, 12, 12))
    assert not policy.is_overdue(date(2026, 12, 11), date(2026, 12, 11))
    assert not policy.is_overdue(date(2026, 12, 11), date(2027, 1, 1), date(2026, 12, 11))
    assert policy.is_overdue(date(2026, 12, 11), date(2027, 1, 1), date(2026, 12, 14))


def test_backoff_doubles_and_is_capped():
    delays = [policy.retry_delay(n, 30, 600).total_seconds() for n in range(1, 8)]
    assert delays == [30, 60, 120, 240, 480, 600, 600]
    assert policy.retry_delay(10_000, 30, 600).total_seconds() == 600
    with pytest.raises(ValueError):
        policy.retry_delay(0, 30, 600)
