"""`PlanResult`: everything one plan produces, and `tabulate`, which makes it from a solved LP."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from models.scenario import Scenario
from optimizer.model.formulation import Formulation
from optimizer.model.instance import Instance
from optimizer.results.proposals import patient_proposals
from optimizer.results.tables import PlanTables, plan_tables, shadow_prices
from optimizer.results.whole_patient import agreement_shortfalls, integer_flows_with_stats
from optimizer.solvers.solution import Solution
from optimizer.solvers.whole_patient_search import search_whole_patient_plan


@dataclass
class PlanResult:
    """Everything a plan produces: the LP's tables, the whole-patient plan's tables, timings and size."""

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
    standalone: PlanResult | None = None  # the baseline, when the plan needed it
    strategy: str = "full_lp"  # how the LP was solved: full_lp or column_generation
    column_generation: dict | None = None  # rounds and columns added, with column generation
    warm_started: bool = False  # re-solved from the previous variant's model and basis
    status: str = "optimal"  # "optimal"; "fixed" (a proposal's flows kept, the rest optimised); "evaluated"
    extra_summary: dict = field(default_factory=dict)  # more keys for summary.json (a proposal's evaluation)
    whole_patient: dict = field(default_factory=dict)  # how the whole-patient plan was made (`whole_patient_plan`)

    @cached_property
    def proposals(self) -> pd.DataFrame:
        """Patient-level proposals of the whole-patient plan (computed once, on first use)."""
        return patient_proposals(self.instance, self.integer.allocations)

    def headline(self) -> dict:
        """The figures shown to people: the whole-patient plan's, with the LP bound and the gap beside them.

        `agreement_shortfalls` names agreement minimums the whole-patient plan misses.
        """
        gap = self.integer.objective - self.objective
        return {
            "plan": "whole_patient",
            "objective": self.integer.objective,
            "lp_bound": self.objective,
            "gap": gap,
            "gap_relative": gap / abs(self.objective) if self.objective else None,
            "treated": self.integer.terms["treated"],
            "agreement_shortfalls": agreement_shortfalls(self.instance, self.integer_y),
            **self.whole_patient,
        }

    def summary(self) -> dict:
        """The content of summary.json."""
        return {
            "scenario": self.scenario.name,
            "status": self.status,  # a plan exists only for an optimal LP (or a proposal evaluated)
            "objective": self.objective,
            "objective_terms": self.lp.terms,
            "integer_plan": {"objective": self.integer.objective, "objective_terms": self.integer.terms},
            "headline": self.headline(),
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
            **self.extra_summary,
        }


def tabulate(formulation: Formulation, solution: Solution) -> PlanResult:
    """Result tables of the LP solution and of its whole-patient plan."""
    inst = formulation.instance
    whole, integer, how = whole_patient_plan(formulation, solution)
    return PlanResult(
        scenario=inst.scenario,
        instance=inst,
        objective=solution.objective,
        lp=plan_tables(inst, solution.y),
        integer=integer,
        y=solution.y,
        integer_y=whole,
        shadow_prices=shadow_prices(formulation.rows, solution.duals, inst.weeks),
        size=formulation.size(),
        iterations=solution.iterations,
        strategy=solution.strategy,
        column_generation=solution.column_generation,
        warm_started=solution.warm_started,
        whole_patient=how,
    )


def whole_patient_plan(formulation: Formulation, solution: Solution) -> tuple[np.ndarray, PlanTables, dict]:
    """The whole-patient plan: the rounding, then HiGHS's search over the LP's arcs if it finds better.

    Returns the flows, their tables and how they were made: `method` (rounding or search), the
    search's status and seconds, and `whole_patient_bound`, HiGHS's proof that no whole-patient plan
    on those arcs has a lower objective (None when the search did not run or proved nothing).
    """
    inst = formulation.instance
    whole, exchange = integer_flows_with_stats(
        inst, solution.y, solution.x, formulation.rows["extra_capacity"], lower=formulation.blocks["y"].lower
    )
    tables = plan_tables(inst, whole)
    how: dict = {"method": "rounding", "whole_patient_bound": None}
    if exchange is not None:
        how["exchanges"] = 0 if exchange.reverted else exchange.kept
    seconds = inst.scenario.solve.whole_patient_search_seconds
    if seconds <= 0:
        return whole, tables, how
    search = search_whole_patient_plan(formulation, solution.y, whole, seconds, inst.scenario.solve)
    how |= {"search_status": search.status, "search_seconds": round(search.seconds, 3)}
    if search.bound is not None:
        how["whole_patient_bound"] = max(search.bound, solution.objective)
    if search.flows is not None:
        found = plan_tables(inst, search.flows)
        if found.objective < tables.objective - 1e-6 * max(1.0, abs(tables.objective)):
            return search.flows, found, how | {"method": "search"}
    return whole, tables, how
