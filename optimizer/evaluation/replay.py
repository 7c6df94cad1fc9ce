"""Independent patient-level evaluation of any set of flows (the LP's, an integer plan, a hand-made one).

The evaluator re-derives the model of DESIGN.md ("The model", version 2) from the dataset and the
scenario alone and imports nothing from the other `optimizer` packages (only the domain's rules and
the objective from `models`, which the LP shares), so that it can cross-check the LP. It replays
the plan patient by patient:

* **Calendar.** Week t = 1..T starts at D0, the Monday of `scenario.start_week`, and ends at
  E_t = D0 + 7t days. Flows must be labelled with one of the plan's ISO weeks.
* **Groups** g = (home region, listed hospital, procedure, class); class `mobile` = `accepts_travel`
  true. A patient with no listed hospital counts as listed at the (region, procedure)'s fallback
  hospital (`models.rules.fallback_hospitals`). Only status `waiting` patients are planned and
  counted; MoV and PvV never appear here. Flows are given per group (a `priority` column is summed).
* **Patients.** The backlog are individual patients (weight 1), all arrived at the start of week 1,
  each with a priority and its limit L (days). Forecast decisions of week s (demand.csv rows in plan
  weeks) are fractional cohorts dated D0 + 7(s−1) + 3 that arrive in week s; they are split over
  listed hospitals as the (region, procedure) backlog is (none: the fallback hospital), over classes
  by `policy.share_accepting_travel` or (`from_data`) the share accepting travel among the (region,
  procedure)'s waiting patients, else among all waiting patients, else 0.5; over priorities by
  their demand share.
* **Earliest deadline first.** Each week the group's total flow (summed over hospitals) treats its
  arrived-and-untreated patients in the order of their deadline (decision date + L), then decision
  date (ties: backlog before cohorts, then patient_id): first in, first out within a priority. Flow
  beyond what has arrived is a `queue` violation and is not simulated.
* **Counts at the end of week t.** waiting = arrived − treated; breach tiers: untreated patients
  with decision date + L + τ < E_t, τ ∈ {0, 90, 275} (named 90/180/365 after the routine limits);
  the statistics over 90/180/365 days: decision date + θ < E_t, whatever the priority.
* **Arcs.** Eligible when the hospital has a capabilities row for the procedure; a `local` group at
  its listed hospital, or at a hospital of its home region within `local_max_km` of it; `mobile`
  also at any hospital within `max_travel_km` of the listed hospital; never away from the listed
  hospital in the first `transfer_lead_weeks` weeks; distance 1.25 × haversine km (R = 6371).
  Charged arcs (hospital in another region, or private) need a prices.csv row. Travel (patient-km)
  counts on arcs away from the listed hospital, from it.
* **Capacity.** Theatre days × `planned_utilisation`, plus the extra days the plan needs beyond
  that (cheapest `extra_capacity` offer first, up to what is offered); bed-days as given.
* **Money.** cost_sek = price × patients on charged arcs + cost of the extra theatre days used.

* **Booked patients** (status `booked`) are part of the list that splits new decisions over listed
  hospitals and classes (a booking changes no split), and are fixed treatments at `booked_hospital_id` in `booked_week`:
  they need theatre days (1/rate) and bed-days there and then, wait until that week like any
  patient (waiting, over θ days, breach tiers at each week's end) and are treated in it. A booking
  before the plan was treated before it and counts nowhere.
* **Re-plan.** Given the previous plan's proposals (`previous`, one row per patient), the term
  `changed_proposals` = Σ over (group, hospital, week) of max(0, previous proposals − patients planned),
  over the previous proposals of patients still `waiting`, and `week_drift` = Σ over (group, week)
  of |planned up to the week − previous proposals up to it| (ahead only while proposals remain).

Many draws of one scenario (the Monte Carlo simulation) replay through `Replayer` (replayer.py),
which prepares the patients, cohorts and FIFO order once and shares `patients.py` and `fifo.py`
with this function.

Rules chosen where the model is silent (documented here, tested in tests/test_evaluate.py):

* Rows with an unknown id or class are `eligibility` violations, rows with a week outside the plan
  `week` violations, negative or non-finite rows `negative_flow` violations; these rows are then left
  out of everything else (a negative flow counts as 0). Negative values within the tolerance are
  numerical noise and are zeroed silently; rows with zero patients are ignored.
* Flows on ineligible arcs with known ids are reported *and still counted*: they treat patients,
  use theatre and bed days (rate = the capability's, else the procedure's default), count for
  agreements, and cost money when a price exists.
* A violation is reported when its amount exceeds `tolerance × max(1, |bound|)` (default 1e-6).
* Assignments (backlog patients only, never cohorts, never MoV/PvV): a patient is assigned to the
  week in which the flow completes the whole patient (with whole flows exact; with fractional flows
  a patient is assigned only when fully covered). Within the week the group's flow is laid out
  hospital after hospital — the listed hospital first, then by road distance from it, then
  hospital_id — and the patient goes to the hospital whose segment covers where the patient ends.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.objective import objective_value
from models.rules import THRESHOLDS
from models.scenario import Scenario
from models.weeks import parse_iso_week, week_labels
from optimizer.evaluation.bookings import booked_patients, changed_proposals, week_drift
from optimizer.evaluation.capacity import agreement_violations, bed_use, budget_violations, theatre_use
from optimizer.evaluation.fairness import fairness_shortfalls
from optimizer.evaluation.fifo import (
    POSITION_EPS,
    QUEUE_KEYS,
    planned_patients,
    queue_table,
    queue_violations,
    replay_order,
    simulate,
)
from optimizer.evaluation.flows import (
    GROUP_KEYS,
    REQUIRED_FLOW_COLUMNS,
    VIOLATION_COLUMNS,
    checked_flows,
    eligibility_violations,
    fill_listed_hospitals,
    violation_frame,
    with_arcs,
)
from optimizer.evaluation.patients import queue_items

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    """The evaluation of one set of flows: KPIs, objective terms, violations and patient assignments.

    `kpis`: region_id × week — waiting, over_90, over_180, over_365 days (at the end of the week,
    status `waiting` only), share_over_90, treated (in the week). `queues`: per queue (group and
    priority) × week: arrived, treated, treated_cumulative, waiting, over_90/180/365 (breach tiers).
    `theatre`: hospital × specialty × week need, capacity, extra_offered, extra_used, extra_cost_sek.
    `beds`: hospital × week need, capacity.
    `payments`: payer_region × provider_region SEK on charged arcs. `violations`: family, key,
    amount, message. `assignments`: patient_id, region_id, procedure_id, class, decision_date,
    hospital_id, week, days_waited_at_week_end.
    """

    kpis: pd.DataFrame
    queues: pd.DataFrame
    breach_days: dict[int, float]
    waiting_days: float
    treated: float
    planned: float
    purchase_cost_sek: float
    extra_capacity_cost_sek: float
    patient_km: float
    fairness_penalty: float
    objective: float
    violations: pd.DataFrame
    assignments: pd.DataFrame
    theatre: pd.DataFrame
    beds: pd.DataFrame
    payments: pd.DataFrame
    weights: dict[str, float] = field(default_factory=dict)
    changed_proposals: float = 0.0
    week_drift: float = 0.0

    @property
    def cost_sek(self) -> float:
        """SEK paid under the price list plus the cost of extra theatre days used."""
        return self.purchase_cost_sek + self.extra_capacity_cost_sek

    @property
    def feasible(self) -> bool:
        """True when no constraint is violated."""
        return self.violations.empty

    def objective_terms(self) -> dict[str, float]:
        """The unweighted terms, named as in the LP's summary.json (`cost_sek` = treatment + extra capacity)."""
        return {
            "breach_days_90": self.breach_days[90],
            "breach_days_180": self.breach_days[180],
            "breach_days_365": self.breach_days[365],
            "waiting_days": self.waiting_days,
            "treatment_cost_sek": self.purchase_cost_sek,
            "extra_capacity_sek": self.extra_capacity_cost_sek,
            "cost_sek": self.cost_sek,
            "patient_km": self.patient_km,
            "fairness_penalty": self.fairness_penalty,
            "changed_proposals": self.changed_proposals,
            "week_drift": self.week_drift,
            "treated": self.treated,
        }


