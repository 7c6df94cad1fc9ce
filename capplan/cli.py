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

from capplan.render import console, print_error, print_frame
from models import generate as generator
from models import load_dataset, summary
from models.errors import CapplanError
from models.numbers import write_csv
from models.scenario import SCENARIOS_DIR
from optimizer import (
    METRICS,
    ResultView,
    breach_day_prices,
    evaluate_proposal,
    fewest_extra_days,
    plan,
    plan_columns,
    plan_standalone,
    plan_variants,
    rank_purchases,
    read_allocations,
    read_options,
    resolve_scenario,
    scenario_options,
)
from optimizer import compare as compare_plans
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
) -> None:
    """Plan a scenario: build the LP, solve it with HiGHS and write the result files."""
    try:
        with console.status("loading") as status:
            result = plan(_with_strategy(scenario, strategy), progress=lambda stage: status.update(f"{stage} ..."))
    except CapplanError as error:
        _fail(error)
    folder = write_results(result, out or Path("results") / result.scenario.name)
    _print_plan(result)
    console.print(f"Result files written to [bold]{folder}[/bold]")


def _print_plan(result) -> None:
    """The whole-patient plan's figures (what is handed out), with the LP bound and the gap beside them."""
    terms = result.integer.terms
    kpis = result.integer.region_kpis
    end = kpis[kpis["t"] == result.instance.horizon]
    start = kpis[kpis["t"] == 1]
    table = end[["region_id", "waiting", "over_90", "over_365", "share_over_90"]].rename(
        columns={
            "waiting": "waiting_end",
            "over_90": "over_90_end",
            "over_365": "over_365_end",
            "share_over_90": "share_over_90_end",
        }
    )
    table.insert(1, "share_over_90_week1", start["share_over_90"].to_numpy())
    print_frame(
        table,
        f"Scenario {result.scenario.name}, whole-patient plan: regions at the end of week {result.instance.weeks[-1]}",
        {"share_over_90_week1": "{:.1%}", "share_over_90_end": "{:.1%}"},
    )
    procedures = result.integer.procedure_totals
    print_frame(
        procedures.drop(columns=["specialty"]),
        "Per procedure (whole-patient plan)",
        {"breach_days_per_patient": "{:.1f}", "median_wait_at_treatment_days": "{:.0f}"},
    )
    headline = result.headline()
    s = result.seconds
    console.print(
        f"whole-patient plan: objective {headline['objective']:,.0f}, LP bound {headline['lp_bound']:,.0f}, "
        f"gap {headline['gap']:,.0f} ({(headline['gap_relative'] or 0):.1%})"
    )
    for short in headline["agreement_shortfalls"]:
        console.print(
            f"[yellow]agreement {short['agreement']}: {short['planned']:,.0f} of its minimum {short['min_cases']:,.0f}"
            f" cases planned ({short['short']:,.1f} short)[/yellow]"
        )
    console.print(
        f"breach-days >90 {terms['breach_days_90']:,.0f}, "
        f">180 {terms['breach_days_180']:,.0f}, >365 {terms['breach_days_365']:,.0f} | treated {terms['treated']:,.0f}"
        f" | cost {terms['cost_sek'] / 1e6:,.1f} MSEK (price list {terms['treatment_cost_sek'] / 1e6:,.1f}, extra"
        f" theatre days {terms['extra_capacity_sek'] / 1e6:,.1f}) | patient-km {terms['patient_km']:,.0f}"
    )
    console.print(
        f"model {result.size['variables']:,} variables, {result.size['constraints']:,} constraints | "
        f"load {s['load']:.2f}s prepare {s['prepare']:.2f}s build {s['build']:.2f}s solve {s['solve']:.2f}s "
        f"(HiGHS {s['highs']:.2f}s) "
        f"read {s['read_solution']:.2f}s results {s['results']:.2f}s"
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
def info(path: Annotated[Path, typer.Argument(help="Dataset folder.")] = DEFAULT_DATASET) -> None:
    """Summarise a dataset: waiting per region, over-90 per procedure, capacity per hospital."""
    try:
        dataset = load_dataset(path)
    except CapplanError as error:
        _fail(error)
    t = summary.totals(dataset)
    console.print(
        f"[bold]{dataset.name}[/bold], plan start {dataset.plan_start}: {t['listed']:,} listed, "
        f"{t['mov_pvv']:,} MoV/PvV, {t['over_90']:,} waiting over 90 days "
        f"({t['share_over_90']:.1%} of {t['waiting']:,} excl. MoV/PvV)"
    )
    print_frame(summary.region_summary(dataset), "Regions", {"share_over_90": "{:.1%}"})
    print_frame(summary.procedure_summary(dataset), "Procedures (over 90 days incl. MoV/PvV)")
    print_frame(summary.capacity_summary(dataset), "Hospitals (per week)")


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write.")] = DEFAULT_DATASET,
    seed: Annotated[int | None, typer.Option(help="Random seed; default the documented one.")] = None,
) -> None:
    """Regenerate the synthetic Mellansverige dataset (seeded, reproducible)."""
    generator.write_dataset(generator.generate(generator.DEFAULT_SEED if seed is None else seed), out)
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
) -> None:
    """Compare plans side by side: breach-days, patients over 90/180/365, cost, payments, km, utilisation."""
    if len(sources) < 2:
        console.print("[red]compare needs at least two scenarios or result folders[/red]")
        raise typer.Exit(code=2)
    try:
        with console.status("comparing") as status:
            views = _views_for(sources, status, strategy)
    except CapplanError as error:
        _fail(error)
    table = compare_plans(views)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(table, out / "comparison.csv")  # plain decimals at full precision
    shown = table[table["region_id"] == "total"].drop(columns=["region_id", "note"])
    ratios = shown["metric"].isin([m for m, how in METRICS.items() if how == "ratio"])
    shown = shown.astype(object)
    for column in shown.columns[1:]:  # shares as percentages with two decimals, not "0.3" for every plan
        shown.loc[ratios, column] = [f"{v:.2%}" for v in shown.loc[ratios, column]]
    print_frame(shown, "Comparison (totals; per region in comparison.csv)")
    for note in sorted(set(table["note"]) - {""}):
        console.print(note)
    _write_comparison_reports(table[["metric", "region_id", *plan_columns(table)]], views, out)
    console.print(f"Comparison written to [bold]{out}[/bold]")


