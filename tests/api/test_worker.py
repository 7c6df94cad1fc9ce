"""Runs survive restarts: results stay, runs a crash left running are marked failed, queued runs are
dispatched by the next start; a run process that dies, or a server that stops, fails its run."""

from __future__ import annotations

import os
import signal

from fastapi.testclient import TestClient

from api import crud
from api.db import RunRow, make_engine, make_sessionmaker, utcnow
from api.main import create_app
from api.worker import RESTART_REASON, SHUTDOWN_REASON
from tests.api.helpers import READ, WRITE, YAML, ZIP, make_settings, scenario_yaml, wait_for, wait_for_run


def _prepare(client, small_zip) -> str:
    assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP).status_code == 201
    response = client.post("/api/v1/scenarios", content=scenario_yaml("s", "rd1"), headers=YAML)
    assert response.status_code == 201
    return response.json()["id"]


def test_a_restart_keeps_results_fails_interrupted_runs_and_dispatches_queued_ones(tmp_path, small_zip):
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        scenario_id = _prepare(client, small_zip)
        run_id = client.post("/api/v1/runs", json={"scenario": "s"}, headers=WRITE).json()["id"]
        assert wait_for_run(client, run_id)["status"] == "done"
        allocations = client.get(f"/api/v1/runs/{run_id}/allocations?format=csv", headers=READ).content
        summary = client.get(f"/api/v1/runs/{run_id}/summary", headers=READ).json()

    # what a crash leaves behind: a run in an engine stage, and a run still in the queue
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as session:
        crashed = RunRow(
            scenario_id=scenario_id,
            status="solving",
            started_at=utcnow(),
            stage_times={"loading": utcnow().isoformat(), "solving": utcnow().isoformat()},
        )
        queued = RunRow(scenario_id=scenario_id, status="queued", stage_times={})
        session.add_all([crashed, queued])
        session.commit()
        crashed_id, queued_id = crashed.id, queued.id
    engine.dispose()

    with TestClient(create_app(settings)) as client:  # a new app on the same database and data dir
        assert client.get(f"/api/v1/runs/{run_id}/allocations?format=csv", headers=READ).content == allocations
        assert client.get(f"/api/v1/runs/{run_id}/summary", headers=READ).json() == summary
        failed = client.get(f"/api/v1/runs/{crashed_id}", headers=READ).json()
        assert failed["status"] == "failed"
        assert failed["error"] == {"type": "interrupted", "message": RESTART_REASON, "problems": [], "conflicts": []}
        assert wait_for_run(client, queued_id)["status"] == "done"


def test_a_run_whose_process_dies_is_failed_and_a_stopping_server_fails_its_runs(tmp_path, small_zip):
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        _prepare(client, small_zip)
        run_id = client.post("/api/v1/runs", json={"scenario": "s"}, headers=WRITE).json()["id"]

        def worker_pid():
            with client.app.state.sessions() as session:
                return crud.get_run(session, run_id=run_id).worker_pid

        os.kill(wait_for(worker_pid, timeout=10, interval=0.02, what="the run process"), signal.SIGKILL)
        final = wait_for_run(client, run_id, timeout=20)
        assert final["status"] == "failed" and final["error"]["type"] == "internal"
        assert "ended unexpectedly" in final["error"]["message"]

        second = client.post("/api/v1/runs", json={"scenario": "s"}, headers=WRITE).json()["id"]
        wait_for(
            lambda: second in client.app.state.dispatcher.running(),
            timeout=10,
            interval=0.02,
            what="the second run to start",
        )
    # the app has stopped with the run still going
    with TestClient(create_app(settings)) as client:
        stopped = client.get(f"/api/v1/runs/{second}", headers=READ).json()
        assert stopped["status"] == "failed" and stopped["error"]["message"] == SHUTDOWN_REASON
