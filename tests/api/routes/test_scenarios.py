"""Scenario routes: create from YAML (body or file) or JSON, list, get (JSON or YAML), delete."""

from __future__ import annotations

import pytest
import yaml

from api import crud
from api.db import make_engine, make_sessionmaker
from tests.api.helpers import READ, WRITE, YAML, ZIP, scenario_yaml, wait_for_run


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


def test_a_dry_run_validates_without_storing(client, stored):
    text = scenario_yaml("trial", "rd1")
    checked = client.post("/api/v1/scenarios?dry_run=true", content=text, headers=YAML)
    assert checked.status_code == 200, checked.text
    assert checked.json()["definition"]["name"] == "trial" and checked.json()["id"] == ""
    assert client.get("/api/v1/scenarios/trial", headers=READ).status_code == 404  # nothing stored
    bad = client.post("/api/v1/scenarios?dry_run=true", content=text.replace("rd1", "nope"), headers=YAML)
    assert bad.status_code == 422  # the same checks as a real create
    assert client.post("/api/v1/scenarios", content=text, headers=YAML).status_code == 201


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
    # decision dates must lie before the plan start: a start in 2020 makes the waiting list invalid,
    # and the scenario's start week is what is at fault
    response = client.post(
        "/api/v1/scenarios", content=scenario_yaml("early", "rd1").replace("2025-W14", "2020-W02"), headers=YAML
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("the scenario is invalid")
    assert body["problems"][0]["file"] == "scenario" and body["problems"][0]["column"] == "start_week"
    assert any(p["column"] == "decision_date" for p in body["problems"])


@pytest.mark.parametrize(
    ("start", "horizon", "column", "weeks"),
    [
        # the dataset (tests/factory.py's random_dataset) has capacity and demand for 2025-W14..2025-W19
        ("2025-W14", 10, "horizon_weeks", "no rows in capacity.csv or demand.csv for 2025-W20..2025-W23"),
        ("2030-W01", 6, "start_week", "no rows in capacity.csv or demand.csv for 2030-W01..2030-W06"),
    ],
)
def test_a_plan_beyond_the_dataset_weeks_is_422_naming_field_and_weeks(client, stored, start, horizon, column, weeks):
    text = scenario_yaml("far", "rd1", horizon=horizon).replace("2025-W14", start)
    response = client.post("/api/v1/scenarios", content=text, headers=YAML)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] == "the scenario is invalid: 1 problem(s)"
    [problem] = body["problems"]
    assert (problem["file"], problem["column"]) == ("scenario", column)
    assert problem["message"].startswith("the plan's weeks ")
    assert "the dataset's capacity and demand weeks 2025-W14..2025-W19" in problem["message"]
    assert weeks in problem["message"]
    assert client.get("/api/v1/scenarios", headers=READ).json()["count"] == 0
    within = scenario_yaml("near", "rd1", horizon=6)  # the dataset's own weeks plan as before
    assert client.post("/api/v1/scenarios", content=within, headers=YAML).status_code == 201


def test_delete_scenario(client, stored):
    created = client.post("/api/v1/scenarios", content=scenario_yaml("d", "rd1"), headers=YAML).json()
    assert client.delete(f"/api/v1/scenarios/{created['id']}", headers=READ).status_code == 403
    assert client.delete(f"/api/v1/scenarios/{created['id']}", headers=WRITE).status_code == 204
    assert client.get(f"/api/v1/scenarios/{created['id']}", headers=READ).status_code == 404


def test_a_stored_scenario_beyond_the_dataset_weeks_fails_its_run_as_invalid(client, settings, stored):
    # a scenario stored before the check existed (written straight into the database): the engine's
    # own check (optimizer.plan) fails its run as invalid, naming the scenario's field and weeks
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as session:
        definition = {"name": "old", "dataset": "rd1", "start_week": "2025-W14", "horizon_weeks": 10}
        crud.create_scenario(session, name="old", description="", dataset_id=stored["id"], definition=definition)
    engine.dispose()
    run_id = client.post("/api/v1/runs", json={"scenario": "old"}, headers=WRITE).json()["id"]
    run = wait_for_run(client, run_id)
    assert run["status"] == "failed"
    assert run["error"]["type"] == "invalid" and run["error"]["message"] == "the scenario is invalid for this run"
    [problem] = run["error"]["problems"]
    assert (problem["file"], problem["column"]) == ("scenario", "horizon_weeks")
    assert "no rows in capacity.csv or demand.csv for 2025-W20..2025-W23" in problem["message"]