def _write_comparison_reports(table, views, out: Path) -> None:
    # imported here: plotly and openpyxl cost ~0.5 s, which `capplan run` does not need to pay
    from presentation.excel import excel_export
    from presentation.html_report import comparison_report_html

    excel_export({"comparison": table}, out / "comparison.xlsx")
    comparison_report_html(table, views, out / "comparison.html")


@app.command()
def report(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario YAML; default scenarios/default.yaml.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder; default results/<name>.")] = None,
    baseline: Annotated[bool, typer.Option(help="Also plan the standalone baseline (value of collaboration).")] = True,
    strategy: StrategyOption = None,
) -> None:
    """Plan a scenario and write its HTML report and Excel workbook beside the result files."""
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
    except CapplanError as error:
        _fail(error)
    folder = write_results(result, out or Path("results") / result.scenario.name)
    plan_report_html(result, folder / "report.html", standalone=standalone)
    excel_export(workbook_tables(result), folder / "tables.xlsx")
    _print_plan(result)
    console.print(f"Report: [bold]{folder / 'report.html'}[/bold], workbook: [bold]{folder / 'tables.xlsx'}[/bold]")


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
) -> None:
    """Evaluate a hand-made proposal: KPIs, every violated constraint with its size, gap to the optimum.

    `capplan evaluate SCENARIO.yaml PROPOSAL.csv [--fix] [--out FOLDER]`. Exit code 1 when the
    proposal breaks a constraint (its KPIs and violations are printed first), or when it or the
    scenario cannot be read.
    """
    if proposal.suffix.lower() in (".yaml", ".yml") and scenario.suffix.lower() == ".csv":
        console.print("[red]give the scenario first, then the proposal: capplan evaluate SCENARIO.yaml PROPOSAL.csv")
        raise typer.Exit(code=2)
    try:
        flows = read_allocations(proposal)
        with console.status("planning the optimum for comparison ..."):
            result = evaluate_proposal(scenario, flows, fix=fix)
    except CapplanError as error:
        _fail(error)
    summary = result.summary()
    terms = summary["objective_terms"]
    for warning in summary["warnings"]:
        console.print(f"[yellow]warning: {warning}[/yellow]")
    if result.feasible:
        console.print(
            f"proposal objective {summary['objective']:,.1f} vs optimum {summary['optimum_objective']:,.1f}: "
            f"gap {summary['gap_to_optimum']:,.1f}"
            + (f" ({summary['gap_relative']:.1%})" if summary["gap_relative"] is not None else "")
        )
    else:
        console.print(
            f"[red]the proposal is infeasible[/red]: {len(result.evaluation.violations)} violated constraint(s), "
            f"total violation {summary['total_violation']:,.6g}; objective {summary['objective']:,.1f} "
            f"(optimum {summary['optimum_objective']:,.1f}, no gap: it is not a plan)"
        )
    console.print(
        f"breach-days >90 {terms['breach_days_90']:,.0f}, >180 {terms['breach_days_180']:,.0f}, "
        f">365 {terms['breach_days_365']:,.0f} | treated {terms['treated']:,.1f} | cost {terms['cost_sek']:,.0f} SEK "
        f"(price list {terms['treatment_cost_sek']:,.0f}, extra theatre days {terms['extra_capacity_sek']:,.0f})"
    )
    violations = result.evaluation.violations
    if violations.empty:
        console.print("[green]no constraint is violated[/green]")
    else:
        print_frame(violations, f"{len(violations)} violated constraint(s)", limit=50)
    repair = summary["repair"]
    if repair is not None:
        console.print(
            f"capacity-trimmed repair ({repair['patients_removed']:,.1f} patients removed): objective "
            f"{repair['objective']:,.1f}, gap {repair['gap_to_optimum']:,.1f}"
            + (f" ({repair['gap_relative']:.1%})" if repair["gap_relative"] is not None else "")
            + ("" if repair["feasible"] else f", still {len(repair['violations'])} violation(s)")
        )
    fixed = summary["fixed"]
    if fixed is not None:
        console.print(
            f"fixed and optimised ({fixed['method']}): objective {fixed['objective']:,.1f}, gap "
            f"{fixed['gap_to_optimum']:,.1f}"
            + (f" ({fixed['gap_relative']:.1%})" if fixed["gap_relative"] is not None else "")
            + f", treated {fixed['objective_terms']['treated']:,.1f}"
        )
    if out is not None:
        folder = write_results(result.result(), out)
        (folder / "evaluation.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
        write_csv(violations, folder / "violations.csv")
        console.print(f"evaluation written to {folder}")
    if not result.feasible:
        raise typer.Exit(code=1)


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
