"""Figures of the reliability suite (issue 8): counted by the tests, printed at the end of the session.

`record("fuzz cases", n)` adds `n` to a figure; `tests/reliability/conftest.py` prints every figure
in pytest's terminal summary, so each CI log states how many fuzz cases, malformed datasets, faults
and concurrent runs were tried.
"""

from __future__ import annotations

from collections import Counter

FIGURES: Counter[str] = Counter()


def record(name: str, count: int = 1) -> None:
    FIGURES[name] += count
