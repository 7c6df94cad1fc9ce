"""What a solve returns, whichever back end made it: `Solution` (errors: `optimizer.errors`).

Kept free of Pyomo and highspy so that importing it costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Row families whose duals are reported as shadow prices.
DUAL_FAMILIES = ("theatre_days", "bed_days", "agreements", "budgets")


@dataclass
class Solution:
    """Primal and dual values of an optimal solve, aligned with the instance's frames."""

    objective: float
    y: np.ndarray  # per flow column (instance.flows)
    x: np.ndarray  # extra theatre days bought per offer (built.rows["extra_capacity"])
    duals: dict[str, np.ndarray]  # per row family, HiGHS sign (∂objective/∂rhs)
    solve_seconds: float
    iterations: int
    values: dict[str, np.ndarray]  # every variable component by name (y, S, N90, ..., agreement_shortfall)
    read_seconds: float = 0.0  # reading primal and dual values back from HiGHS
    highs_seconds: float = 0.0  # HiGHS's own run time; solve_seconds − this = Pyomo's translation
    column_generation: dict | None = None  # rounds, columns added (`ColumnGenerationLog.summary`)
    strategy: str = "full_lp"  # full_lp or column_generation (set by `optimizer.solvers.strategy.solve_instance`)
    warm_started: bool = False  # re-solved from a previous variant's basis (`optimizer.plan_variants`)
