"""`simulate(scenario, draws=N)`: plan once, then replay the plan under N random draws; P10/P50/P90 bands.

Reproducible for a seed: `numpy.random.SeedSequence(seed).spawn(N)` gives draw i its own stream, so
a draw's outcome depends only on (seed, i), never on which worker ran it or in which order.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from models.dataset import Dataset
from optimizer.planning import plan
from optimizer.results.plan_result import PlanResult
from optimizer.simulation.bands import bands
from optimizer.simulation.engine import Engine, TaskProgress, cluster_address, map_tasks, resolve_engine
from optimizer.simulation.plan_replay import planned_scenario, replay_draw
from optimizer.simulation.weekly import weekly_draw
from optimizer.solvers.strategy import Progress

log = logging.getLogger(__name__)

Replan = Literal["weekly"] | None


@dataclass
class SimulationResult:
    """A simulation: the plan it replays, the bands over its draws, and how it ran.

    `bands`: simulation_bands.csv (`bands.BAND_COLUMNS`); `seed`: the entropy that reproduces it.
    """

    plan: PlanResult
    bands: pd.DataFrame
    draws: int
    seed: int
    replan: Replan
    engine: str
    address: str | None
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """simulation.json: how the simulation ran, and the total's bands at the last week."""
        total = self.bands[(self.bands["level"] == "total")]
        last = total[total["week"] == total["week"].max()].set_index("metric")
        return {
            "scenario": self.plan.scenario.name,
            "draws": self.draws,
            "seed": self.seed,
            "replan": self.replan,
            "engine": self.engine,
            "ray_address": self.address,
            "settings": self.plan.scenario.simulation.model_dump(mode="json"),
            "seconds": self.seconds,
            "last_week": {
                metric: {p: float(last.loc[metric, p]) for p in ("p10", "p50", "p90")} for metric in last.index
            },
        }


def simulate(
    scenario=None,
    *,
    draws: int = 100,
    replan: Replan = None,
    seed: int | None = None,
    dataset: Dataset | None = None,
    engine: Engine = "auto",
    ray_address: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    draw_progress: TaskProgress | None = None,
) -> SimulationResult:
    """Plan `scenario` once, replay it under `draws` random draws, and return the P10/P50/P90 bands.

    `scenario`: a `Scenario`, a YAML path or None (the default); its `simulation:` section sets the
    draws' parameters. `replan="weekly"` re-plans every simulated week (`optimizer.simulation.weekly`).
    `seed` None draws fresh entropy (kept in the result). The draws run as Ray tasks on
    `ray_address` (or $CAPPLAN_RAY_ADDRESS), else on this machine with `workers` CPUs; `engine="local"`
    runs them in this process (`optimizer.simulation.engine`). `progress` gets the plan's stages,
    `draw_progress` (done, total) as draws finish.
    """
    if draws < 1:
        raise ValueError("draws must be at least 1")
    if replan not in (None, "weekly"):
        raise ValueError(f"replan must be None or 'weekly', not {replan!r}")
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    result = plan(scenario, dataset=dataset, progress=progress)  # a YAML path keeps its folder for the dataset
    scenario = result.scenario
    seconds["plan"] = time.perf_counter() - clock
    planned = planned_scenario(result)
    sequence = np.random.SeedSequence(seed)
    seeds = sequence.spawn(draws)
    address = cluster_address(ray_address, engine)
    chosen = resolve_engine(engine, address)
    if progress:
        progress("simulating")
    clock = time.perf_counter()
    outcomes = map_tasks(
        weekly_draw if replan == "weekly" else replay_draw,
        planned,
        seeds,
        engine=chosen,
        address=address,
        workers=workers,
        progress=draw_progress,
    )
    seconds["draws"] = time.perf_counter() - clock
    clock = time.perf_counter()
    table = bands(outcomes)
    seconds["bands"] = time.perf_counter() - clock
    log.info(
        "simulated %s: %d draws (%s, %s), %s",
        scenario.name,
        draws,
        replan or "no re-planning",
        chosen if not address else f"ray at {address}",
        ", ".join(f"{k} {v:.2f}s" for k, v in seconds.items()),
    )
    return SimulationResult(
        plan=result,
        bands=table,
        draws=draws,
        seed=int(sequence.entropy),
        replan=replan,
        engine=chosen,
        address=address,
        seconds=seconds,
    )
