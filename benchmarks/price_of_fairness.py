"""The price of fairness on the default scenario: `python -m benchmarks.price_of_fairness [ENTRIES...]`.

An entry is `WEIGHT` (fairness `by: procedure`, share 1; `0` = no fairness), `BY:WEIGHT[:SHARE]`
(`region:100`, `procedure:300:0.5`) or `cap:RATIO` (no fairness rule, every procedure's ratio capped
directly: `ratio_cap`); the default scenario's other policies are kept. For each entry it
plans the default scenario and reports, from the **whole-patient plan** (the tables shown to people,
`PlanResult.integer`; the LP's total is kept beside it): total weighted breach-days (the scenario's
tier weights), and per procedure its weighted breach-days per patient against its specialty's average
(the worst ratio is the headline), the median wait at treatment, the share of the horizon's new
decisions treated within it, and the ratio's floor (`breach_floor`). Writes
benchmarks/results/price_of_fairness.csv (one row per entry and procedure) after every entry, replacing
rows of the same entries from an earlier run, the floors to price_of_fairness_floor.csv (`--reuse-floor`
reads them instead of solving them again) and the targets against capacity per specialty to
price_of_fairness_specialties.csv (`specialty_targets`).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.scenario import DEFAULT_SCENARIO, Scenario, load_scenario
from optimizer import cumulative_treated, dataset_for, plan, prepare

RESULTS = Path(__file__).parent / "results" / "price_of_fairness.csv"
FLOOR = RESULTS.with_name("price_of_fairness_floor.csv")
SPECIALTIES = RESULTS.with_name("price_of_fairness_specialties.csv")
#: Weights of the floor's plans: only breach-days count (waiting, money, km and changes are free).
BREACH_ONLY = {"waiting": 0.0, "cost_per_ksek": 0.0, "travel_per_km": 0.0, "change": 0.0}


def parse_entry(text: str) -> dict | None:
    """`"20"` → by procedure, weight 20; `"region:100"`, `"procedure:300:0.5"`; `"0"` → None (no fairness);
    `"cap:4.3"` → every procedure's ratio capped at 4.3 (`ratio_cap`), no fairness rule."""
    parts = text.split(":")
    if parts[0] == "cap" and len(parts) == 2:
        return {"by": "cap", "cap": float(parts[1]), "weight": 0.0, "share": 0.0}
    if len(parts) == 1:
        parts = ["procedure", parts[0]]
    if parts[0] not in ("procedure", "region") or len(parts) > 3:
        raise ValueError(f"fairness entry {text!r}: expected WEIGHT or BY:WEIGHT[:SHARE], BY procedure or region")
    entry = {"by": parts[0], "weight": float(parts[1]), "share": float(parts[2]) if len(parts) == 3 else 1.0}
    return entry if entry["weight"] > 0 else None


def new_decisions_treated(result, y: np.ndarray) -> pd.Series:
    """Per procedure: the share of the horizon's new decisions that flows `y` treat within it.

    Within a queue the backlog is treated first (oldest first), so a queue's new decisions treated
    are its treated patients beyond its backlog.
    """
    inst = result.instance
    cohorts = inst.cohorts
    backlog = np.bincount(
        cohorts["queue"],
        weights=np.where(cohorts["offset_days"] < 0, cohorts["count"], 0.0),
        minlength=len(inst.queues),
    )
    new = inst.arrived[:, -1] - backlog
    treated = cumulative_treated(inst, y)[:, -1]
    new_treated = np.clip(treated - backlog, 0.0, new)
    frame = pd.DataFrame({"procedure_id": inst.queues["procedure_id"], "new": new, "new_treated": new_treated})
    sums = frame.groupby("procedure_id")[["new", "new_treated"]].sum()
    return (sums["new_treated"] / sums["new"].where(sums["new"] > 0)).fillna(0.0)


def ratio_to_specialty(totals: pd.DataFrame) -> pd.Series:
    """Each procedure's weighted breach-days per patient / its specialty's (breach-days / patients)."""
    specialty = totals.groupby("specialty")[["weighted_breach_days", "patients"]].transform("sum")
    average = specialty["weighted_breach_days"] / specialty["patients"]
    return totals["breach_days_per_patient"] / average.where(average > 0)


def only_procedure(dataset: Dataset, procedure_id: str) -> Dataset:
    """The dataset in which only `procedure_id` can be treated anywhere (every other procedure loses
    its capabilities rows: its patients stay on the list and wait, using no theatre day or bed-day)."""
    capabilities = dataset.capabilities[dataset.capabilities["procedure_id"] == procedure_id]
    return dataclasses.replace(dataset, capabilities=capabilities.reset_index(drop=True))


