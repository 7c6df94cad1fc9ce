"""The whole-patient plan's exchange step (`optimizer.results.cell_exchange`).

The hand-solved case (one hand patient traded for a knee) is in tests/test_whole_patient_search.py;
here: every exchanged plan keeps every constraint by the independent patient-by-patient evaluator,
is never worse than the rounding, keeps fixed flows and agreement minimums, and is undone when the
whole objective says the exchange was wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import evaluate_flows, plan
from optimizer.results import marginal_value
from optimizer.results.tables import plan_objective
from optimizer.results.whole_patient import agreement_shortfalls, integer_flows, integer_flows_with_stats
from tests.factory import RICH_POLICY, random_dataset, scenario


def _planned(seed: int):
    # budgets and an agreement with a minimum and a maximum (RICH_POLICY) make every row matter
    sc = scenario(6, policy=RICH_POLICY, solve={"whole_patient_search_seconds": 0, "whole_patient_exchange": True})
    return plan(sc, dataset=random_dataset(seed, n_regions=4))


@pytest.mark.parametrize("seed", range(4))
def test_exchanged_plans_keep_every_constraint_and_never_raise_the_objective(seed):
    result = _planned(seed)
    inst = result.instance
    assert result.whole_patient["exchanges"] > 0  # the step did something on this data
    rounded = integer_flows(inst, result.y, exchange=False)
    assert result.integer.objective < plan_objective(inst, rounded)[1]
    evaluation = evaluate_flows(inst.dataset, result.scenario, result.integer.allocations, base=inst.base)
    assert evaluation.violations.empty, evaluation.violations.head().to_dict("records")
    assert evaluation.objective == pytest.approx(result.integer.objective, rel=1e-9)
    assert agreement_shortfalls(inst, result.integer_y) == agreement_shortfalls(inst, rounded) == []


@pytest.mark.parametrize("seed", range(3))
def test_the_exchange_never_takes_a_patient_off_a_fixed_flow(seed):
    result = _planned(seed)
    inst = result.instance
    rounded = integer_flows(inst, result.y, exchange=False)
    free = integer_flows(inst, result.y)
    taken_off = np.nonzero(free < rounded)[0]
    assert len(taken_off)  # without bounds the exchange takes patients off these flows
    lower = np.zeros(len(rounded))
    lower[taken_off] = rounded[taken_off]
    bounded = integer_flows(inst, result.y, lower=lower)
    assert (bounded >= lower).all()


def test_an_exchange_the_whole_objective_rejects_is_undone(monkeypatch):
    # breach-days made to count as gains in the exchange's own reckoning: it then takes patients over
    # the guarantee off for patients who are not, and the whole objective, counted by the result
    # tables, sends the plan back to the one before the exchange
    result = _planned(0)
    inst = result.instance
    init = marginal_value.MarginalValue.__init__

    def misweighed(self, inst, room, whole, **options):
        init(self, inst, room, whole, **options)
        self.tier_weight = -self.tier_weight

    monkeypatch.setattr(marginal_value.MarginalValue, "__init__", misweighed)
    before_exchange = integer_flows(inst, result.y, exchange=False)
    whole, stats = integer_flows_with_stats(inst, result.y)
    assert stats.kept > 0 and stats.reverted
    np.testing.assert_array_equal(whole, before_exchange)
