"""A simulation's result folder: the plan's files, simulation_bands.csv, simulation.json and report.html."""

from __future__ import annotations

import json
from pathlib import Path

from models.numbers import write_csv
from optimizer import SimulationResult
from presentation.html_report import plan_report_html
from presentation.result_files import write_results

#: The bands' file (long format: level, key, week, metric, p10, p50, p90, mean, draws).
BANDS_FILE = "simulation_bands.csv"


def write_simulation(simulation: SimulationResult, out_dir: str | Path, *, report: bool = True) -> Path:
    """Write the plan's result files, then the bands, simulation.json and (`report`) the report with the bands."""
    folder = write_results(simulation.plan, out_dir)
    write_csv(simulation.bands, folder / BANDS_FILE)
    (folder / "simulation.json").write_text(json.dumps(simulation.summary(), indent=2), encoding="utf-8")
    if report:
        plan_report_html(simulation.plan, folder / "report.html", simulation=simulation)
    return folder
