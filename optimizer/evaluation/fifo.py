"""The evaluator's week-by-week replay: every group's planned patients treat its arrived ones, earliest
deadline first; the per-queue table and the `queue` violations (flow beyond what has arrived).

Part of the independent evaluator (`optimizer.evaluation`): it uses only `models`. Used by
`evaluate_flows` (one set of flows) and by `Replayer` (many draws of one plan), which is why the
items' order (`replay_order`) and their weights are separate inputs: a draw changes weights only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.rules import THRESHOLDS, TIER_OFFSETS
from optimizer.evaluation.flows import GROUP_KEYS, violation_frame

#: Slack below a patient's FIFO position within which the cumulative flow counts as covering them.
POSITION_EPS = 1e-6
QUEUE_KEYS = [*GROUP_KEYS, "priority"]


def replay_order(items: pd.DataFrame) -> pd.DataFrame:
    """`items` (with group `g` and queue `q`) in the replay's fixed order: (group, deadline, day, kind,
    patient_id), deadline = decision day + limit."""
    items = items.assign(deadline=items["day"] + items["limit"])
    return items.sort_values(["g", "deadline", "day", "kind", "patient_id"], na_position="last", ignore_index=True)


def planned_patients(g: np.ndarray, t: np.ndarray, patients: np.ndarray, n_groups: int, n_weeks: int) -> np.ndarray:
    """Group × week array of the patients the flows plan (`t` = week 1..T; rows summed in their order)."""
    planned = np.zeros((n_groups, n_weeks))
    np.add.at(planned, (g, t - 1), patients)
    return planned


def simulate(items: pd.DataFrame, weight: np.ndarray, planned: np.ndarray, n_queues: int, tolerance: float) -> dict:
    """Week-by-week replay of every group at once, earliest deadline first; arrays are queue × week.

    `items` are in `replay_order`, `weight` their weights in that order; each week a group's flow
    (`planned`, group × week) takes the arrived, untreated weight in that order (a cumulative sum
    within the group).
    """
    n_groups, n_weeks = planned.shape
    g = items["g"].to_numpy(dtype=np.int64)
    q = items["q"].to_numpy(dtype=np.int64)
    day = items["day"].to_numpy(dtype=np.int64)
    limit = items["limit"].to_numpy(dtype=np.int64)
    arrival = items["arrival"].to_numpy(dtype=np.int64)
    starts = np.searchsorted(g, g)
    deadline = {theta: day + limit + TIER_OFFSETS[theta] for theta in THRESHOLDS}
    remaining = weight.copy()
    shape = (n_queues, n_weeks)
    arrived, treated, waiting = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    over = {theta: np.zeros(shape) for theta in THRESHOLDS}
    over_days = {theta: np.zeros(shape) for theta in THRESHOLDS}
    excess = np.zeros((n_groups, n_weeks))
    available_before = np.zeros((n_groups, n_weeks))
    done_week = np.full(len(items), -1)
    done_at = np.zeros(len(items))  # where in the group-week's flow the item is completed
    for t in range(n_weeks):
        present = arrival <= t + 1
        arrived[:, t] = np.bincount(q, weights=np.where(present, weight, 0.0), minlength=n_queues)
        # Only the items with something left to treat take part: the others add exact zeros to every
        # sum below (x + 0.0 = x), so leaving them out changes no bit and saves most of the work late
        # in the horizon, when most of the list has been treated.
        active = np.flatnonzero(present & (remaining > 0.0))
        available = remaining[active]
        ga, qa = g[active], q[active]
        total = np.cumsum(available)
        before = total - available  # the global running sum up to the item, as over all items
        if len(active):
            # subtract the running sum at the group's first item; when that item is not active here
            # its value is the running sum of the active items before it (0 before the first)
            first = np.flatnonzero(np.r_[True, ga[1:] != ga[:-1]])
            own_start = active[first] == starts[active[first]]
            previous = np.where(first > 0, total[np.maximum(first - 1, 0)], 0.0)
            base = np.where(own_start, before[first], previous)
            before -= np.repeat(base, np.diff(np.r_[first, len(active)]))
        take = np.clip(planned[ga, t] - before, 0.0, available)
        supply = np.bincount(ga, weights=available, minlength=n_groups)
        available_before[:, t] = supply
        excess[:, t] = np.maximum(planned[:, t] - supply, 0.0)
        left = available - take
        remaining[active] = left
        finished = (done_week[active] < 0) & (left <= POSITION_EPS) & (take > 0)
        done_week[active[finished]] = t
        done_at[active[finished]] = (before + take)[finished]
        treated[:, t] = np.bincount(qa, weights=take, minlength=n_queues)
        waiting[:, t] = np.bincount(qa, weights=left, minlength=n_queues)
        end = 7 * (t + 1)
        for theta in THRESHOLDS:
            over[theta][:, t] = np.bincount(qa, weights=left * (deadline[theta][active] < end), minlength=n_queues)
            over_days[theta][:, t] = np.bincount(qa, weights=left * (day[active] + theta < end), minlength=n_queues)
    return {
        "items": items,
        "arrived": arrived,
        "treated": treated,
        "waiting": waiting,
        "over": over,
        "over_days": over_days,
        "planned": planned,
        "excess": excess,
        "available": available_before,
        "done_week": done_week,
        "done_at": done_at,
        "tolerance": tolerance,
    }


def queue_violations(sim: dict, groups: pd.DataFrame, labels: list[str], out: list[pd.DataFrame]) -> None:
    """A `queue` violation per group and week whose flow exceeds its arrived, untreated patients."""
    excess, available = sim["excess"], sim["available"]
    gi, ti = np.nonzero(excess > sim["tolerance"] * np.maximum(1.0, available))
    if len(gi) == 0:
        return
    rows = groups.iloc[gi]
    keys = (
        (
            rows["region_id"] + "/" + rows["listed_hospital_id"] + "/" + rows["procedure_id"] + "/" + rows["class"]
        ).to_numpy()
        + "/"
        + np.array(labels, dtype=object)[ti]
    )
    messages = [
        f"{sim['planned'][a, b]:.6g} patients planned but only {available[a, b]:.6g} arrived and untreated"
        for a, b in zip(gi, ti, strict=True)
    ]
    out.append(violation_frame("queue", pd.Series(keys), pd.Series(excess[gi, ti]), pd.Series(messages)))


def queue_table(sim: dict, queues: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Per queue (QUEUE_KEYS) × week: arrived, treated, treated_cumulative, waiting, over_<θ> (breach tiers)."""
    n_queues, n_weeks = sim["arrived"].shape
    table = queues.loc[np.repeat(np.arange(n_queues), n_weeks), QUEUE_KEYS].reset_index(drop=True)
    table["week"] = np.tile(np.array(labels, dtype=object), n_queues)
    table["arrived"] = sim["arrived"].ravel()
    table["treated"] = sim["treated"].ravel()
    table["treated_cumulative"] = np.cumsum(sim["treated"], axis=1).ravel()
    table["waiting"] = sim["waiting"].ravel()
    for theta in THRESHOLDS:
        table[f"over_{theta}"] = sim["over"][theta].ravel()
    return table
