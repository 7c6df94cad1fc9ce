"""What one patient more, or fewer, on a flow column does to the objective of a whole-patient plan.

The rounding's fill and exchange steps (`optimizer.results.whole_patient`, `cell_exchange`) add and
take off single patients. `MarginalValue` prices each move with every term of the objective
(`models.objective`), from the plan's live room (`RowRoom`) and flows:

- breach and waiting: one more patient of flow group g in week t raises the group's cumulative
  treated S_g(t') by one in week t and every later week t'. Treated earliest deadline first, that
  removes one patient from each week's count over a tier θ while one is left over it, and one from
  the waiting count: 7 · Σ_t'≥t (Σ_θ w_θ · min(1, B^θ_g(t') − S_g(t'))⁺ + w_wait · min(1, A_g(t') − S_g(t'))⁺);
  one fewer, the same with B − S + 1 and A − S + 1. (B^θ_g sums the group's queues: exact for a group
  of one priority, the earliest-deadline split otherwise.)
- price and travel: the flow's own coefficient (`flow_objective_coefficients`);
- a re-plan's cell anchor, change · max(0, P_f − y_f), and week drift, change · Σ_t' |S_g(t') − C_g(t')|
  (ahead only while the previous plan still treats patients of g later; `optimizer.model.anchor`);
- fairness: weight · max(0, target − treated) per fairness entry counting the flow.

Every term is a sum of convex functions of y_f, S_g(t') and the entries' treated, so a patient
more saves no more than the one before did: what the exchange's bound relies on.
"""

from __future__ import annotations

import numpy as np

from optimizer.model.formulation import flow_objective_coefficients
from optimizer.model.instance import Instance
from optimizer.results.row_room import RowRoom


class MarginalValue:
    """The objective's change for one patient more or fewer on given flow columns of a live plan.

    `change_terms=False` leaves out a re-plan's change terms (cell anchor and week drift).
    """

    def __init__(self, inst: Instance, room: RowRoom, whole: np.ndarray, change_terms: bool = True):
        weights = inst.scenario.weights
        tier_weight = {90: weights.over_90, 180: weights.over_180, 365: weights.over_365}
        self.room, self.whole = room, whole  # both read live
        flows = inst.flows
        self.group = flows["group"].to_numpy()
        self.week = flows["t"].to_numpy() - 1
        self.cost = flow_objective_coefficients(inst)
        self.arrived = inst.group_arrived
        self.waiting_weight = weights.waiting
        self.tier_weight = np.array([tier_weight[theta] for theta in inst.over])[:, None, None]
        self.over = np.zeros((len(inst.over), len(inst.groups), inst.horizon))
        for k, count in enumerate(inst.over.values()):
            np.add.at(self.over[k], inst.queues["group"].to_numpy(), count)
        # without `change_terms` a re-plan's moves are priced as a fresh plan's (see `cell_exchange`)
        self.change = weights.change if change_terms else 0.0
        self.previous = np.zeros(len(flows))  # P_f: the previous plan's proposals on flow f
        if inst.anchor is not None and len(inst.anchor):
            kept = inst.anchor[inst.anchor["flow"] >= 0]
            np.add.at(self.previous, kept["flow"].to_numpy(), kept["previous"].to_numpy(dtype=float))
        self.anchored = np.full(len(inst.groups), -1)  # the schedule's row of each flow group, or −1
        self.schedule = inst.schedule
        if inst.schedule is not None:
            inside = inst.schedule.group >= 0
            self.anchored[inst.schedule.group[inside]] = np.nonzero(inside)[0]
        self.fairness_weight = inst.fairness["weight"].to_numpy(dtype=float)
        self.fairness_target = inst.fairness["target"].to_numpy(dtype=float)
        weeks_left = inst.horizon - self.week
        per_week = 7.0 * (float(self.tier_weight.sum()) + weights.waiting) + self.change
        # no move can save more: every term at its steepest in every week left
        self.most = per_week * weeks_left + self.change + self.fairness_weight.sum()

    def gain(self, flows: np.ndarray) -> np.ndarray:
        """Objective saved by one more patient on each of `flows` (negative: it would cost)."""
        return -self._change(flows, +1.0)

    def loss(self, flows: np.ndarray) -> np.ndarray:
        """Objective added by one patient fewer on each of `flows` (negative: it would save)."""
        return self._change(flows, -1.0)

    def _change(self, flows: np.ndarray, step: float) -> np.ndarray:
        """The objective's change when each of `flows` gets `step` (±1) patients, one flow at a time."""
        groups, weeks = self.group[flows], self.week[flows]
        later = np.arange(self.arrived.shape[1])[None, :] >= weeks[:, None]  # t' ≥ t, per flow
        arrived = self.arrived[groups]
        treated = arrived - self.room.queue_room[groups]  # S_g(t') for every week
        change = 7.0 * (
            (self.tier_weight * _steps(self.over[:, groups] - treated[None], step) * later[None]).sum(axis=(0, 2))
            + self.waiting_weight * (_steps(arrived - treated, step) * later).sum(axis=1)
        )
        change += step * self.cost[flows]
        if self.change:
            change += self.change * _steps(self.previous[flows] - self.whole[flows], step)
            change += self.change * self._drift(groups, treated, later, step)
        if len(self.fairness_weight):
            member = self.room.fairness_member[:, flows]  # entries × flows
            short = _steps((self.fairness_target - self.room.fairness_treated)[:, None], step)
            change += (self.fairness_weight[:, None] * short * member).sum(axis=0)
        return change

    def _drift(self, groups: np.ndarray, treated: np.ndarray, later: np.ndarray, step: float) -> np.ndarray:
        """The change in Σ_t' |S_g(t') − C_g(t')| (ahead only where it counts) of each flow's group."""
        drift = np.zeros(len(groups))
        row = self.anchored[groups]
        has = row >= 0
        if self.schedule is None or not has.any():
            return drift
        previous = self.schedule.cumulative[row[has]]
        counts = self.schedule.ahead_counts[row[has]]
        behind = _steps(previous - treated[has], step)  # max(0, C − S)
        ahead = _steps(treated[has] - previous, -step) * counts  # max(0, S − C)
        drift[has] = ((behind + ahead) * later[has]).sum(axis=1)
        return drift


def _steps(short: np.ndarray, step: float) -> np.ndarray:
    """The change of max(0, short) when what is short falls by `step` (±1): −min(1, short⁺) for +1,
    min(1, (short + 1)⁺) for −1."""
    if step > 0:
        return -np.clip(short, 0.0, 1.0)
    return np.clip(short + 1.0, 0.0, 1.0)
