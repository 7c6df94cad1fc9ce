"""Measuring one instance in the current process: the engine's path and the direct highspy path.

`measure_engine` runs `optimizer.plan` exactly as `capplan run` does (after loading the dataset
itself, timed as `load`) and reads the engine's own stage times (`PlanResult.seconds`). It also
times every `highspy.Highs.run` call made inside (by wrapping the method for the duration of the
call, no change to the engine), which splits the engine's `solve` into HiGHS's own work and the rest
(Pyomo's translation of the model into highspy and reading the solution back), and it records the
HiGHS options the engine set, so that the direct path can be solved with the very same options.

`measure_direct` prepares the same instance and hands the engine's `Formulation` to highspy as
arrays (`benchmarks.direct_highs`): the floor a model build can reach.

Both return plain dicts (JSON-serialisable); `benchmarks.worker` calls them in a fresh process per
instance so that the peak RSS (`peak_rss_mib`) belongs to that instance alone.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import resource
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import highspy

from models.dataset import Dataset
from models.scenario import Scenario

#: HiGHS options that only concern logging or MIP: not copied to the direct path.
_IGNORED_OPTIONS = {"output_flag", "log_to_console", "log_file", "log_dev_level", "timeless_log", "log_githash"}
#: Fallback when the engine never reached HiGHS: its documented default method.
DEFAULT_DIRECT_OPTIONS = {"solver": "ipm"}


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB.

    On Linux the high-water mark of this address space (`VmHWM`): unlike `ru_maxrss`, which a child
    inherits across fork + exec, it starts afresh in a new process, so a large parent (the runner
    that generated the datasets) never shows up in a worker's number.
    """
    with contextlib.suppress(OSError, ValueError, StopIteration):
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _option_values(h: highspy.Highs) -> dict:
    options = h.getOptions()
    return {name: getattr(options, name) for name in dir(options) if not name.startswith("_")}


_DEFAULT_OPTIONS: dict | None = None


def changed_options(h: highspy.Highs) -> dict:
    """The HiGHS options of `h` that differ from a fresh `Highs()` (logging and MIP options left out)."""
    global _DEFAULT_OPTIONS
    if _DEFAULT_OPTIONS is None:
        _DEFAULT_OPTIONS = _option_values(highspy.Highs())
    return {
        name: value
        for name, value in _option_values(h).items()
        if name not in _IGNORED_OPTIONS
        and not name.startswith("mip_")
        and _DEFAULT_OPTIONS.get(name) != value
        and isinstance(value, bool | int | float | str)
    }


