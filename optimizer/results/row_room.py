"""Room left in every LP row for one more (or one fewer) whole patient.

The whole-patient plan (`optimizer.results.whole_patient`) is built by adding and removing single
patients on flow columns. `RowRoom` keeps, for a plan of whole patients, the room left in each row a
patient uses: theatre days (with extra days bought), bed-days, S ≤ A per flow group and week, regional
budgets and agreement maximums, and how far each agreement minimum is exceeded; and, for the
objective's fairness term, the patients each fairness entry counts (`fairness_treated`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.formulation import agreement_flow_mask
from optimizer.model.instance import Instance
from optimizer.results.tables import fairness_members, group_treated

TOLERANCE = 1e-6


class RowRoom:
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
        self.agreements = []  # [flows, room under the maximum]
        self.minimums = []  # [flows, patients above the minimum]
        for agreement in inst.scenario.policy.agreements:
            mask = agreement_flow_mask(inst, agreement)
            if agreement.max_cases is not None:
                self.agreements.append([mask, agreement.max_cases - float(whole[mask].sum())])
            if agreement.min_cases > 0:
                self.minimums.append([mask, float(whole[mask].sum()) - agreement.min_cases])
        self.fairness_member = fairness_members(inst)  # [e, f]: fairness entry e counts flow f
        self.fairness_treated = self.fairness_member @ whole

    def fits(self, f: int) -> bool:
        """Whether one more patient on flow f fits every row."""
        q, t = self.queue[f], self.t[f]
        if self.theatre_room[self.theatre_row[f]] < 1 / self.rate[f] - TOLERANCE:
            return False
        if self.bed[f] > 0 and (self.bed_row[f] < 0 or self.bed_room[self.bed_row[f]] < self.bed[f] - TOLERANCE):
            return False
        if (self.queue_room[q, t - 1 :] < 1 - TOLERANCE).any():
            return False
        room = self.budget_room.get(self.region[f])
        if room is not None and self.price[f] > room + TOLERANCE:
            return False
        return all(not mask[f] or left >= 1 - TOLERANCE for mask, left in self.agreements)

    def fitting(self, flows: np.ndarray) -> np.ndarray:
        """`fits` of each of `flows` at once, against the room left now.

        Taking only ever lowers the room, so a flow that does not fit now never fits later: a loop
        that only takes may skip it without asking `fits` again (which it must still do for the others).
        """
        ok = self.theatre_room[self.theatre_row[flows]] >= 1 / self.rate[flows] - TOLERANCE
        bed, bed_row = self.bed[flows], self.bed_row[flows]
        has_row = bed_row >= 0
        bed_ok = np.zeros(len(flows), dtype=bool)
        bed_ok[has_row] = self.bed_room[bed_row[has_row]] >= bed[has_row] - TOLERANCE
        ok &= (bed <= 0) | bed_ok
        # S ≤ A in week t and every later week: the smallest room from week t on
        room_from = np.minimum.accumulate(self.queue_room[self.queue[flows], ::-1], axis=1)
        ok &= room_from[np.arange(len(flows)), self.queue_room.shape[1] - self.t[flows]] >= 1 - TOLERANCE
        region, price = self.region[flows], self.price[flows]
        for budget_region, room in self.budget_room.items():
            ok &= (region != budget_region) | (price <= room + TOLERANCE)
        for mask, left in self.agreements:
            ok &= ~mask[flows] | (left >= 1 - TOLERANCE)
        return ok

    def removable(self, f: int) -> bool:
        """Whether one patient fewer on flow f keeps every agreement minimum it counts towards."""
        return all(not mask[f] or above >= 1 - TOLERANCE for mask, above in self.minimums)

    def take(self, f: int) -> None:
        """Book the room one more patient on flow f uses."""
        self._move(f, +1)

    def give(self, f: int) -> None:
        """Give back the room of one patient taken off flow f (the inverse of `take`)."""
        self._move(f, -1)

    def _move(self, f: int, patients: int) -> None:
        q, t = self.queue[f], self.t[f]
        self.theatre_room[self.theatre_row[f]] -= patients / self.rate[f]
        if self.bed[f] > 0:
            self.bed_room[self.bed_row[f]] -= patients * self.bed[f]
        self.queue_room[q, t - 1 :] -= patients
        if self.region[f] in self.budget_room:
            self.budget_room[self.region[f]] -= patients * self.price[f]
        for entry in self.agreements:
            if entry[0][f]:
                entry[1] -= patients
        for entry in self.minimums:
            if entry[0][f]:
                entry[1] += patients
        if len(self.fairness_treated):
            self.fairness_treated += patients * self.fairness_member[:, f]
