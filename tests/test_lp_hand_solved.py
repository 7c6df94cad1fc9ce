"""Tiny LPs whose optimum is worked out by hand in each test.

Conventions: plan start D0 = 2025-03-31 (2025-W14); week t ends at E_t = D0 + 7t. A patient who had
waited w days at D0 has waited w + 7t days at the end of week t. Breach-days = 7 × patients over the
threshold at the end of each week. Unless a test says otherwise the weights are over_90 = 1 and
everything else 0, so the objective is 7 × (patients over 90 summed over week ends).
"""

from __future__ import annotations

import pytest

from models import ScenarioError
from models.weeks import week_labels
from optimizer import InfeasibleScenarioError, plan
from tests.factory import (
    ONLY_90,
    START_WEEK,
    agreement_dataset,
    allocated,
    make_dataset,
    patients,
    scenario,
    single_hospital,
    weekly,
)

#: Every hand-solved case runs twice: Pyomo full LP and column generation must both find the optimum.
pytestmark = pytest.mark.usefixtures("strategy")


def test_one_queue_one_hospital_treats_up_to_capacity():
    # 3 patients waited 100 days, 2 theatre days at 1 case/day, 1 week: all 3 are over 90 at E_1
    # (100 + 7 = 107 > 90). 2 days × 1 case/day = 2 treated; 3 − 2 = 1 left over 90 for the week:
    # objective = breach_days_90 = 7 × 1 = 7.
    ds = single_hospital(
        capacity=weekly("h", 2, 1),
        patients=patients("a", 3, 100),
    )
    result = plan(scenario(1, weights=ONLY_90), dataset=ds)
    assert result.objective == pytest.approx(7.0)
    assert result.lp.terms["treated"] == pytest.approx(2.0)
    assert result.lp.terms["breach_days_90"] == pytest.approx(7.0)


def test_patients_under_threshold_cost_nothing_until_they_cross_it():
    # Waited 80 days: 87 at E_1 (not over), 94 at E_2 (over). No capacity: 7 × (0 + 1) = 7.
    ds = single_hospital(
        capacity=weekly("h", 0, 2),
        patients=patients("a", 1, 80),
    )
    result = plan(scenario(2, weights=ONLY_90), dataset=ds)
    assert result.objective == pytest.approx(7.0)


def test_two_regions_share_one_hospital_and_the_longer_waiting_go_first():
    # Hospital h in region a, 2 cases in week 1. Region a: 2 patients waited 200 days (over 90 and
    # 180: weight 2 each). Region b: 2 mobile patients waited 100 days (over 90: weight 1 each).
    # Treat a's two: objective 7 × (b's 2 × 1) = 14; treating b's instead would give 7 × 2 × 2 = 28.
    weights = {**ONLY_90, "over_180": 1}
    ds = make_dataset(
        regions=["a", "b"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}],
        capacity=weekly("h", 2, 1),
        patients=patients("a", 2, 200) + patients("b", 2, 100),
        prices=[{"procedure_id": "knee", "hospital_id": "h", "price_sek": 100_000}],
    )
    result = plan(scenario(1, weights=weights), dataset=ds)
    assert result.objective == pytest.approx(14.0)
    assert allocated(result, region_id="a") == pytest.approx(2.0)
    assert allocated(result, region_id="b") == pytest.approx(0.0)


def test_bed_days_bind_before_theatre_days():
    # 10 theatre days at 1 case/day, but 5 bed-days and 2.5 bed-days per case: at most
    # 5 / 2.5 = 2 patients, using 2 × 2.5 = 5 bed-days. 4 over 90 − 2 treated = 2 remain:
    # objective 7 × 2 = 14.
    ds = single_hospital(
        bed_days_per_case=2.5,
        capacity=weekly("h", 10, 1),
        beds=weekly("h", 5, 1, specialty=None),
        patients=patients("a", 4, 100),
    )
    result = plan(scenario(1, weights=ONLY_90), dataset=ds)
    assert result.objective == pytest.approx(14.0)
    assert result.lp.bed_use["used_bed_days"].sum() == pytest.approx(5.0)


