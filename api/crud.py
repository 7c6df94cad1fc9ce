"""Database functions: every read and write of the service, keyword-only, one transaction per write.

Run state changes are conditional updates (`UPDATE ... WHERE status IN (...)`), so the API, the
dispatcher and the run processes never overwrite each other: a run cancelled or failed by a restart
stays so even if its process finishes afterwards, and results are only stored together with the
`done` status, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import (
    ACTIVE_STAGES,
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    TERMINAL,
    DatasetFileRow,
    DatasetRow,
    RunResultRow,
    RunRow,
    ScenarioRow,
    utcnow,
)
from api.errors import conflict

UNFINISHED = (QUEUED, *ACTIVE_STAGES)


# --- datasets -----------------------------------------------------------------------------------


def create_dataset(
    session: Session,
    *,
    name: str,
    plan_start: str,
    files: dict[str, bytes],
    rows: dict[str, int],
    size_bytes: int,
    summary: dict[str, Any],
) -> DatasetRow:
    """Store a validated dataset and all its files in one transaction (409 if the name is taken)."""
    dataset = DatasetRow(name=name, plan_start=plan_start, size_bytes=size_bytes, rows=rows, summary=summary)
    session.add(dataset)
    try:
        session.flush()
        session.add_all(
            DatasetFileRow(dataset_id=dataset.id, name=file, rows=rows[file], content=content)
            for file, content in files.items()
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise conflict(f"a dataset named {name!r} already exists") from None
    return dataset


def get_dataset(session: Session, *, ref: str) -> DatasetRow | None:
    """A dataset by id, else by name."""
    return session.get(DatasetRow, ref) or session.scalar(select(DatasetRow).where(DatasetRow.name == ref))


def list_datasets(session: Session, *, offset: int = 0, limit: int = 100) -> tuple[list[DatasetRow], int]:
    count = session.scalar(select(func.count()).select_from(DatasetRow)) or 0
    rows = session.scalars(
        select(DatasetRow).order_by(DatasetRow.created_at, DatasetRow.id).offset(offset).limit(limit)
    )
    return list(rows), count


def dataset_files(session: Session, *, dataset_id: str) -> dict[str, bytes]:
    """The dataset's compressed CSV files by contract file name."""
    rows = session.execute(
        select(DatasetFileRow.name, DatasetFileRow.content).where(DatasetFileRow.dataset_id == dataset_id)
    )
    return {name: content for name, content in rows}


def delete_dataset(session: Session, *, dataset: DatasetRow) -> None:
    """Delete a dataset with its scenarios, runs and results; 409 while one of its runs is unfinished."""
    scenario_ids = select(ScenarioRow.id).where(ScenarioRow.dataset_id == dataset.id)
    _refuse_unfinished(
        session, select(RunRow.id).where(RunRow.scenario_id.in_(scenario_ids)), f"dataset {dataset.name!r}"
    )
    run_ids = select(RunRow.id).where(RunRow.scenario_id.in_(scenario_ids))
    session.execute(delete(RunResultRow).where(RunResultRow.run_id.in_(run_ids)))
    session.execute(delete(RunRow).where(RunRow.scenario_id.in_(scenario_ids)))
    session.execute(delete(ScenarioRow).where(ScenarioRow.dataset_id == dataset.id))
    session.execute(delete(DatasetFileRow).where(DatasetFileRow.dataset_id == dataset.id))
    session.execute(delete(DatasetRow).where(DatasetRow.id == dataset.id))
    session.commit()


def _refuse_unfinished(session: Session, run_ids, what: str) -> None:
    busy = session.scalars(select(RunRow.id).where(RunRow.id.in_(run_ids), RunRow.status.in_(UNFINISHED))).all()
    if busy:
        raise conflict(f"{what} has unfinished runs ({', '.join(busy[:5])}): cancel them first")


# --- scenarios ----------------------------------------------------------------------------------


def create_scenario(
    session: Session, *, name: str, description: str, dataset_id: str, definition: dict[str, Any]
) -> ScenarioRow:
    scenario = ScenarioRow(name=name, description=description, dataset_id=dataset_id, definition=definition)
    session.add(scenario)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise conflict(f"a scenario named {name!r} already exists") from None
    return scenario


