"""Summaries of a dataset as the national waiting-time statistics present them.

Days waited are counted at the plan start D0: (D0 − decision date). "Over 90" means more than 90
days. Shares exclude MoV/PvV patients, counts by procedure include them (as in the seeds' table).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.shares import share

#: Waiting-time bands of the national statistics (days, inclusive).
BANDS = ((0, 30), (31, 60), (61, 90), (91, 120), (121, 180), (181, 365), (366, None))


def band_labels() -> list[str]:
    return [f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in BANDS]


def days_waited(dataset: Dataset) -> pd.Series:
    """Days each waiting-list row has waited at the plan start."""
    return (pd.Timestamp(dataset.plan_start) - dataset.waiting_list["decision_date"]).dt.days


def region_summary(dataset: Dataset) -> pd.DataFrame:
    """Per region: rows, MoV/PvV, waiting (excl. MoV/PvV), over 90 and its share, over 365."""
    wl = dataset.waiting_list.assign(days=days_waited(dataset))
    planned = wl["status"] == "waiting"
    table = (
        pd.DataFrame(
            {
                "listed": wl.groupby("region_id").size(),
                "mov_pvv": wl[~planned].groupby("region_id").size(),
                "waiting": wl[planned].groupby("region_id").size(),
                "over_90": wl[planned & (wl["days"] > 90)].groupby("region_id").size(),
                "over_365": wl[planned & (wl["days"] > 365)].groupby("region_id").size(),
            }
        )
        .reindex(dataset.regions["region_id"])
        .fillna(0)
        .astype(int)
    )
    table["share_over_90"] = share(table["over_90"], table["waiting"])
    return table.rename_axis("region_id").reset_index()


def procedure_summary(dataset: Dataset) -> pd.DataFrame:
    """Per procedure: rows listed and over 90 days, including MoV/PvV (as the seeds count them)."""
    wl = dataset.waiting_list.assign(days=days_waited(dataset))
    table = (
        pd.DataFrame(
            {
                "listed": wl.groupby("procedure_id").size(),
                "over_90": wl[wl["days"] > 90].groupby("procedure_id").size(),
            }
        )
        .reindex(dataset.procedures["procedure_id"])
        .fillna(0)
        .astype(int)
    )
    table = table.rename_axis("procedure_id").reset_index()
    names = dataset.procedures.set_index("procedure_id")
    table.insert(1, "name", table["procedure_id"].map(names["name"]))
    table.insert(2, "name_sv", table["procedure_id"].map(names["name_sv"]))
    return table.sort_values("over_90", ascending=False).reset_index(drop=True)


def band_summary(dataset: Dataset) -> pd.DataFrame:
    """Per region: waiting patients (excl. MoV/PvV) in each national waiting-time band."""
    wl = dataset.waiting_list.assign(days=days_waited(dataset))
    wl = wl[wl["status"] == "waiting"]
    edges = [lo for lo, _ in BANDS] + [np.inf]
    wl = wl.assign(band=pd.cut(wl["days"], bins=[e - 0.5 for e in edges], labels=band_labels()))
    return wl.groupby(["region_id", "band"], observed=False).size().unstack("band", fill_value=0).reset_index()


def totals(dataset: Dataset) -> dict[str, float]:
    """Whole-dataset figures: rows, MoV/PvV, waiting, over 90 (excl. MoV/PvV) and its share."""
    regions = region_summary(dataset)
    waiting, over = int(regions["waiting"].sum()), int(regions["over_90"].sum())
    return {
        "listed": int(regions["listed"].sum()),
        "mov_pvv": int(regions["mov_pvv"].sum()),
        "waiting": waiting,
        "over_90": over,
        "share_over_90": over / waiting if waiting else 0.0,
        "over_365": int(regions["over_365"].sum()),
    }


def capacity_summary(dataset: Dataset) -> pd.DataFrame:
    """Per hospital: theatre days and bed-days per week on average, and the summer minimum."""
    theatre = dataset.capacity.groupby(["hospital_id", "week"])["theatre_days"].sum().groupby("hospital_id")
    beds = dataset.beds.groupby("hospital_id")["bed_days"]
    table = (
        pd.DataFrame(
            {
                "theatre_days_per_week": theatre.mean(),
                "theatre_days_min_week": theatre.min(),
                "bed_days_per_week": beds.mean(),
            }
        )
        .reindex(dataset.hospitals["hospital_id"])
        .fillna(0.0)
    )
    table = table.rename_axis("hospital_id").reset_index()
    hospitals = dataset.hospitals.set_index("hospital_id")
    table.insert(1, "region_id", table["hospital_id"].map(hospitals["region_id"]))
    table.insert(2, "level", table["hospital_id"].map(hospitals["level"]))
    return table
