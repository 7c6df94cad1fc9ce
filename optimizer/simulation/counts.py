"""One draw's outcome as a tidy table: waiting, over 90 days, breach-days and treated per region,
procedure and week (and in total).

Definitions (as the evaluator's and the statistics'): at the end of week t (E_t = D0 + 7t days),
`waiting` = patients with status waiting not yet treated; `over_90` = those of them with decision date
+ 90 days < E_t, whatever the priority (the care-guarantee statistic); `breach_days` = 7 × those past
their priority's limit (decision date + limit < E_t; the objective's first tier); `treated` = patients
treated in the week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.rules import FORECAST_DAY_OFFSET
from optimizer.evaluation import Evaluation, Replay
from optimizer.model.instance import backlog

#: The levels of the outcome table and the column that names the member at each.
LEVELS = {"region": "region_id", "procedure": "procedure_id", "total": None}
METRICS = ["waiting", "over_90", "breach_days", "treated"]
OUTCOME_COLUMNS = ["level", "key", "week", *METRICS]
QUEUE_KEYS = ["region_id", "listed_hospital_id", "procedure_id", "class", "priority"]


def by_level(table: pd.DataFrame) -> pd.DataFrame:
    """Sum a per-(region, procedure, week) frame of METRICS to the levels region, procedure and total."""
    parts = []
    for level, column in LEVELS.items():
        keys = table[column] if column else pd.Series("all", index=table.index)
        summed = table.assign(key=keys).groupby(["key", "week"], as_index=False)[METRICS].sum()
        parts.append(summed.assign(level=level))
    return pd.concat(parts, ignore_index=True)[OUTCOME_COLUMNS]


def backlog_days(dataset: Dataset, base: Dataset, weeks: list[str]) -> pd.DataFrame:
    """The backlog's patients by queue (QUEUE_KEYS) with their decision day after D0 (`day`)."""
    patients = backlog(dataset, base, weeks)
    patients["class"] = np.where(patients["accepts_travel"].to_numpy(dtype=bool), "mobile", "local")
    patients["day"] = (patients["decision_date"] - pd.Timestamp(dataset.plan_start)).dt.days
    return patients[[*QUEUE_KEYS, "day"]]


def evaluation_counts(evaluation: Evaluation | Replay, patients: pd.DataFrame, weeks: list[str]) -> pd.DataFrame:
    """METRICS per queue's region, procedure and week of a replay by the evaluator (`by_level` sums them).

    `patients`: the replayed backlog (`backlog_days`; the same in every draw of a plan).

    Over 90 days per queue is exact under first-in-first-out (a queue has one priority, so its
    patients are treated oldest first): the untreated patients over 90 days are the patients who
    arrived with decision date + 90 < E_t less those treated by then, when that is positive.
    """
    queues = evaluation.queues
    n_weeks = len(weeks)
    table = queues[[*QUEUE_KEYS]].iloc[::n_weeks].reset_index(drop=True)
    arrived = queues["arrived"].to_numpy().reshape(-1, n_weeks)
    treated_cumulative = queues["treated_cumulative"].to_numpy().reshape(-1, n_weeks)
    ends = 7 * np.arange(1, n_weeks + 1)

    index = table.reset_index(names="q").merge(patients, on=QUEUE_KEYS, how="inner")
    old = np.zeros_like(arrived)
    counts = np.zeros(len(table))
    np.add.at(counts, index["q"].to_numpy(), 1.0)
    for t, end in enumerate(ends):
        np.add.at(old[:, t], index["q"].to_numpy(), (index["day"].to_numpy() + 90 < end).astype(float))
    cohorts = np.diff(arrived, axis=1, prepend=0.0)
    cohorts[:, 0] -= counts  # week 1's arrivals include the backlog
    cohort_day = 7 * np.arange(n_weeks) + FORECAST_DAY_OFFSET
    is_old = (cohort_day[None, :] + 90) < ends[:, None]  # [t, s]: week s's cohort is over 90 days at E_t
    old += cohorts @ is_old.T
    over_90 = np.maximum(old - treated_cumulative, 0.0)

    flat = queues[["region_id", "procedure_id", "week"]].copy()
    flat["waiting"] = queues["waiting"].to_numpy()
    flat["over_90"] = over_90.ravel()
    flat["breach_days"] = 7.0 * queues["over_90"].to_numpy()  # the evaluator's tier past the limit
    flat["treated"] = queues["treated"].to_numpy()
    return flat
