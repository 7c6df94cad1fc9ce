"""The `capplan` command line: plan scenarios, validate and summarise datasets, and more.

Exit codes: 0 ok; 1 invalid input, an infeasible scenario or a proposal that breaks a constraint,
with the explanation; 2 usage error.
"""

from __future__ import annotations

import gc
import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from capplan.render import console, print_error, print_frame, print_people
from models import generate as generator
from models import load_dataset, summary
from models.errors import CapplanError
from models.numbers import write_csv
from models.provenance import DatasetMetadata, write_metadata
from models.scenario import SCENARIOS_DIR
from optimizer import (
    ResultView,
    breach_day_prices,
    evaluate_proposal,
    fewest_extra_days,
    plan,
    plan_columns,
    plan_standalone,
    plan_sweep,
    plan_variants,
    rank_purchases,
    read_allocations,
    read_options,
    resolve_scenario,
    scenario_options,
    simulate,
)
from optimizer import changes as plan_changes
from optimizer import compare as compare_plans
from optimizer import replan as replan_scenario
from presentation.display import for_people, name_maps, whole_numbers
from presentation.i18n import Locale
from presentation.labels import column_label
from presentation.production_plan import procedure_before_after
from presentation.provenance import is_synthetic
from presentation.result_files import write_results

app = typer.Typer(
    help="capplan: allocate surgical capacity across Mellansverige with a linear programme.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

DEFAULT_DATASET = SCENARIOS_DIR / "mellansverige"


def entry_point() -> None:
    """The `capplan` console script: run the app, then freeze the GC's objects before the interpreter exits.

    At exit CPython runs its cyclic garbage collector over every object the imports made (pandas,
    numpy, scipy, ...) while it clears the modules: ~0.2 s of a ~4.5 s `capplan run`, measured.
    `gc.freeze()` moves those objects out of the collector's reach. Exit codes, atexit handlers
    (logging's flush among them) and stream flushing are unchanged; what is skipped is the
    finalizers of objects kept alive only by reference cycles, and nothing in capplan relies on
    those (files are closed where they are written). Only for the console script: called inside a
    process that goes on, it would leave the whole heap frozen.
    """
    try:
        app()
    finally:
        gc.freeze()


def _fail(error: CapplanError) -> None:
    print_error(error)
    raise typer.Exit(code=1)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False) -> None:
    """capplan: surgical capacity allocation for Sjukvårdsregion Mellansverige."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


class Strategy(StrEnum):
    """The solve strategies of `models.scenario.SolveSettings`."""

    auto = "auto"
    full_lp = "full_lp"
    column_generation = "column_generation"


StrategyOption = Annotated[
    Strategy | None,
    typer.Option(
        "--strategy",
        help="How to solve: auto (by model size), full_lp (Pyomo, one solve) or column_generation "
        "(home-region flows first, others priced in; the same optimum). Overrides the scenario's solve.strategy.",
    ),
]


LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of the tables, report and workbook: sv (Swedish) or en (English); default CAPPLAN_LANG, "
        "else sv.",
    ),
]


def _locale(lang: str | None) -> Locale:
    """The locale of `--lang` (else CAPPLAN_LANG, else Swedish); an unknown language is a usage error."""
    try:
        return Locale.for_lang(lang)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=2) from error


def _synthetic(source: Path | None) -> bool:
    """Whether the dataset of a scenario file (or of a result folder's scenario.yaml) is synthetic."""
    path = source / "scenario.yaml" if source is not None and source.is_dir() else source
    if path is not None and not path.is_file():
        return False
    try:
        scenario, base_dir = resolve_scenario(path)
        return is_synthetic(scenario.dataset_path(base_dir))
    except (CapplanError, OSError, ValueError):
        return False  # unreadable: the planning step reports it; the banner is not the place


def _banner(synthetic: bool, loc: Locale) -> None:
    if synthetic:
        message = loc._("Synthetic data: these figures are estimates, not official statistics.")
        console.print(f"[bold yellow]{message}[/bold yellow]")


def _with_strategy(source: Path | None, strategy: Strategy | None):
    """The scenario to plan: the path itself, or the scenario with its solve strategy overridden."""
    if strategy is None:
        return source
    scenario, base_dir = resolve_scenario(source)
    return scenario.updated(dataset=str(scenario.dataset_path(base_dir)), solve={"strategy": strategy.value})


@app.command()
def run(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario YAML; default scenarios/default.yaml.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for result files; default results/<name>.")
    ] = None,
    strategy: StrategyOption = None,
    lang: LangOption = None,
) -> None:
    """Plan a scenario: build the LP, solve it with HiGHS and write the result files."""
    loc = _locale(lang)
    try:
        with console.status("loading") as status:
            result = plan(_with_strategy(scenario, strategy), progress=lambda stage: status.update(f"{stage} ..."))
    except CapplanError as error:
        _fail(error)
    folder = write_results(result, out or Path("results") / result.scenario.name)
    _banner(_synthetic(scenario), loc)
    _print_plan(result, loc)
    written = loc._("Result files written to {folder}").format(folder=f"[bold]{folder}[/bold]")
    console.print(written)


