"""Routes of the web page: the pages (no data in them), their static files, and two read-only helpers.

Pages: `/` (sign in), `/ui/datasets`, `/ui/scenario`, `/ui/runs`, `/ui/runs/{run_id}`, `/ui/compare`.
The language is `?lang=` (kept in a cookie), else the cookie, else the browser's `Accept-Language`
(`presentation.i18n.negotiate_lang`); Swedish by default.

Helpers under `/ui/data/` need the same `X-API-Key` as the JSON API (`api.deps.ReadKey`):
a dataset's choices for the scenario editor (ids with names), a finished run's view in people's units
(`api.web.views.run_view`), a simulation run's bands (`api.web.simulation`), the winners and losers of a
comparison with each run's fairness settings (`api.web.outcomes`), and the run's tables as an Excel workbook.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from functools import cache
from pathlib import Path
from typing import Annotated

import pandas as pd
import plotly
from fastapi import APIRouter, Cookie, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api import crud
from api.core.config import Settings
from api.db import DONE, DatasetRow, ScenarioRow, decompress
from api.deps import ReadKey, SessionDep, SettingsDep
from api.errors import ApiError, not_found
from api.results import REPORT_FILE, restore_folder
from api.schemas import ComparisonPublic
from api.stored import stored_dataset
from api.web.labels import DatasetNames
from api.web.messages import js_messages
from api.web.outcomes import comparison_outcomes
from api.web.simulation import simulation_view
from api.web.views import run_view
from models.dataset import Dataset
from models.scenario import parse_scenario
from presentation.i18n import SUPPORTED_LANGS, Locale, negotiate_lang, translations
from presentation.simulation_files import BANDS_FILE

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
LANG_COOKIE = "capplan_lang"
#: Result files the page never needs (the report is served by the JSON API; proposals are patient-level).
_NOT_NEEDED = {REPORT_FILE, "proposals.csv", "allocations.csv"}

router = APIRouter(include_in_schema=False)
#: Paths served without a key: the pages and plotly.js hold no data (the static files are a mount).
PUBLIC_PATHS = (
    "/",
    "/ui/datasets",
    "/ui/scenario",
    "/ui/runs",
    "/ui/compare",
    "/ui/runs/{run_id}",
    "/ui/vendor/plotly.min.js",
)


@cache
def _environment(lang: str) -> Environment:
    """One Jinja environment per language, with the catalogue installed for `{{ _("...") }}`."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)
    return env


def page_lang(request: Request, lang: str | None, cookie: str | None) -> str:
    """`?lang=` if supported, else the cookie, else the browser's language."""
    for chosen in (lang, cookie):
        if chosen in SUPPORTED_LANGS:
            return chosen
    return negotiate_lang(request.headers.get("accept-language"))


LangQuery = Annotated[str | None, Query(max_length=8)]
LangCookie = Annotated[str | None, Cookie(alias=LANG_COOKIE, max_length=8)]


def _render(request: Request, template: str, lang: str, chosen: str | None, **context) -> HTMLResponse:
    loc = Locale.for_lang(lang)
    other = "en" if lang == "sv" else "sv"
    html = (
        _environment(lang)
        .get_template(template)
        .render(
            lang=lang,
            other_lang=other,
            path=request.url.path,
            messages=js_messages(loc),
            root=request.scope.get("root_path", "").rstrip("/"),
            **context,
        )
    )
    response = HTMLResponse(html)
    if chosen in SUPPORTED_LANGS:  # the switch was used: remember it
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="strict", httponly=True)
    return response


def _page(template: str, name: str):
    def page(request: Request, lang: LangQuery = None, cookie: LangCookie = None) -> HTMLResponse:
        return _render(request, template, page_lang(request, lang, cookie), lang, page=name)

    page.__name__ = f"web_{name}"
    return page


