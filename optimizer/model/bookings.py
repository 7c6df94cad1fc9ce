"""Booked patients in the LP: fixed treatments that use capacity and count in every KPI, as constants.

A booked patient (status `booked`, `models.bookings`) is treated at `booked_hospital_id` in
`booked_week` whatever the plan does, so the LP needs no variable for them:

- capacity net of bookings (`net_of_bookings`, the one place): theatre days of (h, s, t) less
  Σ 1/rate over the bookings there, bed-days of (h, t) less Σ bed_days_per_case (never below 0);
- the KPIs (`booking_counts`): a booked patient waits until their week and is treated in it: at the end
  of plan week t < t_b they are waiting, over θ days when decision + θ < E_t (the statistics) and
  over breach tier j when decision + L + τ_j < E_t, exactly as a waiting patient; from t_b on they are
  treated. A booking before the plan (t_b = 0) was treated before it: it counts nowhere.
Their breach- and waiting-days are constants of the objective (`formulation.add_objective`) and are
added to the tables (`optimizer.results.tables`), so LP, tables and evaluator agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.bookings import booked_mask, late_booking_problems
from models.dataset import DEFAULT_PRIORITY, Dataset
from models.errors import DatasetError
from models.rules import THRESHOLDS, TIER_OFFSETS, fallback_hospitals
from models.weeks import parse_iso_week

BOOKING_COLUMNS = [
    "patient_id",
    "region_id",
    "listed_hospital_id",
    "procedure_id",
    "class",
    "priority",
    "limit_days",
    "offset_days",
    "hospital_id",
    "specialty",
    "rate",
    "bed_days_per_case",
    "week",
    "t",
]


def booking_rows(dataset: Dataset, base: Dataset, weeks: list[str]) -> pd.DataFrame:
    """One row per booked patient (`BOOKING_COLUMNS`); `t` is the booked week's number (0: before the plan).

    Raises `DatasetError` for a booking after the plan's last week.
    """
    waiting = dataset.waiting_list
    booked = waiting[booked_mask(waiting)]
    if booked.empty:
        return pd.DataFrame(columns=BOOKING_COLUMNS).astype({"t": "int64", "rate": float, "offset_days": "int64"})
    problems = late_booking_problems(booked, weeks[-1])
    if problems:
        raise DatasetError(problems)
    d0 = pd.Timestamp(parse_iso_week(weeks[0]))
    listed = booked.get("listed_hospital_id", pd.Series(None, index=booked.index)).astype(object)
    missing = listed.isna() | (listed == "")
    if missing.any():
        fallback = fallback_hospitals(dataset, base, weeks).set_index(["region_id", "procedure_id"])["hospital_id"]
        keys = pd.MultiIndex.from_frame(booked.loc[missing, ["region_id", "procedure_id"]])
        listed[missing] = fallback.reindex(keys).to_numpy()
    week_of = {label: t for t, label in enumerate(weeks, start=1)}
    rows = pd.DataFrame(
        {
            "patient_id": booked["patient_id"].to_numpy(dtype=object),
            "region_id": booked["region_id"].to_numpy(dtype=object),
            "listed_hospital_id": listed.to_numpy(dtype=object),
            "procedure_id": booked["procedure_id"].to_numpy(dtype=object),
            "class": np.where(booked["accepts_travel"].to_numpy(dtype=bool), "mobile", "local"),
            "priority": booked.get("priority", pd.Series(DEFAULT_PRIORITY, index=booked.index)).to_numpy(dtype=object),
            "offset_days": (booked["decision_date"] - d0).dt.days.to_numpy(dtype=np.int64),
            "hospital_id": booked["booked_hospital_id"].to_numpy(dtype=object),
            "week": booked["booked_week"].to_numpy(dtype=object),
        }
    )
    rows["t"] = rows["week"].map(week_of).fillna(0).astype("int64")  # before the plan: 0
    limits = dataset.priorities.set_index("priority_id")["max_wait_days"]
    rows["limit_days"] = rows["priority"].map(limits).astype(float)
    procedures = dataset.procedures.set_index("procedure_id")
    rows["specialty"] = rows["procedure_id"].map(procedures["specialty"])
    rows["bed_days_per_case"] = rows["procedure_id"].map(procedures["bed_days_per_case"]).astype(float)
    rates = dataset.capabilities.set_index(["hospital_id", "procedure_id"])["cases_per_theatre_day"]
    own = rates.reindex(pd.MultiIndex.from_frame(rows[["hospital_id", "procedure_id"]])).to_numpy(dtype=float)
    default = rows["procedure_id"].map(procedures["cases_per_theatre_day"]).to_numpy(dtype=float)
    rows["rate"] = np.where(np.isnan(own), default, own)
    return rows[BOOKING_COLUMNS]


def net_of_bookings(
    theatre: pd.DataFrame, beds: pd.DataFrame, bookings: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Theatre and bed rows with what the bookings use taken off (`booked_days`, `booked_bed_days` columns)."""
    within = bookings[bookings["t"] > 0]
    keys = ["hospital_id", "specialty", "t"]
    days = within.assign(booked_days=1.0 / within["rate"]).groupby(keys, as_index=False)["booked_days"].sum()
    theatre = theatre.merge(days, on=keys, how="left").fillna({"booked_days": 0.0})
    theatre["theatre_days"] = (theatre["theatre_days"] - theatre["booked_days"]).clip(lower=0.0)
    bed_keys = ["hospital_id", "t"]
    used = within.assign(booked_bed_days=within["bed_days_per_case"]).groupby(bed_keys, as_index=False)
    beds = beds.merge(used["booked_bed_days"].sum(), on=bed_keys, how="left").fillna({"booked_bed_days": 0.0})
    beds["bed_days"] = (beds["bed_days"] - beds["booked_bed_days"]).clip(lower=0.0)
    return theatre, beds


def booking_counts(bookings: pd.DataFrame, horizon: int) -> dict[str, np.ndarray]:
    """Per booking × week (booking, t − 1): `waiting`, `over_<θ>_days` (statistics), `over_<θ>` (breach
    tiers from the priority's limit) at the end of week t, and `treated` in week t."""
    t = np.arange(1, horizon + 1)[None, :]
    booked_t = bookings["t"].to_numpy(dtype=np.int64)[:, None]
    offset = bookings["offset_days"].to_numpy(dtype=np.int64)[:, None]
    limit = np.floor(bookings["limit_days"].to_numpy(dtype=float)).astype(np.int64)[:, None]
    untreated = (t < booked_t).astype(float)
    end = 7 * t
    counts = {"waiting": untreated, "treated": (t == booked_t).astype(float)}
    for theta in THRESHOLDS:
        counts[f"over_{theta}_days"] = untreated * (offset + theta < end)
        counts[f"over_{theta}"] = untreated * (offset + limit + TIER_OFFSETS[theta] < end)
    return counts
