"""Faults (issue 8, item 4): the server is killed (SIGKILL) during an upload and during runs, a run
process is killed on its own, and database writes fail half-way; nothing finished is lost or altered.

This extends `tests/api/test_uvicorn.py` (which kills the server once during a run and checks one
table) with the real uvicorn of that test on 127.0.0.1, and one data folder across four server lives:

1. two runs finish; every result (run body, summary, each table as CSV) is recorded byte for byte;
   then the server is killed in the middle of a slow, chunked upload of the default dataset;
2. after the restart: nothing of the upload is visible, results identical; three runs are submitted
   (two run, one queues) and the server is killed while they run;
3. after the restart: the two running runs are failed "interrupted by a server restart", their
   processes have exited, the queued one is dispatched and finishes; then the server is killed while
   it validates and stores a complete upload of the default dataset; a run process is killed alone;
4. after the restart: the default dataset is either absent or complete (every file, every row), and
   every finished result is still identical.

Database writes are transactional: a dataset whose file rows fail to insert, and a run whose result
rows fail to insert, leave nothing behind (in-process fault injection on `api.crud`).
"""

from __future__ import annotations

import io
import os
import re
import signal
import threading
import time
import zipfile

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from api import crud
from api.db import DONE, make_engine, make_sessionmaker
from api.results import REPLAN_TABLES, RESULT_TABLES
from models.contract import FILES
from models.scenario import SCENARIOS_DIR
from tests.api.helpers import FINISHED, READ, WRITE, YAML, ZIP, make_settings, scenario_yaml, wait_for
from tests.api.test_uvicorn import _alive, _worker_pid, database_engine, uvicorn_server
from tests.reliability.figures import record

DEFAULT_DATASET = SCENARIOS_DIR / "mellansverige"
CHUNK = 64 * 1024

#: A real uvicorn with its run processes, deadlines and process counts: one such test at a time (xdist).
pytestmark = pytest.mark.xdist_group("servers")


def _default_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in FILES:
            archive.write(DEFAULT_DATASET / name, f"mellansverige/{name}")
    return buffer.getvalue()


def _snapshot(client: httpx.Client, run_ids: list[str]) -> dict[str, bytes]:
    """Every result of the runs as the API serves it, byte for byte."""
    snapshot = {}
    for run_id in run_ids:
        snapshot[f"{run_id}/run"] = client.get(f"/api/v1/runs/{run_id}", headers=READ).content
        snapshot[f"{run_id}/summary"] = client.get(f"/api/v1/runs/{run_id}/summary", headers=READ).content
        for table in RESULT_TABLES.keys() - REPLAN_TABLES:  # these runs are no re-plans
            response = client.get(f"/api/v1/runs/{run_id}/{table}?format=csv", headers=READ)
            assert response.status_code == 200, (table, response.text[:300])
            snapshot[f"{run_id}/{table}"] = response.content
    return snapshot


def _runs(client: httpx.Client, run_ids: list[str]) -> dict[str, dict]:
    return {run_id: client.get(f"/api/v1/runs/{run_id}", headers=READ).json() for run_id in run_ids}


def _wait_ended(client: httpx.Client, run_ids: list[str], timeout: float = 120) -> dict[str, dict]:
    def ended():
        bodies = _runs(client, run_ids)
        return bodies if all(b["status"] in FINISHED for b in bodies.values()) else None

    return wait_for(ended, timeout, interval=0.2, what=f"runs {run_ids}")


def _submit(client: httpx.Client, scenario: str) -> str:
    response = client.post("/api/v1/runs", json={"scenario": scenario}, headers=WRITE)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def _dataset_names(client: httpx.Client) -> list[str]:
    return sorted(d["name"] for d in client.get("/api/v1/datasets", headers=READ).json()["data"])


def _stored_files(engine: Engine, dataset_name: str) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT f.name, f.rows FROM dataset_files f JOIN datasets d ON d.id = f.dataset_id WHERE d.name = :n"),
            {"n": dataset_name},
        ).all()
    return {name: count for name, count in rows}


