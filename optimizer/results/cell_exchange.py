"""Step 6 of the whole-patient plan: use idle theatre time by exchanging patients within a theatre cell.

After rounding and filling (`optimizer.results.whole_patient`), most theatre cells (hospital ×
specialty × week) keep a little idle time: less than any waiting patient's operation, so nobody more
fits. The LP used that time with fractions of patients. Here, cell by cell in week order, one patient
of a flow in the cell is taken off and the freed time is refilled greedily with the patients worth
most per theatre day among the cell's flows (often two short operations for one long one). The
exchange is kept when the objective falls (every term: `MarginalValue`); otherwise it is undone.
Each cell is retried while an exchange is kept; then the cells whose flow groups an exchange changed
are swept again (at most `MAX_SWEEPS` sweeps). Each kept exchange lowers the objective as
`MarginalValue` counts it, so the search ends.

Every step keeps every row (`RowRoom.fits`), never lowers a flow below its lower bound (a fixed
proposal), and never takes a patient off an agreement's flows when that would break its minimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.model.instance import Instance
from optimizer.results.marginal_value import MarginalValue
from optimizer.results.row_room import TOLERANCE, RowRoom

#: Sweeps over all cells at most; on the default scenario the third gains 0.02 % of the objective.
MAX_SWEEPS = 3


@dataclass
class ExchangeStats:
    """What the exchange did: trials, exchanges kept, sweeps, the estimated objective saved, and
    whether the plan went back to the one before the exchange (its whole objective was not lower)."""

    trials: int = 0
    kept: int = 0
    sweeps: int = 0
    saved: float = 0.0
    reverted: bool = False


def exchange_in_theatre_cells(
    inst: Instance, whole: np.ndarray, room: RowRoom, lower: np.ndarray | None = None
) -> ExchangeStats:
    """Exchange patients within theatre cells while it lowers the objective; changes `whole` and `room`."""
    value = MarginalValue(inst, room, whole)
    group = inst.flows["group"].to_numpy()
    days = 1.0 / room.rate
    floor = np.zeros(len(whole)) if lower is None else np.ceil(lower - TOLERANCE)
    by_cell = np.argsort(room.theatre_row, kind="stable")
    cell_start = np.searchsorted(room.theatre_row[by_cell], np.arange(len(room.theatre_room) + 1))
    cells = np.argsort(inst.theatre["t"].to_numpy(), kind="stable")  # week by week
    # a cell is worth another try only when one of its flow groups changed since its last try
    cells_of_group = _cells_of_group(room.theatre_row, group, len(inst.groups))
    todo = np.zeros(len(room.theatre_room), dtype=bool)
    todo[cells] = True
    stats = ExchangeStats()
    if value.previous.any():
        # a re-plan: first move patients back to the previous plan's cells where that pays (where the
        # data did not change, the previous plan's own exchanges), then the free sweeps
        for cell in cells.tolist():
            flows = by_cell[cell_start[cell] : cell_start[cell + 1]]
            while _one_exchange(flows, whole, floor, room, value, group, days, stats, toward=value.previous):
                pass
    for _ in range(MAX_SWEEPS):
        stats.sweeps += 1
        pending = cells[todo[cells]]
        todo[:] = False
        for cell in pending.tolist():
            flows = by_cell[cell_start[cell] : cell_start[cell + 1]]
            while changed := _one_exchange(flows, whole, floor, room, value, group, days, stats):
                for g in changed:
                    todo[cells_of_group[g]] = True
            todo[cell] = False
        if not todo.any():
            break
    return stats


def _cells_of_group(theatre_row: np.ndarray, group: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """The theatre cells each flow group has a flow in."""
    pairs = np.unique(np.stack([group, theatre_row]), axis=1)
    starts = np.searchsorted(pairs[0], np.arange(n_groups + 1))
    return [pairs[1, starts[g] : starts[g + 1]] for g in range(n_groups)]


def _one_exchange(
    flows: np.ndarray,
    whole: np.ndarray,
    floor: np.ndarray,
    room: RowRoom,
    value: MarginalValue,
    group: np.ndarray,
    days: np.ndarray,
    stats: ExchangeStats,
    toward: np.ndarray | None = None,
) -> set[int]:
    """Try taking one patient off one flow of the cell and refilling; the flow groups changed if kept.

    With `toward` (patients per flow), only flows above it give a patient and only flows below it
    take one.
    """
    if len(flows) < 2:
        return set()
    taken = flows[whole[flows] >= floor[flows] + 1 - TOLERANCE]
    if toward is not None:
        taken = taken[whole[taken] >= toward[taken] + 1 - TOLERANCE]
    taken = taken[[room.removable(f) for f in taken.tolist()]]
    if len(taken) == 0:
        return set()
    loss = value.loss(taken)
    # flows of one operation length free the same time: try the one whose patient costs least to drop
    shortest = days[flows].min()
    by_length: dict[float, tuple[int, float]] = {}
    for f, lost in zip(taken.tolist(), loss.tolist(), strict=True):
        length = round(float(days[f]), 9)
        if length not in by_length or lost < by_length[length][1]:
            by_length[length] = (f, lost)
    cell_idle = room.theatre_room[room.theatre_row[flows[0]]]
    for length in sorted(by_length, reverse=True):
        off, lost = by_length[length]
        if length + cell_idle < shortest - TOLERANCE:
            continue  # the freed time fits nobody
        stats.trials += 1
        room.give(off)
        whole[off] -= 1
        change, added = lost, []
        others = flows != off
        worth = value.gain(flows)
        # a patient more saves no more than the one before (`MarginalValue`): no refill of the freed
        # time saves more than that time at the best saving per day now
        if np.max((worth / days[flows])[others], initial=0.0) * (length + cell_idle) > lost + TOLERANCE:
            fits = room.fitting(flows) & others
            while True:
                if toward is not None:
                    fits &= whole[flows] <= toward[flows] - 1 + TOLERANCE
                score = np.where(fits & (worth > TOLERANCE), worth / days[flows], -np.inf)
                best = int(np.argmax(score))  # most saved per theatre day
                if score[best] == -np.inf:
                    break
                on = int(flows[best])
                room.take(on)
                whole[on] += 1
                added.append(on)
                change -= worth[best]
                worth = value.gain(flows)
                fits = _still_fitting(room, flows, fits, on, group)
        if change < -TOLERANCE:
            stats.kept += 1
            stats.saved -= change
            return {int(group[off]), *(int(group[on]) for on in added)}
        for on in added:  # undo
            room.give(on)
            whole[on] -= 1
        room.take(off)
        whole[off] += 1
    return set()


def _still_fitting(room: RowRoom, flows: np.ndarray, fits: np.ndarray, on: int, group: np.ndarray) -> np.ndarray:
    """`fits` after one more patient on flow `on`, for flows of the same theatre cell.

    The cell's flows share its theatre row and their hospital's bed row, so the patient lowers two
    rooms all of them use and the queue room of its own group; budgets and agreement maximums
    reach across cells, so with any of them every flow is checked again (`RowRoom.fitting`).
    """
    if room.budget_room or room.agreements:
        return fits & room.fitting(flows)
    fits = fits & (1.0 / room.rate[flows] <= room.theatre_room[room.theatre_row[on]] + TOLERANCE)
    if room.bed[on] > 0:
        fits &= (room.bed[flows] <= 0) | (room.bed[flows] <= room.bed_room[room.bed_row[on]] + TOLERANCE)
    same_group = np.nonzero(group[flows] == group[on])[0]
    fits[same_group] &= room.fitting(flows[same_group])
    return fits
