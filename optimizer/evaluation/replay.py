"""Independent patient-level evaluation of any set of flows (the LP's, an integer plan, a hand-made one).

The evaluator re-derives the model of DESIGN.md ("The model") from the dataset and the scenario
alone and imports nothing from the other `optimizer` packages (only the domain's rules and the
objective from `models`, which the LP shares), so that it can cross-check the LP. It replays the
plan patient by patient:

* **Calendar.** Week t = 1..T starts at D0, the Monday of `scenario.start_week`, and ends at
  E_t = D0 + 7t days. Flows must be labelled with one of the plan's ISO weeks.
* **Queues** q = (home region, procedure, class); class `mobile` = `accepts_travel` true. Only
  status `waiting` patients are planned and counted; MoV and PvV never appear here.
* **Patients.** The backlog are individual patients (weight 1), all arrived at the start of week 1.
  Forecast decisions of week s (demand.csv rows in plan weeks) are fractional cohorts dated
  D0 + 7(s−1) + 3 that arrive in week s; they are split between classes by
  `policy.share_accepting_travel`, or (`from_data`) by the share accepting travel among waiting
  patients of the region × procedure, else among all waiting patients, else 0.
* **First in, first out.** Within a queue, patients and cohorts are ordered by decision date (ties:
  backlog before cohorts, then patient_id). Each week the queue's total flow (summed over hospitals)
  treats the oldest arrived-and-untreated patients first. Flow beyond what has arrived is a `queue`
  violation and is not simulated: treated-by-end-of-week S(t) = min(S(t−1) + F(t), A(t)).
* **Counts at the end of week t.** waiting = A(t) − S(t); over θ = untreated patients with decision
  date < E_t − θ (strict), θ ∈ {90, 180, 365}. With FIFO these are max(0, B^θ(t) − S(t)) exactly;
  they are computed from the sorted patients with cumulative sums (vectorised over all queues).
* **Arcs.** Eligible when the hospital has a capabilities row for the procedure; a `local` queue only
  at hospitals of its home region; `mobile` also at other regions' hospitals within `max_travel_km`
  of the home region's main hospital (university, else county, else district, else private; ties by
  lowest hospital_id), distance 1.25 × haversine km (R = 6371). Charged arcs (hospital in another
  region, or private) need a prices.csv row. Travel (patient-km) counts on arcs out of the home region.
* **Money.** cost_sek = price × patients on charged arcs + cost of the extra theatre days the plan
  needs beyond base capacity (cheapest `extra_capacity` offer first, up to what is offered).

Rules chosen where the model is silent (documented here, tested in tests/test_evaluate.py):

* Rows with an unknown id or class are `eligibility` violations, rows with a week outside the plan
  `week` violations, negative or non-finite rows `negative_flow` violations; these rows are then left
  out of everything else (a negative flow counts as 0). Negative values within the tolerance are
  numerical noise and are zeroed silently; rows with zero patients are ignored.
* Flows on ineligible arcs with known ids are reported *and still counted*: they treat patients,
  use theatre and bed days (rate = the capability's, else the procedure's default), count for
  agreements, and cost money when a price exists. Costs, travel, capacity, agreements and budgets use
  the flows as given; only the queue simulation is limited to patients who have arrived.
* A violation is reported when its amount exceeds `tolerance × max(1, |bound|)` (default 1e-6).
* Assignments (backlog patients only, never cohorts, never MoV/PvV): a patient at FIFO position k of
  its queue (k = cumulative weight up to and including it) is assigned to the first week t whose
  cumulative treated S(t) ≥ k − 1e-6, i.e. once the flow has covered the whole patient; with whole
  flows that is exact, with fractional flows a patient is assigned only when fully covered. Within
  the week the queue's flow is laid out hospital after hospital — home-region hospitals first, then
  by road distance, then hospital_id — and the patient goes to the hospital whose segment covers
  position k − 1e-6.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.objective import objective_value
from models.rules import FORECAST_DAY_OFFSET, THRESHOLDS
from models.scenario import Scenario
from models.weeks import parse_iso_week, week_labels
from optimizer.evaluation.capacity import agreement_violations, bed_use, budget_violations, theatre_use
from optimizer.evaluation.flows import (
    FLOW_COLUMNS,
    QUEUE_KEYS,
    VIOLATION_COLUMNS,
    checked_flows,
    eligibility_violations,
    violation_frame,
    with_arcs,
)

log = logging.getLogger(__name__)

#: Slack below a patient's FIFO position within which the cumulative flow counts as covering them.

POSITION_EPS = 1e-6


@dataclass
class Evaluation:
    """The evaluation of one set of flows: KPIs, objective terms, violations and patient assignments.

    `kpis`: region_id × week — waiting, over_90, over_180, over_365 (at the end of the week, status
    `waiting` only), share_over_90, treated (in the week). `queues`: the same per queue × week plus
    arrived, planned (flow in the week) and treated_cumulative. `theatre`: hospital × specialty × week
    need, capacity, extra_offered, extra_used, extra_cost_sek. `beds`: hospital × week need, capacity.
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
    objective: float
    violations: pd.DataFrame
    assignments: pd.DataFrame
    theatre: pd.DataFrame
    beds: pd.DataFrame
    payments: pd.DataFrame
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def cost_sek(self) -> float:
        """SEK paid under the price list plus the cost of extra theatre days used."""
        return self.purchase_cost_sek + self.extra_capacity_cost_sek

    @property
    def feasible(self) -> bool:
        """True when no constraint is violated."""
        return self.violations.empty

    def objective_terms(self) -> dict[str, float]:
        """The unweighted terms, named as in the LP's summary.json."""
        return {
            "breach_days_90": self.breach_days[90],
            "breach_days_180": self.breach_days[180],
            "breach_days_365": self.breach_days[365],
            "waiting_days": self.waiting_days,
            "cost_sek": self.cost_sek,
            "patient_km": self.patient_km,
            "treated": self.treated,
        }