def breach_floor(base: Scenario, dataset: Dataset) -> pd.Series:
    """Per procedure: the fewest weighted breach-days per patient any plan of `base` can give it.

    A lower bound, from a relaxation: the LP with only breach-days in its objective (`BREACH_ONLY`),
    no fairness, and every theatre day and bed-day of the procedure's hospitals for that procedure
    alone (`only_procedure`), under the scenario's lead time, utilisation and travel radius. Its
    patients and queues are those of `base` (the other procedures' lists are kept, so the split of
    new decisions is the same).
    """
    scenario = base.updated(name="breach-floor", weights=BREACH_ONLY, policy={"fairness": []})
    floor = {}
    for procedure_id in dataset.procedures["procedure_id"]:
        result = plan(scenario, dataset=only_procedure(dataset, procedure_id))
        row = result.lp.procedure_totals.set_index("procedure_id").loc[procedure_id]
        floor[procedure_id] = row["breach_days_per_patient"]
    return pd.Series(floor, name="floor_breach_days_per_patient")


def ratio_cap(cap: float) -> Callable[[Any], None]:
    """A hook (`plan(..., extra_functionality=...)`) that caps every procedure's ratio at `cap`.

    Not a rule of DESIGN.md v2: it measures what the target costs when asked for directly. With
    W_p = weighted breach-days of procedure p and N_p its patients (constants), W_p / N_p ≤ cap · W_s / N_s
    is linear: N_s · W_p − cap · N_p · W_s ≤ 0, where W_p is its queues' breach constant (nobody
    treated) plus each breach segment's slope times its patients (`optimizer.model.formulation`).
    """
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    from optimizer.model.formulation import breach_constant, segment_breach_slopes

    def add_ratio_cap(built: Any) -> None:  # optimizer.solvers.pyomo_adapter.BuiltModel
        inst, f = built.instance, built.formulation
        procedure = inst.queues["procedure_id"].to_numpy()
        specialty = inst.queues["specialty"].to_numpy()
        patients = pd.Series(inst.arrived[:, -1]).groupby(procedure).sum()
        slopes = segment_breach_slopes(inst)
        blocks = [b for b in f.segment_index if slopes[b] != 0.0]  # Srest costs no breach-day
        queue = np.concatenate([f.segment_index[b] // inst.horizon for b in blocks])
        slope = np.concatenate([np.full(len(f.segment_index[b]), slopes[b]) for b in blocks])
        variables = [v for b in blocks for v in built.variables[b]]
        built.model.procedure_ratio_cap = pyo.ConstraintList()
        for p in np.unique(procedure):
            in_s = specialty == specialty[procedure == p][0]
            n_p, n_s = patients[p], patients[np.unique(procedure[in_s])].sum()
            constant = n_s * breach_constant(inst, np.nonzero(procedure == p)[0])
            constant -= cap * n_p * breach_constant(inst, np.nonzero(in_s)[0])
            cols = np.nonzero(in_s[queue])[0]
            coefs = slope[cols] * (n_s * (procedure[queue[cols]] == p) - cap * n_p)
            expr = LinearExpression(
                constant=float(constant), linear_coefs=coefs.tolist(), linear_vars=[variables[c] for c in cols]
            )
            built.model.procedure_ratio_cap.add(expr <= 0)

    return add_ratio_cap


def specialty_targets(base: Scenario, dataset: Dataset) -> pd.DataFrame:
    """Per specialty: the `by: procedure` targets (share 1) in theatre days against the days a plan has.

    Targets are set on the dataset's theatre days before utilisation (DESIGN.md), so where a
    specialty's need exceeds them (ρ_s < 1) its targets fill exactly those days, while the plan may use
    only `planned_utilisation` of them: at least `target_theatre_days − planned_theatre_days` of target
    cannot be met by any plan, and the LP leaves it where a day short costs least, weight × rate per
    day, i.e. on its slowest procedure. Columns: specialty, theatre_days (dataset, horizon),
    planned_theatre_days (the LP's, after utilisation and bookings), target_theatre_days, unreachable_days.
    """
    scenario = base.updated(name="fairness-targets", policy={"fairness": [{"by": "procedure"}]})
    inst = prepare(scenario, dataset)
    rate = dataset.procedures.set_index("procedure_id")["cases_per_theatre_day"]
    specialty_of = dataset.procedures.set_index("procedure_id")["specialty"]
    targets = inst.fairness.assign(specialty=inst.fairness["member"].map(specialty_of))
    targets["days"] = targets["target"] / targets["member"].map(rate)
    capacity = dataset.capacity[dataset.capacity["week"].isin(inst.weeks)]
    table = pd.DataFrame(
        {
            "theatre_days": capacity.groupby("specialty")["theatre_days"].sum(),
            "planned_theatre_days": inst.theatre.groupby("specialty")["theatre_days"].sum(),
            "target_theatre_days": targets.groupby("specialty")["days"].sum(),
        }
    ).fillna(0.0)
    table["unreachable_days"] = (table["target_theatre_days"] - table["planned_theatre_days"]).clip(lower=0.0)
    return table.rename_axis("specialty").reset_index()


def measure(label: str, entry: dict | None, base: Scenario, dataset: Dataset, floor: pd.Series) -> pd.DataFrame:
    """One plan with fairness `entry`: the whole-patient plan's per-procedure table and the totals."""
    capped = entry is not None and entry["by"] == "cap"
    rules = [entry] if entry and not capped else []
    scenario = base.updated(name=f"fairness-{label.replace(':', '-')}", policy={"fairness": rules})
    started = time.perf_counter()
    result = plan(scenario, dataset=dataset, extra_functionality=ratio_cap(entry["cap"]) if capped else None)
    seconds = time.perf_counter() - started
    totals = result.integer.procedure_totals.copy()
    totals["ratio_to_specialty"] = ratio_to_specialty(totals)
    # the floor against this plan's specialty average: no plan with that average can go below it
    totals["floor_breach_days_per_patient"] = totals["procedure_id"].map(floor)
    totals["floor_ratio"] = totals["floor_breach_days_per_patient"] / (
        totals["breach_days_per_patient"] / totals["ratio_to_specialty"]
    )
    totals["new_decisions_treated_share"] = totals["procedure_id"].map(new_decisions_treated(result, result.integer_y))
    lp = result.lp.procedure_totals
    totals["lp_ratio_to_specialty"] = totals["procedure_id"].map(ratio_to_specialty(lp).set_axis(lp["procedure_id"]))
    # the rule's own measure: patients treated against its target (by: procedure entries only)
    rule = result.integer.fairness
    rule = rule[rule["by"] == "procedure"].set_index("member")
    totals["fairness_target"] = totals["procedure_id"].map(rule["target"]).astype(float)
    totals["fairness_shortfall"] = totals["procedure_id"].map(rule["shortfall"]).astype(float)
    w = result.scenario.weights
    tier_weights = {90: w.over_90, 180: w.over_180, 365: w.over_365}

    def weighted(terms: dict) -> float:
        return sum(weight * terms[f"breach_days_{theta}"] for theta, weight in tier_weights.items())

    rounds = result.column_generation.get("rounds", []) if result.column_generation else []
    every = result.integer.fairness  # every member of the rule (procedures or regions)
    return totals.assign(
        entry=label,
        by=entry["by"] if entry else "",
        cap=entry.get("cap", np.nan) if entry else np.nan,
        share=entry["share"] if entry else 0.0,
        weight=entry["weight"] if entry else 0.0,
        rule_target=float(every["target"].sum()),
        rule_shortfall=float(every["shortfall"].sum()),
        rule_members_short=int((every["shortfall"] > 0.5).sum()),
        total_weighted_breach_days=weighted(result.integer.terms),
        lp_total_weighted_breach_days=weighted(result.lp.terms),
        seconds=seconds,
        solve_seconds=result.seconds.get("solve", float("nan")),
        rounds=len(rounds),
    )


def write_results(rows: list[pd.DataFrame]) -> None:
    """Write RESULTS: these rows, and an earlier run's rows of other entries."""
    new = pd.concat(rows, ignore_index=True)
    if RESULTS.exists():
        old = pd.read_csv(RESULTS, dtype={"entry": str})
        new = pd.concat([old[~old["entry"].isin(new["entry"])], new], ignore_index=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    new.to_csv(RESULTS, index=False, float_format="%.6g")


def main(argv: list[str]) -> int:
    reuse_floor = "--reuse-floor" in argv
    labels = [a for a in argv if a != "--reuse-floor"] or ["0", "20", "100", "300", "1000"]
    entries = [(label, parse_entry(label)) for label in labels]
    base, base_dir = load_scenario(DEFAULT_SCENARIO)
    base = base.updated(dataset=str(base.dataset_path(base_dir)))
    dataset = dataset_for(base)
    started = time.perf_counter()
    if reuse_floor:
        floor = pd.read_csv(FLOOR, index_col="procedure_id")["floor_breach_days_per_patient"]
    else:
        floor = breach_floor(base, dataset)
        floor.rename_axis("procedure_id").to_csv(FLOOR, float_format="%.6g")
    print(f"floors of {len(floor)} procedures in {time.perf_counter() - started:.0f} s", flush=True)
    specialty_targets(base, dataset).to_csv(SPECIALTIES, index=False, float_format="%.6g")
    rows = []
    for label, entry in entries:
        table = measure(label, entry, base, dataset, floor)
        rows.append(table)
        worst = table.loc[table["ratio_to_specialty"].idxmax()]
        first = table.iloc[0]
        print(
            f"{label:>16}: total weighted breach-days {first['total_weighted_breach_days']:,.0f} "
            f"(LP {first['lp_total_weighted_breach_days']:,.0f}); worst procedure {worst['procedure_id']} at "
            f"{worst['ratio_to_specialty']:.2f}× its specialty's average (floor {worst['floor_ratio']:.2f}); "
            f"{first['seconds']:.0f} s end to end, {first['solve_seconds']:.0f} s solving, {first['rounds']} rounds",
            flush=True,
        )
        write_results(rows)
    print(f"written {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
