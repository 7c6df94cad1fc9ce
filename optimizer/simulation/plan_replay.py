"""One draw without re-planning: the plan made once, replayed patient by patient under random draws.

The independent evaluator (`optimizer.evaluation`) does the replay: every week each queue's planned
patients treat its arrived patients, earliest deadline first. A draw changes its inputs only:
new decisions (demand.csv drawn around the forecast), the plan's flows less the patients whose
theatre day was lost, and less (`declined: keep_place`) those who decline an offer elsewhere. Nothing
refills what a draw takes away: without re-planning the list is served as planned.
"""

from __future__ import annotations

import pickle
import uuid
from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.scenario import Scenario
from optimizer.evaluation import FLOW_COLUMNS, Replayer, evaluate_flows
from optimizer.replanning import PREVIOUS_COLUMNS
from optimizer.results.plan_result import PlanResult
from optimizer.simulation.counts import backlog_days, by_level, evaluation_counts
from optimizer.simulation.draws import answer_offers, cancel_theatre_days, draw_demand

#: What a draw needs of each planned flow besides FLOW_COLUMNS.
FLOW_ATTRIBUTES = ["specialty", "rate", "km", "at_listed"]


@dataclass(frozen=True)
class PlannedScenario:
    """A plan reduced to what a draw needs (small enough to ship to a Ray worker once).

    `dataset`: after the scenario's changes; `base`: before them; `flows`: the whole-patient plan's
    non-zero flows (FLOW_COLUMNS + FLOW_ATTRIBUTES); `theatre_days`: scheduled days per hospital ×
    specialty × plan week (after changes, before planned utilisation); `backlog`: the waiting
    patients by queue with their decision day (`counts.backlog_days`).
    """

    scenario: Scenario
    dataset: Dataset
    base: Dataset
    weeks: list[str]
    flows: pd.DataFrame
    theatre_days: pd.DataFrame
    backlog: pd.DataFrame
    proposals: pd.DataFrame  # the plan's patient proposals (`PREVIOUS_COLUMNS`): weekly re-plans start from them
    #: names this plan in a process's caches (`_unpickled_plan`, `replayer_of`), which outlive one Ray
    #: task; not an argument, so that `dataclasses.replace` makes a new one
    token: str = field(init=False, default_factory=lambda: uuid.uuid4().hex)

    def __reduce__(self):
        # Pickled as its token and its fields pickled into bytes: Ray hands every task its own copy of
        # the arguments, and unpickling 40,000 patients took 0.15 s a draw; a worker that has this
        # plan already (`_unpickled_plan`) copies the bytes only.
        state = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        return (_unpickled_plan, (self.token, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)))


#: Per process: the plan unpickled last (token → plan) and the Replayer of the plan replayed last. A
#: Ray worker runs many draws of one plan: these keep unpickling the plan and preparing its replay to
#: once per worker rather than once per draw. One plan at a time: a sweep's next plan replaces it.
_PLANS: dict[str, PlannedScenario] = {}
_REPLAYERS: dict[str, Replayer] = {}


def _unpickled_plan(token: str, state: bytes) -> PlannedScenario:
    """The plan named `token`: the one this process unpickled already, else `state` unpickled."""
    planned = _PLANS.get(token)
    if planned is None:
        planned = PlannedScenario(**pickle.loads(state))
        object.__setattr__(planned, "token", token)  # the same plan as the one pickled
        _PLANS.clear()
        _PLANS[token] = planned
    return planned


def replayer_of(planned: PlannedScenario) -> Replayer:
    """The Replayer of `planned`'s dataset and scenario, prepared once per process."""
    replayer = _REPLAYERS.get(planned.token)
    if replayer is None:
        _REPLAYERS.clear()
        replayer = _REPLAYERS[planned.token] = Replayer(planned.dataset, planned.scenario, base=planned.base)
    return replayer


def planned_scenario(result: PlanResult) -> PlannedScenario:
    """What the draws of `result`'s scenario need from its whole-patient plan."""
    inst = result.instance
    keep = result.integer_y > 0
    flows = inst.flows.loc[keep, ["region_id", "listed_hospital_id", "procedure_id", "class", "hospital_id", "t"]]
    flows = flows.assign(
        week=np.asarray(inst.weeks, dtype=object)[inst.flows.loc[keep, "t"].to_numpy() - 1],
        patients=result.integer_y[keep],
        **{column: inst.flows.loc[keep, column].to_numpy() for column in FLOW_ATTRIBUTES},
    )
    capacity = inst.dataset.capacity[inst.dataset.capacity["week"].isin(set(inst.weeks))]
    theatre_days = capacity.groupby(["hospital_id", "specialty", "week"], as_index=False)["theatre_days"].sum()
    base = inst.base if inst.base is not None else inst.dataset
    return PlannedScenario(
        scenario=inst.scenario,
        dataset=inst.dataset,
        base=base,
        weeks=list(inst.weeks),
        flows=flows[[*FLOW_COLUMNS, *FLOW_ATTRIBUTES]].reset_index(drop=True),
        theatre_days=theatre_days,
        backlog=backlog_days(inst.dataset, base, list(inst.weeks)),
        proposals=result.proposals[PREVIOUS_COLUMNS].reset_index(drop=True),
    )


def replay_draw(
    planned: PlannedScenario,
    seed: np.random.SeedSequence,
    *,
    evaluator: Literal["replayer", "evaluate_flows"] = "replayer",
) -> pd.DataFrame:
    """The outcome table (`counts.OUTCOME_COLUMNS`) of one draw of `planned`, from its own seed.

    The replay is the evaluator's: `replayer` (default) prepares what every draw shares once per
    process (`replayer_of`); `evaluate_flows` re-derives everything per draw (the same outcome,
    slower: kept to prove and measure that, tests/test_replayer.py and benchmarks/simulation.py).
    """
    settings = planned.scenario.simulation
    rng = np.random.default_rng(seed)
    demand = draw_demand(planned.dataset.demand, settings, rng)
    flows = cancel_theatre_days(planned.flows, planned.theatre_days, settings, rng)
    accepted, declined = answer_offers(flows, settings, rng)
    # pvv: they leave the counted list (patient-chosen wait) where the plan takes them off it, so the
    # flow stays in the replay but they are not treated; keep_place: they wait for the queue to reach them again
    replayed = flows if settings.declined == "pvv" else accepted
    if evaluator == "replayer":
        evaluation = replayer_of(planned).replay(replayed[FLOW_COLUMNS], demand)
    else:
        dataset = planned.dataset.with_tables(demand=demand)
        evaluation = evaluate_flows(dataset, planned.scenario, replayed[FLOW_COLUMNS], base=planned.base)
    counts = evaluation_counts(evaluation, planned.backlog, planned.weeks)
    if settings.declined == "pvv" and declined.any():
        gone = flows.assign(declined=declined).groupby(["region_id", "procedure_id", "week"])["declined"].sum()
        key = pd.MultiIndex.from_frame(counts[["region_id", "procedure_id", "week"]])
        counts["treated"] -= gone.reindex(key).fillna(0.0).to_numpy() / _queues_per_cell(counts)
    return by_level(counts)


def _queues_per_cell(counts: pd.DataFrame) -> np.ndarray:
    """How many queue rows share each row's (region, procedure, week): a cell's declines are spread over them."""
    return counts.groupby(["region_id", "procedure_id", "week"])["week"].transform("size").to_numpy(dtype=float)