def get_scenario(session: Session, *, ref: str) -> ScenarioRow | None:
    """A scenario by id, else by name."""
    return session.get(ScenarioRow, ref) or session.scalar(select(ScenarioRow).where(ScenarioRow.name == ref))


def list_scenarios(
    session: Session, *, dataset_id: str | None = None, offset: int = 0, limit: int = 100
) -> tuple[list[ScenarioRow], int]:
    query = select(ScenarioRow)
    if dataset_id is not None:
        query = query.where(ScenarioRow.dataset_id == dataset_id)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(ScenarioRow.created_at, ScenarioRow.id).offset(offset).limit(limit))
    return list(rows), count


def dataset_names(session: Session, *, ids: set[str]) -> dict[str, str]:
    rows = session.execute(select(DatasetRow.id, DatasetRow.name).where(DatasetRow.id.in_(ids)))
    return {key: value for key, value in rows}


def delete_scenario(session: Session, *, scenario: ScenarioRow) -> None:
    """Delete a scenario with its runs and results; 409 while one of its runs is unfinished."""
    run_ids = select(RunRow.id).where(RunRow.scenario_id == scenario.id)
    _refuse_unfinished(session, run_ids, f"scenario {scenario.name!r}")
    session.execute(delete(RunResultRow).where(RunResultRow.run_id.in_(run_ids)))
    session.execute(delete(RunRow).where(RunRow.scenario_id == scenario.id))
    session.execute(delete(ScenarioRow).where(ScenarioRow.id == scenario.id))
    session.commit()


# --- runs ---------------------------------------------------------------------------------------


def create_run(
    session: Session, *, scenario_id: str, previous_run_id: str | None = None, simulation: dict[str, Any] | None = None
) -> RunRow:
    """A queued run; `simulation` (draws, seed, replan) makes it a simulation run of the scenario."""
    run = RunRow(
        scenario_id=scenario_id,
        status=QUEUED,
        stage_times={},
        previous_run_id=previous_run_id,
        simulation=simulation,
    )
    session.add(run)
    session.commit()
    return run


def get_run(session: Session, *, run_id: str) -> RunRow | None:
    return session.get(RunRow, run_id)


def list_runs(
    session: Session,
    *,
    scenario_id: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[RunRow], int]:
    query = select(RunRow)
    if scenario_id is not None:
        query = query.where(RunRow.scenario_id == scenario_id)
    if status is not None:
        query = query.where(RunRow.status == status)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(RunRow.created_at, RunRow.id).offset(offset).limit(limit))
    return list(rows), count


def scenario_names(session: Session, *, ids: set[str]) -> dict[str, str]:
    rows = session.execute(select(ScenarioRow.id, ScenarioRow.name).where(ScenarioRow.id.in_(ids)))
    return {key: value for key, value in rows}


def result_names(session: Session, *, run_id: str) -> list[str]:
    return list(
        session.scalars(select(RunResultRow.name).where(RunResultRow.run_id == run_id).order_by(RunResultRow.name))
    )


def get_result(session: Session, *, run_id: str, name: str) -> bytes | None:
    """A stored result file (compressed), or None."""
    return session.scalar(select(RunResultRow.content).where(RunResultRow.run_id == run_id, RunResultRow.name == name))


def get_result_with_rows(session: Session, *, run_id: str, name: str) -> tuple[bytes, int | None] | None:
    """A stored result file (compressed) and its rows, or None."""
    found = session.execute(
        select(RunResultRow.content, RunResultRow.rows).where(RunResultRow.run_id == run_id, RunResultRow.name == name)
    ).first()
    return None if found is None else (found[0], found[1])


def result_files(session: Session, *, run_id: str, names: list[str]) -> dict[str, bytes]:
    """Several stored result files (compressed) by name."""
    rows = session.execute(
        select(RunResultRow.name, RunResultRow.content).where(
            RunResultRow.run_id == run_id, RunResultRow.name.in_(names)
        )
    )
    return {key: value for key, value in rows}


def cancel_run(session: Session, *, run_id: str) -> bool:
    """Mark an unfinished run cancelled; False when it had already ended."""
    error = {"type": "cancelled", "message": "cancelled on request"}
    done = session.execute(
        update(RunRow)
        .where(RunRow.id == run_id, RunRow.status.in_(UNFINISHED))
        .values(status=CANCELLED, finished_at=utcnow(), error=error)
    )
    session.commit()
    return done.rowcount == 1


