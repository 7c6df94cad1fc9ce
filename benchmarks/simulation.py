"""`python -m benchmarks.simulation`: time Monte Carlo simulations of the default scenario.

Measures (written as JSON to --out, and printed):
  draws      N draws without re-planning, end to end (plan once + Ray start + draws + bands), Ray on
             this machine with all cores: the issue's target is 100 draws in ≤ 60 s on 2 cores
  throughput draws per second (after the plan) in this process, and with 1 and with 2 Ray workers
             (timed after the Ray session has started and warmed up)
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

from optimizer import simulate
from optimizer.planning import plan, resolve_scenario
from optimizer.simulation.engine import map_tasks, ray_session
from optimizer.simulation.plan_replay import planned_scenario, replay_draw
from optimizer.simulation.weekly import weekly_draw

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
    """N draws end to end, Ray on all local cores."""
    clock = time.perf_counter()
    result = simulate(None, draws=draws, seed=seed, engine="ray")
    total = time.perf_counter() - clock
    return {"draws": draws, "wall_seconds": total, "stages": result.seconds, "cores": os.cpu_count()}


def measure_throughput(draws: int, seed: int) -> dict:
    """Draws per second in this process, and as Ray tasks with 1 and 2 workers.

    The plan is made once, outside the timing. Each Ray session is started and warmed up (one draw
    per worker: workers start and import the engine) before the timed draws, so that the rate is
    the draws' own; the session's start is reported beside it.
    """
    scenario, _ = resolve_scenario(None)
    planned = planned_scenario(plan(scenario))
    seeds = np.random.SeedSequence(seed).spawn(draws)
    clock = time.perf_counter()
    map_tasks(replay_draw, planned, seeds[:5], engine="local")
    local = time.perf_counter() - clock
    out = {"in_process": {"draws": 5, "seconds": local, "draws_per_second": 5 / local}}
    for workers in (1, 2):
        clock = time.perf_counter()
        with ray_session(None, workers):
            started = time.perf_counter() - clock
            map_tasks(replay_draw, planned, seeds[:workers], engine="ray")  # warm-up
            clock = time.perf_counter()
            map_tasks(replay_draw, planned, seeds, engine="ray")
            seconds = time.perf_counter() - clock
        out[f"{workers}_workers"] = {
            "draws": draws,
            "seconds": seconds,
            "draws_per_second": draws / seconds,
            "ray_start_and_warm_up_seconds": started,
        }
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
    parser.add_argument("--throughput-draws", type=int, default=20)
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
