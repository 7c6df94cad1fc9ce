"""Many replays of one scenario's list: what is the same in every draw is prepared once.

A Monte Carlo draw (`optimizer.simulation.plan_replay`) replays the plan's flows, less the patients
it cancels, against a drawn demand. `evaluate_flows` would re-derive everything each time: the
patients and cohorts, fallback hospitals, groups and queues, the FIFO order, each flow's arc, the
capacity, money and fairness checks. Of these only three things change between draws: the
cohorts' weights (the demand's values), the patients per flow, and so the replay itself.
`Replayer(dataset, scenario, base=...)` prepares the rest once; `.replay(flows, demand)` runs only
the week-by-week replay (`optimizer.evaluation.fifo`, the same code as `evaluate_flows`) and
returns the same per-queue table as `Evaluation.queues`, with the `queue` violations (flow beyond
the arrived patients). It does not check arcs, capacity, money or fairness: evaluate one set of
flows with `evaluate_flows` for those. A Replayer holds only numpy arrays and frames, so it pickles
(to ship to a Ray worker).

Part of the independent evaluator: it uses only `models` and the evaluator's own modules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.scenario import Scenario
from models.weeks import parse_iso_week, week_labels
from optimizer.evaluation.fifo import (
    QUEUE_KEYS,
    planned_patients,
    queue_table,
    queue_violations,
    replay_order,
    simulate,
)
from optimizer.evaluation.flows import FLOW_COLUMNS, GROUP_KEYS, VIOLATION_COLUMNS
from optimizer.evaluation.patients import CLASSES, DEMAND_KEYS, cohort_weights, queue_items, summed_demand


@dataclass(frozen=True)
class Replay:
    """One replay: `queues` as `Evaluation.queues` (queue × week: arrived, treated,
    treated_cumulative, waiting, over_<θ>), `violations` the `queue` family (VIOLATION_COLUMNS)."""

    queues: pd.DataFrame
    violations: pd.DataFrame


class Replayer:
    """The draw-invariant part of `evaluate_flows` for one dataset and scenario (module docstring).

    `dataset` has the scenario's changes applied, `base` is before them (default `dataset`), as for
    `evaluate_flows`. Groups and queues are those of the list and the forecast (a flow of another
    group is an error here).
    """

    def __init__(self, dataset: Dataset, scenario: Scenario, *, base: Dataset | None = None, tolerance: float = 1e-6):
        self.labels = week_labels(scenario.start_week, scenario.horizon_weeks)
        self.tolerance = tolerance
        self.priorities = dataset.priorities[["priority_id", "demand_share"]].reset_index(drop=True)
        d0 = parse_iso_week(scenario.start_week)
        items, spread = queue_items(dataset, dataset if base is None else base, scenario, d0, self.labels)
        self.spread = spread[["row", "share_l", "share"]].reset_index(drop=True)
        forecast = summed_demand(dataset.demand, self.labels)
        self.demand_keys = forecast[DEMAND_KEYS].reset_index(drop=True)
        self.n_backlog = len(items) - len(spread) * len(CLASSES) * len(self.priorities)
        # as evaluate_flows numbers them when every flow is of a group on the list or the forecast
        groups = items[GROUP_KEYS].drop_duplicates().sort_values(GROUP_KEYS, ignore_index=True)
        self.groups = groups.assign(g=np.arange(len(groups)))
        queues = items[QUEUE_KEYS].drop_duplicates().sort_values(QUEUE_KEYS, ignore_index=True)
        self.queues = queues.assign(q=np.arange(len(queues)))
        items = items.assign(position=np.arange(len(items)))
        items = items.merge(self.groups, on=GROUP_KEYS, how="left").merge(self.queues, on=QUEUE_KEYS, how="left")
        self.items = replay_order(items)
        self.order = self.items["position"].to_numpy()  # replay position → position in queue_items' order
        self.group_index = pd.MultiIndex.from_frame(self.groups[GROUP_KEYS])
        self.week_of = {label: t for t, label in enumerate(self.labels, start=1)}

    def replay(self, flows: pd.DataFrame, demand: pd.DataFrame) -> Replay:
        """Replay `flows` (FLOW_COLUMNS, `listed_hospital_id` given) with the new decisions of `demand`
        (demand.csv's rows: the forecast's (region, procedure, week) keys, drawn values).

        Rows with zero patients count for nothing; a row with an unknown group or week, or a negative
        or non-finite number of patients, is a ValueError naming the row.
        """
        weight = self._weights(demand)
        g, t, patients = self._planned_rows(flows)
        planned = planned_patients(g, t, patients, len(self.groups), len(self.labels))
        sim = simulate(self.items, weight, planned, len(self.queues), self.tolerance)
        found: list[pd.DataFrame] = []
        queue_violations(sim, self.groups, self.labels, found)
        violations = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=VIOLATION_COLUMNS)
        return Replay(queues=queue_table(sim, self.queues, self.labels), violations=violations)

    def _weights(self, demand: pd.DataFrame) -> np.ndarray:
        """Every item's weight in replay order: 1 per backlog patient, the cohorts' from `demand`."""
        summed = summed_demand(demand, self.labels)
        same_keys = len(summed) == len(self.demand_keys) and all(
            np.array_equal(summed[key].to_numpy(), self.demand_keys[key].to_numpy()) for key in DEMAND_KEYS
        )
        if not same_keys:
            raise ValueError("demand: a replay needs the forecast's (region_id, procedure_id, week) rows in plan weeks")
        expected = summed["expected_decisions"].to_numpy(dtype=float)[self.spread["row"].to_numpy()]
        cohorts = cohort_weights(expected, self.spread, self.priorities)
        return np.concatenate([np.ones(self.n_backlog), *cohorts])[self.order]

    def _planned_rows(self, flows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each arc-week's group, week index and patients (rows with patients > 0), checked."""
        missing = [c for c in FLOW_COLUMNS if c not in flows.columns]
        if missing:
            raise ValueError(f"flows lack column(s): {', '.join(missing)}")
        patients = pd.to_numeric(flows["patients"], errors="coerce").to_numpy(dtype=float)
        g = self.group_index.get_indexer(pd.MultiIndex.from_frame(flows[GROUP_KEYS]))
        t = flows["week"].map(self.week_of).to_numpy(dtype=float)
        for bad, what in (
            (~np.isfinite(patients) | (patients < -self.tolerance), "patients must be a finite number ≥ 0"),
            ((g < 0) & (patients > 0), "no patient of this group is on the list or in the forecast"),
            (np.isnan(t), f"week outside the plan {self.labels[0]}..{self.labels[-1]}"),
        ):
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValueError(f"flows row {row}: {what} ({dict(flows.iloc[row][FLOW_COLUMNS])})")
        keep = patients > 0
        # rows of one arc and week summed first, in their order, as `checked_flows` sums them (so that
        # fractional flows split by priority give evaluate_flows' sums to the last bit)
        rows = pd.DataFrame(
            {
                "g": g[keep],
                "hospital_id": flows["hospital_id"].to_numpy(dtype=object)[keep],
                "t": t[keep].astype(np.int64),
                "patients": patients[keep],
            }
        )
        arcs = rows.groupby(["g", "hospital_id", "t"], sort=False, as_index=False)["patients"].sum()
        return arcs["g"].to_numpy(), arcs["t"].to_numpy(), arcs["patients"].to_numpy(dtype=float)