def test_budget_limits_purchases_from_another_region():
    # Region b has no hospital; its 3 mobile patients (over 90) can go to h in region a at 100,000 SEK.
    # Budget 150,000 SEK buys 150,000 / 100,000 = 1.5 patients (cost weight 0: the whole budget is
    # spent, cost_sek = 150,000): 3 − 1.5 = 1.5 remain over 90 → objective 7 × 1.5 = 10.5.
    ds = make_dataset(
        regions=["a", "b"],
        hospitals=[{"hospital_id": "h", "region_id": "a"}],
        procedures=[{"procedure_id": "knee"}],
        capabilities=[{"hospital_id": "h", "procedure_id": "knee"}],
        capacity=weekly("h", 10, 1),
        patients=patients("b", 3, 100),
        prices=[{"procedure_id": "knee", "hospital_id": "h", "price_sek": 100_000}],
    )
    result = plan(scenario(1, weights=ONLY_90, policy={"budgets_sek": {"b": 150_000}}), dataset=ds)
    assert result.objective == pytest.approx(10.5)
    assert result.lp.terms["cost_sek"] == pytest.approx(150_000)
    # the integer plan keeps the budget: only 1 whole patient fits, 1 × 100,000 SEK
    assert result.integer.terms["cost_sek"] == pytest.approx(100_000)


def test_agreement_forces_a_transfer():
    # Weights: waiting 1 (each untreated patient costs 7 per week), travel 0.01 per km.
    # Without an agreement all 3 are treated at home in week 1 (10 days at ha): no breach, no one
    # waiting, no km → objective 0 (travel would cost 100 km × 0.01 = 1 per patient sent to hb).
    # With "a → hb min 2 cases" exactly 2 go to hb (more would cost 1 each for nothing):
    # 2 × 100 km = 200 patient-km, objective 200 × 0.01 = 2.
    weights = {**ONLY_90, "waiting": 1, "travel_per_km": 0.01}
    free = plan(scenario(1, weights=weights), dataset=agreement_dataset())
    assert allocated(free, hospital_id="hb") == pytest.approx(0.0)
    assert free.objective == pytest.approx(0.0, abs=1e-6)
    bound = plan(
        scenario(
            1,
            weights=weights,
            policy={
                "agreements": [{"payer_region": "a", "provider_hospital": "hb", "procedure_id": "knee", "min_cases": 2}]
            },
        ),
        dataset=agreement_dataset(),
    )
    assert allocated(bound, hospital_id="hb") == pytest.approx(2.0)
    assert bound.lp.terms["patient_km"] == pytest.approx(200.0, rel=1e-3)
    assert bound.objective == pytest.approx(2.0, rel=1e-3)


def test_agreement_above_capacity_is_explained_by_name():
    # hb has 1 theatre day (1 case) but the agreement asks for 2: infeasible, 2 − 1 = 1.0 short,
    # and the message names the agreement and hb's theatre days.
    ds = agreement_dataset()
    ds = ds.with_tables(
        capacity=ds.capacity.assign(theatre_days=ds.capacity["hospital_id"].map({"ha": 10.0, "hb": 1.0}))
    )
    sc = scenario(
        1, weights=ONLY_90, policy={"agreements": [{"payer_region": "a", "provider_hospital": "hb", "min_cases": 2}]}
    )
    with pytest.raises(InfeasibleScenarioError) as caught:
        plan(sc, dataset=ds)
    text = str(caught.value)
    assert "agreement 1 (a → hb" in text
    assert "1.0 short" in text
    assert "theatre days at hb/orthopaedics" in text


