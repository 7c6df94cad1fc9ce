"""Flows fixed from outside (a proposal the planning group made): which LP columns they are.

A fixed flow is a row of the allocations.csv format (region_id, listed_hospital_id, procedure_id,
class, hospital_id, week, patients; a `priority` column is summed away). A row without
`listed_hospital_id` applies where its region, procedure and class have one listed hospital among
the LP's flow groups, as the evaluator does (`optimizer.evaluation.flows.fill_listed_hospitals`).
`formulate(inst, fixed=...)` gives those columns equal lower and upper bounds; every other column
is optimised as usual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.model.instance import Instance

KEYS = ["region_id", "listed_hospital_id", "procedure_id", "class", "hospital_id", "week"]


@dataclass
class FixedColumns:
    """Columns of `inst.flows` and their fixed values; `unmatched`: rows that are no LP column."""

    columns: np.ndarray
    values: np.ndarray
    unmatched: pd.DataFrame


def fixed_columns(inst: Instance, flows: pd.DataFrame) -> FixedColumns:
    """The `inst.flows` columns that `flows` fix, with their patients summed per column.

    Rows on arcs or weeks the LP has no column for (ineligible, outside the plan, no capacity row)
    are returned in `unmatched`; rows with 0 patients fix their column at 0.
    """
    frame = flows.copy()
    if "listed_hospital_id" not in frame:
        frame["listed_hospital_id"] = ""
    frame["listed_hospital_id"] = frame["listed_hospital_id"].fillna("").astype(str)
    for column in ("region_id", "procedure_id", "class", "hospital_id", "week"):
        frame[column] = frame[column].astype(str)
    frame["patients"] = frame["patients"].astype(float)
    blank = frame["listed_hospital_id"] == ""
    if blank.any():
        keys = ["region_id", "procedure_id", "class"]
        groups = inst.groups[[*keys, "listed_hospital_id"]].drop_duplicates()
        unique = groups.groupby(keys)["listed_hospital_id"].agg(lambda s: s.iloc[0] if len(s) == 1 else "")
        filled = unique.reindex(pd.MultiIndex.from_frame(frame.loc[blank, keys])).fillna("").to_numpy()
        frame.loc[blank, "listed_hospital_id"] = filled
    week_of = {label: t for t, label in enumerate(inst.weeks, start=1)}
    frame["t"] = frame["week"].map(week_of)
    lp = inst.flows[KEYS[:-1] + ["t"]].reset_index(names="column")
    matched = frame.merge(lp, on=KEYS[:-1] + ["t"], how="left")
    found = matched["column"].notna()
    per_column = matched[found].groupby("column")["patients"].sum()
    return FixedColumns(
        columns=per_column.index.to_numpy(dtype=np.int64),
        values=np.maximum(per_column.to_numpy(dtype=float), 0.0),
        unmatched=flows[~found.to_numpy()],
    )
