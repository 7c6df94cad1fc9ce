"""The price of fairness on the default scenario: `python -m benchmarks.price_of_fairness [WEIGHTS...]`.

For each fairness weight (policy.fairness: by procedure), plans the default scenario and prints:
total weighted breach-days (the tier weights of the scenario), and per procedure its weighted
breach-days per patient against its specialty's average (the worst ratio is the headline), the
median wait at treatment, and the share of the horizon's new decisions treated within it. Writes
benchmarks/results/price_of_fairness.csv (one row per weight and procedure).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models.scenario import DEFAULT_SCENARIO, load_scenario
from optimizer import cumulative_treated, dataset_for, plan

RESULTS = Path(__file__).parent / "results" / "price_of_fairness.csv"


def new_decisions_treated(result) -> pd.Series:
    """Per procedure: the share of the horizon's new decisions treated within it (oldest first in a queue)."""
    inst = result.instance
    cohorts = inst.cohorts
    backlog = np.bincount(
        cohorts["queue"],
        weights=np.where(cohorts["offset_days"] < 0, cohorts["count"], 0.0),
        minlength=len(inst.queues),
    )
    new = inst.arrived[:, -1] - backlog
    treated = cumulative_treated(inst, result.y)[:, -1]
    new_treated = np.clip(treated - backlog, 0.0, new)
    frame = pd.DataFrame({"procedure_id": inst.queues["procedure_id"], "new": new, "new_treated": new_treated})
    sums = frame.groupby("procedure_id")[["new", "new_treated"]].sum()
    return (sums["new_treated"] / sums["new"].where(sums["new"] > 0)).fillna(0.0)


def measure(weight: float, base, dataset) -> pd.DataFrame:
    fairness = [{"by": "procedure", "weight": weight}] if weight > 0 else []
    scenario = base.updated(name=f"fairness-{weight:g}", policy={"fairness": fairness})
    started = time.perf_counter()
    result = plan(scenario, dataset=dataset)
    seconds = time.perf_counter() - started
    totals = result.lp.procedure_totals.copy()
    specialty = totals.groupby("specialty")[["weighted_breach_days", "patients"]].transform("sum")
    average = specialty["weighted_breach_days"] / specialty["patients"]
    totals["ratio_to_specialty"] = totals["breach_days_per_patient"] / average.where(average > 0)
    totals["new_decisions_treated_share"] = totals["procedure_id"].map(new_decisions_treated(result))
    w = result.scenario.weights
    terms = result.lp.terms
    total = (
        w.over_90 * terms["breach_days_90"]
        + w.over_180 * terms["breach_days_180"]
        + w.over_365 * terms["breach_days_365"]
    )
    return totals.assign(weight=weight, total_weighted_breach_days=total, seconds=seconds)


def main(argv: list[str]) -> int:
    weights = [float(a) for a in argv] or [0.0, 1.0, 5.0, 20.0, 100.0]
    base, base_dir = load_scenario(DEFAULT_SCENARIO)
    base = base.updated(dataset=str(base.dataset_path(base_dir)))
    dataset = dataset_for(base)
    rows = []
    for weight in weights:
        table = measure(weight, base, dataset)
        rows.append(table)
        worst = table.loc[table["ratio_to_specialty"].idxmax()]
        print(
            f"weight {weight:>6g}: total weighted breach-days {table['total_weighted_breach_days'].iloc[0]:,.0f}; "
            f"worst procedure {worst['procedure_id']} at {worst['ratio_to_specialty']:.2f}× its specialty's average; "
            f"median wait at treatment (median of procedures) "
            f"{table['median_wait_at_treatment_days'].median():.0f} d; "
            f"({table['seconds'].iloc[0]:.0f} s)",
            flush=True,
        )
    out = pd.concat(rows, ignore_index=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(RESULTS, index=False, float_format="%.6g")
    print(f"written {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
