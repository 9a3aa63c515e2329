"""Resident ID numbers (GB 11643-1999)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examcentre.idnumber import IdNumberProblem, InvalidIdNumber, check_character, parse_id_number

# Published worked example of the MOD 11-2 check (GB 11643-1999 appendix): 11010519491231002X.
KNOWN_VALID = "11010519491231002X"


def test_known_number_parses_into_its_parts():
    resident = parse_id_number(KNOWN_VALID)
    assert resident.birth_date == date(1949, 12, 31)
    assert resident.gender == "F"  # sequence 002 is even
    assert resident.region_code == "110105"


def test_check_character_of_the_standard_example():
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


@pytest.mark.parametrize(
    "typed",
    ["11010519491231002x", " 1101 0519 4912 3100 2X ", "１１０１０５１９４９１２３１００２Ｘ"],
)
def test_what_a_clerk_may_type_is_normalised(typed):
    assert parse_id_number(typed).number == KNOWN_VALID


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", IdNumberProblem.EMPTY),
        ("110105491231002", IdNumberProblem.OLD_15_DIGIT),
        ("1101051949123100", IdNumberProblem.WRONG_LENGTH),
        ("11010519491231002X1", IdNumberProblem.WRONG_LENGTH),
        ("1101051949123100AX", IdNumberProblem.BAD_CHARACTER),
        ("11010519491231002Y", IdNumberProblem.BAD_CHARACTER),
        ("99010519491231002X", IdNumberProblem.UNKNOWN_REGION),
        ("110105194902300021", IdNumberProblem.BAD_BIRTH_DATE),  # 30 February
        ("110105180001010021", IdNumberProblem.BAD_BIRTH_DATE),  # before 1900
        ("110105194912310021", IdNumberProblem.CHECK_DIGIT),
    ],
)
def test_each_kind_of_error_is_named(raw, problem):
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(raw)
    assert caught.value.problem is problem


def test_birth_date_after_today_is_refused():
    future = "11010520300101001"
    number = future + check_character(future)
    assert parse_id_number(number).birth_date == date(2030, 1, 1)
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(number, on=date(2026, 11, 22))
    assert caught.value.problem is IdNumberProblem.BIRTH_DATE_IN_FUTURE


@pytest.mark.parametrize(
    ("on", "age"),
    [(date(2008, 3, 6), 17), (date(2008, 3, 7), 18), (date(2009, 3, 6), 18)],
)
def test_age_counts_whole_years_to_the_birthday(on, age):
    first17 = "33010619900307451"
    resident = parse_id_number(first17 + check_character(first17))
    assert resident.age_on(on) == age


valid_bodies = st.builds(
    lambda region, birth, seq: f"{region}{birth:%Y%m%d}{seq:03d}",
    st.sampled_from(["110101", "330106", "440305", "510104", "650102"]),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 22)),
    st.integers(min_value=0, max_value=999),
)


@given(valid_bodies)
def test_every_well_formed_number_with_its_check_character_parses(body):
    resident = parse_id_number(body + check_character(body))
    assert resident.gender == ("M" if int(body[16]) % 2 else "F")


@given(valid_bodies, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_typo_is_caught(body, position, shift):
    number = body + check_character(body)
    typo = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    with pytest.raises(InvalidIdNumber):
        parse_id_number(typo)
