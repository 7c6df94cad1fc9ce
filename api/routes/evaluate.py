"""Evaluation of a manual proposal: flows for a stored scenario → KPIs, violations, gap to the optimum.

The proposal is replayed patient by patient by `optimizer.evaluate_proposal`, which also
plans the scenario's optimum to measure the gap. This happens in the request (it takes about as long
as a run of the scenario) unless `optimum_run` names a finished run of the scenario, whose stored
objective is then the optimum (the evaluation alone takes a second or two). At most
`max_concurrent_runs` evaluations run at once; others wait up to `EVALUATION_WAIT_SECONDS`, then 503.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from api import crud
from api.core.config import Settings
from api.db import DONE
from api.deps import ReadKey, SessionDep, SettingsDep
from api.errors import ApiError, invalid, not_found
from api.schemas import EvaluateCreate, EvaluationPublic, StorableStr, error_responses
from api.stored import stored_dataset
from models.errors import DatasetError, Problem
from models.scenario import parse_scenario
from optimizer import ALLOCATION_COLUMNS

router = APIRouter(prefix="/evaluate", tags=["evaluate"])

EVALUATION_WAIT_SECONDS = 30.0
FixQuery = Annotated[
    bool,
    Query(
        description="Keep the proposal's flows as given (an infeasible one's capacity-trimmed repair) and "
        "optimise every other flow: the result is under `fixed`."
    ),
]
_slots_lock = threading.Lock()


def _slots(request: Request, settings: Settings) -> threading.BoundedSemaphore:
    with _slots_lock:
        if not hasattr(request.app.state, "evaluation_slots"):
            request.app.state.evaluation_slots = threading.BoundedSemaphore(settings.max_concurrent_runs)
        return request.app.state.evaluation_slots


def _optimum_of(session, run_id: str, scenario_id: str) -> float:
    """The objective of a finished run of the scenario: the optimum to measure the gap against."""
    run = crud.get_run(session, run_id=run_id)
    if run is None:
        raise not_found("run", run_id)
    if run.scenario_id != scenario_id or run.status != DONE:
        raise invalid(
            "optimum_run must be a finished run of the same scenario",
            [
                Problem(
                    "request",
                    None,
                    "optimum_run",
                    f"run {run_id} is {run.status} and of another scenario"
                    if run.scenario_id != scenario_id
                    else f"run {run_id} is {run.status}",
                )
            ],
        )
    return float((run.summary or {})["objective"])


def _evaluate(
    session,
    settings: Settings,
    slots: threading.BoundedSemaphore,
    ref: str,
    flows: pd.DataFrame,
    optimum_run: str | None,
    fix: bool = False,
) -> dict:
    from optimizer import InfeasibleScenarioError, SolveError, evaluate_proposal

    row = crud.get_scenario(session, ref=ref)
    if row is None:
        raise not_found("scenario", ref)
    dataset_row = crud.get_dataset(session, ref=row.dataset_id)
    scenario = parse_scenario(row.definition, "scenario")
    optimum = _optimum_of(session, optimum_run, row.id) if optimum_run else None
    if not slots.acquire(timeout=EVALUATION_WAIT_SECONDS):
        raise ApiError(503, "too many evaluations at once; try again shortly")
    try:
        dataset = stored_dataset(session, dataset_row, settings, scenario.start_week)
        evaluation = evaluate_proposal(scenario, flows, dataset=dataset, optimum_objective=optimum, fix=fix)
    except InfeasibleScenarioError as exc:
        raise ApiError(422, str(exc).splitlines()[0], conflicts=exc.conflicts) from None
    except SolveError as exc:
        raise ApiError(422, f"the scenario's optimum could not be planned: {exc}") from None
    finally:
        slots.release()
    summary = evaluation.summary()
    summary["kpis"] = json.loads(evaluation.evaluation.kpis.to_json(orient="records", double_precision=15))
    return summary


@router.post(
    "",
    name="evaluate_proposal",
    response_model=EvaluationPublic,
    responses=error_responses(401, 403, 404, 413, 422, 503),
)
async def evaluate(
    body: EvaluateCreate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: ReadKey,
    fix: FixQuery = False,
) -> EvaluationPublic:
    """Evaluate flows given as JSON records (the allocations.csv columns); `fix=true` keeps them and
    optimises the rest (fix-and-optimise)."""
    records = [flow.model_dump(by_alias=True, exclude_none=True) for flow in body.allocations]
    flows = pd.DataFrame(records).reindex(
        columns=[c for c in ALLOCATION_COLUMNS if any(c in r for r in records)] or ALLOCATION_COLUMNS
    )
    flows = flows.astype({"patients": float})
    summary = await run_in_threadpool(
        _evaluate, session, settings, _slots(request, settings), body.scenario, flows, body.optimum_run, fix
    )
    return EvaluationPublic.model_validate(summary)


@router.post(
    "/csv",
    name="evaluate_proposal_csv",
    response_model=EvaluationPublic,
    responses=error_responses(401, 403, 404, 413, 415, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The proposal in the allocations.csv format.",
        }
    },
)
async def evaluate_csv(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: ReadKey,
    scenario: Annotated[StorableStr, Query(min_length=1, max_length=100, description="Scenario id or name.")],
    optimum_run: Annotated[
        StorableStr | None,
        Query(max_length=32, description="A finished run of the scenario: its objective is the optimum."),
    ] = None,
    fix: FixQuery = False,
) -> EvaluationPublic:
    """Evaluate flows given as CSV (allocations.csv format); problems name the row and column."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "application/csv", "text/plain"):
        raise ApiError(415, "send the proposal as text/csv")
    flows = await run_in_threadpool(_read_csv, settings, await request.body())
    summary = await run_in_threadpool(
        _evaluate, session, settings, _slots(request, settings), scenario, flows, optimum_run, fix
    )
    return EvaluationPublic.model_validate(summary)


def _read_csv(settings: Settings, data: bytes) -> pd.DataFrame:
    from optimizer import read_allocations

    if not data.strip():
        raise invalid("the proposal is empty", [Problem("proposal.csv", 1, None, "file is empty")])
    staging = settings.data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="proposal-", dir=staging) as tmp:
        path = Path(tmp) / "proposal.csv"
        path.write_bytes(data)
        try:
            return read_allocations(path)
        except DatasetError as exc:  # the engine reports a proposal's problems as a ProposalError
            raise invalid(f"the proposal is invalid: {len(exc.problems)} problem(s)", exc.problems) from None
