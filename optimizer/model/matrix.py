"""A `Formulation` flattened into one numbered LP: columns block after block, rows family after family.

min cost·x + offset  s.t.  row_lower ≤ A x ≤ row_upper,  lower ≤ x ≤ upper, with A a
`scipy.sparse.csc_array` (by column: column generation adds columns) and its CSR copy made on
first use (by row: rows are added with their entries). This is the form highspy takes directly
(`optimizer.solvers.highs.highs_lp`); the same `Formulation` is what the Pyomo adapter turns into a
Pyomo model, so every path solves one LP.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from optimizer.model.formulation import Formulation


@dataclass
class LpMatrix:
    """The numbered LP. `col_offset[block]` and `row_offset[family]` place each block and family."""

    col_offset: dict[str, int]
    row_offset: dict[str, int]
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    A: sparse.csc_array  # canonical: row indices sorted within each column
    offset: float

    @classmethod
    def from_formulation(cls, form: Formulation) -> LpMatrix:
        """Number the blocks' columns and the families' rows in the order the formulation made them."""
        col_offset, n_cols = _offsets({name: block.size for name, block in form.blocks.items()})
        row_offset, n_rows = _offsets({name: family.size for name, family in form.families.items()})
        terms = [(family.name, term) for family in form.families.values() for term in family.terms]
        rows = _concat([t.row + row_offset[name] for name, t in terms], int)
        cols = _concat([t.col + col_offset[t.block] for _, t in terms], int)
        vals = _concat([t.coef for _, t in terms], float)
        blocks, families = form.blocks.values(), form.families.values()
        return cls(
            col_offset=col_offset,
            row_offset=row_offset,
            cost=_concat([b.cost for b in blocks], float),
            lower=_concat([b.lower for b in blocks], float),
            upper=_concat([b.upper for b in blocks], float),
            row_lower=_concat([f.lower for f in families], float),
            row_upper=_concat([f.upper for f in families], float),
            A=sparse.coo_array((vals, (rows, cols)), shape=(n_rows, n_cols)).tocsc(),
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
        return self.A.nnz

    def columns_of(self, block: str, size: int) -> np.ndarray:
        """Global column numbers of `block` (of `size` columns)."""
        return np.arange(self.col_offset[block], self.col_offset[block] + size)

    def column_block(self, columns: np.ndarray) -> sparse.csc_array:
        """A[:, columns], by column (every row kept, so its row indices are global)."""
        return self.A[:, columns]

    def row_block(self, rows: np.ndarray) -> sparse.csr_array:
        """A[rows, :], by row (every column kept, so its column indices are global)."""
        return self._by_row[rows, :]

    @cached_property
    def _by_row(self) -> sparse.csr_array:
        return self.A.tocsr()

    def reduced_costs(self, columns: np.ndarray, row_dual: np.ndarray) -> np.ndarray:
        """cost_j − Σ_i A_ij · row_dual_i for `columns` (HiGHS's sign: ≥ 0 at a minimum, at lower bound)."""
        return self.cost[columns] - self.column_block(columns).T @ row_dual

    def same_structure(self, other: LpMatrix) -> bool:
        """True when only costs, bounds and the offset differ: then one model (and its basis) serves both."""
        return (
            self.col_offset == other.col_offset
            and self.row_offset == other.row_offset
            and self.A.shape == other.A.shape  # offsets miss the last block's size
            and np.array_equal(self.A.indptr, other.A.indptr)
            and np.array_equal(self.A.indices, other.A.indices)
            and np.array_equal(self.A.data, other.A.data)
        )

    def implied_upper(self) -> np.ndarray:
        """The upper bound on each column that its ≤ rows imply (+inf where none does).

        Row i gives a_ij x_j ≤ row_upper_i − Σ_{a_ik < 0} a_ik upper_k for a_ij > 0, when every
        column of the row has lower ≥ 0 (its other positive terms are then ≥ 0) and every negative
        entry's column a finite upper bound. Each feasible point satisfies the bound.
        """
        entries = self.A.tocoo()
        row, column, value = entries.row, entries.col, entries.data
        negative = value < 0
        usable = np.isfinite(self.row_upper)
        usable[row[self.lower[column] < 0]] = False
        usable[row[negative & ~np.isfinite(self.upper[column])]] = False
        finite_upper = np.where(np.isfinite(self.upper), self.upper, 0.0)
        least_of_negatives = np.bincount(
            row[negative], value[negative] * finite_upper[column[negative]], minlength=self.n_rows
        )
        room = self.row_upper - least_of_negatives  # what the row leaves for its positive terms
        bounding = (value > 0) & usable[row]
        bound = np.full(self.n_cols, np.inf)
        np.minimum.at(bound, column[bounding], room[row[bounding]] / value[bounding])
        return bound


def _offsets(sizes: dict[str, int]) -> tuple[dict[str, int], int]:
    offsets, total = {}, 0
    for name, size in sizes.items():
        offsets[name] = total
        total += size
    return offsets, total


def _concat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)
