"""Solving a built model with HiGHS through Pyomo's persistent `contrib.solver` interface.

This module owns the solver call, its options, the termination check and reading the primal and
dual values back as numpy arrays. No LP file is written: Pyomo hands the rows to highspy directly.
Anything but an optimal termination becomes a clear exception: `InfeasibleScenarioError` (with
the explanation of `optimizer.infeasibility`) or `SolveError`; never a silently empty result.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from pyomo.common.gc_manager import PauseGC
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.environ import Var

from models.scenario import SolveSettings
from optimizer.build import BuiltModel
from optimizer.solution import DUAL_FAMILIES, InfeasibleScenarioError, Solution, SolveError

__all__ = ["InfeasibleScenarioError", "Solution", "SolveError", "make_solver", "solve_model"]

log = logging.getLogger(__name__)

#: HiGHS `solver` option per capplan method. "auto" is the interior point method with crossover (a
#: basic solution, so duals are exact): on the default scenario it solved in 12.6 s against 86 s for
#: HiGHS's own choice (dual simplex), measured on the 2-core development machine.
_METHODS = {"auto": "ipm", "simplex": "simplex", "ipm": "ipm"}


class BatchedHighs(Highs):
    """Pyomo's persistent HiGHS interface, handed every variable of the model in one batch.

    The base class discovers variables constraint by constraint and calls highspy's addVars and
    changeColsIntegrality once per constraint; on the default scenario (49k rows) that took longer
    than the solve's own presolve. Adding all variables first leaves the constraints nothing new to
    discover. Behaviour is otherwise Pyomo's own.
    """

    def add_block(self, block):
        self._var_components = list(block.component_objects(Var, descend_into=True))
        self.add_variables([v for component in self._var_components for v in component.values()])
        super().add_block(block)

    def primal_arrays(self) -> dict[str, np.ndarray]:
        """Column values per variable component, read as one array from HiGHS.

        Valid because `add_block` added every variable itself, component after component, before
        anything else: HiGHS column k is the k-th of that list.
        """
        values = np.asarray(self._solver_model.getSolution().col_value)
        arrays, start = {}, 0
        for component in self._var_components:
            arrays[component.local_name] = values[start : start + len(component)]
            start += len(component)
        return arrays

    def _add_variables(self, variables):
        if variables:  # the base class calls highspy even for an empty list, once per constraint
            super()._add_variables(variables)


def make_solver(settings: SolveSettings) -> Highs:
    """A HiGHS solver configured from scenario settings (no console output, no exceptions)."""
    solver = BatchedHighs()
    solver.config.load_solutions = False
    solver.config.raise_exception_on_nonoptimal_result = False
    solver.config.time_limit = settings.time_limit_seconds
    solver.config.threads = settings.threads
    solver.config.solver_options["solver"] = _METHODS[settings.method]
    return solver


def solve_model(built: BuiltModel, settings: SolveSettings) -> Solution:
    """Solve `built` and return its values; raise on anything but optimality."""
    solver = make_solver(settings)
    started = time.perf_counter()
    with PauseGC():  # the translation to highspy allocates per row and column, as the build does
        results = solver.solve(built.model)
    seconds = time.perf_counter() - started
    condition = results.termination_condition
    if condition in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        from optimizer.infeasibility import explain_infeasibility

        raise explain_infeasibility(built.instance)
    if condition != TerminationCondition.convergenceCriteriaSatisfied:
        raise SolveError(f"HiGHS stopped without an optimal plan: {condition.name} after {seconds:.1f} s")
    started = time.perf_counter()
    solution = _read_solution(built, results, seconds, solver.primal_arrays())
    solution.read_seconds = time.perf_counter() - started
    solution.highs_seconds = float(getattr(results.timing_info, "highs_time", 0.0) or 0.0)
    return solution


def _read_solution(built: BuiltModel, results, seconds: float, values: dict[str, np.ndarray]) -> Solution:
    m = built.model
    loader = results.solution_loader
    duals = {}
    for family in DUAL_FAMILIES:
        component = getattr(m, family)
        if len(component):
            found = loader.get_duals(list(component.values()))
            by_index = np.zeros(len(built.rows[family]))
            for index, con in component.items():
                by_index[index] = found[con]
            duals[family] = by_index
        else:
            duals[family] = np.zeros(len(built.rows[family]))
    extra = results.extra_info
    iterations = int(
        (getattr(extra, "simplex_iteration_count", 0) or 0) + (getattr(extra, "ipm_iteration_count", 0) or 0)
    )
    return Solution(
        objective=float(results.incumbent_objective),
        y=np.maximum(values["y"], 0.0),
        x=values["x"],
        duals=duals,
        solve_seconds=seconds,
        iterations=iterations,
        values=values,
    )
