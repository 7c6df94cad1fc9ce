"""Reference build for the benchmark: the same LP handed to highspy directly as sparse arrays.

It reads the very `Formulation` the engine's Pyomo model is made from, so both solve the same LP;
the difference in time is what Pyomo costs. Used only by the benchmark, never by the engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.model.formulation import Formulation
from optimizer.model.matrix import LpMatrix
from optimizer.solvers.highs import highs_lp, new_highs


@dataclass
class DirectSolve:
    objective: float
    build_seconds: float
    solve_seconds: float
    status: str
    columns: int = 0
    rows: int = 0
    nonzeros: int = 0
    iterations: int = 0  # IPM + simplex (incl. crossover) iterations


def to_highs(form: Formulation, options: dict | None = None) -> highspy.Highs:
    """A highspy model of `form`: every column and row of `optimizer.model.matrix.LpMatrix`."""
    matrix = LpMatrix.from_formulation(form)
    h = new_highs()
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    h.passModel(highs_lp(matrix, np.arange(matrix.n_cols), np.arange(matrix.n_rows)))
    return h


def solve_direct(form_factory, options: dict | None = None) -> DirectSolve:
    """Build (formulate + arrays) and solve directly; `form_factory()` returns the Formulation."""
    started = time.perf_counter()
    form = form_factory()
    h = to_highs(form, options)
    built = time.perf_counter()
    h.run()
    solved = time.perf_counter()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    iterations = (
        int(info.ipm_iteration_count) + int(info.simplex_iteration_count) + max(int(info.crossover_iteration_count), 0)
    )
    return DirectSolve(
        info.objective_function_value,
        built - started,
        solved - built,
        status,
        columns=h.getNumCol(),
        rows=h.getNumRow(),
        nonzeros=h.getNumNz(),
        iterations=iterations,
    )
