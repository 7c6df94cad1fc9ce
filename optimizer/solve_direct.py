"""Solving a `Formulation` in highspy without Pyomo: column generation, or the full LP warm-startable.

Pyomo is row-oriented: giving an existing constraint a new variable means rebuilding that
constraint, so adding columns to a solved model (column generation) or re-solving a variant from
the last basis is done here, on the flattened arrays of `optimizer.lp_matrix` and one persistent
`highspy.Highs` (`optimizer.colgen.RestrictedMaster`). `choose_strategy` picks this or the Pyomo
path for a scenario; both return the same `Solution`.
"""

from __future__ import annotations

import time

import numpy as np

from models.scenario import SolveSettings
from optimizer.colgen import MasterError, MasterStatus, RestrictedMaster
from optimizer.formulation import Formulation, s_position
from optimizer.lp_matrix import LpMatrix
from optimizer.solution import DUAL_FAMILIES, Solution, SolveError

#: `auto` uses column generation from this many flow columns on. Measured (`python -m benchmarks
#: --strategy full_lp column_generation`, benchmarks/README.md, and random test datasets in process):
#: column generation was faster end to end on every instance, from 252 flow columns (0.14 s against
#: 0.15 s) through the default scenario (2.9 s against 9.4 s) to 104 weeks (13.8 s against 21.9 s).
#: So `auto` always generates columns; the Pyomo path serves `full_lp` and `extra_functionality`.
COLUMN_GENERATION_FROM_FLOWS = 0


def choose_strategy(settings: SolveSettings, flow_columns: int, has_extra_functionality: bool = False) -> str:
    """`full_lp` (Pyomo) or `column_generation` (highspy) for a model with `flow_columns` flows."""
    if has_extra_functionality:
        if settings.strategy == "column_generation":
            raise SolveError("extra_functionality adds Pyomo constraints: it needs strategy full_lp (or auto)")
        return "full_lp"
    if settings.strategy != "auto":
        return settings.strategy
    return "column_generation" if flow_columns >= COLUMN_GENERATION_FROM_FLOWS else "full_lp"


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
    group = s_position(inst, flows["queue"].to_numpy(), flows["t"].to_numpy())
    if column_generation:
        initial = (flows["provider_region"] == flows["region_id"]).to_numpy()
    else:
        initial = np.ones(len(flows), dtype=bool)
    first_solver = "simplex" if column_generation or settings.method == "simplex" else "ipm"
    return RestrictedMaster(matrix, generated, group, initial, settings, first_solver=first_solver)


def solve_master(master: RestrictedMaster, form: Formulation) -> Solution:
    """Solve `master` (built from, or updated to, `form`) and read its values as a `Solution`.

    Raises `InfeasibleScenarioError` with the explanation, or `SolveError`.
    """
    started = time.perf_counter()
    try:
        solved = master.solve()
    except MasterError as exc:
        if exc.status == MasterStatus.INFEASIBLE:
            from optimizer.infeasibility import explain_infeasibility

            raise explain_infeasibility(form.instance) from None
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
