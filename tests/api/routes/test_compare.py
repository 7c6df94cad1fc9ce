"""Compare route: finished runs side by side, as JSON or CSV, one column per run."""

from __future__ import annotations

import io

import pandas as pd

from optimizer import METRICS
from tests.api.helpers import READ


def test_two_runs_side_by_side(service):
    base, closed = service.runs["base"]["id"], service.runs["closed"]["id"]
    response = service.client.post("/api/v1/compare", json={"runs": [base, closed]}, headers=READ)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["columns"] == ["metric", "region_id", "base", "closed", "closed − base", "note"]
    assert body["runs"] == {"base": base, "closed": closed}
    table = pd.DataFrame(body["rows"])
    assert list(dict.fromkeys(table["metric"])) == list(METRICS)
    treated = table[(table["metric"] == "treated") & (table["region_id"] == "total")]
    assert treated["base"].item() >= treated["closed"].item() - 1e-6  # closing a hospital cannot help


def test_compare_as_csv_with_labels(service):
    base, closed = service.runs["base"]["id"], service.runs["closed"]["id"]
    response = service.client.post(
        "/api/v1/compare?format=csv", json={"runs": [base, closed], "labels": ["A", "B"]}, headers=READ
    )
    assert response.status_code == 200
    table = pd.read_csv(io.StringIO(response.text))
    assert list(table.columns) == ["metric", "region_id", "A", "B", "B − A", "note"]


def test_the_same_run_twice_gets_unique_columns(service):
    base = service.runs["base"]["id"]
    body = service.client.post("/api/v1/compare", json={"runs": [base, base]}, headers=READ).json()
    assert len(set(body["columns"])) == 6  # metric, region_id, two plans, their difference, note


def test_only_finished_runs_can_be_compared(service):
    client = service.client
    failed = service.runs["infeasible"]["id"]
    assert client.post("/api/v1/compare", json={"runs": [failed]}, headers=READ).status_code == 409
    assert client.post("/api/v1/compare", json={"runs": ["nope"]}, headers=READ).status_code == 404
    assert client.post("/api/v1/compare", json={"runs": []}, headers=READ).status_code == 422
