"""The evaluator's view of a re-plan: booked patients and the change penalty, from the data alone.

Booked patients (status `booked`, `booked_hospital_id`, `booked_week`) wait until their week and are
treated in it, using theatre days and bed-days there; `changed_proposals` counts the previous
plan's proposals the flows do not keep, and `week_drift` the patients on the other side of a week's
end than in the previous plan (per group: treated up to the week against the previous plan's flows).
All are computed here independently of the LP's own
bookkeeping (`optimizer.model.bookings`, `optimizer.model.anchor`), as the rest of the evaluator is.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.rules import THRESHOLDS, TIER_OFFSETS
from optimizer.evaluation.flows import GROUP_KEYS


def booked_patients(dataset: Dataset, d0: dt.date, labels: list[str]) -> dict:
    """Booked patients: per patient × week `waiting`, `treated`, `over_<θ>` (tiers), `over_<θ>_days`
    (statistics), their `region`, and `needs`: one flow-like row per booking in the plan (capacity use)."""
    waiting = dataset.waiting_list
    rows = waiting[waiting["status"] == "booked"]
    if "booked_week" not in rows.columns:  # a dataset made in code without the booking columns
        rows = rows.assign(booked_hospital_id="", booked_week="")
    n_weeks = len(labels)
    week_of = {label: t for t, label in enumerate(labels, start=1)}
    booked_t = (
        rows["booked_week"].map(week_of).fillna(0).to_numpy(dtype=np.int64)[:, None]
        if len(rows)
        else np.zeros((0, 1), dtype=np.int64)
    )
    day = (rows["decision_date"] - pd.Timestamp(d0)).dt.days.to_numpy(dtype=np.int64)[:, None]
    limits = dataset.priorities.set_index("priority_id")["max_wait_days"]
    priority = rows["priority"] if "priority" in rows.columns else pd.Series("routine", index=rows.index)
    limit = np.floor(priority.map(limits).to_numpy(dtype=float)).astype(np.int64)[:, None]
    week = np.arange(1, n_weeks + 1)[None, :]
    untreated = (week < booked_t).astype(float)
    out = {
        "region": rows["region_id"].to_numpy(dtype=object),
        "waiting": untreated,
        "treated": (week == booked_t).astype(float),
    }
    for theta in THRESHOLDS:
        out[f"over_{theta}"] = untreated * (day + limit + TIER_OFFSETS[theta] < 7 * week)
        out[f"over_{theta}_days"] = untreated * (day + theta < 7 * week)
    procedures = dataset.procedures.set_index("procedure_id")
    within = rows[rows["booked_week"].isin(week_of)]
    rates = dataset.capabilities.set_index(["hospital_id", "procedure_id"])["cases_per_theatre_day"]
    own = rates.reindex(pd.MultiIndex.from_arrays([within["booked_hospital_id"], within["procedure_id"]]))
    default = within["procedure_id"].map(procedures["cases_per_theatre_day"])
    out["needs"] = pd.DataFrame(
        {
            "hospital_id": within["booked_hospital_id"].to_numpy(dtype=object),
            "specialty": within["procedure_id"].map(procedures["specialty"]).to_numpy(dtype=object),
            "week": within["booked_week"].to_numpy(dtype=object),
            "patients": 1.0,
            "rate": np.where(own.isna().to_numpy(), default.to_numpy(dtype=float), own.to_numpy(dtype=float)),
            "bed_days_per_case": within["procedure_id"].map(procedures["bed_days_per_case"]).to_numpy(dtype=float),
        }
    )
    return out


def _still_waiting(previous: pd.DataFrame, dataset: Dataset) -> np.ndarray:
    """Per previous proposal, whether its patient is still `waiting` (to be planned) in `dataset`."""
    waiting = dataset.waiting_list.loc[dataset.waiting_list["status"] == "waiting", ["patient_id", "procedure_id"]]
    keys = pd.MultiIndex.from_frame(previous[["patient_id", "procedure_id"]])
    return keys.isin(pd.MultiIndex.from_frame(waiting))


def changed_proposals(previous: pd.DataFrame | None, dataset: Dataset, flows: pd.DataFrame, labels: list[str]) -> float:
    """Σ over (group, hospital, week) of max(0, previous proposals − patients the flows plan there),
    over the previous proposals of patients still waiting (a booked patient's is fixed)."""
    if previous is None or previous.empty:
        return 0.0
    keys = [*GROUP_KEYS, "hospital_id", "week"]
    previous = previous[_still_waiting(previous, dataset)]
    cells = previous[previous["week"].isin(labels)].groupby(keys).size().astype(float)
    planned = flows.groupby(keys)["patients"].sum().reindex(cells.index).fillna(0.0)
    return float(np.maximum(cells - planned, 0.0).sum())


def week_drift(
    previous: pd.DataFrame | None,
    previous_flows: pd.DataFrame | None,
    dataset: Dataset,
    flows: pd.DataFrame,
    labels: list[str],
) -> float:
    """Σ over (group, week t) of |patients the flows plan in the group up to t − patients the previous
    plan's flows planned there up to t|, the previous ones less the proposals of patients no longer
    waiting; the plan being ahead counts only while the previous plan still treats patients of the
    group after week t. 0 without previous flows."""
    if previous_flows is None or previous_flows.empty:
        return 0.0
    before = previous_flows[previous_flows["week"].astype(str).isin(labels)]
    before = before.groupby([*GROUP_KEYS, "week"])["patients"].sum().unstack("week")
    before = before.reindex(columns=labels).fillna(0.0)
    if previous is not None and not previous.empty:
        gone = previous[~_still_waiting(previous, dataset)]
        gone = gone[gone["week"].isin(labels)].groupby([*GROUP_KEYS, "week"]).size().unstack("week")
        gone = gone.reindex(index=before.index, columns=labels).fillna(0.0)
        before = (before - gone).clip(lower=0.0)
    schedule = before.cumsum(axis=1).to_numpy()
    planned = flows.groupby([*GROUP_KEYS, "week"])["patients"].sum().unstack("week")
    planned = planned.reindex(index=before.index, columns=labels).fillna(0.0)
    now = planned.cumsum(axis=1).to_numpy()
    remaining = schedule < schedule[:, -1:] - 1e-9
    behind = np.maximum(schedule - now, 0.0).sum()
    return float(behind + np.where(remaining, np.maximum(now - schedule, 0.0), 0.0).sum())
