"""The LP's sparse index sets and data, computed once from a dataset and a scenario (DESIGN.md v2).

Everything the model needs is prepared here as pandas frames keyed by the sets that exist, so that
`optimizer.model.formulation` only writes variables and constraints (DESIGN.md, "The model"):

- `groups`: flow groups g = (home region r, listed hospital l, procedure p, class c); class `mobile`
  accepts travel, `local` does not. The queues of one group differ only in priority: same eligible
  hospitals, rates, prices and distances, so flows are per group.
- `queues`: q = (g, priority k), each with its limit L_k (the breach tiers are L_k + 0, 90, 275 days).
- `arcs`: eligible (group, hospital) pairs with rate, price, distance from the listed hospital.
- `flows`: the flow columns y[arc, week] that can carry patients (capacity exists that week, the
  group has patients, and an offer away from the listed hospital respects the lead time).
- `arrived[q, t]` = A_q(t); `over[θ][q, t]` = B_q(t) of tier θ ∈ (90, 180, 365), counted against
  L_k + (0, 90, 275) days (for a routine patient exactly 90/180/365); `over_days[θ][q, t]`: patients
  over θ days whatever their priority (the statistics: share over 90 days is the care guarantee's).
- `theatre`, `beds`: capacity rows per hospital × specialty × week and hospital × week, net of the
  booked patients' use (`bookings`: fixed treatments, `optimizer.model.bookings`).
- `anchor`: in a re-plan, the previous plan's proposals per flow column (`optimizer.model.anchor`).

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

from models.dataset import DEFAULT_PRIORITY, Dataset
from models.rules import FORECAST_DAY_OFFSET, THRESHOLDS, TIER_OFFSETS, fallback_hospitals, road_km
from models.scenario import ExtraCapacity, Scenario
from models.weeks import parse_iso_week, week_labels
from optimizer.model.anchor import PreviousSchedule, anchor_cells, previous_schedule, schedule_cells
from optimizer.model.bookings import booking_rows, net_of_bookings

log = logging.getLogger(__name__)

GROUP_KEYS = ["region_id", "listed_hospital_id", "procedure_id", "class"]
QUEUE_KEYS = [*GROUP_KEYS, "priority"]


class FlowKey(NamedTuple):
    """The named key of a flow column: which group's patients, at which hospital, in which ISO week."""

    region_id: str
    listed_hospital_id: str
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
    groups: pd.DataFrame  # region_id, listed_hospital_id, procedure_id, class, specialty, bed_days_per_case, rate
    queues: pd.DataFrame  # group, GROUP_KEYS, priority, limit_days, specialty, bed_days_per_case
    arcs: pd.DataFrame  # group, hospital_id, provider_region, rate, charged, price_sek, km, travel_km
    flows: pd.DataFrame  # arc, group, t, plus the arc's columns needed for rows (hospital_id, specialty, ...)
    arrived: np.ndarray  # A[q, t-1]
    over: dict[int, np.ndarray]  # B^θ[q, t-1] per tier
    over_days: dict[int, np.ndarray]  # patients of q over 90/180/365 days, whatever the priority (statistics)
    theatre: pd.DataFrame  # hospital_id, specialty, t, theatre_days (× utilisation), extra_days (all offers)
    extra_offers: pd.DataFrame  # hospital_id, specialty, t, extra_days, extra_cost_per_day: one row per offer
    beds: pd.DataFrame  # hospital_id, t, bed_days
    cohorts: pd.DataFrame  # queue, offset_days (decision − D0), arrival_t, count
    fairness: pd.DataFrame  # entry, by, member, target, weight: one row per fairness entry and procedure/region
    base: Dataset | None = None  # the dataset before the scenario's changes (fallback hospitals, fairness)
    bookings: pd.DataFrame | None = None  # booked patients (`optimizer.model.bookings.BOOKING_COLUMNS`)
    anchor: pd.DataFrame | None = None  # previous proposals per cell (`optimizer.model.anchor`)
    schedule: PreviousSchedule | None = None  # a re-plan's C_g(t) per flow group (`optimizer.model.anchor`)
    previous: pd.DataFrame | None = None  # a re-plan's previous proposals, one row per patient

    @property
    def horizon(self) -> int:
        return len(self.weeks)

    @property
    def group_arrived(self) -> np.ndarray:
        """A_g(t) = Σ_k A_{g,k}(t): patients of each flow group arrived by the end of week t."""
        out = np.zeros((len(self.groups), self.horizon))
        np.add.at(out, self.queues["group"].to_numpy(), self.arrived)
        return out


