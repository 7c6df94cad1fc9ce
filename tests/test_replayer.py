"""The Replayer (draw-invariant parts of the evaluator prepared once) gives exactly evaluate_flows' replay."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pandas as pd
import pytest

from models.simulation_settings import OfferAcceptance, SimulationSettings
from optimizer import evaluate_flows, plan
from optimizer.evaluation import FLOW_COLUMNS, Replayer
from optimizer.evaluation.fifo import planned_patients, simulate
from optimizer.simulation.draws import draw_demand
from optimizer.simulation.plan_replay import planned_scenario, replay_draw
from tests.factory import random_dataset, scenario
from tests.reference_fifo import simulate_every_item

#: Every source of randomness on, offers declined often enough to matter in a 6-week plan.
RANDOM = SimulationSettings(
    acceptance=OfferAcceptance(midpoint_km=30), cancellation_rate={"orthopaedics": 0.2}
).model_dump()


def _with_priorities(dataset, seed: int):
    """The dataset with two priorities (urgent 30 days, 30 % of demand; routine 90 days), drawn per patient:
    queues of one group then differ in limit, so the FIFO order mixes them by deadline."""
    priorities = pd.DataFrame(
        {
            "priority_id": ["urgent", "routine"],
            "name_sv": ["Akut", "Rutin"],
            "max_wait_days": [30.0, 90.0],
            "demand_share": [0.3, 0.7],
        }
    )
    rng = np.random.default_rng(seed)
    waiting = dataset.waiting_list.assign(
        priority=np.where(rng.random(len(dataset.waiting_list)) < 0.3, "urgent", "routine").astype(object)
    )
    return dataset.with_tables(priorities=priorities, waiting_list=waiting)


def _planned(seed: int, priorities: bool = False, **simulation):
    dataset = random_dataset(seed, weeks=6)
    if priorities:
        dataset = _with_priorities(dataset, seed)
    sc = scenario(6, policy={"max_travel_km": 300}, simulation=simulation or RANDOM)
    result = plan(sc, dataset=dataset)
    return result, planned_scenario(result)


@pytest.mark.parametrize(("seed", "priorities"), [(3, False), (11, False), (5, True)])
def test_a_draw_through_the_replayer_equals_the_draw_through_evaluate_flows_exactly(seed, priorities):
    _, planned = _planned(seed, priorities)
    for draw in np.random.SeedSequence(seed).spawn(4):
        new = replay_draw(planned, draw)
        old = replay_draw(planned, draw, evaluator="evaluate_flows")
        pd.testing.assert_frame_equal(new, old, check_exact=True)
        assert new["treated"].sum() > 0  # a replay that treats nobody would prove nothing


@pytest.mark.parametrize("seed", [3, 7])
def test_the_replay_equals_evaluate_flows_queues_for_lp_flows_and_drawn_demand(seed):
    result, planned = _planned(seed, priorities=True)
    inst = result.instance
    replayer = Replayer(inst.dataset, inst.scenario, base=inst.base)
    rng = np.random.default_rng(seed)
    demand = draw_demand(inst.dataset.demand, SimulationSettings(), rng)
    assert not demand["expected_decisions"].equals(inst.dataset.demand["expected_decisions"])
    # the LP's fractional flows and the whole-patient flows, each with the forecast and a drawn demand
    for flows in (result.lp.allocations, result.integer.allocations):
        for table in (inst.dataset.demand, demand):
            replay = replayer.replay(flows[FLOW_COLUMNS], table)
            evaluation = evaluate_flows(inst.dataset.with_tables(demand=table), inst.scenario, flows, base=inst.base)
            pd.testing.assert_frame_equal(replay.queues, evaluation.queues, check_exact=True)
            expected = evaluation.violations[evaluation.violations["family"] == "queue"].reset_index(drop=True)
            pd.testing.assert_frame_equal(replay.violations, expected, check_dtype=False)


def test_flows_beyond_the_arrived_patients_are_the_same_queue_violations():
    result, _ = _planned(3)
    inst = result.instance
    # three times the plan: more than has arrived somewhere, so evaluate_flows reports `queue` rows
    tripled = result.integer.allocations.assign(patients=lambda f: 3 * f["patients"])
    replay = Replayer(inst.dataset, inst.scenario, base=inst.base).replay(tripled[FLOW_COLUMNS], inst.dataset.demand)
    evaluation = evaluate_flows(inst.dataset, inst.scenario, tripled, base=inst.base)
    expected = evaluation.violations[evaluation.violations["family"] == "queue"].reset_index(drop=True)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(replay.violations, expected, check_dtype=False)
    pd.testing.assert_frame_equal(replay.queues, evaluation.queues, check_exact=True)


def test_a_pickled_replayer_replays_the_same():
    result, _ = _planned(11)
    inst = result.instance
    replayer = Replayer(inst.dataset, inst.scenario, base=inst.base)
    flows = result.integer.allocations[FLOW_COLUMNS]
    again = pickle.loads(pickle.dumps(replayer))
    pd.testing.assert_frame_equal(
        again.replay(flows, inst.dataset.demand).queues, replayer.replay(flows, inst.dataset.demand).queues
    )


def test_flows_and_demand_the_replayer_cannot_place_are_errors_naming_the_row():
    result, _ = _planned(3)
    inst = result.instance
    replayer = Replayer(inst.dataset, inst.scenario, base=inst.base)
    flows = result.integer.allocations[FLOW_COLUMNS].reset_index(drop=True)
    unknown = flows.copy()
    unknown.loc[2, "listed_hospital_id"] = "nowhere"
    with pytest.raises(ValueError, match="flows row 2: no patient of this group"):
        replayer.replay(unknown, inst.dataset.demand)
    late = flows.copy()
    late.loc[0, "week"] = "2030-W01"
    with pytest.raises(ValueError, match="flows row 0: week outside the plan"):
        replayer.replay(late, inst.dataset.demand)
    negative = flows.assign(patients=flows["patients"].where(flows.index != 1, -1.0))
    with pytest.raises(ValueError, match="flows row 1: patients must be"):
        replayer.replay(negative, inst.dataset.demand)
    with pytest.raises(ValueError, match="demand"):
        replayer.replay(flows, inst.dataset.demand.iloc[1:])


def test_a_plan_unpickles_once_per_process_and_replays_the_same():
    _, planned = _planned(3)
    blob = pickle.dumps(planned)
    first, second = pickle.loads(blob), pickle.loads(blob)
    assert second is first  # what a Ray worker's next task gets: no second unpickling
    assert first.token == planned.token
    for name in ("flows", "theatre_days", "backlog", "proposals"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(planned, name))
    pd.testing.assert_frame_equal(first.dataset.waiting_list, planned.dataset.waiting_list)
    seed = np.random.SeedSequence(4)
    pd.testing.assert_frame_equal(replay_draw(first, seed), replay_draw(planned, seed), check_exact=True)
    # another plan (a changed copy) has its own token, so it never takes the cached one's place
    other = dataclasses.replace(planned, flows=planned.flows.iloc[:0])
    assert other.token != planned.token
    assert pickle.loads(pickle.dumps(other)).flows.empty


@pytest.mark.parametrize(("seed", "scale"), [(3, 1.0), (5, 1.0), (11, 2.5)])
def test_the_fifo_replay_leaving_finished_items_out_matches_the_replay_over_every_item_bit_for_bit(seed, scale):
    result, _ = _planned(seed, priorities=seed == 5)
    inst = result.instance
    replayer = Replayer(inst.dataset, inst.scenario, base=inst.base)
    # the LP's fractional flows; scale 2.5: more than has arrived, so whole groups run dry
    flows = result.lp.allocations.assign(patients=lambda f: scale * f["patients"])
    g, t, patients = replayer._planned_rows(flows[FLOW_COLUMNS])
    planned = planned_patients(g, t, patients, len(replayer.groups), len(replayer.labels))
    weight = replayer._weights(inst.dataset.demand)
    fast = simulate(replayer.items, weight, planned, len(replayer.queues), 1e-6)
    reference = simulate_every_item(replayer.items, weight, planned, len(replayer.queues))
    assert (fast["done_week"] >= 0).sum() > 0 and (fast["done_week"] < 0).sum() > 0  # some finish, some wait
    for name, expected in reference.items():
        theta = name.split("_")[1] if name.startswith("over_") else None
        actual = fast[name] if theta is None else fast["over_days" if name.endswith("_days") else "over"][int(theta)]
        np.testing.assert_array_equal(actual, expected, err_msg=name)
