"""Warm-started scenario variants (`plan_variants`) give the same plans as planning each variant cold."""

from __future__ import annotations

import pytest

from optimizer import WarmStart, plan, plan_variants
from tests.factory import EXTRA, RICH_POLICY, random_dataset, scenario

STRATEGIES = ("full_lp", "column_generation")
#: The tests compare LP objectives, warm against cold; the whole-patient search after each solve (a
#: HiGHS model of its own, never the warm one) changes neither, so these scenarios skip it.
NO_SEARCH = {"whole_patient_search_seconds": 0}
#: Variants planned before the time limits are set (enough for the clock to pass a warm re-solve's
#: needs twice over; 5 are too few for column generation's small master), and variants planned with one.
UNLIMITED, LIMITED = 10, 5


def _capacity_sweep(strategy: str) -> list:
    factors = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.35, 1.5]
    return [
        scenario(
            6,
            name=f"factor-{f}",
            changes=[{"capacity": {"hospital_id": h, "factor": f}} for h in ("r0_county", "r1_county", "r2_county")],
            policy={"share_accepting_travel": 0.7},
            solve={"strategy": strategy, **NO_SEARCH},
        )
        for f in factors
    ]


def _numbers_only(strategy: str) -> list:
    """Budgets, agreement volumes, extra-capacity volumes and weights: costs, bounds and right-hand sides."""
    variants = []
    for k, (budget, minimum, extra_days, cost_weight) in enumerate(
        [(300_000, 2, 1, 1.0), (150_000, 1, 2, 0.2), (600_000, 3, 0.5, 3.0), (90_000, 0, 3, 0.0)]
    ):
        policy = {**RICH_POLICY, "budgets_sek": {"r1": budget}}
        policy["agreements"] = [{**RICH_POLICY["agreements"][0], "min_cases": minimum}]
        extra = [{"extra_capacity": {**EXTRA[0]["extra_capacity"], "theatre_days_per_week": extra_days}}]
        variants.append(
            scenario(
                6,
                name=f"numbers-{k}",
                policy=policy,
                changes=extra,
                weights={"cost_per_ksek": cost_weight},
                solve={"strategy": strategy, **NO_SEARCH},
            )
        )
    return variants


def _assert_same_plans(warm_results, variants, ds):
    for result, variant in zip(warm_results, variants, strict=True):
        cold = plan(variant, dataset=ds)
        assert result.scenario.name == variant.name
        assert result.objective == pytest.approx(cold.objective, rel=1e-6, abs=1e-6), variant.name
        assert result.lp.objective == pytest.approx(cold.lp.objective, rel=1e-6, abs=1e-6), variant.name


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("seed", range(3))
def test_a_capacity_factor_sweep_warm_equals_cold(seed, strategy):
    ds = random_dataset(seed, n_regions=4)
    variants = _capacity_sweep(strategy)
    results = list(plan_variants(variants, dataset=ds))
    assert [r.warm_started for r in results] == [False] + [True] * (len(variants) - 1)
    _assert_same_plans(results, variants, ds)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("seed", range(3))
def test_budget_agreement_extra_capacity_and_weight_variants_warm_equal_cold(seed, strategy):
    # Every variant has a plan on these seeds: one that became infeasible fails here (not skipped).
    ds = random_dataset(seed, n_regions=4)
    variants = _numbers_only(strategy)
    results = list(plan_variants(variants, dataset=ds))
    assert all(r.warm_started for r in results[1:])
    _assert_same_plans(results, variants, ds)


def test_a_variant_that_changes_the_structure_is_built_anew():
    # A travel limit changes which arcs exist: no basis can be reused, and the plan is still right.
    ds = random_dataset(1, n_regions=4)
    variants = [
        scenario(6, name="far", policy={"max_travel_km": 400}),
        scenario(6, name="near", policy={"max_travel_km": 60}),
        scenario(6, name="near-cheap", policy={"max_travel_km": 60}, weights={"cost_per_ksek": 0.0}),
    ]
    results = list(plan_variants(variants, dataset=ds))
    assert [r.warm_started for r in results] == [False, False, True]
    _assert_same_plans(results, variants, ds)


def test_warm_variants_start_from_the_basis_instead_of_from_scratch():
    # Not a timing: simplex iterations. A re-solve from the last basis needs far fewer than a cold
    # solve of the same variant (the master is not rebuilt or re-split into parts either).
    ds = random_dataset(2, n_regions=6, weeks=13)
    variants = [v.updated(horizon_weeks=13) for v in _capacity_sweep("column_generation")[4:7]]
    warm = list(plan_variants(variants, dataset=ds))[1:]
    cold = [plan(v, dataset=ds) for v in variants[1:]]
    assert all(r.warm_started for r in warm)
    assert sum(r.iterations for r in warm) < 0.5 * sum(r.iterations for r in cold)


def test_a_variant_that_adds_a_row_at_the_end_is_built_anew():
    # A budget for a region adds a row to the last row family: the matrix's entries can look the
    # same (no charged flow of that region), but the row count differs, so no model is reused.
    ds = random_dataset(0, n_regions=4)
    variants = [
        scenario(6, name="no-budget", policy={"max_travel_km": 1}),
        scenario(6, name="budget", policy={"max_travel_km": 1, "budgets_sek": {"r1": 100_000}}),
    ]
    results = list(plan_variants(variants, dataset=ds))
    assert [r.warm_started for r in results] == [False, False]
    _assert_same_plans(results, variants, ds)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_time_limit_applies_to_each_variant_not_to_the_sum_of_them(strategy):
    # HiGHS's run clock keeps counting over every re-solve of one model. After 10 variants it has
    # run for R seconds (the first, cold solve the most); 5 more variants with a limit of R / 2
    # each (far more than a warm re-solve needs, less than the clock already shows) must all solve.
    ds = random_dataset(3, n_regions=4)
    warm = WarmStart()

    def variant(k, **solve):
        return scenario(
            6, name=f"w{k}", weights={"cost_per_ksek": 0.01 * k}, solve={"strategy": strategy, **NO_SEARCH, **solve}
        )

    for k in range(UNLIMITED):
        plan(variant(k), dataset=ds, warm=warm)
    clock = warm.master.highs.getRunTime()
    for k in range(UNLIMITED, UNLIMITED + LIMITED):
        result = plan(variant(k, time_limit_seconds=clock / 2), dataset=ds, warm=warm)
        # a time limit hit raises SolveError; reaching here warm with the cold optimum is the point
        assert result.warm_started
        assert result.objective == pytest.approx(plan(variant(k), dataset=ds).objective, rel=1e-6)
    assert warm.master.highs.getRunTime() > clock / 2  # the model's clock went past each variant's limit
