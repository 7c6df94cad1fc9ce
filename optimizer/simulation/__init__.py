"""Monte Carlo simulation of a plan: random demand, cancellations and patients' answers, on Ray.

    from optimizer import simulate
    result = simulate("scenarios/default.yaml", draws=100, seed=1)
    result.bands   # simulation_bands.csv: P10/P50/P90 per region, procedure and week

Modules: `draws` (the random parts), `plan_replay` (a draw without re-planning, by the independent
evaluator), `weekly` (a draw that re-plans every week), `counts` (a draw's outcome table), `bands`
(percentiles over draws), `engine` (Ray tasks or this process), `simulate` (the public entry point), `sweep` (scenarios
planned as Ray tasks for `capplan compare --ray`).
"""

from optimizer.simulation.bands import BAND_COLUMNS
from optimizer.simulation.engine import RAY_ADDRESS_VARIABLE, map_tasks
from optimizer.simulation.simulate import SimulationResult, simulate
from optimizer.simulation.sweep import plan_sweep

__all__ = ["BAND_COLUMNS", "RAY_ADDRESS_VARIABLE", "SimulationResult", "map_tasks", "plan_sweep", "simulate"]
