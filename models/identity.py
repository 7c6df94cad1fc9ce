"""Detection of Swedish personal identity numbers (personnummer, samordningsnummer).

Patient ids in capplan must be pseudonymous. Anything shaped like a personal identity number is
rejected, and the error never echoes the value. The check is deliberately broad: ten or twelve
digits with an optional `-` or `+` before the last four, whose date part looks like a date
(coordination numbers add 60 to the day), anywhere in the id.
"""

from __future__ import annotations

import re

import pandas as pd

_PATTERN = re.compile(
    r"(?<!\d)"
    r"(?:(?:18|19|20)\d{2}|\d{2})"  # century (optional) + year
    r"(?:0[1-9]|1[0-2])"  # month
    r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"  # day, or day + 60 (samordningsnummer)
    r"[-+]?\d{4}"
    r"(?!\d)"
)


def looks_like_personal_number(value: str) -> bool:
    """True when `value` contains something shaped like a Swedish personal identity number."""
    return bool(_PATTERN.search(value))


def personal_number_mask(values: pd.Series) -> pd.Series:
    """Vectorised `looks_like_personal_number` over a series of strings."""
    return values.astype("string").fillna("").str.contains(_PATTERN, regex=True)
