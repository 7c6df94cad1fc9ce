"""Runs off the request path: a dispatcher thread and one spawned process per run.

The API only inserts a `queued` run and wakes the dispatcher. The dispatcher (a thread of the API
process) starts at most `max_concurrent_runs` processes with multiprocessing's `spawn` start method
(model building holds the GIL, so runs need processes, and `spawn` starts them clean of the server's
threads and sockets); the rest wait in the queue, oldest first. Each run process:

1. reads its scenario and dataset from the database and validates the dataset exactly as the loader
   does, with the scenario's start week;
2. calls `optimizer.plan` with a progress callback that records each stage (and when it began)
   in the database;
3. writes the result files with `presentation.result_files.write_results` (plus the HTML report and patient
   proposals when the engine offers them) and stores all of them with the `done` status in **one
   transaction**; a failure stores the error (problems, or the conflicts of an infeasible scenario).

The database is the only channel between them: cancelling marks the run `cancelled` and the
dispatcher terminates its process; a run whose process dies is marked failed; a run still going
after `run_timeout_seconds` is stopped and failed. A run process also exits by itself when the API
process is gone (it polls its parent), so a killed server leaves no orphans; on the next start the
service marks such runs failed ("interrupted by a server restart") and re-dispatches queued runs.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from api import crud
from api.core.config import Settings
from api.db import make_engine, make_sessionmaker, utcnow
from api.logs import safe_traceback

log = logging.getLogger(__name__)

RESTART_REASON = "interrupted by a server restart"
SHUTDOWN_REASON = "interrupted by a server shutdown"
#: Seconds a terminated run process gets before it is killed.
TERMINATE_GRACE_SECONDS = 5.0


@dataclass
class _Child:
    run_id: str
    process: BaseProcess
    started: float = field(default_factory=time.monotonic)


class Dispatcher:
    """Starts queued runs in separate processes, at most `settings.max_concurrent_runs` at once."""

    def __init__(self, *, settings: Settings, sessions: sessionmaker, staging_dir: Path):
        self.settings = settings
        self.sessions = sessions
        self.staging_dir = staging_dir
        self._context = multiprocessing.get_context("spawn")
        self._children: dict[str, _Child] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="capplan-dispatcher", daemon=True)

    # --- control from the API process ------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Check the queue now (after a submit or cancel) rather than at the next interval."""
        self._wake.set()

    def running(self) -> list[str]:
        with self._lock:
            return list(self._children)

    def stop(self) -> None:
        """Stop dispatching, terminate the run processes and mark their runs failed."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        with self._lock:
            children = list(self._children.values())
            self._children.clear()
        for child in children:
            _terminate(child.process)
            self._remove_staging(child.run_id)
            with self.sessions() as session:
                crud.fail_run(session, run_id=child.run_id, error={"type": "interrupted", "message": SHUTDOWN_REASON})

    # --- the dispatcher thread -------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # keep dispatching; the database may be busy for a moment
                log.error("dispatcher check failed:\n%s", safe_traceback())
            self._wake.wait(self.settings.dispatch_interval_seconds)
            self._wake.clear()

    def tick(self) -> None:
        """One round: reap ended processes, stop cancelled or overdue runs, start queued runs."""
        self._reap()
        self._stop_cancelled_and_overdue()
        while not self._stop.is_set() and len(self._children) < self.settings.max_concurrent_runs:
            with self.sessions() as session:
                run_id = crud.claim_next_run(session)
            if run_id is None:
                break
            self._launch(run_id)

    def _launch(self, run_id: str) -> None:
        process = self._context.Process(
            target=execute_run,
            args=(
                self.settings.sqlalchemy_url,
                run_id,
                os.getpid(),
                str(self.staging_dir),
                self.settings.run_reports,
                logging.getLogger().getEffectiveLevel(),
            ),
            name=f"capplan-run-{run_id[:8]}",
            daemon=False,
        )
        try:
            process.start()
        except Exception:
            log.error("could not start the process of run %s:\n%s", run_id, safe_traceback())
            with self.sessions() as session:
                crud.fail_run(session, run_id=run_id, error={"type": "internal", "message": "could not start the run"})
            return
        with self._lock:
            self._children[run_id] = _Child(run_id, process)
        with self.sessions() as session:
            crud.set_worker_pid(session, run_id=run_id, pid=process.pid)
        log.info("run %s started in process %s", run_id, process.pid)

    def _reap(self) -> None:
        with self._lock:
            ended = [child for child in self._children.values() if not child.process.is_alive()]
            for child in ended:
                del self._children[child.run_id]
        for child in ended:
            child.process.join()
            code = child.process.exitcode
            self._remove_staging(child.run_id)
            with self.sessions() as session:
                failed = crud.fail_run(
                    session,
                    run_id=child.run_id,
                    error={"type": "internal", "message": f"the run process ended unexpectedly (exit code {code})"},
                )
            log.log(
                logging.WARNING if failed else logging.INFO, "run %s process ended (exit code %s)", child.run_id, code
            )

    def _remove_staging(self, run_id: str) -> None:
        """Delete what a stopped run process left in the staging folder (dataset files hold patient data)."""
        for leftover in self.staging_dir.glob(f"run-{run_id[:8]}-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def _stop_cancelled_and_overdue(self) -> None:
        with self._lock:
            children = list(self._children.values())
        if not children:
            return
        with self.sessions() as session:
            statuses = crud.run_statuses(session, run_ids=[c.run_id for c in children])
        limit = self.settings.run_timeout_seconds
        for child in children:
            if crud.is_terminal(statuses.get(child.run_id)):  # cancelled, failed or deleted meanwhile
                log.info("stopping run %s (%s)", child.run_id, statuses.get(child.run_id, "deleted"))
                _terminate(child.process)
            elif limit is not None and time.monotonic() - child.started > limit:
                log.warning("run %s exceeded the time limit of %g s", child.run_id, limit)
                with self.sessions() as session:
                    crud.fail_run(
                        session,
                        run_id=child.run_id,
                        error={"type": "timeout", "message": f"stopped after the run time limit of {limit:g} s"},
                    )
                _terminate(child.process)


def _terminate(process: BaseProcess) -> None:
    if process.is_alive():
        process.terminate()
        process.join(TERMINATE_GRACE_SECONDS)
    if process.is_alive():
        process.kill()
        process.join(TERMINATE_GRACE_SECONDS)


# --- the run process ------------------------------------------------------------------------------


class _RunGone(Exception):
    """The run was cancelled, failed or deleted while this process worked on it."""


class _StageRecorder:
    """The `progress` callback of `plan`: records each stage and when it began."""

    def __init__(self, sessions: sessionmaker, run_id: str, stage_times: dict[str, str]):
        self.sessions = sessions
        self.run_id = run_id
        self.stage_times = dict(stage_times)
        self.current = next(reversed(self.stage_times), None)

    def __call__(self, stage: str) -> None:
        if stage == self.current:
            return
        self.current = stage
        self.stage_times[stage] = utcnow().isoformat()
        with self.sessions() as session:
            if not crud.set_stage(session, run_id=self.run_id, stage=stage, stage_times=self.stage_times):
                raise _RunGone()


def _watch_parent(parent_pid: int) -> None:
    """Exit this process when the API process that started it is gone (killed or crashed)."""

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(3)
            time.sleep(1.0)

    threading.Thread(target=watch, name="capplan-parent-watch", daemon=True).start()


#: The previous run's result files a re-plan reads: its proposals and its LP flows (`optimizer.replan`).
PREVIOUS_FILES = ("proposals.csv", "allocations.csv")


def execute_run(
    database_url: str,
    run_id: str,
    parent_pid: int,
    staging_dir: str,
    reports: bool = True,
    log_level: int = logging.INFO,
) -> None:
    """Entry point of a run process (spawned): plan the run's scenario and store its results."""
    logging.basicConfig(level=log_level, format="%(levelname)s %(name)s [run %(process)d]: %(message)s")
    _watch_parent(parent_pid)
    engine = make_engine(database_url, pooled=False)
    sessions = make_sessionmaker(engine)
    try:
        _execute(sessions, run_id, Path(staging_dir), reports)
    except _RunGone:
        log.info("run %s ended early: cancelled, failed or deleted meanwhile", run_id)
    finally:
        engine.dispose()


