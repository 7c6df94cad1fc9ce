"""The `capplan run` benchmark: wall seconds of the whole command, as the coordinator starts it.

Each run is a fresh process: Python start-up, imports, loading the dataset, planning, writing every
result file and the interpreter's exit, which is what issue 7's "`capplan run` end to end ≤ 5 s"
is about (the other benchmarks time `plan()` inside a process). One untimed run first writes the
bytecode caches, as any run after the first install finds them. Output goes to a pipe, so rich's
status spinner does not run. The machine is shared and its speed drifts, so the median of several
runs is the figure, and a comparison between two versions should interleave their runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from importlib import metadata
from pathlib import Path

#: The design's target for `capplan run` on the default scenario, in seconds.
TARGET_SECONDS = 5.0
#: The console script's target in pyproject.toml.
ENTRY_POINT = "capplan.cli:entry_point"
#: The same entry point run through the interpreter, for an environment without the script.
ENTRY_PROGRAM = "import sys; from capplan.cli import entry_point; sys.argv[0] = 'capplan'; entry_point()"
#: Settings of a developer's shell that would slow every run down; a user's install has none of them.
_SKEWING_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONDEVMODE", "PYTHONTRACEMALLOC", "PYTHONPROFILEIMPORTTIME")
#: A run taking longer than this is reported as failed rather than waited for.
RUN_TIMEOUT_SECONDS = 600


def installed_entry_point() -> str | None:
    """What the installed `capplan` console script runs (None: not installed as a distribution)."""
    found = metadata.entry_points(group="console_scripts", name="capplan")
    return next(iter(found)).value if found else None


def capplan_command() -> list[str]:
    """The installed `capplan` script of this interpreter's environment, else the entry point run by it.

    Raises RuntimeError if the installed script runs something else than `ENTRY_POINT` (an install
    older than the entry point: `pip install -e .` again), since its timings would not be this code's.
    """
    installed = installed_entry_point()
    if installed is not None and installed != ENTRY_POINT:
        raise RuntimeError(f"the installed capplan script runs {installed}, not {ENTRY_POINT}: reinstall capplan")
    script = Path(sysconfig.get_path("scripts")) / ("capplan.exe" if os.name == "nt" else "capplan")
    return [str(script)] if script.is_file() else [sys.executable, "-c", ENTRY_PROGRAM]


def measure_cli(runs: int = 5, scenario: str | Path | None = None, log=print) -> dict:
    """Time `capplan run [scenario]` `runs` times after one untimed run; RuntimeError if a run fails."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    command = [*capplan_command(), "run", *([str(scenario)] if scenario is not None else [])]
    log(f"  command: {' '.join(command)}")
    env = {key: value for key, value in os.environ.items() if key not in _SKEWING_ENV}
    seconds = []
    with tempfile.TemporaryDirectory(prefix="capplan-cli-bench-") as folder:
        for k in range(runs + 1):
            elapsed = _timed_run([*command, "--out", str(Path(folder) / f"run-{k}")], env)
            if k == 0:
                log(f"  untimed first run: {elapsed:.2f} s")
                continue
            seconds.append(elapsed)
            log(f"  run {k}: {elapsed:.2f} s")
    return {
        "scenario": str(scenario) if scenario is not None else "default",
        "command": " ".join(command),
        "runs": runs,
        "median_seconds": statistics.median(seconds),
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "target_seconds": TARGET_SECONDS,
        "under_target": sum(s <= TARGET_SECONDS for s in seconds),
        "seconds": " ".join(f"{s:.3f}" for s in seconds),
    }


def _timed_run(command: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run of `command`; RuntimeError (with the output's tail) if it fails."""
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{' '.join(command)} took over {RUN_TIMEOUT_SECONDS} s") from None
    except OSError as error:
        raise RuntimeError(f"cannot start {command[0]}: {error}") from None
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{tail}")
    return elapsed
