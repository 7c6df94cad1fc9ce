"""Result tables computed from a flow vector y (aligned with `Instance.flows`).

One code path serves the LP's fractional plan and the integer plan: give it y, get the KPIs.
Patients over θ at the end of week t are max(0, B^θ_q(t) − S_q(t)), exact under first-in-first-out.
Booked patients (fixed treatments, `optimizer.model.bookings`) are added to every count: waiting
until their week, treated in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.objective import objective_value
from models.rules import THRESHOLDS
from models.shares import share
from models.summary import BANDS, band_labels
from optimizer.model.anchor import changed_proposals, week_drift
from optimizer.model.bookings import booking_counts
from optimizer.model.instance import GROUP_KEYS, QUEUE_KEYS, Instance
from optimizer.results.production_plan import procedure_totals, specialty_plan

#: Flows below this many patients are treated as zero in tables.
FLOW_EPSILON = 1e-7


@dataclass
class PlanTables:
    """KPIs and tables of one flow vector."""

    terms: dict[str, float]
    objective: float
    allocations: pd.DataFrame
    region_kpis: pd.DataFrame
    theatre_use: pd.DataFrame
    bed_use: pd.DataFrame
    payments: pd.DataFrame
    region_totals: pd.DataFrame
    procedure_totals: pd.DataFrame
    specialty_plan: pd.DataFrame
    fairness: pd.DataFrame


def group_treated(inst: Instance, y: np.ndarray) -> np.ndarray:
    """T[g, t]: patients of flow group g treated in week t (not cumulative)."""
    treated = np.zeros((len(inst.groups), inst.horizon))
    np.add.at(treated, (inst.flows["group"].to_numpy(), inst.flows["t"].to_numpy() - 1), y)
    return treated


def cumulative_treated(inst: Instance, y: np.ndarray) -> np.ndarray:
    """S[q, t]: patients of queue q treated by the end of week t.

    A group's patients treated in a week are its arrived, untreated patients with the earliest
    deadlines (decision date + their priority's limit; first in, first out within a priority). That
    split is optimal for the breach costs (they are the same convex function of days past the limit
    for every priority, so serving the earliest deadline first never costs more: an exchange
    argument), so the LP's optimum and these tables agree; a group with one queue is that queue.
    """
    weekly = group_treated(inst, y)
    group_of_queue = inst.queues["group"].to_numpy()
    S = np.cumsum(weekly, axis=1)[group_of_queue]
    shared = np.bincount(group_of_queue, minlength=len(inst.groups)) > 1
    if shared.any():
        queues = np.nonzero(shared[group_of_queue])[0]
        S[queues] = _earliest_deadline_first(inst, weekly, queues)
    return S


def _earliest_deadline_first(inst: Instance, weekly: np.ndarray, queues: np.ndarray) -> np.ndarray:
    """S[q, t] for `queues` (all queues of their groups) when each week's treatments go to the arrived
    cohorts with the earliest deadlines. Vectorised over cohorts, one pass per week."""
    cohorts = inst.cohorts[np.isin(inst.cohorts["queue"].to_numpy(), queues)]
    queue = cohorts["queue"].to_numpy()
    group = inst.queues["group"].to_numpy()[queue]
    deadline = cohorts["offset_days"].to_numpy() + inst.queues["limit_days"].to_numpy()[queue]
    order = np.lexsort((cohorts["offset_days"].to_numpy(), deadline, group))
    queue, group = queue[order], group[order]
    arrival = cohorts["arrival_t"].to_numpy()[order]
    remaining = cohorts["count"].to_numpy()[order].astype(float)
    starts = np.searchsorted(group, group)  # first cohort of each cohort's group (sorted by group)
    treated = np.zeros((len(inst.queues), inst.horizon))
    for t in range(1, inst.horizon + 1):
        available = np.where(arrival <= t, remaining, 0.0)
        before = np.cumsum(available) - available
        before -= before[starts] if len(before) else 0.0  # within the group only
        take = np.clip(weekly[group, t - 1] - before, 0.0, available)
        remaining -= take
        np.add.at(treated[:, t - 1], queue, take)
    return np.cumsum(treated[queues], axis=1)


def theatre_use(inst: Instance, y: np.ndarray) -> pd.DataFrame:
    """Theatre days used per hospital × specialty × week, with base and extra capacity."""
    flows = inst.flows
    used = (
        flows[["hospital_id", "specialty", "t"]]
        .assign(used_days=y / flows["rate"].to_numpy())
        .groupby(["hospital_id", "specialty", "t"], as_index=False)["used_days"]
        .sum()
    )
    table = inst.theatre.merge(used, how="left", on=["hospital_id", "specialty", "t"]).fillna({"used_days": 0.0})
    table["extra_days_used"] = np.clip(table["used_days"] - table["theatre_days"], 0.0, table["extra_days"])
    table["extra_cost_sek"] = _extra_cost(inst.extra_offers, table)
    available = table["theatre_days"] + table["extra_days_used"]
    table["utilisation"] = share(table["used_days"], available)
    table["week"] = [inst.weeks[t - 1] for t in table["t"]]
    return table


def _extra_cost(offers: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """SEK for the extra days used in each theatre row, bought from its offers cheapest first."""
    keys = ["hospital_id", "specialty", "t"]
    if offers.empty:
        return np.zeros(len(table))
    rows = table[keys + ["extra_days_used"]].reset_index(names="row")
    offers = offers.merge(rows, on=keys).sort_values(["row", "extra_cost_per_day"], kind="stable")
    offered_before = offers.groupby("row")["extra_days"].cumsum() - offers["extra_days"]
    used = np.clip(offers["extra_days_used"] - offered_before, 0.0, offers["extra_days"])
    cost = (used * offers["extra_cost_per_day"]).groupby(offers["row"]).sum()
    return cost.reindex(range(len(table))).fillna(0.0).to_numpy()


def bed_use(inst: Instance, y: np.ndarray) -> pd.DataFrame:
    """Bed-days used per hospital × week against elective bed-days available."""
    flows = inst.flows
    used = (
        flows[["hospital_id", "t"]]
        .assign(used_bed_days=y * flows["bed_days_per_case"].to_numpy())
        .groupby(["hospital_id", "t"], as_index=False)["used_bed_days"]
        .sum()
    )
    table = inst.beds.merge(used, how="left", on=["hospital_id", "t"]).fillna({"used_bed_days": 0.0})
    table["utilisation"] = share(table["used_bed_days"], table["bed_days"])
    table["week"] = [inst.weeks[t - 1] for t in table["t"]]
    return table


def booking_region_weeks(inst: Instance) -> pd.DataFrame:
    """Booked patients per home region × week (t): waiting, over_<θ>_days, over_<θ> (tiers), treated."""
    bookings = inst.bookings
    counts = {} if bookings is None or bookings.empty else booking_counts(bookings, inst.horizon)
    names = ["waiting", "treated", *(f"over_{θ}_days" for θ in THRESHOLDS), *(f"over_{θ}" for θ in THRESHOLDS)]
    if not counts:
        return pd.DataFrame(columns=["region_id", "t", *names]).astype({"t": "int64"})
    frames = []
    for name in names:
        frame = pd.DataFrame(counts[name], columns=range(1, inst.horizon + 1))
        frames.append(
            frame.assign(region_id=bookings["region_id"].to_numpy()).groupby("region_id").sum().stack().rename(name)
        )
    return pd.concat(frames, axis=1).reset_index(names=["region_id", "t"])


def region_kpis(inst: Instance, S: np.ndarray) -> pd.DataFrame:
    """Per region × week: waiting, over 90/180/365 days and share over 90 (excl. MoV/PvV, as in statistics).

    The day counts are the statistics' whatever a patient's priority (the care guarantee is 90 days
    for all). `mov_pvv` counts the region's MoV/PvV patients, reported but never planned.
    """
    queues = inst.queues
    columns = {"waiting": inst.arrived - S}
    columns.update({f"over_{theta}": np.maximum(inst.over_days[theta] - S, 0.0) for theta in THRESHOLDS})
    horizon = inst.horizon
    frames = []
    for name, grid in columns.items():
        frame = pd.DataFrame(grid, columns=range(1, horizon + 1)).assign(region_id=queues["region_id"].to_numpy())
        frames.append(frame.groupby("region_id").sum().stack().rename(name))
    table = pd.concat(frames, axis=1).reset_index(names=["region_id", "t"])
    booked = booking_region_weeks(inst)
    if len(booked):  # booked patients wait until their week, like any patient
        statistics = {f"over_{θ}_days": f"over_{θ}" for θ in THRESHOLDS}
        booked = booked[["region_id", "t", "waiting", *statistics]].rename(columns=statistics)
        table = pd.concat([table, booked]).groupby(["region_id", "t"], as_index=False).sum()
    table["waiting"] = table["waiting"].clip(lower=0.0)
    table["share_over_90"] = share(table["over_90"], table["waiting"])
    mov = inst.dataset.waiting_list
    mov_counts = mov[mov["status"].isin(("MoV", "PvV"))].groupby("region_id").size()
    table["mov_pvv"] = table["region_id"].map(mov_counts).fillna(0).astype(int)
    table["week"] = [inst.weeks[t - 1] for t in table["t"]]
    return table[["region_id", "week", "t", "waiting", "over_90", "over_180", "over_365", "share_over_90", "mov_pvv"]]


#: Columns of allocations.csv and integer_plan.csv.
ALLOCATION_COLUMNS = [*QUEUE_KEYS, "hospital_id", "week", "patients"]


def allocation_table(inst: Instance, y: np.ndarray, S: np.ndarray | None = None) -> pd.DataFrame:
    """allocations.csv: region_id, listed_hospital_id, procedure_id, class, priority, hospital_id, week,
    patients (non-zero flows).

    A flow of a group with several priorities is split among them in proportion to what each
    priority's queue is treated in that week (earliest deadline first, `cumulative_treated`).
    """
    flows = inst.flows
    S = cumulative_treated(inst, y) if S is None else S
    weekly = np.diff(S, axis=1, prepend=0.0)  # per queue and week
    queues = inst.queues.reset_index(names="queue")[["queue", "group", "priority"]]
    keep = y > FLOW_EPSILON
    table = flows.loc[keep, [*GROUP_KEYS, "group", "hospital_id", "t"]].assign(flow_patients=y[keep])
    table = table.merge(queues, on="group")
    group_week = group_treated(inst, y)[table["group"].to_numpy(), table["t"].to_numpy() - 1]
    queue_week = weekly[table["queue"].to_numpy(), table["t"].to_numpy() - 1]
    table["patients"] = table["flow_patients"] * np.divide(
        queue_week, group_week, out=np.zeros(len(table)), where=group_week > FLOW_EPSILON
    )
    table = table[table["patients"] > FLOW_EPSILON]
    table["week"] = np.asarray(inst.weeks, dtype=object)[table["t"].to_numpy() - 1]
    order = ["group", "hospital_id", "t", "priority"]
    return table.sort_values(order)[ALLOCATION_COLUMNS].reset_index(drop=True)


def payments(inst: Instance, y: np.ndarray) -> pd.DataFrame:
    """SEK paid under the price list, payer region × provider region (charged arcs only)."""
    flows = inst.flows
    charged = flows["charged"].to_numpy()
    table = pd.DataFrame(
        {
            "payer_region": flows["region_id"].to_numpy()[charged],
            "provider_region": flows["provider_region"].to_numpy()[charged],
            "patients": y[charged],
            "amount_sek": (y * flows["price_sek"].to_numpy())[charged],
        }
    )
    table = table.groupby(["payer_region", "provider_region"], as_index=False)[["patients", "amount_sek"]].sum()
    return table[table["patients"] > FLOW_EPSILON].reset_index(drop=True)


def plan_objective(inst: Instance, y: np.ndarray) -> tuple[dict[str, float], float]:
    """The objective's terms of flow vector `y` and its value under the scenario's weights."""
    S = cumulative_treated(inst, y)
    theatre = theatre_use(inst, y)
    terms = _objective_terms(inst, y, S, theatre, fairness_table(inst, y))
    return terms, objective_value(terms, inst.scenario.weights)


def _objective_terms(
    inst: Instance, y: np.ndarray, S: np.ndarray, theatre: pd.DataFrame, fairness: pd.DataFrame
) -> dict[str, float]:
    extra_cost = float(theatre["extra_cost_sek"].sum())
    flows = inst.flows
    booked = booking_region_weeks(inst)
    terms = {
        f"breach_days_{theta}": 7.0 * float(np.maximum(inst.over[theta] - S, 0.0).sum() + booked[f"over_{theta}"].sum())
        for theta in THRESHOLDS
    }
    terms["waiting_days"] = 7.0 * float((inst.arrived - S).sum() + booked["waiting"].sum())
    terms["treatment_cost_sek"] = float((y * flows["price_sek"].to_numpy() * flows["charged"].to_numpy()).sum())
    terms["extra_capacity_sek"] = extra_cost
    terms["cost_sek"] = terms["treatment_cost_sek"] + extra_cost  # the objective's cost term: both
    terms["patient_km"] = float((y * flows["travel_km"].to_numpy()).sum())
    terms["fairness_penalty"] = float((fairness["weight"] * fairness["shortfall"]).sum())
    terms["changed_proposals"] = changed_proposals(inst.anchor, y) if inst.anchor is not None else 0.0
    terms["week_drift"] = (
        week_drift(inst.schedule, np.cumsum(group_treated(inst, y), axis=1)) if inst.schedule is not None else 0.0
    )
    terms["treated"] = float(y.sum() + booked["treated"].sum())
    return terms


def plan_tables(inst: Instance, y: np.ndarray) -> PlanTables:
    """Every KPI and table of flow vector `y`, and its objective value under the scenario's weights."""
    S = cumulative_treated(inst, y)
    theatre = theatre_use(inst, y)
    fairness = fairness_table(inst, y)
    terms = _objective_terms(inst, y, S, theatre, fairness)
    return PlanTables(
        terms=terms,
        objective=objective_value(terms, inst.scenario.weights),
        allocations=allocation_table(inst, y, S),
        region_kpis=region_kpis(inst, S),
        theatre_use=theatre,
        bed_use=bed_use(inst, y),
        payments=payments(inst, y),
        region_totals=region_totals(inst, y, S, theatre),
        procedure_totals=procedure_totals(inst, y, S),
        specialty_plan=specialty_plan(inst, y, S, theatre),
        fairness=fairness,
    )


def fairness_members(inst: Instance) -> np.ndarray:
    """M[e, f]: whether fairness entry e counts flow f (its procedure, or its home region, is the entry's)."""
    members = np.zeros((len(inst.fairness), len(inst.flows)), dtype=bool)
    for e, (by, member) in enumerate(zip(inst.fairness["by"], inst.fairness["member"], strict=True)):
        column = "procedure_id" if by == "procedure" else "region_id"
        members[e] = (inst.flows[column] == member).to_numpy()
    return members


def fairness_table(inst: Instance, y: np.ndarray) -> pd.DataFrame:
    """Per fairness entry and procedure (or region): target, treated over the horizon, shortfall."""
    table = inst.fairness.copy()
    table["treated"] = (fairness_members(inst) @ y).astype(float)
    table["shortfall"] = np.maximum(table["target"].to_numpy(dtype=float) - table["treated"].to_numpy(), 0.0)
    return table


def region_totals(inst: Instance, y: np.ndarray, S: np.ndarray, theatre: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per home region over the horizon: breach-days per tier (days past a priority's limit L, L + 90,
    L + 275: for routine patients 90/180/365), weighted breach-days, patients over 90/180/365 days at
    the end, treated, treated outside the region, `treatment_cost_sek` (SEK the region pays under
    the price list), `extra_capacity_sek` (SEK for extra theatre days bought at the region's own
    hospitals), `cost_sek` (both) and patient-km. The regions' `cost_sek` add up to the plan's."""
    w = inst.scenario.weights
    weight_of = {90: w.over_90, 180: w.over_180, 365: w.over_365}
    region = inst.queues["region_id"].to_numpy()
    columns: dict[str, np.ndarray] = {}
    weighted = np.zeros(len(region))
    for theta in THRESHOLDS:
        over = np.maximum(inst.over[theta] - S, 0.0)
        columns[f"breach_days_{theta}"] = 7.0 * over.sum(axis=1)
        columns[f"over_{theta}_end"] = np.maximum(inst.over_days[theta] - S, 0.0)[:, -1]
        weighted += weight_of[theta] * columns[f"breach_days_{theta}"]
    columns["weighted_breach_days"] = weighted
    flows = inst.flows
    away = (flows["provider_region"] != flows["region_id"]).to_numpy()
    flow_columns = {
        "treated": y,
        "treated_elsewhere": y * away,
        "treatment_cost_sek": y * flows["price_sek"].to_numpy() * flows["charged"].to_numpy(),
        "patient_km": y * flows["travel_km"].to_numpy(),
    }
    table = pd.DataFrame(columns).assign(region_id=region).groupby("region_id", as_index=False).sum()
    by_flow = pd.DataFrame(flow_columns).assign(region_id=flows["region_id"].to_numpy())
    table = table.merge(by_flow.groupby("region_id", as_index=False).sum(), on="region_id", how="left").fillna(0.0)
    table = _with_bookings(inst, table, weight_of)
    theatre = theatre_use(inst, y) if theatre is None else theatre
    hospital_region = inst.dataset.hospitals.set_index("hospital_id")["region_id"]
    extra = theatre["extra_cost_sek"].groupby(theatre["hospital_id"].map(hospital_region)).sum()
    # a region with no patients of its own can still sell extra theatre days: it gets a row too
    table = table.set_index("region_id").reindex(table["region_id"].tolist() + sorted(set(extra.index) - set(region)))
    table = table.fillna(0.0).reset_index(names="region_id")
    table["extra_capacity_sek"] = table["region_id"].map(extra).fillna(0.0).astype(float)
    table["cost_sek"] = table["treatment_cost_sek"] + table["extra_capacity_sek"]
    return table


def _with_bookings(inst: Instance, table: pd.DataFrame, weight_of: dict[int, float]) -> pd.DataFrame:
    """Region totals with the booked patients added: their breach-days while waiting, treated."""
    booked = booking_region_weeks(inst)
    if booked.empty:
        return table
    last = booked[booked["t"] == inst.horizon].set_index("region_id")
    per_region = booked.groupby("region_id")
    extra = pd.DataFrame({"treated": per_region["treated"].sum()})
    extra["weighted_breach_days"] = 0.0
    for theta in THRESHOLDS:
        extra[f"breach_days_{theta}"] = 7.0 * per_region[f"over_{theta}"].sum()
        extra[f"over_{theta}_end"] = last[f"over_{theta}_days"].reindex(extra.index).fillna(0.0)
        extra["weighted_breach_days"] += weight_of[theta] * extra[f"breach_days_{theta}"]
    table = table.set_index("region_id")
    table = table.reindex(table.index.union(extra.index)).fillna(0.0)
    table[extra.columns] = table[extra.columns].add(extra.reindex(table.index).fillna(0.0))
    return table.reset_index(names="region_id")


def waiting_bands(inst: Instance, S: np.ndarray | None = None) -> pd.DataFrame:
    """Waiting patients (excl. MoV/PvV) per region in the national bands (0–30 … 366+ days).

    With `S` None: the backlog at the plan start D0. With `S`: those still waiting at the end of the
    horizon E_T under first-in-first-out, i.e. the newest arrivals, aged to E_T.
    """
    cohorts = inst.cohorts
    if S is None:
        cohorts = cohorts[cohorts["offset_days"] < 0].assign(
            days=lambda c: -c["offset_days"], left=lambda c: c["count"]
        )
    else:
        horizon = inst.horizon
        remaining = inst.arrived[:, -1] - S[:, -1]
        cohorts = cohorts.sort_values(["queue", "offset_days"], ascending=[True, False])  # newest first
        newer = cohorts.groupby("queue")["count"].cumsum() - cohorts["count"]
        left = np.clip(remaining[cohorts["queue"].to_numpy()] - newer.to_numpy(), 0.0, cohorts["count"].to_numpy())
        cohorts = cohorts.assign(days=7 * horizon - cohorts["offset_days"], left=left)
    edges = [lo for lo, _ in BANDS] + [np.inf]
    band = pd.cut(cohorts["days"], bins=[e - 0.5 for e in edges], labels=band_labels())
    region = inst.queues["region_id"].to_numpy()[cohorts["queue"].to_numpy()]
    table = pd.DataFrame({"region_id": region, "band": band, "patients": cohorts["left"].to_numpy()})
    return table.groupby(["region_id", "band"], observed=False, as_index=False)["patients"].sum()


def shadow_prices(rows: dict[str, pd.DataFrame], duals: dict[str, np.ndarray], weeks: list[str]) -> pd.DataFrame:
    """Objective units saved by one more theatre day or bed-day at each hospital and week.

    HiGHS reports a row dual as ∂objective/∂rhs (≤ 0 for a binding ≤ row when minimising), so the
    saving per extra day is −dual. Only rows with a non-zero value are listed.
    """
    theatre = rows["theatre_days"].assign(resource="theatre_days", dual=duals["theatre_days"])
    beds = rows["bed_days"].assign(resource="bed_days", specialty="", dual=duals["bed_days"])
    table = pd.concat([theatre, beds], ignore_index=True)
    table["saving_per_extra_day"] = -table["dual"]
    table = table[table["saving_per_extra_day"].abs() > 1e-9]
    table["week"] = [weeks[t - 1] for t in table["t"]]
    columns = ["resource", "hospital_id", "specialty", "week", "saving_per_extra_day"]
    return table[columns].sort_values("saving_per_extra_day", ascending=False).reset_index(drop=True)
