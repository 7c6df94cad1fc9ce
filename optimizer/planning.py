"""Planning a scenario end to end: `plan(scenario)` loads, changes, formulates, solves and tabulates.

The steps, each in its own layer: `optimizer.model` (the scenario's changes, the sparse sets, the LP
as arrays), `optimizer.solvers` (column generation or the full LP), `optimizer.diagnostics` (why an
infeasible scenario has no plan: explained here, once, whichever back end found it) and
`optimizer.results` (the tables, the whole-patient plan, proposals). The CLI, the HTTP API and the
notebooks call this through `optimizer`'s public API; none of them holds planning logic.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from models.dataset import Dataset
from models.loader import load_dataset
from models.plan_weeks import check_plan_weeks
from models.scenario import DEFAULT_SCENARIO, Scenario, load_scenario
from optimizer.diagnostics import explain_infeasibility, unreachable_agreements
from optimizer.errors import InfeasibleModel, InfeasibleScenarioError
from optimizer.model.fixing import fixed_columns
from optimizer.model.instance import Instance, build_instance
from optimizer.model.scenario_changes import apply_changes
from optimizer.results.plan_result import PlanResult, tabulate
from optimizer.solvers.strategy import Progress, WarmStart, choose_strategy, solve_instance

if TYPE_CHECKING:  # Pyomo is imported only when the full LP is built through it
    from optimizer.solvers.pyomo_adapter import ExtraFunctionality

log = logging.getLogger(__name__)


def resolve_scenario(scenario: Scenario | str | os.PathLike | None) -> tuple[Scenario, Path | None]:
    """A scenario object from a Scenario, a YAML path, or None (the default scenario)."""
    if scenario is None:
        return load_scenario(DEFAULT_SCENARIO)
    if isinstance(scenario, Scenario):
        return scenario, None
    return load_scenario(scenario)


@lru_cache(maxsize=4)
def _cached_dataset(path: str, start_week: str, mtime: float) -> Dataset:
    return load_dataset(path, plan_start=start_week)


def dataset_for(scenario: Scenario, base_dir: Path | None = None) -> Dataset:
    """The scenario's base dataset (cached per folder, start week and modification time)."""
    path = scenario.dataset_path(base_dir)
    mtime = max((p.stat().st_mtime for p in path.glob("*.csv")), default=0.0) if path.is_dir() else 0.0
    return _cached_dataset(str(path), scenario.start_week, mtime)


def prepare(
    scenario: Scenario,
    dataset: Dataset,
    standalone: bool = False,
    previous: pd.DataFrame | None = None,
    previous_flows: pd.DataFrame | None = None,
) -> Instance:
    """Apply the scenario's changes and compute the LP's sets and data (`previous`, `previous_flows`: a
    re-plan's previous proposals and LP flows, `optimizer.replanning`)."""
    changed = apply_changes(dataset, scenario)
    return build_instance(
        changed, scenario, standalone=standalone, base=dataset, previous=previous, previous_flows=previous_flows
    )


def standalone_scenario(scenario: Scenario) -> Scenario:
    """The scenario with each region on its own: no agreements between regions, no fairness rule."""
    policy = scenario.policy.model_copy(update={"agreements": [], "no_region_worse_off": False})
    return scenario.model_copy(update={"policy": policy, "name": f"{scenario.name}-standalone"})


#: Relative slack on standalone limits so that the standalone plan itself stays feasible numerically.
_LIMIT_TOLERANCE = 1e-6