def _execute(sessions: sessionmaker, run_id: str, staging_dir: Path, reports: bool) -> None:
    from models.errors import CapplanError

    with sessions() as session:
        run = crud.get_run(session, run_id=run_id)
        if run is None or run.status not in crud.ACTIVE_STAGES:
            raise _RunGone()
        scenario_row = crud.get_scenario(session, ref=run.scenario_id)
        if scenario_row is None:
            raise _RunGone()
        files = crud.dataset_files(session, dataset_id=scenario_row.dataset_id)
        definition, stage_times = scenario_row.definition, run.stage_times or {}
        simulation = dict(run.simulation) if run.simulation else None
        previous = None  # a re-plan: the previous run's proposals and flows (compressed), by file name
        if run.previous_run_id is not None:
            previous = crud.result_files(session, run_id=run.previous_run_id, names=list(PREVIOUS_FILES)) or None
    recorder = _StageRecorder(sessions, run_id, stage_times)
    try:
        with tempfile.TemporaryDirectory(prefix=f"run-{run_id[:8]}-", dir=staging_dir) as tmp:
            if simulation is not None:
                draws = _DrawRecorder(sessions, run_id, simulation)
                summary, results = _simulate_and_collect(Path(tmp), definition, files, recorder, draws, reports)
            else:
                summary, results = _plan_and_collect(Path(tmp), definition, files, recorder, reports, previous)
    except _RunGone:
        raise
    except CapplanError as exc:
        with sessions() as session:
            crud.fail_run(session, run_id=run_id, error=run_error(exc))
        log.info("run %s failed: %s", run_id, type(exc).__name__)
        return
    except Exception:
        log.error("run %s failed:\n%s", run_id, safe_traceback())
        with sessions() as session:
            crud.fail_run(
                session, run_id=run_id, error={"type": "internal", "message": "internal error; see the server log"}
            )
        return
    with sessions() as session:
        if not crud.finish_run(session, run_id=run_id, summary=summary, results=results):
            raise _RunGone()
    log.info("run %s done", run_id)


