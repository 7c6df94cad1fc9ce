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
from models.rules import FORECAST_DAY_OFFSET, THRESHOLDS, main_hospitals, road_km
from models.scenario import ExtraCapacity, Scenario
from models.weeks import parse_iso_week, week_labels

log = logging.getLogger(__name__)

#: Slack below a patient's FIFO position within which the cumulative flow counts as covering them.
POSITION_EPS = 1e-6
QUEUE_KEYS = ["region_id", "procedure_id", "class"]
FLOW_COLUMNS = ["region_id", "procedure_id", "class", "hospital_id", "week", "patients"]
VIOLATION_COLUMNS = ["family", "key", "amount", "message"]


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

    flows = _checked_flows(dataset, allocations, labels, tolerance, violations)
    flows = _with_arcs(dataset, scenario, flows)
    _eligibility_violations(flows, violations)

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

    theatre = _theatre(dataset, scenario, flows, labels, tolerance, violations)
    beds = _beds(dataset, flows, labels, tolerance, violations)
    flows["cost_sek"] = np.where(flows["charged"], flows["price_sek"].fillna(0.0), 0.0) * flows["patients"]
    flows["km"] = np.where(flows["out_of_region"], flows["distance_km"].fillna(0.0), 0.0) * flows["patients"]
    payments = (
        flows[flows["charged"]]
        .groupby(["region_id", "hospital_region"], as_index=False)["cost_sek"]
        .sum()
        .rename(columns={"region_id": "payer_region", "hospital_region": "provider_region", "cost_sek": "sek"})
    )
    _agreement_violations(scenario, flows, tolerance, violations)
    _budget_violations(scenario, payments, tolerance, violations)
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
        else _violation_frame("", pd.Series([], dtype=object), pd.Series([], dtype=float), pd.Series([], dtype=object))
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


def _violation_frame(family: str, keys: pd.Series, amounts: pd.Series, messages: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family": family,
            "key": keys.to_numpy(dtype=object),
            "amount": amounts.to_numpy(dtype=float),
            "message": messages.to_numpy(dtype=object),
        }
    )


def _arc_key(frame: pd.DataFrame) -> pd.Series:
    return frame["region_id"] + "/" + frame["procedure_id"] + "/" + frame["class"] + "->" + frame["hospital_id"]


def _checked_flows(
    dataset: Dataset, allocations: pd.DataFrame, labels: list[str], tolerance: float, out: list[pd.DataFrame]
) -> pd.DataFrame:
    """Typed, checked flow rows with week index `t`; rows that cannot be placed are reported and dropped."""
    flows = allocations[FLOW_COLUMNS].reset_index(drop=True)
    flows = flows.assign(
        **{
            column: flows[column].astype(object).where(flows[column].notna(), "").astype(str)
            for column in FLOW_COLUMNS[:-1]
        }
    )
    flows["patients"] = pd.to_numeric(flows["patients"], errors="coerce").astype(float)

    def row_key(rows: pd.DataFrame) -> pd.Series:
        return _arc_key(rows) + "/" + rows["week"]

    patients = flows["patients"].to_numpy()
    bad_number = ~np.isfinite(patients)
    negative = ~bad_number & (patients < -tolerance)
    if bad_number.any():
        rows = flows[bad_number]
        out.append(
            _violation_frame(
                "negative_flow",
                row_key(rows),
                pd.Series(0.0, index=rows.index),
                pd.Series("patients is not a finite number", index=rows.index),
            )
        )
    if negative.any():
        rows = flows[negative]
        out.append(
            _violation_frame(
                "negative_flow",
                row_key(rows),
                -rows["patients"],
                rows["patients"].map(lambda v: f"negative flow of {v:g} patients (counted as 0)"),
            )
        )
    flows = flows[~bad_number & (patients > 0)]

    unknown = np.zeros(len(flows), dtype=bool)
    unknown_columns = []
    for column, known in (
        ("region_id", dataset.regions["region_id"]),
        ("procedure_id", dataset.procedures["procedure_id"]),
        ("hospital_id", dataset.hospitals["hospital_id"]),
        ("class", pd.Series(["local", "mobile"])),
    ):
        bad = ~flows[column].isin(set(known)).to_numpy()
        unknown_columns.append((column, bad))
        unknown |= bad
    if unknown.any():
        rows = flows[unknown]
        messages = [
            "; ".join(f"unknown {column}" for column, bad in unknown_columns if bad[i]) + " (flow ignored)"
            for i in np.flatnonzero(unknown)
        ]
        out.append(_violation_frame("eligibility", row_key(rows), rows["patients"], pd.Series(messages)))
    week_of = {label: t for t, label in enumerate(labels, start=1)}
    t = flows["week"].map(week_of).to_numpy(dtype=float)
    outside = ~unknown & np.isnan(t)
    if outside.any():
        rows = flows[outside]
        out.append(
            _violation_frame(
                "week",
                row_key(rows),
                rows["patients"],
                rows["week"].map(lambda w: f"week {w!r} is not in the plan {labels[0]}..{labels[-1]} (flow ignored)"),
            )
        )
    keep = ~unknown & ~outside
    flows = flows[keep].assign(t=t[keep].astype(np.int64))
    return flows.groupby(FLOW_COLUMNS[:-1] + ["t"], as_index=False, sort=False)["patients"].sum()


