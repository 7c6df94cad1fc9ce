"""Request and response schemas of the HTTP API, in families per resource.

`<Resource>Public` is what a GET returns, `<Resources>Public` a paged list (`data`, `count`),
`<Resource>Create` a request body. Database models live apart, in `api/db.py`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model
from pydantic_core import PydanticCustomError

from api.results import RESULT_TABLES, SIMULATION_TABLES, TABLE_COLUMNS
from models.errors import Problem

# --- text that a database can store -------------------------------------------------------------


def unstorable(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None: PostgreSQL refuses NUL characters in text, and
    a lone surrogate (a JSON escape like "\\ud800") is no Unicode character and has no UTF-8 form."""
    if "\x00" in value:
        return "text cannot contain a NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "text cannot contain a lone surrogate (an unpaired \\ud800-\\udfff escape)"
    return None


def _storable(value: str) -> str:
    reason = unstorable(value)
    if reason is not None:
        raise PydanticCustomError("unstorable_text", reason)  # the message never quotes the value
    return value


#: A string parameter or field as the API accepts it: storable text (anything else is 422).
StorableStr = Annotated[str, AfterValidator(_storable)]


def unstorable_problems(data: object, file: str, limit: int = 20) -> list[Problem]:
    """The strings (keys or values) of parsed JSON or YAML `data` that cannot be stored, as problems of
    `file` whose column is the item's dotted path (`changes.0.capacity.hospital_id`); at most `limit`.

    Each list or dict is looked at once, however often it occurs: YAML aliases share one object, and
    a "billion laughs" document is a few lists referring to each other, not a billion strings.
    """
    problems: list[Problem] = []
    seen: set[int] = set()
    pending: list[tuple[tuple[object, ...], object]] = [((), data)]  # a stack, not recursion: any depth
    while pending and len(problems) < limit:
        path, item = pending.pop()
        where = ".".join(map(str, path)) or None
        if isinstance(item, str):
            reason = unstorable(item)
            if reason is not None:
                problems.append(Problem(file, None, where, reason))
            continue
        if not isinstance(item, dict | list | tuple) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            children = []
            for key, value in item.items():
                reason = unstorable(key) if isinstance(key, str) else None
                if reason is not None:
                    problems.append(Problem(file, None, where, f"a key: {reason}"))
                else:
                    children.append(((*path, key), value))
            pending.extend(reversed(children))
        else:
            pending.extend(reversed([((*path, i), value) for i, value in enumerate(item)]))
    return problems[:limit]


#: A dataset or scenario id (32 hex) or its unique name.
Ref = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\- ]+$")


#: Largest `offset` of a paged list: databases store 64-bit integers at most (SQLite overflows beyond).
MAX_OFFSET = 1_000_000_000

RunStatus = Literal[
    "queued", "loading", "baseline", "building", "solving", "reporting", "simulating", "done", "failed", "cancelled"
]


class Format(StrEnum):
    json = "json"
    csv = "csv"


class ScenarioFormat(StrEnum):
    json = "json"
    yaml = "yaml"


# --- errors -------------------------------------------------------------------------------------


class ProblemPublic(BaseModel):
    """One problem in an input: file, row (the line in the CSV file, header = 1), column, message."""

    file: str
    row: int | None = None
    column: str | None = None
    message: str


class ErrorPublic(BaseModel):
    """Every error body: a message, and the problems or conflicts behind it (possibly empty)."""

    detail: str
    problems: list[ProblemPublic] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list)


# --- datasets -----------------------------------------------------------------------------------


class DatasetBase(BaseModel):
    name: str = Field(description="Unique name; scenarios refer to the dataset by it (or by id).")


class DatasetPublic(DatasetBase):
    """A stored dataset: its plan start, rows per file and a summary (no patient-level data)."""

    id: str
    created_at: dt.datetime
    plan_start: str = Field(description="Monday of the plan's first week (YYYY-MM-DD) used for validation.")
    size_bytes: int = Field(description="Total size of its CSV files, uncompressed.")
    rows: dict[str, int] = Field(description="Data rows per contract file.")
    summary: dict[str, Any] = Field(description="Totals and waiting per region, as `capplan info` shows.")


class DatasetsPublic(BaseModel):
    data: list[DatasetPublic]
    count: int


# --- scenarios ----------------------------------------------------------------------------------


class ScenarioBase(BaseModel):
    name: str
    description: str = ""


class ScenarioPublic(ScenarioBase):
    """A stored scenario: its definition in the YAML form of `models.scenario.Scenario`."""

    id: str
    dataset_id: str
    dataset_name: str
    created_at: dt.datetime
    definition: dict[str, Any]


class ScenariosPublic(BaseModel):
    data: list[ScenarioPublic]
    count: int


# --- runs ---------------------------------------------------------------------------------------


