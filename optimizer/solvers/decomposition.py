"""Independent parts of a sub-LP, and the rows that join would-be parts.

Column generation solves the parts of its first master one by one (`optimizer.solvers.column_generation`);
two parts share no row, so their optima together are the whole's. `linking_rows` finds the rows
that keep an LP in one piece (those whose columns belong to more than one part, e.g. specialty), so
that without them it splits.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from optimizer.model.matrix import LpMatrix


def components(matrix: LpMatrix, columns: np.ndarray, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Independent parts of the sub-LP `columns` × `rows`: (local columns, local rows) per part.

    Connected components of the bipartite graph of columns and rows joined by nonzeros.
    """
    every_column = len(columns) == matrix.n_cols  # `columns` are sorted and distinct
    block = matrix.A if every_column else matrix.column_block(columns)  # no copy of the whole matrix
    local_row = np.full(matrix.n_rows, -1)
    local_row[rows] = np.arange(len(rows))
    n_cols, n_rows = len(columns), len(rows)
    col_of_entry = np.repeat(np.arange(n_cols), np.diff(block.indptr))
    row_of_entry = local_row[block.indices]
    present = row_of_entry >= 0  # an entry in a row left out of `rows` links nothing
    col_of_entry, row_of_entry = col_of_entry[present], row_of_entry[present] + n_cols
    ones = np.ones(len(col_of_entry), dtype=np.int8)
    graph = coo_array((ones, (col_of_entry, row_of_entry)), shape=(n_cols + n_rows,) * 2)
    _, labels = connected_components(graph, directed=False)
    col_labels, row_labels = labels[:n_cols], labels[n_cols:]
    col_order, row_order = np.argsort(col_labels, kind="stable"), np.argsort(row_labels, kind="stable")
    parts = []
    for label in np.unique(labels):
        cols = col_order[
            np.searchsorted(col_labels[col_order], label) : np.searchsorted(col_labels[col_order], label, "right")
        ]
        part_rows = row_order[
            np.searchsorted(row_labels[row_order], label) : np.searchsorted(row_labels[row_order], label, "right")
        ]
        parts.append((cols, part_rows))
    return parts


def linking_rows(matrix: LpMatrix, labels: np.ndarray) -> np.ndarray:
    """Mask of the rows whose labelled columns carry more than one label.

    `labels[j]` names the part column j belongs to (e.g. its specialty), −1 for no label. A row with
    columns of two labels (bed-days of a hospital, an agreement or budget over several specialties)
    joins their parts; without these rows the LP falls apart along the labels, or into fewer parts
    where unlabelled columns still join them. Reads A's arrays in place: no copy of the matrix.
    """
    A = matrix.A
    label_of_entry = np.repeat(labels, np.diff(A.indptr))
    labelled = label_of_entry >= 0
    row_of_entry, label_of_entry = A.indices[labelled], label_of_entry[labelled]
    some_label = np.full(matrix.n_rows, -1, dtype=labels.dtype)
    some_label[row_of_entry] = label_of_entry  # one of each row's labels (the last entry's)
    mixed = np.zeros(matrix.n_rows, dtype=bool)
    mixed[row_of_entry[label_of_entry != some_label[row_of_entry]]] = True
    return mixed