def evaluate_flows(
    dataset: Dataset,
    scenario: Scenario,
    allocations: pd.DataFrame,
    *,
    tolerance: float = 1e-6,
    base: Dataset | None = None,
    previous: pd.DataFrame | None = None,
    previous_flows: pd.DataFrame | None = None,
) -> Evaluation:
    """Evaluate `allocations` (`FLOW_COLUMNS`; `listed_hospital_id` may be left out where a region,
    procedure and class have one listed hospital; a `priority` column is summed away).

    `dataset` already has the scenario's changes applied (`base`: before them, for the fallback
    hospitals; default `dataset`); of `scenario.changes` only `extra_capacity` offers are used.
    Violations are reported, never clipped away silently; see the module docstring for every rule.
    `previous` (a re-plan's previous proposals: patient_id, procedure_id, group keys, hospital_id,
    week per patient) adds the term `changed_proposals`, and with `previous_flows` (its LP
    flows: allocations.csv columns) the term `week_drift`.
    """
    missing = [c for c in REQUIRED_FLOW_COLUMNS if c not in allocations.columns]
    if missing:
        raise ValueError(f"allocations lack column(s): {', '.join(missing)}")
    labels = week_labels(scenario.start_week, scenario.horizon_weeks)
    d0 = parse_iso_week(scenario.start_week)
    n_weeks = len(labels)
    violations: list[pd.DataFrame] = []

    items, _ = queue_items(dataset, dataset if base is None else base, scenario, d0, labels)
    flows = checked_flows(dataset, allocations, labels, tolerance, violations)
    flows = fill_listed_hospitals(flows, items[GROUP_KEYS].drop_duplicates(), violations)
    flows = with_arcs(dataset, scenario, flows)
    eligibility_violations(flows, violations)
    groups = pd.concat([items[GROUP_KEYS], flows[GROUP_KEYS]]).drop_duplicates().sort_values(GROUP_KEYS)
    groups = groups.reset_index(drop=True).assign(g=lambda frame: np.arange(len(frame)))
    queues = items[[*QUEUE_KEYS]].drop_duplicates().sort_values(QUEUE_KEYS, ignore_index=True)
    queues["q"] = np.arange(len(queues))
    items = items.merge(groups, on=GROUP_KEYS, how="left").merge(queues, on=QUEUE_KEYS, how="left")
    flows = flows.merge(groups, on=GROUP_KEYS, how="left")

    items = replay_order(items)
    planned = planned_patients(
        flows["g"].to_numpy(dtype=np.int64),
        flows["t"].to_numpy(dtype=np.int64),
        flows["patients"].to_numpy(dtype=float),
        len(groups),
        n_weeks,
    )
    sim = simulate(items, items["weight"].to_numpy(dtype=float), planned, len(queues), tolerance)
    queue_violations(sim, groups, labels, violations)
    queue_weeks = queue_table(sim, queues, labels)
    booked = booked_patients(dataset, d0, labels)
    kpis = _kpis(sim, queues, dataset, labels, booked)

    with_bookings = pd.concat([flows, booked["needs"]], ignore_index=True)  # bookings use capacity too
    theatre = theatre_use(dataset, scenario, with_bookings, labels, tolerance, violations)
    beds = bed_use(dataset, with_bookings, labels, tolerance, violations)
    flows["cost_sek"] = np.where(flows["charged"], flows["price_sek"].fillna(0.0), 0.0) * flows["patients"]
    flows["km"] = np.where(flows["at_listed"], 0.0, flows["distance_km"].fillna(0.0)) * flows["patients"]
    payments = (
        flows[flows["charged"]]
        .groupby(["region_id", "hospital_region"], as_index=False)["cost_sek"]
        .sum()
        .rename(columns={"region_id": "payer_region", "hospital_region": "provider_region", "cost_sek": "sek"})
    )
    agreement_violations(scenario, flows, tolerance, violations)
    budget_violations(scenario, payments, tolerance, violations)
    assignments = _assignments(sim, flows, labels, d0)

    breach_days = {theta: 7.0 * float(sim["over"][theta].sum() + booked[f"over_{theta}"].sum()) for theta in THRESHOLDS}
    waiting_days = 7.0 * float(sim["waiting"].sum() + booked["waiting"].sum())
    purchase = float(flows["cost_sek"].sum())
    extra_cost = float(theatre["extra_cost_sek"].sum()) if len(theatre) else 0.0
    patient_km = float(flows["km"].sum())
    terms = {f"breach_days_{theta}": days for theta, days in breach_days.items()}
    terms.update(waiting_days=waiting_days, cost_sek=purchase + extra_cost, patient_km=patient_km)
    arrived_end = queues.assign(patients=sim["arrived"][:, -1] if n_weeks else 0.0)
    fairness = fairness_shortfalls(dataset, dataset if base is None else base, scenario, arrived_end, flows, labels)
    terms["fairness_penalty"] = float((fairness["weight"] * fairness["shortfall"]).sum()) if len(fairness) else 0.0
    terms["changed_proposals"] = changed_proposals(previous, dataset, flows, labels)
    terms["week_drift"] = week_drift(previous, previous_flows, dataset, flows, labels)
    objective = objective_value(terms, scenario.weights)
    table = (
        pd.concat(violations, ignore_index=True)
        if violations
        else violation_frame("", pd.Series([], dtype=object), pd.Series([], dtype=float), pd.Series([], dtype=object))
    )
    result = Evaluation(
        kpis=kpis,
        queues=queue_weeks,
        breach_days=breach_days,
        waiting_days=waiting_days,
        treated=float(sim["treated"].sum() + booked["treated"].sum()),
        planned=float(flows["patients"].sum()),
        purchase_cost_sek=purchase,
        extra_capacity_cost_sek=extra_cost,
        patient_km=patient_km,
        fairness_penalty=terms["fairness_penalty"],
        objective=objective,
        changed_proposals=terms["changed_proposals"],
        week_drift=terms["week_drift"],
        violations=table[VIOLATION_COLUMNS].reset_index(drop=True),
        assignments=assignments,
        theatre=theatre,
        beds=beds,
        payments=payments,
        weights=scenario.weights.model_dump(),
    )
    log.info(
        "evaluated %d flow rows over %d groups: objective %.6g, %d violations, %d patients assigned",
        len(allocations),
        len(groups),
        objective,
        len(table),
        len(assignments),
    )
    return result