class SimulationRequest(BaseModel):
    """A simulation run: plan the scenario, then replay it under `draws` random draws (its `simulation:`
    section), as `capplan simulate` does; the bands are the run's `simulation-bands` table."""

    model_config = ConfigDict(extra="forbid")

    draws: int = Field(default=100, ge=1, le=10_000, description="Number of random draws.")
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="The same seed gives the same bands.")
    replan: Literal["weekly"] | None = Field(default=None, description="weekly: re-plan every simulated week.")


class SimulationState(SimulationRequest):
    """A simulation run's request and how many of its draws are done."""

    model_config = ConfigDict(extra="ignore")

    done: int = Field(default=0, ge=0, description="Draws finished so far.")


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: StorableStr = Field(min_length=1, max_length=100, description="Scenario id or name.")
    previous_run_id: StorableStr | None = Field(
        None,
        max_length=32,
        description="Re-plan from this finished run (last week's plan): its proposals in the first "
        "policy.frozen_weeks weeks are booked, the rest kept stable by weights.change; the results "
        "gain the table `changes`.",
    )
    simulation: SimulationRequest | None = Field(default=None, description="Make it a simulation run.")


class StageTiming(BaseModel):
    stage: str
    started_at: dt.datetime
    seconds: float = Field(description="Time spent in the stage so far (until the next stage or the end).")


class RunError(BaseModel):
    """Why a run failed: `type` is invalid, infeasible, solver, interrupted, cancelled or internal."""

    type: str
    message: str
    problems: list[ProblemPublic] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list)


class RunPublic(BaseModel):
    """A run's state. `status` is one of queued, loading, baseline, building, solving, reporting,
    done, failed, cancelled."""

    id: str
    scenario_id: str
    scenario_name: str
    previous_run_id: str | None = Field(None, description="The run this one re-plans from, if any.")
    status: RunStatus
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    queued_seconds: float | None = None
    elapsed_seconds: float | None = Field(None, description="From start to finish (or to now while running).")
    stages: list[StageTiming] = Field(default_factory=list)
    error: RunError | None = None
    results: list[str] = Field(
        default_factory=list, description="Result endpoints available (GET /runs/{id} of a done run; empty in lists)."
    )
    simulation: SimulationState | None = Field(default=None, description="A simulation run's draws and progress.")


class RunsPublic(BaseModel):
    data: list[RunPublic]
    count: int


#: A value of a result table's cell in JSON (null for an empty CSV field).
Cell = str | float | int | bool | None


class TablePublic(BaseModel):
    """One page of a result table: `rows` are records; `total` rows in all; next page at `next_offset`."""

    run_id: str
    table: str
    columns: list[str]
    rows: list[dict[str, Cell]]
    total: int
    offset: int
    limit: int
    next_offset: int | None = None


_CELL_TYPES: dict[str, Any] = {
    "text": str | None,
    "number": float | None,
    "integer": int | None,
    "boolean": bool | None,
}


def _camel(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("-"))


def _row_model(table: str, columns: dict[str, str]) -> type[BaseModel]:
    fields = {
        column.replace("class", "class_") if column == "class" else column: (
            _CELL_TYPES[kind],
            Field(None, alias=column) if column == "class" else None,
        )
        for column, kind in columns.items()
    }
    return create_model(
        f"{_camel(table)}Row",
        __config__=ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True),
        __doc__=f"A row of the {table} table (columns of {({**RESULT_TABLES, **SIMULATION_TABLES})[table]}; null where "
        "the CSV field is empty).",
        **fields,
    )


#: Result table (URL name) → the pydantic model of one of its rows.
ROW_MODELS: dict[str, type[BaseModel]] = {table: _row_model(table, cols) for table, cols in TABLE_COLUMNS.items()}
#: Result table (URL name) → the model of one JSON page of it: `TablePublic` with typed `rows`.
PAGE_MODELS: dict[str, type[TablePublic]] = {
    table: create_model(
        f"{_camel(table)}Page",
        __base__=TablePublic,
        __doc__=f"One page of the {table} table: `rows` are records; `total` rows in all; next page at `next_offset`.",
        rows=(list[row], ...),
    )
    for table, row in ROW_MODELS.items()
}


class ObjectivePart(BaseModel):
    model_config = ConfigDict(extra="allow")

    objective: float
    objective_terms: dict[str, float]


class AgreementShortfall(BaseModel):
    """An agreement minimum the whole-patient plan misses (agreements numbered from 1)."""

    model_config = ConfigDict(extra="allow")

    agreement: int
    min_cases: float
    planned: float
    short: float


class Headline(BaseModel):
    """The figures shown to people: the whole-patient plan's, with the LP bound and the gap beside them."""

    model_config = ConfigDict(extra="allow")

    plan: str
    objective: float
    lp_bound: float
    gap: float
    gap_relative: float | None = None
    treated: float
    agreement_shortfalls: list[AgreementShortfall] = Field(default_factory=list)