def _main_hospitals(dataset: Dataset) -> pd.DataFrame:
    """region_id → main hospital's lat/lon (`models.rules.main_hospitals`)."""
    mains = main_hospitals(dataset.hospitals)
    return mains[["region_id", "lat", "lon"]].rename(columns={"lat": "main_lat", "lon": "main_lon"})


def _with_arcs(dataset: Dataset, scenario: Scenario, flows: pd.DataFrame) -> pd.DataFrame:
    """Add to each flow its arc's facts: rate, beds per case, specialty, distance, charge, price, eligibility."""
    hospitals = dataset.hospitals[["hospital_id", "region_id", "level", "lat", "lon"]].rename(
        columns={"region_id": "hospital_region"}
    )
    procedures = dataset.procedures[["procedure_id", "specialty", "cases_per_theatre_day", "bed_days_per_case"]]
    caps = dataset.capabilities.rename(columns={"cases_per_theatre_day": "capability_rate"}).assign(capable=True)
    flows = (
        flows.merge(hospitals, on="hospital_id", how="left")
        .merge(procedures, on="procedure_id", how="left")
        .merge(caps, on=["hospital_id", "procedure_id"], how="left")
        .merge(_main_hospitals(dataset), on="region_id", how="left")
        .merge(dataset.prices, on=["procedure_id", "hospital_id"], how="left")
    )
    flows["capable"] = flows["capable"].eq(True)
    flows["rate"] = flows["capability_rate"].fillna(flows["cases_per_theatre_day"])
    flows["out_of_region"] = flows["hospital_region"] != flows["region_id"]
    flows["distance_km"] = road_km(flows["main_lat"], flows["main_lon"], flows["lat"], flows["lon"])
    flows["charged"] = flows["out_of_region"] | (flows["level"] == "private")
    limit = scenario.policy.max_travel_km
    local = (flows["class"] == "local").to_numpy()
    away = flows["out_of_region"].to_numpy()
    distance = flows["distance_km"].to_numpy()
    checks = [
        (~flows["capable"].to_numpy(), "hospital has no capability for the procedure"),
        (away & local, "local patients are treated in their home region only"),
        (away & ~local & np.isnan(distance), "no distance: home region has no hospital"),
        ((flows["charged"] & flows["price_sek"].isna()).to_numpy(), "charged arc without a price-list row"),
    ]
    if limit is not None:
        checks.insert(3, (away & ~local & (distance > limit * (1 + 1e-12)), f"beyond max_travel_km {limit:g}"))
    failed = np.logical_or.reduce([mask for mask, _ in checks])
    reasons = np.full(len(flows), "", dtype=object)
    reasons[failed] = ["; ".join(text for mask, text in checks if mask[i]) for i in np.flatnonzero(failed)]
    flows["ineligible"] = reasons
    return flows.drop(columns=["capability_rate", "cases_per_theatre_day", "main_lat", "main_lon", "lat", "lon"])


