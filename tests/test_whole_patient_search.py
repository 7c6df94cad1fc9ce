"""The whole-patient plan: rounding, then HiGHS's search over the LP's arcs (`whole_patient_search`)."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import plan
from optimizer.model.formulation import formulate
from optimizer.results.tables import plan_objective
from optimizer.results.whole_patient import integer_flows
from optimizer.solvers.whole_patient_search import search_whole_patient_plan
from tests.factory import RICH_POLICY, make_dataset, patients, random_dataset, scenario, weekly

#: 1 per patient-day over 90 and 1 more per patient-day over 180; nothing else.
OVER_90_AND_180 = {"over_90": 1, "over_180": 1, "over_365": 0, "waiting": 0, "cost_per_ksek": 0, "travel_per_km": 0}


def _knees_and_hands():
    """One hospital, one week, 1.15 orthopaedic theatre days. 3 knee patients (2 a day: 0.5 day each)
    who have waited 200 days, 4 hand patients (5 a day: 0.2 day each) who have waited 100 days."""
    return make_dataset(
        regions=["a"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[
            {"procedure_id": "knee", "cases_per_theatre_day": 2.0},
            {"procedure_id": "hand", "cases_per_theatre_day": 5.0},
        ],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}, {"hospital_id": "h", "procedure_id": "hand"}],
        capacity=weekly("h", 1.15, 1),
        patients=patients("a", 3, 200, "knee") + patients("a", 4, 100, "hand"),
    )


def _plan(search_seconds: float, dataset, exchange: bool = False, **fields):
    solve = {"strategy": "auto", "whole_patient_search_seconds": search_seconds, "whole_patient_exchange": exchange}
    return plan(scenario(fields.pop("weeks", 1), solve=solve, **fields), dataset=dataset)


def test_the_exchange_trades_a_hand_patient_for_the_knee_the_rounding_leaves_out():
    # At the end of the week a waiting knee patient (207 days) costs 7 × (1 + 1) = 14, a hand patient
    # (107 days) 7 × 1 = 7. Per theatre day a hand patient saves 7 / 0.2 = 35, a knee 14 / 0.5 = 28.
    # LP: 4 hands (0.8 day), then 0.35 / 0.5 = 0.7 knee: 14 × (3 − 0.7) = 32.2.
    # Rounding and fill: 4 hands and no knee (0.35 day left, a knee needs 0.5): 14 × 3 = 42.
    # Exchange: one hand off (+7) frees 0.2 + 0.35 = 0.55 day, a knee fits (−14): 42 + 7 − 14 = 35,
    # which is the best whole-patient plan (1 knee + 3 hands = 1.1 days ≤ 1.15; 2 knees = 1.0 day
    # leave room for no hand, 14 + 28 = 42; 4 hands leave no room for a knee, 42).
    result = _plan(0, _knees_and_hands(), exchange=True, weights=OVER_90_AND_180)
    assert result.objective == pytest.approx(32.2)
    rounded = integer_flows(result.instance, result.y, exchange=False)
    assert plan_objective(result.instance, rounded)[1] == pytest.approx(42.0)
    assert result.integer.objective == pytest.approx(35.0)
    assert result.whole_patient["method"] == "rounding" and result.whole_patient["exchanges"] == 1
    treated = result.integer.allocations.groupby("procedure_id")["patients"].sum()
    assert treated.to_dict() == {"hand": 3.0, "knee": 1.0}
    headline = result.headline()
    assert headline["objective"] == pytest.approx(35.0) and headline["lp_bound"] == pytest.approx(32.2)


def test_the_search_finds_the_best_whole_patient_plan_from_the_rounding():
    # The same case (arithmetic above): started from the rounding without the exchange (42), HiGHS's
    # search over the LP's arcs finds the best plan, 35, and proves it.
    result = _plan(0, _knees_and_hands(), weights=OVER_90_AND_180)
    rounded = integer_flows(result.instance, result.y, exchange=False)
    search = search_whole_patient_plan(formulate(result.instance), result.y, rounded, 10)
    assert plan_objective(result.instance, search.flows)[1] == pytest.approx(35.0)
    assert search.bound == pytest.approx(35.0, abs=0.05)
    assert result.integer.objective == pytest.approx(42.0)  # the rounding is what a plan hands out
    searched = _plan(10, _knees_and_hands(), weights=OVER_90_AND_180)  # in a plan, without the exchange
    assert searched.integer.objective == pytest.approx(35.0)
    assert searched.whole_patient["method"] == "search"
    # with the exchange the search starts from its 35: nothing better to find, the bound proves it
    exchanged = _plan(10, _knees_and_hands(), exchange=True, weights=OVER_90_AND_180)
    assert exchanged.integer.objective == pytest.approx(35.0)
    assert exchanged.whole_patient["method"] == "rounding"
    assert exchanged.whole_patient["whole_patient_bound"] == pytest.approx(35.0, abs=0.05)


@pytest.mark.parametrize("seed", range(4))
def test_the_search_is_never_worse_than_the_rounding_and_keeps_every_constraint(seed):
    dataset = random_dataset(seed, n_regions=4)
    rounding = _plan(0, dataset, weeks=6, policy=RICH_POLICY)
    searched = _plan(10, dataset, weeks=6, policy=RICH_POLICY)
    tolerance = 1e-6 * max(1.0, abs(rounding.integer.objective))
    assert searched.objective == pytest.approx(rounding.objective, rel=1e-9)  # the same LP
    assert searched.objective - tolerance <= searched.integer.objective <= rounding.integer.objective + tolerance
    bound = searched.whole_patient["whole_patient_bound"]
    assert bound is None or searched.objective - tolerance <= bound <= searched.integer.objective + tolerance
    y = searched.integer_y
    assert np.array_equal(y, np.round(y)) and (y >= 0).all()
    tables = searched.integer
    assert (
        tables.theatre_use["used_days"] <= tables.theatre_use["theatre_days"] + tables.theatre_use["extra_days"] + 1e-6
    ).all()
    assert (tables.bed_use["used_bed_days"] <= tables.bed_use["bed_days"] + 1e-6).all()
    assert (tables.region_kpis["waiting"] >= -1e-6).all()
    flows = searched.instance.flows
    paid = y * flows["price_sek"].to_numpy() * flows["charged"].to_numpy()
    assert paid[flows["region_id"].to_numpy() == "r1"].sum() <= RICH_POLICY["budgets_sek"]["r1"] + 1e-3
    agreement = RICH_POLICY["agreements"][0]
    from_r0_to_r1 = (flows["region_id"] == "r0") & (flows["provider_region"] == "r1")
    assert y[from_r0_to_r1.to_numpy()].sum() <= agreement["max_cases"]
