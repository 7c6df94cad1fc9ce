"""Patient-level proposals from a plan, and evaluation of hand-made proposals against the optimum.

Proposals come from the integer plan replayed by the independent evaluator: within each queue the
oldest waiting patients are offered the plan's hospitals and weeks first. Only status `waiting` is
ever proposed (never MoV/PvV), and a patient is offered a hospital outside the home region only if
the patient accepts travel (class `mobile`): local queues have no arcs out of their region.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.errors import DatasetError, Problem
from models.scenario import Scenario
from optimizer.changes import apply_changes
from optimizer.evaluate import Evaluation, evaluate_flows
from optimizer.plan import PlanResult, dataset_for, plan, resolve_scenario

ALLOCATION_COLUMNS = ["region_id", "procedure_id", "class", "hospital_id", "week", "patients"]


def patient_proposals(result: PlanResult) -> pd.DataFrame:
    """Which waiting patient (pseudonymous id) to offer which hospital in which week, oldest first.

    Columns: patient_id, region_id, procedure_id, class, decision_date, hospital_id, provider_region,
    week, days_waited_at_week_end, outside_home_region.
    """
    inst = result.instance
    evaluation = evaluate_flows(inst.dataset, inst.scenario, result.integer.allocations)
    table = evaluation.assignments.copy()
    provider = inst.dataset.hospitals.set_index("hospital_id")["region_id"]
    table["provider_region"] = table["hospital_id"].map(provider)
    table["outside_home_region"] = table["provider_region"] != table["region_id"]
    table["decision_date"] = pd.to_datetime(table["decision_date"]).dt.strftime("%Y-%m-%d")
    return table.sort_values(["week", "region_id", "procedure_id", "decision_date"]).reset_index(drop=True)


def read_allocations(path: str | os.PathLike) -> pd.DataFrame:
    """Read a proposal in the allocations.csv format; raise `DatasetError` with file:row:column problems."""
    path = Path(path)
    name = path.name
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DatasetError([Problem(name, None, None, f"cannot read proposal: {str(exc).splitlines()[0]}")]) from None
    problems = [Problem(name, 1, c, "required column is missing") for c in ALLOCATION_COLUMNS if c not in frame]
    problems += [Problem(name, 1, c, "unexpected column") for c in frame.columns if c not in ALLOCATION_COLUMNS]
    if problems:
        raise DatasetError(problems)
    patients = pd.to_numeric(frame["patients"], errors="coerce")
    bad = patients.isna() | ~np.isfinite(patients.fillna(0))
    problems = [Problem(name, int(i) + 2, "patients", "not a finite number") for i in frame.index[bad][:20]]
    classes = ~frame["class"].isin(["local", "mobile"])
    problems += [Problem(name, int(i) + 2, "class", "must be local or mobile") for i in frame.index[classes][:20]]
    if problems:
        raise DatasetError(problems)
    return frame.assign(patients=patients.astype(float))[ALLOCATION_COLUMNS]


@dataclass
class ProposalEvaluation:
    """A proposal's KPIs and violations, and its gap to the optimum of the same scenario."""

    scenario: Scenario
    evaluation: Evaluation
    optimum_objective: float

    @property
    def gap(self) -> float:
        """Objective of the proposal minus the optimum (≥ 0 up to tolerance for a feasible proposal)."""
        return self.evaluation.objective - self.optimum_objective

    def summary(self) -> dict:
        violations = self.evaluation.violations
        return {
            "scenario": self.scenario.name,
            "feasible": bool(violations.empty),
            "objective": self.evaluation.objective,
            "objective_terms": self.evaluation.objective_terms(),
            "optimum_objective": self.optimum_objective,
            "gap_to_optimum": self.gap,
            "gap_relative": self.gap / abs(self.optimum_objective) if self.optimum_objective else None,
            "violations": violations.to_dict(orient="records"),
        }


def evaluate_proposal(
    scenario: Scenario | str | os.PathLike | None,
    allocations: pd.DataFrame,
    *,
    dataset: Dataset | None = None,
    optimum: PlanResult | None = None,
    optimum_objective: float | None = None,
) -> ProposalEvaluation:
    """Evaluate hand-made flows under `scenario`: KPIs, every violated constraint, gap to the optimum.

    The optimum is `optimum_objective` when known (e.g. a stored run's), else `optimum`'s objective,
    else the scenario is planned here to find it.
    """
    scenario, base_dir = resolve_scenario(scenario)
    if dataset is None:
        dataset = dataset_for(scenario, base_dir)
    if optimum is not None:
        changed = optimum.instance.dataset  # the dataset with the scenario's changes applied
        optimum_objective = optimum.objective if optimum_objective is None else optimum_objective
    else:
        changed = apply_changes(dataset, scenario)
        if optimum_objective is None:
            optimum_objective = plan(scenario, dataset=dataset).objective
    evaluation = evaluate_flows(changed, scenario, allocations)
    return ProposalEvaluation(scenario=scenario, evaluation=evaluation, optimum_objective=optimum_objective)
