"""`python -m benchmarks.simulation`: time Monte Carlo simulations of the default scenario.

Measures (written as JSON to --out, and printed):
  draws      N draws without re-planning, end to end (plan once + Ray start + draws + bands), Ray on
             this machine with all cores: the issue's target is 100 draws in ≤ 60 s on 2 cores
  throughput the draw's replay before and after the Replayer (`evaluate_flows` / `replayer`), back to
             back on one plan: seconds per draw in this process, and N draws end to end (Ray's start +
             draws + bands) with 1 and with 2 Ray workers
  weekly     one draw with weekly re-planning, in this process under cProfile: seconds per draw
             and the functions that dominate it (cumulative time)
Select parts with --parts (default: all three); --draws, --throughput-draws and --weekly-draws set sizes.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer import simulate
from optimizer.planning import plan, resolve_scenario
from optimizer.simulation.bands import bands
from optimizer.simulation.engine import map_tasks, ray_session
from optimizer.simulation.plan_replay import PlannedScenario, planned_scenario, replay_draw
from optimizer.simulation.weekly import weekly_draw


def replay_draw_evaluating_flows(planned: PlannedScenario, seed: np.random.SeedSequence) -> pd.DataFrame:
    """A draw as before the Replayer: `evaluate_flows` re-derives everything (a function, for Ray)."""
    return replay_draw(planned, seed, evaluator="evaluate_flows")


#: The draw's replay before (`evaluate_flows`) and after (`replayer`) the Replayer.
EVALUATORS = {"evaluate_flows": replay_draw_evaluating_flows, "replayer": replay_draw}
#: Functions whose cumulative time the weekly profile reports (by name, as cProfile sees them).
PROFILED = [
    "replan_week",
    "plan",
    "solve_instance",
    "solve_master",
    "tabulate",
    "integer_flows",
    "build_instance",
    "evaluate_flows",
    "apply_changes",
    "_new_patients",
    "_answer_and_treat",
    "cancel_theatre_days",
    "_week_counts",
]


def measure_draws(draws: int, seed: int) -> dict:
    """N draws end to end (`simulate`: plan + Ray start + draws + bands), Ray on all local cores."""
    load = os.getloadavg()
    clock = time.perf_counter()
    result = simulate(None, draws=draws, seed=seed, engine="ray")
    total = time.perf_counter() - clock
    return {
        "draws": draws,
        "wall_seconds": total,
        "stages": result.seconds,
        "cores": os.cpu_count(),
        "load_before": load,
        "load_after": os.getloadavg(),
    }


def measure_throughput(draws: int, seed: int, in_process_draws: int = 5) -> dict:
    """The replay before and after the Replayer, back to back on one plan: seconds per draw in this
    process, and `draws` draws end to end as Ray tasks with 1 and with 2 workers.

    The plan is made once, outside the timing (its seconds are reported). `evaluate_flows` is the
    old path (every draw re-derives patients, arcs and checks), `replayer` the new one (prepared once
    per worker). A Ray run's `seconds` = Ray's start + the draws (workers start, unpickle the plan and
    prepare the replay in their first task) + the bands: everything `simulate` does after the plan.
    """
    scenario, _ = resolve_scenario(None)
    clock = time.perf_counter()
    planned = planned_scenario(plan(scenario))
    out: dict = {"plan_seconds": time.perf_counter() - clock, "load_before": os.getloadavg()}
    seeds = np.random.SeedSequence(seed).spawn(draws)
    for evaluator, replay in EVALUATORS.items():
        replay(planned, seeds[-1])  # the replayer's preparation (once per process) is timed apart
        clock = time.perf_counter()
        map_tasks(replay, planned, seeds[:in_process_draws], engine="local")
        seconds = time.perf_counter() - clock
        out[f"in_process_{evaluator}"] = {"draws": in_process_draws, "seconds_per_draw": seconds / in_process_draws}
    for workers in (1, 2):
        for evaluator, replay in EVALUATORS.items():
            clock = time.perf_counter()
            with ray_session(None, workers):
                started = time.perf_counter() - clock
                outcomes = map_tasks(replay, planned, seeds, engine="ray")
                bands(outcomes)
            seconds = time.perf_counter() - clock
            name = f"ray_{workers}_workers_{evaluator}"
            out[name] = {
                "draws": draws,
                "seconds": seconds,
                "ray_start_seconds": started,
                "draws_per_second": draws / (seconds - started),
            }
            print(json.dumps({name: out[name]}), flush=True)  # progress: the whole run takes minutes
    out["load_after"] = os.getloadavg()
    return out


def measure_weekly(draws: int, seed: int) -> dict:
    """Weekly re-planning draws in this process, profiled."""
    scenario, _ = resolve_scenario(None)
    planned = planned_scenario(plan(scenario))
    seeds = np.random.SeedSequence(seed).spawn(draws)
    profiler = cProfile.Profile()
    clock = time.perf_counter()
    profiler.enable()
    for s in seeds:
        weekly_draw(planned, s)
    profiler.disable()
    total = time.perf_counter() - clock
    stats = pstats.Stats(profiler)
    cumulative = {}
    for (_, _, name), row in stats.stats.items():
        if name in PROFILED:
            cumulative[name] = cumulative.get(name, 0.0) + row[3]  # cumulative time
    return {
        "draws": draws,
        "weeks": len(planned.weeks),
        "seconds_per_draw": total / draws,
        "cumulative_seconds": dict(sorted(cumulative.items(), key=lambda kv: -kv[1])),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.simulation", description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="draws,throughput,weekly")
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--throughput-draws", type=int, default=100)
    parser.add_argument("--weekly-draws", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--out", type=Path, default=Path("results") / "simulation.json")
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    results: dict = {"python": sys.version.split()[0], "cores": os.cpu_count()}
    if "draws" in parts:
        results["draws"] = measure_draws(args.draws, args.seed)
        print(json.dumps({"draws": results["draws"]}, indent=2), flush=True)
    if "throughput" in parts:
        results["throughput"] = measure_throughput(args.throughput_draws, args.seed)
        print(json.dumps({"throughput": results["throughput"]}, indent=2), flush=True)
    if "weekly" in parts:
        results["weekly"] = measure_weekly(args.weekly_draws, args.seed)
        print(json.dumps({"weekly": results["weekly"]}, indent=2), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