# --- the tables of one evaluation ------------------------------------------------------------------


def _kpis(sim: dict, queues: pd.DataFrame, dataset: Dataset, labels: list[str], booked: dict) -> pd.DataFrame:
    """Region × week KPIs as in the national statistics (status `waiting` only, days whatever the priority),
    with the booked patients counted as waiting until their week and treated in it."""
    n_queues, n_weeks = sim["arrived"].shape
    table = pd.DataFrame(
        {
            "region_id": np.repeat(queues["region_id"].to_numpy(dtype=object), n_weeks),
            "week": np.tile(np.array(labels, dtype=object), n_queues),
            "waiting": sim["waiting"].ravel(),
            "treated": sim["treated"].ravel(),
            **{f"over_{theta}": sim["over_days"][theta].ravel() for theta in THRESHOLDS},
        }
    )
    n_booked = len(booked["region"])
    if n_booked:
        table = pd.concat(
            [
                table,
                pd.DataFrame(
                    {
                        "region_id": np.repeat(booked["region"], n_weeks),
                        "week": np.tile(np.array(labels, dtype=object), n_booked),
                        "waiting": booked["waiting"].ravel(),
                        "treated": booked["treated"].ravel(),
                        **{f"over_{theta}": booked[f"over_{theta}_days"].ravel() for theta in THRESHOLDS},
                    }
                ),
            ],
            ignore_index=True,
        )
    grid = pd.MultiIndex.from_product([sorted(dataset.regions["region_id"]), labels], names=["region_id", "week"])
    columns = ["waiting", "over_90", "over_180", "over_365", "treated"]
    kpis = table.groupby(["region_id", "week"])[columns].sum().reindex(grid, fill_value=0.0).reset_index()
    waiting = kpis["waiting"].to_numpy()
    kpis["share_over_90"] = np.divide(kpis["over_90"].to_numpy(), waiting, out=np.zeros(len(kpis)), where=waiting > 0)
    return kpis[["region_id", "week", "waiting", "over_90", "over_180", "over_365", "share_over_90", "treated"]]


