"""Exact column generation over the flow columns y[arc, week], solved warm in highspy.

At the optimum of the default scenario only ~13 % of the flow columns carry patients, and most of
those are home-region arcs. So the LP is solved over a restricted set of flow columns first (the
restricted master), and the others are brought in only when they would lower the objective:

1. Start with every column that is not a flow (breach segments, extra capacity), every home-region
   flow, and every flow of a row that zero cannot satisfy (an agreement minimum). Rows that no
   chosen column touches are left out; zero satisfies them.
2. Solve, and read the row duals π (HiGHS's sign: π_i = ∂objective/∂rhs_i; π = 0 for rows left out).
3. Price every omitted flow column j: reduced cost d_j = c_j − Σ_i A_ij π_i, over the rows it would
   enter (queue balance, theatre days, bed-days, agreements, budgets). A column at its lower bound
   0 improves the objective only if d_j < 0 (for a minimum, HiGHS's column duals are exactly d).
4. Add the columns with d_j < −tolerance, at most `per_group` of the most negative per queue and
   week, together with any row they need (with its entries in columns already present), and re-solve
   from the previous basis. Stop when no column prices out: then π is dual feasible for the full LP
   and the restricted optimum is the full LP's optimum.

Warm start: adding columns keeps the basis primal feasible (new columns sit at 0, new rows have
basic slacks that zero satisfies). HiGHS's dual simplex handles a large batch fastest; for a small
batch its primal simplex needs a few iterations where the dual needs thousands (measured, see
`benchmarks/README.md`), so the algorithm is chosen per batch.

Flip bounds: the new columns make the basis dual infeasible, and HiGHS's dual simplex repairs that
with bound flips and then drives the primal infeasibility out. A flow's own bound (the patients
arrived in its queue, y ≤ A_q(t)) is loose: often far above what a week's theatre days allow. So in
the master each generated column gets the bound its rows imply plus `FLIP_BOUND_MARGIN`. No
feasible point reaches it, so the LP and its optimum stay the model's, and the row duals are
optimal duals of the model (it is degenerate: where several exist, HiGHS may now return another
equally optimal one, so a shadow price can differ from before). Measured, the
re-solves then take 8–16 % fewer iterations and each is cheaper: solve of the default scenario
3.0 → 2.4 s (26 weeks), 10.2 → 8.0 s (52 weeks); national 207 → 100 s end to end. Why each
iteration is cheaper was not traced inside HiGHS.

If the restricted master is infeasible (possible only with agreement minimums or region limits),
every column is added and the model re-solved: the full LP decides.

Parts first: since model version 2 the default LP has 85k rows, and one column generation over it
took ~11 s in HiGHS. Without its linking rows (`decomposition.linking_rows`: those whose flows span
more than one specialty, as bed-days, agreements and budgets over several procedures, fairness by
region; on the default scenario the bed-days, of which 90 of 520 bind) it falls apart into one LP
per specialty or group of specialties (8 on the default scenario). Each part is solved by its own
column generation; their columns and optimal bases, with the linking slacks basic, make a dual
feasible start for the whole master, whose dual simplex repairs the linking rows the parts break,
and whose pricing proves the optimum exactly as before. Measured back to back on the default
scenario at load ~2: solve 12.2–13.2 s → 7.5–7.7 s, 52 weeks 60 → 27 s, same objective
(`benchmarks/README.md`).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

import highspy
import numpy as np

from models.scenario import SolveSettings
from optimizer.model.matrix import LpMatrix
from optimizer.solvers.decomposition import components
from optimizer.solvers.highs import column_entries, highs_bound, highs_lp, new_highs
from optimizer.solvers.master_log import ColumnGenerationLog, MasterError, MasterSolution, MasterStatus, PricingRound

log = logging.getLogger(__name__)

#: A column prices out when its reduced cost is below −tolerance · (1 + |cost|).
PRICING_TOLERANCE = 1e-7
#: Columns added per queue and week and round (the most negative reduced costs first). Measured:
#: national instance 136 s (1 or 2) against 176 s (5); default scenario 2.0–2.3 s for 2, 3 or 5.
PER_GROUP = 2
#: A generated column's upper bound in the master: this much above the bound its rows imply.
FLIP_BOUND_MARGIN = 1.0
#: A batch smaller than this share of the rows is re-solved with primal simplex, larger with dual.
PRIMAL_BATCH_SHARE = 0.02
_SIMPLEX_DUAL, _SIMPLEX_PRIMAL = 1, 4


#: HiGHS statuses that are an optimum: an LP with no column and no row (nothing to plan) is one too.
_SOLVED = (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kModelEmpty)


class RestrictedMaster:
    """The LP of `matrix` over a subset of its generated columns, kept in one highspy model.

    `generated` are the global numbers of the columns that may be left out (the flows); `group[k]`
    groups generated column k for the per-group batch limit (its queue and week); `initial[k]` says
    whether generated column k starts in the master. All other columns are always present.
    `solve()` runs column generation to the full LP's optimum; `update(matrix)` swaps in an LP of the
    same structure (other costs and bounds) and keeps the model, its columns and its basis.
    `linking` (a mask of rows) are the rows left out when a fresh master is first solved in parts
    (`_start_from_parts`); `upper` replaces the columns' bounds in the master (a part takes the whole's).
    `within` = (global columns, global rows) makes this the master of that part of `matrix`: no column
    or row outside it ever enters, and an entry in a row outside it is dropped. The part reads the
    whole's matrix in place, so solving in parts copies no sub-matrix.
    """

    def __init__(
        self,
        matrix: LpMatrix,
        generated: np.ndarray,
        group: np.ndarray,
        initial: np.ndarray,
        settings: SolveSettings,
        per_group: int = PER_GROUP,
        first_solver: str = "simplex",
        decompose: bool = True,
        linking: np.ndarray | None = None,
        upper: np.ndarray | None = None,
        within: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        self.matrix = matrix
        self.col_allowed = np.ones(matrix.n_cols, dtype=bool)
        self.row_allowed = np.ones(matrix.n_rows, dtype=bool)
        if within is not None:
            self.col_allowed[:], self.row_allowed[:] = False, False
            self.col_allowed[within[0]], self.row_allowed[within[1]] = True, True
        self.linking = linking
        self.decompose = decompose and first_solver == "simplex"
        self.generated = generated
        self.group = group
        self.settings = settings
        self.per_group = per_group
        self.log = ColumnGenerationLog(generated_columns=len(generated))
        is_generated = np.zeros(matrix.n_cols, dtype=bool)
        is_generated[generated] = True
        self.col_present = ~is_generated & self.col_allowed
        fixed = matrix.lower[generated] > 0  # a column fixed above 0 (a proposal's flow) is never left out
        self.col_present[generated[initial | fixed | self._needed_by_rows(matrix)]] = True
        self.upper = flippable_upper(matrix, generated) if upper is None else upper
        self.columns = np.nonzero(self.col_present)[0]  # local column k is global self.columns[k]
        self.row_present = np.zeros(matrix.n_rows, dtype=bool)
        self.row_present[matrix.column_block(self.columns).indices] = True
        self.row_present &= self.row_allowed
        self.row_present |= ~self._zero_feasible(matrix)
        self.rows = np.nonzero(self.row_present)[0]
        self.local_row = np.full(matrix.n_rows, -1)
        self.local_row[self.rows] = np.arange(len(self.rows))
        self.highs = _new_highs(settings)
        # the first solve may be the interior point method (with crossover: it leaves a basis)
        self.highs.setOptionValue("solver", first_solver)
        _check(self.highs.passModel(highs_lp(matrix, self.columns, self.rows, self.upper)), "passModel")
        self._started = time.perf_counter()

    # -- what starts in the master -------------------------------------------------------------

    def _zero_feasible(self, matrix: LpMatrix) -> np.ndarray:
        """Rows that hold with every column at zero, or lie outside the part (those may be left out)."""
        return ((matrix.row_lower <= 0) & (matrix.row_upper >= 0)) | ~self.row_allowed

    def _needed_by_rows(self, matrix: LpMatrix) -> np.ndarray:
        """Generated columns of rows that zero cannot satisfy: all of them start in the master."""
        columns = matrix.row_block(np.nonzero(~self._zero_feasible(matrix))[0]).indices
        needed = np.zeros(matrix.n_cols, dtype=bool)
        needed[columns] = True
        return needed[self.generated]

    # -- solving -----------------------------------------------------------------------------------

    def solve(self) -> MasterSolution:
        """Column generation to the full LP's optimum; raises `MasterError` if HiGHS finds none."""
        self._started = time.perf_counter()
        highs_seconds, iterations = 0.0, 0
        # only a fresh master starts from its parts: an updated one (a variant) has a basis to start from
        fresh = not self.highs.getBasis().valid
        parts_seconds, parts_iterations = self._start_from_parts() if fresh and self.decompose else (0.0, 0)
        while True:
            round_, seconds = self._run()
            round_.seconds += parts_seconds  # the first round includes solving its parts
            round_.simplex_iterations += parts_iterations
            seconds, parts_seconds, parts_iterations = seconds + parts_seconds, 0.0, 0
            highs_seconds += seconds
            iterations += round_.simplex_iterations
            self.log.rounds.append(round_)
            row_dual = np.zeros(self.matrix.n_rows)
            row_dual[self.rows] = np.asarray(self.highs.getSolution().row_dual)
            added_columns, added_rows, most_negative = self._price_and_add(row_dual)
            round_.columns_added, round_.rows_added, round_.min_reduced_cost = added_columns, added_rows, most_negative
            log.info(
                "column generation round %d: objective %.6f, %d flow columns, %.2f s; added %d columns, %d rows",
                len(self.log.rounds),
                round_.objective,
                round_.columns,
                round_.seconds,
                added_columns,
                added_rows,
            )
            if not added_columns:
                break
            share = added_columns / max(len(self.rows), 1)
            self.highs.setOptionValue(
                "simplex_strategy", _SIMPLEX_PRIMAL if share < PRIMAL_BATCH_SHARE else _SIMPLEX_DUAL
            )
        col_value = np.zeros(self.matrix.n_cols)
        col_value[self.columns] = np.asarray(self.highs.getSolution().col_value)
        empty = self.highs.getModelStatus() == highspy.HighsModelStatus.kModelEmpty
        return MasterSolution(
            objective=self.matrix.offset if empty else self.highs.getInfo().objective_function_value,
            col_value=col_value,
            row_dual=row_dual,
            highs_seconds=highs_seconds,
            simplex_iterations=iterations,
            log=self.log,
        )

    def _start_from_parts(self) -> tuple[float, int]:
        """Solve each part of the LP without its linking rows by column generation, and start from that.

        Without the `linking` rows (those joining specialties: bed-days, agreements and budgets over
        several procedures; few bind) the LP falls apart into independent LPs, one per specialty or
        group of specialties. Simplex time grows faster than linearly with size, so their column
        generations are faster than the whole one. Their columns and optimal bases, with the linking
        rows' slacks basic, are a dual feasible basis of the whole master: dual simplex then only
        repairs the linking rows the parts break, and the whole master's pricing proves the optimum
        as before (the parts only choose the start). Falls back to `_start_from_components` when
        nothing splits or a part has no optimum. Returns the seconds and simplex iterations spent.
        """
        started = time.perf_counter()
        if self.linking is None or not self.linking.any():
            return self._start_from_components()
        kept_rows = np.nonzero(~self.linking)[0]
        every_column = np.arange(self.matrix.n_cols)
        parts = [p for p in components(self.matrix, every_column, kept_rows) if len(p[0]) and len(p[1])]
        if len(parts) < 2:
            return self._start_from_components()
        parts.sort(key=lambda p: -len(p[0]))
        workers = self.settings.threads or min(2, os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            solved = list(pool.map(lambda part: self._solve_lp_part(part[0], kept_rows[part[1]]), parts))
        _return_freed_memory()
        iterations = sum(result[3] for result in solved)
        if any(result[0] is None for result in solved):
            seconds, more = self._start_from_components()
            return time.perf_counter() - started, iterations + more
        columns = np.concatenate([result[0] for result in solved])
        new_columns = columns[~self.col_present[columns]]
        self._add(new_columns)
        col_status = np.full(self.matrix.n_cols, highspy.HighsBasisStatus.kLower, dtype=object)
        row_status = np.full(self.matrix.n_rows, highspy.HighsBasisStatus.kBasic, dtype=object)
        for part_columns, part_col_status, (part_rows, part_row_status), _ in solved:
            col_status[part_columns], row_status[part_rows] = part_col_status, part_row_status
        basis = highspy.HighsBasis()
        basis.col_status, basis.row_status = list(col_status[self.columns]), list(row_status[self.rows])
        basis.valid = True
        _check(self.highs.setBasis(basis), "setBasis")
        self.log.parts = len(parts)
        self.log.parts_columns_added = len(new_columns)
        log.info("LP solved as %d parts without linking rows in %.2f s", len(parts), time.perf_counter() - started)
        return time.perf_counter() - started, iterations

    def _solve_lp_part(self, columns: np.ndarray, rows: np.ndarray):
        """Column generation on the part `columns` × `rows` (global numbers) of this master's LP: its
        present columns, their basis statuses, (its rows, their statuses) and simplex iterations (all
        global; None if no optimum). The part's master is freed before returning."""
        remaining = self._remaining_seconds()
        if remaining is not None and remaining <= 0:
            return None, None, (None, None), 0
        in_part = np.zeros(self.matrix.n_cols, dtype=bool)
        in_part[columns] = True
        generated = in_part[self.generated]
        part = RestrictedMaster(
            self.matrix,
            self.generated[generated],
            self.group[generated],
            self.col_present[self.generated[generated]],
            self.settings.model_copy(update={"time_limit_seconds": remaining}),
            per_group=self.per_group,
            upper=self.upper,
            within=(columns, rows),
        )
        try:
            result = part.solve()
        except MasterError:
            return None, None, (None, None), 0
        basis = part.highs.getBasis()
        statuses = np.array(basis.col_status, dtype=object), np.array(basis.row_status, dtype=object)
        part.highs.clear()  # free HiGHS's copy of the part now, not when the garbage collector runs
        return part.columns, statuses[0], (part.rows, statuses[1]), result.simplex_iterations

    def _start_from_components(self) -> tuple[float, int]:
        """Solve each independent part of the first master on its own and start from their bases.

        Home-region flows rarely link regions (only agreements and budgets do), so the first master
        falls apart into independent LPs, one per region or group of regions. Simplex time grows
        faster than linearly with size, so solving the parts (`settings.threads` at a time, else
        one per core, at most two) is faster than the whole; their optimal bases together are an
        optimal basis of the master, which then needs no iterations. Returns the seconds and simplex
        iterations spent. Skipped when nothing splits (fewer than two parts).
        """
        started = time.perf_counter()
        parts = components(self.matrix, self.columns, self.rows)
        if len(parts) < 2:
            return 0.0, 0
        col_status = np.full(len(self.columns), highspy.HighsBasisStatus.kLower, dtype=object)
        row_status = np.full(len(self.rows), highspy.HighsBasisStatus.kBasic, dtype=object)
        isolated = [(cols, rows) for cols, rows in parts if not len(rows)]
        for cols, _ in isolated:  # a column in no row sits at the bound its cost prefers
            prefers_upper = (self.matrix.cost[self.columns[cols]] < 0) & np.isfinite(self.upper[self.columns[cols]])
            col_status[cols[prefers_upper]] = highspy.HighsBasisStatus.kUpper
        linked = sorted((p for p in parts if len(p[1])), key=lambda p: -len(p[0]))
        workers = self.settings.threads or min(2, os.cpu_count() or 1)
        iterations = 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(self._solve_part, part) for part in linked]
            for (cols, rows), future in zip(linked, futures, strict=True):
                col_part, row_part, part_iterations = future.result()
                iterations += part_iterations
                if col_part is None:  # a part not optimal (or out of time): let the whole master decide
                    for pending in futures:
                        pending.cancel()
                    return time.perf_counter() - started, iterations
                col_status[cols], row_status[rows] = col_part, row_part
        basis = highspy.HighsBasis()
        basis.col_status, basis.row_status = list(col_status), list(row_status)
        basis.valid = True
        _check(self.highs.setBasis(basis), "setBasis")
        log.info("first master solved as %d independent parts in %.2f s", len(linked), time.perf_counter() - started)
        return time.perf_counter() - started, iterations

    def _solve_part(self, part: tuple[np.ndarray, np.ndarray]):
        """Basis statuses of one independent part (None if not optimal), and its simplex iterations."""
        cols, rows = part
        h = _new_highs(self.settings)
        remaining = self._remaining_seconds()
        if remaining is not None:
            if remaining <= 0:
                return None, None, 0
            h.setOptionValue("time_limit", remaining)
        _check(h.passModel(highs_lp(self.matrix, self.columns[cols], self.rows[rows], self.upper)), "passModel")
        h.run()
        iterations = int(h.getInfo().simplex_iteration_count)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, None, iterations
        basis = h.getBasis()
        return np.array(basis.col_status, dtype=object), np.array(basis.row_status, dtype=object), iterations

    def _remaining_seconds(self) -> float | None:
        """Seconds left of `settings.time_limit_seconds` for this solve (None: no limit)."""
        limit = self.settings.time_limit_seconds
        return None if limit is None else limit - (time.perf_counter() - self._started)

    def _run(self) -> tuple[PricingRound, float]:
        remaining = self._remaining_seconds()
        if remaining is not None and remaining <= 0:
            limit = self.settings.time_limit_seconds
            raise MasterError(MasterStatus.TIME_LIMIT, f"time limit of {limit:g} s reached during column generation")
        # HiGHS checks `time_limit` against its run clock, which keeps counting over every run of the
        # same model (rounds, variants): the limit is that clock now plus what is left
        self.highs.setOptionValue(
            "time_limit", highspy.kHighsInf if remaining is None else self.highs.getRunTime() + remaining
        )
        started = time.perf_counter()
        self.highs.run()
        self.highs.setOptionValue("solver", "simplex")  # every later solve starts from the basis
        seconds = time.perf_counter() - started
        status = self.highs.getModelStatus()
        infeasible = status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible)
        if infeasible and (self.col_allowed & ~self.col_present).any():
            log.info("restricted master infeasible: adding every column (the full LP decides)")
            self.log.fallback_to_full = True
            self._add(np.nonzero(self.col_allowed & ~self.col_present)[0])
            self.highs.setOptionValue("simplex_strategy", _SIMPLEX_DUAL)
            again, more = self._run()
            again.seconds += seconds
            return again, seconds + more
        if status not in _SOLVED:
            text = self.highs.modelStatusToString(status)
            code = MasterStatus.INFEASIBLE if infeasible else text
            if status == highspy.HighsModelStatus.kTimeLimit:
                code = MasterStatus.TIME_LIMIT
            raise MasterError(code, f"HiGHS stopped without an optimal plan: {text} after {seconds:.1f} s")
        info = self.highs.getInfo()
        round_ = PricingRound(
            objective=self.matrix.offset
            if status == highspy.HighsModelStatus.kModelEmpty
            else info.objective_function_value,
            seconds=seconds,
            simplex_iterations=int(info.simplex_iteration_count)
            + max(int(info.crossover_iteration_count), 0)
            + max(int(info.ipm_iteration_count), 0),
            columns=int(self.col_present[self.generated].sum()),
            rows=len(self.rows),
        )
        return round_, seconds

    def _price_and_add(self, row_dual: np.ndarray) -> tuple[int, int, float]:
        """Add the omitted generated columns that price out; (columns added, rows added, min reduced cost)."""
        omitted = np.nonzero(~self.col_present[self.generated])[0]
        if not len(omitted):
            return 0, 0, 0.0
        columns = self.generated[omitted]
        reduced = self.matrix.reduced_costs(columns, row_dual)
        attractive = reduced < -PRICING_TOLERANCE * (1.0 + np.abs(self.matrix.cost[columns]))
        if not attractive.any():
            return 0, 0, float(reduced.min())
        chosen, reduced_chosen = omitted[attractive], reduced[attractive]
        order = np.lexsort((reduced_chosen, self.group[chosen]))  # by group, most negative first
        chosen, groups = chosen[order], self.group[chosen[order]]
        rank = np.arange(len(chosen)) - np.searchsorted(groups, groups)
        chosen = chosen[rank < self.per_group]
        rows_before = len(self.rows)
        self._add(self.generated[chosen])
        return len(chosen), len(self.rows) - rows_before, float(reduced.min())

    def _add(self, columns: np.ndarray) -> None:
        """Add global `columns` to the model, first any row they touch that is not there yet."""
        touched = np.unique(self.matrix.column_block(columns).indices)
        new_rows = touched[~self.row_present[touched] & self.row_allowed[touched]]
        if len(new_rows):
            self._add_rows(new_rows)
        start, index, value = column_entries(self.matrix, columns, self.local_row)
        status = self.highs.addCols(
            len(columns),
            self.matrix.cost[columns],
            self.matrix.lower[columns],
            highs_bound(self.upper[columns]),
            len(value),
            start[:-1].astype(np.int32),
            index.astype(np.int32),
            value,
        )
        _check(status, "addCols")
        self.col_present[columns] = True
        self.columns = np.concatenate([self.columns, columns])

    def _add_rows(self, rows: np.ndarray) -> None:
        """Add `rows` with their entries in columns already in the model (e.g. extra theatre days)."""
        self.local_row[rows] = np.arange(len(self.rows), len(self.rows) + len(rows))
        self.row_present[rows] = True
        self.rows = np.concatenate([self.rows, rows])
        local_col = np.full(self.matrix.n_cols, -1)
        local_col[self.columns] = np.arange(len(self.columns))
        block = self.matrix.row_block(rows)
        row = np.repeat(np.arange(len(rows)), np.diff(block.indptr))  # position within `rows`
        keep = self.col_present[block.indices]
        row, col, value = row[keep], block.indices[keep], block.data[keep]
        counts = np.bincount(row, minlength=len(rows))
        status = self.highs.addRows(
            len(rows),
            highs_bound(self.matrix.row_lower[rows]),
            highs_bound(self.matrix.row_upper[rows]),
            len(value),
            np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32),
            local_col[col].astype(np.int32),
            value,
        )
        _check(status, "addRows")

    # -- variants --------------------------------------------------------------------------------

    def update(self, matrix: LpMatrix, settings: SolveSettings | None = None) -> None:
        """Take the costs, bounds and offset of `matrix` (same structure), keeping model and basis.

        Omitted rows that zero no longer satisfies bring in their columns, as at the start.
        """
        if not self.matrix.same_structure(matrix):
            raise ValueError("the variant changes the LP's structure; build a new master")
        self.matrix = matrix
        self.settings = settings or self.settings
        self.upper = flippable_upper(matrix, self.generated)
        local_cols = np.arange(len(self.columns), dtype=np.int32)
        _check(self.highs.changeColsCost(len(local_cols), local_cols, matrix.cost[self.columns]), "changeColsCost")
        status = self.highs.changeColsBounds(
            len(local_cols), local_cols, matrix.lower[self.columns], highs_bound(self.upper[self.columns])
        )
        _check(status, "changeColsBounds")
        local_rows = np.arange(len(self.rows), dtype=np.int32)
        status = self.highs.changeRowsBounds(
            len(local_rows),
            local_rows,
            highs_bound(matrix.row_lower[self.rows]),
            highs_bound(matrix.row_upper[self.rows]),
        )
        _check(status, "changeRowsBounds")
        _check(self.highs.changeObjectiveOffset(matrix.offset), "changeObjectiveOffset")
        needed = self.generated[self._needed_by_rows(matrix)]
        missing = needed[~self.col_present[needed]]
        if len(missing):
            self._add(missing)
        empty_but_binding = np.nonzero(~self._zero_feasible(matrix) & ~self.row_present)[0]
        if len(empty_but_binding):  # a row no column can serve: HiGHS will call the model infeasible
            self._add_rows(empty_but_binding)
        self.log = ColumnGenerationLog(generated_columns=len(self.generated))
        # a new cost vector can make the old basis dual infeasible in many places: dual simplex first
        self.highs.setOptionValue("simplex_strategy", _SIMPLEX_DUAL)


