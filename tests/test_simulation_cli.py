"""`capplan simulate` writes the bands, simulation.json and the report; the same seed, the same file."""

from __future__ import annotations

import json

import pandas as pd
import yaml
from typer.testing import CliRunner

from capplan.cli import app
from models import save_dataset
from optimizer import BAND_COLUMNS
from tests.factory import random_dataset


def _scenario_file(tmp_path) -> str:
    folder = save_dataset(random_dataset(5, weeks=4), tmp_path / "tiny")
    scenario = {
        "name": "tiny-sim",
        "dataset": str(folder),
        "start_week": "2025-W14",
        "horizon_weeks": 4,
        "policy": {"max_travel_km": 300},
        "simulation": {"default_cancellation_rate": 0.2, "acceptance": {"midpoint_km": 30}},
    }
    path = tmp_path / "tiny-sim.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    return str(path)


def test_simulate_writes_bands_summary_and_report_reproducibly(tmp_path, monkeypatch):
    monkeypatch.delenv("CAPPLAN_RAY_ADDRESS", raising=False)
    monkeypatch.setattr("optimizer.simulation.engine.ray_available", lambda: False)  # in this process: fast
    scenario = _scenario_file(tmp_path)
    runs = []
    for out in ("a", "b"):
        outcome = CliRunner().invoke(
            app, ["simulate", scenario, "--draws", "5", "--seed", "3", "--out", str(tmp_path / out)]
        )
        assert outcome.exit_code == 0, outcome.output
        runs.append(tmp_path / out)
    first, second = (pd.read_csv(folder / "simulation_bands.csv") for folder in runs)
    assert list(first.columns) == BAND_COLUMNS
    pd.testing.assert_frame_equal(first, second)
    assert set(first["level"]) == {"region", "procedure", "total"}
    assert set(first["metric"]) == {"waiting", "over_90", "breach_days", "treated"}
    summary = json.loads((runs[0] / "simulation.json").read_text(encoding="utf-8"))
    assert summary["draws"] == 5 and summary["seed"] == 3 and summary["engine"] == "local"
    report = (runs[0] / "report.html").read_text(encoding="utf-8")
    assert "<h2>Simulering</h2>" in report and "från P10 till P90" in report  # Swedish by default
    assert (runs[0] / "summary.json").exists()  # the plan's own result files are there too
