"""The Pyomo path (strategy `full_lp`): Pyomo's standard-form compiler, then highspy.

What the compiler does differently from the model as built, each checked by hand: it leaves out
fixed variables (moved into the right-hand side) and variables in no row, and it splits a ranged
constraint into two rows whose duals must be added back together.
"""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from optimizer import plan, prepare
from optimizer.solvers.strategy import solve_instance
from tests.factory import ONLY_90, agreement_dataset, patients, scenario, single_hospital, weekly


def _three_over_90_two_days():
    # 3 patients waited 100 days, 2 theatre days at 1 case a day, 1 week: treating 2 leaves 1 over
    # 90 for the week, objective 7 (test_lp_hand_solved).
    return single_hospital(capacity=weekly("h", 2, 1), patients=patients("a", 3, 100))


def test_a_hook_row_is_part_of_the_lp():
    # The hook caps all flows at 1 patient: 2 stay over 90 for the week, objective 2 × 7 = 14.
    def at_most_one(built):
        built.model.cap = pyo.Constraint(expr=sum(built.model.y.values()) <= 1)

    result = plan(scenario(1, weights=ONLY_90), dataset=_three_over_90_two_days(), extra_functionality=at_most_one)
    assert result.strategy == "full_lp"
    assert result.objective == pytest.approx(14.0)
    assert result.lp.terms["treated"] == pytest.approx(1.0)


def test_a_fixed_variable_keeps_its_value():
    # Fixing the one flow at 0.5 leaves it out of the compiled LP; its value must still be 0.5:
    # 2.5 patients stay over 90, objective 17.5.
    def half_a_patient(built):
        assert len(built.model.y) == 1
        built.model.y[0].fix(0.5)

    result = plan(scenario(1, weights=ONLY_90), dataset=_three_over_90_two_days(), extra_functionality=half_a_patient)
    assert result.objective == pytest.approx(17.5)
    assert result.y.sum() == pytest.approx(0.5)
    assert result.lp.terms["treated"] == pytest.approx(0.5)


def test_a_ranged_agreement_has_one_dual_equal_to_the_cost_of_one_more_case():
    # test_lp_hand_solved: "a → hb" costs 100 km × 0.01 = 1 per patient sent. With 2 ≤ cases ≤ 3
    # the minimum binds; one more required case costs 1 more: the agreement's dual is 1 (HiGHS:
    # ∂objective/∂rhs), the same on both paths, although the compiled LP holds it as two rows.
    weights = {**ONLY_90, "waiting": 1, "travel_per_km": 0.01}

    def agreement(min_cases):
        policy = {
            "agreements": [
                {
                    "payer_region": "a",
                    "provider_hospital": "hb",
                    "procedure_id": "knee",
                    "min_cases": min_cases,
                    "max_cases": 3,
                }
            ]
        }
        return scenario(1, weights=weights, policy=policy)

    ds = agreement_dataset()
    duals = {}
    for strategy in ("full_lp", "column_generation"):
        inst = prepare(agreement(2), ds)
        _, solution = solve_instance(inst, strategy)
        duals[strategy] = solution.duals["agreements"]
    assert duals["full_lp"] == pytest.approx([1.0], rel=1e-6)
    assert duals["column_generation"] == pytest.approx([1.0], rel=1e-6)
    assert plan(agreement(3), dataset=ds).objective - plan(agreement(2), dataset=ds).objective == pytest.approx(1.0)


def test_a_hook_reads_flows_by_named_key():
    # Region a's knee patients (the factory's default: they accept travel, class mobile) have one flow, h in
    # 2025-W14. Capping that named flow at 1 leaves 2 of 3 over 90 for the week: 2 × 7 = 14.
    from optimizer import FlowKey

    key = FlowKey(
        "a", "h", "knee", "mobile", "h", "2025-W14"
    )  # region, listed hospital, procedure, class, hospital, week

    def cap_named_flow(built):
        assert list(built.flow) == [key]
        built.model.named_cap = pyo.Constraint(expr=built.flow[key] <= 1)

    result = plan(scenario(1, weights=ONLY_90), dataset=_three_over_90_two_days(), extra_functionality=cap_named_flow)
    assert result.objective == pytest.approx(14.0)
