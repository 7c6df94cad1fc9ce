"""The `capplan run` benchmark: wall seconds of the whole command, as the coordinator starts it.

Each run is a fresh process: Python start-up, imports, loading the dataset, planning, writing every
result file and the interpreter's exit, which is what issue 7's "`capplan run` end to end ≤ 5 s"
is about (the other benchmarks time `plan()` inside a process). One untimed run first writes the
bytecode caches, as any run after the first install finds them. The machine is shared and its speed
drifts, so the median of several runs is the figure, and a comparison between two versions should
interleave their runs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The design's target for `capplan run` on the default scenario, in seconds.
TARGET_SECONDS = 5.0


def capplan_command() -> list[str]:
    """The installed `capplan` console script of this interpreter's environment, else the same entry point."""
    script = shutil.which("capplan", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    program = "import sys; from capplan.cli import entry_point; sys.argv[0] = 'capplan'; entry_point()"
    return [sys.executable, "-c", program]


def measure_cli(runs: int = 5, scenario: str | Path | None = None, log=print) -> dict:
    """Time `capplan run [scenario]` `runs` times after one untimed run; raise if a run fails."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    command = [*capplan_command(), "run", *([str(scenario)] if scenario is not None else [])]
    # a developer's shell may forbid bytecode caches; a user's install has them
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    seconds = []
    with tempfile.TemporaryDirectory(prefix="capplan-cli-bench-") as folder:
        out = ["--out", str(Path(folder) / "out")]
        for k in range(runs + 1):
            started = time.perf_counter()
            done = subprocess.run([*command, *out], capture_output=True, text=True, env=env)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
                raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{tail}")
            if k == 0:
                log(f"  untimed first run: {elapsed:.2f} s")
                continue
            seconds.append(elapsed)
            log(f"  run {k}: {elapsed:.2f} s")
    return {
        "scenario": str(scenario) if scenario is not None else "default",
        "runs": runs,
        "median_seconds": statistics.median(seconds),
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "target_seconds": TARGET_SECONDS,
        "under_target": sum(s <= TARGET_SECONDS for s in seconds),
        "seconds": " ".join(f"{s:.3f}" for s in seconds),
    }
