"""Pyomo as an adapter: the LP of a `Formulation` as a Pyomo model, compiled for HiGHS and solved.

capplan keeps one representation of the LP, the arrays of `optimizer.model.formulation`. Pyomo is
used for two things only: strategy `full_lp` and `extra_functionality` hooks, which add Pyomo
constraints (or fix variables) without editing the library (PyPSA style). The default path, column
generation, hands the arrays to highspy directly (`optimizer.solvers.master`): it needs a persistent
model it can add columns to and re-solve from a basis, which Pyomo's row-oriented model cannot give.

Building. Each variable block becomes a Pyomo `Var` named after it (`m.y`, `m.S365`, `m.x`) and each
row family a `Constraint` named after it (`m.theatre_days`, `m.bed_days`, ...), indexed 0..n-1 in
the order of `BuiltModel.rows[family]`, so duals read back by the same names. Rows are built with
one mechanism, `_add_linear_rows`: triplets sorted by row once, each row a `LinearExpression`
made directly from coefficient and variable lists (no operator overloading). A hook reads the flow
variables by named key: `built.flow[FlowKey(region_id, listed_hospital_id, procedure_id, class, hospital_id, week)]`.

Solving. Pyomo's `LinearStandardFormCompiler` turns the model (including any rows a hook added) into
sparse arrays in one pass, and those go to highspy as they are. Pyomo's persistent solver interface
did the same row by row: on the default scenario its `set_instance` took 2.1 s against 0.6–1.2 s
for the compiler (benchmarks/README.md). Anything but an optimal termination raises:
`InfeasibleModel` (the plan level explains it, `optimizer.diagnostics`) or `SolveError`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from models.scenario import SolveSettings
from optimizer.errors import InfeasibleModel, SolveError
from optimizer.model.formulation import Family, Formulation
from optimizer.model.instance import FlowKey, Instance
from optimizer.solvers.highs import highs_lp_from_arrays, new_highs
from optimizer.solvers.solution import DUAL_FAMILIES, Solution

log = logging.getLogger(__name__)

#: A hook that adds constraints to a built model without editing the library (PyPSA style).
ExtraFunctionality = Callable[["BuiltModel"], None]


@dataclass
class BuiltModel:
    """A Pyomo model, its formulation, and the frames that say what each row index means."""

    model: pyo.ConcreteModel
    instance: Instance
    formulation: Formulation
    variables: dict[str, list] = field(default_factory=dict)

    @property
    def rows(self) -> dict[str, pd.DataFrame]:
        """What row i of each constraint family means (hospital, week, ...), for duals and hooks."""
        return self.formulation.rows

    @cached_property
    def flow(self) -> dict[FlowKey, pyo.Var]:
        """Flow variables by named key, for hooks.

        `built.flow[FlowKey("uppsala", "akademiska", "knee", "mobile", "enkoping", "2025-W20")]` is the
        flow of Uppsala's mobile knee patients listed at Akademiska, treated at Enköping in 2025-W20.
        """
        inst = self.instance
        flows = inst.flows
        weeks = np.asarray(inst.weeks, dtype=object)[flows["t"].to_numpy() - 1]
        keys = map(
            FlowKey,
            flows["region_id"].tolist(),
            flows["listed_hospital_id"].tolist(),
            flows["procedure_id"].tolist(),
            flows["class"].tolist(),
            flows["hospital_id"].tolist(),
            weeks.tolist(),
        )
        return dict(zip(keys, self.variables["y"], strict=True))


def build_model(formulation: Formulation, extra_functionality: ExtraFunctionality | None = None) -> BuiltModel:
    """The Pyomo model of `formulation`; `extra_functionality(built)` may add components before the objective is set."""
    with PauseGC():  # hundreds of thousands of expression objects: cyclic GC passes cost ~40 % of the build
        return _materialise(formulation.instance, formulation, extra_functionality)


def _materialise(
    inst: Instance, formulation: Formulation, extra_functionality: ExtraFunctionality | None
) -> BuiltModel:
    m = pyo.ConcreteModel(name=inst.name)
    built = BuiltModel(model=m, instance=inst, formulation=formulation)
    for block in formulation.blocks.values():
        var = pyo.Var(range(block.size), domain=pyo.NonNegativeReals)
        m.add_component(block.name, var)
        data = list(var.values())
        # bounds set one by one after construction: ~3x faster than a bounds rule Pyomo calls per index
        for k in np.nonzero(np.isfinite(block.upper))[0].tolist():
            data[k].setub(float(block.upper[k]))
        for k in np.nonzero(block.lower != 0)[0].tolist():
            data[k].setlb(float(block.lower[k]))
        built.variables[block.name] = data
    for family in formulation.families.values():
        _add_linear_rows(built, family)
    if extra_functionality is not None:
        extra_functionality(built)
    _add_objective(built)
    return built


def _add_objective(built: BuiltModel) -> None:
    coefs, variables = [], []
    for block in built.formulation.blocks.values():
        keep = np.nonzero(block.cost)[0]
        coefs.append(block.cost[keep])
        refs = built.variables[block.name]
        variables.extend(refs[i] for i in keep.tolist())
    expr = LinearExpression(
        constant=built.formulation.objective_constant,
        linear_coefs=np.concatenate(coefs).tolist(),
        linear_vars=variables,
    )
    built.model.objective = pyo.Objective(expr=expr, sense=pyo.minimize)


def _add_linear_rows(built: BuiltModel, family: Family) -> None:
    """Add `family` as an indexed Constraint: lower ≤ Σ coef·var ≤ upper per row.

    Rows without any term are skipped (they hold trivially, or are caught before building).
    """
    n_rows = family.size
    row_ids = np.concatenate([t.row for t in family.terms]) if family.terms else np.zeros(0, dtype=int)
    variables = [built.variables[t.block][c] for t in family.terms for c in t.col.tolist()]
    coefficients = np.concatenate([t.coef for t in family.terms]) if family.terms else np.zeros(0)
    order = np.argsort(row_ids, kind="stable")
    starts = np.searchsorted(row_ids[order], np.arange(n_rows + 1))
    ordered_vars = [variables[i] for i in order.tolist()]
    ordered_coefs = coefficients[order].tolist()
    lows, ups, starts = family.lower.tolist(), family.upper.tolist(), starts.tolist()  # Python floats

    def rule(_, i):
        a, b = starts[i], starts[i + 1]
        if a == b:
            return pyo.Constraint.Skip
        expr = LinearExpression(linear_coefs=ordered_coefs[a:b], linear_vars=ordered_vars[a:b])
        low, up = lows[i], ups[i]
        return (None if low == -math.inf else low, expr, None if up == math.inf else up)  # Pyomo: None, not ±inf

    built.model.add_component(family.name, pyo.Constraint(range(n_rows), rule=rule))


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
        raise InfeasibleModel("HiGHS: the LP is infeasible")
    if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kModelEmpty):
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
        objective=float(
            compiled.lp.offset_
            if highs.getModelStatus() == highspy.HighsModelStatus.kModelEmpty
            else info.objective_function_value
        ),
        y=np.maximum(values["y"], 0.0),
        x=values["x"],
        duals=duals,
        solve_seconds=seconds,
        iterations=iterations,
        values=values,
    )
