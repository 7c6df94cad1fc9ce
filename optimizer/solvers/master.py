"""The default back end: a `Formulation`'s arrays in one persistent highspy model (no Pyomo).

Pyomo is row-oriented: giving an existing constraint a new variable means rebuilding that
constraint, so adding columns to a solved model (column generation) or re-solving a variant from
the last basis is done here, on the `LpMatrix` of the formulation and one persistent
`highspy.Highs` (`optimizer.solvers.column_generation.RestrictedMaster`). With every flow present
from the start the same master is the full LP, kept warm for `plan_variants`.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from models.scenario import SolveSettings
from optimizer.errors import InfeasibleModel, SolveError
from optimizer.model.formulation import Formulation, s_position
from optimizer.model.matrix import LpMatrix
from optimizer.solvers.column_generation import MasterError, MasterStatus, RestrictedMaster
from optimizer.solvers.decomposition import linking_rows
from optimizer.solvers.solution import DUAL_FAMILIES, Solution


def new_master(
    form: Formulation, settings: SolveSettings, column_generation: bool = True, matrix: LpMatrix | None = None
) -> RestrictedMaster:
    """A master over `form`'s flows: home-region flows first (column generation) or all of them.

    With all of them (the full LP, kept for warm-started variants) the first solve is the interior
    point method with crossover, as `full_lp` solves (dual simplex from scratch is ~10× slower on
    the default scenario); later solves are simplex from the basis.
    """
    inst = form.instance
    matrix = matrix if matrix is not None else LpMatrix.from_formulation(form)
    flows = inst.flows
    generated = matrix.columns_of("y", len(flows))
    group = s_position(inst, flows["group"].to_numpy(), flows["t"].to_numpy())  # flow group × week
    if column_generation:
        initial = (flows["provider_region"] == flows["region_id"]).to_numpy()
    else:
        initial = np.ones(len(flows), dtype=bool)
    first_solver = "simplex" if column_generation or settings.method == "simplex" else "ipm"
    # rows whose flows span specialties (bed-days, agreements or budgets over several, fairness by
    # region, ...) are left out when the LP is first solved in parts, one per specialty
    specialty = np.full(matrix.n_cols, -1, dtype=np.int32)
    specialty[generated] = pd.factorize(flows["specialty"])[0]
    linking = linking_rows(matrix, specialty)
    return RestrictedMaster(matrix, generated, group, initial, settings, first_solver=first_solver, linking=linking)


def solve_master(master: RestrictedMaster, form: Formulation) -> Solution:
    """Solve `master` (built from, or updated to, `form`) and read its values as a `Solution`.

    Raises `InfeasibleModel` (explained at the plan level) or `SolveError`.
    """
    started = time.perf_counter()
    try:
        solved = master.solve()
    except MasterError as exc:
        if exc.status == MasterStatus.INFEASIBLE:
            raise InfeasibleModel(str(exc)) from None
        raise SolveError(str(exc)) from None
    seconds = time.perf_counter() - started
    clock = time.perf_counter()
    matrix = master.matrix
    values = {
        name: solved.col_value[matrix.col_offset[name] : matrix.col_offset[name] + block.size]
        for name, block in form.blocks.items()
    }
    duals = {
        name: solved.row_dual[matrix.row_offset[name] : matrix.row_offset[name] + form.families[name].size]
        for name in DUAL_FAMILIES
    }
    solution = Solution(
        objective=solved.objective,
        y=np.maximum(values["y"], 0.0),
        x=values["x"],
        duals=duals,
        solve_seconds=seconds,
        iterations=solved.simplex_iterations,
        values=values,
        highs_seconds=solved.highs_seconds,
        column_generation=solved.log.summary(),
    )
    solution.read_seconds = time.perf_counter() - clock
    return solution
