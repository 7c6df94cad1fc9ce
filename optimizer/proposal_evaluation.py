"""Hand-made proposals: read one (allocations.csv format) and evaluate it against the optimum.

The proposal's flows are replayed patient by patient by the independent evaluator
(`optimizer.evaluation`), which reports its KPIs and every constraint it breaks; the gap is to the
optimum of the same scenario, planned here unless it is given.

* A proposal that breaks a constraint is infeasible: it has no gap (it is not a plan), only its
  total violation, and a capacity-trimmed repair (each flow scaled down by the worst ratio of
  theatre-day and bed-day capacity to need among its rows, then evaluated again) is reported with
  its gap.
* Duplicate rows (the same key twice) and fractional patients are warnings (still summed/kept).
* `fix=True` (`capplan evaluate --fix`) keeps the proposal's flows as given and optimises every
  other flow around them (`optimizer.plan(fixed_flows=...)`): a partial proposal ("Lindesberg takes
  100 Värmland knees") is a plan of every patient, not one that leaves all others untreated. An
  infeasible proposal's repair is what is fixed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.errors import Problem, ProposalError
from models.scenario import Scenario
from optimizer.evaluation import Evaluation, evaluate_flows
from optimizer.model.fixing import fixed_columns
from optimizer.model.scenario_changes import apply_changes
from optimizer.planning import dataset_for, plan, prepare, resolve_scenario
from optimizer.results.plan_result import PlanResult
from optimizer.results.tables import plan_tables

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
    """Read a proposal in the allocations.csv format; raise `ProposalError` with file:row:column problems."""
    path = Path(path)
    name = path.name
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ProposalError([Problem(name, None, None, f"cannot read proposal: {str(exc).splitlines()[0]}")]) from None
    problems = [
        Problem(name, 1, c, "required column is missing")
        for c in ALLOCATION_COLUMNS
        if c not in frame and c not in OPTIONAL_COLUMNS
    ]
    problems += [Problem(name, 1, c, "unexpected column") for c in frame.columns if c not in ALLOCATION_COLUMNS]
    if problems:
        raise ProposalError(problems)
    patients = pd.to_numeric(frame["patients"], errors="coerce")
    bad = patients.isna() | ~np.isfinite(patients.fillna(0))
    problems = [Problem(name, int(i) + 2, "patients", "not a finite number") for i in frame.index[bad][:20]]
    classes = ~frame["class"].isin(["local", "mobile"])
    problems += [Problem(name, int(i) + 2, "class", "must be local or mobile") for i in frame.index[classes][:20]]
    if problems:
        raise ProposalError(problems)
    frame = frame.assign(patients=patients.astype(float))[[c for c in ALLOCATION_COLUMNS if c in frame]]
    frame.attrs["first_line"] = 2  # row i is line i + 2 of the file (the header is line 1)
    return frame


def proposal_warnings(flows: pd.DataFrame) -> list[str]:
    """What a proposal has that is allowed but probably a mistake: duplicate keys, fractional patients."""
    first = flows.attrs.get("first_line")
    where = "line" if first is not None else "row"
    first = 1 if first is None else first

    def rows(mask) -> str:
        numbers = [str(int(i) + first) for i in np.flatnonzero(np.asarray(mask))]
        return ", ".join(numbers[:10]) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")

    warnings = []
    keys = [c for c in ALLOCATION_COLUMNS if c in flows and c != "patients"]
    duplicated = flows.reset_index(drop=True).duplicated(keys, keep=False)
    if duplicated.any():
        warnings.append(
            f"{int(duplicated.sum())} rows repeat the same region, listed hospital, procedure, class, priority, "
            f"hospital and week ({where}s {rows(duplicated)}): their patients are added up"
        )
    patients = flows["patients"].to_numpy(dtype=float)
    fractional = np.isfinite(patients) & (np.abs(patients - np.round(patients)) > 1e-9)
    if fractional.any():
        warnings.append(
            f"{int(fractional.sum())} rows have fractional patients ({where}s {rows(fractional)}), "
            f"{float(np.sum(patients[fractional] - np.floor(patients[fractional]))):.6g} patients in fractions"
        )
    return warnings


def capacity_trimmed(dataset: Dataset, flows: pd.DataFrame, evaluation: Evaluation) -> pd.DataFrame:
    """The proposal with each flow scaled down until every theatre-day and bed-day row it uses fits.

    Per theatre row (hospital, specialty, week) the ratio of capacity + extra offered to need, per
    bed row (hospital, week) capacity to need; each flow takes the smallest ratio of its rows (≤ 1).
    Scaling a row's flows by its ratio makes its need equal its capacity, so every row fits after.
    """
    theatre = evaluation.theatre
    theatre = theatre.assign(ratio=_ratio(theatre["capacity"] + theatre["extra_offered"], theatre["need"]))
    beds = evaluation.beds
    beds = beds.assign(ratio=_ratio(beds["capacity"], beds["need"]))
    procedures = dataset.procedures[["procedure_id", "specialty", "bed_days_per_case"]]
    out = flows.reset_index(drop=True)
    keyed = out[["procedure_id", "hospital_id", "week"]].merge(procedures, on="procedure_id", how="left")
    by_theatre = keyed.merge(theatre[["hospital_id", "specialty", "week", "ratio"]], how="left")["ratio"]
    by_beds = keyed.merge(beds[["hospital_id", "week", "ratio"]], how="left")["ratio"]
    by_beds = by_beds.where(keyed["bed_days_per_case"].fillna(0.0) > 0, 1.0)
    factor = np.minimum(by_theatre.fillna(1.0).to_numpy(), by_beds.fillna(1.0).to_numpy())
    out = out.assign(patients=out["patients"].to_numpy(dtype=float) * np.clip(factor, 0.0, 1.0))
    out.attrs = dict(flows.attrs)
    return out


def _ratio(capacity: pd.Series, need: pd.Series) -> np.ndarray:
    """min(1, capacity / need), 1 where nothing is needed."""
    need = need.to_numpy(dtype=float)
    out = np.ones(len(need))
    np.divide(capacity.to_numpy(dtype=float), need, out=out, where=need > 0)
    return np.minimum(out, 1.0)


def flows_plan(scenario: Scenario, dataset: Dataset, flows: pd.DataFrame, objective: float, extra: dict) -> PlanResult:
    """The proposal's flows as a `PlanResult` (its tables, nothing optimised), for a result folder.

    Rows that are no LP column (ineligible arcs, weeks outside the plan) are left out of the tables;
    the evaluation names them. `objective` is the evaluator's.
    """
    inst = prepare(scenario, dataset)
    fixed = fixed_columns(inst, flows)
    y = np.zeros(len(inst.flows))
    y[fixed.columns] = fixed.values
    tables = plan_tables(inst, y)
    return PlanResult(
        scenario=scenario,
        instance=inst,
        objective=objective,
        lp=tables,
        integer=tables,
        y=y,
        integer_y=y,
        shadow_prices=pd.DataFrame(columns=["resource", "hospital_id", "specialty", "week", "saving_per_extra_day"]),
        size={},
        strategy="none",
        status="evaluated",
        extra_summary=extra,
    )


@dataclass
class ProposalEvaluation:
    """A proposal's KPIs and violations, and its gap to the optimum of the same scenario.

    `gap` is None for an infeasible proposal (it breaks a constraint, so it is no plan); then
    `repair` is the evaluation of its capacity-trimmed repair (`capacity_trimmed`). With `fixed`,
    the plan that keeps the proposal's flows (or the repair's) and optimises the rest.
    """

    scenario: Scenario
    evaluation: Evaluation
    optimum_objective: float
    warnings: list[str] = field(default_factory=list)
    repair: Evaluation | None = None
    repaired_flows: pd.DataFrame | None = None
    fixed: PlanResult | None = None
    dataset: Dataset | None = None
    flows: pd.DataFrame | None = None

    @property
    def feasible(self) -> bool:
        return bool(self.evaluation.violations.empty)

    @property
    def total_violation(self) -> float:
        """Sum of the amounts by which the proposal breaks its constraints (0 when feasible)."""
        return float(self.evaluation.violations["amount"].sum()) if not self.feasible else 0.0

    @property
    def gap(self) -> float | None:
        """Objective of the proposal minus the optimum (≥ 0 up to tolerance); None when it is infeasible."""
        return self.evaluation.objective - self.optimum_objective if self.feasible else None

    def _relative(self, gap: float | None) -> float | None:
        return gap / abs(self.optimum_objective) if gap is not None and self.optimum_objective else None

    def summary(self) -> dict:
        violations = self.evaluation.violations
        out = {
            "scenario": self.scenario.name,
            "feasible": self.feasible,
            "objective": self.evaluation.objective,
            "objective_terms": self.evaluation.objective_terms(),
            "optimum_objective": self.optimum_objective,
            "gap_to_optimum": self.gap,
            "gap_relative": self._relative(self.gap),
            "total_violation": self.total_violation,
            "violations": violations.to_dict(orient="records"),
            "warnings": list(self.warnings),
            "repair": None,
            "fixed": None,
        }
        if self.repair is not None:
            gap = self.repair.objective - self.optimum_objective
            out["repair"] = {
                "method": "capacity-trimmed: flows scaled down until every theatre-day and bed-day row fits",
                "feasible": bool(self.repair.violations.empty),
                "objective": self.repair.objective,
                "objective_terms": self.repair.objective_terms(),
                "gap_to_optimum": gap,
                "gap_relative": self._relative(gap),
                "patients_removed": self.evaluation.planned - self.repair.planned,
                "total_violation": float(self.repair.violations["amount"].sum()),
                "violations": self.repair.violations.to_dict(orient="records"),
            }
        if self.fixed is not None:
            gap = self.fixed.objective - self.optimum_objective
            out["fixed"] = {
                "method": "the proposal's flows kept as given"
                + (" (its capacity-trimmed repair)" if self.repair is not None else "")
                + ", every other flow optimised",
                "objective": self.fixed.objective,
                "objective_terms": self.fixed.lp.terms,
                "gap_to_optimum": gap,
                "gap_relative": self._relative(gap),
            }
        return out

    def result(self) -> PlanResult:
        """A `PlanResult` to write as a result folder (`presentation.result_files.write_results`), which
        `ResultView.from_folder` reads (so `capplan compare` takes it): the fixed plan with `fix`, else
        the proposal's own flows. summary.json carries the evaluation under `evaluation`."""
        extra = {"evaluation": self.summary()}
        if self.fixed is not None:
            self.fixed.status = "fixed"
            self.fixed.extra_summary = extra
            return self.fixed
        return flows_plan(self.scenario, self.dataset, self.flows, self.evaluation.objective, extra)


