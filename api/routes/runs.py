"""Runs: start a scenario's run (202, in the background), follow it, cancel it, fetch its results.

Every result table is served as JSON pages (`offset`, `limit`; 1000 rows by default) or as CSV
(`?format=csv`, `Accept: text/csv`, or the path with `.csv`: `/runs/{id}/kpis.csv`; the whole table
unless `offset`/`limit` are given; `X-Total-Count` gives its rows). An explicit `?format=` wins over
`Accept`; the `.csv` paths are CSV-only operations, for clients generated from the OpenAPI document.
Results exist once the run is `done`; before that, or for a failed run, the result endpoints answer
409 with the run's status (and its error).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api import crud
from api.db import DONE, RunRow, decompress
from api.deps import DispatcherDep, ReadKey, SessionDep, WriteKey
from api.errors import ApiError, conflict, not_found
from api.results import (
    DEFAULT_JSON_LIMIT,
    MAX_LIMIT,
    REPORT_FILE,
    RESULT_TABLES,
    SIMULATION_TABLES,
    TABLE_COLUMNS,
    TABLE_DESCRIPTIONS,
    csv_page,
    json_page,
    summary_rows,
)
from api.schemas import (
    MAX_OFFSET,
    PAGE_MODELS,
    Format,
    RunCreate,
    RunError,
    RunPublic,
    RunsPublic,
    RunStatus,
    RunSummary,
    SimulationState,
    StageTiming,
    StorableStr,
    error_responses,
)

router = APIRouter(prefix="/runs", tags=["runs"])

#: The HTML report carries its scripts inline and needs nothing from the network: forbid the rest.
REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:"
)
CSV_RESPONSE = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON, or CSV with `?format=csv` or `Accept: text/csv`",
    }
}
CSV_ONLY = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The table as CSV"}}


class CSVResponse(Response):
    media_type = "text/csv"


Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="First row of the page.")]
Limit = Annotated[
    int | None, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page; JSON default {DEFAULT_JSON_LIMIT}, CSV all.")
]
FormatQuery = Annotated[
    Format | None, Query(description="json or csv; default by `Accept` (text/csv gives CSV), else json")
]


def _accepted(header: str) -> dict[str, float]:
    """Media range → quality of an Accept header (malformed qualities count as 1)."""
    ranges: dict[str, float] = {}
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 1.0
        ranges[media.lower()] = max(quality, ranges.get(media.lower(), 0.0))
    return ranges


def csv_requested(request: Request, format: Format | None) -> bool:
    """CSV when `?format=csv`, or without `?format=` when `Accept` prefers text/csv to application/json."""
    if format is not None:
        return format is Format.csv
    ranges = _accepted(request.headers.get("accept", ""))
    anything = ranges.get("*/*", 0.0)
    csv = max(ranges.get("text/csv", 0.0), ranges.get("text/*", 0.0), anything)
    json = max(ranges.get("application/json", 0.0), ranges.get("application/*", 0.0), anything)
    return "text/csv" in ranges and csv > json


def stage_timings(row: RunRow) -> list[StageTiming]:
    entries = sorted(
        ((stage, dt.datetime.fromisoformat(at)) for stage, at in (row.stage_times or {}).items()), key=lambda e: e[1]
    )
    timings = []
    for i, (stage, started) in enumerate(entries):
        end = entries[i + 1][1] if i + 1 < len(entries) else row.finished_at
        timings.append(StageTiming(stage=stage, started_at=started, seconds=crud.elapsed(started, end) or 0.0))
    return timings


def run_public(row: RunRow, scenario_name: str, results: list[str] = ()) -> RunPublic:
    error = RunError.model_validate(row.error) if row.error else None
    return RunPublic(
        id=row.id,
        scenario_id=row.scenario_id,
        scenario_name=scenario_name,
        previous_run_id=row.previous_run_id,
        status=row.status,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        queued_seconds=crud.elapsed(row.created_at, row.started_at) if row.started_at else None,
        elapsed_seconds=crud.elapsed(row.started_at, row.finished_at),
        stages=stage_timings(row),
        error=error,
        results=list(results),
        simulation=SimulationState.model_validate(row.simulation) if row.simulation else None,
    )


def _run_or_404(session, run_id: str) -> RunRow:
    row = crud.get_run(session, run_id=run_id)
    if row is None:
        raise not_found("run", run_id)
    return row


def _done_run(session, run_id: str) -> RunRow:
    row = _run_or_404(session, run_id)
    if row.status != DONE:
        reason = f": {row.error['message']}" if row.error else ""
        raise ApiError(409, f"run {run_id} is {row.status}{reason}; results exist once it is done")
    return row


def _public_of(session, row: RunRow) -> RunPublic:
    names = crud.scenario_names(session, ids={row.scenario_id})
    files = crud.result_names(session, run_id=row.id) if row.status == DONE else []
    tables = [public for public, file in {**RESULT_TABLES, **SIMULATION_TABLES}.items() if file in files]
    tables += ["summary"] + (["report"] if REPORT_FILE in files else []) if files else []
    return run_public(row, names.get(row.scenario_id, ""), tables)


@router.post("", status_code=202, response_model=RunPublic, responses=error_responses(401, 403, 404, 422))
def create_run(
    body: RunCreate, request: Request, response: Response, session: SessionDep, dispatcher: DispatcherDep, _: WriteKey
) -> RunPublic:
    """Queue a run of a stored scenario (by id or name); it starts in the background. Poll GET /runs/{id}.

    With `previous_run_id` the run re-plans from that run's proposals (`capplan replan`), and its
    results include the table `changes` (what changed for each patient) and the counts in the summary.
    With `simulation` it is a simulation run: the plan, then its draws (status `simulating`,
    `simulation.done` counts them), and the `simulation-bands` table besides the plan's tables.
    """
    scenario = crud.get_scenario(session, ref=body.scenario)
    if scenario is None:
        raise not_found("scenario", body.scenario)
    if body.previous_run_id is not None:  # a re-plan needs the previous run's patient proposals
        previous = _run_or_404(session, body.previous_run_id)
        if previous.status != DONE or "proposals.csv" not in crud.result_names(session, run_id=previous.id):
            raise conflict(f"run {body.previous_run_id!r} has no finished plan with proposals to re-plan from")
    if body.simulation is not None and body.previous_run_id is not None:
        raise ApiError(422, "a simulation run plans its scenario afresh: give simulation or previous_run_id, not both")
    simulation = body.simulation.model_dump() if body.simulation else None
    row = crud.create_run(session, scenario_id=scenario.id, previous_run_id=body.previous_run_id, simulation=simulation)
    dispatcher.wake()
    response.headers["Location"] = f"{request.url.path.rstrip('/')}/{row.id}"
    return run_public(row, scenario.name)


@router.get("", response_model=RunsPublic, responses=error_responses(401, 403, 404))
def list_runs(
    session: SessionDep,
    _: ReadKey,
    scenario: Annotated[StorableStr | None, Query(description="Only runs of this scenario (id or name).")] = None,
    status: Annotated[RunStatus | None, Query(description="Only runs with this status.")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RunsPublic:
    scenario_id = None
    if scenario is not None:
        found = crud.get_scenario(session, ref=scenario)
        if found is None:
            raise not_found("scenario", scenario)
        scenario_id = found.id
    rows, count = crud.list_runs(session, scenario_id=scenario_id, status=status, offset=offset, limit=limit)
    names = crud.scenario_names(session, ids={r.scenario_id for r in rows})
    return RunsPublic(data=[run_public(r, names.get(r.scenario_id, "")) for r in rows], count=count)


@router.get("/{run_id}", response_model=RunPublic, responses=error_responses(401, 403, 404))
def get_run(run_id: StorableStr, session: SessionDep, _: ReadKey) -> RunPublic:
    """Status (queued, a stage, done, failed, cancelled), stage timings, error, and the result tables."""
    return _public_of(session, _run_or_404(session, run_id))


@router.post("/{run_id}/cancel", response_model=RunPublic, responses=error_responses(401, 403, 404, 409))
def cancel_run(run_id: StorableStr, session: SessionDep, dispatcher: DispatcherDep, _: WriteKey) -> RunPublic:
    """Cancel a queued or running run (its process is terminated); 409 when it has already ended."""
    row = _run_or_404(session, run_id)
    if not crud.cancel_run(session, run_id=run_id):
        session.refresh(row)
        raise ApiError(409, f"run {run_id} has already ended ({row.status})")
    dispatcher.wake()
    session.refresh(row)
    return _public_of(session, row)


@router.delete("/{run_id}", status_code=204, responses=error_responses(401, 403, 404, 409))
def delete_run(run_id: StorableStr, session: SessionDep, _: WriteKey) -> Response:
    """Delete a finished run and its results (409 while it is queued or running)."""
    crud.delete_run(session, run=_run_or_404(session, run_id))
    return Response(status_code=204)


def _summary_csv(run_id: str, summary: dict) -> Response:
    buffer = io.StringIO()
    summary_rows(summary).to_csv(buffer, index=False, lineterminator="\n")
    return _csv(buffer.getvalue().encode(), f"{run_id}-summary.csv", None)


@router.get(
    "/{run_id}/summary",
    name="get_run_summary",
    response_model=RunSummary,
    responses={**error_responses(401, 403, 404, 409, 422), **CSV_RESPONSE},
)
def get_summary(
    run_id: StorableStr, request: Request, session: SessionDep, _: ReadKey, format: FormatQuery = None
) -> Any:
    """summary.json: status, objective and its terms, integer plan, timings, model size (CSV: key, value)."""
    row = _done_run(session, run_id)
    summary = row.summary or {}
    if csv_requested(request, format):
        return _summary_csv(run_id, summary)
    return JSONResponse(summary)


@router.get(
    "/{run_id}/summary.csv",
    name="get_run_summary_csv",
    response_class=CSVResponse,
    responses={**error_responses(401, 403, 404, 409, 422), **CSV_ONLY},
)
def get_summary_csv(run_id: StorableStr, session: SessionDep, _: ReadKey) -> Response:
    """The summary as CSV: `key` (dotted path in summary.json), `value`."""
    return _summary_csv(run_id, _done_run(session, run_id).summary or {})


@router.get(
    "/{run_id}/report",
    name="get_run_report",
    response_class=HTMLResponse,
    responses={**error_responses(401, 403, 404, 409), 200: {"content": {"text/html": {}}}},
)
def get_report(run_id: StorableStr, session: SessionDep, _: ReadKey) -> Response:
    """The run's self-contained HTML report (figures and tables)."""
    _done_run(session, run_id)
    content = crud.get_result(session, run_id=run_id, name=REPORT_FILE)
    if content is None:
        raise ApiError(404, f"run {run_id} has no HTML report (reports are off, or it could not be written)")
    return HTMLResponse(decompress(content), headers={"Content-Security-Policy": REPORT_CSP})