def plan(
    scenario: Scenario | str | os.PathLike | None = None,
    *,
    dataset: Dataset | None = None,
    progress: Progress | None = None,
    extra_functionality: ExtraFunctionality | None = None,
    standalone: bool = False,
    warm: WarmStart | None = None,
    fixed_flows: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    previous_flows: pd.DataFrame | None = None,
) -> PlanResult:
    """Plan one scenario end to end and return its results.

    `scenario` is a `Scenario`, a YAML path, or None for scenarios/default.yaml; `dataset` overrides
    the scenario's base dataset (already loaded). `standalone` plans every region alone (baseline).
    With policy `no_region_worse_off` the standalone baseline is planned first and caps each
    region's weighted breach-days. `warm` keeps the solver model for the next variant (see
    `plan_variants`). `fixed_flows` (allocations.csv columns) are kept as given: their LP columns get
    lower = upper bound = their patients and everything else is optimised around them (rows that are
    no LP column are left out: `optimizer.model.fixing`). `previous` are a re-plan's previous
    proposals, kept stable by the change penalty, and `previous_flows` its LP flows
    (allocations.csv columns), which anchor each flow group's weekly schedule (use `optimizer.replan`).
    Raises `DatasetError`, `ScenarioError`,
    `InfeasibleScenarioError` or `SolveError` with an explanation when no plan can be made.
    """
    report = progress or (lambda stage: None)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    scenario, base_dir = resolve_scenario(scenario)
    report("loading")
    if dataset is None:
        dataset = dataset_for(scenario, base_dir)
    check_plan_weeks(dataset, scenario.start_week, scenario.horizon_weeks)
    seconds["load"] = time.perf_counter() - clock

    baseline, limits = None, None
    if scenario.policy.no_region_worse_off and not standalone:
        report("baseline")
        baseline = plan(standalone_scenario(scenario), dataset=dataset, standalone=True)
        totals = baseline.lp.region_totals.set_index("region_id")["weighted_breach_days"]
        limits = {r: v * (1 + _LIMIT_TOLERANCE) + _LIMIT_TOLERANCE for r, v in totals.items()}

    report("building")
    clock = time.perf_counter()
    inst = prepare(scenario, dataset, standalone=standalone, previous=previous, previous_flows=previous_flows)
    seconds["prepare"] = time.perf_counter() - clock
    strategy = choose_strategy(scenario.solve, extra_functionality is not None)
    fixed = fixed_columns(inst, fixed_flows) if fixed_flows is not None else None
    try:
        if unreachable_agreements(inst):  # a minimum no flow can serve: no back end can hold its empty row
            raise InfeasibleModel("an agreement minimum has no flow")
        formulation, solution = solve_instance(
            inst, strategy, limits, extra_functionality, report, seconds, warm if fixed is None else None, fixed
        )
    except InfeasibleModel:
        if fixed is not None:
            raise InfeasibleScenarioError(
                "The proposal's fixed flows leave no feasible plan of the scenario",
                [
                    "the fixed flows exceed what has arrived in a queue, or break an agreement, budget or "
                    "capacity row that no other flow can relieve (evaluate the proposal without --fix to "
                    "see each violation)"
                ],
            ) from None
        raise explain_infeasibility(inst) from None

    report("reporting")
    clock = time.perf_counter()
    result = tabulate(formulation, solution)
    seconds["results"] = time.perf_counter() - clock
    result.seconds = seconds
    result.standalone = baseline
    log.info(
        "planned %s (%s%s): objective %.1f, %s",
        scenario.name,
        result.strategy,
        ", warm" if result.warm_started else "",
        result.objective,
        ", ".join(f"{k} {v:.2f}s" for k, v in seconds.items()),
    )
    return result


def plan_variants(
    scenarios: Iterable[Scenario | str | os.PathLike | None],
    *,
    dataset: Dataset | None = None,
    progress: Progress | None = None,
) -> Iterator[PlanResult]:
    """Plan scenarios one after another, each variant warm-started from the last one's model and basis.

    Yields each `PlanResult` as soon as it is planned (`result.warm_started` says whether the model
    was reused). Order matters: put variants that differ only in numbers next to each other, e.g. a
    capacity-factor sweep. Each result is an optimum of its scenario, with the objective of planning
    it on its own (tested to 1e-6); where a scenario has several optimal plans, the flows and
    shadow prices may be another of them.
    """
    warm = WarmStart()
    for scenario in scenarios:
        yield plan(scenario, dataset=dataset, progress=progress, warm=warm)


def plan_standalone(scenario: Scenario, dataset: Dataset | None = None, progress: Progress | None = None) -> PlanResult:
    """The standalone baseline of `scenario`: each region treats only its own patients."""
    return plan(standalone_scenario(scenario), dataset=dataset, progress=progress, standalone=True)


def collaboration_value(joint: PlanResult, standalone: PlanResult) -> pd.DataFrame:
    """Per region and in total: the joint plan against the standalone baseline, and the difference.

    A positive `*_saved` column means the joint plan is better for that region than going alone.
    """
    columns = [
        "weighted_breach_days",
        "breach_days_90",
        "breach_days_180",
        "breach_days_365",
        "over_90_end",
        "cost_sek",
        "treated_elsewhere",
    ]
    a = joint.lp.region_totals.set_index("region_id")[columns]
    b = standalone.lp.region_totals.set_index("region_id")[columns].reindex(a.index).fillna(0.0)
    table = pd.concat({"joint": a, "standalone": b}, axis=1)
    table.columns = [f"{which}_{name}" for which, name in table.columns]
    table.loc["total"] = table.sum()
    for name in ("weighted_breach_days", "breach_days_90", "over_90_end"):
        table[f"{name}_saved"] = table[f"standalone_{name}"] - table[f"joint_{name}"]
    table["extra_cost_sek"] = table["joint_cost_sek"] - table["standalone_cost_sek"]
    return table.reset_index(names="region_id")