router.add_api_route("/", _page("signin.html", "signin"), methods=["GET"], response_class=HTMLResponse)
for _name in ("datasets", "scenario", "runs", "compare"):
    router.add_api_route(f"/ui/{_name}", _page(f"{_name}.html", _name), methods=["GET"], response_class=HTMLResponse)


@router.get("/ui/runs/{run_id}", response_class=HTMLResponse)
def result_page(
    run_id: str,
    request: Request,
    lang: LangQuery = None,
    cookie: LangCookie = None,
) -> HTMLResponse:
    """A run's page; the script reads the run id from the address (the page itself holds nothing)."""
    return _render(request, "result.html", page_lang(request, lang, cookie), lang, page="runs")


@router.get("/ui/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    """plotly.js from the installed plotly package: no CDN, so the page works offline."""
    return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})


# --- read-only helpers, behind the API key ------------------------------------------------------------


def _iso_week(day: str) -> str:
    year, week, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def _dataset_or_404(session, ref: str) -> DatasetRow:
    row = crud.get_dataset(session, ref=ref)
    if row is None:
        raise not_found("dataset", ref)
    return row


@router.get("/ui/data/datasets/{ref}/choices")
def dataset_choices(ref: str, session: SessionDep, settings: SettingsDep, _: ReadKey, lang: LangQuery = None) -> dict:
    """Ids and names the scenario editor offers: hospitals, specialties, procedures, regions, weeks."""
    row = _dataset_or_404(session, ref)
    dataset = stored_dataset(session, row, settings, _iso_week(row.plan_start))
    names = DatasetNames.of(dataset, Locale.for_lang(lang if lang in SUPPORTED_LANGS else None))

    def options(mapping: dict[str, str]) -> list[dict[str, str]]:
        return [{"id": k, "name": v} for k, v in sorted(mapping.items(), key=lambda kv: kv[1])]

    weeks = sorted(dataset.capacity["week"].unique())
    return {
        "dataset": row.name,
        "hospitals": options(names.hospitals),
        "specialties": options(names.specialties),
        "procedures": options(names.procedures),
        "regions": options(names.regions),
        "weeks": {"first": weeks[0], "last": weeks[-1]} if weeks else None,
    }


def _done_run(session, run_id: str):
    """A finished run (404 if there is none, 409 while it is not done)."""
    run = crud.get_run(session, run_id=run_id)
    if run is None:
        raise not_found("run", run_id)
    if run.status != DONE:
        raise ApiError(409, f"run {run_id} is {run.status}; results exist once it is done")
    return run


def _scenario_dataset(session, settings: Settings, scenario: ScenarioRow) -> Dataset:
    """The stored dataset of `scenario`, as its plan starts (for names, hospitals and totals)."""
    start_week = scenario.definition["start_week"]
    return stored_dataset(session, _dataset_or_404(session, scenario.dataset_id), settings, start_week)


def _done_run_files(session, run_id: str, settings: Settings) -> tuple[dict[str, pd.DataFrame], ScenarioRow]:
    """The result tables of a finished run (read from its stored files), and its scenario."""
    run = _done_run(session, run_id)
    names = [n for n in crud.result_names(session, run_id=run_id) if n not in _NOT_NEEDED and n.endswith(".csv")]
    staging = settings.data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="web-", dir=staging) as tmp:
        folder = restore_folder(crud.result_files(session, run_id=run_id, names=names), Path(tmp))
        tables = {path.name: pd.read_csv(path, dtype={"week": str}) for path in folder.glob("*.csv")}
    return tables, crud.get_scenario(session, ref=run.scenario_id)  # a run goes with its scenario


def _view(session, settings: Settings, run_id: str, lang: str) -> dict:
    tables, scenario = _done_run_files(session, run_id, settings)
    view = run_view(tables, _scenario_dataset(session, settings, scenario), Locale.for_lang(lang))
    view["scenario"] = {"name": scenario.name, "start_week": scenario.definition["start_week"]}
    return view


def _page_lang(lang: str | None) -> str:
    """The language asked for if the page has it, else Swedish (the default)."""
    return lang if lang in SUPPORTED_LANGS else "sv"


@router.get("/ui/data/runs/{run_id}/view")
async def run_view_data(
    run_id: str, session: SessionDep, settings: SettingsDep, _: ReadKey, lang: LangQuery = None
) -> dict:
    """A finished run in people's units: key figures, waiting over time, production plan, flows."""
    chosen = _page_lang(lang)
    return await run_in_threadpool(_view, session, settings, run_id, chosen)


@router.get("/ui/data/runs/{run_id}/workbook.xlsx")
async def run_workbook(run_id: str, session: SessionDep, settings: SettingsDep, _: ReadKey) -> Response:
    """The run's result tables as one Excel workbook (a sheet per table, the CSV column names)."""
    from presentation.excel import excel_export

    def build() -> bytes:
        tables, _scenario = _done_run_files(session, run_id, settings)
        ordered = {name.removesuffix(".csv"): tables[name] for name in sorted(tables)}
        with tempfile.TemporaryDirectory(prefix="web-", dir=settings.data_dir / "staging") as tmp:
            return excel_export(ordered, Path(tmp) / "plan.xlsx").read_bytes()

    data = await run_in_threadpool(build)
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = f'attachment; filename="{run_id}-plan.xlsx"'
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


def _simulation(session, settings: Settings, run_id: str, lang: str) -> dict:
    run = _done_run(session, run_id)
    content = crud.get_result(session, run_id=run_id, name=BANDS_FILE)
    if content is None:
        raise ApiError(404, f"run {run_id} is not a simulation run: it has no bands")
    bands = pd.read_csv(io.BytesIO(decompress(content)), dtype={"key": str, "week": str})
    dataset = _scenario_dataset(session, settings, crud.get_scenario(session, ref=run.scenario_id))
    loc = Locale.for_lang(lang)
    return simulation_view(bands, DatasetNames.of(dataset, loc), loc)


@router.get("/ui/data/runs/{run_id}/simulation")
async def run_simulation_data(
    run_id: str, session: SessionDep, settings: SettingsDep, _: ReadKey, lang: LangQuery = None
) -> dict:
    """A simulation run's P10/P50/P90 bands of waiting and over 90 days, all regions and each region."""
    chosen = _page_lang(lang)
    return await run_in_threadpool(_simulation, session, settings, run_id, chosen)


def _outcomes(session, settings: Settings, comparison: ComparisonPublic, lang: str) -> dict:
    labels = [c for c in comparison.columns if c in comparison.runs]  # the runs, in the comparison's order
    if len(labels) < 2:
        raise ApiError(422, "a comparison of at least two runs is needed (as POST /api/v1/compare returns it)")
    scenarios = []
    for label in labels:
        run = crud.get_run(session, run_id=comparison.runs[label])
        if run is None:
            raise not_found("run", comparison.runs[label])
        scenarios.append(crud.get_scenario(session, ref=run.scenario_id))
    dataset = _scenario_dataset(session, settings, scenarios[0])  # names from the base run's dataset
    loc = Locale.for_lang(lang)
    compared = [
        {"label": label, "scenario_id": row.id, "scenario": parse_scenario(row.definition, "scenario")}
        for label, row in zip(labels, scenarios, strict=True)
    ]
    table = pd.DataFrame(comparison.rows, columns=comparison.columns)
    return comparison_outcomes(table, compared, DatasetNames.of(dataset, loc), loc)


@router.post("/ui/data/outcomes")
async def outcomes_data(
    comparison: ComparisonPublic, session: SessionDep, settings: SettingsDep, _: ReadKey, lang: LangQuery = None
) -> dict:
    """Winners and losers of each later run against the first, from the comparison `POST /api/v1/compare`
    returned (sent back as it came: nothing is computed twice), and each run's fairness settings with
    the scenario editor's address that sets fairness for a new run."""
    chosen = _page_lang(lang)
    return await run_in_threadpool(_outcomes, session, settings, comparison, chosen)
