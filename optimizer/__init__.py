"""capplan's engine: the one public API under the CLI, the HTTP service and the notebooks.

    from optimizer import plan, plan_variants, compare, ResultView
    result = plan("scenarios/summer-karlstad.yaml")
    print(result.objective, result.lp.region_totals)

Layers, each importing only those below it (enforced by import-linter, `pyproject.toml`):

- `optimizer.decisions`: breach-day shadow prices, purchase options, the target question (they plan);
- `optimizer.planning`, `optimizer.proposal_evaluation`: plan a scenario end to end; evaluate a proposal;
- `optimizer.replanning`: re-plan from last week's plan (bookings, frozen weeks, change penalty, changes);
- `optimizer.simulation`: Monte Carlo replays of a plan (`simulate`), as Ray tasks when Ray is installed;
- `optimizer.results`: result tables, the whole-patient plan, patient proposals, comparisons;
- `optimizer.diagnostics`: why an infeasible scenario has no plan;
- `optimizer.evaluation`: the independent patient-by-patient evaluator (imports only `models`);
- `optimizer.solvers`: column generation and the full LP in highspy; the Pyomo adapter;
- `optimizer.model`: a scenario's changes, the LP's sparse sets, formulation and matrix.

Importing `optimizer` loads neither Pyomo (only `full_lp` and hooks need it), Ray, plotly, openpyxl nor
FastAPI; presentation (HTML, figures, Excel, result files) lives in the `presentation` package.
"""

from optimizer.decisions.options import PurchaseOption, read_options, scenario_options
from optimizer.decisions.purchases import rank_purchases
from optimizer.decisions.shadow_prices import breach_day_prices, weekly_breach_day_prices
from optimizer.decisions.target import TargetAnswer, fewest_extra_days
from optimizer.errors import InfeasibleScenarioError, SolveError
from optimizer.evaluation import Evaluation, evaluate_flows
from optimizer.model.instance import FlowKey, Instance
from optimizer.model.scenario_changes import check_change_ids
from optimizer.planning import (
    collaboration_value,
    dataset_for,
    plan,
    plan_standalone,
    plan_variants,
    prepare,
    resolve_scenario,
    standalone_scenario,
)
from optimizer.proposal_evaluation import ALLOCATION_COLUMNS, ProposalEvaluation, evaluate_proposal, read_allocations
from optimizer.replanning import changes, replan
from optimizer.results.comparison import METRICS, ResultView, compare, plan_columns
from optimizer.results.money import BALANCE_COLUMNS, agreement_proposals, money_tables, net_balances
from optimizer.results.plan_result import PlanResult
from optimizer.results.tables import PlanTables, cumulative_treated, waiting_bands
from optimizer.simulation import BAND_COLUMNS, SimulationResult, plan_sweep, simulate
from optimizer.solvers.strategy import Progress, WarmStart

__all__ = [
    "ALLOCATION_COLUMNS",
    "BALANCE_COLUMNS",
    "BAND_COLUMNS",
    "METRICS",
    "Evaluation",
    "FlowKey",
    "InfeasibleScenarioError",
    "Instance",
    "PlanResult",
    "PlanTables",
    "Progress",
    "ProposalEvaluation",
    "PurchaseOption",
    "TargetAnswer",
    "ResultView",
    "SimulationResult",
    "SolveError",
    "WarmStart",
    "agreement_proposals",
    "breach_day_prices",
    "check_change_ids",
    "collaboration_value",
    "compare",
    "changes",
    "cumulative_treated",
    "dataset_for",
    "evaluate_flows",
    "evaluate_proposal",
    "fewest_extra_days",
    "money_tables",
    "net_balances",
    "plan",
    "plan_columns",
    "plan_standalone",
    "plan_sweep",
    "plan_variants",
    "prepare",
    "rank_purchases",
    "read_allocations",
    "read_options",
    "replan",
    "resolve_scenario",
    "scenario_options",
    "simulate",
    "standalone_scenario",
    "waiting_bands",
    "weekly_breach_day_prices",
]
