"""A simulation run over HTTP: queued like any run, its draws counted, its bands those of `optimizer.simulate`."""

from __future__ import annotations

import io
import os

import pandas as pd

from models import load_dataset
from models.scenario import parse_scenario, parse_yaml
from optimizer import simulate
from tests.api.helpers import READ, WRITE, YAML, dataset_folder, scenario_yaml, wait_for_run

#: Read at import: the tests' autouse fixture removes every CAPPLAN_ variable from the environment.
CLUSTER = os.environ.get("CAPPLAN_TEST_RAY_ADDRESS")
SIMULATION = "simulation:\n  default_cancellation_rate: 0.1\n  acceptance: {midpoint_km: 40}\n"


def test_a_simulation_run_stores_the_bands_that_simulate_computes(client, small_zip, tmp_path, monkeypatch):
    # the run process inherits the environment: on CI its draws go to the test cluster (no Ray to start)
    if CLUSTER:
        monkeypatch.setenv("CAPPLAN_RAY_ADDRESS", CLUSTER)
    assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP_HEADERS).status_code == 201
    text = scenario_yaml("sim", "rd1", horizon=4, extra=SIMULATION)
    assert client.post("/api/v1/scenarios", content=text, headers=YAML).status_code == 201
    request = {"scenario": "sim", "simulation": {"draws": 3, "seed": 11}}
    created = client.post("/api/v1/runs", json=request, headers=WRITE)
    assert created.status_code == 202, created.text
    assert created.json()["simulation"] == {"draws": 3, "seed": 11, "replan": None, "done": 0}

    run = wait_for_run(client, created.json()["id"], timeout=180)
    assert run["status"] == "done", run
    assert "simulating" in [stage["stage"] for stage in run["stages"]]
    assert run["simulation"]["done"] == 3
    assert "simulation-bands" in run["results"]
    served = client.get(f"/api/v1/runs/{run['id']}/simulation-bands.csv", headers=READ)
    assert served.status_code == 200
    bands = pd.read_csv(io.StringIO(served.text))
    page = client.get(f"/api/v1/runs/{run['id']}/simulation-bands?limit=5", headers=READ).json()
    assert page["total"] == len(bands) and len(page["rows"]) == 5

    # the same scenario, dataset and seed in this process: the same bands
    scenario = parse_scenario(parse_yaml(text, "test"), "test")
    dataset = load_dataset(dataset_folder(tmp_path), plan_start=scenario.start_week)
    local = simulate(scenario, dataset=dataset, draws=3, seed=11, engine="local").bands
    pd.testing.assert_frame_equal(
        bands.sort_values(["level", "key", "metric", "week"], ignore_index=True),
        local.sort_values(["level", "key", "metric", "week"], ignore_index=True),
        check_dtype=False,
        atol=1e-9,
    )
    assert client.get(f"/api/v1/runs/{run['id']}/summary", headers=READ).json()["simulation"]["draws"] == 3


def test_a_plan_run_has_no_simulation_and_no_bands(client, small_zip):
    assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP_HEADERS).status_code == 201
    assert client.post("/api/v1/scenarios", content=scenario_yaml("plain", "rd1", 2), headers=YAML).status_code == 201
    created = client.post("/api/v1/runs", json={"scenario": "plain"}, headers=WRITE).json()
    assert created["simulation"] is None
    run = wait_for_run(client, created["id"])
    assert run["status"] == "done" and "simulation-bands" not in run["results"]
    assert client.get(f"/api/v1/runs/{run['id']}/simulation-bands", headers=READ).status_code == 404


def test_a_simulation_request_is_validated(client):
    bad = client.post("/api/v1/runs", json={"scenario": "x", "simulation": {"draws": 0}}, headers=WRITE)
    assert bad.status_code == 422
    bad = client.post("/api/v1/runs", json={"scenario": "x", "simulation": {"replan": "daily"}}, headers=WRITE)
    assert bad.status_code == 422


ZIP_HEADERS = {**WRITE, "content-type": "application/zip"}