def evaluate_flows(
    dataset: Dataset, scenario: Scenario, allocations: pd.DataFrame, *, tolerance: float = 1e-6
) -> Evaluation:
    """Evaluate `allocations` (columns region_id, procedure_id, class, hospital_id, week, patients).

    `dataset` already has the scenario's changes applied; of `scenario.changes` only `extra_capacity`
    offers are used. Violations are reported, never clipped away silently; see the module docstring
    for every rule.
    """
    missing = [c for c in FLOW_COLUMNS if c not in allocations.columns]
    if missing:
        raise ValueError(f"allocations lack column(s): {', '.join(missing)}")
    labels = week_labels(scenario.start_week, scenario.horizon_weeks)
    d0 = parse_iso_week(scenario.start_week)
    n_weeks = len(labels)
    violations: list[pd.DataFrame] = []

    flows = checked_flows(dataset, allocations, labels, tolerance, violations)
    flows = with_arcs(dataset, scenario, flows)
    eligibility_violations(flows, violations)

    items = _queue_items(dataset, scenario, d0, labels)
    queues = pd.concat([items[QUEUE_KEYS], flows[QUEUE_KEYS]]).drop_duplicates()
    queues = queues.sort_values(QUEUE_KEYS, ignore_index=True)
    queues["q"] = np.arange(len(queues))
    items = items.merge(queues, on=QUEUE_KEYS, how="left")
    flows = flows.merge(queues, on=QUEUE_KEYS, how="left")

    sim = _simulate(items, flows, len(queues), n_weeks, tolerance)
    _queue_violations(sim, queues, labels, violations)
    queue_weeks = _queue_table(sim, queues, labels)
    kpis = _kpis(queue_weeks, dataset, labels)

    theatre = theatre_use(dataset, scenario, flows, labels, tolerance, violations)
    beds = bed_use(dataset, flows, labels, tolerance, violations)
    flows["cost_sek"] = np.where(flows["charged"], flows["price_sek"].fillna(0.0), 0.0) * flows["patients"]
    flows["km"] = np.where(flows["out_of_region"], flows["distance_km"].fillna(0.0), 0.0) * flows["patients"]
    payments = (
        flows[flows["charged"]]
        .groupby(["region_id", "hospital_region"], as_index=False)["cost_sek"]
        .sum()
        .rename(columns={"region_id": "payer_region", "hospital_region": "provider_region", "cost_sek": "sek"})
    )
    agreement_violations(scenario, flows, tolerance, violations)
    budget_violations(scenario, payments, tolerance, violations)
    assignments = _assignments(sim, flows, labels, d0)

    breach_days = {theta: 7.0 * float(queue_weeks[f"over_{theta}"].sum()) for theta in THRESHOLDS}
    waiting_days = 7.0 * float(queue_weeks["waiting"].sum())
    purchase = float(flows["cost_sek"].sum())
    extra_cost = float(theatre["extra_cost_sek"].sum()) if len(theatre) else 0.0
    patient_km = float(flows["km"].sum())
    terms = {f"breach_days_{theta}": days for theta, days in breach_days.items()}
    terms.update(waiting_days=waiting_days, cost_sek=purchase + extra_cost, patient_km=patient_km)
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
        treated=float(sim["treated_cum"][:, -1].sum()) if len(queues) else 0.0,
        planned=float(flows["patients"].sum()),
        purchase_cost_sek=purchase,
        extra_capacity_cost_sek=extra_cost,
        patient_km=patient_km,
        objective=objective,
        violations=table[VIOLATION_COLUMNS].reset_index(drop=True),
        assignments=assignments,
        theatre=theatre,
        beds=beds,
        payments=payments,
        weights=scenario.weights.model_dump(),
    )
    log.info(
        "evaluated %d flow rows over %d queues: objective %.6g, %d violations, %d patients assigned",
        len(allocations),
        len(queues),
        objective,
        len(table),
        len(assignments),
    )
    return result


