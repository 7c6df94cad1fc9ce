"""Evaluate route: a manual proposal against a stored scenario → KPIs, violations, gap to the optimum."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.api.helpers import READ


def _integer_plan(service) -> list[dict]:
    run_id = service.runs["base"]["id"]
    return service.client.get(f"/api/v1/runs/{run_id}/integer-plan?limit=100000", headers=READ).json()["rows"]


def test_the_integer_plan_is_feasible_and_no_better_than_the_optimum(service):
    body = {"scenario": "base", "allocations": _integer_plan(service), "optimum_run": service.runs["base"]["id"]}
    response = service.client.post("/api/v1/evaluate", json=body, headers=READ)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["feasible"] and result["violations"] == []
    assert result["gap_to_optimum"] >= -1e-6 * abs(result["optimum_objective"])
    summary = service.client.get(f"/api/v1/runs/{service.runs['base']['id']}/summary", headers=READ).json()
    assert result["optimum_objective"] == pytest.approx(summary["objective"])
    assert {"region_id", "week", "waiting", "over_90"} <= set(result["kpis"][0])


def test_a_proposal_beyond_capacity_lists_its_violations(service):
    flows = [{**row, "patients": row["patients"] * 50} for row in _integer_plan(service)]
    body = {"scenario": "base", "allocations": flows, "optimum_run": service.runs["base"]["id"]}
    result = service.client.post("/api/v1/evaluate", json=body, headers=READ).json()
    assert not result["feasible"]
    assert {"theatre_days", "queue"} & {v["family"] for v in result["violations"]}


def test_without_an_optimum_run_the_scenario_is_planned_again(service):
    body = {"scenario": "base", "allocations": _integer_plan(service)}
    result = service.client.post("/api/v1/evaluate", json=body, headers=READ).json()
    assert result["feasible"] and result["gap_to_optimum"] >= -1e-6 * abs(result["optimum_objective"])


def test_a_csv_proposal_with_a_bad_row_is_422_naming_row_and_column(service):
    table = pd.DataFrame(_integer_plan(service)).astype({"patients": object})
    table.loc[1, "patients"] = "many"
    text = table.to_csv(index=False)
    response = service.client.post(
        "/api/v1/evaluate/csv?scenario=base", content=text, headers={**READ, "content-type": "text/csv"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "the proposal is invalid: 1 problem(s)"  # not "the dataset"
    assert {"file": "proposal.csv", "row": 3, "column": "patients", "message": "not a finite number"} in (
        response.json()["problems"]
    )
    good = pd.DataFrame(_integer_plan(service)).to_csv(index=False)
    response = service.client.post(
        f"/api/v1/evaluate/csv?scenario=base&optimum_run={service.runs['base']['id']}",
        content=good,
        headers={**READ, "content-type": "text/csv"},
    )
    assert response.status_code == 200 and response.json()["feasible"]


def test_an_optimum_run_of_another_scenario_is_refused(service):
    body = {"scenario": "base", "allocations": [], "optimum_run": service.runs["closed"]["id"]}
    assert service.client.post("/api/v1/evaluate", json=body, headers=READ).status_code == 422
    assert service.client.post("/api/v1/evaluate", json={**body, "scenario": "nope"}, headers=READ).status_code == 404


def test_an_infeasible_proposal_has_no_gap_but_a_repair(service):
    flows = [{**row, "patients": row["patients"] * 50} for row in _integer_plan(service)]
    body = {"scenario": "base", "allocations": flows, "optimum_run": service.runs["base"]["id"]}
    result = service.client.post("/api/v1/evaluate", json=body, headers=READ).json()
    assert result["gap_to_optimum"] is None and result["total_violation"] > 0
    assert result["repair"]["gap_to_optimum"] is not None


def test_fix_keeps_a_partial_proposal_and_optimises_the_rest(service):
    flows = _integer_plan(service)[:1]
    body = {"scenario": "base", "allocations": flows, "optimum_run": service.runs["base"]["id"]}
    response = service.client.post("/api/v1/evaluate?fix=true", json=body, headers=READ)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["fixed"]["objective_terms"]["treated"] > result["objective_terms"]["treated"]
    assert result["fixed"]["gap_to_optimum"] >= -1e-6 * abs(result["optimum_objective"])