def _eligibility_violations(flows: pd.DataFrame, out: list[pd.DataFrame]) -> None:
    bad = flows[flows["ineligible"] != ""]
    if bad.empty:
        return
    arcs = bad.groupby(["region_id", "procedure_id", "class", "hospital_id", "ineligible"], as_index=False).agg(
        patients=("patients", "sum"), weeks=("t", "size")
    )
    messages = arcs["ineligible"] + " (" + arcs["weeks"].astype(str) + " week(s))"
    out.append(_violation_frame("eligibility", _arc_key(arcs), arcs["patients"], messages))


# --- patients, queues and the FIFO simulation ------------------------------------------------------


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
    out.append(_violation_frame("queue", pd.Series(keys), pd.Series(excess[qi, ti]), pd.Series(messages)))


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


def _extra_offers(scenario: Scenario, labels: list[str]) -> pd.DataFrame:
    """The scenario's `extra_capacity` offers, one row per hospital × specialty × plan week."""
    rows = [
        (change.hospital_id, change.specialty, week, change.theatre_days_per_week, change.cost_per_day_sek)
        for change in scenario.changes
        if isinstance(change, ExtraCapacity)
        for week in labels
        if change.weeks is None or change.weeks.contains(week)
    ]
    offers = pd.DataFrame(rows, columns=["hospital_id", "specialty", "week", "days", "cost_per_day_sek"])
    return offers.astype({"days": float, "cost_per_day_sek": float})


def _theatre(
    dataset: Dataset,
    scenario: Scenario,
    flows: pd.DataFrame,
    labels: list[str],
    tolerance: float,
    out: list[pd.DataFrame],
) -> pd.DataFrame:
    """Theatre days per hospital × specialty × week: need = Σ patients / rate vs capacity + extra offered.

    Extra days are bought only beyond base capacity, cheapest offer first, up to what is offered.
    """
    keys = ["hospital_id", "specialty", "week"]
    need = flows.assign(need=flows["patients"] / flows["rate"]).groupby(keys, as_index=False)["need"].sum()
    capacity = dataset.capacity[dataset.capacity["week"].isin(set(labels))]
    capacity = capacity.groupby(keys, as_index=False)["theatre_days"].sum().rename(columns={"theatre_days": "capacity"})
    table = need.merge(capacity, on=keys, how="outer").fillna({"need": 0.0, "capacity": 0.0})
    offers = _extra_offers(scenario, labels).merge(table, on=keys, how="inner")
    offers = offers.sort_values(keys + ["cost_per_day_sek"], ignore_index=True)
    offered_before = offers.groupby(keys)["days"].cumsum() - offers["days"]
    offers["used"] = np.clip(offers["need"] - offers["capacity"] - offered_before, 0.0, offers["days"])
    offers["cost"] = offers["used"] * offers["cost_per_day_sek"]
    extra = offers.groupby(keys, as_index=False).agg(
        extra_offered=("days", "sum"), extra_used=("used", "sum"), extra_cost_sek=("cost", "sum")
    )
    table = table.merge(extra, on=keys, how="left").fillna(
        {"extra_offered": 0.0, "extra_used": 0.0, "extra_cost_sek": 0.0}
    )
    table = table.sort_values(keys, ignore_index=True)
    bound = table["capacity"] + table["extra_offered"]
    over = table["need"] - bound
    bad = over > tolerance * np.maximum(1.0, bound)
    if bad.any():
        rows = table[bad]
        messages = [
            f"needs {n:.6g} theatre days, {c:.6g} available + {x:.6g} extra offered"
            for n, c, x in zip(rows["need"], rows["capacity"], rows["extra_offered"], strict=True)
        ]
        out.append(
            _violation_frame(
                "theatre_days",
                rows["hospital_id"] + "/" + rows["specialty"] + "/" + rows["week"],
                over[bad],
                pd.Series(messages),
            )
        )
    return table[keys + ["need", "capacity", "extra_offered", "extra_used", "extra_cost_sek"]]


