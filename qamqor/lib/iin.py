"""IIN (persons) and BIN (organisations): 12 digits with a check digit (DESIGN.md section 8).

The 12th digit is the sum of the first 11 digits weighted 1..11, mod 11; if that is 10, the weights
3,4,5,6,7,8,9,10,11,1,2 are used instead; if it is 10 again the number cannot be valid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WEIGHTS_1 = tuple(range(1, 12))
WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


class InvalidNumber(ValueError):
    """Raised with a code that says why a 12-digit number was refused."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check_digit(first11: str) -> int | None:
    """The check digit for 11 digits, or None when no check digit can make the number valid."""
    digits = [int(c) for c in first11]
    total = sum(d * w for d, w in zip(digits, WEIGHTS_1)) % 11
    if total == 10:
        total = sum(d * w for d, w in zip(digits, WEIGHTS_2)) % 11
        if total == 10:
            return None
    return total


def normalise(value: str) -> str:
    """Strip spaces and dashes people type into numbers."""
    return "".join(ch for ch in str(value) if ch not in " -\u00a0\t")


def validate_checksum(value: str) -> str:
    """Return the 12 digits or raise InvalidNumber('length'|'digits'|'checksum')."""
    number = normalise(value)
    if len(number) != 12:
        raise InvalidNumber("length")
    if not number.isascii() or not number.isdigit():
        raise InvalidNumber("digits")
    expected = check_digit(number[:11])
    if expected is None or expected != int(number[11]):
        raise InvalidNumber("checksum")
    return number


@dataclass(frozen=True)
class IinFacts:
    birth_date: dt.date
    sex: str  # "M" or "F"


# 7th digit: 1/2 born 1800s, 3/4 1900s, 5/6 2000s; odd male, even female.
_CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}


def parse_iin(value: str) -> IinFacts:
    """Validate an IIN and read its birth date and sex; raises InvalidNumber('century'|'birth_date'|...)."""
    number = validate_checksum(value)
    century_digit = int(number[6])
    if century_digit not in _CENTURY:
        raise InvalidNumber("century")
    year = _CENTURY[century_digit] + int(number[0:2])
    try:
        born = dt.date(year, int(number[2:4]), int(number[4:6]))
    except ValueError:
        raise InvalidNumber("birth_date") from None
    return IinFacts(birth_date=born, sex="M" if century_digit % 2 else "F")


def validate_bin(value: str) -> str:
    """Validate a BIN: 12 digits, YYMM registration month, a legal-entity type digit 4-6, check digit;
    raises InvalidNumber('length'|'digits'|'checksum'|'month'|'entity_type')."""
    number = validate_checksum(value)
    month = int(number[2:4])
    if not 1 <= month <= 12:
        raise InvalidNumber("month")
    if number[4] not in "456":
        raise InvalidNumber("entity_type")
    return number


def make_iin(birth_date: dt.date, sex: str, serial: int) -> str | None:
    """Build a valid IIN for a date, sex and 4-digit serial (demo data and tests), or None if impossible."""
    century = (birth_date.year // 100) * 100
    base = {1800: 1, 1900: 3, 2000: 5}[century]
    digit7 = base if sex == "M" else base + 1
    first11 = f"{birth_date:%y%m%d}{digit7}{serial % 10000:04d}"
    cd = check_digit(first11)
    return None if cd is None else first11 + str(cd)


def make_bin(year: int, month: int, kind_digit: int, serial: int) -> str | None:
    """Build a valid BIN (registration year and month, type digit 4-6, serial), or None if impossible."""
    first11 = f"{year % 100:02d}{month:02d}{kind_digit}{serial % 1000000:06d}"
    cd = check_digit(first11)
    return None if cd is None else first11 + str(cd)
