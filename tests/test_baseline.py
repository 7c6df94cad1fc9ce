"""The standalone baseline and the no-region-worse-off policy."""

from __future__ import annotations

import pytest

from optimizer import collaboration_value, plan, plan_standalone
from optimizer.evaluation import evaluate_flows
from tests.factory import random_dataset, scenario

SEEDS = range(4)


@pytest.mark.parametrize("seed", SEEDS)
def test_standalone_moves_no_patient_across_regions(seed):
    result = plan_standalone(scenario(6), dataset=random_dataset(seed))
    allocations = result.lp.allocations
    provider = result.instance.dataset.hospitals.set_index("hospital_id")["region_id"]
    assert (allocations["hospital_id"].map(provider) == allocations["region_id"]).all()
    assert result.lp.region_totals["treated_elsewhere"].sum() == pytest.approx(0.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_joint_plan_is_never_worse_in_total_than_standalone(seed):
    ds = random_dataset(seed)
    joint, alone = plan(scenario(6), dataset=ds), plan_standalone(scenario(6), dataset=ds)
    # the standalone plan is feasible for the joint LP, so the joint optimum is at most its value
    assert joint.objective <= alone.objective + 1e-6 * max(1.0, abs(alone.objective))
    table = collaboration_value(joint, alone).set_index("region_id")
    # the total, against the evaluator's patient-by-patient replay of each plan's flows, weighted by hand
    w = joint.scenario.weights
    for plan_result, column in ((joint, "joint_weighted_breach_days"), (alone, "standalone_weighted_breach_days")):
        days = evaluate_flows(ds, plan_result.scenario, plan_result.lp.allocations).breach_days
        weighted = w.over_90 * days[90] + w.over_180 * days[180] + w.over_365 * days[365]
        assert table.loc["total", column] == pytest.approx(weighted, rel=1e-6), column


@pytest.mark.parametrize("seed", SEEDS)
def test_no_region_worse_off_caps_every_region_at_its_standalone_value(seed):
    ds = random_dataset(seed)
    fair = plan(scenario(6, policy={"no_region_worse_off": True}), dataset=ds)
    alone = fair.standalone
    assert alone is not None
    joint = fair.lp.region_totals.set_index("region_id")["weighted_breach_days"]
    limit = alone.lp.region_totals.set_index("region_id")["weighted_breach_days"]
    for region, value in joint.items():
        assert value <= limit[region] * (1 + 1e-5) + 1e-4
    unconstrained = plan(scenario(6), dataset=ds)
    # a constraint can only make the optimum worse (or equal)
    assert fair.objective >= unconstrained.objective - 1e-6 * max(1.0, abs(unconstrained.objective))
