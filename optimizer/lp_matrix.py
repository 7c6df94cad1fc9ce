"""A `Formulation` flattened into one numbered LP: columns block after block, rows family after family.

This is the form highspy takes directly (no Pyomo): column costs and bounds, row bounds and the
constraint matrix as sparse arrays, kept both by column (CSC, to add columns) and by row (to add
rows). Column generation (`optimizer.colgen`) and the benchmark's reference path read it; the same
`Formulation` is what `optimizer.build` turns into the Pyomo model, so all paths solve one LP.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import highspy
import numpy as np

from optimizer.formulation import Formulation

INF = highspy.kHighsInf


@dataclass
class LpMatrix:
    """min cost·x + offset  s.t.  row_lower ≤ A x ≤ row_upper,  lower ≤ x ≤ upper.

    A is held by column (`start`, `index`, `value`: CSC) and, through `by_row` / `row_start`, by row.
    `col_offset[block]` and `row_offset[family]` place each block and family in the numbering.
    """

    col_offset: dict[str, int]
    row_offset: dict[str, int]
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray  # CSC column starts, length n_cols + 1
    index: np.ndarray  # row of each entry, column by column
    value: np.ndarray
    offset: float

    @classmethod
    def from_formulation(cls, form: Formulation) -> LpMatrix:
        col_offset, n_cols = _offsets({name: block.size for name, block in form.blocks.items()})
        row_offset, _ = _offsets({name: family.size for name, family in form.families.items()})
        terms = [(family.name, term) for family in form.families.values() for term in family.terms]
        rows = np.concatenate([t.row + row_offset[name] for name, t in terms]) if terms else np.zeros(0, int)
        cols = np.concatenate([t.col + col_offset[t.block] for _, t in terms]) if terms else np.zeros(0, int)
        vals = np.concatenate([t.coef for _, t in terms]) if terms else np.zeros(0)
        order = np.lexsort((rows, cols))
        blocks, families = form.blocks.values(), form.families.values()
        return cls(
            col_offset=col_offset,
            row_offset=row_offset,
            cost=_concat([b.cost for b in blocks]),
            lower=_concat([b.lower for b in blocks]),
            upper=_concat([b.upper for b in blocks]),
            row_lower=_concat([f.lower for f in families]),
            row_upper=_concat([f.upper for f in families]),
            start=np.searchsorted(cols[order], np.arange(n_cols + 1)),
            index=rows[order],
            value=vals[order],
            offset=form.objective_constant,
        )

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    @property
    def nonzeros(self) -> int:
        return len(self.value)

    def columns_of(self, block: str, size: int) -> np.ndarray:
        """Global column numbers of `block` (of `size` columns)."""
        return np.arange(self.col_offset[block], self.col_offset[block] + size)

    def column_entries(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the entries of `columns` in (`index`, `value`), and each column's entry count."""
        begin, end = self.start[columns], self.start[columns + 1]
        counts = end - begin
        return _ranges(begin, counts), counts

    def row_entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, value) of every entry in `rows`, row after row."""
        by_row, row_start = self._row_view
        positions = by_row[_ranges(row_start[rows], row_start[rows + 1] - row_start[rows])]
        columns = np.searchsorted(self.start, positions, side="right") - 1
        return self.index[positions], columns, self.value[positions]

    @cached_property
    def _row_view(self) -> tuple[np.ndarray, np.ndarray]:
        """Entry positions sorted by row, and where each row starts among them (made on first use)."""
        by_row = np.argsort(self.index, kind="stable")
        return by_row, np.searchsorted(self.index[by_row], np.arange(self.n_rows + 1))

    def reduced_costs(self, columns: np.ndarray, row_dual: np.ndarray) -> np.ndarray:
        """cost_j − Σ_i A_ij · row_dual_i for `columns` (HiGHS's sign: ≥ 0 at a minimum, at lower bound)."""
        positions, counts = self.column_entries(columns)
        owner = np.repeat(np.arange(len(columns)), counts)
        priced = np.bincount(owner, self.value[positions] * row_dual[self.index[positions]], minlength=len(columns))
        return self.cost[columns] - priced

    def same_structure(self, other: LpMatrix) -> bool:
        """True when only costs, bounds and the offset differ: then one model (and its basis) serves both."""
        return (
            self.col_offset == other.col_offset
            and self.row_offset == other.row_offset
            and (self.n_cols, self.n_rows) == (other.n_cols, other.n_rows)  # offsets miss the last block's size
            and np.array_equal(self.start, other.start)
            and np.array_equal(self.index, other.index)
            and np.array_equal(self.value, other.value)
        )

    def implied_upper(self) -> np.ndarray:
        """The upper bound on each column that its ≤ rows imply (+inf where none does).

        Row i gives a_ij x_j ≤ row_upper_i − Σ_{a_ik < 0} a_ik upper_k for a_ij > 0, when every
        column of the row has lower ≥ 0 (its other positive terms are then ≥ 0) and every negative
        entry's column a finite upper bound. Each feasible point satisfies the bound.
        """
        column = np.repeat(np.arange(self.n_cols), np.diff(self.start))
        negative = self.value < 0
        usable = np.isfinite(self.row_upper)
        usable[self.index[self.lower[column] < 0]] = False
        usable[self.index[negative & ~np.isfinite(self.upper[column])]] = False
        finite_upper = np.where(np.isfinite(self.upper), self.upper, 0.0)
        least_of_negatives = np.bincount(
            self.index[negative], self.value[negative] * finite_upper[column[negative]], minlength=self.n_rows
        )
        room = self.row_upper - least_of_negatives  # what the row leaves for its positive terms
        bounding = (self.value > 0) & usable[self.index]
        bound = np.full(self.n_cols, np.inf)
        np.minimum.at(bound, column[bounding], room[self.index[bounding]] / self.value[bounding])
        return bound

    def highs_lp(self, columns: np.ndarray, rows: np.ndarray, upper: np.ndarray | None = None) -> highspy.HighsLp:
        """The sub-LP of `columns` × `rows` (both sorted global numbers) as a highspy model.

        Every entry of `columns` must lie in `rows`. `upper` (global numbering) replaces the columns'
        upper bounds if given.
        """
        local_row = np.full(self.n_rows, -1)
        local_row[rows] = np.arange(len(rows))
        positions, counts = self.column_entries(columns)
        return highs_lp_from_arrays(
            cost=self.cost[columns],
            lower=self.lower[columns],
            upper=(self.upper if upper is None else upper)[columns],
            row_lower=self.row_lower[rows],
            row_upper=self.row_upper[rows],
            start=np.concatenate([[0], np.cumsum(counts)]),
            index=local_row[self.index[positions]],
            value=self.value[positions],
            offset=self.offset,
        )


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


def _offsets(sizes: dict[str, int]) -> tuple[dict[str, int], int]:
    offsets, total = {}, 0
    for name, size in sizes.items():
        offsets[name] = total
        total += size
    return offsets, total


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _ranges(begin: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated aranges begin[k] .. begin[k] + counts[k] - 1, vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    steps = np.ones(total, dtype=np.int64)
    steps[0] = begin[0]
    nonempty = np.nonzero(counts)[0]
    # at the first entry of each non-empty range, jump from the previous range's last entry to its begin
    firsts = ends[nonempty] - counts[nonempty]
    previous_last = np.concatenate([[begin[0] - 1], (begin[nonempty] + counts[nonempty] - 1)[:-1]])
    steps[firsts] = begin[nonempty] - previous_last
    steps[0] = begin[nonempty[0]]
    return np.cumsum(steps)