def _kill(server) -> None:
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    record("faults injected")


def test_sigkill_during_uploads_and_runs_loses_nothing(tmp_path, small_zip):
    with database_engine(tmp_path) as database:  # the servers' database, read behind the API
        _sigkill_during_uploads_and_runs(tmp_path, small_zip, database)


def _sigkill_during_uploads_and_runs(tmp_path, small_zip, database: Engine) -> None:
    log_path = tmp_path / "server.log"
    default_zip = _default_zip()
    text = scenario_yaml("closed", "rd1", horizon=4, extra="changes:\n  - close_hospital: {hospital_id: r1_county}\n")

    # life 1: finished results, then a kill in the middle of a chunked upload
    with uvicorn_server(tmp_path, log_path) as (server, client):
        assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP).status_code == 201
        for body in (scenario_yaml("base", "rd1", horizon=4), text):
            assert client.post("/api/v1/scenarios", content=body, headers=YAML).status_code == 201
        finished = [_submit(client, "base"), _submit(client, "closed")]
        assert [b["status"] for b in _wait_ended(client, finished).values()] == ["done", "done"]
        before = _snapshot(client, finished)

        half_sent, killed = threading.Event(), threading.Event()

        def slow_body():
            for i in range(0, len(default_zip), CHUNK):
                if i >= len(default_zip) // 2:
                    half_sent.set()
                    killed.wait(20)  # the server is killed meanwhile
                yield default_zip[i : i + CHUNK]
                time.sleep(0.05)

        outcome = {}

        def upload():
            try:
                with httpx.Client(base_url=client.base_url, timeout=60) as uploader:
                    outcome["response"] = uploader.post("/api/v1/datasets", content=slow_body(), headers=ZIP)
            except httpx.HTTPError as exc:
                outcome["error"] = exc

        uploading = threading.Thread(target=upload, daemon=True)
        uploading.start()
        assert half_sent.wait(20)
        time.sleep(0.2)
        _kill(server)
        killed.set()
        uploading.join(timeout=30)
        assert "error" in outcome, outcome  # the client saw the connection drop, never a success

    # life 2: nothing of the upload; results intact; a kill while two runs run and one queues
    with uvicorn_server(tmp_path, log_path) as (server, client):
        assert _dataset_names(client) == ["rd1"]
        assert _stored_files(database, "mellansverige") == {}
        assert _snapshot(client, finished) == before
        interrupted = [_submit(client, "base"), _submit(client, "closed")]
        queued = _submit(client, "base")
        pids = [
            wait_for(lambda r=r: _worker_pid(database, r), 30, interval=0.02, what="a run process") for r in interrupted
        ]
        assert _runs(client, [queued])[queued]["status"] == "queued"  # at most two at once
        _kill(server)

    # life 3: interrupted runs failed with the reason, the queued run finishes; a kill during validation
    with uvicorn_server(tmp_path, log_path) as (server, client):
        wait_for(lambda: not any(_alive(pid) for pid in pids), 15, interval=0.1, what="orphaned run processes to exit")
        for run_id, body in _runs(client, interrupted).items():
            assert body["status"] == "failed", body
            assert body["error"] == {
                "type": "interrupted",
                "message": "interrupted by a server restart",
                "problems": [],
                "conflicts": [],
            }
            assert client.get(f"/api/v1/runs/{run_id}/allocations", headers=READ).status_code == 409
        assert _wait_ended(client, [queued])[queued]["status"] == "done"  # dispatched again after the restart
        assert _snapshot(client, finished) == before
        finished.append(queued)
        before = _snapshot(client, finished)

        # a run process killed on its own: the run fails with a reason, the server carries on
        lone = _submit(client, "base")
        pid = wait_for(lambda: _worker_pid(database, lone), 30, interval=0.02, what="the run process")
        os.kill(pid, signal.SIGKILL)
        record("faults injected")
        body = _wait_ended(client, [lone])[lone]
        assert body["status"] == "failed" and "ended unexpectedly" in body["error"]["message"], body
        assert client.get("/health").status_code == 200

        staging = tmp_path / "data" / "staging"
        sending = threading.Thread(
            target=lambda: _post_quietly(client.base_url, default_zip), name="full-upload", daemon=True
        )
        sending.start()
        wait_for(lambda: any(staging.glob("upload-*")), 30, interval=0.005, what="the upload's validation")
        time.sleep(0.3)
        _kill(server)
        sending.join(timeout=30)

    # life 4: the default dataset is absent or whole; every finished result identical
    with uvicorn_server(tmp_path, log_path) as (server, client):
        names = _dataset_names(client)
        stored = _stored_files(database, "mellansverige")
        if "mellansverige" in names:
            expected = {name: sum(1 for _ in (DEFAULT_DATASET / name).open(encoding="utf-8")) - 1 for name in FILES}
            assert stored == expected, "a half-written dataset is visible"
            scenario = scenario_yaml("on-default", "mellansverige", horizon=2)
            assert client.post("/api/v1/scenarios", content=scenario, headers=YAML).status_code == 201
        else:
            assert names == ["rd1"] and stored == {}
        assert list((tmp_path / "data" / "staging").iterdir()) == []
        assert _snapshot(client, finished) == before
        print(f"killed while storing the default dataset: {'stored whole' if stored else 'absent'}")
        done = client.get("/api/v1/runs?status=done", headers=READ).json()["count"]
        assert done == 3, done

    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert log.count("2 run(s) interrupted by a restart marked failed") == 1
    assert not re.search(r"P\d{6,7}\b", log), "a patient id (small or default dataset) appeared in the server log"


