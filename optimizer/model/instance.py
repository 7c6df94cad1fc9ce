"""The LP's sparse index sets and data, computed once from a dataset and a scenario.

Everything the model needs is prepared here as pandas frames keyed by the sets that exist, so that
`optimizer.model.formulation` only writes variables and constraints (DESIGN.md, "The model"):

- `queues`: q = (home region, procedure, class); class `mobile` = accepts travel, `local` = not.
- `arcs`: eligible (queue, hospital) pairs with rate, price, distance, whether charged.
- `flows`: the flow columns y[arc, week] that can carry patients (capacity exists that week).
- `arrived[q, t]` = A_q(t), `over[θ][q, t]` = B^θ_q(t) as dense queue × week arrays (the size of S).
- `theatre`, `beds`: capacity rows per hospital × specialty × week and hospital × week.

Weeks are numbered t = 1..T from D0, the Monday of the start week; week t ends at E_t = D0 + 7t.
A patient decided on day d is over θ days at the end of week t when d < E_t − θ, i.e. from week
t_θ = floor((d − D0 + θ) / 7) + 1 on. Forecast decisions of week s are dated D0 + 7(s − 1) + 3.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.rules import FORECAST_DAY_OFFSET, THRESHOLDS, main_hospitals, road_km
from models.scenario import ExtraCapacity, Scenario
from models.weeks import parse_iso_week, week_labels

log = logging.getLogger(__name__)


class FlowKey(NamedTuple):
    """The named key of a flow column: which queue's patients, at which hospital, in which ISO week."""

    region_id: str
    procedure_id: str
    patient_class: str  # local or mobile
    hospital_id: str
    week: str


@dataclass
class Instance:
    """The prepared LP data. Frames are indexed 0..n-1 so the index is the model's set."""

    name: str
    scenario: Scenario
    dataset: Dataset
    weeks: list[str]
    queues: pd.DataFrame  # region_id, procedure_id, class, specialty, bed_days_per_case
    arcs: pd.DataFrame  # queue, hospital_id, provider_region, rate, charged, price_sek, km, travel_km
    flows: pd.DataFrame  # arc, t, plus the arc's columns needed for rows (hospital_id, specialty, ...)
    arrived: np.ndarray  # A[q, t-1]
    over: dict[int, np.ndarray]  # B^θ[q, t-1]
    theatre: pd.DataFrame  # hospital_id, specialty, t, theatre_days, extra_days, extra_cost_per_day
    beds: pd.DataFrame  # hospital_id, t, bed_days
    distances: pd.DataFrame  # region_id, hospital_id, km from the region's main hospital
    cohorts: pd.DataFrame  # queue, offset_days (decision − D0), arrival_t, count

    @property
    def horizon(self) -> int:
        return len(self.weeks)


def build_instance(dataset: Dataset, scenario: Scenario, standalone: bool = False) -> Instance:
    """Compute the sparse sets and data of the LP for `scenario` on (an already changed) `dataset`.

    `standalone` keeps only arcs inside each patient's home region: every region planned alone on
    its own hospitals (the baseline that measures the value of collaboration).
    """
    weeks = week_labels(scenario.start_week, scenario.horizon_weeks)
    plan_start = parse_iso_week(scenario.start_week)
    week_of = {label: t for t, label in enumerate(weeks, start=1)}
    waiting = dataset.waiting_list[dataset.waiting_list["status"] == "waiting"]
    mobile_share = _mobile_share(dataset, scenario)
    cohorts = _cohorts(waiting, dataset.demand, mobile_share, plan_start, week_of)
    queues = _queues(cohorts, dataset.procedures)
    cohorts = cohorts.merge(queues.reset_index(names="queue")[["region_id", "procedure_id", "class", "queue"]])
    arrived, over = _queue_arrays(cohorts, len(queues), len(weeks))
    distances = _distances(dataset)
    arcs = _arcs(queues, dataset, distances, scenario)
    if standalone:
        arcs = arcs[arcs["provider_region"] == arcs["region_id"]].reset_index(drop=True)
    theatre = _theatre_rows(dataset, scenario, week_of)
    beds = _bed_rows(dataset, week_of)
    flows = _flows(arcs, queues, theatre, beds, arrived)
    log.info(
        "instance %s: %d queues, %d arcs, %d flow columns, %d weeks",
        scenario.name,
        len(queues),
        len(arcs),
        len(flows),
        len(weeks),
    )
    return Instance(
        name=scenario.name,
        scenario=scenario,
        dataset=dataset,
        weeks=weeks,
        queues=queues,
        arcs=arcs,
        flows=flows,
        arrived=arrived,
        over=over,
        theatre=theatre,
        beds=beds,
        distances=distances,
        cohorts=cohorts[["queue", "offset_days", "arrival_t", "count"]],
    )