def delete_run(session: Session, *, run: RunRow) -> None:
    if run.status in UNFINISHED:
        raise conflict(f"run {run.id} is {run.status}: cancel it first")
    session.execute(delete(RunResultRow).where(RunResultRow.run_id == run.id))
    session.execute(delete(RunRow).where(RunRow.id == run.id))
    session.commit()


def claim_next_run(session: Session) -> str | None:
    """Move the oldest queued run to `loading`; None when nothing is queued (or another took it)."""
    for run_id in session.scalars(
        select(RunRow.id).where(RunRow.status == QUEUED).order_by(RunRow.created_at).limit(5)
    ):
        now = utcnow()
        claimed = session.execute(
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.status == QUEUED)
            .values(status="loading", started_at=now, stage_times={"loading": now.isoformat()})
        )
        session.commit()
        if claimed.rowcount == 1:
            return run_id
    return None


def set_worker_pid(session: Session, *, run_id: str, pid: int | None) -> None:
    session.execute(update(RunRow).where(RunRow.id == run_id).values(worker_pid=pid))
    session.commit()


def set_stage(session: Session, *, run_id: str, stage: str, stage_times: dict[str, str]) -> bool:
    """Record that an active run entered `stage`; False when the run is no longer active."""
    moved = session.execute(
        update(RunRow)
        .where(RunRow.id == run_id, RunRow.status.in_(ACTIVE_STAGES))
        .values(status=stage, stage_times=stage_times)
    )
    session.commit()
    return moved.rowcount == 1


def finish_run(
    session: Session, *, run_id: str, summary: dict[str, Any], results: dict[str, tuple[str, int | None, bytes]]
) -> bool:
    """Mark an active run done and store every result file, all in one transaction.

    `results` maps file name → (media type, rows, compressed content). Returns False (and stores
    nothing) when the run is no longer active: cancelled, failed by a restart, or deleted.
    """
    try:
        moved = session.execute(
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.status.in_(ACTIVE_STAGES))
            .values(status=DONE, finished_at=utcnow(), summary=summary, error=None)
        )
        if moved.rowcount != 1:
            session.rollback()
            return False
        session.add_all(
            RunResultRow(run_id=run_id, name=name, media_type=media_type, rows=rows, content=content)
            for name, (media_type, rows, content) in results.items()
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return True


def fail_run(session: Session, *, run_id: str, error: dict[str, Any]) -> bool:
    """Mark an unfinished run failed with `error`; False when it had already ended."""
    moved = session.execute(
        update(RunRow)
        .where(RunRow.id == run_id, RunRow.status.in_(UNFINISHED))
        .values(status=FAILED, finished_at=utcnow(), error=error)
    )
    session.commit()
    return moved.rowcount == 1


def fail_interrupted_runs(session: Session, *, reason: str) -> list[str]:
    """Mark every run left in an engine stage failed (after a crash or restart); returns their ids."""
    ids = list(session.scalars(select(RunRow.id).where(RunRow.status.in_(ACTIVE_STAGES))))
    for run_id in ids:
        fail_run(session, run_id=run_id, error={"type": "interrupted", "message": reason})
    return ids


def run_statuses(session: Session, *, run_ids: list[str]) -> dict[str, str]:
    """Current status of each run id (missing ids: deleted runs)."""
    if not run_ids:
        return {}
    return {
        key: value for key, value in session.execute(select(RunRow.id, RunRow.status).where(RunRow.id.in_(run_ids)))
    }


def is_terminal(status: str | None) -> bool:
    return status is None or status in TERMINAL


def elapsed(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None:
        return None
    return max(0.0, ((end or utcnow()) - start).total_seconds())


def set_simulation_done(session: Session, *, run_id: str, simulation: dict[str, Any]) -> bool:
    """Record a simulation run's progress (its `simulation` with `done` draws); False when no longer active."""
    moved = session.execute(
        update(RunRow).where(RunRow.id == run_id, RunRow.status.in_(ACTIVE_STAGES)).values(simulation=simulation)
    )
    session.commit()
    return moved.rowcount == 1
