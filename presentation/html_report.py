"""Self-contained HTML reports: one page per plan or comparison.

The pages carry plotly.js inline (once, in the page head), so they open offline, from a mail
attachment or a file share.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from models.atomic import replace_text
from models.objective import OBJECTIVE_TERMS, objective_contributions, term_weights
from optimizer import PlanResult, ResultView, collaboration_value
from presentation import decision_sections
from presentation.figures import (
    _hospital_labels,
    band_tables,
    bands_figure,
    bands_region_figure,
    cost_figure,
    flows_figure,
    plan_bars_figure,
    share_figure,
    utilisation_heatmap,
    waiting_figure,
)
from presentation.labels import (
    BEDS_TITLE,
    COMPARE_BREACH_TITLE,
    COMPARE_OVER_90_TITLE,
    FONT,
    KNOWN_REGION_NAMES,
    LABELS,
    OVER_90_BANDS,
    PERCENT_COLUMNS,
    TERM_TITLES,
    THEATRE_TITLE,
    format_number,
    region_colours,
    region_names,
)


def _table_html(table: pd.DataFrame, percent: tuple[str, ...] = PERCENT_COLUMNS, caption: str = "") -> str:
    """An HTML table with plain-language headings, numbers right-aligned and formatted."""
    if table.empty:
        return f"<p class='note'>{html.escape(caption)}: nothing to show.</p>" if caption else ""
    head = "".join(f"<th>{html.escape(LABELS.get(str(c), str(c).replace('_', ' ')))}</th>" for c in table.columns)
    rows = []
    for record in table.itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, record, strict=True):
            if isinstance(value, (float, np.floating)) and column in percent:
                cells.append(f"<td class='num'>{format_number(100 * value)}\u00a0%</td>")
            elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
                cells.append(f"<td class='num'>{format_number(value)}</td>")
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


CSS = """
body{font-family:{font};margin:0;color:#222;background:#fafafa}
main{max-width:1280px;margin:auto;padding:1em 2em 4em}
h1{margin-bottom:.2em} h2{margin-top:2em;border-bottom:2px solid #ddd;padding-bottom:.2em}
.lead{font-size:1.1em;max-width:60em} .note{color:#555;max-width:60em}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em;background:#fff}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ddd;padding:.25em .6em} th{background:#eef2f7;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums} tbody tr:nth-child(even){background:#f7f7f7}
.figure{background:#fff;border:1px solid #e5e5e5;margin:1em 0;padding:.5em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1.5em} dt{font-weight:600}
""".replace("{font}", FONT)  # CSS braces rule out str.format


def _figure_html(fig: go.Figure) -> str:
    return (
        "<div class='figure'>"
        + fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True})
        + "</div>"
    )


def _page(title: str, body: list[str]) -> str:
    """A complete HTML page with plotly.js inline in the head (once, for every figure)."""
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def _with_names(
    table: pd.DataFrame, names: Mapping[str, str], columns=("region_id", "payer_region", "provider_region")
) -> pd.DataFrame:
    table = table.copy()
    for column in columns:
        if column in table:
            table[column] = table[column].map(lambda r: names.get(r, "Total" if r == "total" else r))
    return table


def _header(result: PlanResult, before: pd.DataFrame, names: Mapping[str, str]) -> str:
    # the figures people read are the whole-patient plan's; the LP bound and gap stand beside them
    scenario, terms, weeks = result.scenario, result.integer.terms, result.instance.weeks
    headline = result.headline()
    w = scenario.weights
    over_90_start = float(before[before["band"].astype(str).isin(OVER_90_BANDS)]["patients"].sum())
    kpis = result.integer.region_kpis
    last = kpis[kpis["t"] == kpis["t"].max()]
    over_90_end, waiting_end = float(last["over_90"].sum()), float(last["waiting"].sum())
    lead = (
        f"Over {len(weeks)} weeks ({weeks[0]} to {weeks[-1]}) the plan schedules surgery for "
        f"<b>{format_number(terms['treated'], 0)}</b> patients from {len(names)} regions. Patients waiting more "
        f"than 90 days (the care guarantee): <b>{format_number(over_90_start, 0)}</b> at the start, "
        f"<b>{format_number(over_90_end, 0)}</b> of {format_number(waiting_end, 0)} still waiting "
        "at the end of the horizon."
    )
    contribution = objective_contributions(terms, w)
    weight = term_weights(w)
    objective = pd.DataFrame(
        [
            (
                TERM_TITLES[name],
                terms[name] / 1000 if name == "cost_sek" else terms[name],
                weight[name] * 1000 if name == "cost_sek" else weight[name],
                contribution[name],
            )
            for name in OBJECTIVE_TERMS
        ],
        columns=["term", "value", "weight", "contribution to objective"],
    )
    objective["weight"] = [f"{v:g}" for v in objective["weight"]]  # weights like 0.05 need their digits
    seconds = result.seconds
    facts = {
        "Scenario": html.escape(scenario.name),
        "Weeks": f"{weeks[0]} – {weeks[-1]} ({len(weeks)} weeks)",
        "Objective (lower is better)": format_number(headline["objective"], 1)
        + f" (LP bound {format_number(headline['lp_bound'], 1)}, gap {100 * (headline['gap_relative'] or 0):.1f} %)",
        "Treated": format_number(terms["treated"], 0) + f" (LP: {format_number(result.lp.terms['treated'], 1)})",
        "Cost": f"{format_number(terms['cost_sek'] / 1e6, 2)} MSEK",
        "Build / solve time": f"{seconds.get('build', 0.0):.2f} s / {seconds.get('solve', 0.0):.2f} s",
    }
    description = f"<p class='note'>{html.escape(scenario.description)}</p>" if scenario.description else ""
    return (
        f"<h1>Surgery plan: {html.escape(scenario.name)}</h1>{description}<p class='lead'>{lead}</p>"
        "<dl>"
        + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts.items())
        + "</dl>"
        + _table_html(
            objective, caption="The objective and its terms (breach-days = 7 × patients over the threshold per week)"
        )
    )


def plan_report_html(result: PlanResult, path: str | os.PathLike, standalone: PlanResult | None = None) -> Path:
    """Write one self-contained HTML report of a plan and return its path.

    Sections: a plain-language header (scenario, weeks, objective terms, treated, cost, timings),
    waiting over time with the 90-day line, theatre and bed-day utilisation per hospital and week,
    flows between regions, waiting-time bands before and after, and tables (region totals,
    payments, top 20 shadow prices and, with a standalone baseline, the value of collaboration).
    `standalone` defaults to `result.standalone`. The file is written atomically.
    """
    standalone = standalone if standalone is not None else result.standalone
    names = region_names(result)
    colours = region_colours(names)
    weeks = list(result.instance.weeks)
    labels = _hospital_labels(result, names)
    before, after = band_tables(result)
    theatre = result.lp.theatre_use.assign(available=lambda t: t["theatre_days"] + t["extra_days_used"])
    hospital_name = result.instance.dataset.hospitals.set_index("hospital_id")["name"]

    body = [_header(result, before, names)]
    body += [
        "<h2>Waiting over time</h2><p class='note'>Patients still waiting at the end of each week, per home "
        "region (MoV/PvV excluded, as in the national statistics). Dashed lines count patients who have "
        "waited more than 90 days: the care guarantee is broken for each of them.</p>",
        _figure_html(waiting_figure(result.lp.region_kpis, names, colours)),
    ]
    body += [
        "<h2>Capacity use</h2><p class='note'>Share of available theatre days (including extra days bought) "
        "and of elective bed-days that the plan uses, per hospital and week. Blank: nothing available.</p>",
        _figure_html(
            utilisation_heatmap(theatre, "used_days", "available", labels, weeks, THEATRE_TITLE, "theatre days")
        ),
        _figure_html(
            utilisation_heatmap(result.lp.bed_use, "used_bed_days", "bed_days", labels, weeks, BEDS_TITLE, "bed-days")
        ),
    ]
    body += [
        "<h2>Flows between regions</h2><p class='note'>Planned operations over the horizon: rows are the "
        "patients' home regions, columns the region of the hospital that operates.</p>",
        _figure_html(flows_figure(result, names)),
    ]
    body += [
        "<h2>Waiting-time bands</h2><p class='note'>Waiting patients by days waited, at the plan start "
        "(backlog) and at the end of the horizon (first in, first out).</p>",
        _figure_html(bands_figure(before, after, weeks)),
        _figure_html(bands_region_figure(before, after, names, weeks)),
    ]
    totals = _with_names(result.lp.region_totals, names)
    totals = pd.concat([totals, totals.sum(numeric_only=True).to_frame().T.assign(region_id="Total")])
    payments = _with_names(result.lp.payments, names)
    prices = result.shadow_prices.head(20).copy()
    prices["hospital_id"] = prices["hospital_id"].map(lambda h: hospital_name.get(h, h))
    procedures = result.integer.procedure_totals.copy()
    names = result.instance.dataset.procedures.set_index("procedure_id")["name_sv"]
    procedures.insert(1, "name_sv", procedures["procedure_id"].map(names))
    body += [
        "<h2>Per procedure</h2><p class='note'>The whole-patient plan per procedure: patients (waiting at the "
        "start and new decisions in the horizon), treated, weighted breach-days (in total and per patient), "
        "over 90 days and still waiting at the end, and the median days waited at treatment.</p>",
        _table_html(procedures, percent=(), caption="Per procedure (whole-patient plan)"),
    ]
    body += [
        "<h2>Tables</h2>",
        _table_html(totals, caption="Region totals over the horizon (per home region)"),
        _table_html(payments, caption="Payments under the price list (home region pays the treating region)"),
        _table_html(prices, caption="Top 20 shadow prices: objective saved by one more theatre day or bed-day"),
    ]
    body += decision_sections.report_sections(result)  # money: internal balances, new money, agreements
    if standalone is not None:
        value = _with_names(collaboration_value(result, standalone), names)
        body += [
            "<h2>Value of collaboration</h2><p class='note'>The joint plan against each region planning "
            "alone on its own hospitals. Positive 'saved' columns: the region is better off together.</p>",
            _table_html(value, caption="Joint plan against the standalone baseline"),
        ]
    return replace_text(path, _page(f"capplan: {result.scenario.name}", body))


# --------------------------------------------------------------------------------------------------
# Comparison page


def comparison_report_html(
    table: pd.DataFrame, views: list[ResultView], path: str | os.PathLike, region_names: Mapping[str, str] | None = None
) -> Path:
    """Write one self-contained HTML comparison of plans and return its path.

    `table` is `compare(views)` (metric, region_id, one column per plan, in the order of `views`).
    Figures: weighted breach-days and over-90 at the end per region and plan, cost per plan, and the
    share over 90 days over time per plan. `region_names` maps ids to display names (default: the
    known Mellansverige names, else the id). The file is written atomically.
    """
    plans = [str(c) for c in table.columns[2:]]
    if len(plans) != len(views):
        raise ValueError(f"the table has {len(plans)} plan columns but {len(views)} views were given")
    ids = [r for r in table["region_id"].unique() if r != "total"]
    names = {r: KNOWN_REGION_NAMES.get(r, r) for r in ids} | dict(region_names or {})
    colours = region_colours(ids)
    facts = []
    for plan_name, view in zip(plans, views, strict=True):
        s = view.summary
        facts.append(
            {
                "plan": plan_name,
                "status": s.get("status", ""),
                "start week": s.get("start_week", ""),
                "weeks": s.get("horizon_weeks", ""),
                "objective": float(s.get("objective", np.nan)),
                "treated": float(s.get("objective_terms", {}).get("treated", np.nan)),
            }
        )
    shown = _with_names(table, names)
    shown["metric"] = shown["metric"].map(lambda m: LABELS.get(m, m.replace("_", " ")))
    percent_rows = table["metric"].isin(PERCENT_COLUMNS)
    for plan_name in plans:  # shares as percentages, formatted here because the table is long
        shown[plan_name] = [
            f"{format_number(100 * v)}\u00a0%" if p else v for v, p in zip(shown[plan_name], percent_rows, strict=True)
        ]
    body = [
        f"<h1>Comparison of {len(plans)} plans</h1>",
        "<p class='lead'>Each plan's results per home region and in total. Breach-days count 7 days per "
        "patient and week over the threshold; lower is better.</p>",
        _table_html(pd.DataFrame(facts), caption="Plans compared"),
        _figure_html(
            plan_bars_figure(table, "weighted_breach_days", plans, names, COMPARE_BREACH_TITLE, "weighted breach-days")
        ),
        _figure_html(plan_bars_figure(table, "over_90_end", plans, names, COMPARE_OVER_90_TITLE, "patients")),
        _figure_html(cost_figure(table, views, plans, names, colours)),
        _figure_html(share_figure(views, plans)),
        "<h2>Side by side</h2>",
        _table_html(shown, percent=(), caption="Every measure per home region and in total"),
    ]
    return replace_text(path, _page("capplan: comparison of " + ", ".join(plans), body))


# --------------------------------------------------------------------------------------------------
# Tables and Excel