def _mobile_share(dataset: Dataset, scenario: Scenario) -> pd.Series:
    """Share of new decisions that accept travel, per (region, procedure) (DESIGN.md, policy)."""
    pairs = dataset.demand[["region_id", "procedure_id"]].drop_duplicates()
    setting = scenario.policy.share_accepting_travel
    if setting != "from_data":
        return pd.Series(float(setting), index=pd.MultiIndex.from_frame(pairs))
    waiting = dataset.waiting_list[dataset.waiting_list["status"] == "waiting"]
    overall = float(waiting["accepts_travel"].mean()) if len(waiting) else 0.0
    by_pair = waiting.groupby(["region_id", "procedure_id"])["accepts_travel"].mean()
    index = pd.MultiIndex.from_frame(pairs)
    return by_pair.reindex(index).fillna(overall)


def _cohorts(
    waiting: pd.DataFrame,
    demand: pd.DataFrame,
    mobile_share: pd.Series,
    plan_start,
    week_of: dict[str, int],
) -> pd.DataFrame:
    """Groups of patients that arrive together and cross each threshold together.

    Columns: region_id, procedure_id, class, offset_days (decision date − D0), arrival_t, count.
    """
    d0 = pd.Timestamp(plan_start)
    backlog = pd.DataFrame(
        {
            "region_id": waiting["region_id"].to_numpy(),
            "procedure_id": waiting["procedure_id"].to_numpy(),
            "class": np.where(waiting["accepts_travel"].to_numpy(), "mobile", "local"),
            "offset_days": (waiting["decision_date"] - d0).dt.days.to_numpy(),
        }
    )
    backlog = backlog.groupby(["region_id", "procedure_id", "class", "offset_days"], as_index=False).size()
    backlog = backlog.rename(columns={"size": "count"}).assign(arrival_t=1)
    backlog["count"] = backlog["count"].astype(float)

    forecast = demand[demand["week"].isin(week_of)].copy()
    forecast["arrival_t"] = forecast["week"].map(week_of)
    forecast["offset_days"] = 7 * (forecast["arrival_t"] - 1) + FORECAST_DAY_OFFSET
    share = mobile_share.reindex(pd.MultiIndex.from_frame(forecast[["region_id", "procedure_id"]])).to_numpy()
    split = [
        forecast.assign(**{"class": "mobile", "count": forecast["expected_decisions"].to_numpy() * share}),
        forecast.assign(**{"class": "local", "count": forecast["expected_decisions"].to_numpy() * (1 - share)}),
    ]
    columns = ["region_id", "procedure_id", "class", "offset_days", "arrival_t", "count"]
    cohorts = pd.concat([backlog[columns]] + [s[columns] for s in split], ignore_index=True)
    # explicit types: an empty forecast (no demand row in the plan's weeks) would leave them object
    cohorts = cohorts.astype({"offset_days": "int64", "arrival_t": "int64", "count": "float64"})
    return cohorts[cohorts["count"] > 0].reset_index(drop=True)


