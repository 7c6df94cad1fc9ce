"""Weekly re-planning from last week's plan: bookings, frozen weeks, a change penalty, what changed.

`replan(scenario, previous=...)` plans `scenario` anchored to a previous plan's whole-patient
proposals (a `PlanResult`, or the results folder of `capplan run`/`capplan replan`, whose
`proposals.csv` it reads):

1. **Frozen weeks.** The previous proposals that fall in the first `policy.frozen_weeks` weeks of
   the new plan become bookings (status `booked` at that hospital and week) for patients still
   waiting: fixed treatments that use capacity and are never moved (`book_frozen`).
2. **Change penalty.** The other previous proposals of patients still waiting anchor the LP: per
   (flow group, hospital, week) `weights.change` per proposal the new plan does not keep there, and
   per (flow group, week) `weights.change` per patient the plan treats before or after the end of
   that week against the previous plan's LP flows (`week_drift`: it keeps the order's weeks; only
   when the previous plan's flows are known: a `PlanResult`, or a results folder with
   allocations.csv). `optimizer.model.anchor`, exact and linear, in both solve strategies and the
   evaluator.
3. **Stable patients.** Within each flow group and week the whole-patient proposals give a patient
   their previous hospital where the plan has a place for them (`optimizer.results.proposals`).
4. **What changed** (`changes`): per patient, the previous and new hospital and week and the kind
   of change: `moved hospital`, `moved week`, `newly proposed`, `no longer proposed`. Previous
   proposals before the new plan's first week are in the past and are not compared.

With `weights.change: 0` the re-plan is a fresh plan of the same data (the dataset with the frozen
weeks booked): the same objective (tested).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from models.contract import BOOKED
from models.dataset import Dataset
from models.errors import Problem, ScenarioError
from models.scenario import Scenario
from models.weeks import week_labels
from optimizer.planning import dataset_for, plan, resolve_scenario
from optimizer.results.plan_result import PlanResult
from optimizer.results.proposals import PATIENT_KEYS
from optimizer.solvers.strategy import Progress

log = logging.getLogger(__name__)

#: The file of a results folder that holds the patient-level proposals.
PROPOSALS_FILE = "proposals.csv"
#: The file of a results folder that holds the LP's flows.
FLOWS_FILE = "allocations.csv"
#: Columns the previous plan's LP flows must have.
PREVIOUS_FLOW_COLUMNS = ["region_id", "listed_hospital_id", "procedure_id", "class", "hospital_id", "week", "patients"]
#: Columns a previous plan's proposals must have.
PREVIOUS_COLUMNS = [*PATIENT_KEYS, "region_id", "listed_hospital_id", "class", "hospital_id", "week"]
CHANGE_COLUMNS = [
    "patient_id",
    "procedure_id",
    "region_id",
    "previous_hospital_id",
    "previous_week",
    "hospital_id",
    "week",
    "change",
]
#: The kinds of change, in the order reports list them.
CHANGE_KINDS = ("moved hospital", "moved week", "newly proposed", "no longer proposed")


def previous_proposals(previous: PlanResult | str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    """The previous plan's patient proposals (`PREVIOUS_COLUMNS`) from a result, a results folder or a table."""
    if isinstance(previous, PlanResult):
        table = previous.proposals
    elif isinstance(previous, pd.DataFrame):
        table = previous
    else:
        path = Path(previous)
        file = path / PROPOSALS_FILE if path.is_dir() else path
        if not file.is_file():
            raise ScenarioError([Problem(str(path), None, None, f"no {PROPOSALS_FILE}: not the results of a plan")])
        table = pd.read_csv(file, dtype=str, keep_default_na=False)
    missing = [c for c in PREVIOUS_COLUMNS if c not in table.columns]
    if missing:
        raise ScenarioError([Problem(PROPOSALS_FILE, 1, c, "required column is missing") for c in missing])
    return table[PREVIOUS_COLUMNS].astype(str).drop_duplicates(PATIENT_KEYS).reset_index(drop=True)


