"""Hand-made proposals: read one (allocations.csv format) and evaluate it against the optimum.

The proposal's flows are replayed patient by patient by the independent evaluator
(`optimizer.evaluation`), which reports its KPIs and every constraint it breaks; the gap is to the
optimum of the same scenario, planned here unless it is given.
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
from optimizer.evaluation import Evaluation, evaluate_flows
from optimizer.model.scenario_changes import apply_changes
from optimizer.planning import dataset_for, plan, resolve_scenario
from optimizer.results.plan_result import PlanResult

#: Columns of a proposal (allocations.csv): `listed_hospital_id` and `priority` may be left out.
ALLOCATION_COLUMNS = [
    "region_id",
    "listed_hospital_id",
    "procedure_id",
    "class",
    "priority",
    "hospital_id",
    "week",
    "patients",
]
OPTIONAL_COLUMNS = ("listed_hospital_id", "priority")


def read_allocations(path: str | os.PathLike) -> pd.DataFrame:
    """Read a proposal in the allocations.csv format; raise `DatasetError` with file:row:column problems."""
    path = Path(path)
    name = path.name
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DatasetError([Problem(name, None, None, f"cannot read proposal: {str(exc).splitlines()[0]}")]) from None
    problems = [
        Problem(name, 1, c, "required column is missing")
        for c in ALLOCATION_COLUMNS
        if c not in frame and c not in OPTIONAL_COLUMNS
    ]
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
    return frame.assign(patients=patients.astype(float))[[c for c in ALLOCATION_COLUMNS if c in frame]]


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
    evaluation = evaluate_flows(changed, scenario, allocations, base=dataset)
    return ProposalEvaluation(scenario=scenario, evaluation=evaluation, optimum_objective=optimum_objective)
