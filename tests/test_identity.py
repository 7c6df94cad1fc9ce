"""Detection of Swedish personal identity numbers in patient ids (`models.identity`).

A personnummer is YYMMDD-NNNN (the `-` becomes `+` from the year the person turns 100), or
YYYYMMDDNNNN / YYYYMMDD-NNNN with the century; a samordningsnummer (coordination number) adds 60
to the day. Anything of that shape is rejected, wherever it stands inside the id.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.identity import looks_like_personal_number, personal_number_mask

PERSONAL_NUMBERS = [
    "19121212-1212",  # century, separator
    "121212-1212",  # short form
    "191212121212",  # century, no separator
    "1212121212",  # short form, no separator
    "19121212+1212",
    "121212+1212",  # + : the person is 100 or older
    "19121272-1212",  # samordningsnummer: day 12 + 60
    "121272-1212",
    "20240229-1234",  # this century, leap day
    "18991231-0000",
    "19000161-1234",  # coordination number on day 1 (61) ...
    "19001291-1234",  # ... and on day 31 (91)
    "P19121212-1212",  # embedded, with letters around
    "pat_121212-1212_x",
    "X-191212121212",
    "19121212-1212.",
]

PSEUDONYMOUS_IDS = [
    "P0012345",
    "X-2023-000123",
    "P000001",
    "ABC",
    "",
    "2023-000123",
    "P-12-34-56-7890",  # digit groups too short to form a date part
    "0012345678",  # ten digits, but month 23 and day 45 are no date
    "9913321234",  # ten digits, month 13
    "9912001234",  # ten digits, day 00
    "9912321234",  # ten digits, day 32 (and not a coordination day either)
    "9912921234",  # ten digits, day 92 = 32 + 60
    "991212121212",  # twelve digits without a century 18, 19 or 20 in front
    "12345678901234",  # a run of fourteen digits is no personal number
    "1912121212123",  # thirteen digits
    "21121212-1212",  # 8 + 4 digits, but 21 is no century
    "121212-123",  # too few final digits
    "121212--1212",  # doubled separator
]


@pytest.mark.parametrize("value", PERSONAL_NUMBERS)
def test_personal_numbers_are_detected(value):
    assert looks_like_personal_number(value)


@pytest.mark.parametrize("value", PSEUDONYMOUS_IDS)
def test_pseudonymous_ids_pass(value):
    assert not looks_like_personal_number(value)


def test_false_positives_are_accepted_on_purpose():
    # Trade-off: the check is shape-based and deliberately broad. Any run of exactly ten digits (or
    # twelve starting with 18/19/20) whose date part is a plausible date counts as a personal number,
    # even when it is an ordinary sequence number: about 7 % of random ten-digit runs pass month
    # 01-12 and day 01-31 or 61-91. Ids like these are rejected, and the fix is to pick an id scheme
    # that cannot collide (a letter prefix with seven or eight digits, or digit groups split by '-'),
    # which costs the data supplier little. Missing a real personal number would be a data
    # protection breach; rejecting a valid pseudonym is only an inconvenience with a clear message.
    # Likewise no control digit (Luhn) check is made: a mistyped personal number is still one.
    for value in ("P1201011234", "REF-2401151234", "X-20230115-0001", "ID0001011234", "1212121213"):
        assert looks_like_personal_number(value)
    # whereas longer digit runs are not mistaken for one (no match inside a longer run)
    assert not looks_like_personal_number("P00120101123400")


def test_mask_agrees_with_the_scalar_check():
    values = pd.Series([*PERSONAL_NUMBERS, *PSEUDONYMOUS_IDS, None], dtype=object)
    mask = personal_number_mask(values)
    expected = [looks_like_personal_number(v) for v in PERSONAL_NUMBERS + PSEUDONYMOUS_IDS] + [False]
    assert mask.astype(bool).tolist() == expected
    assert mask.index.equals(values.index)


def test_mask_on_string_dtype_and_empty_series():
    assert personal_number_mask(pd.Series(["19121212-1212", "P1"], dtype="string")).astype(bool).tolist() == [
        True,
        False,
    ]
    assert personal_number_mask(pd.Series([], dtype=str)).empty


#: Pieces of personal identity numbers and other text: joined, they make whole numbers, numbers
#: with text around them, and near misses.
_PIECES = st.sampled_from(["19121212", "121212", "-1212", "+1212", "1212", "7", "a", "\n", "-", "P"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(_PIECES, max_size=4).map("".join)), max_size=8))
def test_mask_agrees_with_the_scalar_check_on_random_ids(values):
    """The vectorised mask says what the scalar check says, value by value."""
    series = pd.Series(values, dtype=object)
    expected = [v is not None and looks_like_personal_number(v) for v in values]
    assert personal_number_mask(series).tolist() == expected