class RunSummary(BaseModel):
    """A finished run's summary.json: objective and its terms, the integer plan, timings, model size."""

    model_config = ConfigDict(extra="allow")

    scenario: str
    status: str
    objective: float
    objective_terms: dict[str, float]
    integer_plan: ObjectivePart | None = None
    headline: Headline | None = None
    build_seconds: float | None = None
    solve_seconds: float | None = None
    seconds: dict[str, float] = Field(default_factory=dict)
    size: dict[str, int] = Field(default_factory=dict)
    iterations: int | None = None
    strategy: str | None = None
    warm_started: bool | None = None
    column_generation: dict[str, Any] | None = Field(
        None, description="Rounds and columns added, with column generation."
    )
    start_week: str | None = None
    horizon_weeks: int | None = None


# --- compare and evaluate -----------------------------------------------------------------------


class CompareCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runs: list[StorableStr] = Field(min_length=1, max_length=20, description="Ids of finished runs.")
    labels: list[StorableStr] | None = Field(
        None, description="Column names, one per run; default the scenario names (made unique)."
    )


class ComparisonPublic(BaseModel):
    """The side-by-side table of `optimizer.compare`: metric, region_id, one column per run."""

    columns: list[str]
    rows: list[dict[str, Cell]]
    runs: dict[str, str] = Field(description="Column name → run id.")


class FlowRecord(BaseModel):
    """One row of a proposal, in the allocations.csv format."""

    model_config = ConfigDict(extra="forbid")

    region_id: StorableStr = Field(max_length=64)
    listed_hospital_id: StorableStr | None = Field(
        default=None,
        max_length=64,
        description="The patients' listed hospital; may be left out where the region, procedure and class have one",
    )
    procedure_id: StorableStr = Field(max_length=64)
    class_: StorableStr = Field(alias="class", max_length=16, description="local or mobile")
    priority: StorableStr | None = Field(default=None, max_length=64, description="Summed away: flows are per group")
    hospital_id: StorableStr = Field(max_length=64)
    week: StorableStr = Field(max_length=10)
    patients: float = Field(allow_inf_nan=False)


class EvaluateCreate(BaseModel):
    """A manual proposal: flows for a stored scenario."""

    model_config = ConfigDict(extra="forbid")

    scenario: StorableStr = Field(min_length=1, max_length=100, description="Scenario id or name.")
    allocations: list[FlowRecord] = Field(max_length=1_000_000)
    optimum_run: StorableStr | None = Field(
        None,
        max_length=32,
        description="A finished run of the same scenario whose objective is the optimum (fast); "
        "without it the scenario is planned again to measure the gap.",
    )


class ViolationPublic(BaseModel):
    """A constraint the proposal breaks: its family (theatre_days, bed_days, queue, ...), which one, by how much."""

    family: str
    key: str
    amount: float
    message: str


class EvaluationPublic(BaseModel):
    """A proposal's KPIs, every violated constraint, and its gap to the optimum of the same scenario."""

    scenario: str
    feasible: bool
    objective: float
    objective_terms: dict[str, float]
    optimum_objective: float
    gap_to_optimum: float | None = Field(
        description="Objective of the proposal minus the optimum's; null for an infeasible proposal (see repair)."
    )
    gap_relative: float | None = None
    total_violation: float = Field(0.0, description="Sum of the violations' amounts (0 when feasible).")
    violations: list[ViolationPublic]
    warnings: list[str] = Field(default_factory=list, description="Duplicate rows, fractional patients.")
    repair: dict[str, Any] | None = Field(
        None, description="An infeasible proposal's capacity-trimmed repair: objective, gap, violations."
    )
    fixed: dict[str, Any] | None = Field(
        None, description="With fix=true: the plan keeping the proposal's flows, the rest optimised; its gap."
    )
    kpis: list[dict[str, Cell]] = Field(
        description="Per region × week: waiting, over 90/180/365, share over 90, treated."
    )


# --- service ------------------------------------------------------------------------------------


class HealthPublic(BaseModel):
    status: str
    database: str


class VersionPublic(BaseModel):
    name: str = "capplan"
    version: str
    api_version: str = "v1"


_ERROR_MEANINGS = {
    401: "No API key in X-API-Key.",
    403: "Wrong API key, or a read-only key on a writing endpoint.",
    404: "Not found.",
    409: "Conflicts with the current state (name taken, run not finished, ...).",
    413: "Request body (or an archive's content) over the size limit.",
    415: "Unsupported content type.",
    422: "Invalid input: `problems` name file, row, column and message.",
    503: "Busy or not ready; try again.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error codes, all with the `ErrorPublic` body."""
    return {code: {"model": ErrorPublic, "description": _ERROR_MEANINGS[code]} for code in codes}
