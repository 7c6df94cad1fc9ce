"""Shared fixtures: run an LP test once per solve strategy."""

from __future__ import annotations

import pytest

import optimizer.solve_direct as solve_direct


@pytest.fixture(params=["full_lp", "column_generation"])
def strategy(request, monkeypatch) -> str:
    """Make `auto` choose this strategy for every model size (a test using it runs once per strategy)."""
    threshold = 0 if request.param == "column_generation" else 10**12
    monkeypatch.setattr(solve_direct, "COLUMN_GENERATION_FROM_FLOWS", threshold)
    return request.param
