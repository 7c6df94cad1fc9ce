"""Applying a scenario's changes to a dataset: capacity, beds, demand, closures, capabilities.

Each change type is one small function; `apply_changes` returns a new `Dataset` (the base is never
modified). Extra capacity is not applied here: it becomes LP variables (`optimizer.model.instance`).
A change that names an unknown hospital, specialty, region or procedure is a `ScenarioError`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.errors import Problem, ScenarioError
from models.scenario import (
    BedChange,
    CapabilityChange,
    CapacityChange,
    CloseHospital,
    DemandChange,
    ExtraCapacity,
    Scenario,
    WeekRange,
)
from models.weeks import parse_iso_week


def apply_changes(dataset: Dataset, scenario: Scenario) -> Dataset:
    """The dataset as the scenario changes it; raises `ScenarioError` naming unknown ids."""
    check_change_ids(dataset, scenario)
    tables = dataset.tables()
    for change in scenario.changes:
        handler = _HANDLERS.get(type(change))
        if handler is not None:
            tables.update(handler(tables, change))
    return dataset.with_tables(**tables)


def check_change_ids(dataset: Dataset, scenario: Scenario) -> None:
    """Every id a change or policy names must exist in the dataset."""
    known = {
        "hospital_id": set(dataset.hospitals["hospital_id"]),
        "specialty": set(dataset.procedures["specialty"]),
        "region_id": set(dataset.regions["region_id"]),
        "procedure_id": set(dataset.procedures["procedure_id"]),
    }
    problems = []
    for i, change in enumerate(scenario.changes):
        for field in ("hospital_id", "specialty", "region_id", "procedure_id"):
            value = getattr(change, field, None)
            if value is not None and value not in known[field]:
                problems.append(Problem("scenario", None, f"changes.{i}.{field}", f"unknown {field} {value!r}"))
    policy = scenario.policy
    for i, agreement in enumerate(policy.agreements):
        for field, kind in (
            ("payer_region", "region_id"),
            ("provider_region", "region_id"),
            ("provider_hospital", "hospital_id"),
            ("procedure_id", "procedure_id"),
        ):
            value = getattr(agreement, field)
            if value is not None and value not in known[kind]:
                problems.append(
                    Problem("scenario", None, f"policy.agreements.{i}.{field}", f"unknown {kind} {value!r}")
                )
    for region in policy.budgets_sek:
        if region not in known["region_id"]:
            problems.append(Problem("scenario", None, f"policy.budgets_sek.{region}", f"unknown region_id {region!r}"))
    if problems:
        raise ScenarioError(problems)


def _in_weeks(labels: pd.Series, weeks: WeekRange | None) -> np.ndarray:
    if weeks is None:
        return np.ones(len(labels), dtype=bool)
    first, last = parse_iso_week(weeks.first), parse_iso_week(weeks.last)
    mondays = labels.map({label: parse_iso_week(label) for label in labels.unique()})
    return ((mondays >= first) & (mondays <= last)).to_numpy()


def _hospital_weeks(frame: pd.DataFrame, hospital_id: str, weeks: WeekRange | None) -> np.ndarray:
    return (frame["hospital_id"] == hospital_id).to_numpy() & _in_weeks(frame["week"], weeks)


def _scale_or_set(
    frame: pd.DataFrame, mask: np.ndarray, column: str, factor: float | None, value: float | None
) -> pd.DataFrame:
    """A copy of `frame` with `column` multiplied by `factor`, or set to `value`, where `mask` holds."""
    frame = frame.copy()
    if factor is not None:
        frame.loc[mask, column] *= factor
    else:
        frame.loc[mask, column] = value
    return frame


def _capacity(tables: dict, change: CapacityChange) -> dict:
    capacity = tables["capacity"]
    mask = _hospital_weeks(capacity, change.hospital_id, change.weeks)
    if change.specialty is not None:
        mask &= (capacity["specialty"] == change.specialty).to_numpy()
    return {"capacity": _scale_or_set(capacity, mask, "theatre_days", change.factor, change.theatre_days)}


def _beds(tables: dict, change: BedChange) -> dict:
    beds = tables["beds"]
    mask = _hospital_weeks(beds, change.hospital_id, change.weeks)
    return {"beds": _scale_or_set(beds, mask, "bed_days", change.factor, change.bed_days)}


def _demand(tables: dict, change: DemandChange) -> dict:
    demand = tables["demand"].copy()
    mask = np.ones(len(demand), dtype=bool)
    if change.region_id is not None:
        mask &= (demand["region_id"] == change.region_id).to_numpy()
    if change.procedure_id is not None:
        mask &= (demand["procedure_id"] == change.procedure_id).to_numpy()
    demand.loc[mask, "expected_decisions"] *= change.factor
    return {"demand": demand}


def _close(tables: dict, change: CloseHospital) -> dict:
    capacity = tables["capacity"]
    mask = _hospital_weeks(capacity, change.hospital_id, change.weeks)
    return {"capacity": _scale_or_set(capacity, mask, "theatre_days", None, 0.0)}


def _capability(tables: dict, change: CapabilityChange) -> dict:
    capabilities = tables["capabilities"]
    same = (capabilities["hospital_id"] == change.hospital_id) & (capabilities["procedure_id"] == change.procedure_id)
    kept = capabilities[~same]
    if change.add:
        row = pd.DataFrame(
            [
                {
                    "hospital_id": change.hospital_id,
                    "procedure_id": change.procedure_id,
                    "cases_per_theatre_day": change.cases_per_theatre_day,
                }
            ]
        )
        kept = pd.concat([kept, row.astype({"cases_per_theatre_day": float})], ignore_index=True)
    return {"capabilities": kept.reset_index(drop=True)}


_HANDLERS = {
    CapacityChange: _capacity,
    BedChange: _beds,
    DemandChange: _demand,
    CloseHospital: _close,
    CapabilityChange: _capability,
    ExtraCapacity: None,
}
