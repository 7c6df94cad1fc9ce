"""Running the benchmark: every instance in fresh processes, one table, a CSV and growth factors.

Per instance two worker processes run one after the other (never in parallel: the machine has two
cores): the engine's path (`plan()`, as `capplan run`) and the direct highspy path, solved with the
HiGHS options the engine used. Their results are combined into one row: model size, the engine's
stage seconds, peak RSS, the direct path's build and solve seconds, the ratio
(Pyomo build + solve) / (direct build + solve), and whether both objectives agree to 1e-6.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.instances import DEFAULT_CACHE, InstanceSpec, materialize
from benchmarks.worker import RESULT_MARKER, run_task

REPO_ROOT = Path(__file__).resolve().parent.parent
REL_TOLERANCE = 1e-6

#: Every column of the CSV, in order. Seconds unless the name says otherwise.
CSV_COLUMNS = [
    "instance",
    "strategy",
    "group",
    "series",
    "scale",
    "weeks",
    "regions",
    "hospitals",
    "procedures",
    "waiting",
    "variables",
    "constraints",
    "nonzeros",
    "load",
    "prepare",
    "build",
    "solve",
    "highs",
    "translate",
    "read_solution",
    "results",
    "end_to_end",
    "peak_rss_mib",
    "base_rss_mib",
    "direct_build",
    "direct_solve",
    "direct_prepare",
    "direct_peak_rss_mib",
    "direct_variables",
    "direct_constraints",
    "direct_nonzeros",
    "ratio",
    "ratio_same_highs",
    "overhead_ratio",
    "objective",
    "direct_objective",
    "rel_diff",
    "agree",
    "status",
    "direct_status",
    "iterations",
    "highs_iterations",
    "direct_iterations",
    "highs_calls",
    "highs_options",
    "engine_seconds",
    "time_limit",
    "repeats",
    "loadavg",
    "column_generation",
]

#: The printed table: (column, header, format). Seconds with 2 decimals, sizes with thousands.
TABLE_COLUMNS = [
    ("instance", "instance", "s"),
    ("strategy", "strategy", "s"),
    ("variables", "variables", "n"),
    ("constraints", "constraints", "n"),
    ("nonzeros", "nonzeros", "n"),
    ("load", "load", "t"),
    ("prepare", "prepare", "t"),
    ("build", "Pyomo build", "t"),
    ("solve", "solve", "t"),
    ("highs", "of it HiGHS", "t"),
    ("results", "results", "t"),
    ("end_to_end", "end to end", "t"),
    ("peak_rss_mib", "peak RSS MiB", "m"),
    ("direct_build", "direct build", "t"),
    ("direct_solve", "direct solve", "t"),
    ("ratio", "ratio", "r"),
    ("ratio_same_highs", "ratio at equal HiGHS", "r"),
    ("agree", "objective agrees", "a"),
]

#: Measures whose growth is shown per doubling in a scaling series.
GROWTH_MEASURES = [
    "variables",
    "nonzeros",
    "load",
    "prepare",
    "build",
    "translate",
    "highs",
    "results",
    "end_to_end",
    "peak_rss_mib",
    "direct_build",
    "direct_solve",
]


@dataclass
class RunOptions:
    """How to run: time limit (seconds, both paths), dataset cache, isolation, direct path, profiles."""

    time_limit: float | None = None
    repeat: int = 1  # measurements per path; the fastest (build + solve) is kept
    cache: Path = DEFAULT_CACHE
    isolate: bool = True  # a fresh process per measurement (peak RSS per instance); False: in this process
    direct: bool = True
    profile_dir: Path | None = None
    python: str = sys.executable
    strategies: tuple[str, ...] = ("auto",)  # solve strategies of the engine path, one row each
    log: Callable[[str], None] = field(default=lambda message: print(message, file=sys.stderr, flush=True))


def run_worker(task: dict, options: RunOptions) -> dict:
    """Run one measurement task, in a fresh process unless `options.isolate` is false."""
    if not options.isolate:
        return run_task(task)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(task, handle)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    timeout = None if options.time_limit is None else 4 * options.time_limit + 900
    try:
        proc = subprocess.run(
            [options.python, "-m", "benchmarks.worker", handle.name],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"status": f"worker timed out after {timeout:.0f} s"}
    finally:
        os.unlink(handle.name)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
    return {"status": f"worker failed (exit {proc.returncode})", "error": tail}


def relative_difference(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return None
    return abs(a - b) / max(1.0, abs(a), abs(b))


def is_optimal(status: str | None) -> bool:
    return str(status).lower() == "optimal"


def combine(spec: InstanceSpec, engine: dict, direct: dict | None, time_limit: float | None) -> dict:
    """One table row from the two measurements of an instance."""
    row = {
        "instance": spec.name,
        "group": spec.group,
        "series": spec.series,
        "scale": spec.scale,
        "weeks": spec.scenario.get("horizon_weeks"),
        "time_limit": time_limit,
    }
    row.update(engine.get("dataset", {}))
    for key in (
        "variables",
        "constraints",
        "nonzeros",
        "load",
        "prepare",
        "build",
        "solve",
        "highs",
        "results",
        "end_to_end",
        "peak_rss_mib",
        "base_rss_mib",
        "objective",
        "status",
        "iterations",
        "read_solution",
        "highs_iterations",
        "highs_calls",
        "strategy",
    ):
        row[key] = engine.get(key)
    row["highs_options"] = json.dumps(engine.get("highs_options") or {}, sort_keys=True)
    row["engine_seconds"] = json.dumps({k: round(v, 4) for k, v in (engine.get("engine_seconds") or {}).items()})
    # rounds (`iterations`), columns priced in, flow columns in the last master and in the full LP
    row["column_generation"] = json.dumps(engine.get("column_generation") or {}, sort_keys=True)
    direct = direct or {}
    for key in (
        "build",
        "solve",
        "prepare",
        "peak_rss_mib",
        "variables",
        "constraints",
        "nonzeros",
        "objective",
        "status",
        "iterations",
    ):
        row[f"direct_{key}"] = direct.get(key)
    return derive(row)


def derive(row: dict) -> dict:
    """The columns computed from measured ones: translate, the ratios, objective agreement."""
    if row.get("solve") is not None and row.get("highs") is not None:
        row["translate"] = row["solve"] - row["highs"]
    both_optimal = is_optimal(row.get("status")) and is_optimal(row.get("direct_status"))
    if both_optimal and None not in (
        row.get("build"),
        row.get("solve"),
        row.get("direct_build"),
        row.get("direct_solve"),
    ):
        row["ratio"] = (row["build"] + row["solve"]) / max(row["direct_build"] + row["direct_solve"], 1e-9)
        if row.get("translate") is not None:
            row["overhead_ratio"] = (row["build"] + row["translate"]) / max(row["direct_build"], 1e-9)
        if row.get("highs"):
            # both paths hand HiGHS the same LP (same iterations): charge both the engine's HiGHS time,
            # so that the load of a shared machine on one of the two solves does not move the ratio
            row["ratio_same_highs"] = (row["build"] + row["solve"]) / max(row["direct_build"] + row["highs"], 1e-9)
    if both_optimal:
        row["rel_diff"] = relative_difference(row.get("objective"), row.get("direct_objective"))
        row["agree"] = row["rel_diff"] is not None and row["rel_diff"] <= REL_TOLERANCE
    return row


def run_instance(spec: InstanceSpec, options: RunOptions) -> list[dict]:
    """Measure one instance: the engine path per strategy, then the direct path (full LP) once.

    The direct path solves the full LP with the HiGHS options of the engine's `full_lp` run (its
    interior point method when only column generation ran), so every row's objective is checked
    against the full LP's.
    """
    folder = materialize(spec, options.cache)
    scenario = spec.parsed_scenario(options.time_limit).to_yaml_dict()
    loadavg = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    base = {"name": spec.name, "dataset_dir": str(folder)}
    engine_tasks = {
        strategy: {
            **base,
            "path": "engine",
            "scenario": {**scenario, "solve": {**scenario.get("solve", {}), "strategy": strategy}},
        }
        for strategy in options.strategies
    }
    engines = {
        strategy: _repeat(task, options, f"{spec.name} ({strategy}): engine") for strategy, task in engine_tasks.items()
    }
    direct = None
    if options.direct:
        full = next((runs[0] for runs in engines.values() if runs[0].get("strategy") == "full_lp"), None)
        highs_options = dict((full or {}).get("highs_options") or {"solver": "ipm"})
        if options.time_limit is not None:
            highs_options["time_limit"] = float(options.time_limit)
        task = {**base, "scenario": scenario, "path": "direct", "highs_options": highs_options}
        direct = fastest(_repeat(task, options, f"{spec.name}: direct"))
    rows = []
    for strategy, runs in engines.items():
        engine = fastest(runs)
        if options.profile_dir is not None:
            profile = Path(options.profile_dir) / f"{spec.name}-{strategy}"
            run_worker({**engine_tasks[strategy], "profile": str(profile)}, options)
            options.log(f"  {spec.name}: profile written to {profile}.txt")
        row = combine(spec, engine, direct, options.time_limit)
        row["loadavg"] = loadavg
        row["repeats"] = len(runs)
        rows.append(row)
        for result in (engine, direct or {}):
            if result.get("error"):
                options.log(f"  {spec.name} ({result.get('path', '?')}): {result['error']}")
    return rows


def _repeat(task: dict, options: RunOptions, label: str) -> list[dict]:
    """Run `task` `options.repeat` times (once if the first run is not optimal), logging each run."""
    results = []
    for _ in range(max(1, options.repeat)):
        started = time.perf_counter()
        results.append(run_worker(task, options))
        options.log(f"  {label} {results[-1].get('status')} in {time.perf_counter() - started:.1f} s")
        if not is_optimal(results[0].get("status")):
            break  # a failed or time-limited instance is not repeated
    return results


def fastest(results: list[dict]) -> dict:
    """The measurement with the least build + solve time (others' load is noise on a shared machine)."""
    return min(results, key=lambda r: (not is_optimal(r.get("status")), (r.get("build") or 0) + (r.get("solve") or 0)))


def run_benchmark(specs: Iterable[InstanceSpec], options: RunOptions) -> list[dict]:
    specs = list(specs)
    rows = []
    for k, spec in enumerate(specs, start=1):
        options.log(f"[{k}/{len(specs)}] {spec.name}")
        rows.extend(run_instance(spec, options))
    return rows


# --- output ----------------------------------------------------------------------------------------


def write_csv(rows: list[dict], path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k)) for k in CSV_COLUMNS})


