"""The attempt archive: canonical bytes, their digest, and tampering found with a reason."""

from __future__ import annotations

import copy
import enum
import hashlib
import json
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examcentre.exams.archive import (
    ARCHIVE_FORMAT,
    ArchiveCheck,
    canonical_json,
    check,
    differences,
    digest,
    load,
)
from tests.test_layers import FORBIDDEN, PACKAGE, imported_modules


def attempt_document() -> dict:
    """An archive as the operations layer builds it (shape only; the values are made up)."""
    return {
        "format": ARCHIVE_FORMAT,
        "attempt": {"id": 41, "session": "2026-05-10 第一考场", "ticket": "2026051001"},
        "candidate": {"name": "欧阳晓红", "id_number_masked": "330106********4517"},
        "paper": {
            "id": 7,
            "questions": [
                {
                    "position": 1,
                    "question_version_id": 1201,
                    "content_hash": "9f2c" * 16,
                    "type": "single",
                    "option_order": ["C", "A", "D", "B"],
                    "points": 1,
                },
                {
                    "position": 2,
                    "question_version_id": 1377,
                    "content_hash": "0b7e" * 16,
                    "type": "judge",
                    "option_order": [],
                    "points": 1,
                },
            ],
        },
        "answers": [
            {"position": 1, "response": "B", "seq": 1, "at": "2026-05-10T01:02:03.000000Z"},
            {"position": 1, "response": "D", "seq": 2, "at": "2026-05-10T01:04:10.250000Z"},
            {"position": 2, "response": "true", "seq": 1, "at": "2026-05-10T01:05:00.000000Z"},
            {"position": 2, "response": None, "seq": 2, "at": "2026-05-10T01:06:00.000000Z"},
        ],
        "events": [
            {"kind": "sign_in", "at": "2026-05-10T00:58:00.000000Z", "terminal": "T-07"},
            {"kind": "pause", "at": "2026-05-10T01:10:00.000000Z", "reason": "incident"},
            {"kind": "resume", "at": "2026-05-10T01:12:30.000000Z"},
            {"kind": "move", "at": "2026-05-10T01:13:00.000000Z", "from": "T-07", "to": "T-09"},
            {"kind": "submit", "at": "2026-05-10T02:00:00.000000Z", "by": "candidate"},
        ],
        "terminal": "T-09",
        "score": {"earned": 87.5, "total": 100, "score": 87.5, "passed": True, "version": 1},
    }


# --- JSON-like values for the property tests -------------------------------------------------

CHINESE = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=8)
TEXT = st.one_of(st.text(max_size=12), CHINESE, st.sampled_from(["合格", "不合格", "考试", ""]))
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(TEXT, children, max_size=5)
    ),
    max_leaves=10,
)
DOCUMENTS = st.dictionaries(TEXT, JSON_VALUES, max_size=4)
FUZZ = settings(max_examples=100, deadline=None)


