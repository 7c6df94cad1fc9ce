"""Reference build for the benchmark: the same LP handed to highspy directly as sparse arrays.

It reads the very `Formulation` the engine's Pyomo model is made from, so both solve the same LP;
the difference in time is what Pyomo costs. Used only by the benchmark, never by the engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.formulation import Formulation


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
    """A highspy model of `form`: columns block after block, rows family after family (CSC matrix)."""
    offsets, start = {}, 0
    for name, block in form.blocks.items():
        offsets[name] = start
        start += block.size
    n_cols = start
    row_offsets, start = {}, 0
    for name, family in form.families.items():
        row_offsets[name] = start
        start += family.size
    n_rows = start
    rows = np.concatenate([t.row + row_offsets[f.name] for f in form.families.values() for t in f.terms])
    cols = np.concatenate([t.col + offsets[t.block] for f in form.families.values() for t in f.terms])
    vals = np.concatenate([t.coef for f in form.families.values() for t in f.terms])
    order = np.lexsort((rows, cols))
    col_start = np.searchsorted(cols[order], np.arange(n_cols + 1))

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, n_rows
    lp.col_cost_ = np.concatenate([b.cost for b in form.blocks.values()])
    lp.col_lower_ = np.concatenate([b.lower for b in form.blocks.values()])
    lp.col_upper_ = np.concatenate(
        [np.where(np.isinf(b.upper), highspy.kHighsInf, b.upper) for b in form.blocks.values()]
    )
    lp.row_lower_ = np.concatenate(
        [np.where(np.isinf(f.lower), -highspy.kHighsInf, f.lower) for f in form.families.values()]
    )
    lp.row_upper_ = np.concatenate(
        [np.where(np.isinf(f.upper), highspy.kHighsInf, f.upper) for f in form.families.values()]
    )
    lp.offset_ = form.objective_constant
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = col_start.astype(np.int32)
    lp.a_matrix_.index_ = rows[order].astype(np.int32)
    lp.a_matrix_.value_ = vals[order]
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, n_rows
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    h.passModel(lp)
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