class HighsRuns:
    """What `highspy.Highs.run` did while `timed_highs_runs` was active."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self.options: dict = {}
        self.iterations = 0


@contextlib.contextmanager
def timed_highs_runs(runs: HighsRuns | None = None) -> Iterator[HighsRuns]:
    """Time every `highspy.Highs.run` call (the engine's solver calls go through it)."""
    runs = runs if runs is not None else HighsRuns()
    original = highspy.Highs.run

    def run(self, *args, **kwargs):
        runs.options = changed_options(self)
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            runs.seconds += time.perf_counter() - started
            runs.calls += 1
            with contextlib.suppress(Exception):
                info = self.getInfo()
                runs.iterations += (
                    int(info.ipm_iteration_count)
                    + int(info.simplex_iteration_count)
                    + max(int(info.crossover_iteration_count), 0)
                )

    highspy.Highs.run = run
    try:
        yield runs
    finally:
        highspy.Highs.run = original


def _write_profile(prof: cProfile.Profile, path: Path) -> None:
    """`<path>.prof` (pstats) and `<path>.txt`: the top functions by cumulative and by own time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    prof.dump_stats(str(path.with_suffix(".prof")))
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    out.write("=== by cumulative time ===\n")
    stats.sort_stats("cumulative").print_stats(45)
    out.write("\n=== by own time ===\n")
    stats.sort_stats("tottime").print_stats(30)
    path.with_suffix(".txt").write_text(out.getvalue())


def measure_engine(scenario: Scenario, load: Callable[[], Dataset], profile: Path | None = None) -> dict:
    """Load, then `plan()` one scenario; the engine's stage seconds, size, objective and peak RSS.

    With `profile`, the `plan()` call runs under cProfile (times are then inflated; use for where,
    not how long) and the statistics are written beside `profile`.
    """
    import optimizer.solvers.pyomo_adapter  # noqa: F401  (Pyomo: imported before timing, as every other import is)
    from optimizer import plan

    out: dict = {"path": "engine", "base_rss_mib": peak_rss_mib()}
    # the LP against the direct highspy floor: the whole-patient search (a MIP of its own, measured in
    # benchmarks/whole_patient_gap.py) stays out of these figures
    solve = scenario.solve.model_copy(update={"whole_patient_search_seconds": 0.0})
    scenario = scenario.model_copy(update={"solve": solve})
    marks: list[tuple[str, float]] = []
    runs = HighsRuns()
    started = time.perf_counter()
    try:
        dataset = load()
        out["load"] = time.perf_counter() - started
        out["dataset"] = dataset_stats(dataset)
        prof = cProfile.Profile() if profile is not None else None
        with timed_highs_runs(runs):
            clock = time.perf_counter()
            try:
                if prof is not None:
                    prof.enable()
                result = plan(
                    scenario, dataset=dataset, progress=lambda stage: marks.append((stage, time.perf_counter()))
                )
            finally:
                if prof is not None:
                    prof.disable()
                    _write_profile(prof, profile)
            out["plan_wall"] = time.perf_counter() - clock
        seconds = dict(result.seconds)
        out.update(
            {
                "status": result.summary()["status"],
                "objective": float(result.objective),
                "variables": int(result.size.get("variables", 0)),
                "constraints": int(result.size.get("constraints", 0)),
                "nonzeros": int(result.size.get("nonzeros", 0)),
                "iterations": int(result.iterations),
                "strategy": result.strategy,
                "column_generation": {k: v for k, v in (result.column_generation or {}).items() if k != "rounds"},
                "engine_seconds": seconds,
            }
        )
        for stage in ("prepare", "build", "solve", "results"):
            out[stage] = float(seconds.get(stage, 0.0))
        # the Pyomo path's solve: translation, HiGHS, and reading the solution back (a stage of its own
        # in the engine's seconds since it records it separately)
        out["read_solution"] = float(seconds.get("read_solution", 0.0))
        out["solve"] += out["read_solution"]
        out["load"] += float(seconds.get("load", 0.0))
    except Exception as exc:  # a failed instance is reported, the benchmark goes on
        out["status"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
        out["error"] = traceback.format_exc(limit=6)
        out["stage_marks"] = _stage_times(marks, time.perf_counter())
        # what the progress reports tell: "building" covers prepare + build, "solving" the solve
        out["build"] = out["stage_marks"].get("building")
        out["solve"] = out["stage_marks"].get("solving")
    out["highs"] = runs.seconds
    out["highs_calls"] = runs.calls
    out["highs_iterations"] = runs.iterations
    out["highs_options"] = runs.options
    out["end_to_end"] = time.perf_counter() - started
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def dataset_stats(dataset: Dataset) -> dict[str, int]:
    """Regions, hospitals, procedure groups and waiting patients (status `waiting`) of a dataset."""
    return {
        "regions": len(dataset.regions),
        "hospitals": len(dataset.hospitals),
        "procedures": len(dataset.procedures),
        "waiting": int((dataset.waiting_list["status"] == "waiting").sum()),
    }


def _stage_times(marks: list[tuple[str, float]], end: float) -> dict[str, float]:
    """Seconds between the engine's progress reports (used when `plan()` raised)."""
    times = {}
    for (stage, at), (_, until) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        times[stage] = times.get(stage, 0.0) + until - at
    return times


def measure_direct(scenario: Scenario, load: Callable[[], Dataset], options: dict | None = None) -> dict:
    """Load and prepare as the engine does, then build the same LP as arrays and solve it in highspy."""
    from benchmarks.direct_highs import solve_direct
    from optimizer import prepare
    from optimizer.model.formulation import formulate

    out: dict = {"path": "direct", "base_rss_mib": peak_rss_mib()}
    options = dict(options or DEFAULT_DIRECT_OPTIONS)
    out["highs_options"] = options
    started = time.perf_counter()
    try:
        if scenario.policy.no_region_worse_off:
            raise NotImplementedError("the direct path does not plan the standalone baseline (no_region_worse_off)")
        dataset = load()
        out["load"] = time.perf_counter() - started
        clock = time.perf_counter()
        inst = prepare(scenario, dataset)
        out["prepare"] = time.perf_counter() - clock
        solved = solve_direct(lambda: formulate(inst), options)
        out.update(
            {
                "status": solved.status,
                "objective": float(solved.objective),
                "build": solved.build_seconds,
                "solve": solved.solve_seconds,
                "variables": solved.columns,
                "constraints": solved.rows,
                "nonzeros": solved.nonzeros,
                "iterations": solved.iterations,
            }
        )
    except Exception as exc:
        out["status"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
        out["error"] = traceback.format_exc(limit=6)
    out["end_to_end"] = time.perf_counter() - started
    out["peak_rss_mib"] = peak_rss_mib()
    return out