def read_csv(path: Path) -> list[dict]:
    """Rows written by `write_csv`, numbers as numbers (to render earlier runs again)."""
    rows = []
    with Path(path).open(newline="") as handle:
        for raw in csv.DictReader(handle):
            row = {}
            for key, value in raw.items():
                if value == "":
                    row[key] = None
                elif value in ("True", "False"):
                    row[key] = value == "True"
                else:
                    try:
                        row[key] = float(value) if key not in ("instance", "group", "series") else value
                    except ValueError:
                        row[key] = value
            rows.append(derive(row))
    return rows


def _csv_value(value):
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.10g}"
    return "" if value is None else value


def format_cell(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "n":
        return f"{int(value):,}"
    if kind == "t":
        return f"{value:.2f}"
    if kind == "m":
        return f"{value:,.0f}"
    if kind == "r":
        return f"{value:.2f}×"
    if kind == "a":
        return "yes" if value else "NO"
    return str(value)


def table_rows(rows: list[dict]) -> list[list[str]]:
    out = []
    for row in rows:
        cells = [format_cell(row.get(key), kind) for key, _, kind in TABLE_COLUMNS]
        if not is_optimal(row.get("status")):
            cells[-1] = str(row.get("status"))[:40]
        out.append(cells)
    return out


def growth(rows: list[dict]) -> dict[str, list[dict]]:
    """Per scaling series: growth factor of each measure from one member to the next (a doubling),
    and the exponent of a power law through the first and last member (1.0 = linear)."""
    series: dict[str, list[dict]] = {}
    for row in rows:
        if row.get("series") and row.get("scale") and is_optimal(row.get("status")):
            key = f"{row['series']} ({row['strategy']})" if row.get("strategy") else row["series"]
            series.setdefault(key, []).append(row)
    out = {}
    for name, members in series.items():
        members = sorted(members, key=lambda r: r["scale"])
        if len(members) < 2:
            continue
        table = []
        for measure in GROWTH_MEASURES:
            values = [m.get(measure) for m in members]
            steps = [b / a if a and b is not None and a > 0 else None for a, b in zip(values, values[1:], strict=False)]
            first, last = values[0], values[-1]
            exponent = None
            if first and last and first > 0 and last > 0:
                exponent = math.log(last / first) / math.log(members[-1]["scale"] / members[0]["scale"])
            table.append({"measure": measure, "steps": steps, "exponent": exponent})
        out[name] = [{"scales": [m["scale"] for m in members], "instances": [m["instance"] for m in members]}, *table]
    return out


def environment() -> dict[str, str]:
    """Commit, whether the engine has uncommitted changes, versions, cores and load."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    import pyomo

    from optimizer.solvers.highs import new_highs

    dirty = git("status", "--porcelain", "--", "optimizer", "models")
    version = new_highs()
    return {
        "commit": git("rev-parse", "--short", "HEAD") + (" + uncommitted engine changes" if dirty else ""),
        "python": platform.python_version(),
        "pyomo": pyomo.version.version,
        "highs": f"{version.versionMajor()}.{version.versionMinor()}.{version.versionPatch()}",
        "cores": str(os.cpu_count()),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "",
        "machine": platform.machine(),
    }


def render(rows: list[dict], env: dict[str, str] | None = None, file=None, width: int = 230) -> None:
    """Print the environment, the table and the growth factors (rich)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file or sys.stdout, width=max(width, Console().width))
    if env:
        console.print(", ".join(f"{k} {v}" for k, v in env.items()))
    table = Table(title="capplan benchmark (seconds; ratio = (Pyomo build + solve) / (direct build + solve))")
    for _, header, kind in TABLE_COLUMNS:
        table.add_column(header, justify="left" if kind in ("s", "a") else "right")
    for cells in table_rows(rows):
        table.add_row(*cells)
    console.print(table)
    for name, (head, *measures) in growth(rows).items():
        scales = head["scales"]
        g = Table(title=f"growth per doubling, series '{name}' ({', '.join(head['instances'])})")
        g.add_column("measure")
        for a, b in zip(scales, scales[1:], strict=False):
            g.add_column(f"{a:g}→{b:g}", justify="right")
        g.add_column("exponent", justify="right")
        for m in measures:
            g.add_row(
                m["measure"],
                *[format_cell(s, "r") for s in m["steps"]],
                "–" if m["exponent"] is None else f"{m['exponent']:.2f}",
            )
        console.print(g)