def build_instance(
    dataset: Dataset,
    scenario: Scenario,
    standalone: bool = False,
    base: Dataset | None = None,
    previous: pd.DataFrame | None = None,
    previous_flows: pd.DataFrame | None = None,
) -> Instance:
    """Compute the sparse sets and data of the LP for `scenario` on (an already changed) `dataset`.

    `base` is the dataset before the scenario's changes (default: `dataset`): fallback hospitals are
    chosen on its capacity, so that every scenario of a dataset splits new decisions alike.
    `standalone` keeps only arcs inside each patient's home region: every region planned alone on
    its own hospitals (the baseline that measures the value of collaboration). `previous` are a
    re-plan's previous proposals (one row per patient: `optimizer.model.anchor.CELL_KEYS`, patient_id) and
    `previous_flows` its LP flows (allocations.csv columns; None: no schedule anchor).
    """
    base = dataset if base is None else base
    weeks = week_labels(scenario.start_week, scenario.horizon_weeks)
    plan_start = parse_iso_week(scenario.start_week)
    week_of = {label: t for t, label in enumerate(weeks, start=1)}
    waiting = backlog(dataset, base, weeks)
    # new decisions are split as the list is, booked patients included: a booking changes no split
    on_list = backlog(dataset, base, weeks, statuses=("waiting", "booked"))
    cohorts = _cohorts(waiting, dataset, base, scenario, plan_start, week_of, on_list)
    queues, groups = _queues(cohorts, dataset)
    cohorts = cohorts.merge(queues.reset_index(names="queue")[[*QUEUE_KEYS, "queue"]], on=QUEUE_KEYS)
    limits = queues["limit_days"].to_numpy()[cohorts["queue"].to_numpy()]
    arrived, over, over_days = _queue_arrays(cohorts, limits, len(queues), len(weeks))
    arcs = _arcs(groups, dataset, scenario)
    if standalone:
        arcs = arcs[arcs["provider_region"] == arcs["region_id"]].reset_index(drop=True)
    extra_offers = _extra_capacity(scenario, week_of)
    theatre = _theatre_rows(dataset, scenario, week_of, extra_offers)
    bookings = booking_rows(dataset, base, weeks)
    theatre, beds = net_of_bookings(theatre, _bed_rows(dataset, week_of), bookings)
    group_arrived = np.zeros((len(groups), len(weeks)))
    np.add.at(group_arrived, queues["group"].to_numpy(), arrived)
    flows = _flows(arcs, theatre, beds, group_arrived, scenario.policy.transfer_lead_weeks)
    log.info(
        "instance %s: %d groups, %d queues, %d arcs, %d flow columns, %d weeks",
        scenario.name,
        len(groups),
        len(queues),
        len(arcs),
        len(flows),
        len(weeks),
    )
    still, gone = _split_by_waiting(previous, dataset)
    return Instance(
        name=scenario.name,
        scenario=scenario,
        dataset=dataset,
        weeks=weeks,
        groups=groups,
        queues=queues,
        arcs=arcs,
        flows=flows,
        arrived=arrived,
        over=over,
        over_days=over_days,
        theatre=theatre,
        extra_offers=extra_offers,
        beds=beds,
        cohorts=cohorts[["queue", "offset_days", "arrival_t", "count"]],
        fairness=fairness_targets(scenario, base, queues, groups, arcs, arrived, weeks),
        base=base,
        bookings=bookings,
        anchor=anchor_cells(still, flows, weeks),
        schedule=previous_schedule(schedule_cells(previous_flows, gone, weeks), groups, weeks),
        previous=previous,
    )


