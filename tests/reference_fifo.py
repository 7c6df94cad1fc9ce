"""The evaluator's FIFO replay as it was before it left finished items out (commit f39f381): every item
takes part every week. Kept as the reference that `optimizer.evaluation.fifo.simulate` must match
bit for bit (tests/test_replayer.py)."""

from __future__ import annotations

import numpy as np

from models.rules import THRESHOLDS, TIER_OFFSETS
from optimizer.evaluation.fifo import POSITION_EPS


def simulate_every_item(items, weight: np.ndarray, planned: np.ndarray, n_queues: int) -> dict:
    """The arrays of `fifo.simulate`, computed over all items every week."""
    n_groups, n_weeks = planned.shape
    g = items["g"].to_numpy(dtype=np.int64)
    q = items["q"].to_numpy(dtype=np.int64)
    day = items["day"].to_numpy(dtype=np.int64)
    limit = items["limit"].to_numpy(dtype=np.int64)
    arrival = items["arrival"].to_numpy(dtype=np.int64)
    starts = np.searchsorted(g, g)
    remaining = weight.copy()
    shape = (n_queues, n_weeks)
    arrived, treated, waiting = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    over = {theta: np.zeros(shape) for theta in THRESHOLDS}
    over_days = {theta: np.zeros(shape) for theta in THRESHOLDS}
    excess = np.zeros((n_groups, n_weeks))
    available_before = np.zeros((n_groups, n_weeks))
    done_week = np.full(len(items), -1)
    done_at = np.zeros(len(items))
    for t in range(n_weeks):
        present = arrival <= t + 1
        available = np.where(present, remaining, 0.0)
        before = np.cumsum(available) - available
        if len(before):
            before -= before[starts]
        take = np.clip(planned[g, t] - before, 0.0, available)
        supply = np.bincount(g, weights=available, minlength=n_groups)
        available_before[:, t] = supply
        excess[:, t] = np.maximum(planned[:, t] - supply, 0.0)
        remaining -= take
        finished = (done_week < 0) & present & (remaining <= POSITION_EPS) & (take > 0)
        done_week[finished] = t
        done_at[finished] = (before + take)[finished]
        arrived[:, t] = np.bincount(q, weights=np.where(present, weight, 0.0), minlength=n_queues)
        treated[:, t] = np.bincount(q, weights=take, minlength=n_queues)
        untreated = np.where(present, remaining, 0.0)
        waiting[:, t] = np.bincount(q, weights=untreated, minlength=n_queues)
        end = 7 * (t + 1)
        for theta in THRESHOLDS:
            over[theta][:, t] = np.bincount(
                q, weights=untreated * (day + limit + TIER_OFFSETS[theta] < end), minlength=n_queues
            )
            over_days[theta][:, t] = np.bincount(q, weights=untreated * (day + theta < end), minlength=n_queues)
    return {
        "arrived": arrived,
        "treated": treated,
        "waiting": waiting,
        **{f"over_{theta}": over[theta] for theta in THRESHOLDS},
        **{f"over_{theta}_days": over_days[theta] for theta in THRESHOLDS},
        "excess": excess,
        "available": available_before,
        "done_week": done_week,
        "done_at": done_at,
    }