@app.command()
def replan(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario YAML; default scenarios/default.yaml.")] = None,
    previous: Annotated[
        Path,
        typer.Option("--previous", "-p", help="Results folder of last week's plan (capplan run or replan)."),
    ] = ...,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for result files; default results/<name>.")
    ] = None,
    strategy: StrategyOption = None,
    lang: LangOption = None,
) -> None:
    """Re-plan from last week's plan: its first weeks booked, the rest kept stable, and what changed."""
    loc = _locale(lang)
    try:
        with console.status("loading") as status:
            result = replan_scenario(
                _with_strategy(scenario, strategy), previous, progress=lambda stage: status.update(f"{stage} ...")
            )
    except CapplanError as error:
        _fail(error)
    folder = write_results(result, out or Path("results") / result.scenario.name)
    _banner(_synthetic(scenario), loc)
    _print_plan(result, loc)
    counts = result.extra_summary["changes"]
    message = loc._(
        "Changes since last week: {changed} of {previous} previous proposals ({share}): {hospital} moved hospital, "
        "{week} moved week, {dropped} no longer proposed | {new} newly proposed | {frozen} frozen proposals booked "
        "({rows} rows in changes.csv)"
    )
    console.print(
        message.format(
            changed=loc.number(counts["changed"]),
            previous=loc.number(counts["previous_proposals"]),
            share=loc.percent(counts["changed_share"]),
            hospital=loc.number(counts["moved hospital"]),
            week=loc.number(counts["moved week"]),
            dropped=loc.number(counts["no longer proposed"]),
            new=loc.number(counts["newly proposed"]),
            frozen=loc.number(counts["frozen_bookings"]),
            rows=loc.number(len(plan_changes(result))),
        )
    )
    written = loc._("Result files written to {folder}").format(folder=f"[bold]{folder}[/bold]")
    console.print(written)


