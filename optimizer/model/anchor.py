"""The previous plan a re-plan is anchored to: its proposals counted per flow column.

A re-plan (`optimizer.replan`) keeps the previous whole-patient proposals stable with a change
penalty. Proposals are counted per cell c = (flow group, hospital, week): P_c previous proposals.
The LP keeps kept_c ≤ P_c of them, kept_c ≤ y_c (the patients it plans in that cell), and pays
`weights.change` per proposal not kept: change · (Σ P − Σ kept) (`formulation.add_change_penalty`).
At an optimum kept_c = min(P_c, y_c), so the penalty is exactly change · Σ_c max(0, P_c − y_c), the
term `changed_proposals` that the tables and the independent evaluator compute from the flows.
A cell with no flow column in the new LP (no capacity that week, an arc no longer eligible) can
keep nothing: its proposals count as changed whatever the plan.

Cell counts alone do not keep patients' weeks: earliest deadline first decides *which* patients a
group treats each week from the group's cumulative count. One patient more in an early week moves
the last patient of every later week one week earlier although every later cell holds its previous
count (measured: ~2,000 such moves on summer-karlstad, benchmarks/STABILITY.md). So each group's
schedule is anchored too. C_g(t) = the previous plan's LP flows of group g up to week t
(`schedule_cells`: forecast patients included, since urgent new decisions are treated before older
routine patients; less the previous proposals of patients no longer waiting, e.g. booked in a frozen
week), and the term `week_drift` = Σ_{g,t} |S_g(t) − C_g(t)|, S_g(t) the patients the plan treats in
g up to week t: with S = C the order serves the same patients in the same weeks, and each unit is a
patient on the other side of week t's end than before. After the group's last previous treatment
(C_g(t) = C_g(T)) being ahead moves nobody planned, so "ahead" counts only while C_g(t) < C_g(T).
It is weighed by `weights.change` too. Without the previous flows (proposals alone) there is no
schedule anchor.

Why the previous *LP* flows and not its whole-patient plan: the whole-patient plan is a few per cent
above the LP (rounding), so a new LP anchored to it pays to stay on a worse schedule and still
drifts where moving gains more than the weight; anchored to the previous LP it stays on the previous
optimum wherever the data did not change, and the same rounding then hands out the same patients.
Measured on summer-karlstad from the default plan (weight 10, benchmarks/STABILITY.md): anchored to
the whole-patient flows 6.2 % of proposals changed for +1.75 % LP objective; to the LP flows 3.6 %
for +0.06 %. The whole-patient plan's own `week_drift` is then its distance from the previous LP
schedule (fractional), larger than the patients it moves: `changes` counts those.
"""

from __future__ import annotations

from dataclasses import dataclass

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


#: A flow group's previous schedule cell: the group and the ISO week.
SCHEDULE_KEYS = [*CELL_KEYS[:-2], "week"]


def schedule_cells(
    previous_flows: pd.DataFrame | None, gone: pd.DataFrame | None, weeks: list[str]
) -> pd.DataFrame | None:
    """Patients per flow group and week of the plan's `weeks` in the previous plan: its LP flows
    (allocations.csv columns) less the previous proposals `gone` (one row per patient) of patients
    who no longer wait to be planned. None without previous flows."""
    if previous_flows is None:
        return None
    flows = previous_flows[previous_flows["week"].astype(str).isin(weeks)]
    planned = flows.groupby(SCHEDULE_KEYS)["patients"].sum().astype(float)
    if gone is not None and not gone.empty:
        left = gone[gone["week"].isin(weeks)].groupby(SCHEDULE_KEYS).size().astype(float)
        planned = planned.sub(left, fill_value=0.0).clip(lower=0.0)
    return planned.rename("previous").reset_index()


@dataclass(frozen=True)
class PreviousSchedule:
    """C_g(t) per anchored flow group (see the module docstring).

    `group[k]` is the instance's flow group of anchored group k (−1: no such group in the new
    instance, so nothing it plans can keep them) and `cumulative[k, t−1]` = C_g(t).
    """

    group: np.ndarray
    cumulative: np.ndarray

    @property
    def ahead_counts(self) -> np.ndarray:
        """Whether being ahead of C_g(t) in week t moves a previous treatment: C_g(t) < C_g(T)."""
        return self.cumulative < self.cumulative[:, -1:] - 1e-9


def previous_schedule(schedule: pd.DataFrame | None, groups: pd.DataFrame, weeks: list[str]) -> PreviousSchedule:
    """C_g(t) of the `schedule` cells (`schedule_cells`) per flow group of `groups` (GROUP_KEYS columns)."""
    if schedule is None or schedule.empty:
        return PreviousSchedule(np.zeros(0, dtype=np.int64), np.zeros((0, len(weeks))))
    keys = SCHEDULE_KEYS[:-1]
    per_week = schedule.pivot_table(index=keys, columns="week", values="previous", aggfunc="sum", fill_value=0.0)
    per_week = per_week.reindex(columns=weeks, fill_value=0.0)
    position = groups[keys].reset_index(names="group").set_index(keys)["group"]
    group = position.reindex(per_week.index).fillna(-1).astype("int64").to_numpy()
    return PreviousSchedule(group, np.cumsum(per_week.to_numpy(dtype=float), axis=1))


def week_drift(schedule: PreviousSchedule, treated_cumulative: np.ndarray) -> float:
    """Σ_{g,t} |S_g(t) − C_g(t)| (ahead only while C_g(t) < C_g(T)) for S = `treated_cumulative`
    (flow groups × weeks, the plan's patients treated per group up to each week's end)."""
    if len(schedule.group) == 0:
        return 0.0
    inside = schedule.group >= 0
    planned = np.zeros_like(schedule.cumulative)
    planned[inside] = treated_cumulative[schedule.group[inside]]
    behind = np.maximum(schedule.cumulative - planned, 0.0)
    ahead = np.where(schedule.ahead_counts, np.maximum(planned - schedule.cumulative, 0.0), 0.0)
    return float(behind.sum() + ahead.sum())
