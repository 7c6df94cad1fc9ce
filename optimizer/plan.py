"""The public engine: `plan(scenario)` loads, changes, builds, solves and tabulates one scenario.

The CLI, the HTTP API and the notebooks all call this module; none of them holds planning logic.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.loader import load_dataset
from models.scenario import DEFAULT_SCENARIO, Scenario, load_scenario
from optimizer.changes import apply_changes
from optimizer.colgen import RestrictedMaster
from optimizer.formulation import Formulation, formulate
from optimizer.instance import Instance, build_instance
from optimizer.integer_plan import integer_flows
from optimizer.lp_matrix import LpMatrix
from optimizer.results import PlanTables, plan_tables, shadow_prices
from optimizer.solution import Solution
from optimizer.solve_direct import choose_strategy, new_master, solve_master

if TYPE_CHECKING:  # Pyomo is imported only when the full LP is built
    from optimizer.build import ExtraFunctionality

log = logging.getLogger(__name__)

#: Called with a stage name: loading, building, solving, reporting.
Progress = Callable[[str], None]


@dataclass
class PlanResult:
    """Everything a plan produces: the LP's tables, the integer plan's tables, timings and size."""

    scenario: Scenario
    instance: Instance
    objective: float
    lp: PlanTables
    integer: PlanTables
    y: np.ndarray
    integer_y: np.ndarray
    shadow_prices: pd.DataFrame
    size: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    iterations: int = 0
    status: str = "optimal"
    standalone: PlanResult | None = None  # the baseline, when the plan needed it
    strategy: str = "full_lp"  # how the LP was solved: full_lp (Pyomo) or column_generation
    column_generation: dict | None = None  # rounds and columns added, with column generation
    warm_started: bool = False  # re-solved from the previous variant's model and basis

    def summary(self) -> dict:
        """The content of summary.json."""
        return {
            "scenario": self.scenario.name,
            "status": self.status,
            "objective": self.objective,
            "objective_terms": self.lp.terms,
            "integer_plan": {"objective": self.integer.objective, "objective_terms": self.integer.terms},
            "build_seconds": self.seconds.get("build", 0.0),
            "solve_seconds": self.seconds.get("solve", 0.0),
            "seconds": self.seconds,
            "size": self.size,
            "iterations": self.iterations,
            "strategy": self.strategy,
            "warm_started": self.warm_started,
            "column_generation": self.column_generation,
            "start_week": self.scenario.start_week,
            "horizon_weeks": self.scenario.horizon_weeks,
        }


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


def prepare(scenario: Scenario, dataset: Dataset, standalone: bool = False) -> Instance:
    """Apply the scenario's changes and compute the LP's sets and data."""
    return build_instance(apply_changes(dataset, scenario), scenario, standalone=standalone)


def standalone_scenario(scenario: Scenario) -> Scenario:
    """The scenario with each region on its own: no agreements between regions, no fairness rule."""
    policy = scenario.policy.model_copy(update={"agreements": [], "no_region_worse_off": False})
    return scenario.model_copy(update={"policy": policy, "name": f"{scenario.name}-standalone"})


#: Relative slack on standalone limits so that the standalone plan itself stays feasible numerically.
_LIMIT_TOLERANCE = 1e-6


@dataclass
class WarmStart:
    """The solver model kept from one scenario to the next by `plan_variants`.

    A variant whose LP has the same structure as the last one (it changes only costs, bounds or
    right-hand sides: capacity factors, extra-capacity volumes, budgets, agreement volumes,
    weights) re-solves the same highspy model from the last basis; any other change builds anew.
    """

    master: RestrictedMaster | None = None
    strategy: str | None = None


def plan(
    scenario: Scenario | str | os.PathLike | None = None,
    *,
    dataset: Dataset | None = None,
    progress: Progress | None = None,
    extra_functionality: ExtraFunctionality | None = None,
    standalone: bool = False,
    warm: WarmStart | None = None,
) -> PlanResult:
    """Plan one scenario end to end and return its results.

    `scenario` is a `Scenario`, a YAML path, or None for scenarios/default.yaml; `dataset` overrides
    the scenario's base dataset (already loaded). `standalone` plans every region alone (baseline).
    With policy `no_region_worse_off` the standalone baseline is planned first and caps each
    region's weighted breach-days. `warm` keeps the solver model for the next variant (see
    `plan_variants`). Raises `DatasetError`, `ScenarioError`, `InfeasibleScenarioError` or
    `SolveError` with an explanation when no plan can be made.
    """
    report = progress or (lambda stage: None)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    scenario, base_dir = resolve_scenario(scenario)
    report("loading")
    if dataset is None:
        dataset = dataset_for(scenario, base_dir)
    seconds["load"] = time.perf_counter() - clock

    baseline, limits = None, None
    if scenario.policy.no_region_worse_off and not standalone:
        report("baseline")
        baseline = plan(standalone_scenario(scenario), dataset=dataset, standalone=True)
        totals = baseline.lp.region_totals.set_index("region_id")["weighted_breach_days"]
        limits = {r: v * (1 + _LIMIT_TOLERANCE) + _LIMIT_TOLERANCE for r, v in totals.items()}

    report("building")
    clock = time.perf_counter()
    inst = prepare(scenario, dataset, standalone=standalone)
    seconds["prepare"] = time.perf_counter() - clock
    strategy = choose_strategy(scenario.solve, len(inst.flows), extra_functionality is not None)
    formulation, solution = solve_instance(inst, strategy, limits, extra_functionality, report, seconds, warm)

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


def solve_instance(
    inst: Instance,
    strategy: str,
    region_limits: dict[str, float] | None = None,
    extra_functionality: ExtraFunctionality | None = None,
    progress: Progress | None = None,
    seconds: dict[str, float] | None = None,
    warm: WarmStart | None = None,
) -> tuple[Formulation, Solution]:
    """Build and solve the LP of `inst` with `strategy` (`full_lp` or `column_generation`).

    `full_lp` goes through Pyomo, unless `warm` asks to keep the model for variants: then, as for
    column generation, the LP lives in one highspy model that the next variant can re-solve.
    Stage times go into `seconds`: build, solve, read_solution, highs.
    """
    report = progress or (lambda stage: None)
    seconds = seconds if seconds is not None else {}
    if strategy == "full_lp" and (warm is None or extra_functionality is not None):
        # imported here: column generation never needs Pyomo (its import alone takes ~0.5 s)
        from optimizer.build import build_model
        from optimizer.solve import solve_model

        clock = time.perf_counter()
        built = build_model(inst, extra_functionality, region_limits=region_limits)
        formulation = built.formulation
        seconds["build"] = time.perf_counter() - clock
        report("solving")
        solution = solve_model(built, inst.scenario.solve)
    else:
        clock = time.perf_counter()
        formulation = formulate(inst, region_limits=region_limits)
        matrix = LpMatrix.from_formulation(formulation)
        reuse = warm is not None and warm.strategy == strategy and warm.master.matrix.same_structure(matrix)
        if reuse:
            master = warm.master
            master.update(matrix, inst.scenario.solve)
        else:
            master = new_master(formulation, inst.scenario.solve, strategy == "column_generation", matrix)
            if warm is not None:
                warm.master, warm.strategy = master, strategy
        seconds["build"] = time.perf_counter() - clock
        report("solving")
        solution = solve_master(master, formulation)
        solution.warm_started = reuse
    solution.strategy = strategy
    seconds["solve"] = solution.solve_seconds
    seconds["read_solution"] = solution.read_seconds
    seconds["highs"] = solution.highs_seconds
    return formulation, solution


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


def tabulate(formulation: Formulation, solution: Solution) -> PlanResult:
    """Result tables of the LP solution and of its integer rounding."""
    inst = formulation.instance
    lp = plan_tables(inst, solution.y)
    whole = integer_flows(inst, solution.y, solution.x, formulation.rows["extra_capacity"])
    return PlanResult(
        scenario=inst.scenario,
        instance=inst,
        objective=solution.objective,
        lp=lp,
        integer=plan_tables(inst, whole),
        y=solution.y,
        integer_y=whole,
        shadow_prices=shadow_prices(formulation.rows, solution.duals, inst.weeks),
        size=formulation.size(),
        iterations=solution.iterations,
        strategy=solution.strategy,
        column_generation=solution.column_generation,
        warm_started=solution.warm_started,
    )