def _print_plan(result, loc: Locale) -> None:
    """The whole-patient plan's figures (what is handed out) in people's units, with the LP bound and
    the gap beside them."""
    terms = result.integer.terms
    kpis = result.integer.region_kpis
    end = kpis[kpis["t"] == result.instance.horizon].reset_index(drop=True)
    start = kpis[kpis["t"] == 1].set_index("region_id")["share_over_90"]
    regions = end[["region_id", "waiting", "over_90", "over_365", "share_over_90"]].rename(
        columns={"waiting": "waiting_end", "over_90": "over_90_end", "over_365": "over_365_end"}
    )
    regions = regions.rename(columns={"share_over_90": "share_over_90_end"})
    regions.insert(1, "share_over_90", end["region_id"].map(start).to_numpy())
    share_first = loc._("Share over 90 days, first week")
    table = whole_numbers(for_people(regions, loc, name_maps(result, loc)))
    table = table.rename(columns={loc._("Share over 90 days"): share_first})
    share_end = loc._("Share over 90 days at end")
    table[share_first] = regions["share_over_90"].to_numpy()
    table[share_end] = regions["share_over_90_end"].to_numpy()
    title = loc._("Scenario {name}, whole-patient plan: regions at the end of {week}").format(
        name=result.scenario.name, week=loc.week(result.instance.weeks[-1])
    )
    print_people(table, title, loc, percent=(share_first, share_end))
    print_people(procedure_before_after(result, loc), loc._("Per procedure group (whole-patient plan)"), loc)
    headline = result.headline()
    s = result.seconds
    line = loc._("whole-patient plan: objective {objective}, LP bound {bound}, gap {gap} ({relative})")
    console.print(
        line.format(
            objective=loc.number(headline["objective"]),
            bound=loc.number(headline["lp_bound"]),
            gap=loc.number(headline["gap"]),
            relative=loc.percent(headline["gap_relative"] or 0.0),
        )
    )
    shortfall = loc._("agreement {agreement}: {planned} of its minimum {minimum} cases planned ({short} short)")
    for short in headline["agreement_shortfalls"]:
        text = shortfall.format(
            agreement=short["agreement"],
            planned=loc.patients(short["planned"]),
            minimum=loc.patients(short["min_cases"]),
            short=loc.number(short["short"], 1),
        )
        console.print(f"[yellow]{text}[/yellow]")
    figures = loc._(
        "treated {treated} | days waited beyond 90 days {days_90}, beyond 365 days {days_365} | paid under the price "
        "list {paid} (internal between the regions) | extra theatre days bought {extra} | patient-km {km}"
    )
    console.print(
        figures.format(
            treated=loc.patients(terms["treated"]),
            days_90=loc.number(terms["breach_days_90"]),
            days_365=loc.number(terms["breach_days_365"]),
            paid=loc.sek(terms["treatment_cost_sek"]),
            extra=loc.sek(terms["extra_capacity_sek"]),
            km=loc.number(terms["patient_km"]),
        )
    )
    model = loc._(
        "model {variables} variables, {constraints} constraints | load {load} s, prepare {prepare} s, build "
        "{build} s, solve {solve} s (HiGHS {highs} s), read {read} s, results {results} s"
    )
    console.print(
        model.format(
            variables=loc.number(result.size["variables"]),
            constraints=loc.number(result.size["constraints"]),
            **{
                key: loc.number(s.get(name, 0.0), 2)
                for key, name in (
                    ("load", "load"),
                    ("prepare", "prepare"),
                    ("build", "build"),
                    ("solve", "solve"),
                    ("highs", "highs"),
                    ("read", "read_solution"),
                    ("results", "results"),
                )
            },
        )
    )


@app.command()
def validate(path: Annotated[Path, typer.Argument(help="Dataset folder to check.")] = DEFAULT_DATASET) -> None:
    """Check a dataset folder against the CSV contract; print every problem as file:row:column: message."""
    try:
        dataset = load_dataset(path)
    except CapplanError as error:
        _fail(error)
    console.print(f"[green]ok[/green]: {path} is a valid dataset ({len(dataset.waiting_list):,} waiting-list rows)")


@app.command()
def info(
    path: Annotated[Path, typer.Argument(help="Dataset folder.")] = DEFAULT_DATASET, lang: LangOption = None
) -> None:
    """Summarise a dataset: waiting per region, over-90 per procedure, capacity per hospital."""
    loc = _locale(lang)
    try:
        dataset = load_dataset(path)
    except CapplanError as error:
        _fail(error)
    _banner(is_synthetic(path), loc)
    t = summary.totals(dataset)
    line = loc._(
        "{name}, plan start {start}: {listed} listed, {mov_pvv} MoV/PvV, {over_90} waiting over 90 days ({share} "
        "of {waiting} excl. MoV/PvV)"
    )
    values = {key: loc.number(t[key]) for key in ("listed", "mov_pvv", "over_90", "waiting")}
    start = loc.date(dataset.plan_start, "long")
    console.print(
        line.format(name=f"[bold]{dataset.name}[/bold]", start=start, share=loc.percent(t["share_over_90"]), **values)
    )
    maps = name_maps(dataset, loc)
    regions = for_people(summary.region_summary(dataset), loc, maps)
    print_people(regions, loc._("Regions"), loc, percent=(column_label("share_over_90", loc),))
    procedures = for_people(summary.procedure_summary(dataset).drop(columns=["name", "name_sv"]), loc, maps)
    print_people(procedures, loc._("Procedures (over 90 days incl. MoV/PvV)"), loc)
    print_people(for_people(summary.capacity_summary(dataset), loc, maps), loc._("Hospitals (per week)"), loc)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write.")] = DEFAULT_DATASET,
    seed: Annotated[int | None, typer.Option(help="Random seed; default the documented one.")] = None,
) -> None:
    """Regenerate the synthetic Mellansverige dataset (seeded, reproducible)."""
    seed = generator.DEFAULT_SEED if seed is None else seed
    generator.write_dataset(generator.generate(seed), out)
    write_metadata(out, DatasetMetadata(synthetic=True, generator="models/generate.py", seed=seed))  # the banner
    console.print(f"dataset written to {out}")


