"""A scenario sweep as Ray tasks: every scenario planned on its own worker, reduced to a `ResultView`.

`plan_variants` plans variants one after another, warm-started; across a cluster each variant is
one task instead (cold, but in parallel). Scenarios are resolved here, in the driver, with their
dataset as an absolute path, so a worker finds the files wherever it starts (on one machine or on a
cluster whose nodes share the path).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from models.scenario import Scenario
from optimizer.planning import plan, resolve_scenario
from optimizer.results.comparison import ResultView
from optimizer.simulation.engine import Engine, TaskProgress, map_tasks


def _plan_view(_: None, scenario: Scenario) -> ResultView:
    """One task: plan `scenario` and keep what a comparison needs (small to send back)."""
    return ResultView.from_plan(plan(scenario))


def plan_sweep(
    scenarios: Sequence[Scenario | str | os.PathLike | None],
    *,
    engine: Engine = "auto",
    address: str | None = None,
    workers: int | None = None,
    progress: TaskProgress | None = None,
) -> list[ResultView]:
    """A `ResultView` per scenario, in order, each planned as one Ray task (`engine.map_tasks`)."""
    resolved = []
    for source in scenarios:
        scenario, base_dir = resolve_scenario(source)
        resolved.append(scenario.updated(dataset=str(scenario.dataset_path(base_dir).resolve())))
    return map_tasks(_plan_view, None, resolved, engine=engine, address=address, workers=workers, progress=progress)
