"""Scenarios: create from YAML (body or file) or JSON, list, get, delete.

A scenario's `dataset` names a stored dataset (its name or id). On creation the scenario is validated
(`models.scenario.parse_scenario`), and its changes are checked against that dataset loaded with the
scenario's start week, so a run does not fail later on an unknown hospital or a bad start week; its
weeks must be weeks the dataset describes (`models.plan_weeks`, the check `optimizer.plan` makes too).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import yaml
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api import crud
from api.core.config import Settings
from api.db import DatasetRow
from api.deps import ReadKey, SessionDep, SettingsDep, WriteKey
from api.errors import ApiError, invalid, not_found
from api.schemas import (
    MAX_OFFSET,
    ScenarioFormat,
    ScenarioPublic,
    ScenariosPublic,
    StorableStr,
    error_responses,
    unstorable_problems,
)
from api.stored import stored_dataset
from models.errors import DatasetError, Problem, ScenarioError
from models.plan_weeks import check_plan_weeks
from models.scenario import Scenario, parse_scenario, parse_yaml

router = APIRouter(prefix="/scenarios", tags=["scenarios"])

YAML_TYPES = {"text/yaml", "application/yaml", "application/x-yaml", "text/x-yaml", "text/plain"}
SOURCE = "scenario"

EXAMPLE = {
    "name": "summer-karlstad",
    "dataset": "mellansverige",
    "start_week": "2025-W14",
    "horizon_weeks": 26,
    "changes": [
        {
            "capacity": {
                "hospital_id": "karlstad",
                "specialty": "orthopaedics",
                "weeks": "2025-W26..2025-W32",
                "factor": 0.5,
            }
        }
    ],
    "policy": {"max_travel_km": 250},
}
SCENARIO_BODY = {
    "requestBody": {
        "required": True,
        "description": "A scenario as in `scenarios/*.yaml`: YAML text, a YAML file (form field `file`), or "
        "the same fields as JSON. `dataset` is the name or id of a stored dataset.",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "text/yaml": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "application/json": {"schema": {"type": "object"}, "example": EXAMPLE},
        },
    }
}


def public(row, dataset_name: str) -> ScenarioPublic:
    return ScenarioPublic(
        id=row.id,
        name=row.name,
        description=row.description,
        dataset_id=row.dataset_id,
        dataset_name=dataset_name,
        created_at=row.created_at,
        definition=row.definition,
    )


def get_or_404(session, ref: str):
    row = crud.get_scenario(session, ref=ref)
    if row is None:
        raise not_found("scenario", ref)
    return row


async def _scenario_data(request: Request) -> object:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=2)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise invalid(
                "the form has no file", [Problem(SOURCE, None, "file", "attach the YAML as the field 'file'")]
            )
        text = await upload.read()
    elif content_type in YAML_TYPES:
        text = await request.body()
    elif content_type == "application/json" or content_type.endswith("+json"):
        try:
            return json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise invalid("the body is not valid JSON", [Problem(SOURCE, None, None, "not valid JSON")]) from None
    else:
        raise ApiError(415, "send YAML (application/yaml, text/yaml), a form with 'file', or application/json")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("the scenario is not UTF-8 text", [Problem(SOURCE, None, None, "not UTF-8 text")]) from None
    return parse_yaml(decoded, SOURCE)


def _check_against_dataset(session, dataset: DatasetRow, scenario: Scenario, settings: Settings) -> None:
    """The scenario's changes name what the dataset holds, and its weeks are weeks the dataset describes."""
    from optimizer import check_change_ids

    try:
        loaded = stored_dataset(session, dataset, settings, scenario.start_week)
    except DatasetError as exc:  # the stored data is valid: only the scenario's start week can break it
        at_fault = Problem(SOURCE, None, "start_week", f"the dataset cannot be planned from {scenario.start_week}")
        raise ScenarioError([at_fault, *exc.problems]) from None
    check_change_ids(loaded, scenario)
    check_plan_weeks(loaded, scenario.start_week, scenario.horizon_weeks, source=SOURCE)