def test_extra_capacity_is_bought_when_breaches_cost_more():
    # 3 patients over 90, 1 theatre day of own capacity, up to 2 extra days at 10,000 SEK each.
    # Weight cost 0.1 per kSEK → an extra day costs 10 kSEK × 0.1 = 1 objective unit; a patient
    # left over 90 costs 7. Buy 3 − 1 = 2 days, treat all 3: objective = 2 × 1 = 2, cost_sek =
    # 2 × 10,000 = 20,000 (home hospital: no price-list payment).
    ds = single_hospital(
        capacity=weekly("h", 1, 1),
        patients=patients("a", 3, 100),
    )
    sc = scenario(
        1,
        weights={**ONLY_90, "cost_per_ksek": 0.1},
        changes=[
            {
                "extra_capacity": {
                    "hospital_id": "h",
                    "specialty": "orthopaedics",
                    "theatre_days_per_week": 2,
                    "cost_per_day_sek": 10_000,
                }
            }
        ],
    )
    result = plan(sc, dataset=ds)
    assert result.objective == pytest.approx(2.0)
    assert result.lp.terms["cost_sek"] == pytest.approx(20_000)


def test_forecast_decisions_cross_90_days_in_week_14():
    # Forecast decisions of week s are dated D0 + 7(s−1) + 3. Week 1's are over 90 at the end of week t
    # when 3 < 7t − 90, i.e. t ≥ 14 (7·13 − 90 = 1 < 3). 1 decision, no capacity, 14 weeks:
    # breach-days = 7 × 1 (week 14 only). Weeks 2-14 forecast no decision (rows of 0).
    ds = single_hospital(
        capacity=weekly("h", 0, 14),
        demand=[
            {"region_id": "a", "procedure_id": "knee", "week": w, "expected_decisions": 1.0 if t == 0 else 0.0}
            for t, w in enumerate(week_labels(START_WEEK, 14))
        ],
    )
    result = plan(scenario(14, weights=ONLY_90, policy={"share_accepting_travel": 0.5}), dataset=ds)
    assert result.lp.terms["breach_days_90"] == pytest.approx(7.0)
    kpis = result.lp.region_kpis.set_index("t")
    assert kpis.loc[13, "over_90"] == pytest.approx(0.0)  # 7·13 − 90 = 1 < 3: not yet over
    assert kpis.loc[14, "over_90"] == pytest.approx(1.0)  # 7·14 − 90 = 8 > 3: the 1 decision is over


def test_shadow_price_matches_one_more_theatre_day():
    # 5 patients over 90, 2 theatre days: objective 7 × (5 − 2) = 21. Each extra day treats one
    # more patient and saves 7: with 3 days 7 × (5 − 3) = 14, and 21 − 14 = 7 is the shadow price.
    ds = single_hospital(
        capacity=weekly("h", 2, 1),
        patients=patients("a", 5, 100),
    )
    result = plan(scenario(1, weights=ONLY_90), dataset=ds)
    prices = result.shadow_prices
    saving = float(prices.loc[prices["resource"] == "theatre_days", "saving_per_extra_day"].iloc[0])
    more = plan(scenario(1, weights=ONLY_90), dataset=ds.with_tables(capacity=ds.capacity.assign(theatre_days=3.0)))
    assert saving == pytest.approx(7.0)
    assert result.objective - more.objective == pytest.approx(saving)


def test_a_plan_window_the_forecast_misses_is_refused_and_a_zero_forecast_plans_the_backlog_only():
    # Demand exists only after the window (week 2025-W30; the plan covers W14-W15): the data does not
    # describe the plan's weeks, so no plan is made (models.plan_weeks). With rows of 0 in the window
    # no forecast arrives and the backlog alone is planned. 2 patients over 90, 1 theatre day a week
    # at 1 case/day: week 1 leaves 1 over 90 (7 breach-days), week 2 none. Objective 7.
    later = [{"region_id": "a", "procedure_id": "knee", "week": "2025-W30", "expected_decisions": 5.0}]
    tables = {"capacity": weekly("h", 1, 2), "patients": patients("a", 2, 100)}
    with pytest.raises(ScenarioError, match="no rows in demand.csv for 2025-W14..2025-W15"):
        plan(scenario(2, weights=ONLY_90), dataset=single_hospital(**tables, demand=later))
    zero = [
        {"region_id": "a", "procedure_id": "knee", "week": w, "expected_decisions": 0.0}
        for w in ("2025-W14", "2025-W15")
    ]
    result = plan(scenario(2, weights=ONLY_90), dataset=single_hospital(**tables, demand=zero + later))
    assert result.objective == pytest.approx(7.0)
