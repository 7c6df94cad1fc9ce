"""Five bugs found against an independent solver (issue 19), each with a test that failed before its fix.

The fifth, two extra-capacity offers at one hospital merged at the dearer price, is
tests/test_model_v2.py::test_two_extra_capacity_offers_are_bought_cheapest_first_at_their_own_prices.
"""

from __future__ import annotations

import pytest

from optimizer import InfeasibleScenarioError, plan, prepare
from tests.factory import ONLY_90, make_dataset, scenario, weekly


def one_hospital(**tables):
    return make_dataset(
        regions=["a"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}],
        **tables,
    )


@pytest.mark.parametrize("strategy", ["full_lp", "column_generation"])
def test_a_plan_with_nothing_to_plan_is_a_plan(strategy):
    # An empty waiting list and no forecast: no column, no row; the optimum is 0 (HiGHS says "empty")
    result = plan(
        scenario(2, weights=ONLY_90, solve={"strategy": strategy}), dataset=one_hospital(capacity=weekly("h", 1, 2))
    )
    assert result.objective == pytest.approx(0.0)
    assert result.lp.allocations.empty


def test_no_theatre_day_in_any_plan_week_plans_nobody_without_an_error():
    # Capacity rows of 0 days: nobody can be treated; 1 patient over 90 for 2 weeks: 7 × 1 × 2 = 14
    ds = one_hospital(capacity=weekly("h", 0, 2), patients=[{"region_id": "a", "procedure_id": "knee", "waited": 100}])
    result = plan(scenario(2, weights=ONLY_90), dataset=ds)
    assert result.objective == pytest.approx(14.0)
    assert result.lp.allocations.empty and result.integer.allocations.empty


def test_max_travel_km_zero_is_accepted_and_keeps_patients_at_the_listed_hospital():
    sc = scenario(1, weights=ONLY_90, policy={"max_travel_km": 0})
    assert sc.policy.max_travel_km == 0
    ds = one_hospital(capacity=weekly("h", 1, 1), patients=[{"region_id": "a", "procedure_id": "knee", "waited": 100}])
    assert plan(sc, dataset=ds).objective == pytest.approx(0.0)  # the listed hospital h treats the one patient


def test_an_empty_waiting_list_splits_new_decisions_half_travelling():
    # No backlog anywhere: DESIGN v2 splits the forecast 0.5 / 0.5 between classes. 2 decisions in
    # week 1 → 1 local and 1 mobile.
    ds = one_hospital(
        capacity=weekly("h", 1, 1),
        demand=[{"region_id": "a", "procedure_id": "knee", "week": "2025-W14", "expected_decisions": 2.0}],
    )
    inst = prepare(scenario(1), ds)
    by_class = dict(zip(inst.queues["class"], inst.arrived[:, 0], strict=True))
    assert by_class == pytest.approx({"local": 1.0, "mobile": 1.0})


def test_an_agreement_short_of_its_minimum_is_not_blamed_on_its_maximum():
    # Region a's 3 mobile patients; b's hospital hb has 1 theatre day (1 case). Agreement a → hb:
    # min 2, max 5. Only 1 case fits: the minimum is short by 1; the maximum (5) never binds.
    ds = make_dataset(
        regions=["a", "b"],
        hospitals=[{"hospital_id": "ha", "region_id": "a"}, {"hospital_id": "hb", "region_id": "b"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": h, "procedure_id": "knee"} for h in ("ha", "hb")],
        capacity=weekly("ha", 5, 1) + weekly("hb", 1, 1),
        patients=[{"region_id": "a", "procedure_id": "knee", "waited": 10, "accepts_travel": True} for _ in range(3)],
        prices=[{"procedure_id": "knee", "hospital_id": "hb", "price_sek": 1000}],
    )
    agreement = {"payer_region": "a", "provider_hospital": "hb", "procedure_id": "knee", "min_cases": 2, "max_cases": 5}
    with pytest.raises(InfeasibleScenarioError) as caught:
        plan(scenario(1, policy={"agreements": [agreement]}), dataset=ds)
    conflicts = caught.value.conflicts
    assert any("1.0 short of the minimum" in c for c in conflicts), conflicts
    assert not any(c.startswith("maximum of") for c in conflicts), conflicts
