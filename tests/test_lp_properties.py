"""Properties of the LP on random small datasets: monotonicity, weights, plan feasibility."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import plan, plan_standalone, prepare
from optimizer.model.formulation import formulate
from tests import reference_hinge
from tests.factory import random_dataset, scenario

SEEDS = range(6)


def _plan(ds, **fields):
    fields.setdefault("policy", {"max_travel_km": 250})
    return plan(scenario(6, **fields), dataset=ds)


def _flow_keys(result) -> set:
    flows = result.instance.flows
    keys = ["region_id", "listed_hospital_id", "procedure_id", "class", "hospital_id", "t"]
    return set(flows[keys].itertuples(index=False, name=None))


def _tolerance(*results) -> float:
    """What two optima may differ by from the solver's tolerances alone (objective units)."""
    return 1e-6 * max(1.0, *(abs(r.objective) for r in results))


# Monotonicity in a right-hand side. If every column of the base LP is also a column of the
# changed LP with the same bounds and costs, and every row keeps its coefficients with a right-hand
# side at least as loose, every feasible point of the base LP (padded with zeros for new columns)
# is feasible for the changed one at the same objective: its minimum can only be lower or equal.
# The tests assert that premise (the base flows are among the new ones) before the conclusion.


@pytest.mark.parametrize("seed", SEEDS)
def test_more_theatre_capacity_never_makes_the_optimum_worse(seed):
    # × 1.5 keeps which hospital-weeks have theatre time (0 stays 0), so the flows are the same
    # and only the theatre-day rows' right-hand sides grow.
    ds = random_dataset(seed)
    base = _plan(ds)
    more = _plan(ds.with_tables(capacity=ds.capacity.assign(theatre_days=ds.capacity["theatre_days"] * 1.5)))
    assert _flow_keys(base) == _flow_keys(more)
    assert more.objective <= base.objective + _tolerance(base)


@pytest.mark.parametrize("seed", SEEDS)
def test_more_bed_days_never_make_the_optimum_worse(seed):
    # + 5 bed-days loosens every bed-day row and opens inpatient flows in weeks that had none.
    ds = random_dataset(seed)
    base = _plan(ds)
    more = _plan(ds.with_tables(beds=ds.beds.assign(bed_days=ds.beds["bed_days"] + 5)))
    assert _flow_keys(base) <= _flow_keys(more)
    assert more.objective <= base.objective + _tolerance(base)


COST_WEIGHTS = (0.0, 0.1, 1.0, 5.0)  # per kSEK


@pytest.mark.parametrize("seed", SEEDS)
def test_a_higher_cost_weight_never_raises_the_cost_paid_nor_lowers_the_rest(seed):
    # Write the objective as R(x) + w·C(x), with C the SEK paid (price list + extra days) / 1000 and
    # R everything else (breach-days, waiting, travel), over a feasible set that does not depend on
    # w. Let x1 be optimal for w1 and x2 for w2 > w1 (any optima, ties or not). Optimality of each:
    #     R(x1) + w1·C(x1) ≤ R(x2) + w1·C(x2)   and   R(x2) + w2·C(x2) ≤ R(x1) + w2·C(x1).
    # Adding them: (w2 − w1)·(C(x2) − C(x1)) ≤ 0, so C(x2) ≤ C(x1); then the first gives
    # R(x2) ≥ R(x1). The optimum V(w) = R + w·C is non-decreasing (C ≥ 0) and, since x1 stays
    # feasible at w2, V(w2) ≤ V(w1) + (w2 − w1)·C(x1). (How many patients move is no such
    # theorem: with ties the optimum may send more patients at the same total price.)
    # Solver tolerances: each optimum may be off by ε, so the sum above is ≤ 2ε and C may rise by
    # at most 2ε / (w2 − w1).
    ds = random_dataset(seed)
    results = [_plan(ds, weights={"cost_per_ksek": w}) for w in COST_WEIGHTS]
    cost = [r.lp.terms["cost_sek"] / 1000 for r in results]  # kSEK: the unit the weight multiplies
    rest = [r.objective - w * c for r, w, c in zip(results, COST_WEIGHTS, cost, strict=True)]
    assert max(cost) > 0  # something is bought at some weight: the comparisons are not all 0 ≤ 0
    for k in range(len(COST_WEIGHTS) - 1):
        w1, w2 = COST_WEIGHTS[k], COST_WEIGHTS[k + 1]
        eps = _tolerance(results[k], results[k + 1])
        assert cost[k + 1] <= cost[k] + 2 * eps / (w2 - w1), (w1, w2)
        assert rest[k + 1] >= rest[k] - 2 * eps, (w1, w2)
        assert results[k + 1].objective >= results[k].objective - eps, (w1, w2)
        assert results[k + 1].objective <= results[k].objective + (w2 - w1) * cost[k] + eps, (w1, w2)


