"""A search for a better whole-patient plan: HiGHS's MIP over the LP's support, started from the rounding.

The rounding of `optimizer.results.whole_patient` is fast and feasible but greedy. Here the same LP
(every row, every non-flow column) is solved with the flow columns made integer and restricted to
the flows the LP or the rounding uses (an exact model of "whole patients on the LP's arcs"), with the
rounding given to HiGHS as its first incumbent and a time limit. HiGHS returns its best plan, never
worse than the rounding, and a lower bound on every whole-patient plan on those arcs (its dual
bound), which is tighter than the LP's where half patients made the LP look better than any whole
plan can be.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from models.scenario import SolveSettings
from optimizer.model.formulation import Formulation
from optimizer.model.matrix import LpMatrix
from optimizer.solvers.highs import highs_lp, new_highs

_USED = 1e-9


@dataclass
class WholePatientSearch:
    """What the MIP found: flows (None if it found nothing better than its start), its bound, time."""

    flows: np.ndarray | None
    objective: float | None  # HiGHS's objective of `flows` (offset included)
    bound: float | None  # HiGHS's lower bound on every whole-patient plan over the same arcs
    status: str
    seconds: float


def search_whole_patient_plan(
    formulation: Formulation,
    lp_flows: np.ndarray,
    start_flows: np.ndarray,
    time_limit: float,
    settings: SolveSettings | None = None,
) -> WholePatientSearch:
    """HiGHS's best whole-patient plan over the flows `lp_flows` or `start_flows` use, within `time_limit`.

    `start_flows` (a feasible whole-patient plan) is HiGHS's first incumbent: the result is never
    worse. Flow columns outside that support stay at 0; every other column keeps its bounds.
    """
    began = time.perf_counter()
    matrix = LpMatrix.from_formulation(formulation)
    first_flow = matrix.col_offset["y"]
    support = np.nonzero((lp_flows > _USED) | (start_flows > _USED))[0]
    keep = np.ones(matrix.n_cols, dtype=bool)
    keep[first_flow : first_flow + len(lp_flows)] = False
    keep[first_flow + support] = True
    columns = np.nonzero(keep)[0]
    local = np.searchsorted(columns, first_flow + support).astype(np.int32)

    highs = new_highs(settings)
    highs.passModel(highs_lp(matrix, columns, np.arange(matrix.n_rows)))
    highs.changeColsIntegrality(len(local), local, np.full(len(local), highspy.HighsVarType.kInteger))
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_rel_gap", 1e-3)  # within 0.1 % of the best whole-patient plan is enough
    # a partial solution: HiGHS completes the continuous columns for these integer values
    highs.setSolution(len(local), local, start_flows[support].astype(float))
    highs.run()
    status = highs.modelStatusToString(highs.getModelStatus())
    info = highs.getInfo()
    seconds = time.perf_counter() - began
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible.value:
        return WholePatientSearch(None, None, None, status, seconds)
    values = np.asarray(highs.getSolution().col_value)
    flows = np.zeros(len(lp_flows))
    flows[support] = np.round(values[local])
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    return WholePatientSearch(flows, float(info.objective_function_value), bound, status, seconds)