def markdown_table(rows: list[dict]) -> str:
    """The printed table as Markdown (for the README)."""
    lines = [
        "| " + " | ".join(h for _, h, _ in TABLE_COLUMNS) + " |",
        "|" + "|".join("---" if kind in ("s", "a") else "---:" for _, _, kind in TABLE_COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_rows(rows)]
    return "\n".join(lines)


def markdown_growth(rows: list[dict]) -> str:
    """The growth factors per doubling of each scaling series as Markdown tables."""
    parts = []
    for name, (head, *measures) in growth(rows).items():
        scales = head["scales"]
        steps = [f"{a:g}→{b:g}" for a, b in zip(scales, scales[1:], strict=False)]
        lines = [
            f"Series `{name}` ({', '.join(head['instances'])}):",
            "",
            "| measure | " + " | ".join(steps) + " | exponent |",
            "|---|" + "---:|" * (len(steps) + 1),
        ]
        for m in measures:
            cells = [format_cell(s, "r") for s in m["steps"]]
            exponent = "–" if m["exponent"] is None else f"{m['exponent']:.2f}"
            lines.append(f"| {m['measure']} | " + " | ".join(cells) + f" | {exponent} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def disagreements(rows: list[dict]) -> list[dict]:
    """Rows where both paths are optimal but the objectives differ by more than 1e-6 relative."""
    return [r for r in rows if r.get("agree") is False]
