"""The evaluator's patients: backlog patients and forecast cohorts, the items its FIFO replay serves.

Part of the independent evaluator (`optimizer.evaluation`): it uses only `models`. The rules are in
`optimizer.evaluation.replay`'s docstring ("Patients"). The construction is split so that a replay
of many demand draws (`optimizer.evaluation.replayer`) prepares everything once and recomputes only
the cohorts' weights: `cohort_spread` (how each forecast row splits over listed hospitals and
classes) depends on the demand's keys, `cohort_weights` on its values.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.rules import FORECAST_DAY_OFFSET, fallback_hospitals
from models.scenario import Scenario

#: The demand's keys once summed over rows of the same plan week (`s` = week index 1..T).
DEMAND_KEYS = ["region_id", "procedure_id", "s"]
#: The classes in the order their cohorts are listed (the share accepting travel goes to `mobile`).
CLASSES = ("mobile", "local")


def mobile_share(waiting: pd.DataFrame, scenario: Scenario, pairs: pd.DataFrame) -> np.ndarray:
    """The share accepting travel for each (region, procedure) row of `pairs` (module docstring of replay)."""
    setting = scenario.policy.share_accepting_travel
    if setting != "from_data":
        return np.full(len(pairs), float(setting))
    overall = float(waiting["accepts_travel"].astype(float).mean()) if len(waiting) else 0.5
    by_pair = (
        waiting.assign(share=waiting["accepts_travel"].astype(float))
        .groupby(["region_id", "procedure_id"], as_index=False)["share"]
        .mean()
    )
    return pairs.merge(by_pair, on=["region_id", "procedure_id"], how="left")["share"].fillna(overall).to_numpy()


def summed_demand(demand: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """demand.csv rows in plan weeks, summed per DEMAND_KEYS (sorted by them): `expected_decisions`."""
    week_of = {label: t for t, label in enumerate(labels, start=1)}
    within = demand.assign(s=demand["week"].map(week_of)).dropna(subset=["s"])
    return within.groupby(DEMAND_KEYS, as_index=False)["expected_decisions"].sum()


def _listed_at(rows: pd.DataFrame, fallback: pd.Series) -> np.ndarray:
    """Each row's listed hospital, the (region, procedure)'s fallback hospital where none is listed."""
    listed = rows["listed_hospital_id"].astype(object).where(rows["listed_hospital_id"].notna(), "")
    listed = listed.to_numpy(dtype=object).copy()
    unlisted = listed == ""
    if unlisted.any():
        keys = pd.MultiIndex.from_frame(rows.loc[unlisted, ["region_id", "procedure_id"]])
        listed[unlisted] = fallback.reindex(keys).to_numpy()
    return listed


def cohort_spread(
    dataset: Dataset, on_list: pd.DataFrame, fallback: pd.Series, scenario: Scenario, demand: pd.DataFrame
) -> pd.DataFrame:
    """Each summed forecast row (`summed_demand`) spread over listed hospitals: one row per (row, hospital).

    Columns: DEMAND_KEYS, `listed_hospital_id`, `share_l` (that hospital's share of the (region,
    procedure)'s list; none listed: the fallback hospital, 1), `share` (accepting travel),
    `expected_decisions`, and `row` (the row of `demand` it comes from).
    """
    whole_list = on_list[["region_id", "procedure_id"]].assign(listed_hospital_id=_listed_at(on_list, fallback))
    counts = whole_list.groupby(["region_id", "procedure_id", "listed_hospital_id"], as_index=False).size()
    counts["share_l"] = counts["size"] / counts.groupby(["region_id", "procedure_id"])["size"].transform("sum")
    rows = demand.assign(row=np.arange(len(demand)))
    spread = rows.merge(counts[["region_id", "procedure_id", "listed_hospital_id", "share_l"]], how="left")
    alone = spread["share_l"].isna().to_numpy()
    if alone.any():
        keys = pd.MultiIndex.from_frame(spread.loc[alone, ["region_id", "procedure_id"]])
        spread.loc[alone, "listed_hospital_id"] = fallback.reindex(keys).to_numpy()
        spread.loc[alone, "share_l"] = 1.0
    spread["share"] = mobile_share(on_list, scenario, spread[["region_id", "procedure_id"]])
    return spread


def cohort_weights(expected: np.ndarray, spread: pd.DataFrame, priorities: pd.DataFrame) -> list[np.ndarray]:
    """The cohorts' weights, one array per (class in CLASSES, priority) over `spread`'s rows:
    expected decisions × share of the listed hospital × share of the class × demand share."""
    share = spread["share"].to_numpy()
    return [
        expected * spread["share_l"].to_numpy() * part * k_share
        for part in (share, 1.0 - share)
        for k_share in priorities["demand_share"]
    ]


def queue_items(
    dataset: Dataset, base: Dataset, scenario: Scenario, d0: dt.date, labels: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backlog patients (weight 1, arrival week 0) and forecast cohorts (weight, arrival week s ≥ 1),
    and the `cohort_spread` they come from (so that a demand draw can re-weight the cohorts).

    `day` is the decision date in days after D0, `limit` the priority's limit in whole days; `kind`
    0 = patient, 1 = cohort (the tie-break). The backlog comes first, then the cohorts in blocks
    (class in CLASSES, priority) over the spread's rows.
    """
    waiting = dataset.waiting_list[dataset.waiting_list["status"] == "waiting"]
    # new decisions are split as the list is, booked patients included (a booking changes no split)
    on_list = dataset.waiting_list[dataset.waiting_list["status"].isin(("waiting", "booked"))]
    limits = dataset.priorities.set_index("priority_id")["max_wait_days"]
    fallback = fallback_hospitals(dataset, base, labels).set_index(["region_id", "procedure_id"])["hospital_id"]
    backlog = pd.DataFrame(
        {
            "region_id": waiting["region_id"].to_numpy(dtype=object),
            "listed_hospital_id": np.asarray(_listed_at(waiting, fallback), dtype=object),
            "procedure_id": waiting["procedure_id"].to_numpy(dtype=object),
            "class": np.where(waiting["accepts_travel"].to_numpy(dtype=bool), "mobile", "local").astype(object),
            "priority": waiting["priority"].to_numpy(dtype=object),
            "day": (waiting["decision_date"] - pd.Timestamp(d0)).dt.days.to_numpy(dtype=np.int64),
            "weight": 1.0,
            "arrival": 0,
            "kind": 0,
            "patient_id": waiting["patient_id"].to_numpy(dtype=object),
            "decision_date": waiting["decision_date"].to_numpy(),
        }
    )
    spread = cohort_spread(dataset, on_list, fallback, scenario, summed_demand(dataset.demand, labels))
    weights = iter(cohort_weights(spread["expected_decisions"].to_numpy(dtype=float), spread, dataset.priorities))
    s = spread["s"].to_numpy(dtype=np.int64)
    cohorts = [
        pd.DataFrame(
            {
                "region_id": spread["region_id"].to_numpy(dtype=object),
                "listed_hospital_id": spread["listed_hospital_id"].to_numpy(dtype=object),
                "procedure_id": spread["procedure_id"].to_numpy(dtype=object),
                "class": cls,
                "priority": priority,
                "day": 7 * (s - 1) + FORECAST_DAY_OFFSET,
                "weight": next(weights),
                "arrival": s,
                "kind": 1,
                "patient_id": None,
                "decision_date": pd.Timestamp(d0) + pd.to_timedelta(7 * (s - 1) + FORECAST_DAY_OFFSET, unit="D"),
            }
        )
        for cls in CLASSES
        for priority in dataset.priorities["priority_id"]
    ]
    items = pd.concat([backlog, *cohorts], ignore_index=True)
    items["limit"] = np.floor(items["priority"].map(limits).to_numpy(dtype=float)).astype(np.int64)
    return items, spread