def _plan_and_collect(
    folder: Path,
    definition: dict,
    files: dict[str, bytes],
    recorder: _StageRecorder,
    reports: bool,
    previous: dict[str, bytes] | None = None,
) -> tuple[dict, dict[str, tuple[str, int | None, bytes]]]:
    """Load, plan (or re-plan from the `previous` run's files, compressed) and write the result files;
    return the summary and every file, compressed."""
    from api.results import collect_result_files
    from api.stored import write_files
    from models import load_dataset
    from models.scenario import parse_scenario
    from optimizer import plan, replan

    scenario = parse_scenario(definition, "scenario")
    dataset_dir = write_files(files, folder / "dataset")
    dataset = load_dataset(dataset_dir, plan_start=scenario.start_week)
    if previous is None:
        result = plan(scenario, dataset=dataset, progress=recorder)
    else:
        previous_dir = write_files(previous, folder / "previous")
        result = replan(scenario, previous_dir, dataset=dataset, progress=recorder)
    return result.summary(), collect_result_files(result, folder / "results", report=reports)


class _DrawRecorder:
    """The `draw_progress` callback of `simulate`: stores the draws done (at most once a second, and the last)."""

    def __init__(self, sessions: sessionmaker, run_id: str, simulation: dict):
        self.sessions = sessions
        self.run_id = run_id
        self.simulation = simulation
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if done < total and time.monotonic() - self.last < 1.0:
            return
        self.last = time.monotonic()
        with self.sessions() as session:
            if not crud.set_simulation_done(session, run_id=self.run_id, simulation={**self.simulation, "done": done}):
                raise _RunGone()


def _simulate_and_collect(
    folder: Path,
    definition: dict,
    files: dict[str, bytes],
    recorder: _StageRecorder,
    draws: _DrawRecorder,
    reports: bool,
) -> tuple[dict, dict[str, tuple[str, int | None, bytes]]]:
    """As `_plan_and_collect`, for a simulation run: the plan, its draws (as Ray tasks, `optimizer.simulate`:
    on $CAPPLAN_RAY_ADDRESS or Ray on this machine), and the bands beside the plan's files."""
    from api.results import collect_simulation_files
    from api.stored import write_files
    from models import load_dataset
    from models.scenario import parse_scenario
    from optimizer import simulate

    scenario = parse_scenario(definition, "scenario")
    dataset_dir = write_files(files, folder / "dataset")
    dataset = load_dataset(dataset_dir, plan_start=scenario.start_week)
    request = draws.simulation
    result = simulate(
        scenario,
        dataset=dataset,
        draws=request["draws"],
        seed=request.get("seed"),
        replan=request.get("replan"),
        progress=recorder,
        draw_progress=draws,
    )
    summary = {**result.plan.summary(), "simulation": result.summary()}
    return summary, collect_simulation_files(result, folder / "results", report=reports)


def run_error(exc: Exception) -> dict:
    """A failed run's error as stored and shown: type, message, problems, conflicts."""
    from models.errors import DatasetError, ScenarioError
    from optimizer import InfeasibleScenarioError, SolveError

    if isinstance(exc, InfeasibleScenarioError):
        return {"type": "infeasible", "message": str(exc).splitlines()[0], "conflicts": list(exc.conflicts)}
    if isinstance(exc, DatasetError | ScenarioError):
        kind = "dataset" if isinstance(exc, DatasetError) else "scenario"
        return {
            "type": "invalid",
            "message": f"the {kind} is invalid for this run",
            "problems": [p.as_dict() for p in exc.problems],
        }
    if isinstance(exc, SolveError):
        return {"type": "solver", "message": str(exc)}
    return {"type": "internal", "message": f"{type(exc).__name__}; see the server log"}
