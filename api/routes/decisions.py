"""Decisions in breach-days and SEK for a stored scenario: breach-day shadow prices and ranked purchase
options (`optimizer.rank_purchases`), and the target question (`optimizer.fewest_extra_days`).

Like an evaluation, the planning happens in the request (a purchase option is one warm-started variant;
the target question one LP and one re-plan: minutes on the default scenario), at most
`max_concurrent_runs` at once (shared with evaluations); others wait, then 503.
"""

from __future__ import annotations

import json

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api import crud
from api.core.config import Settings
from api.deps import ReadKey, SessionDep, SettingsDep
from api.errors import ApiError, not_found
from api.routes.evaluate import EVALUATION_WAIT_SECONDS, _slots
from api.schemas import Cell, StorableStr, error_responses
from api.stored import stored_dataset
from models.scenario import parse_scenario

router = APIRouter(prefix="/decisions", tags=["decisions"])


class OptionRecord(BaseModel):
    """A purchase option: theatre days a week at a hospital and specialty, at a price per day."""

    model_config = ConfigDict(extra="forbid")

    hospital_id: StorableStr = Field(max_length=64)
    specialty: StorableStr = Field(max_length=64)
    days_per_week: float = Field(gt=0, le=1e4)
    price_per_day_sek: float = Field(ge=0, le=1e9)
    weeks: StorableStr | None = Field(None, max_length=20, description="`2025-W20..2025-W30`; default all weeks")


class PurchasesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: StorableStr = Field(min_length=1, max_length=100, description="Scenario id or name.")
    options: list[OptionRecord] | None = Field(
        None, max_length=200, description="Default: the scenario's extra_capacity offers."
    )


class TargetCreate(PurchasesCreate):
    share: float = Field(ge=0, le=1, description="Highest share waiting over 90 days, e.g. 0.2.")
    by: StorableStr = Field(max_length=10, description="ISO week by whose end the share must be met.")


class TablePublic(BaseModel):
    columns: list[str]
    rows: list[dict[str, Cell]]


class PurchasesPublic(BaseModel):
    """Breach-days avoided per extra day (per hospital × specialty, bed-days per hospital) and, if there are
    options, the options ranked by SEK per breach-day avoided."""

    breach_day_prices: TablePublic
    purchase_options: TablePublic | None


class TargetPublic(BaseModel):
    """The answer to the target question; `reachable` false is the proof that no purchase can."""

    level: float
    week: str
    reachable: bool
    message: str
    lp_days: float | None
    days: float | None
    cost_sek: float | None
    achieved_share: float | None
    lp_share: float | None
    target_met: bool
    seconds: float
    purchases: TablePublic


def _table(frame: pd.DataFrame) -> TablePublic:
    return TablePublic(
        columns=list(frame.columns), rows=json.loads(frame.to_json(orient="records", double_precision=15))
    )


def _options(records: list[OptionRecord] | None):
    from optimizer import PurchaseOption

    if records is None:
        return None
    return [PurchaseOption(r.hospital_id, r.specialty, r.days_per_week, r.price_per_day_sek, r.weeks) for r in records]


def _run(session, settings: Settings, request: Request, ref: str, work):
    from models.errors import CapplanError
    from optimizer import SolveError

    row = crud.get_scenario(session, ref=ref)
    if row is None:
        raise not_found("scenario", ref)
    scenario = parse_scenario(row.definition, "scenario")
    slots = _slots(request, settings)
    if not slots.acquire(timeout=EVALUATION_WAIT_SECONDS):
        raise ApiError(503, "too many plans at once; try again shortly")
    try:
        dataset = stored_dataset(session, crud.get_dataset(session, ref=row.dataset_id), settings, scenario.start_week)
        return work(scenario, dataset)
    except SolveError as exc:
        raise ApiError(422, f"the scenario could not be planned: {exc}") from None
    except CapplanError:
        raise
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    finally:
        slots.release()


@router.post(
    "/purchases",
    name="rank_purchases",
    response_model=PurchasesPublic,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def purchases(body: PurchasesCreate, request: Request, session: SessionDep, settings: SettingsDep, _: ReadKey):
    """Breach-day shadow prices and purchase options ranked by SEK per breach-day avoided."""
    from optimizer import breach_day_prices, rank_purchases, scenario_options

    def work(scenario, dataset):
        options = _options(body.options)
        prices = breach_day_prices(scenario, dataset=dataset)
        ranked = rank_purchases(scenario, options, dataset=dataset) if options or scenario_options(scenario) else None
        return PurchasesPublic(
            breach_day_prices=_table(prices), purchase_options=None if ranked is None else _table(ranked)
        )

    return await run_in_threadpool(_run, session, settings, request, body.scenario, work)


@router.post(
    "/target", name="target_question", response_model=TargetPublic, responses=error_responses(401, 403, 404, 422, 503)
)
async def target(body: TargetCreate, request: Request, session: SessionDep, settings: SettingsDep, _: ReadKey):
    """The fewest extra theatre days that bring the share over 90 days to `share` by the end of week `by`."""
    from optimizer import fewest_extra_days

    def work(scenario, dataset):
        answer = fewest_extra_days(scenario, body.share, body.by, _options(body.options), dataset=dataset)
        table = answer.purchases if answer.reachable else answer.candidates
        return TargetPublic(**answer.summary(), purchases=_table(table))

    return await run_in_threadpool(_run, session, settings, request, body.scenario, work)