def flippable_upper(matrix: LpMatrix, generated: np.ndarray) -> np.ndarray:
    """`matrix.upper`, with each generated column bounded `FLIP_BOUND_MARGIN` above what its rows imply.

    A bound that no feasible point reaches changes neither the feasible set nor the optimal duals
    (no column can end at it); being far tighter than a flow's own bound, it makes the dual simplex's
    re-solves after columns are added shorter (see the module docstring).
    """
    upper = matrix.upper.copy()
    implied = np.maximum(matrix.implied_upper()[generated], 0.0) + FLIP_BOUND_MARGIN
    upper[generated] = np.maximum(np.minimum(upper[generated], implied), matrix.lower[generated])
    return upper


def _return_freed_memory() -> None:
    """Hand memory that the parts' HiGHS models freed back to the system before the whole master grows.

    glibc keeps what a thread frees in that thread's arena, so after the parts (solved on threads)
    the process would stay at its high-water mark while the whole master allocates anew. No-op
    where the C library is not glibc.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _new_highs(settings: SolveSettings) -> highspy.Highs:
    """A silent highspy model solved by simplex (the method that keeps a basis for warm starts)."""
    h = new_highs(settings)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_strategy", _SIMPLEX_DUAL)
    return h


def _check(status: highspy.HighsStatus, call: str) -> None:
    """A HiGHS call that returned an error leaves the model wrong: stop instead of solving it."""
    if status == highspy.HighsStatus.kError:
        raise MasterError("error", f"HiGHS refused {call} while building the restricted master")
