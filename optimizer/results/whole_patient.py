"""Rounding the LP's fractional flows to whole patients without breaking any constraint.

Method (a feasibility-preserving rounding, not a MIP):
1. Round every flow down. Every constraint row has non-negative coefficients on y, so lowering
   flows keeps theatre days, bed-days, budgets, agreement maxima and S ≤ A satisfied.
2. Per flow group, the rounded total should be round(Σ y). Give the missing whole patients back one at a
   time to the queue's flows with the largest fractional parts, earliest week first on ties, but only
   where one more patient still fits: theatre days (with the extra days the LP bought), bed-days,
   budget, agreement maximum, and S_g(t) ≤ A_g(t) in that week and every later one.
3. A group still short (its fractional flows had no room left) may use any of its flow columns that
   has room, earliest week first: the hospital or week may differ from the LP's, the total does not.
4. An agreement minimum that rounding left short gets whole patients back on its own flows where
   they fit (a queue may then exceed its rounded total by the patients the agreement needs).
5. Fill: no theatre day stays unused while a patient who could take it would gain from it. Week by
   week, cheapest flow first, a flow gets one more patient while it fits every row and the objective
   falls by more than the flow's cost (price and travel in objective units): the breach- and
   waiting-days the extra patient saves in its week and every later one (`_fill_idle_theatre_days`).
In steps 3 and 5 cheaper flows go first (the objective's cost and travel per patient, then week), so
rounding does not send a patient to a dear provider the LP avoided when a cheap one has room.
Agreement minimums are not guaranteed after rounding (they may fall short by less than one patient
per flow): `agreement_shortfalls` names what is missing; the integer plan's KPIs are computed with
the same code as the LP's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.formulation import agreement_flow_mask, flow_objective_coefficients
from optimizer.model.instance import Instance
from optimizer.results.tables import group_treated

_TOLERANCE = 1e-6


def integer_flows(
    inst: Instance, y: np.ndarray, x: np.ndarray | None = None, extra_rows: pd.DataFrame | None = None
) -> np.ndarray:
    """Whole-patient flows close to `y` that respect every capacity constraint (see module docstring)."""
    whole = np.floor(y + _TOLERANCE)
    flows = inst.flows
    queue = flows["group"].to_numpy()  # rounding keeps each flow group's total (its priorities share it)
    targets = np.round(np.bincount(queue, weights=y, minlength=len(inst.groups)) + _TOLERANCE)
    missing = targets - np.bincount(queue, weights=whole, minlength=len(inst.groups))
    slack = _Slack(inst, whole, x, extra_rows)
    fraction = y - whole
    order = np.lexsort((flows["t"].to_numpy(), -fraction))  # largest fraction first, earlier week on ties
    for f in order[fraction[order] > _TOLERANCE].tolist():
        q = queue[f]
        if missing[q] <= 0:
            continue
        if slack.fits(f):
            slack.take(f)
            whole[f] += 1
            missing[q] -= 1
    cost = flow_objective_coefficients(inst)
    by_queue = np.lexsort((flows["t"].to_numpy(), cost, queue))  # within a group: cheapest first, then week
    queue_start = np.searchsorted(queue[by_queue], np.arange(len(missing) + 1))
    for q in np.nonzero(missing >= 1)[0].tolist():
        candidates = by_queue[queue_start[q] : queue_start[q + 1]]
        for f in candidates[slack.fitting(candidates)].tolist():
            while missing[q] >= 1 and slack.fits(f):
                slack.take(f)
                whole[f] += 1
                missing[q] -= 1
    _restore_agreement_minimums(inst, whole, slack)
    _fill_idle_theatre_days(inst, whole, slack, cost)
    return whole


def _fill_idle_theatre_days(inst: Instance, whole: np.ndarray, slack: _Slack, cost: np.ndarray) -> None:
    """Step 5 of the module docstring: treat waiting patients where a theatre day is idle.

    One more patient of group g in week t raises the group's cumulative treated S_g(t') by one in week
    t and every later week t'. Treated earliest deadline first, that removes one patient from each
    week's count over a tier θ while one is left over it, and one from the waiting count, so the
    objective falls by 7 · Σ_t'≥t (Σ_θ w_θ · min(1, B^θ_g(t') − S_g(t'))⁺ + w_wait · min(1, A_g(t') − S_g(t'))⁺).
    A flow gets one more patient while that gain exceeds its own cost (price and travel in
    objective units) and it fits every row; earliest weeks first, then cheapest.
    """
    flows = inst.flows
    t = flows["t"].to_numpy()
    group = flows["group"].to_numpy()
    weights = inst.scenario.weights
    tier_weight = {90: weights.over_90, 180: weights.over_180, 365: weights.over_365}
    over = {}
    for theta, count in inst.over.items():
        over[theta] = np.zeros((len(inst.groups), inst.horizon))
        np.add.at(over[theta], inst.queues["group"].to_numpy(), count)
    arrived = inst.group_arrived
    best_gain = 7.0 * (sum(tier_weight.values()) + weights.waiting) * (inst.horizon - t + 1)
    candidates = np.nonzero(cost < best_gain)[0]
    candidates = candidates[np.lexsort((cost[candidates], t[candidates]))]  # week by week, cheapest first

    def gain(g: int, week: int) -> float:
        treated = (arrived[g, week:] - slack.queue_room[g, week:])[None, :]  # S_g(t') for t' ≥ t
        per_tier = np.array([tier_weight[theta] for theta in over])[:, None]
        over_left = np.stack([over[theta][g, week:] for theta in over]) - treated
        breach = (per_tier * np.clip(over_left, 0.0, 1.0)).sum()
        waiting = weights.waiting * np.clip(arrived[g, week:] - treated[0], 0.0, 1.0).sum()
        return 7.0 * (breach + waiting)

    for f in candidates[slack.fitting(candidates)].tolist():
        g, week = group[f], t[f] - 1
        while slack.fits(f) and gain(g, week) > cost[f] + _TOLERANCE:
            slack.take(f)
            whole[f] += 1


def agreement_shortfalls(inst: Instance, whole: np.ndarray) -> list[dict]:
    """Agreement minimums the whole-patient plan misses: agreement number, minimum, planned, short."""
    short = []
    for k, agreement in enumerate(inst.scenario.policy.agreements):
        planned = float(whole[agreement_flow_mask(inst, agreement)].sum())
        if agreement.min_cases - planned > _TOLERANCE:
            short.append(
                {
                    "agreement": k + 1,
                    "min_cases": agreement.min_cases,
                    "planned": planned,
                    "short": agreement.min_cases - planned,
                }
            )
    return short


def _restore_agreement_minimums(inst: Instance, whole: np.ndarray, slack: _Slack) -> None:
    for agreement in inst.scenario.policy.agreements:
        mask = agreement_flow_mask(inst, agreement)
        short = agreement.min_cases - whole[mask].sum()
        for f in np.nonzero(mask)[0].tolist():
            while short > _TOLERANCE and slack.fits(f):
                slack.take(f)
                whole[f] += 1
                short -= 1


class _Slack:
    """Remaining room in every row that one more patient on flow f would use."""

    def __init__(self, inst: Instance, whole: np.ndarray, x: np.ndarray | None, extra_rows: pd.DataFrame | None):
        flows = inst.flows
        self.inst = inst
        self.queue = flows["group"].to_numpy()
        self.t = flows["t"].to_numpy()
        self.rate = flows["rate"].to_numpy()
        self.bed = flows["bed_days_per_case"].to_numpy()
        self.price = np.where(flows["charged"].to_numpy(), flows["price_sek"].to_numpy(), 0.0)
        theatre = inst.theatre.reset_index(names="row")
        extra = np.zeros(len(theatre))
        if x is not None and extra_rows is not None and len(extra_rows):
            keys = ["hospital_id", "specialty", "t"]
            bought = extra_rows[keys].assign(bought=x).groupby(keys, as_index=False)["bought"].sum()
            extra = theatre.merge(bought, how="left", on=keys)["bought"].fillna(0.0)
            extra = extra.to_numpy()
        self.theatre_row = flows.merge(
            theatre[["hospital_id", "specialty", "t", "row"]], how="left", on=["hospital_id", "specialty", "t"]
        )["row"].to_numpy()
        used = np.bincount(self.theatre_row, weights=whole / self.rate, minlength=len(theatre))
        self.theatre_room = theatre["theatre_days"].to_numpy() + extra - used
        beds = inst.beds.reset_index(names="row")
        bed_row = flows.merge(beds[["hospital_id", "t", "row"]], how="left", on=["hospital_id", "t"])["row"]
        self.bed_row = bed_row.fillna(-1).astype(int).to_numpy()
        has_row = self.bed_row >= 0
        used_beds = np.bincount(self.bed_row[has_row], weights=(whole * self.bed)[has_row], minlength=len(beds))
        self.bed_room = beds["bed_days"].to_numpy() - used_beds
        self.queue_room = inst.group_arrived - np.cumsum(group_treated(inst, whole), axis=1)  # A − S per (g, t)
        region = flows["region_id"].to_numpy()
        budgets = inst.scenario.policy.budgets_sek
        self.budget_room = {r: b - float((whole * self.price)[region == r].sum()) for r, b in budgets.items()}
        self.region = region
        self.agreements = []
        for agreement in inst.scenario.policy.agreements:
            if agreement.max_cases is None:
                continue
            mask = agreement_flow_mask(inst, agreement)
            self.agreements.append([mask, agreement.max_cases - float(whole[mask].sum())])

    def fits(self, f: int) -> bool:
        q, t = self.queue[f], self.t[f]
        if self.theatre_room[self.theatre_row[f]] < 1 / self.rate[f] - _TOLERANCE:
            return False
        if self.bed[f] > 0 and (self.bed_row[f] < 0 or self.bed_room[self.bed_row[f]] < self.bed[f] - _TOLERANCE):
            return False
        if (self.queue_room[q, t - 1 :] < 1 - _TOLERANCE).any():
            return False
        room = self.budget_room.get(self.region[f])
        if room is not None and self.price[f] > room + _TOLERANCE:
            return False
        return all(not mask[f] or left >= 1 - _TOLERANCE for mask, left in self.agreements)

    def fitting(self, flows: np.ndarray) -> np.ndarray:
        """`fits` of each of `flows` at once, against the room left now.

        Taking only ever lowers the room, so a flow that does not fit now never fits later: a loop
        may skip it without asking `fits` again (which it must still do for the others).
        """
        ok = self.theatre_room[self.theatre_row[flows]] >= 1 / self.rate[flows] - _TOLERANCE
        bed, bed_row = self.bed[flows], self.bed_row[flows]
        has_row = bed_row >= 0
        bed_ok = np.zeros(len(flows), dtype=bool)
        bed_ok[has_row] = self.bed_room[bed_row[has_row]] >= bed[has_row] - _TOLERANCE
        ok &= (bed <= 0) | bed_ok
        # S ≤ A in week t and every later week: the smallest room from week t on
        queues, row = np.unique(self.queue[flows], return_inverse=True)
        room_from = np.minimum.accumulate(self.queue_room[queues, ::-1], axis=1)[:, ::-1]
        ok &= room_from[row, self.t[flows] - 1] >= 1 - _TOLERANCE
        region, price = self.region[flows], self.price[flows]
        for budget_region, room in self.budget_room.items():
            ok &= (region != budget_region) | (price <= room + _TOLERANCE)
        for mask, left in self.agreements:
            ok &= ~mask[flows] | (left >= 1 - _TOLERANCE)
        return ok

    def take(self, f: int) -> None:
        q, t = self.queue[f], self.t[f]
        self.theatre_room[self.theatre_row[f]] -= 1 / self.rate[f]
        if self.bed[f] > 0:
            self.bed_room[self.bed_row[f]] -= self.bed[f]
        self.queue_room[q, t - 1 :] -= 1
        if self.region[f] in self.budget_room:
            self.budget_room[self.region[f]] -= self.price[f]
        for entry in self.agreements:
            if entry[0][f]:
                entry[1] -= 1
