"""Scenario routes: create from YAML (body or file) or JSON, list, get (JSON or YAML), delete."""

from __future__ import annotations

import pytest
import yaml

from tests.api.helpers import READ, WRITE, YAML, ZIP, scenario_yaml


@pytest.fixture
def stored(client, small_zip):
    response = client.post("/api/v1/datasets", content=small_zip, headers=ZIP)
    assert response.status_code == 201
    return response.json()


def test_yaml_body_creates_a_scenario_on_the_stored_dataset(client, stored):
    text = scenario_yaml("summer", "rd1", extra="changes:\n  - capacity: {hospital_id: r0_county, factor: 0.5}\n")
    response = client.post("/api/v1/scenarios", content=text, headers=YAML)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["dataset_id"] == stored["id"] and body["dataset_name"] == "rd1"
    assert body["definition"]["changes"] == [{"capacity": {"hospital_id": "r0_county", "factor": 0.5}}]
    assert client.get(f"/api/v1/scenarios/{body['id']}", headers=READ).json() == body
    assert client.get("/api/v1/scenarios/summer", headers=READ).json()["id"] == body["id"]
    as_yaml = client.get("/api/v1/scenarios/summer?format=yaml", headers=READ)
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text)["horizon_weeks"] == 6


def test_json_and_yaml_file_create_scenarios_too(client, stored):
    as_json = {"name": "j", "dataset": stored["id"], "start_week": "2025-W14", "horizon_weeks": 3}
    assert client.post("/api/v1/scenarios", json=as_json, headers=WRITE).status_code == 201
    files = {"file": ("f.yaml", scenario_yaml("f", "rd1").encode(), "application/yaml")}
    assert client.post("/api/v1/scenarios", files=files, headers=WRITE).status_code == 201
    listed = client.get(f"/api/v1/scenarios?dataset={stored['id']}", headers=READ).json()
    assert listed["count"] == 2 and {s["name"] for s in listed["data"]} == {"j", "f"}
    assert client.post("/api/v1/scenarios", json=as_json, headers=WRITE).status_code == 409


@pytest.mark.parametrize(
    ("text", "column"),
    [
        (scenario_yaml("s", "nowhere"), "dataset"),
        (
            scenario_yaml("s", "rd1", extra="changes:\n  - capacity: {hospital_id: atlantis, factor: 0.5}\n"),
            "changes.0.hospital_id",
        ),
        (scenario_yaml("s", "rd1", horizon=1000), "horizon_weeks"),
        (scenario_yaml("s", "rd1", extra="colour: blue\n"), "colour"),
        ("name: s\ndataset: rd1\nstart_week: 2025-W99\n", "start_week"),
    ],
)
def test_invalid_scenarios_are_422_naming_the_field(client, stored, text, column):
    response = client.post("/api/v1/scenarios", content=text, headers=YAML)
    assert response.status_code == 422, response.text
    assert column in [p["column"] for p in response.json()["problems"]]
    assert client.get("/api/v1/scenarios", headers=READ).json()["count"] == 0


def test_unsafe_or_broken_yaml_is_422(client, stored):
    unsafe = "name: !!python/object/apply:os.system ['echo hacked']\ndataset: rd1\n"
    assert client.post("/api/v1/scenarios", content=unsafe, headers=YAML).status_code == 422
    broken = client.post("/api/v1/scenarios", content="name: [unclosed\n", headers=YAML)
    assert broken.status_code == 422 and broken.json()["problems"][0]["row"] is not None


def test_a_start_week_the_dataset_does_not_allow_is_422(client, stored):
    # decision dates must lie before the plan start: a start in 2020 makes the waiting list invalid
    response = client.post(
        "/api/v1/scenarios", content=scenario_yaml("early", "rd1").replace("2025-W14", "2020-W02"), headers=YAML
    )
    assert response.status_code == 422
    assert any(p["column"] == "decision_date" for p in response.json()["problems"])


def test_delete_scenario(client, stored):
    created = client.post("/api/v1/scenarios", content=scenario_yaml("d", "rd1"), headers=YAML).json()
    assert client.delete(f"/api/v1/scenarios/{created['id']}", headers=READ).status_code == 403
    assert client.delete(f"/api/v1/scenarios/{created['id']}", headers=WRITE).status_code == 204
    assert client.get(f"/api/v1/scenarios/{created['id']}", headers=READ).status_code == 404
