"""The service as deployed: a real uvicorn process on 127.0.0.1, called over HTTP.

Upload, scenarios, two runs polled to done, allocations as CSV, a comparison, an evaluation, keys;
then the server is killed (SIGKILL) during a run and started again on the same database: finished
results are intact, the interrupted run is failed with its reason, and its run process has exited.
The server's log never shows a patient id. The server uses the test's database (SQLite or PostgreSQL).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from tests.api import databases
from tests.api.helpers import (
    FINISHED,
    READ,
    READ_KEY,
    WRITE,
    WRITE_KEY,
    ZIP,
    dataset_folder,
    edit_csv,
    scenario_yaml,
    wait_for,
    zip_folder,
)

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0

#: A real uvicorn with its run processes, deadlines and process counts: one such test at a time (xdist).
pytestmark = pytest.mark.xdist_group("servers")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie has exited: it only waits to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def database_url(base: Path) -> str:
    """The URL of the test's database for `base` (the one `uvicorn_server(base, ...)` serves)."""
    return databases.current().url(base)


@contextmanager
def database_engine(base: Path) -> Iterator[Engine]:
    """An engine on the database of `uvicorn_server(base, ...)`, for looking behind the API."""
    engine = create_engine(database_url(base), poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def uvicorn_server(base: Path, log_path: Path):
    """Start `uvicorn api.main:app` on a free port; always stopped (terminated, else killed) at the end."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPPLAN_") and k != "DATABASE_URL"}
    env.update(
        CAPPLAN_DATA_DIR=str(base / "data"),
        CAPPLAN_DATABASE_URL=database_url(base),
        CAPPLAN_API_KEYS=WRITE_KEY,
        CAPPLAN_READ_ONLY_API_KEYS=READ_KEY,
        CAPPLAN_RUN_REPORTS="false",
        CAPPLAN_DISPATCH_INTERVAL_SECONDS="0.1",
        CAPPLAN_MAX_CONCURRENT_RUNS="2",
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "info",
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0)
    try:

        def healthy():
            assert process.poll() is None, f"uvicorn exited early:\n{log_path.read_text()[-3000:]}"
            try:
                return client.get("/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, START_TIMEOUT, interval=0.2, what="uvicorn to serve")
        yield process, client
    finally:
        client.close()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _run(client: httpx.Client, scenario: str) -> str:
    response = client.post("/api/v1/runs", json={"scenario": scenario}, headers=WRITE)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def _wait_done(client: httpx.Client, run_ids: list[str]) -> None:
    def ended():
        statuses = [client.get(f"/api/v1/runs/{r}", headers=READ).json()["status"] for r in run_ids]
        return all(s in FINISHED for s in statuses) and statuses

    assert wait_for(ended, 120, interval=0.2, what="runs") == ["done"] * len(run_ids)


def _worker_pid(engine: Engine, run_id: str) -> int | None:
    with engine.connect() as connection:
        return connection.execute(text("SELECT worker_pid FROM runs WHERE id = :id"), {"id": run_id}).scalar()


def test_uvicorn_serves_plans_and_survives_a_kill(tmp_path, small_zip):
    log_path = tmp_path / "server.log"
    broken = dataset_folder(tmp_path / "broken")
    edit_csv(broken, "beds.csv", 4, "bed_days", "lots")
    with uvicorn_server(tmp_path, log_path) as (server, client):
        assert client.get("/api/v1/datasets").status_code == 401
        assert client.get("/api/v1/datasets", headers={"X-API-Key": "wrong"}).status_code == 403
        assert client.post("/api/v1/datasets", content=small_zip, headers={**ZIP, **READ}).status_code == 403

        rejected = client.post("/api/v1/datasets?name=broken", content=zip_folder(broken), headers=ZIP)
        assert rejected.status_code == 422
        assert {"file": "beds.csv", "row": 4, "column": "bed_days", "message": "not a finite number"} in (
            rejected.json()["problems"]
        )
        assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP).status_code == 201
        for name, extra in (("base", ""), ("closed", "changes:\n  - close_hospital: {hospital_id: r1_county}\n")):
            text = scenario_yaml(name, "rd1", extra=extra)
            response = client.post("/api/v1/scenarios", content=text, headers={**WRITE, "content-type": "text/yaml"})
            assert response.status_code == 201, response.text

        base, closed = _run(client, "base"), _run(client, "closed")
        _wait_done(client, [base, closed])
        allocations = client.get(f"/api/v1/runs/{base}/allocations?format=csv", headers=READ)
        assert allocations.status_code == 200 and allocations.text.startswith(
            "region_id,listed_hospital_id,procedure_id,class,priority"
        )
        comparison = client.post("/api/v1/compare", json={"runs": [base, closed]}, headers=READ)
        assert comparison.status_code == 200
        assert comparison.json()["columns"][2:] == ["base", "closed", "closed − base", "note"]
        plan = client.get(f"/api/v1/runs/{base}/integer-plan?limit=100000", headers=READ).json()["rows"]
        evaluation = client.post(
            "/api/v1/evaluate", json={"scenario": "base", "allocations": plan, "optimum_run": base}, headers=READ
        )
        assert evaluation.status_code == 200 and evaluation.json()["feasible"]

        interrupted = _run(client, "base")
        with database_engine(tmp_path) as engine:
            pid = wait_for(lambda: _worker_pid(engine, interrupted), 20, interval=0.02, what="the run process")
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    wait_for(lambda: not _alive(pid), 15, interval=0.1, what="the orphaned run process to exit")

    with uvicorn_server(tmp_path, log_path) as (_server, client):
        run = client.get(f"/api/v1/runs/{interrupted}", headers=READ).json()
        assert run["status"] == "failed"
        assert run["error"]["message"] == "interrupted by a server restart"
        assert client.get(f"/api/v1/runs/{base}/allocations?format=csv", headers=READ).text == allocations.text
        assert client.get("/api/v1/runs?status=done", headers=READ).json()["count"] == 2

    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Uvicorn running" in log or "Application startup complete" in log
    assert not re.search(r"P\d{6}", log), "a patient id appeared in the server log"