def _split_by_waiting(
    previous: pd.DataFrame | None, dataset: Dataset
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The previous proposals of patients still waiting (anchored), and of those who no longer wait
    to be planned: booked (fixed: nothing to anchor), treated or gone."""
    if previous is None:
        return None, None
    waiting = dataset.waiting_list.loc[dataset.waiting_list["status"] == "waiting", ["patient_id", "procedure_id"]]
    merged = previous.merge(waiting, on=["patient_id", "procedure_id"], how="left", indicator=True)
    still = merged["_merge"] == "both"
    merged = merged.drop(columns="_merge")
    return merged[still].reset_index(drop=True), merged[~still].reset_index(drop=True)


def backlog(
    dataset: Dataset, base: Dataset, weeks: list[str], statuses: tuple[str, ...] = ("waiting",)
) -> pd.DataFrame:
    """Patients with status `waiting` (or `statuses`), each with a listed hospital (the fallback
    where none is given) and a priority (`routine` where the dataset has none)."""
    waiting = dataset.waiting_list[dataset.waiting_list["status"].isin(statuses)]
    columns = ["region_id", "procedure_id", "decision_date", "accepts_travel"]
    out = waiting[columns].copy()
    out["listed_hospital_id"] = waiting.get("listed_hospital_id")
    out["priority"] = waiting.get("priority", DEFAULT_PRIORITY)
    missing = out["listed_hospital_id"].isna() | (out["listed_hospital_id"] == "")
    if missing.any():
        fallback = fallback_hospitals(dataset, base, weeks).set_index(["region_id", "procedure_id"])["hospital_id"]
        keys = pd.MultiIndex.from_frame(out.loc[missing, ["region_id", "procedure_id"]])
        out.loc[missing, "listed_hospital_id"] = fallback.reindex(keys).to_numpy()
    return out.reset_index(drop=True)


def _mobile_share(waiting: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """Share of new decisions that accept travel, per (region, procedure) (DESIGN.md v2).

    `from_data`: the (r, p) backlog's share; where (r, p) has no backlog, the whole backlog's share,
    or 0.5 when the whole backlog is empty.
    """
    setting = scenario.policy.share_accepting_travel
    if setting != "from_data":
        return pd.Series(dtype=float), float(setting)
    overall = float(waiting["accepts_travel"].mean()) if len(waiting) else 0.5
    return waiting.groupby(["region_id", "procedure_id"])["accepts_travel"].mean(), overall


def _cohorts(
    waiting: pd.DataFrame,
    dataset: Dataset,
    base: Dataset,
    scenario: Scenario,
    plan_start,
    week_of: dict[str, int],
    on_list: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Groups of patients that arrive together and cross each threshold together.

    Columns: QUEUE_KEYS, offset_days (decision date − D0), arrival_t, count. Forecast decisions of
    (r, p, week s) are split over listed hospitals in proportion to the (r, p) list `on_list` (the
    backlog and the booked patients; default the backlog) listed there (none: the fallback
    hospital), over classes by the share accepting travel, over priorities by their demand share.
    """
    on_list = waiting if on_list is None else on_list
    d0 = pd.Timestamp(plan_start)
    backlog_cohorts = pd.DataFrame(
        {
            "region_id": waiting["region_id"].to_numpy(),
            "listed_hospital_id": waiting["listed_hospital_id"].to_numpy(),
            "procedure_id": waiting["procedure_id"].to_numpy(),
            "class": np.where(waiting["accepts_travel"].to_numpy(), "mobile", "local"),
            "priority": waiting["priority"].to_numpy(),
            "offset_days": (waiting["decision_date"] - d0).dt.days.to_numpy(),
        }
    )
    backlog_cohorts = backlog_cohorts.groupby([*QUEUE_KEYS, "offset_days"], as_index=False).size()
    backlog_cohorts = backlog_cohorts.rename(columns={"size": "count"}).assign(arrival_t=1)
    backlog_cohorts["count"] = backlog_cohorts["count"].astype(float)

    forecast = dataset.demand[dataset.demand["week"].isin(week_of)].copy()
    forecast["arrival_t"] = forecast["week"].map(week_of)
    forecast["offset_days"] = 7 * (forecast["arrival_t"] - 1) + FORECAST_DAY_OFFSET
    # over listed hospitals: the backlog's split of (r, p), else the fallback hospital
    listed = on_list.groupby(["region_id", "procedure_id", "listed_hospital_id"]).size().rename("n").reset_index()
    listed["share_l"] = listed["n"] / listed.groupby(["region_id", "procedure_id"])["n"].transform("sum")
    fallback = fallback_hospitals(dataset, base, list(week_of)).rename(columns={"hospital_id": "listed_hospital_id"})
    fallback["share_l"] = 1.0
    pairs_with_backlog = listed[["region_id", "procedure_id"]].drop_duplicates()
    fallback = fallback.merge(pairs_with_backlog, how="left", indicator=True)
    fallback = fallback[fallback["_merge"] == "left_only"].drop(columns="_merge")
    split_l = pd.concat([listed[["region_id", "procedure_id", "listed_hospital_id", "share_l"]], fallback])
    forecast = forecast.merge(split_l, on=["region_id", "procedure_id"])
    # over classes
    by_pair, overall = _mobile_share(on_list, scenario)
    keys = pd.MultiIndex.from_frame(forecast[["region_id", "procedure_id"]])
    mobile = by_pair.reindex(keys).fillna(overall).to_numpy() if len(by_pair) else np.full(len(forecast), overall)
    # over priorities
    priorities = dataset.priorities[["priority_id", "demand_share"]].rename(columns={"priority_id": "priority"})
    parts = []
    for cls, share_c in (("mobile", mobile), ("local", 1.0 - mobile)):
        part = forecast.assign(**{"class": cls, "share_c": share_c}).merge(priorities, how="cross")
        part["count"] = part["expected_decisions"] * part["share_l"] * part["share_c"] * part["demand_share"]
        parts.append(part)
    columns = [*QUEUE_KEYS, "offset_days", "arrival_t", "count"]
    cohorts = pd.concat([backlog_cohorts[columns]] + [part[columns] for part in parts], ignore_index=True)
    # explicit types: an empty forecast (no demand row in the plan's weeks) would leave them object
    cohorts = cohorts.astype({"offset_days": "int64", "arrival_t": "int64", "count": "float64"})
    return cohorts[cohorts["count"] > 0].reset_index(drop=True)


def _queues(cohorts: pd.DataFrame, dataset: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The queues (one per group and priority that has patients) and the flow groups they belong to."""
    keys = cohorts[QUEUE_KEYS].drop_duplicates().sort_values(QUEUE_KEYS).reset_index(drop=True)
    limits = dataset.priorities.set_index("priority_id")["max_wait_days"]
    keys["limit_days"] = keys["priority"].map(limits).astype(float)
    procedures = dataset.procedures[["procedure_id", "specialty", "bed_days_per_case", "cases_per_theatre_day"]]
    groups = keys[GROUP_KEYS].drop_duplicates().reset_index(drop=True).merge(procedures, how="left")
    groups = groups.rename(columns={"cases_per_theatre_day": "default_rate"})
    queues = keys.merge(groups.reset_index(names="group")[[*GROUP_KEYS, "group"]], on=GROUP_KEYS)
    queues = queues.merge(procedures[["procedure_id", "specialty", "bed_days_per_case"]], how="left")
    return queues, groups


def _queue_arrays(
    cohorts: pd.DataFrame, limits: np.ndarray, n_queues: int, horizon: int
) -> tuple[np.ndarray, dict[int, np.ndarray], dict[int, np.ndarray]]:
    """A[q, t], B^θ[q, t] per tier and per day count, by adding each cohort at its week and accumulating."""

    def accumulate(first_week: np.ndarray) -> np.ndarray:
        grid = np.zeros((n_queues, horizon + 2))
        week = np.clip(first_week, 1, horizon + 1)  # horizon + 1 = not within the plan
        np.add.at(grid, (cohorts["queue"].to_numpy(), week), cohorts["count"].to_numpy())
        return np.cumsum(grid, axis=1)[:, 1 : horizon + 1]

    arrived = accumulate(cohorts["arrival_t"].to_numpy())
    offsets = cohorts["offset_days"].to_numpy()

    def over_days(days: np.ndarray) -> np.ndarray:  # days may be fractional limits: floor of the day count
        return accumulate(np.floor_divide(offsets + np.floor(days).astype(np.int64), 7) + 1)

    over = {theta: over_days(limits + TIER_OFFSETS[theta]) for theta in THRESHOLDS}
    days = {theta: over_days(np.full(len(offsets), float(theta))) for theta in THRESHOLDS}
    return arrived, over, days


def fairness_targets(
    scenario: Scenario,
    base: Dataset,
    queues: pd.DataFrame,
    groups: pd.DataFrame,
    arcs: pd.DataFrame,
    arrived: np.ndarray,
    weeks: list[str],
) -> pd.DataFrame:
    """Each fairness entry's target of patients treated per procedure or region (DESIGN.md v2, "Fairness").

    need of a queue (theatre days) = A_q(T) / the procedure's default rate, counted only for queues
    with an eligible arc; patients of a procedure or region = Σ A_q(T) over those queues;
    ρ_s = min(1, theatre days of specialty s in the horizon / need of s), ρ the same over all, on
    the dataset's capacity before scenario changes and utilisation (so every scenario of a dataset
    has the same targets). `by: procedure`: target = share · ρ_s(p) · patients_p; `by: region`:
    target = share · ρ · patients_r. Columns: entry, by, member, target, weight.
    """
    columns = ["entry", "by", "member", "target", "weight"]
    if not scenario.policy.fairness or len(queues) == 0:
        return pd.DataFrame(columns=columns).astype({"entry": int, "target": float, "weight": float})
    with_arc = np.zeros(len(groups), dtype=bool)
    with_arc[arcs["group"].to_numpy()] = True
    frame = queues.assign(patients=arrived[:, -1]).merge(
        groups[["default_rate"]].reset_index(names="group"), on="group"
    )[with_arc[queues["group"].to_numpy()]]
    frame["need"] = frame["patients"] / frame["default_rate"]
    capacity = base.capacity[base.capacity["week"].isin(weeks)]
    days = capacity.groupby("specialty")["theatre_days"].sum()
    need = frame.groupby("specialty")["need"].sum()
    rho_s = np.minimum(1.0, days.reindex(need.index).fillna(0.0) / need.where(need > 0)).fillna(1.0)
    total_need = float(frame["need"].sum())
    rho = min(1.0, float(days.sum()) / total_need) if total_need > 0 else 1.0
    rows = []
    for k, rule in enumerate(scenario.policy.fairness):
        if rule.by == "procedure":
            per = frame.groupby(["procedure_id", "specialty"], as_index=False)["patients"].sum()
            targets = rule.share * rho_s.reindex(per["specialty"]).to_numpy() * per["patients"].to_numpy()
            members = per["procedure_id"]
        else:
            per = frame.groupby("region_id", as_index=False)["patients"].sum()
            targets = rule.share * rho * per["patients"].to_numpy()
            members = per["region_id"]
        rows.append(
            pd.DataFrame({"entry": k, "by": rule.by, "member": members, "target": targets, "weight": rule.weight})
        )
    return pd.concat(rows, ignore_index=True)[columns]


def hospital_distances(dataset: Dataset) -> pd.DataFrame:
    """Road km (1.25 × great circle) between every pair of hospitals: from_hospital, hospital_id, km."""
    h = dataset.hospitals[["hospital_id", "lat", "lon"]]
    pairs = h.rename(columns={"hospital_id": "from_hospital", "lat": "lat0", "lon": "lon0"}).merge(h, how="cross")
    pairs["km"] = road_km(pairs["lat0"], pairs["lon0"], pairs["lat"], pairs["lon"])
    return pairs[["from_hospital", "hospital_id", "km"]]


def _arcs(groups: pd.DataFrame, dataset: Dataset, scenario: Scenario) -> pd.DataFrame:
    """Eligible (group, hospital) arcs (DESIGN.md v2, "Eligible arcs"), distances from the listed hospital.

    local: the listed hospital, and hospitals of the home region within `local_max_km` of it;
    mobile: the local set plus every able hospital within `max_travel_km` of it (None: any).
    An arc to another region's or a private hospital is charged and needs a price.
    """
    capable = dataset.capabilities.merge(
        dataset.procedures[["procedure_id", "cases_per_theatre_day"]], on="procedure_id", suffixes=("", "_default")
    )
    capable["rate"] = capable["cases_per_theatre_day"].fillna(capable["cases_per_theatre_day_default"])
    capable = capable.merge(
        dataset.hospitals[["hospital_id", "region_id", "level"]].rename(columns={"region_id": "provider_region"})
    )
    arcs = groups.reset_index(names="group").merge(
        capable[["hospital_id", "procedure_id", "rate", "provider_region", "level"]], on="procedure_id"
    )
    distances = hospital_distances(dataset).rename(columns={"from_hospital": "listed_hospital_id"})
    arcs = arcs.merge(distances, on=["listed_hospital_id", "hospital_id"], how="left")
    policy = scenario.policy
    at_listed = (arcs["hospital_id"] == arcs["listed_hospital_id"]).to_numpy()
    in_home = (arcs["provider_region"] == arcs["region_id"]).to_numpy()
    km = arcs["km"].to_numpy()
    local_set = at_listed | (in_home & (km <= policy.local_max_km))
    reach = np.ones(len(arcs), dtype=bool) if policy.max_travel_km is None else km <= policy.max_travel_km
    allowed = local_set | ((arcs["class"] == "mobile").to_numpy() & reach)
    arcs = arcs[allowed].copy()
    arcs["charged"] = (arcs["provider_region"] != arcs["region_id"]) | (arcs["level"] == "private")
    arcs = arcs.merge(dataset.prices, on=["procedure_id", "hospital_id"], how="left")
    arcs = arcs[~arcs["charged"] | arcs["price_sek"].notna()]  # a charged arc needs a price
    arcs["price_sek"] = arcs["price_sek"].where(arcs["charged"], 0.0).fillna(0.0)
    arcs["km"] = arcs["km"].fillna(0.0)
    arcs["at_listed"] = arcs["hospital_id"] == arcs["listed_hospital_id"]
    arcs["travel_km"] = np.where(arcs["at_listed"], 0.0, arcs["km"])
    columns = [
        "group",
        *GROUP_KEYS,
        "specialty",
        "bed_days_per_case",
        "hospital_id",
        "provider_region",
        "rate",
        "charged",
        "price_sek",
        "km",
        "travel_km",
        "at_listed",
    ]
    return arcs[columns].sort_values(["group", "hospital_id"]).reset_index(drop=True)


def _theatre_rows(dataset: Dataset, scenario: Scenario, week_of: dict[str, int], offers: pd.DataFrame) -> pd.DataFrame:
    """Theatre days per hospital × specialty × week within the plan, plus the extra days on offer there."""
    capacity = dataset.capacity[dataset.capacity["week"].isin(week_of)]
    rows = capacity.assign(t=capacity["week"].map(week_of))[["hospital_id", "specialty", "t", "theatre_days"]]
    # planned utilisation: the rest of each cell is kept for cancellations and emergencies
    rows = rows.assign(theatre_days=rows["theatre_days"] * scenario.policy.planned_utilisation)
    extra = offers.groupby(["hospital_id", "specialty", "t"], as_index=False)["extra_days"].sum()
    rows = rows.merge(extra, on=["hospital_id", "specialty", "t"], how="outer")
    # float even when no extra capacity is offered (an outer merge with an empty frame gives object)
    for column in ("theatre_days", "extra_days"):
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
    # several offers at the same place and week stay apart: each has its own days and price
    frame = pd.DataFrame(records, columns=["hospital_id", "specialty", "t", "extra_days", "extra_cost_per_day"])
    return frame.astype({"t": "int64", "extra_days": float, "extra_cost_per_day": float})


def _bed_rows(dataset: Dataset, week_of: dict[str, int]) -> pd.DataFrame:
    beds = dataset.beds[dataset.beds["week"].isin(week_of)]
    rows = beds.assign(t=beds["week"].map(week_of))[["hospital_id", "t", "bed_days"]]
    return rows.sort_values(["hospital_id", "t"]).reset_index(drop=True)


def _flows(
    arcs: pd.DataFrame, theatre: pd.DataFrame, beds: pd.DataFrame, group_arrived: np.ndarray, lead_weeks: int
) -> pd.DataFrame:
    """Flow columns y[arc, t]: only weeks where the arc's hospital has theatre time for the
    specialty, bed-days if the procedure needs them, and the group has patients; no offer away from
    the listed hospital in the first `lead_weeks` weeks (`policy.transfer_lead_weeks`)."""
    open_weeks = theatre[["hospital_id", "specialty", "t"]]
    flows = arcs.reset_index(names="arc").merge(open_weeks, on=["hospital_id", "specialty"])
    bed_weeks = beds.loc[beds["bed_days"] > 0, ["hospital_id", "t"]].assign(has_beds=True)
    flows = flows.merge(bed_weeks, on=["hospital_id", "t"], how="left")
    flows = flows[(flows["bed_days_per_case"] == 0) | flows["has_beds"].fillna(False).astype(bool)]
    has_patients = group_arrived[flows["group"].to_numpy(), flows["t"].to_numpy() - 1] > 0
    after_lead = flows["at_listed"].to_numpy() | (flows["t"].to_numpy() > lead_weeks)
    flows = flows[has_patients & after_lead].drop(columns="has_beds")
    return flows.sort_values(["arc", "t"]).reset_index(drop=True)
