"""Fixtures of the API tests. Every app runs on a temporary data dir and a fresh database, never the
user's: a SQLite file, and a PostgreSQL schema too when CAPPLAN_TEST_POSTGRES_URL is set (every test
runs once per database: `tests/api/databases.py`).

`service` is one app shared by the read-only result tests: a small random dataset, three scenarios
and their runs (one infeasible), planned once for the whole session with at most two runs at once.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api import databases
from tests.api.helpers import (
    FINISHED,
    READ,
    WRITE,
    YAML,
    ZIP,
    dataset_folder,
    make_settings,
    scenario_yaml,
    wait_for,
    zip_folder,
)

INFEASIBLE_POLICY = """policy:
  agreements:
    - {payer_region: r1, provider_hospital: r0_county, procedure_id: hip, min_cases: 100000}
"""


def _without_capplan_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CAPPLAN_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


#: Every test here runs once per database (`tests/api/databases.py`).
backend = databases.backend
database = databases.database


def pytest_generate_tests(metafunc):
    databases.parametrize(metafunc)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Settings come from the test, never from the developer's environment."""
    _without_capplan_environment(monkeypatch)


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def small_zip(tmp_path_factory) -> bytes:
    return zip_folder(dataset_folder(tmp_path_factory.mktemp("dataset")), top="rd1")


@dataclass
class Service:
    """The shared app and what it holds."""

    client: TestClient
    dataset_id: str
    runs: dict[str, dict]  # scenario name → final run status body
    snapshots: list[dict[str, str]] = field(default_factory=list)  # run statuses seen while waiting


@pytest.fixture(scope="session")
def service(tmp_path_factory, small_zip, backend):
    with pytest.MonkeyPatch.context() as monkeypatch:
        _without_capplan_environment(monkeypatch)
        base = tmp_path_factory.mktemp(f"service-{backend.name}")
        settings = make_settings(base, max_concurrent_runs=2, database_url=backend.url(base))
        with TestClient(create_app(settings)) as client:
            dataset = client.post("/api/v1/datasets", content=small_zip, headers=ZIP)
            assert dataset.status_code == 201, dataset.text
            scenarios = {
                "base": scenario_yaml("base", "rd1"),
                "closed": scenario_yaml(
                    "closed", "rd1", extra="changes:\n  - close_hospital: {hospital_id: r0_county}\n"
                ),
                "infeasible": scenario_yaml("infeasible", "rd1", extra=INFEASIBLE_POLICY),
            }
            run_ids = {}
            for text in scenarios.values():
                assert client.post("/api/v1/scenarios", content=text, headers=YAML).status_code == 201
            for name in scenarios:
                response = client.post("/api/v1/runs", json={"scenario": name}, headers=WRITE)
                assert response.status_code == 202, response.text
                run_ids[name] = response.json()["id"]
            snapshots: list[dict[str, str]] = []

            def all_ended():
                statuses = {
                    name: client.get(f"/api/v1/runs/{run_id}", headers=READ).json()["status"]
                    for name, run_id in run_ids.items()
                }
                snapshots.append(statuses)
                return all(s in FINISHED for s in statuses.values())

            started = time.monotonic()
            wait_for(all_ended, timeout=120, interval=0.1, what="the service's runs")
            print(f"service runs took {time.monotonic() - started:.1f} s")
            runs = {name: client.get(f"/api/v1/runs/{rid}", headers=READ).json() for name, rid in run_ids.items()}
            yield Service(client=client, dataset_id=dataset.json()["id"], runs=runs, snapshots=snapshots)