def _queues(cohorts: pd.DataFrame, procedures: pd.DataFrame) -> pd.DataFrame:
    keys = cohorts[["region_id", "procedure_id", "class"]].drop_duplicates()
    keys = keys.sort_values(["region_id", "procedure_id", "class"]).reset_index(drop=True)
    return keys.merge(procedures[["procedure_id", "specialty", "bed_days_per_case"]], how="left")


def _queue_arrays(cohorts: pd.DataFrame, n_queues: int, horizon: int) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """A[q, t] and B^θ[q, t] by adding each cohort at its week and accumulating over weeks."""

    def accumulate(first_week: np.ndarray) -> np.ndarray:
        grid = np.zeros((n_queues, horizon + 2))
        week = np.clip(first_week, 1, horizon + 1)  # horizon + 1 = not within the plan
        np.add.at(grid, (cohorts["queue"].to_numpy(), week), cohorts["count"].to_numpy())
        return np.cumsum(grid, axis=1)[:, 1 : horizon + 1]

    arrived = accumulate(cohorts["arrival_t"].to_numpy())
    offsets = cohorts["offset_days"].to_numpy()
    over = {theta: accumulate(np.floor_divide(offsets + theta, 7) + 1) for theta in THRESHOLDS}
    return arrived, over


def _distances(dataset: Dataset) -> pd.DataFrame:
    """Road km (1.25 × great circle) from each region's main hospital to every hospital."""
    mains = main_hospitals(dataset.hospitals).rename(
        columns={"hospital_id": "main_hospital", "lat": "lat0", "lon": "lon0"}
    )
    pairs = mains.merge(dataset.hospitals[["hospital_id", "lat", "lon"]], how="cross")
    pairs["km"] = road_km(pairs["lat0"], pairs["lon0"], pairs["lat"], pairs["lon"])
    homeless = sorted(set(dataset.regions["region_id"]) - set(mains["region_id"]))
    if homeless:
        # without a hospital a region has no main hospital to measure from: its distances are unknown,
        # so its arcs count 0 km and are left out whenever a travel limit applies
        log.warning("regions without any hospital, travel distances unknown: %s", ", ".join(homeless))
    return pairs[["region_id", "hospital_id", "km"]]