def _csv(data: bytes, filename: str, total: int | None) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if total is not None:
        headers["X-Total-Count"] = str(total)
    return Response(data, media_type="text/csv; charset=utf-8", headers=headers)


def _stored_table(session, run_id: str, table: str, file: str) -> tuple[bytes, int]:
    _done_run(session, run_id)
    stored = crud.get_result_with_rows(session, run_id=run_id, name=file)
    if stored is None:
        raise ApiError(404, f"run {run_id} has no {table} table")
    return stored


def _table_handler(table: str, file: str):
    page_model = PAGE_MODELS[table]

    def handler(
        run_id: StorableStr,
        request: Request,
        session: SessionDep,
        _: ReadKey,
        format: FormatQuery = None,
        offset: Offset = 0,
        limit: Limit = None,
    ) -> Any:
        content, rows = _stored_table(session, run_id, table, file)
        if csv_requested(request, format):
            return _csv(csv_page(content, offset, limit), f"{run_id}-{file}", rows)
        page_limit = limit or DEFAULT_JSON_LIMIT
        columns, records, total = json_page(content, offset, page_limit, TABLE_COLUMNS.get(table))
        next_offset = offset + page_limit if offset + page_limit < total else None
        return page_model(
            run_id=run_id,
            table=table,
            columns=columns,
            rows=records,
            total=total,
            offset=offset,
            limit=page_limit,
            next_offset=next_offset,
        )

    handler.__name__ = f"get_run_{table.replace('-', '_')}"
    handler.__doc__ = TABLE_DESCRIPTIONS[table]
    return handler


def _table_csv_handler(table: str, file: str):
    def handler(run_id: StorableStr, session: SessionDep, _: ReadKey, offset: Offset = 0, limit: Limit = None):
        content, rows = _stored_table(session, run_id, table, file)
        return _csv(csv_page(content, offset, limit), f"{run_id}-{file}", rows)

    handler.__name__ = f"get_run_{table.replace('-', '_')}_csv"
    handler.__doc__ = f"{TABLE_DESCRIPTIONS[table]} As CSV (`X-Total-Count`: rows in all)."
    return handler


for _table, _file in {**RESULT_TABLES, **SIMULATION_TABLES}.items():
    router.add_api_route(
        f"/{{run_id}}/{_table}",
        _table_handler(_table, _file),
        methods=["GET"],
        response_model=PAGE_MODELS[_table],
        responses={**error_responses(401, 403, 404, 409, 422), **CSV_RESPONSE},
        summary=f"Result table: {_table}",
    )
    router.add_api_route(
        f"/{{run_id}}/{_table}.csv",
        _table_csv_handler(_table, _file),
        methods=["GET"],
        response_class=CSVResponse,
        responses={**error_responses(401, 403, 404, 409, 422), **CSV_ONLY},
        summary=f"Result table as CSV: {_table}",
    )
