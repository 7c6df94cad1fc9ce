"""The previous plan a re-plan is anchored to: its proposals counted per flow column.

A re-plan (`optimizer.replan`) keeps the previous whole-patient proposals stable with a change
penalty. Proposals are counted per cell c = (flow group, hospital, week): P_c previous proposals.
The LP keeps kept_c ≤ P_c of them, kept_c ≤ y_c (the patients it plans in that cell), and pays
`weights.change` per proposal not kept: change · (Σ P − Σ kept) (`formulation.add_change_penalty`).
At an optimum kept_c = min(P_c, y_c), so the penalty is exactly change · Σ_c max(0, P_c − y_c), the
term `changed_proposals` that the tables and the independent evaluator compute from the flows.
A cell with no flow column in the new LP (no capacity that week, an arc no longer eligible) can
keep nothing: its proposals count as changed whatever the plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A previous proposal's cell: the flow group, the hospital and the ISO week.
CELL_KEYS = ["region_id", "listed_hospital_id", "procedure_id", "class", "hospital_id", "week"]
ANCHOR_COLUMNS = [*CELL_KEYS, "previous", "flow"]


def anchor_cells(previous: pd.DataFrame | None, flows: pd.DataFrame, weeks: list[str]) -> pd.DataFrame:
    """P_c per cell of the `previous` proposals (one row per patient, `CELL_KEYS` columns) that fall
    in the plan's `weeks`, with the `flow` column of `flows` (the instance's) it is, or −1."""
    if previous is None or previous.empty:
        return pd.DataFrame(columns=ANCHOR_COLUMNS).astype({"previous": float, "flow": "int64"})
    inside = previous[previous["week"].isin(weeks)]
    cells = inside.groupby(CELL_KEYS, as_index=False).size().rename(columns={"size": "previous"})
    cells["previous"] = cells["previous"].astype(float)
    week_of = {label: t for t, label in enumerate(weeks, start=1)}
    columns = flows[CELL_KEYS[:-1] + ["t"]].reset_index(names="flow")
    cells = cells.assign(t=cells["week"].map(week_of)).merge(columns, on=CELL_KEYS[:-1] + ["t"], how="left")
    cells["flow"] = cells["flow"].fillna(-1).astype("int64")
    return cells[ANCHOR_COLUMNS]


def changed_proposals(anchor: pd.DataFrame, y: np.ndarray) -> float:
    """Σ_c max(0, P_c − y_c): previous proposals a flow vector `y` (of the instance's flows) does not keep."""
    if anchor.empty:
        return 0.0
    flow = anchor["flow"].to_numpy()
    planned = np.where(flow >= 0, y[np.maximum(flow, 0)], 0.0)
    return float(np.maximum(anchor["previous"].to_numpy() - planned, 0.0).sum())