def _arcs(queues: pd.DataFrame, dataset: Dataset, distances: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Eligible (queue, hospital) arcs (issue "The allocation LP", eligible arcs)."""
    capable = dataset.capabilities.merge(
        dataset.procedures[["procedure_id", "cases_per_theatre_day"]], on="procedure_id", suffixes=("", "_default")
    )
    capable["rate"] = capable["cases_per_theatre_day"].fillna(capable["cases_per_theatre_day_default"])
    capable = capable.merge(
        dataset.hospitals[["hospital_id", "region_id", "level"]].rename(columns={"region_id": "provider_region"})
    )
    arcs = queues.reset_index(names="queue").merge(
        capable[["hospital_id", "procedure_id", "rate", "provider_region", "level"]], on="procedure_id"
    )
    arcs = arcs.merge(distances, on=["region_id", "hospital_id"], how="left")
    in_home = arcs["provider_region"] == arcs["region_id"]
    within_reach = np.ones(len(arcs), dtype=bool)
    if scenario.policy.max_travel_km is not None:
        within_reach = (arcs["km"] <= scenario.policy.max_travel_km).to_numpy()
    allowed = in_home | ((arcs["class"] == "mobile") & within_reach)
    arcs = arcs[allowed].copy()
    arcs["charged"] = (arcs["provider_region"] != arcs["region_id"]) | (arcs["level"] == "private")
    arcs = arcs.merge(dataset.prices, on=["procedure_id", "hospital_id"], how="left")
    arcs = arcs[~arcs["charged"] | arcs["price_sek"].notna()]  # a charged arc needs a price
    arcs["price_sek"] = arcs["price_sek"].where(arcs["charged"], 0.0).fillna(0.0)
    arcs["travel_km"] = np.where(arcs["provider_region"] != arcs["region_id"], arcs["km"].fillna(0.0), 0.0)
    columns = [
        "queue",
        "region_id",
        "procedure_id",
        "class",
        "specialty",
        "bed_days_per_case",
        "hospital_id",
        "provider_region",
        "rate",
        "charged",
        "price_sek",
        "km",
        "travel_km",
    ]
    return arcs[columns].sort_values(["queue", "hospital_id"]).reset_index(drop=True)


def _theatre_rows(dataset: Dataset, scenario: Scenario, week_of: dict[str, int]) -> pd.DataFrame:
    """Theatre days per hospital × specialty × week within the plan, plus extra capacity on offer."""
    capacity = dataset.capacity[dataset.capacity["week"].isin(week_of)]
    rows = capacity.assign(t=capacity["week"].map(week_of))[["hospital_id", "specialty", "t", "theatre_days"]]
    extra = _extra_capacity(scenario, week_of)
    rows = rows.merge(extra, on=["hospital_id", "specialty", "t"], how="outer")
    # float even when no extra capacity is offered (an outer merge with an empty frame gives object)
    for column in ("theatre_days", "extra_days", "extra_cost_per_day"):
        rows[column] = rows[column].astype(float).fillna(0.0)
    rows = rows[(rows["theatre_days"] > 0) | (rows["extra_days"] > 0)]
    return rows.sort_values(["hospital_id", "specialty", "t"]).reset_index(drop=True)


def _extra_capacity(scenario: Scenario, week_of: dict[str, int]) -> pd.DataFrame:
    records = []
    for change in scenario.changes:
        if not isinstance(change, ExtraCapacity):
            continue
        for label, t in week_of.items():
            if change.weeks is None or change.weeks.contains(label):
                records.append(
                    (change.hospital_id, change.specialty, t, change.theatre_days_per_week, change.cost_per_day_sek)
                )
    frame = pd.DataFrame(records, columns=["hospital_id", "specialty", "t", "extra_days", "extra_cost_per_day"])
    # several offers at the same place and week: add the days, keep the dearest price (conservative)
    return frame.groupby(["hospital_id", "specialty", "t"], as_index=False).agg(
        extra_days=("extra_days", "sum"), extra_cost_per_day=("extra_cost_per_day", "max")
    )


def _bed_rows(dataset: Dataset, week_of: dict[str, int]) -> pd.DataFrame:
    beds = dataset.beds[dataset.beds["week"].isin(week_of)]
    rows = beds.assign(t=beds["week"].map(week_of))[["hospital_id", "t", "bed_days"]]
    return rows.sort_values(["hospital_id", "t"]).reset_index(drop=True)


def _flows(
    arcs: pd.DataFrame, queues: pd.DataFrame, theatre: pd.DataFrame, beds: pd.DataFrame, arrived: np.ndarray
) -> pd.DataFrame:
    """Flow columns y[arc, t]: only weeks where the arc's hospital has theatre time for the
    specialty, bed-days if the procedure needs them, and the queue has patients."""
    open_weeks = theatre[["hospital_id", "specialty", "t"]]
    flows = arcs.reset_index(names="arc").merge(open_weeks, on=["hospital_id", "specialty"])
    bed_weeks = beds.loc[beds["bed_days"] > 0, ["hospital_id", "t"]].assign(has_beds=True)
    flows = flows.merge(bed_weeks, on=["hospital_id", "t"], how="left")
    flows = flows[(flows["bed_days_per_case"] == 0) | flows["has_beds"].fillna(False).astype(bool)]
    has_patients = arrived[flows["queue"].to_numpy(), flows["t"].to_numpy() - 1] > 0
    flows = flows[has_patients].drop(columns="has_beds")
    return flows.sort_values(["arc", "t"]).reset_index(drop=True)
