"""Monte Carlo simulation: its draws, its agreement with the deterministic replay, reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.simulation_settings import OfferAcceptance, SimulationSettings
from optimizer import evaluate_flows, plan, simulate
from optimizer.simulation.draws import answer_offers, cancel_theatre_days, draw_demand
from optimizer.simulation.plan_replay import planned_scenario, replay_draw
from tests.factory import random_dataset, scenario

NO_RANDOMNESS = SimulationSettings.deterministic().model_dump()


def _scenario(weeks: int = 6, **simulation):
    return scenario(weeks, policy={"max_travel_km": 300}, simulation=simulation or NO_RANDOMNESS)


def _cell(flows: pd.DataFrame) -> pd.DataFrame:
    return flows.assign(specialty="orthopaedics", week="2025-W14", hospital_id="h")


# --- the draws, by hand ----------------------------------------------------------------------------


def test_acceptance_is_the_stated_logistic_and_falls_with_distance():
    acceptance = OfferAcceptance(ceiling=0.8, midpoint_km=100, scale_km=20)
    # p(d) = 0.8 / (1 + exp((d − 100) / 20)): at the midpoint half the ceiling, at 140 km 0.8 / (1 + e²)
    assert acceptance.probability(100) == pytest.approx(0.4)
    assert acceptance.probability(140) == pytest.approx(0.8 / (1 + math.exp(2)))
    assert acceptance.probability(10) > acceptance.probability(100) > acceptance.probability(300)
    assert OfferAcceptance(model="always").probability(1000) == 1.0


def test_cancellations_cut_a_cell_only_beyond_the_days_it_keeps():
    # a cell of 10 scheduled days; flows of 6 and 3 patients at 1 case a day need 9 days
    flows = _cell(pd.DataFrame({"patients": [6.0, 3.0], "rate": [1.0, 1.0]}))
    days = _cell(pd.DataFrame({"theatre_days": [10.0]}))
    rng = np.random.default_rng(0)
    # every day lost: 0 days left, nobody treated
    gone = cancel_theatre_days(flows, days, SimulationSettings(default_cancellation_rate=1.0), rng)
    assert gone["patients"].tolist() == [0.0, 0.0]
    # no day lost: the plan as it is
    kept = cancel_theatre_days(flows, days, SimulationSettings(default_cancellation_rate=0.0), rng)
    assert kept["patients"].tolist() == [6.0, 3.0]
    # rate 0.5: lost ~ Binomial(10, 0.5) days (the first draw), 10 − lost left for 9 days of need:
    # whole patients (1 day each here) are cancelled until the shortfall max(0, 9 − (10 − lost)) is freed
    settings = SimulationSettings(cancellation_rate={"orthopaedics": 0.5}, default_cancellation_rate=0.0)
    for seed in range(6):
        lost = np.random.default_rng(seed).binomial(10, 0.5)
        cut = cancel_theatre_days(flows, days, settings, np.random.default_rng(seed))["patients"]
        assert cut.sum() == min(9, 10 - lost), seed
        assert (cut >= 0).all() and (cut <= flows["patients"]).all()
    # a slower procedure frees more per patient: 2 cases a day, 8 patients = 4 days of a 3-day cell
    # with one day lost (rate 1/3 → at most 3 lost): the shortfall in days decides how many go
    slow = _cell(pd.DataFrame({"patients": [8.0], "rate": [2.0]}))
    three = _cell(pd.DataFrame({"theatre_days": [3.0]}))
    every = cancel_theatre_days(slow, three, SimulationSettings(default_cancellation_rate=1.0), rng)
    # 4 days needed = 3 scheduled + 1 bought; all 3 scheduled lost: 1 day left, 2 patients kept
    assert every["patients"].tolist() == [2.0]


def test_offers_at_the_listed_hospital_are_always_taken_and_nobody_accepts_with_ceiling_zero():
    flows = pd.DataFrame({"patients": [4.0, 5.0], "km": [0.0, 50.0], "at_listed": [True, False]})
    accepted, declined = answer_offers(
        flows, SimulationSettings(acceptance=OfferAcceptance(ceiling=0.0)), np.random.default_rng(1)
    )
    assert accepted["patients"].tolist() == [4.0, 0.0]
    assert declined.tolist() == [0.0, 5.0]


def test_poisson_demand_has_the_forecast_as_mean():
    demand = pd.DataFrame({"expected_decisions": np.full(20_000, 2.5)})
    drawn = draw_demand(demand, SimulationSettings(), np.random.default_rng(3))["expected_decisions"]
    assert (drawn == np.round(drawn)).all()  # whole patients
    assert drawn.mean() == pytest.approx(2.5, abs=0.05)  # standard error 1.6 / √20000 ≈ 0.011
    assert draw_demand(demand, SimulationSettings.deterministic(), np.random.default_rng(3)) is demand


# --- the simulation against the deterministic replay -----------------------------------------------


@pytest.mark.parametrize("seed", [3, 11])
def test_a_simulation_without_randomness_equals_the_deterministic_replay(seed):
    dataset = random_dataset(seed, weeks=6)
    result = simulate(_scenario(), dataset=dataset, draws=3, seed=5, engine="local")
    bands = result.bands
    assert np.allclose(bands["p10"], bands["p90"])  # every draw the same
    inst = result.plan.instance
    replay = evaluate_flows(inst.dataset, inst.scenario, result.plan.integer.allocations, base=inst.base)
    assert replay.feasible
    regions = bands[bands["level"] == "region"].pivot_table(index=["key", "week"], columns="metric", values="p50")
    kpis = replay.kpis.set_index(["region_id", "week"]).loc[regions.index]
    for metric in ("waiting", "over_90", "treated"):
        assert np.allclose(regions[metric].to_numpy(), kpis[metric].to_numpy()), metric
    total = bands[(bands["level"] == "total") & (bands["metric"] == "breach_days")]
    assert total["p50"].sum() == pytest.approx(replay.breach_days[90])
    # the procedure level sums to the same totals as the region level
    for metric in ("waiting", "over_90", "treated", "breach_days"):
        level = bands[bands["metric"] == metric].groupby("level")["p50"].sum()
        assert level["procedure"] == pytest.approx(level["region"]) == pytest.approx(level["total"])


def test_the_same_seed_gives_the_same_bands_and_another_seed_other_bands():
    dataset = random_dataset(3, weeks=6)
    random = _scenario(**SimulationSettings(acceptance=OfferAcceptance(midpoint_km=30)).model_dump())
    first = simulate(random, dataset=dataset, draws=6, seed=42, engine="local").bands
    again = simulate(random, dataset=dataset, draws=6, seed=42, engine="local").bands
    other = simulate(random, dataset=dataset, draws=6, seed=43, engine="local").bands
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["p50"], other["p50"])
    assert (first["p10"] <= first["p50"]).all() and (first["p50"] <= first["p90"]).all()


def test_a_draw_depends_only_on_its_own_seed():
    dataset = random_dataset(3, weeks=6)
    result = simulate(_scenario(**SimulationSettings().model_dump()), dataset=dataset, draws=1, seed=1, engine="local")
    planned = planned_scenario(result.plan)
    seeds = np.random.SeedSequence(9).spawn(4)
    in_order = [replay_draw(planned, s) for s in seeds]
    reversed_order = [replay_draw(planned, s) for s in reversed(seeds)][::-1]
    for a, b in zip(in_order, reversed_order, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_declined_offers_keep_their_place_or_leave_the_list_as_pvv():
    dataset = random_dataset(3, weeks=6)
    nobody_travels = {**NO_RANDOMNESS, "acceptance": {"model": "logistic", "ceiling": 0.0}}
    base = simulate(_scenario(), dataset=dataset, draws=1, seed=1, engine="local")
    moved = base.plan.integer.allocations
    moved = moved[moved["hospital_id"] != moved["listed_hospital_id"]]["patients"].sum()
    assert moved > 0  # the plan does send patients elsewhere, so declines matter

    def total(result, metric):
        table = result.bands
        return table[(table["level"] == "total") & (table["metric"] == metric)]["p50"].sum()

    keep, pvv = (
        simulate(_scenario(**{**nobody_travels, "declined": answer}), dataset=dataset, draws=1, seed=1, engine="local")
        for answer in ("keep_place", "pvv")
    )
    # nobody accepts: exactly the patients planned elsewhere are not treated
    assert total(base, "treated") - total(keep, "treated") == pytest.approx(moved)
    assert total(base, "treated") - total(pvv, "treated") == pytest.approx(moved)
    # kept places wait on the list; PvV leaves the counted list
    assert total(keep, "waiting") > total(base, "waiting")
    assert total(pvv, "waiting") == pytest.approx(total(base, "waiting"))


def test_weekly_replanning_keeps_every_patient_accounted_for():
    dataset = random_dataset(3, weeks=6)
    result = simulate(_scenario(4), dataset=dataset, draws=2, seed=2, engine="local", replan="weekly")
    bands = result.bands
    # new patients' listed hospital, travel and priority are drawn even without other randomness,
    # so draws differ; the balance below holds in every draw, hence for the mean
    total = bands[bands["level"] == "total"].pivot_table(index="week", columns="metric", values="mean")
    assert len(total) == 4
    assert (total["over_90"] <= total["waiting"]).all()
    assert total["treated"].sum() > 0
    # whole patients: end of week w = start + new decisions (the forecast rounded per region,
    # procedure and week) − treated, week after week
    demand = dataset.demand.groupby(["week", "region_id", "procedure_id"])["expected_decisions"].sum().round()
    arrivals = demand.groupby(level="week").sum().reindex(total.index)
    start = float((dataset.waiting_list["status"] == "waiting").sum())
    expected = start + (arrivals - total["treated"]).cumsum()
    assert np.allclose(total["waiting"].to_numpy(), expected.to_numpy())


def test_each_weekly_re_plan_starts_from_the_previous_weeks_proposals(monkeypatch):
    # `replan_week` calls `optimizer.replan` with the proposals of the plan made the week before:
    # week 2 with the scenario's own plan's, week 3 with week 2's re-plan's, and so on.
    from optimizer.simulation import weekly

    calls = []
    real_replan = weekly.replan

    def recording_replan(scenario, previous, *, dataset):
        result = real_replan(scenario, previous, dataset=dataset)
        calls.append((scenario.start_week, scenario.policy.frozen_weeks, previous.copy(), result.proposals.copy()))
        return result

    monkeypatch.setattr(weekly, "replan", recording_replan)
    dataset = random_dataset(3, weeks=6)
    simulate(_scenario(3), dataset=dataset, draws=1, seed=2, engine="local", replan="weekly")
    plan_weeks = ["2025-W15", "2025-W16"]  # weeks 2 and 3 of a plan from 2025-W14
    assert [week for week, *_ in calls] == plan_weeks and all(frozen == 0 for _, frozen, *_ in calls)
    first_plan = planned_scenario(plan(_scenario(3), dataset=dataset)).proposals
    pd.testing.assert_frame_equal(calls[0][2].reset_index(drop=True), first_plan)
    week2 = calls[0][3][calls[1][2].columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(calls[1][2].reset_index(drop=True), week2)