# --- flows and arcs -------------------------------------------------------------------------------


def _mobile_share(dataset: Dataset, scenario: Scenario, pairs: pd.DataFrame) -> np.ndarray:
    setting = scenario.policy.share_accepting_travel
    if setting != "from_data":
        return np.full(len(pairs), float(setting))
    waiting = dataset.waiting_list[dataset.waiting_list["status"] == "waiting"]
    overall = float(waiting["accepts_travel"].astype(float).mean()) if len(waiting) else 0.0
    by_pair = (
        waiting.assign(share=waiting["accepts_travel"].astype(float))
        .groupby(["region_id", "procedure_id"], as_index=False)["share"]
        .mean()
    )
    return pairs.merge(by_pair, on=["region_id", "procedure_id"], how="left")["share"].fillna(overall).to_numpy()


def _queue_items(dataset: Dataset, scenario: Scenario, d0: dt.date, labels: list[str]) -> pd.DataFrame:
    """Backlog patients (weight 1, arrival week 0) and forecast cohorts (weight, arrival week s ≥ 1).

    `day` is the decision date in days after D0; `kind` 0 = patient, 1 = cohort (the FIFO tie-break).
    """
    waiting = dataset.waiting_list[dataset.waiting_list["status"] == "waiting"]
    backlog = pd.DataFrame(
        {
            "region_id": waiting["region_id"].to_numpy(dtype=object),
            "procedure_id": waiting["procedure_id"].to_numpy(dtype=object),
            "class": np.where(waiting["accepts_travel"].to_numpy(dtype=bool), "mobile", "local").astype(object),
            "day": (waiting["decision_date"] - pd.Timestamp(d0)).dt.days.to_numpy(dtype=np.int64),
            "weight": 1.0,
            "arrival": 0,
            "kind": 0,
            "patient_id": waiting["patient_id"].to_numpy(dtype=object),
            "decision_date": waiting["decision_date"].to_numpy(),
        }
    )
    week_of = {label: t for t, label in enumerate(labels, start=1)}
    demand = dataset.demand.assign(s=dataset.demand["week"].map(week_of)).dropna(subset=["s"])
    demand = demand.groupby(["region_id", "procedure_id", "s"], as_index=False)["expected_decisions"].sum()
    share = _mobile_share(dataset, scenario, demand[["region_id", "procedure_id"]])
    s = demand["s"].to_numpy(dtype=np.int64)
    cohorts = [
        pd.DataFrame(
            {
                "region_id": demand["region_id"].to_numpy(dtype=object),
                "procedure_id": demand["procedure_id"].to_numpy(dtype=object),
                "class": cls,
                "day": 7 * (s - 1) + FORECAST_DAY_OFFSET,
                "weight": demand["expected_decisions"].to_numpy(dtype=float) * part,
                "arrival": s,
                "kind": 1,
                "patient_id": None,
                "decision_date": pd.Timestamp(d0) + pd.to_timedelta(7 * (s - 1) + FORECAST_DAY_OFFSET, unit="D"),
            }
        )
        for cls, part in (("mobile", share), ("local", 1.0 - share))
    ]
    return pd.concat([backlog, *cohorts], ignore_index=True)


