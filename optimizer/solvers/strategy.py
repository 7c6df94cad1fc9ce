"""Which back end solves a formulation, and the one call that solves it: `solve_instance`.

`auto` (the default) is column generation on the arrays in highspy (`optimizer.solvers.master`): it
was faster end to end on every instance measured, from 252 flow columns (0.14 s against 0.15 s) to
the national instance (100 s against 270 s; benchmarks/README.md). `full_lp` builds the whole LP,
through Pyomo (`optimizer.solvers.pyomo_adapter`) when it is planned once or has
`extra_functionality` hooks, or as one highspy model when `plan_variants` keeps it warm. Pyomo is
imported only on that path (its import alone takes ~0.5 s).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.scenario import SolveSettings
from optimizer.errors import SolveError
from optimizer.model.fixing import FixedColumns
from optimizer.model.formulation import Formulation, formulate
from optimizer.model.instance import Instance
from optimizer.model.matrix import LpMatrix
from optimizer.solvers.column_generation import RestrictedMaster
from optimizer.solvers.master import new_master, solve_master
from optimizer.solvers.solution import Solution

if TYPE_CHECKING:  # Pyomo is imported only when the full LP is built through it
    from optimizer.solvers.pyomo_adapter import ExtraFunctionality

#: Called with a stage name: loading, building, solving, reporting.
Progress = Callable[[str], None]


@dataclass
class WarmStart:
    """The solver model kept from one scenario to the next by `plan_variants`.

    A variant whose LP has the same structure as the last one (it changes only costs, bounds or
    right-hand sides: capacity factors, extra-capacity volumes, budgets, agreement volumes,
    weights) re-solves the same highspy model from the last basis; any other change builds anew.
    """

    master: RestrictedMaster | None = None
    strategy: str | None = None


def choose_strategy(settings: SolveSettings, has_extra_functionality: bool = False) -> str:
    """`full_lp` or `column_generation` for the scenario's `solve.strategy` (`auto`: column generation)."""
    if has_extra_functionality:
        if settings.strategy == "column_generation":
            raise SolveError("extra_functionality adds Pyomo constraints: it needs strategy full_lp (or auto)")
        return "full_lp"
    return "column_generation" if settings.strategy == "auto" else settings.strategy


def solve_instance(
    inst: Instance,
    strategy: str,
    region_limits: dict[str, float] | None = None,
    extra_functionality: ExtraFunctionality | None = None,
    progress: Progress | None = None,
    seconds: dict[str, float] | None = None,
    warm: WarmStart | None = None,
    fixed: FixedColumns | None = None,
) -> tuple[Formulation, Solution]:
    """Formulate and solve the LP of `inst` with `strategy` (`full_lp` or `column_generation`).

    Stage times go into `seconds`: build, solve, read_solution, highs. Raises `InfeasibleModel`
    (the caller explains it) or `SolveError`. `fixed` flow columns keep their values.
    """
    report = progress or (lambda stage: None)
    seconds = seconds if seconds is not None else {}
    clock = time.perf_counter()
    formulation = formulate(inst, region_limits=region_limits, fixed=fixed)
    if strategy == "full_lp" and (warm is None or extra_functionality is not None):
        from optimizer.solvers.pyomo_adapter import build_model, solve_model

        built = build_model(formulation, extra_functionality)
        seconds["build"] = time.perf_counter() - clock
        report("solving")
        solution = solve_model(built, inst.scenario.solve)
    else:
        matrix = LpMatrix.from_formulation(formulation)
        reuse = warm is not None and warm.strategy == strategy and warm.master.matrix.same_structure(matrix)
        if reuse:
            master = warm.master
            master.update(matrix, inst.scenario.solve)
        else:
            master = new_master(formulation, inst.scenario.solve, strategy == "column_generation", matrix)
            if warm is not None:
                warm.master, warm.strategy = master, strategy
        seconds["build"] = time.perf_counter() - clock
        report("solving")
        solution = solve_master(master, formulation)
        solution.warm_started = reuse
    solution.strategy = strategy
    seconds["solve"] = solution.solve_seconds
    seconds["read_solution"] = solution.read_seconds
    seconds["highs"] = solution.highs_seconds
    return formulation, solution
