"""Concurrency (issue 8, item 5): 20 runs submitted at once from several client threads to a real
uvicorn on 127.0.0.1 (`tests/api/test_uvicorn.py`'s server: at most 2 runs at once).

The 20 scenarios differ only by a capacity factor on every hospital. While they run, a monitor
samples every 0.1 s: the runs' statuses (never more than `MAX_CONCURRENT` in an engine stage), the
server's run processes in /proc (never more than `MAX_CONCURRENT`), and the resident memory of the
server alone and with its run processes (under `SERVER_RSS_MB` and `TOTAL_RSS_MB`). All loops are
bounded by deadlines. Every run must finish `done`, and its stored summary must name its own scenario
and have the objective of a direct, in-process `plan` of that scenario.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from api.db import ACTIVE_STAGES
from models import load_dataset
from models.scenario import parse_scenario
from tests.api.helpers import FINISHED, READ, WRITE, YAML, ZIP, scenario_yaml
from tests.api.test_uvicorn import uvicorn_server
from tests.reliability.figures import record

RUNS = 20
CLIENTS = 4
MAX_CONCURRENT = 2  # CAPPLAN_MAX_CONCURRENT_RUNS of `uvicorn_server`
HORIZON = 3
DEADLINE_SECONDS = 150
#: Memory bounds: the server process alone, and the server with its run processes.
SERVER_RSS_MB = 500
TOTAL_RSS_MB = 500 + MAX_CONCURRENT * 400
HOSPITALS = ("r0_county", "r0_district", "r1_county", "r1_district", "r2_county", "r2_district", "private")

#: A real uvicorn with its run processes, deadlines and process counts: one such test at a time (xdist).
pytestmark = pytest.mark.xdist_group("servers")


def _factor(i: int) -> float:
    return round(0.3 + 0.05 * i, 2)


def _scenario_text(i: int) -> str:
    changes = "".join(f"  - capacity: {{hospital_id: {h}, factor: {_factor(i)}}}\n" for h in HOSPITALS)
    return scenario_yaml(f"cap-{i:02d}", "rd1", horizon=HORIZON, extra=f"changes:\n{changes}")


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _run_processes(server_pid: int) -> list[int]:
    """The server's spawned run processes (not multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == server_pid and fields[0] != "Z" and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


class Monitor(threading.Thread):
    """Samples statuses, run processes and memory every `interval` s until stopped (or the deadline)."""

    def __init__(self, base_url, server_pid: int, deadline: float, interval: float = 0.25):
        super().__init__(name="monitor", daemon=True)
        self.base_url, self.server_pid, self.deadline, self.interval = base_url, server_pid, deadline, interval
        self.stop = threading.Event()
        self.statuses: dict[str, str] = {}  # run id → status at the last sample
        self.max_active = self.max_processes = self.max_server_kb = self.max_total_kb = self.samples = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            while not self.stop.is_set() and time.monotonic() < self.deadline:
                runs = client.get("/api/v1/runs?limit=1000", headers=READ).json()["data"]
                children = _run_processes(self.server_pid)
                server_kb = _rss_kb(self.server_pid)
                self.statuses = {r["id"]: r["status"] for r in runs}
                self.max_active = max(self.max_active, sum(r["status"] in ACTIVE_STAGES for r in runs))
                self.max_processes = max(self.max_processes, len(children))
                self.max_server_kb = max(self.max_server_kb, server_kb)
                self.max_total_kb = max(self.max_total_kb, server_kb + sum(_rss_kb(pid) for pid in children))
                self.samples += 1
                self.stop.wait(self.interval)


def test_twenty_runs_at_once_finish_in_order_of_their_own_scenarios(tmp_path, small_zip, small_folder):
    with uvicorn_server(tmp_path, tmp_path / "server.log") as (server, client):
        assert client.post("/api/v1/datasets", content=small_zip, headers=ZIP).status_code == 201
        for i in range(RUNS):
            response = client.post("/api/v1/scenarios", content=_scenario_text(i), headers=YAML)
            assert response.status_code == 201, response.text

        deadline = time.monotonic() + DEADLINE_SECONDS
        monitor = Monitor(client.base_url, server.pid, deadline)
        monitor.start()
        start = threading.Barrier(CLIENTS)
        submitted: dict[str, str] = {}  # run id → scenario name
        errors: list[str] = []

        def submit(names: list[str]) -> None:
            with httpx.Client(base_url=client.base_url, timeout=30) as own:
                start.wait(timeout=30)
                for name in names:
                    response = own.post("/api/v1/runs", json={"scenario": name}, headers=WRITE)
                    if response.status_code != 202:
                        errors.append(f"{name}: {response.status_code} {response.text[:200]}")
                        continue
                    submitted[response.json()["id"]] = name

        names = [f"cap-{i:02d}" for i in range(RUNS)]
        clients = [threading.Thread(target=submit, args=(names[k::CLIENTS],)) for k in range(CLIENTS)]
        started = time.monotonic()
        for thread in clients:
            thread.start()

        # meanwhile, in this process: the objective of each scenario planned directly
        from optimizer import plan

        expected = {}
        for i, name in enumerate(names):
            scenario = parse_scenario(__import__("yaml").safe_load(_scenario_text(i)))
            expected[name] = plan(scenario, dataset=load_dataset(small_folder, plan_start=scenario.start_week))

        for thread in clients:
            thread.join(timeout=60)
        assert not errors and len(submitted) == RUNS, errors
        record("concurrent runs", RUNS)

        def all_ended() -> bool:
            statuses = monitor.statuses
            return all(statuses.get(run_id) in FINISHED for run_id in submitted)

        while time.monotonic() < deadline and monitor.is_alive() and not all_ended():
            time.sleep(0.25)
        took = time.monotonic() - started
        monitor.stop.set()
        monitor.join(timeout=10)
        finals = {run_id: client.get(f"/api/v1/runs/{run_id}", headers=READ).json() for run_id in submitted}
        finals = {run_id: body for run_id, body in finals.items() if body["status"] in FINISHED}

        assert len(finals) == RUNS, f"only {len(finals)} of {RUNS} runs ended within {DEADLINE_SECONDS} s"
        assert all(body["status"] == "done" for body in finals.values()), [
            (b["scenario_name"], b["status"], b["error"]) for b in finals.values() if b["status"] != "done"
        ]
        objectives = {}
        for run_id, name in submitted.items():
            assert finals[run_id]["scenario_name"] == name
            summary = client.get(f"/api/v1/runs/{run_id}/summary", headers=READ).json()
            assert summary["scenario"] == name and summary["horizon_weeks"] == HORIZON
            direct = expected[name]
            assert abs(summary["objective"] - direct.objective) <= 1e-6 * max(1.0, abs(direct.objective)), name
            objectives[name] = summary["objective"]
        assert len(set(objectives.values())) > RUNS // 2, "the scenarios should differ in their plans"

        print(
            f"{RUNS} runs from {CLIENTS} clients in {took:.1f} s; {monitor.samples} samples: "
            f"at most {monitor.max_active} running and {monitor.max_processes} run processes; "
            f"server RSS at most {monitor.max_server_kb / 1024:.0f} MB, "
            f"with run processes {monitor.max_total_kb / 1024:.0f} MB"
        )
        assert monitor.samples >= 10
        assert monitor.max_active <= MAX_CONCURRENT
        assert monitor.max_processes <= MAX_CONCURRENT
        assert 0 < monitor.max_server_kb < SERVER_RSS_MB * 1024
        assert monitor.max_total_kb < TOTAL_RSS_MB * 1024
        assert client.get("/health").json()["status"] == "ok"
