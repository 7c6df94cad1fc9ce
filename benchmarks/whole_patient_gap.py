"""How far the whole-patient plan is from the LP bound, and from the best whole-patient plan.

    python -m benchmarks.whole_patient_gap [--seeds 20] [--search-seconds 10] [--default]

Per instance (random 12-week datasets of `tests/factory.py`, 4 regions; and with `--default` the
default scenario) it prints and writes to `results/whole_patient_gap.csv`:
- `lp`: the LP optimum, a lower bound on every plan;
- `rounding`: the rounding and fill of `optimizer.results.whole_patient` alone (steps 1–5);
- `exchange`: the rounding, then the exchange within theatre cells (step 6, switched on here:
  `solve.whole_patient_exchange: true`), the search off;
- `search`: the exchange's plan, then HiGHS's search over the LP's arcs for at most
  `--search-seconds`, with the search's own bound;
- `best_whole`: HiGHS's MIP over *every* flow column, started from capplan's plan: the best
  whole-patient plan there is, proven to `best_gap` (HiGHS's relative MIP gap), and `best_bound`, its
  bound on every whole-patient plan (random datasets; the default scenario with
  `--default-exact-seconds`, where it stops at the time limit and its bound is what it proves).
The gaps are relative to the LP bound; `rounding_vs_best` and `search_vs_best` relative to the best
whole-patient plan. Where `best_whole` is far above `lp`, no whole-patient plan can come near the
LP bound: half patients made the LP look better than any plan that can be handed out.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer import plan, resolve_scenario
from optimizer.model.formulation import formulate
from optimizer.results.tables import plan_objective
from optimizer.results.whole_patient import integer_flows
from optimizer.solvers.whole_patient_search import search_whole_patient_plan

OUT = Path("results") / "whole_patient_gap.csv"


def _with_search(scenario, seconds: float):
    """`scenario` (a Scenario or a YAML path) with the exchange on and the whole-patient search limited
    to `seconds` (0: off)."""
    scenario, _path = resolve_scenario(scenario)
    update = {"whole_patient_search_seconds": seconds, "whole_patient_exchange": True}
    solve = scenario.solve.model_copy(update=update)
    return scenario.model_copy(update={"solve": solve})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.whole_patient_gap", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="random 12-week datasets (seeds 0..N-1)")
    parser.add_argument("--search-seconds", type=float, default=10.0, help="capplan's search time limit")
    parser.add_argument("--exact-seconds", type=float, default=60.0, help="time limit of the MIP over every flow")
    parser.add_argument("--default", action="store_true", help="also the default scenario")
    parser.add_argument(
        "--default-exact-seconds",
        type=float,
        default=0.0,
        help="time limit of the MIP over every flow on the default scenario (0: not run; its bound needs ~25 min)",
    )
    args = parser.parse_args(argv)

    from tests.factory import random_dataset, scenario  # the benchmark runs from the repository root

    rows = []
    cases = [
        (f"random-{seed}", scenario(12), random_dataset(seed, n_regions=4, weeks=12)) for seed in range(args.seeds)
    ]
    if args.default:
        cases.append(("default", "scenarios/default.yaml", None))
    for name, scen, dataset in cases:
        began = time.perf_counter()
        rounded = plan(_with_search(scen, 0.0), dataset=dataset)
        searched = plan(_with_search(scen, args.search_seconds), dataset=dataset)
        before_exchange = integer_flows(rounded.instance, rounded.y, exchange=False)
        _terms, rounding = plan_objective(rounded.instance, before_exchange)
        row = {"instance": name, "lp": rounded.objective, "rounding": rounding}
        row |= {"exchange": rounded.integer.objective, "exchanges": rounded.whole_patient.get("exchanges")}
        row["treated_lp"], row["treated_whole"] = rounded.lp.terms["treated"], rounded.integer.terms["treated"]
        row |= {"search": searched.integer.objective, "method": searched.whole_patient["method"]}
        row |= {"search_bound": searched.whole_patient.get("whole_patient_bound")}
        row["search_seconds"] = searched.whole_patient.get("search_seconds")
        exact_seconds = args.exact_seconds if dataset is not None else args.default_exact_seconds
        if exact_seconds > 0:
            best = search_whole_patient_plan(
                formulate(searched.instance), np.ones_like(searched.y), searched.integer_y, exact_seconds
            )
            row |= {"best_whole": best.objective, "best_bound": best.bound, "best_status": best.status}
        row["seconds"] = round(time.perf_counter() - began, 1)
        rows.append(row)
        print(_line(row), flush=True)
    table = pd.DataFrame(rows)
    for column in ("rounding", "exchange", "search", "best_whole", "best_bound"):
        if column in table:
            table[f"{column}_gap"] = table[column] / table["lp"] - 1
    if "best_whole" in table:
        for column in ("rounding", "exchange", "search"):
            table[f"{column}_vs_best"] = table[column] / table["best_whole"] - 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT, index=False)
    random_rows = table[table["instance"].str.startswith("random")]
    for column in [c for c in table.columns if c.endswith("_gap") or c.endswith("_vs_best")]:
        values = random_rows[column].dropna().tolist()
        if values:
            print(
                f"random {column:18s} median {statistics.median(values):7.2%}  max {max(values):7.2%}  "
                f"min {min(values):7.2%}"
            )
    print(f"written: {OUT}")


def _line(row: dict) -> str:
    parts = [f"{row['instance']:12s}", f"lp {row['lp']:12.1f}"]
    for column in ("rounding", "exchange", "search", "best_whole"):
        if row.get(column) is not None:
            parts.append(f"{column} {row[column]:12.1f} ({row[column] / row['lp'] - 1:6.2%})")
    return "  ".join(parts) + f"  [{row.get('method')}, {row['seconds']} s]"


if __name__ == "__main__":
    main()