def evaluate_proposal(
    scenario: Scenario | str | os.PathLike | None,
    allocations: pd.DataFrame,
    *,
    dataset: Dataset | None = None,
    optimum: PlanResult | None = None,
    optimum_objective: float | None = None,
    fix: bool = False,
) -> ProposalEvaluation:
    """Evaluate hand-made flows under `scenario`: KPIs, every violated constraint, gap to the optimum.

    The optimum is `optimum_objective` when known (e.g. a stored run's), else `optimum`'s objective,
    else the scenario is planned here to find it. An infeasible proposal gets a capacity-trimmed
    repair, evaluated too. With `fix`, the proposal's flows (its repair's, when infeasible) are kept
    and everything else is optimised (`optimizer.plan(fixed_flows=...)`).
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
    result = ProposalEvaluation(
        scenario=scenario,
        evaluation=evaluation,
        optimum_objective=optimum_objective,
        warnings=proposal_warnings(allocations),
        dataset=dataset,
        flows=allocations,
    )
    if not evaluation.feasible:
        result.repaired_flows = capacity_trimmed(changed, allocations, evaluation)
        result.repair = evaluate_flows(changed, scenario, result.repaired_flows, base=dataset)
    if fix:
        kept = allocations if result.repaired_flows is None else result.repaired_flows
        result.fixed = plan(scenario, dataset=dataset, fixed_flows=kept)
    return result