def _views_for(sources: list[Path], status, strategy: Strategy | None = None) -> list:
    """A ResultView per source: a result folder is read, scenario YAMLs are planned in order with
    `plan_variants`, so a scenario that differs from the one before only in numbers is re-solved
    from its model and basis (warm) instead of from scratch."""
    scenarios = [source for source in sources if not source.is_dir()]
    current = {"name": ""}

    def progress(stage: str) -> None:
        status.update(f"{current['name']}: {stage} ...")

    planned = plan_variants([_with_strategy(source, strategy) for source in scenarios], progress=progress)
    views = []
    for source in sources:
        if source.is_dir():
            views.append(ResultView.from_folder(source))
            continue
        current["name"] = source.name
        result = next(planned)
        views.append(ResultView.from_plan(result))
    return views


def _views_on_ray(sources: list[Path], status, strategy: Strategy | None, address: str | None) -> list:
    """As `_views_for`, with the scenarios planned as Ray tasks (`optimizer.plan_sweep`)."""
    scenarios = [_with_strategy(source, strategy) for source in sources if not source.is_dir()]
    report = lambda done, total: status.update(f"planned {done} of {total} scenarios on Ray ...")  # noqa: E731
    planned = iter(plan_sweep(scenarios, engine="ray", address=address, progress=report))
    return [ResultView.from_folder(source) if source.is_dir() else next(planned) for source in sources]


def _scenario_of(source: Path):
    """The scenario of a scenario file or of a result folder (its scenario.yaml), None if unreadable:
    the comparison names each plan's fairness settings with it."""
    path = source / "scenario.yaml" if source.is_dir() else source
    try:
        return resolve_scenario(path)[0] if path.is_file() else None
    except CapplanError:
        return None


@app.command()
def compare(
    sources: Annotated[
        list[Path],
        typer.Argument(help="Scenario YAML files and/or result folders of `capplan run` or `capplan evaluate --out`."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for comparison.csv, .xlsx and .html.")] = Path(
        "results/comparison"
    ),
    strategy: StrategyOption = None,
    lang: LangOption = None,
    ray: Annotated[
        bool, typer.Option("--ray", help="Plan the scenarios as parallel Ray tasks (cold) instead of warm in turn.")
    ] = False,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="With --ray: an existing Ray cluster (else this machine).")
    ] = None,
) -> None:
    """Compare plans side by side: breach-days, patients over 90/180/365, cost, payments, km, utilisation."""
    loc = _locale(lang)
    if len(sources) < 2:
        console.print("[red]" + loc._("compare needs at least two scenarios or result folders") + "[/red]")
        raise typer.Exit(code=2)
    try:
        with console.status("comparing") as status:
            if ray or ray_address:
                views = _views_on_ray(sources, status, strategy, ray_address)
            else:
                views = _views_for(sources, status, strategy)
    except CapplanError as error:
        _fail(error)
    table = compare_plans(views)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(table, out / "comparison.csv")  # plain decimals at full precision
    synthetic = any(_synthetic(source) for source in sources)
    _banner(synthetic, loc)
    from presentation.comparison_report import comparison_table, comparison_text

    plans = table[["metric", "region_id", *plan_columns(table)]]  # the report makes its own differences
    totals = plans[plans["region_id"] == "total"].reset_index(drop=True)
    shown = comparison_text(totals, comparison_table(totals, {}, loc), loc).drop(columns=loc._("Region"))
    title = loc._("Comparison (totals; per region in comparison.csv)")
    print_people(shown, title, loc, right=tuple(shown.columns[1:]))
    first = plan_columns(table)[0]
    weights = loc._("Weighted breach-days of every plan use the weights of {plan}.").format(plan=first)
    console.print(weights)
    scenarios = [_scenario_of(source) for source in sources]
    _write_comparison_reports(plans, views, out, loc, scenarios, synthetic)
    console.print(loc._("Comparison written to {out}").format(out=f"[bold]{out}[/bold]"))


def _write_comparison_reports(table, views, out: Path, loc: Locale, scenarios: list, synthetic: bool) -> None:
    # imported here: plotly and openpyxl cost ~0.5 s, which `capplan run` does not need to pay
    from presentation.excel import comparison_workbook_tables, excel_export
    from presentation.html_report import comparison_report_html

    excel_export(comparison_workbook_tables(table, lang=loc.lang, synthetic=synthetic), out / "comparison.xlsx")
    comparison_report_html(
        table, views, out / "comparison.html", lang=loc.lang, scenarios=scenarios, synthetic=synthetic
    )


