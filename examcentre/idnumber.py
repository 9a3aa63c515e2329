"""Resident identity card numbers (公民身份号码), GB 11643-1999.

Pure: no Flask, no database, no clock (the evaluation date is a parameter).

An 18-character number is: 6-digit address code, 8-digit date of birth (YYYYMMDD),
3-digit sequence code (odd for men, even for women), and an ISO 7064 MOD 11-2 check
character (0-9 or X).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# GB 11643-1999 §6: weights of the first 17 digits and the check-character table.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

# First two digits: provincial-level divisions (GB/T 2260), plus 83 (Taiwan residents'
# residence permits, 2018).
_PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    ]
)


class IdNumberProblem(StrEnum):
    """What is wrong with an entered number; the edges turn each into a message."""

    EMPTY = "empty"
    OLD_15_DIGIT = "old_15_digit"
    WRONG_LENGTH = "wrong_length"
    BAD_CHARACTER = "bad_character"
    UNKNOWN_REGION = "unknown_region"
    BAD_BIRTH_DATE = "bad_birth_date"
    BIRTH_DATE_IN_FUTURE = "birth_date_in_future"
    CHECK_DIGIT = "check_digit"


class InvalidIdNumber(ValueError):
    def __init__(self, problem: IdNumberProblem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    region_code: str
    birth_date: date
    gender: str  # "M" or "F", from the parity of the sequence code

    def age_on(self, on: date) -> int:
        """Whole years of age on the given date."""
        had_birthday = (on.month, on.day) >= (self.birth_date.month, self.birth_date.day)
        return on.year - self.birth_date.year - (0 if had_birthday else 1)


def check_character(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise(raw: str) -> str:
    """Full-width digits to ASCII, spaces removed, x to X: what a clerk may type or paste."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper()


def parse_id_number(raw: str, on: date | None = None) -> ResidentId:
    """Validate an entered number and return its parts, or raise ``InvalidIdNumber``.

    ``on`` is today's date; when given, a birth date after it is refused.
    """
    number = normalise(raw)
    if not number:
        raise InvalidIdNumber(IdNumberProblem.EMPTY)
    if len(number) == 15 and number.isdigit():
        # First-generation numbers, withdrawn in 2013; the 18-digit one must be entered.
        raise InvalidIdNumber(IdNumberProblem.OLD_15_DIGIT)
    if len(number) != 18:
        raise InvalidIdNumber(IdNumberProblem.WRONG_LENGTH, str(len(number)))
    body, last = number[:17], number[17]
    for position, char in enumerate(body, start=1):
        if not char.isdigit() or not char.isascii():
            raise InvalidIdNumber(IdNumberProblem.BAD_CHARACTER, f"{position}:{char}")
    if not (last.isdigit() and last.isascii()) and last != "X":
        raise InvalidIdNumber(IdNumberProblem.BAD_CHARACTER, f"18:{last}")
    if number[:2] not in _PROVINCE_CODES:
        raise InvalidIdNumber(IdNumberProblem.UNKNOWN_REGION, number[:2])
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(IdNumberProblem.BAD_BIRTH_DATE, number[6:14]) from None
    if birth.year < 1900:
        raise InvalidIdNumber(IdNumberProblem.BAD_BIRTH_DATE, number[6:14])
    if on is not None and birth > on:
        raise InvalidIdNumber(IdNumberProblem.BIRTH_DATE_IN_FUTURE, birth.isoformat())
    expected = check_character(body)
    if last != expected:
        raise InvalidIdNumber(IdNumberProblem.CHECK_DIGIT, expected)
    return ResidentId(
        number=number,
        region_code=number[:6],
        birth_date=birth,
        gender="M" if int(number[16]) % 2 else "F",
    )