def _simulate(items: pd.DataFrame, flows: pd.DataFrame, n_queues: int, n_weeks: int, tolerance: float) -> dict:
    """FIFO replay of all queues at once; arrays are queue × week (week index 0 = end of week 1).

    Items are sorted by (queue, day, kind, patient_id); `cum` holds their global cumulative weight,
    so the weight of queue q's items dated before day c is cum[first index ≥ (q, c)] − cum[start of q].
    """
    items = items.sort_values(["q", "day", "kind", "patient_id"], na_position="last", ignore_index=True)
    q = items["q"].to_numpy(dtype=np.int64)
    day = items["day"].to_numpy(dtype=np.int64)
    weight = items["weight"].to_numpy(dtype=float)
    arrival = items["arrival"].to_numpy(dtype=np.int64)

    arrived_in = np.zeros((n_queues, n_weeks + 1))
    np.add.at(arrived_in, (q, np.minimum(arrival, n_weeks)), weight)
    arrived = np.cumsum(arrived_in, axis=1)[:, 1:]  # A_q(t): backlog (arrival 0) + cohorts of weeks ≤ t
    planned = np.zeros((n_queues, n_weeks))
    np.add.at(
        planned,
        (flows["q"].to_numpy(dtype=np.int64), flows["t"].to_numpy(dtype=np.int64) - 1),
        flows["patients"].to_numpy(dtype=float),
    )

    treated_cum = np.zeros((n_queues, n_weeks))
    excess = np.zeros((n_queues, n_weeks))
    previous = np.zeros(n_queues)
    for t in range(n_weeks):
        wanted = previous + planned[:, t]
        treated_cum[:, t] = np.minimum(wanted, arrived[:, t])
        excess[:, t] = wanted - treated_cum[:, t]
        previous = treated_cum[:, t]

    cum = np.concatenate([[0.0], np.cumsum(weight)])
    day_min = int(day.min()) if len(day) else 0
    cutoffs = 7 * np.arange(1, n_weeks + 1)[None, :] - np.array(THRESHOLDS)[:, None]  # E_t − θ − D0 in days
    span = max(int(day.max()) if len(day) else 0, int(cutoffs.max())) - day_min + 2
    keys = q * span + (day - day_min)
    queue_ids = np.arange(n_queues, dtype=np.int64)
    start = cum[np.searchsorted(keys, queue_ids * span, side="left")]
    over = {}
    for i, theta in enumerate(THRESHOLDS):
        cutoff = np.clip(cutoffs[i] - day_min, 0, span - 1)
        idx = np.searchsorted(keys, (queue_ids[:, None] * span + cutoff[None, :]).ravel(), side="left")
        due = cum[idx].reshape(n_queues, n_weeks) - start[:, None]  # B^θ_q(t)
        over[theta] = np.maximum(0.0, due - treated_cum)
    waiting = np.maximum(0.0, arrived - treated_cum)
    position = cum[1:] - start[q]  # FIFO position k of each item within its queue
    return {
        "items": items,
        "position": position,
        "arrived": arrived,
        "planned": planned,
        "treated_cum": treated_cum,
        "excess": excess,
        "waiting": waiting,
        "over": over,
        "tolerance": tolerance,
    }


def _queue_violations(sim: dict, queues: pd.DataFrame, labels: list[str], out: list[pd.DataFrame]) -> None:
    excess, treated_cum, arrived = sim["excess"], sim["treated_cum"], sim["arrived"]
    scale = np.maximum(1.0, arrived)
    qi, ti = np.nonzero(excess > sim["tolerance"] * scale)
    if len(qi) == 0:
        return
    before = np.where(ti > 0, treated_cum[qi, np.maximum(ti - 1, 0)], 0.0)
    available = arrived[qi, ti] - before
    rows = queues.iloc[qi]
    keys = (
        (rows["region_id"] + "/" + rows["procedure_id"] + "/" + rows["class"]).to_numpy()
        + "/"
        + np.array(labels, dtype=object)[ti]
    )
    messages = [
        f"{excess[a, b] + available[k]:.6g} patients planned but only {available[k]:.6g} arrived and untreated"
        for k, (a, b) in enumerate(zip(qi, ti, strict=True))
    ]
    out.append(violation_frame("queue", pd.Series(keys), pd.Series(excess[qi, ti]), pd.Series(messages)))