def _beds(
    dataset: Dataset, flows: pd.DataFrame, labels: list[str], tolerance: float, out: list[pd.DataFrame]
) -> pd.DataFrame:
    """Bed-days per hospital × week: Σ patients · bed_days_per_case vs beds.csv (missing = 0)."""
    keys = ["hospital_id", "week"]
    need = flows.assign(need=flows["patients"] * flows["bed_days_per_case"]).groupby(keys, as_index=False)["need"].sum()
    beds = dataset.beds[dataset.beds["week"].isin(set(labels))]
    beds = beds.groupby(keys, as_index=False)["bed_days"].sum().rename(columns={"bed_days": "capacity"})
    table = need.merge(beds, on=keys, how="outer").fillna({"need": 0.0, "capacity": 0.0})
    table = table.sort_values(keys, ignore_index=True)
    over = table["need"] - table["capacity"]
    bad = over > tolerance * np.maximum(1.0, table["capacity"])
    if bad.any():
        rows = table[bad]
        messages = [
            f"needs {n:.6g} bed-days, {c:.6g} available" for n, c in zip(rows["need"], rows["capacity"], strict=True)
        ]
        out.append(
            _violation_frame("bed_days", rows["hospital_id"] + "/" + rows["week"], over[bad], pd.Series(messages))
        )
    return table


def _agreement_violations(scenario: Scenario, flows: pd.DataFrame, tolerance: float, out: list[pd.DataFrame]) -> None:
    """Cases payer region → provider hospital/region (optionally one procedure) within [min, max]."""
    rows = []
    for agreement in scenario.policy.agreements:
        mask = flows["region_id"] == agreement.payer_region
        if agreement.provider_hospital is not None:
            mask &= flows["hospital_id"] == agreement.provider_hospital
        else:
            mask &= flows["hospital_region"] == agreement.provider_region
        if agreement.procedure_id is not None:
            mask &= flows["procedure_id"] == agreement.procedure_id
        cases = float(flows.loc[mask, "patients"].sum())
        key = f"{agreement.payer_region}->{agreement.provider_hospital or agreement.provider_region}"
        key += f"/{agreement.procedure_id}" if agreement.procedure_id else ""
        if agreement.min_cases - cases > tolerance * max(1.0, agreement.min_cases):
            rows.append(
                (
                    "agreements",
                    key,
                    agreement.min_cases - cases,
                    f"{cases:.6g} cases, below the agreed minimum {agreement.min_cases:g}",
                )
            )
        if agreement.max_cases is not None and cases - agreement.max_cases > tolerance * max(1.0, agreement.max_cases):
            rows.append(
                (
                    "agreements",
                    key,
                    cases - agreement.max_cases,
                    f"{cases:.6g} cases, above the agreed maximum {agreement.max_cases:g}",
                )
            )
    if rows:
        out.append(pd.DataFrame(rows, columns=VIOLATION_COLUMNS))


def _budget_violations(scenario: Scenario, payments: pd.DataFrame, tolerance: float, out: list[pd.DataFrame]) -> None:
    """SEK a payer region pays on charged arcs over the horizon ≤ its budget."""
    paid = payments.groupby("payer_region")["sek"].sum()
    rows = []
    for region, budget in scenario.policy.budgets_sek.items():
        spent = float(paid.get(region, 0.0))
        if spent - budget > tolerance * max(1.0, budget):
            rows.append(("budgets", region, spent - budget, f"pays {spent:,.0f} SEK, budget {budget:,.0f} SEK"))
    if rows:
        out.append(pd.DataFrame(rows, columns=VIOLATION_COLUMNS))