@app.command()
def report(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario YAML; default scenarios/default.yaml.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder; default results/<name>.")] = None,
    baseline: Annotated[bool, typer.Option(help="Also plan the standalone baseline (value of collaboration).")] = True,
    strategy: StrategyOption = None,
    lang: LangOption = None,
) -> None:
    """Plan a scenario and write its HTML report and Excel workbook beside the result files."""
    loc = _locale(lang)
    # imported here: plotly and openpyxl cost ~0.5 s, which `capplan run` does not need to pay
    from presentation.excel import excel_export, workbook_tables
    from presentation.html_report import plan_report_html

    try:
        with console.status("loading") as status:
            result = plan(_with_strategy(scenario, strategy), progress=lambda stage: status.update(f"{stage} ..."))
            standalone = result.standalone
            if baseline and standalone is None:
                status.update("baseline (each region alone) ...")
                standalone = plan_standalone(result.scenario, dataset=result.instance.dataset)
                result.standalone = standalone
            status.update("value of one more theatre day, in breach-days ...")
            base = result.instance.base if result.instance.base is not None else result.instance.dataset
            prices = breach_day_prices(result.scenario, dataset=base)
    except CapplanError as error:
        _fail(error)
    folder = write_results(result, out or Path("results") / result.scenario.name)
    synthetic = _synthetic(scenario)
    plan_report_html(
        result,
        folder / "report.html",
        standalone=standalone,
        lang=loc.lang,
        synthetic=synthetic,
        breach_day_prices=prices,
    )
    excel_export(workbook_tables(result, lang=loc.lang, synthetic=synthetic), folder / "tables.xlsx")
    _banner(synthetic, loc)
    _print_plan(result, loc)
    written = loc._("Report: {report}, workbook: {workbook}").format(
        report=f"[bold]{folder / 'report.html'}[/bold]", workbook=f"[bold]{folder / 'tables.xlsx'}[/bold]"
    )
    console.print(written)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Start the HTTP API (FastAPI on uvicorn); OpenAPI docs at /docs. Settings come from CAPPLAN_* variables."""
    import uvicorn  # only the service needs it (and FastAPI, which the app imports)

    uvicorn.run("api.main:app", host=host, port=port)


@app.command()
def evaluate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML the proposal is made for.")],
    proposal: Annotated[Path, typer.Argument(help="Proposal CSV in the allocations.csv format.")],
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Keep the proposal's flows as given and optimise every other flow (fix-and-optimise): a "
            "partial proposal becomes a plan of every patient. An infeasible proposal's capacity-trimmed repair "
            "is what is kept.",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write a result folder like `capplan run` (tables, summary.json with the evaluation), plus "
            "evaluation.json and violations.csv; `capplan compare` accepts it.",
        ),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Evaluate a hand-made proposal: KPIs, every violated constraint with its size, gap to the optimum.

    `capplan evaluate SCENARIO.yaml PROPOSAL.csv [--fix] [--out FOLDER]`. Exit code 1 when the
    proposal breaks a constraint (its KPIs and violations are printed first), or when it or the
    scenario cannot be read.
    """
    loc = _locale(lang)
    if proposal.suffix.lower() in (".yaml", ".yml") and scenario.suffix.lower() == ".csv":
        message = loc._("give the scenario first, then the proposal: capplan evaluate SCENARIO.yaml PROPOSAL.csv")
        console.print("[red]" + message, markup=True)
        raise typer.Exit(code=2)
    try:
        flows = read_allocations(proposal)
        with console.status(loc._("planning the optimum for comparison ...")):
            result = evaluate_proposal(scenario, flows, fix=fix)
    except CapplanError as error:
        _fail(error)
    _banner(_synthetic(scenario), loc)
    summary = result.summary()
    terms = summary["objective_terms"]

    def relative(value) -> str:
        return "" if value is None else f" ({loc.percent(value)})"

    warning_word = loc._("warning")
    for warning in summary["warnings"]:
        console.print(f"[yellow]{warning_word}: {warning}[/yellow]")
    if result.feasible:
        line = loc._("proposal objective {objective} vs optimum {optimum}: gap {gap}").format(
            objective=loc.number(summary["objective"], 1),
            optimum=loc.number(summary["optimum_objective"], 1),
            gap=loc.number(summary["gap_to_optimum"], 1),
        )
        console.print(line + relative(summary["gap_relative"]))
    else:
        line = loc._(
            "the proposal is infeasible: {count} violated constraint(s), total violation {violation}; objective "
            "{objective} (optimum {optimum}, no gap: it is not a plan)"
        ).format(
            count=len(result.evaluation.violations),
            violation=f"{summary['total_violation']:,.6g}",
            objective=loc.number(summary["objective"], 1),
            optimum=loc.number(summary["optimum_objective"], 1),
        )
        console.print(f"[red]{line}[/red]")
    figures = loc._(
        "treated {treated} | days waited beyond 90 days {days_90}, beyond 180 days {days_180}, beyond 365 days "
        "{days_365} | paid under the price list {paid} | extra theatre days bought {extra}"
    )
    console.print(
        figures.format(
            treated=loc.number(terms["treated"], 1),
            days_90=loc.number(terms["breach_days_90"]),
            days_180=loc.number(terms["breach_days_180"]),
            days_365=loc.number(terms["breach_days_365"]),
            paid=loc.sek(terms["treatment_cost_sek"], "SEK"),
            extra=loc.sek(terms["extra_capacity_sek"], "SEK"),
        )
    )
    violations = result.evaluation.violations
    if violations.empty:
        console.print("[green]" + loc._("no constraint is violated") + "[/green]")
    else:
        title = loc._("{count} violated constraint(s)").format(count=len(violations))
        print_frame(violations, title, limit=50)
    repair = summary["repair"]
    if repair is not None:
        line = loc._("capacity-trimmed repair ({removed} patients removed): objective {objective}, gap {gap}").format(
            removed=loc.number(repair["patients_removed"], 1),
            objective=loc.number(repair["objective"], 1),
            gap=loc.number(repair["gap_to_optimum"], 1),
        )
        still = loc._(", still {count} violation(s)").format(count=len(repair["violations"]))
        console.print(line + relative(repair["gap_relative"]) + ("" if repair["feasible"] else still))
    fixed = summary["fixed"]
    if fixed is not None:
        line = loc._("fixed and optimised ({method}): objective {objective}, gap {gap}").format(
            method=fixed["method"],
            objective=loc.number(fixed["objective"], 1),
            gap=loc.number(fixed["gap_to_optimum"], 1),
        )
        treated = loc._(", treated {treated}").format(treated=loc.number(fixed["objective_terms"]["treated"], 1))
        console.print(line + relative(fixed["gap_relative"]) + treated)
    if out is not None:
        folder = write_results(result.result(), out)
        (folder / "evaluation.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
        write_csv(violations, folder / "violations.csv")
        console.print(loc._("evaluation written to {folder}").format(folder=folder))
    if not result.feasible:
        raise typer.Exit(code=1)


class Replan(StrEnum):
    """How `capplan simulate` re-plans: weekly (each simulated week plans the updated list again)."""

    weekly = "weekly"


@app.command(name="simulate")
def simulate_command(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario YAML; default scenarios/default.yaml.")] = None,
    draws: Annotated[int, typer.Option("--draws", "-n", min=1, help="Number of random draws.")] = 100,
    replan: Annotated[Replan | None, typer.Option("--replan", help="Re-plan every simulated week.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Seed: the same seed gives the same bands.")] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            envvar="CAPPLAN_RAY_ADDRESS",
            help="An existing Ray cluster to run the draws on; default: Ray on this machine's cores.",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="CPUs of a Ray session started here (default: all).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for result files; default results/<name>-simulation.")
    ] = None,
) -> None:
    """Plan a scenario, then replay it under random demand, cancellations and patients' answers: P10/P50/P90."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from presentation.simulation_files import write_simulation

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("loading", total=None)
            result = simulate(
                scenario,
                draws=draws,
                replan=replan.value if replan else None,
                seed=seed,
                ray_address=ray_address,
                workers=workers,
                progress=lambda stage: bar.update(task, description=stage),
                draw_progress=lambda done, total: bar.update(task, description="draws", completed=done, total=total),
            )
    except CapplanError as error:
        _fail(error)
    folder = write_simulation(result, out or Path("results") / f"{result.plan.scenario.name}-simulation")
    bands = result.bands
    last = bands[(bands["week"] == bands["week"].max()) & (bands["level"] != "procedure")]
    shown = last.pivot_table(index=["level", "key"], columns="metric", values="p50").reset_index()
    last_week = bands["week"].max()
    print_frame(shown, f"Median over {result.draws} draws at the end of week {last_week} (P10/P90 in the CSV)")
    total = result.summary()["last_week"]
    console.print(
        " | ".join(
            f"{metric} P10 {v['p10']:,.0f} P50 {v['p50']:,.0f} P90 {v['p90']:,.0f}" for metric, v in total.items()
        )
    )
    s = result.seconds
    console.print(
        f"seed {result.seed} | {result.engine}{' at ' + result.address if result.address else ''} | "
        f"plan {s['plan']:.1f}s, draws {s['draws']:.1f}s"
    )
    console.print(f"Result files written to [bold]{folder}[/bold]")


OptionsOption = Annotated[
    Path | None,
    typer.Option(
        "--options",
        help="CSV of purchase options: hospital_id, specialty, days_per_week, price_per_day_sek (and weeks, "
        "e.g. 2025-W20..2025-W30). Default: the scenario's extra_capacity offers.",
    ),
]


@app.command()
def purchases(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario YAML; default scenarios/default.yaml.")] = None,
    options: OptionsOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder; default results/<name>-decisions.")] = None,
) -> None:
    """Breach-days one more theatre day or bed-day avoids, and purchase options ranked by SEK per breach-day avoided.

    Writes breach_day_prices.csv and purchase_options.csv. Each option is planned as a warm-started variant
    of the scenario without its own offers, with the option's days bought in full.
    """
    try:
        chosen = read_options(options) if options is not None else None
        loaded, _ = resolve_scenario(scenario)
        with console.status("breach-day shadow prices ..."):
            prices = breach_day_prices(loaded if scenario is None else scenario)
        ranked = None
        if chosen or scenario_options(loaded):
            with console.status("planning purchase options ..."):
                ranked = rank_purchases(scenario, chosen)
        else:
            console.print("[yellow]no purchase options: give --options FILE or extra_capacity in the scenario[/yellow]")
    except CapplanError as error:
        _fail(error)
    folder = out or Path("results") / f"{loaded.name}-decisions"
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(prices, folder / "breach_day_prices.csv")
    print_frame(
        prices.head(15),
        "Breach-days over 90 avoided by one more day in every week (theatre days per hospital × specialty, bed-days)",
    )
    if ranked is not None:
        write_csv(ranked, folder / "purchase_options.csv")
        shown = ranked.drop(columns=["warm_started", "seconds", "weeks"])
        print_frame(shown, "Purchase options, cheapest per breach-day avoided first", {"sek_per_breach_day": "{:,.0f}"})
    console.print(f"Written to [bold]{folder}[/bold]")


@app.command()
def target(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario YAML; default scenarios/default.yaml.")] = None,
    share: Annotated[float, typer.Option("--share", help="Highest share over 90 days, e.g. 0.2.")] = 0.2,
    by: Annotated[str, typer.Option("--by", help="ISO week by whose end the share must be met, e.g. 2025-W30.")] = "",
    options: OptionsOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder; default results/<name>-target.")] = None,
) -> None:
    """The fewest extra theatre days that bring the share over 90 days to --share by the end of week --by.

    Candidates: --options, else the scenario's extra_capacity offers, else every hospital × specialty with
    theatre days (unlimited days at each). Exit code 1 when no purchase can reach the target.
    """
    try:
        chosen = read_options(options) if options is not None else None
        with console.status("solving the target question ..."):
            answer = fewest_extra_days(scenario, share, by or _last_week(scenario), chosen)
    except CapplanError as error:
        _fail(error)
    folder = out or Path("results") / f"{resolve_scenario(scenario)[0].name}-target"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "target.json").write_text(json.dumps(answer.summary(), indent=2), encoding="utf-8")
    write_csv(answer.purchases if answer.reachable else answer.candidates, folder / "target_purchases.csv")
    console.print(answer.message)
    if answer.reachable:
        print_frame(answer.purchases, "Theatre days to buy (whole days a week, from the start to the target week)")
    console.print(f"Written to [bold]{folder}[/bold]")
    if not answer.reachable:
        raise typer.Exit(code=1)


def _last_week(scenario: Path | None) -> str:
    loaded, _ = resolve_scenario(scenario)
    from models.weeks import week_labels

    return week_labels(loaded.start_week, loaded.horizon_weeks)[-1]
