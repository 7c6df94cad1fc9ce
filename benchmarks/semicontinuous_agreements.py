"""Measured (issue 21 item 4, optional): keeping flows below `policy.min_agreement_cases` out of the plan
with semi-continuous variables in HiGHS, on the default scenario.

Each charged arc (payer region × provider hospital × procedure) gets z = Σ its flows over the horizon,
semi-continuous: z = 0 or min ≤ z. The LP becomes a MIP; this script solves the LP and the MIP (with
a time limit) and prints both objectives and times.
Run: `python -m benchmarks.semicontinuous_agreements [SECONDS] [LP] [MIP]`.
"""

from __future__ import annotations

import sys
import time

import highspy
import numpy as np
import pandas as pd

from optimizer import dataset_for, prepare, resolve_scenario
from optimizer.model.formulation import Term, formulate
from optimizer.model.matrix import LpMatrix
from optimizer.solvers.highs import highs_lp, new_highs


def main(time_limit: float = 600.0, stages: tuple[str, ...] = ("LP", "MIP")) -> None:
    scenario, base_dir = resolve_scenario(None)
    inst = prepare(scenario, dataset_for(scenario, base_dir))
    f = formulate(inst)
    flows = inst.flows
    charged = np.nonzero(flows["charged"].to_numpy())[0]
    keys = flows.loc[charged, ["region_id", "hospital_id", "procedure_id"]].astype(str).agg("|".join, axis=1)
    arc, arcs = np.unique(keys.to_numpy(), return_inverse=True)
    f.add_block("arc_total", len(arc))
    f.add_family(
        "arc_total",
        pd.DataFrame({"arc": arc}),
        [
            Term("arc_total", np.arange(len(arc)), np.arange(len(arc)), np.ones(len(arc))),
            Term("y", arcs, charged, -np.ones(len(charged))),
        ],
        lower=0.0,
        upper=0.0,
    )
    matrix = LpMatrix.from_formulation(f)
    for name, integral in (("LP", False), ("MIP", True)):
        if name not in stages:
            continue
        h = new_highs(scenario.solve)
        h.setOptionValue("time_limit", time_limit)
        lp = highs_lp(matrix, np.arange(matrix.n_cols), np.arange(matrix.n_rows))
        if integral:
            start = matrix.col_offset["arc_total"]
            lower = np.array(lp.col_lower_, dtype=float)
            lower[start : start + len(arc)] = scenario.policy.min_agreement_cases
            lp.col_lower_ = lower
            kinds = [highspy.HighsVarType.kContinuous] * matrix.n_cols
            for k in range(start, start + len(arc)):
                kinds[k] = highspy.HighsVarType.kSemiContinuous
            lp.integrality_ = kinds
        h.passModel(lp)
        clock = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - clock
        info = h.getInfo()
        print(
            f"{name}: {h.modelStatusToString(h.getModelStatus())}, objective {info.objective_function_value:,.1f}, "
            f"{seconds:.1f} s" + (f", MIP gap {info.mip_gap:.2%}" if integral else "") + f", arcs {len(arc)}",
            flush=True,
        )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 600.0, tuple(sys.argv[2:]) or ("LP", "MIP"))