def _post_quietly(base_url, body: bytes) -> None:
    try:
        with httpx.Client(base_url=base_url, timeout=60) as uploader:
            uploader.post("/api/v1/datasets", content=body, headers=ZIP)
    except httpx.HTTPError:
        pass  # the server was killed under it


# --- transactions ---------------------------------------------------------------------------------


@pytest.fixture
def sessions(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app

    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)):  # creates the schema
        pass
    engine = make_engine(settings.sqlalchemy_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _counts(session) -> dict[str, int]:
    from sqlalchemy import text

    tables = ("datasets", "dataset_files", "scenarios", "runs", "run_results")
    return {t: session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}


def test_a_dataset_whose_files_fail_to_store_leaves_nothing(sessions):
    files = {name: b"x" for name in FILES}
    rows = {name: 1 for name in FILES}
    rows.pop("waiting_list.csv")  # the 7th file row cannot be built: the insert fails half-way
    with sessions() as session, pytest.raises(KeyError):
        crud.create_dataset(
            session, name="half", plan_start="2025-03-31", files=files, rows=rows, size_bytes=9, summary={}
        )
    record("faults injected")
    with sessions() as session:
        assert _counts(session)["datasets"] == 0 and _counts(session)["dataset_files"] == 0


def test_a_run_whose_results_fail_to_store_stays_unfinished_without_results(sessions):
    with sessions() as session:
        dataset = crud.create_dataset(
            session, name="d", plan_start="2025-03-31", files={}, rows={}, size_bytes=0, summary={}
        )
        scenario = crud.create_scenario(session, name="s", description="", dataset_id=dataset.id, definition={})
        run = crud.create_run(session, scenario_id=scenario.id)
        assert crud.claim_next_run(session) == run.id
    results = {"allocations.csv": ("text/csv", 1, b"a"), "summary.json": (None, None, b"{}")}  # NOT NULL media type
    with sessions() as session, pytest.raises(IntegrityError):
        crud.finish_run(session, run_id=run.id, summary={"objective": 1.0}, results=results)
    record("faults injected")
    with sessions() as session:
        stored = crud.get_run(session, run_id=run.id)
        assert stored.status == "loading" and stored.summary is None
        assert _counts(session)["run_results"] == 0
        # and the run can still end properly afterwards
        assert crud.finish_run(session, run_id=run.id, summary={}, results={"a.csv": ("text/csv", 0, b"")})
        assert crud.get_run(session, run_id=run.id).status == DONE