def _queue_table(sim: dict, queues: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    n_queues, n_weeks = sim["arrived"].shape
    table = queues.loc[np.repeat(np.arange(n_queues), n_weeks), QUEUE_KEYS].reset_index(drop=True)
    table["week"] = np.tile(np.array(labels, dtype=object), n_queues)
    treated_cum = sim["treated_cum"]
    treated = np.diff(treated_cum, axis=1, prepend=0.0)
    table["arrived"] = sim["arrived"].ravel()
    table["planned"] = sim["planned"].ravel()
    table["treated"] = treated.ravel()
    table["treated_cumulative"] = treated_cum.ravel()
    table["waiting"] = sim["waiting"].ravel()
    for theta in THRESHOLDS:
        table[f"over_{theta}"] = sim["over"][theta].ravel()
    return table


def _kpis(queue_weeks: pd.DataFrame, dataset: Dataset, labels: list[str]) -> pd.DataFrame:
    """Region × week KPIs as in the national statistics (status `waiting` only)."""
    grid = pd.MultiIndex.from_product([sorted(dataset.regions["region_id"]), labels], names=["region_id", "week"])
    columns = ["waiting", "over_90", "over_180", "over_365", "treated"]
    kpis = queue_weeks.groupby(["region_id", "week"])[columns].sum().reindex(grid, fill_value=0.0).reset_index()
    waiting = kpis["waiting"].to_numpy()
    kpis["share_over_90"] = np.divide(kpis["over_90"].to_numpy(), waiting, out=np.zeros(len(kpis)), where=waiting > 0)
    return kpis[["region_id", "week", "waiting", "over_90", "over_180", "over_365", "share_over_90", "treated"]]


def _assignments(sim: dict, flows: pd.DataFrame, labels: list[str], d0: dt.date) -> pd.DataFrame:
    """Backlog patients treated by the plan: week = first t with S(t) ≥ k − ε; hospital by flow segment."""
    columns = [
        "patient_id",
        "region_id",
        "procedure_id",
        "class",
        "decision_date",
        "hospital_id",
        "week",
        "days_waited_at_week_end",
    ]
    ordered = sim["items"]
    patient = (ordered["kind"] == 0).to_numpy()
    treated_cum = sim["treated_cum"]
    n_weeks = treated_cum.shape[1]
    q = ordered["q"].to_numpy(dtype=np.int64)[patient]
    target = sim["position"][patient] - POSITION_EPS
    if len(q) == 0 or n_weeks == 0:
        return pd.DataFrame(columns=columns)
    week_index = (treated_cum[q] < target[:, None]).sum(axis=1)  # 0-based week of first coverage
    done = week_index < n_weeks
    chosen = ordered[patient][done].reset_index(drop=True)
    chosen["t"] = week_index[done] + 1
    chosen["target"] = target[done]
    chosen["group"] = chosen["q"].to_numpy(dtype=np.int64) * n_weeks + week_index[done]

    segments = flows.assign(
        home_first=flows["out_of_region"].astype(int),
        order_km=np.where(flows["out_of_region"], flows["distance_km"].fillna(np.inf), 0.0),
    )
    segments = segments.sort_values(["q", "t", "home_first", "order_km", "hospital_id"], ignore_index=True)
    segments["group"] = segments["q"].to_numpy(dtype=np.int64) * n_weeks + segments["t"].to_numpy() - 1
    before_week = np.concatenate([np.zeros((treated_cum.shape[0], 1)), treated_cum[:, :-1]], axis=1)
    within = segments.groupby("group")["patients"].cumsum() - segments["patients"]
    segment_q = segments["q"].to_numpy(dtype=np.int64)
    segment_t = segments["t"].to_numpy(dtype=np.int64)
    segments["segment_start"] = before_week[segment_q, segment_t - 1] + within.to_numpy()
    matched = pd.merge_asof(
        chosen.sort_values("target"),
        segments[["group", "segment_start", "hospital_id"]].sort_values("segment_start"),
        left_on="target",
        right_on="segment_start",
        by="group",
        direction="backward",
        allow_exact_matches=False,
    )
    matched = matched.sort_values(["q", "target"], ignore_index=True)
    t = matched["t"].to_numpy(dtype=np.int64)
    decision_day = (pd.to_datetime(matched["decision_date"]) - pd.Timestamp(d0)).dt.days.to_numpy(dtype=np.int64)
    matched["week"] = np.array(labels, dtype=object)[t - 1]
    matched["days_waited_at_week_end"] = 7 * t - decision_day  # E_t − decision date
    return matched[columns].reset_index(drop=True)


# --- capacity, agreements and budgets -------------------------------------------------------------