def _assignments(sim: dict, flows: pd.DataFrame, labels: list[str], d0: dt.date) -> pd.DataFrame:
    """Backlog patients the plan treats: the week their treatment completes, and the hospital whose
    segment of that week's flow (listed hospital first, then by distance, then id) covers them."""
    columns = [
        "patient_id",
        "region_id",
        "listed_hospital_id",
        "procedure_id",
        "class",
        "priority",
        "decision_date",
        "hospital_id",
        "week",
        "days_waited_at_week_end",
    ]
    items = sim["items"]
    n_weeks = sim["planned"].shape[1]
    chosen_mask = (items["kind"] == 0).to_numpy() & (sim["done_week"] >= 0)
    if not chosen_mask.any() or n_weeks == 0:
        return pd.DataFrame(columns=columns)
    chosen = items[chosen_mask].reset_index(drop=True)
    chosen["t"] = sim["done_week"][chosen_mask] + 1
    chosen["target"] = sim["done_at"][chosen_mask] - POSITION_EPS
    chosen["slot"] = chosen["g"].to_numpy(dtype=np.int64) * n_weeks + chosen["t"].to_numpy() - 1
    segments = flows.assign(
        away=(~flows["at_listed"]).astype(int),
        order_km=np.where(flows["at_listed"], 0.0, flows["distance_km"].fillna(np.inf)),
    )
    segments = segments.sort_values(["g", "t", "away", "order_km", "hospital_id"], ignore_index=True)
    segments["slot"] = segments["g"].to_numpy(dtype=np.int64) * n_weeks + segments["t"].to_numpy() - 1
    segments["segment_start"] = segments.groupby("slot")["patients"].cumsum() - segments["patients"]
    matched = pd.merge_asof(
        chosen.sort_values("target"),
        segments[["slot", "segment_start", "hospital_id"]].sort_values("segment_start"),
        left_on="target",
        right_on="segment_start",
        by="slot",
        direction="backward",
    )
    matched = matched.sort_values(["g", "t", "target"], ignore_index=True)
    t = matched["t"].to_numpy(dtype=np.int64)
    decision_day = (pd.to_datetime(matched["decision_date"]) - pd.Timestamp(d0)).dt.days.to_numpy(dtype=np.int64)
    matched["week"] = np.array(labels, dtype=object)[t - 1]
    matched["days_waited_at_week_end"] = 7 * t - decision_day  # E_t − decision date
    return matched[columns].reset_index(drop=True)
