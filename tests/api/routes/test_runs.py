"""Run routes: 202 + background run, status with stages and timings, cancel, every result table as
JSON pages or CSV, the summary, and errors (infeasible scenario, results of an unfinished run)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from api.results import RESULT_TABLES
from tests.api.helpers import READ, WRITE, YAML, ZIP, scenario_yaml, wait_for, wait_for_run

ENGINE_STAGES = ["loading", "building", "solving", "reporting"]


def test_a_run_goes_through_the_engine_stages_to_done(service):
    run = service.runs["base"]
    assert run["status"] == "done", run
    assert [s["stage"] for s in run["stages"]] == ENGINE_STAGES
    assert all(s["seconds"] >= 0 for s in run["stages"])
    assert run["queued_seconds"] >= 0 and run["elapsed_seconds"] > 0
    assert run["error"] is None
    # no report: reports are off in these tests; no changes: only a re-plan has them
    assert set(run["results"]) == {*RESULT_TABLES, "summary"} - {"changes"}


def test_runs_beyond_the_concurrency_limit_wait_in_the_queue(service):
    # three runs submitted at once with max_concurrent_runs = 2: never three at once, and one waited
    counts = [
        (
            sum(s not in ("queued", "done", "failed", "cancelled") for s in snap.values()),
            sum(s == "queued" for s in snap.values()),
        )
        for snap in service.snapshots
    ]
    assert max(active for active, _ in counts) <= 2
    assert any(active == 2 and queued == 1 for active, queued in counts)


def test_an_infeasible_scenario_fails_with_the_conflicting_constraints(service):
    run = service.runs["infeasible"]
    assert run["status"] == "failed"
    assert run["error"]["type"] == "infeasible"
    assert run["error"]["conflicts"] and any("agreement" in c for c in run["error"]["conflicts"])
    response = service.client.get(f"/api/v1/runs/{run['id']}/allocations", headers=READ)
    assert response.status_code == 409


def test_allocations_as_json_pages(service):
    client, run_id = service.client, service.runs["base"]["id"]
    first = client.get(f"/api/v1/runs/{run_id}/allocations?limit=5", headers=READ).json()
    assert first["columns"] == [
        "region_id",
        "listed_hospital_id",
        "procedure_id",
        "class",
        "priority",
        "hospital_id",
        "week",
        "patients",
    ]
    assert len(first["rows"]) == 5 and first["next_offset"] == 5 and first["total"] > 5
    whole = client.get(f"/api/v1/runs/{run_id}/allocations?limit=100000", headers=READ).json()
    assert whole["next_offset"] is None and len(whole["rows"]) == whole["total"]
    assert whole["rows"][:5] == first["rows"]
    second = client.get(f"/api/v1/runs/{run_id}/allocations?offset=5&limit=5", headers=READ).json()
    assert second["rows"] == whole["rows"][5:10]
    assert all(isinstance(r["patients"], float | int) and isinstance(r["region_id"], str) for r in whole["rows"])


def test_allocations_as_csv_whole_or_paged(service):
    client, run_id = service.client, service.runs["base"]["id"]
    response = client.get(f"/api/v1/runs/{run_id}/allocations?format=csv", headers=READ)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.StringIO(response.text))
    assert len(table) == int(response.headers["x-total-count"])
    as_json = client.get(f"/api/v1/runs/{run_id}/allocations?limit=100000", headers=READ).json()["rows"]
    assert table["patients"].sum() == pytest.approx(sum(r["patients"] for r in as_json))
    page = client.get(f"/api/v1/runs/{run_id}/allocations?format=csv&offset=2&limit=3", headers=READ)
    assert pd.read_csv(io.StringIO(page.text)).equals(table.iloc[2:5].reset_index(drop=True))


@pytest.mark.parametrize("table", [t for t in RESULT_TABLES if t != "changes"])  # changes: test_replan_runs.py
def test_every_result_table_is_served_in_both_formats(service, table):
    client, run_id = service.client, service.runs["base"]["id"]
    as_json = client.get(f"/api/v1/runs/{run_id}/{table}", headers=READ)
    assert as_json.status_code == 200, as_json.text
    as_csv = client.get(f"/api/v1/runs/{run_id}/{table}?format=csv", headers=READ)
    assert as_csv.status_code == 200
    assert as_csv.text.splitlines()[0].split(",") == as_json.json()["columns"]


def test_patient_proposals_offer_only_waiting_patients_and_travel_only_to_mobile_ones(service):
    rows = service.client.get(f"/api/v1/runs/{service.runs['base']['id']}/proposals?limit=100000", headers=READ)
    proposals = pd.DataFrame(rows.json()["rows"])
    assert len(proposals) > 0
    assert not proposals.loc[proposals["outside_home_region"], "class"].eq("local").any()


def test_summary_as_json_and_csv(service):
    client, run = service.client, service.runs["base"]
    summary = client.get(f"/api/v1/runs/{run['id']}/summary", headers=READ).json()
    assert summary["scenario"] == "base" and summary["status"] == "optimal"
    assert set(summary["objective_terms"]) >= {"breach_days_90", "cost_sek", "treated"}
    as_csv = client.get(f"/api/v1/runs/{run['id']}/summary?format=csv", headers=READ).text
    assert "objective_terms.breach_days_90," in as_csv


def test_report_is_404_when_reports_are_off(service):
    response = service.client.get(f"/api/v1/runs/{service.runs['base']['id']}/report", headers=READ)
    assert response.status_code == 404


def test_runs_are_listed_by_scenario_and_status(service):
    client = service.client
    assert client.get("/api/v1/runs?scenario=base", headers=READ).json()["count"] == 1
    assert client.get("/api/v1/runs?status=failed", headers=READ).json()["data"][0]["scenario_name"] == "infeasible"
    assert client.get("/api/v1/runs?scenario=nope", headers=READ).status_code == 404


def test_unknown_runs_and_tables_are_404(service):
    client = service.client
    assert client.get("/api/v1/runs/0123456789abcdef", headers=READ).status_code == 404
    assert client.get("/api/v1/runs/0123456789abcdef/allocations", headers=READ).status_code == 404
    assert client.get(f"/api/v1/runs/{service.runs['base']['id']}/nonsense", headers=READ).status_code == 404
    assert client.post("/api/v1/runs", json={"scenario": "nope"}, headers=WRITE).status_code == 404


def test_a_finished_run_cannot_be_cancelled(service):
    response = service.client.post(f"/api/v1/runs/{service.runs['base']['id']}/cancel", headers=WRITE)
    assert response.status_code == 409


def test_cancelling_stops_the_run_process_and_the_run_stays_cancelled(client, small_zip):
    assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP).status_code == 201
    assert client.post("/api/v1/scenarios", content=scenario_yaml("c", "rd1"), headers=YAML).status_code == 201
    run = client.post("/api/v1/runs", json={"scenario": "c"}, headers=WRITE).json()
    dispatcher = client.app.state.dispatcher
    wait_for(lambda: run["id"] in dispatcher.running(), timeout=10, interval=0.02, what="the run to start")
    response = client.post(f"/api/v1/runs/{run['id']}/cancel", headers=WRITE)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["error"]["type"] == "cancelled"
    wait_for(lambda: not dispatcher.running(), timeout=15, what="the run process to be stopped")
    assert not list(dispatcher.staging_dir.glob("run-*"))  # its copy of the dataset is gone
    final = wait_for_run(client, run["id"])
    assert final["status"] == "cancelled"
    assert client.get(f"/api/v1/runs/{run['id']}/allocations", headers=READ).status_code == 409
    assert client.delete(f"/api/v1/runs/{run['id']}", headers=WRITE).status_code == 204
