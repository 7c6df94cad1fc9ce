"""Re-plan runs: POST /runs with `previous_run_id` re-plans from that run's proposals; its results
hold the `changes` table and the summary its counts; a previous run without a plan is refused."""

from __future__ import annotations

from tests.api.helpers import READ, WRITE, YAML, scenario_yaml, wait_for_run


def test_a_run_re_plans_from_a_previous_run_and_serves_what_changed(service):
    client, base = service.client, service.runs["base"]
    response = client.post("/api/v1/runs", json={"scenario": "closed", "previous_run_id": base["id"]}, headers=WRITE)
    assert response.status_code == 202, response.text
    assert response.json()["previous_run_id"] == base["id"]
    run = wait_for_run(client, response.json()["id"])
    assert run["status"] == "done", run
    assert "changes" in run["results"]
    summary = client.get(f"/api/v1/runs/{run['id']}/summary", headers=READ).json()
    counts = summary["changes"]
    # closing r0_county moves every patient the base plan proposed there
    assert counts["moved hospital"] > 0 and counts["frozen_bookings"] >= 0
    table = client.get(f"/api/v1/runs/{run['id']}/changes?limit=1000", headers=READ).json()
    assert table["columns"][:2] == ["patient_id", "procedure_id"]
    kinds = {row["change"] for row in table["rows"]}
    assert kinds <= {"moved hospital", "moved week", "newly proposed", "no longer proposed"}
    assert sum(row["change"] == "moved hospital" for row in table["rows"]) == counts["moved hospital"]


def test_re_planning_needs_a_finished_previous_run(service):
    client = service.client
    failed = service.runs["infeasible"]["id"]
    refused = client.post("/api/v1/runs", json={"scenario": "base", "previous_run_id": failed}, headers=WRITE)
    assert refused.status_code == 409
    missing = client.post("/api/v1/runs", json={"scenario": "base", "previous_run_id": "nosuchrun"}, headers=WRITE)
    assert missing.status_code == 404


def test_re_planning_the_same_scenario_over_http_changes_no_proposal(service):
    # The previous run's proposals and LP flows (allocations.csv) both reach the re-plan: on the same
    # data it stays on the previous LP's weekly schedule, so every patient keeps hospital and week.
    # "unchanged" is the base scenario under another name (other tests count the base's runs).
    client, base = service.client, service.runs["base"]
    created = client.post("/api/v1/scenarios", content=scenario_yaml("unchanged", "rd1"), headers=YAML)
    assert created.status_code == 201, created.text
    response = client.post("/api/v1/runs", json={"scenario": "unchanged", "previous_run_id": base["id"]}, headers=WRITE)
    assert response.status_code == 202, response.text
    run = wait_for_run(client, response.json()["id"])
    assert run["status"] == "done", run
    summary = client.get(f"/api/v1/runs/{run['id']}/summary", headers=READ).json()
    assert summary["changes"]["changed"] == 0, summary["changes"]
    assert summary["changes"]["previous_proposals"] > 0