@pytest.mark.parametrize("seed", SEEDS)
def test_reported_objective_equals_the_terms_recomputed_from_the_flows(seed):
    result = _plan(random_dataset(seed))
    assert result.lp.objective == pytest.approx(result.objective, rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_plans_keep_every_capacity_and_queue_constraint(seed):
    result = _plan(random_dataset(seed), policy={"max_travel_km": 250, "budgets_sek": {"r1": 200_000}})
    for tables, y in ((result.lp, result.y), (result.integer, result.integer_y)):
        theatre = tables.theatre_use
        assert (theatre["used_days"] <= theatre["theatre_days"] + theatre["extra_days"] + 1e-6).all()
        beds = tables.bed_use
        assert (beds["used_bed_days"] <= beds["bed_days"] + 1e-6).all()
        assert (tables.region_kpis["waiting"] >= -1e-6).all()
        paid = y * result.instance.flows["price_sek"].to_numpy() * result.instance.flows["charged"].to_numpy()
        assert paid[result.instance.flows["region_id"].to_numpy() == "r1"].sum() <= 200_000 + 1e-3
    assert np.allclose(result.integer_y, np.round(result.integer_y))


@pytest.mark.parametrize("seed", SEEDS)
def test_integer_plan_is_short_of_the_lp_only_where_no_whole_patient_fits(seed):
    # Rounding can lose patients where rows saturate at fractional patient counts (e.g. 8 bed-days at
    # 2.5 per case = 3.2 patients a week). A queue whose integer total is a whole patient or more below
    # the LP's must have no flow column left with room for one more patient; room is measured here
    # from the integer plan's own utilisation tables, independently of the rounding code. (The
    # rounding alone: HiGHS's search may leave room where one more patient would cost more than it saves.)
    result = _plan(random_dataset(seed), solve={"strategy": "auto", "whole_patient_search_seconds": 0})
    inst = result.instance
    flows = inst.flows
    queue = flows["group"].to_numpy()  # rounding keeps each flow group's total
    lp_totals = np.bincount(queue, weights=result.y, minlength=len(inst.groups))
    int_totals = np.bincount(queue, weights=result.integer_y, minlength=len(inst.groups))
    theatre = result.integer.theatre_use.set_index(["hospital_id", "specialty", "t"])
    theatre_room = theatre["theatre_days"] + theatre["extra_days_used"] - theatre["used_days"]
    beds = result.integer.bed_use.set_index(["hospital_id", "t"])
    bed_room = beds["bed_days"] - beds["used_bed_days"]
    treated = np.zeros(inst.group_arrived.shape)
    np.add.at(treated, (queue, flows["t"].to_numpy() - 1), result.integer_y)
    queue_room = inst.group_arrived - np.cumsum(treated, axis=1)
    short = np.nonzero(int_totals <= lp_totals - 1 + 1e-9)[0]
    for q in short:
        for f in flows.index[queue == q]:
            row = flows.loc[f]
            fits_theatre = theatre_room[(row.hospital_id, row.specialty, row.t)] >= 1 / row.rate - 1e-6
            fits_beds = row.bed_days_per_case == 0 or bed_room.get((row.hospital_id, row.t), 0) >= (
                row.bed_days_per_case - 1e-6
            )
            fits_queue = (queue_room[q, row.t - 1 :] >= 1 - 1e-6).all()
            assert not (fits_theatre and fits_beds and fits_queue), f"queue {q} could take a patient on flow {f}"
    # the LP is a relaxation of the integer plan: rounding can never improve the objective
    assert result.integer.objective >= result.objective - 1e-6 * max(1.0, abs(result.objective))


def _segments_and_hinge(inst, region_limits=None) -> tuple[float, float]:
    segments = reference_hinge.solve(formulate(inst, region_limits=region_limits))
    hinge = reference_hinge.solve(reference_hinge.formulate_hinge(inst, region_limits=region_limits))
    assert segments[0] == hinge[0] == "Optimal"
    return segments[1], hinge[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_segment_and_hinge_forms_of_the_breach_costs_have_the_same_optimum(seed):
    # The engine's segment form and the design's literal hinge rows N ≥ B − S (the reference in
    # tests/reference_hinge.py) are two exact formulations of the same LP: their optima agree.
    sc = scenario(6, policy={"max_travel_km": 250, "budgets_sek": {"r1": 300_000}}, weights={"over_365": 3.0})
    segments, hinge = _segments_and_hinge(prepare(sc, random_dataset(seed)))
    assert segments == pytest.approx(hinge, rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("seed", [1, 4])
def test_segment_and_hinge_forms_agree_when_no_region_may_be_worse_off(seed):
    # Each region's weighted breach-days capped at its standalone value (as `plan` does for policy
    # no_region_worse_off): both forms state the cap their own way and reach the same optimum. On
    # these seeds the cap binds (it raises the optimum), so the cap rows are what is compared.
    sc = scenario(6, policy={"max_travel_km": 250}, weights={"over_365": 3.0})
    ds = random_dataset(seed)
    alone = plan_standalone(sc, dataset=ds).lp.region_totals.set_index("region_id")["weighted_breach_days"]
    limits = {region: value * (1 + 1e-6) + 1e-6 for region, value in alone.items()}
    inst = prepare(sc, ds)
    free, _ = _segments_and_hinge(inst)
    segments, hinge = _segments_and_hinge(inst, region_limits=limits)
    assert segments > free + 1.0  # measured: 338.0 → 346.0 (seed 1), 147.0 → 167.1 (seed 4)
    assert segments == pytest.approx(hinge, rel=1e-7, abs=1e-6)
