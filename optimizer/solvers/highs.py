"""highspy in one place: new models with the settings every HiGHS solve shares, and LPs from arrays.

Every solve (column generation, the full LP, the Pyomo adapter, the infeasibility study) gets its
`highspy.Highs` here: silent, with the scenario's thread count. highspy ≥ 1.16 prints a
copyright banner to standard output when the first model of a process is made, before any option
can be set; it would land in the middle of `capplan`'s own output, so that first model is made
with standard output pointed at /dev/null for the moment it takes.
"""

from __future__ import annotations

import os
import sys
import threading

import highspy
import numpy as np

from models.scenario import SolveSettings
from optimizer.model.matrix import LpMatrix

INF = highspy.kHighsInf

_banner_lock = threading.Lock()
_banner_shown = False


def new_highs(settings: SolveSettings | None = None) -> highspy.Highs:
    """A silent highspy model, with `settings.threads` if the scenario sets it."""
    h = _first_quietly()
    h.setOptionValue("output_flag", False)
    if settings is not None and settings.threads is not None:
        # HiGHS sizes its scheduler once per calling thread, and a later solve asking for another
        # size fails, so every solve in a process must ask the same
        h.setOptionValue("threads", settings.threads)
    return h


def _first_quietly() -> highspy.Highs:
    global _banner_shown
    if _banner_shown:
        return highspy.Highs()
    with _banner_lock:
        if _banner_shown:
            return highspy.Highs()
        try:
            sys.stdout.flush()
            saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        except (OSError, ValueError):  # no file descriptor 1 (a detached process): nothing to hide
            _banner_shown = True
            return highspy.Highs()
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _banner_shown = True
        return h


def highs_lp(
    matrix: LpMatrix, columns: np.ndarray, rows: np.ndarray, upper: np.ndarray | None = None
) -> highspy.HighsLp:
    """The sub-LP of `columns` × `rows` (both sorted global numbers) of `matrix` as a highspy model.

    Entries of `columns` in rows outside `rows` are dropped (a part of the LP without its linking
    rows). `upper` (global numbering) replaces the columns' upper bounds if given.
    """
    local_row = np.full(matrix.n_rows, -1)
    local_row[rows] = np.arange(len(rows))
    start, index, value = column_entries(matrix, columns, local_row)
    return highs_lp_from_arrays(
        cost=matrix.cost[columns],
        lower=matrix.lower[columns],
        upper=(matrix.upper if upper is None else upper)[columns],
        row_lower=matrix.row_lower[rows],
        row_upper=matrix.row_upper[rows],
        start=start,
        index=index,
        value=value,
        offset=matrix.offset,
    )


def column_entries(
    matrix: LpMatrix, columns: np.ndarray, local_row: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSC starts, local rows and values of `columns`' entries in rows with `local_row` ≥ 0 (others dropped)."""
    block = matrix.column_block(columns)
    local = local_row[block.indices]
    kept = local >= 0
    if kept.all():
        return block.indptr, local, block.data
    column_of_entry = np.repeat(np.arange(len(columns)), np.diff(block.indptr))
    counts = np.bincount(column_of_entry[kept], minlength=len(columns))
    return np.concatenate([[0], np.cumsum(counts)]), local[kept], block.data[kept]


def highs_lp_from_arrays(
    cost: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    start: np.ndarray,
    index: np.ndarray,
    value: np.ndarray,
    offset: float = 0.0,
) -> highspy.HighsLp:
    """A highspy LP from column-wise arrays (CSC `start`, `index`, `value`); numpy ±inf bounds allowed."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(cost), len(row_lower)
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_, lp.col_upper_ = highs_bound(lower), highs_bound(upper)
    lp.row_lower_, lp.row_upper_ = highs_bound(row_lower), highs_bound(row_upper)
    lp.offset_ = float(offset)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(start).astype(np.int32)
    lp.a_matrix_.index_ = np.asarray(index).astype(np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=float)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    return lp


def highs_bound(values: np.ndarray) -> np.ndarray:
    """numpy ±inf as HiGHS's infinity."""
    return np.where(np.isposinf(values), INF, np.where(np.isneginf(values), -INF, values))
