"""Solving a built Pyomo model with HiGHS: Pyomo's standard-form compiler, then highspy.

This module owns the solver call, its options, the termination check and reading the primal and
dual values back as numpy arrays. No LP file is written: Pyomo's `LinearStandardFormCompiler`
turns the model (including any rows an `extra_functionality` hook added) into sparse arrays in
one pass, and those go to highspy as they are. Pyomo's persistent solver interface did the same
row by row: on the default scenario its `set_instance` took 2.1 s against 0.6–1.2 s for the
compiler, and in the benchmark the whole translation is 10–40 % shorter (benchmarks/README.md).
Anything but an optimal termination becomes a clear exception: `InfeasibleScenarioError` (with
the explanation of `optimizer.infeasibility`) or `SolveError`; never a silently empty result.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from models.scenario import SolveSettings
from optimizer.build import BuiltModel
from optimizer.highs import new_highs
from optimizer.lp_matrix import highs_lp_from_arrays
from optimizer.solution import DUAL_FAMILIES, InfeasibleScenarioError, Solution, SolveError

__all__ = ["InfeasibleScenarioError", "Solution", "SolveError", "compile_model", "solve_model"]

log = logging.getLogger(__name__)

#: HiGHS `solver` option per capplan method. "auto" is the interior point method with crossover (a
#: basic solution, so duals are exact): on the default scenario it solved in 12.6 s against 86 s for
#: HiGHS's own choice (dual simplex), measured on the 2-core development machine.
_METHODS = {"auto": "ipm", "simplex": "simplex", "ipm": "ipm"}


@dataclass
class CompiledModel:
    """A Pyomo model as a highspy LP, and where each Pyomo variable and constraint went.

    `column_of[k]` is the LP column of the k-th variable of `variables` (−1: left out, because it
    is fixed or in no row and not in the objective; its value is then `left_out_value[k]`);
    `row_constraint[i]` is the constraint LP row i came from (a ranged constraint gives two rows,
    an equality or one-sided constraint one).
    """

    lp: highspy.HighsLp
    variables: list[pyo.Var]
    column_of: np.ndarray
    left_out_value: np.ndarray
    row_constraint: list


def compile_model(model: pyo.ConcreteModel) -> CompiledModel:
    """The LP of `model` (one minimising objective, linear rows) as arrays for highspy."""
    # The compilation makes many small objects, and a cyclic GC pass in the middle walks the whole
    # model: on `tiles-x1` one made the 0.12 s compile take 0.2 s, wherever it happened to land
    with PauseGC():
        return _compile(model)


def _compile(model: pyo.ConcreteModel) -> CompiledModel:
    variables = list(model.component_objects(pyo.Var, active=True, descend_into=True))
    order = [v for component in variables for v in component.values()]
    info = LinearStandardFormCompiler().write(model, mixed_form=True)
    bounds = np.array([v.bounds for v in info.columns], dtype=float).reshape(-1, 2)  # None → nan
    if len(info.objectives) != 1 or info.objectives[0].sense != pyo.minimize:
        raise SolveError("the model needs exactly one active objective, to be minimised")
    position = {id(v): k for k, v in enumerate(order)}
    kept = np.fromiter((position[id(v)] for v in info.columns), dtype=np.int64, count=len(info.columns))
    column_of = np.full(len(order), -1)
    column_of[kept] = np.arange(len(kept))
    left_out_value = np.zeros(len(order))
    for k in np.nonzero(column_of < 0)[0]:  # fixed: its value; free to choose: 0 moved into its bounds
        v = order[k]
        lb, ub = v.bounds
        left_out_value[k] = (
            v.value if v.fixed else min(max(0.0, -np.inf if lb is None else lb), np.inf if ub is None else ub)
        )
    multiplier = np.fromiter((row.bound_type for row in info.rows), dtype=np.int8, count=len(info.rows))
    rhs = np.asarray(info.rhs, dtype=float)
    matrix = info.A.tocsc()
    lp = highs_lp_from_arrays(
        cost=info.c.toarray().ravel(),  # the compiler states the objective as a minimum
        lower=np.where(np.isnan(bounds[:, 0]), -np.inf, bounds[:, 0]),
        upper=np.where(np.isnan(bounds[:, 1]), np.inf, bounds[:, 1]),
        # bound_type: 0 equality (rhs both sides), 1 upper bound row (≤ rhs), −1 lower bound row (≥ rhs)
        row_lower=np.where(multiplier == 1, -np.inf, rhs),
        row_upper=np.where(multiplier == -1, np.inf, rhs),
        start=matrix.indptr,
        index=matrix.indices,
        value=matrix.data,
        offset=float(info.c_offset[0]),
    )
    return CompiledModel(
        lp=lp,
        variables=variables,
        column_of=column_of,
        left_out_value=left_out_value,
        row_constraint=[r.constraint for r in info.rows],
    )


def solve_model(built: BuiltModel, settings: SolveSettings) -> Solution:
    """Solve `built` and return its values; raise on anything but optimality."""
    started = time.perf_counter()
    compiled = compile_model(built.model)
    highs = new_highs(settings)
    highs.setOptionValue("solver", _METHODS[settings.method])
    if settings.time_limit_seconds is not None:
        highs.setOptionValue("time_limit", float(settings.time_limit_seconds))
    if highs.passModel(compiled.lp) == highspy.HighsStatus.kError:
        raise SolveError("HiGHS refused the compiled model")
    highs.run()
    seconds = time.perf_counter() - started
    status = highs.getModelStatus()
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        from optimizer.infeasibility import explain_infeasibility

        raise explain_infeasibility(built.instance)
    if status != highspy.HighsModelStatus.kOptimal:
        text = highs.modelStatusToString(status)
        raise SolveError(f"HiGHS stopped without an optimal plan: {text} after {seconds:.1f} s")
    started = time.perf_counter()
    solution = _read_solution(built, compiled, highs, seconds)
    solution.read_seconds = time.perf_counter() - started
    solution.highs_seconds = highs.getRunTime()
    return solution


def _read_solution(built: BuiltModel, compiled: CompiledModel, highs: highspy.Highs, seconds: float) -> Solution:
    result = highs.getSolution()
    col_value = np.asarray(result.col_value)
    row_dual = np.asarray(result.row_dual)
    values, start = {}, 0
    for component in compiled.variables:
        part = slice(start, start + len(component))
        columns = compiled.column_of[part]
        start += len(component)
        values[component.local_name] = np.where(
            columns >= 0, col_value[np.maximum(columns, 0)], compiled.left_out_value[part]
        )
    dual_of = {}  # a ranged constraint's two rows: at most one is active, so the duals add up
    for constraint, dual in zip(compiled.row_constraint, row_dual, strict=True):
        dual_of[id(constraint)] = dual_of.get(id(constraint), 0.0) + dual
    m = built.model
    duals = {}
    for family in DUAL_FAMILIES:
        by_index = np.zeros(len(built.rows[family]))
        for index, con in getattr(m, family).items():
            by_index[index] = dual_of.get(id(con), 0.0)
        duals[family] = by_index
    info = highs.getInfo()
    iterations = int(max(info.simplex_iteration_count, 0) + max(info.ipm_iteration_count, 0))
    return Solution(
        objective=float(info.objective_function_value),
        y=np.maximum(values["y"], 0.0),
        x=values["x"],
        duals=duals,
        solve_seconds=seconds,
        iterations=iterations,
        values=values,
    )