@router.post(
    "",
    status_code=201,
    response_model=ScenarioPublic,
    openapi_extra=SCENARIO_BODY,
    responses={
        200: {"model": ScenarioPublic, "description": "With dry_run: the scenario is valid; nothing was stored."},
        **error_responses(401, 403, 409, 413, 415, 422),
    },
    summary="Create a scenario (YAML or JSON)",
)
async def create_scenario(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _: WriteKey,
    dry_run: Annotated[
        bool,
        Query(description="Validate only: check the scenario against its stored dataset, store nothing, answer 200."),
    ] = False,
) -> ScenarioPublic:
    """Validate a scenario and its changes against its stored dataset, then store it (unless `dry_run`)."""
    data = await _scenario_data(request)
    unstorable = unstorable_problems(data, SOURCE)  # a NUL or a lone surrogate, anywhere in it
    if unstorable:
        raise ScenarioError(unstorable)
    scenario = parse_scenario(data, SOURCE)
    dataset = crud.get_dataset(session, ref=scenario.dataset)
    if dataset is None:
        raise invalid(
            "the scenario's dataset is not stored",
            [Problem(SOURCE, None, "dataset", f"no stored dataset {scenario.dataset!r}: upload it first")],
        )
    if crud.get_scenario(session, ref=scenario.name) is not None:
        raise ApiError(409, f"a scenario named {scenario.name!r} already exists")
    await run_in_threadpool(_check_against_dataset, session, dataset, scenario, settings)
    definition = {**scenario.to_yaml_dict(), "dataset": dataset.name}
    if dry_run:  # every check above passed: this is what would be stored
        response.status_code = 200
        return ScenarioPublic(
            id="",
            name=scenario.name,
            description=scenario.description,
            dataset_id=dataset.id,
            dataset_name=dataset.name,
            created_at=dt.datetime.now(dt.UTC),
            definition=definition,
        )
    row = crud.create_scenario(
        session, name=scenario.name, description=scenario.description, dataset_id=dataset.id, definition=definition
    )
    response.headers["Location"] = f"{request.url.path.rstrip('/')}/{row.id}"
    return public(row, dataset.name)


@router.get("", response_model=ScenariosPublic, responses=error_responses(401, 403, 404))
def list_scenarios(
    session: SessionDep,
    _: ReadKey,
    dataset: Annotated[StorableStr | None, Query(description="Only scenarios of this dataset (id or name).")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ScenariosPublic:
    dataset_id = None
    if dataset is not None:
        row = crud.get_dataset(session, ref=dataset)
        if row is None:
            raise not_found("dataset", dataset)
        dataset_id = row.id
    rows, count = crud.list_scenarios(session, dataset_id=dataset_id, offset=offset, limit=limit)
    names = crud.dataset_names(session, ids={r.dataset_id for r in rows})
    return ScenariosPublic(data=[public(r, names.get(r.dataset_id, "")) for r in rows], count=count)


@router.get(
    "/{ref}",
    response_model=ScenarioPublic,
    responses={**error_responses(401, 403, 404), 200: {"content": {"application/yaml": {}}}},
)
def get_scenario(
    ref: StorableStr,
    session: SessionDep,
    _: ReadKey,
    format: Annotated[ScenarioFormat, Query(description="json (default) or yaml")] = ScenarioFormat.json,
):
    """A scenario by id or name; `?format=yaml` gives its YAML text (as `capplan run` reads it)."""
    row = get_or_404(session, ref)
    if format is ScenarioFormat.yaml:
        text = yaml.safe_dump(row.definition, sort_keys=False, allow_unicode=True)
        return Response(text, media_type="application/yaml")
    names = crud.dataset_names(session, ids={row.dataset_id})
    return public(row, names.get(row.dataset_id, ""))


@router.delete("/{ref}", status_code=204, responses=error_responses(401, 403, 404, 409))
def delete_scenario(ref: StorableStr, session: SessionDep, _: WriteKey) -> Response:
    """Delete a scenario with its runs and results (409 while one of its runs is unfinished)."""
    crud.delete_scenario(session, scenario=get_or_404(session, ref))
    return Response(status_code=204)