def previous_flows(previous: PlanResult | str | os.PathLike | pd.DataFrame) -> pd.DataFrame | None:
    """The previous plan's LP flows (`PREVIOUS_FLOW_COLUMNS`), or None when only its proposals are
    given (a table, or a results folder without allocations.csv). They anchor each flow group's
    weekly schedule (`optimizer.model.anchor` says why the LP's and not the whole-patient plan's)."""
    if isinstance(previous, PlanResult):
        table = previous.lp.allocations
    elif isinstance(previous, pd.DataFrame):
        return None
    else:
        path = Path(previous)
        file = path / FLOWS_FILE if path.is_dir() else path.parent / FLOWS_FILE
        if not file.is_file():
            return None
        table = pd.read_csv(file, dtype={"week": str}, keep_default_na=False)
    missing = [c for c in PREVIOUS_FLOW_COLUMNS if c not in table.columns]
    if missing:
        raise ScenarioError([Problem(FLOWS_FILE, 1, c, "required column is missing") for c in missing])
    table = table[PREVIOUS_FLOW_COLUMNS].copy()
    table["patients"] = pd.to_numeric(table["patients"], errors="coerce")
    bad = table["patients"].isna() | (table["patients"] < 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2  # the header is line 1
        raise ScenarioError([Problem(FLOWS_FILE, row, "patients", "must be a number ≥ 0")])
    return table.astype({c: str for c in PREVIOUS_FLOW_COLUMNS[:-1]})


def book_frozen(dataset: Dataset, previous: pd.DataFrame, scenario: Scenario) -> tuple[Dataset, int]:
    """`dataset` with the previous proposals in the first `policy.frozen_weeks` weeks booked, and how many.

    Only patients still `waiting` are booked; the rest of the list is as it was.
    """
    frozen_weeks = week_labels(scenario.start_week, scenario.horizon_weeks)[: scenario.policy.frozen_weeks]
    frozen = previous[previous["week"].isin(frozen_weeks)].set_index(PATIENT_KEYS)
    waiting = dataset.waiting_list.copy()
    for column, default in (("booked_hospital_id", None), ("booked_week", "")):
        if column not in waiting:
            waiting[column] = default
    keys = pd.MultiIndex.from_frame(waiting[PATIENT_KEYS])
    booked = keys.isin(frozen.index) & (waiting["status"] == "waiting").to_numpy()
    at = frozen.reindex(keys[booked])
    waiting["booked_hospital_id"] = waiting["booked_hospital_id"].astype(object)
    waiting["booked_week"] = waiting["booked_week"].astype(object)
    waiting.loc[booked, "status"] = BOOKED
    waiting.loc[booked, "booked_hospital_id"] = at["hospital_id"].to_numpy()
    waiting.loc[booked, "booked_week"] = at["week"].to_numpy()
    return dataset.with_tables(waiting_list=waiting), int(booked.sum())


def replan(
    scenario: Scenario | str | os.PathLike | None,
    previous: PlanResult | str | os.PathLike | pd.DataFrame,
    *,
    dataset: Dataset | None = None,
    progress: Progress | None = None,
) -> PlanResult:
    """Re-plan `scenario` from a previous plan (see the module docstring); the result's
    `extra_summary["changes"]` (summary.json) holds the counts of `changes(result)`, the frozen
    proposals booked, the previous proposals within the plan's weeks and the share of them changed."""
    scenario, base_dir = resolve_scenario(scenario)
    if dataset is None:
        dataset = dataset_for(scenario, base_dir)
    before = previous_proposals(previous)
    booked, n_booked = book_frozen(dataset, before, scenario)
    result = plan(scenario, dataset=booked, progress=progress, previous=before, previous_flows=previous_flows(previous))
    counts = change_counts(changes(result))
    compared = int(before["week"].isin(result.instance.weeks).sum())
    result.extra_summary["changes"] = {
        **counts,
        "frozen_bookings": n_booked,
        "previous_proposals": compared,
        "changed_share": counts["changed"] / compared if compared else 0.0,
    }
    log.info("re-planned %s: %d frozen proposals booked, %d changed", scenario.name, n_booked, counts["changed"])
    return result


def changes(result: PlanResult) -> pd.DataFrame:
    """What changed against the previous plan, one row per patient whose proposal changed
    (`CHANGE_COLUMNS`); empty for a plan that is no re-plan."""
    previous = result.instance.previous
    if previous is None:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    weeks = set(result.instance.weeks)
    before = previous[previous["week"].isin(weeks)][[*PATIENT_KEYS, "region_id", "hospital_id", "week"]]
    now = result.proposals[[*PATIENT_KEYS, "region_id", "hospital_id", "week"]].astype({"week": str})
    table = before.merge(now, on=PATIENT_KEYS, how="outer", suffixes=("_previous", ""), indicator=True)
    table["region_id"] = table["region_id"].fillna(table["region_id_previous"])
    table = table.rename(columns={"hospital_id_previous": "previous_hospital_id", "week_previous": "previous_week"})
    kind = pd.Series("", index=table.index, dtype=object)
    both = table["_merge"] == "both"
    kind[both & (table["hospital_id"] != table["previous_hospital_id"])] = "moved hospital"
    kind[both & (table["hospital_id"] == table["previous_hospital_id"]) & (table["week"] != table["previous_week"])] = (
        "moved week"
    )
    kind[table["_merge"] == "right_only"] = "newly proposed"
    kind[table["_merge"] == "left_only"] = "no longer proposed"
    table["change"] = kind
    table = table[kind != ""].sort_values(["change", "region_id", "patient_id"])
    return table[CHANGE_COLUMNS].reset_index(drop=True)


def change_counts(table: pd.DataFrame) -> dict:
    """Patients per kind of change, and `changed`: the previous proposals not kept (all kinds but new)."""
    counts = {kind: int((table["change"] == kind).sum()) for kind in CHANGE_KINDS}
    counts["changed"] = counts["moved hospital"] + counts["moved week"] + counts["no longer proposed"]
    return counts
