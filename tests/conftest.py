"""Shared fixtures: run an LP test once per solve strategy."""

from __future__ import annotations

import pytest

from tests import factory


@pytest.fixture(params=["full_lp", "column_generation"])
def strategy(request, monkeypatch) -> str:
    """Scenarios made by `tests.factory.scenario()` carry this `solve.strategy` (the test runs once per strategy)."""
    monkeypatch.setattr(factory, "SOLVE_STRATEGY", request.param)
    return request.param
