"""What binds, hand-solved: idle theatre days, and days short where a full theatre leaves patients
over their limit."""

from __future__ import annotations

import pytest

from optimizer import plan
from presentation.capacity_pressure import theatre_pressure
from tests.factory import ONLY_90, patients, scenario, single_hospital, weekly


def pressure_of(theatre_days: float, waiting: int) -> list[dict]:
    dataset = single_hospital(capacity=weekly("h", theatre_days, 2), patients=patients("a", waiting, 100))
    table = theatre_pressure(plan(scenario(2, weights=ONLY_90), dataset=dataset))
    return table.sort_values("t")[["slack_days", "short_days", "pressure", "relative"]].to_dict("records")


def test_a_full_theatre_with_patients_over_the_limit_is_short():
    # 10 knee patients who had waited 100 days (over the 90-day limit), 1 knee per theatre day, 2 days
    # a week: week 1 treats 2, leaving 8 over the limit = 8 theatre days short, 8 / 2 = 4 weeks of
    # this theatre's days; week 2 treats 2 more: 6 days short, 3 weeks
    week_1, week_2 = pressure_of(2, 10)
    assert week_1 == pytest.approx({"slack_days": 0.0, "short_days": 8.0, "pressure": -8.0, "relative": -4.0})
    assert week_2 == pytest.approx({"slack_days": 0.0, "short_days": 6.0, "pressure": -6.0, "relative": -3.0})


def test_a_theatre_with_days_left_over_is_idle():
    # 20 days a week for 10 patients: week 1 treats all 10 and leaves 10 days idle (half the week's),
    # week 2 has nobody left: all 20 days idle
    week_1, week_2 = pressure_of(20, 10)
    assert week_1 == pytest.approx({"slack_days": 10.0, "short_days": 0.0, "pressure": 10.0, "relative": 0.5})
    assert week_2 == pytest.approx({"slack_days": 20.0, "short_days": 0.0, "pressure": 20.0, "relative": 1.0})