def shuffled(value, rng: random.Random):
    """The same value with every object's keys inserted in a random order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: shuffled(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [shuffled(item, rng) for item in value]
    return value


@FUZZ
@given(DOCUMENTS)
def test_round_trip_gives_back_the_same_document(document):
    data = canonical_json(document)
    assert json.loads(data.decode("utf-8")) == document
    assert load(data) == document


@FUZZ
@given(DOCUMENTS)
def test_canonical_form_is_idempotent_over_load_and_dump(document):
    data = canonical_json(document)
    assert canonical_json(json.loads(data)) == data
    assert canonical_json(load(data)) == data
    assert check(digest(document), data).ok


@FUZZ
@given(DOCUMENTS)
def test_canonical_form_is_deterministic(document):
    assert canonical_json(document) == canonical_json(copy.deepcopy(document))
    assert digest(document) == digest(copy.deepcopy(document))


@FUZZ
@given(DOCUMENTS, st.randoms(use_true_random=False))
def test_key_order_does_not_matter(document, rng):
    assert canonical_json(shuffled(document, rng)) == canonical_json(document)
    assert differences(shuffled(document, rng), document) == []


@FUZZ
@given(DOCUMENTS)
def test_no_insignificant_white_space_and_no_ascii_escapes(document):
    text = canonical_json(document).decode("utf-8")
    assert text == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert text == text.strip()


def test_the_exact_bytes_of_a_small_document():
    document = {"成绩": 87.5, "b": [1, 1.0, True, None], "a": "合格\n", "A": {"z": 0, "y": -0.0}}
    assert (
        canonical_json(document)
        == ('{"A":{"y":-0.0,"z":0},"a":"合格\\n","b":[1,1.0,true,null],"成绩":87.5}').encode()
    )


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0.1, "0.1"),
        (87.5, "87.5"),
        (100.0, "100.0"),
        (1e16, "1e+16"),
        (1e-7, "1e-07"),
        (-0.0, "-0.0"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (2**64, "18446744073709551616"),
    ],
)
def test_numbers_are_written_as_python_writes_them_and_read_back_exactly(number, text):
    data = canonical_json({"n": number})
    assert data == b'{"n":' + text.encode() + b"}"
    back = json.loads(data)["n"]
    assert back == number and type(back) is type(number)
    assert repr(back) == repr(number)


def test_an_int_and_the_equal_float_are_different_archives():
    assert canonical_json({"score": 90}) != canonical_json({"score": 90.0})
    assert differences({"score": 90}, {"score": 90.0}) == ["$.score"]
    assert differences({"passed": True}, {"passed": 1}) == ["$.passed"]


def test_digest_is_the_sha256_of_the_canonical_bytes():
    document = attempt_document()
    assert digest(document) == hashlib.sha256(canonical_json(document)).hexdigest()
    assert len(digest(document)) == 64


def test_tuples_mappings_and_str_enums_are_written_as_plain_json():
    class Kind(enum.StrEnum):
        SUBMIT = "submit"

    class Seq(enum.IntEnum):
        ONE = 1

    document = MappingProxyType({"events": ({"kind": Kind.SUBMIT, "seq": Seq.ONE},)})
    assert canonical_json(document) == b'{"events":[{"kind":"submit","seq":1}]}'


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (datetime(2026, 5, 10, 1, 2, tzinfo=UTC), "datetime is not a JSON value"),
        (date(2026, 5, 10), "date is not a JSON value"),
        (Decimal("87.5"), "Decimal is not a JSON value"),
        ({"A", "B"}, "set is not a JSON value"),
        (b"AB", "bytes is not a JSON value"),
        (object(), "object is not a JSON value"),
    ],
)
def test_non_json_values_are_refused_with_their_path(value, message):
    document = attempt_document()
    document["answers"][3]["at"] = value
    with pytest.raises(TypeError, match=r"^\$\.answers\[3\]\.at: ") as raised:
        canonical_json(document)
    assert message in str(raised.value)


def test_the_refusal_suggests_how_to_write_a_time():
    with pytest.raises(TypeError, match="ISO-8601 UTC strings"):
        canonical_json({"at": datetime(2026, 5, 10, tzinfo=UTC)})


def test_non_string_keys_are_refused():
    with pytest.raises(TypeError, match=r"^\$\.paper: the key 1 is a int; JSON object keys"):
        canonical_json({"paper": {1: "a", "1": "b"}})


def test_paths_quote_keys_that_are_not_identifiers():
    with pytest.raises(TypeError, match=r'^\$\.events\[0\]\["考试 时间"\]: '):
        canonical_json({"events": [{"考试 时间": {1, 2}}]})


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_are_value_errors(number):
    with pytest.raises(ValueError, match=r"^\$\.score\.score: .* is not allowed in JSON"):
        canonical_json({"score": {"score": number}})


def test_unencodable_strings_cycles_and_non_objects_are_refused():
    with pytest.raises(ValueError, match=r"^\$\.name: the string cannot be written as UTF-8"):
        canonical_json({"name": "\ud800"})
    with pytest.raises(ValueError, match=r"^\$\.a\[\"\\ud800\"\]: the key cannot be written"):
        canonical_json({"a": {"\ud800": 1}})
    looped: dict = {"events": []}
    looped["events"].append(looped)
    with pytest.raises(ValueError, match=r"^\$\.events\[0\]: the document contains itself"):
        canonical_json(looped)
    with pytest.raises(TypeError, match=r"^\$: the archive must be a JSON object"):
        canonical_json([1, 2])  # type: ignore[arg-type]


def test_the_same_list_twice_is_not_a_cycle():
    shared = [1, 2]
    assert canonical_json({"a": shared, "b": shared}) == b'{"a":[1,2],"b":[1,2]}'


# --- Checking stored archives ----------------------------------------------------------------


def stored() -> tuple[str, bytes]:
    document = attempt_document()
    return digest(document), canonical_json(document)


def test_an_untouched_archive_passes():
    stored_digest, data = stored()
    result = check(stored_digest, data)
    assert result == ArchiveCheck(
        ok=True,
        canonical=True,
        digest_matches=True,
        content_matches_digest=True,
        computed_digest=stored_digest,
        reasons=(),
    )
    assert result


def test_flipping_any_one_byte_is_detected():
    stored_digest, data = stored()
    for position in range(len(data)):
        tampered = bytearray(data)
        tampered[position] ^= 0x01
        result = check(stored_digest, bytes(tampered))
        assert not result.ok and not result.digest_matches, position
        assert result.reasons, position
        assert any("does not match the stored bytes" in r for r in result.reasons), position


def test_flipping_a_byte_inside_a_chinese_character_breaks_utf8():
    stored_digest, data = stored()
    position = data.index("欧".encode()) + 1
    tampered = data[:position] + bytes([data[position] ^ 0x40]) + data[position + 1 :]
    result = check(stored_digest, tampered)
    assert not result.ok and result.content_matches_digest is None
    assert result.reasons[0].startswith("The stored bytes cannot be read as an archive: ")
    assert "not UTF-8" in result.reasons[0]


def test_a_changed_score_written_canonically_is_caught_by_the_digest():
    stored_digest, data = stored()
    document = load(data)
    document["score"]["score"] = 92.5
    tampered = canonical_json(document)
    result = check(stored_digest, tampered)
    assert result.canonical and not result.digest_matches and not result.ok
    assert result.content_matches_digest is False
    assert result.reasons == (
        "The stored digest does not match the stored bytes "
        f"(their SHA-256 is {result.computed_digest}, the record says {stored_digest}).",
        "Re-canonicalised, the content does not hash to the stored digest either: "
        "the data itself was changed.",
    )
    assert differences(attempt_document(), load(tampered)) == ["$.score.score"]


def test_a_changed_score_with_a_recomputed_digest_is_consistent_but_shows_in_differences():
    """The digest only proves the bytes match the digest stored beside them; a copy of the
    digest kept elsewhere (the audit log) is what catches a rewrite of both."""
    _, data = stored()
    document = load(data)
    document["score"]["passed"] = False
    assert check(digest(document), canonical_json(document)).ok
    assert differences(load(data), document) == ["$.score.passed"]


def test_reordered_keys_are_detected_and_the_data_found_unchanged():
    stored_digest, data = stored()
    document = load(data)
    reordered = json.dumps(
        dict(reversed(list(document.items()))), separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert reordered != data and len(reordered) == len(data)
    result = check(stored_digest, reordered)
    assert not result.ok and not result.canonical and not result.digest_matches
    assert result.content_matches_digest is True
    assert result.reasons[0] == (
        "The stored bytes have object keys out of sorted order, which the canonical form "
        "never has: they were re-serialised after the archive was written."
    )
    assert "the data is unchanged" in result.reasons[-1]


@pytest.mark.parametrize(
    ("before", "after", "where"),
    [
        (b"", b"\n", "(1 after it)"),
        (b"  ", b"", "(2 before it)"),
        (b"\t", b"\r\n", "(1 before and 2 after it)"),
    ],
)
def test_white_space_around_the_document_is_detected(before, after, where):
    stored_digest, data = stored()
    result = check(stored_digest, before + data + after)
    assert not result.ok and not result.canonical and result.content_matches_digest
    assert result.reasons[0].startswith(
        "The stored bytes have white space around the JSON document"
    )
    assert where in result.reasons[0]


@pytest.mark.parametrize(
    "reserialise",
    [
        lambda d: json.dumps(d, sort_keys=True, indent=2, ensure_ascii=False),
        lambda d: json.dumps(d, sort_keys=True, separators=(",", ":")),  # \uXXXX escapes
        lambda d: json.dumps(d, sort_keys=True, separators=(", ", ": "), ensure_ascii=False),
    ],
)
def test_any_other_re_serialisation_is_detected(reserialise):
    stored_digest, data = stored()
    rewritten = reserialise(load(data)).encode("utf-8")
    result = check(stored_digest, rewritten)
    assert not result.ok and not result.canonical and result.content_matches_digest
    assert result.reasons[0].startswith("The stored bytes are not in canonical form (they differ")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"score":50,"score":90}', 'the key "score" appears twice'),
        (b'{"score":NaN}', "NaN is not allowed in JSON"),
        (b'{"score":Infinity}', "Infinity is not allowed in JSON"),
        ('\ufeff{"a":1}'.encode(), "byte-order mark"),
        (b'{"a":1', "the bytes are not JSON"),
        (b"[1,2]", "a JSON list, not an object"),
        (b"", "the bytes are not JSON"),
    ],
)
def test_unreadable_bytes_are_reported(data, message):
    result = check("0" * 64, data)
    assert not result.ok and result.content_matches_digest is None
    assert result.reasons[0].startswith("The stored bytes cannot be read as an archive: ")
    assert message in result.reasons[0]
    with pytest.raises(ValueError, match=message):
        load(data)


@pytest.mark.parametrize("bad", ["", "abc", "A" * 64, "g" * 64, "0" * 63])
def test_a_malformed_stored_digest_is_reported(bad):
    _, data = stored()
    result = check(bad, data)
    assert not result.ok and result.canonical and not result.digest_matches
    assert result.reasons == (
        "The stored digest is not a SHA-256 digest (64 lower-case hexadecimal characters).",
    )


def test_an_upper_case_copy_of_the_right_digest_is_not_accepted():
    stored_digest, data = stored()
    assert not check(stored_digest.upper(), data).ok


def test_stored_text_from_the_database_checks_once_encoded():
    stored_digest, data = stored()
    text = data.decode("utf-8")  # attempt_archives.document is a Text column
    assert check(stored_digest, text.encode("utf-8")).ok
    assert check(stored_digest, bytearray(data)).ok


# --- Differences ------------------------------------------------------------------------------


def test_differences_lists_every_changed_path():
    original = attempt_document()
    changed = copy.deepcopy(original)
    changed["score"]["score"] = 60.0
    changed["answers"][1]["response"] = "C"
    changed["events"].append({"kind": "extend", "at": "2026-05-10T02:01:00.000000Z"})
    del changed["terminal"]
    changed["paper"]["questions"][0]["option_order"] = ["A", "B", "C", "D"]
    changed["extra 备注"] = "补录"
    assert differences(original, changed) == [
        "$.answers[1].response",
        "$.events[5]",
        '$["extra 备注"]',
        "$.paper.questions[0].option_order[0]",
        "$.paper.questions[0].option_order[1]",
        "$.paper.questions[0].option_order[2]",
        "$.paper.questions[0].option_order[3]",
        "$.score.score",
        "$.terminal",
    ]
    assert differences(original, copy.deepcopy(original)) == []


def test_differences_reports_a_change_of_kind_at_its_path():
    assert differences({"a": {"b": 1}}, {"a": [1]}) == ["$.a"]
    assert differences({"a": None}, {"a": 0}) == ["$.a"]
    assert differences({"a": "1"}, {"a": 1}) == ["$.a"]
    assert differences({"a": [1, 2]}, {"a": (1, 2)}) == []


@FUZZ
@given(DOCUMENTS, DOCUMENTS)
def test_differences_is_empty_exactly_when_the_canonical_bytes_agree(a, b):
    assert (differences(a, b) == []) == (canonical_json(a) == canonical_json(b))


def test_the_module_is_pure():
    names = imported_modules(PACKAGE / "exams" / "archive.py")
    assert not {n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)}
