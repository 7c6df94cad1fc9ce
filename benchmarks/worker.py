"""Run one measurement in this (fresh) process: `python -m benchmarks.worker TASK.json`.

The task names the path (`engine` or `direct`), the scenario dict, the dataset folder, optional
HiGHS options (direct path) and an optional profile file (engine path). The result dict is printed
as one line `BENCH_RESULT {json}` on stdout; everything else the engine logs goes to stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

RESULT_MARKER = "BENCH_RESULT "


def run_task(task: dict) -> dict:
    from benchmarks.measure import measure_direct, measure_engine
    from models.loader import load_dataset
    from models.scenario import parse_scenario

    scenario = parse_scenario(task["scenario"], source=task.get("name", "benchmark"))

    def load():
        return load_dataset(task["dataset_dir"], plan_start=scenario.start_week)

    if task["path"] == "engine":
        profile = Path(task["profile"]) if task.get("profile") else None
        return measure_engine(scenario, load, profile=profile)
    if task["path"] == "direct":
        return measure_direct(scenario, load, task.get("highs_options"))
    raise ValueError(f"unknown path {task['path']!r}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    task = json.loads(Path(argv[0]).read_text())
    result = run_task(task)
    sys.stdout.write(RESULT_MARKER + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
