"""Comparison: several finished runs side by side (`optimizer.compare`), as JSON or CSV.

Each run's stored result files are written back into a private folder and read with
`ResultView.from_folder`, exactly as `capplan compare` reads result folders.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import crud
from api.core.config import Settings
from api.db import DONE
from api.deps import ReadKey, SessionDep, SettingsDep
from api.errors import ApiError, invalid, not_found
from api.results import REPORT_FILE, restore_folder
from api.routes.runs import CSV_ONLY, CSV_RESPONSE, CSVResponse, FormatQuery, csv_requested
from api.schemas import CompareCreate, ComparisonPublic, error_responses
from models.errors import Problem
from models.numbers import to_csv_text

router = APIRouter(tags=["compare"])

#: Result files a comparison does not need (and patient-level data it must not touch).
_NOT_NEEDED = {REPORT_FILE, "proposals.csv"}


def _labels(body: CompareCreate, scenario_names: list[str]) -> list[str]:
    if body.labels is not None:
        if len(body.labels) != len(body.runs) or len(set(body.labels)) != len(body.labels):
            raise invalid(
                "labels must be unique, one per run",
                [Problem("request", None, "labels", "give one unique label per run")],
            )
        return body.labels
    labels: list[str] = []
    for run_id, name in zip(body.runs, scenario_names, strict=True):
        labels.append(name if name not in labels else f"{name} ({run_id[:8]})")
    return labels


def _compare(session, settings: Settings, run_ids: list[str], labels: list[str]):
    from optimizer import ResultView, compare

    staging = settings.data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    views = []
    with tempfile.TemporaryDirectory(prefix="compare-", dir=staging) as tmp:
        for i, (run_id, label) in enumerate(zip(run_ids, labels, strict=True)):
            names = [n for n in crud.result_names(session, run_id=run_id) if n not in _NOT_NEEDED]
            folder = restore_folder(crud.result_files(session, run_id=run_id, names=names), Path(tmp) / str(i))
            view = ResultView.from_folder(folder)
            view.name = label
            views.append(view)
        return compare(views)


async def _comparison(body: CompareCreate, session, settings: Settings):
    names = []
    for run_id in body.runs:
        row = crud.get_run(session, run_id=run_id)
        if row is None:
            raise not_found("run", run_id)
        if row.status != DONE:
            raise ApiError(409, f"run {run_id} is {row.status}: only finished runs can be compared")
        names.append(crud.scenario_names(session, ids={row.scenario_id}).get(row.scenario_id, run_id))
    labels = _labels(body, names)
    return labels, await run_in_threadpool(_compare, session, settings, body.runs, labels)


def _csv(table) -> Response:
    return Response(
        to_csv_text(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="comparison.csv"'},
    )


@router.post(
    "/compare",
    response_model=ComparisonPublic,
    responses={**error_responses(401, 403, 404, 409, 422), **CSV_RESPONSE},
)
async def compare_runs(
    body: CompareCreate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: ReadKey,
    format: FormatQuery = None,
):
    """Metric × region (and total) rows, one column per run: breach-days, over 90 at the end, cost, ..."""
    labels, table = await _comparison(body, session, settings)
    if csv_requested(request, format):
        return _csv(table)
    rows = json.loads(table.to_json(orient="records", double_precision=15))
    return ComparisonPublic(columns=list(table.columns), rows=rows, runs=dict(zip(labels, body.runs, strict=True)))


@router.post(
    "/compare.csv",
    name="compare_runs_csv",
    response_class=CSVResponse,
    responses={**error_responses(401, 403, 404, 409, 422), **CSV_ONLY},
)
async def compare_runs_csv(body: CompareCreate, session: SessionDep, settings: SettingsDep, _: ReadKey) -> Response:
    """The comparison as CSV."""
    _, table = await _comparison(body, session, settings)
    return _csv(table)
