"""The comparison page and table: plans side by side, each against the first plan (the base).

Renders `optimizer.compare`'s table (owned by the engine): translated measures and region names,
one difference column per plan against the first, shares as percentages with two decimals (so that
0,3047 and 0,3012 do not both read "30 %"), and winners and losers per region against the base.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from models.atomic import replace_text
from models.scenario import Scenario
from optimizer import ResultView
from presentation.figures import cost_figure, plan_bars_figure, share_figure
from presentation.html_page import figure_html, page_html
from presentation.html_tables import table_html
from presentation.i18n import N_, Locale
from presentation.labels import (
    COMPARE_OVER_90_TITLE,
    KNOWN_REGION_NAMES,
    PERCENT_COLUMNS,
    column_label,
    region_colours,
    swedish_key,
)
from presentation.outcomes import against_base, fairness_settings

COMPARE_DAYS_TITLE = N_("Days waited beyond 90 days per region and plan")
#: Decimals of a share shown as a percentage: enough for plans that differ by a tenth of a point.
SHARE_DECIMALS = 2


def difference_label(plan: str, base: str, loc: Locale) -> str:
    """The heading of a difference column ("B − A")."""
    return loc._("{plan} − {base}").format(plan=plan, base=base)


def in_reading_order(table: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """`compare`'s table with the regions of each measure in Swedish alphabetical order of their names
    (Västmanland before Örebro), the total last; the measures keep their order."""
    metric_order = {m: i for i, m in enumerate(dict.fromkeys(table["metric"]))}
    key = pd.DataFrame(
        {
            "metric": table["metric"].map(metric_order),
            "total": table["region_id"] == "total",
            "name": table["region_id"].map(lambda r: swedish_key(names.get(r, r))),
        }
    )
    return table.loc[key.sort_values(["metric", "total", "name"], kind="stable").index].reset_index(drop=True)


def comparison_table(table: pd.DataFrame, names: Mapping[str, str], loc: Locale) -> pd.DataFrame:
    """The comparison for people, in numbers: translated measure and region, one column per plan and
    one difference column per plan after the first (plan − first plan). Shares stay shares (0..1);
    `PERCENT_COLUMNS` rows are the ones to show as percentages."""
    plans = [str(c) for c in table.columns[2:]]
    base = plans[0]
    shown = pd.DataFrame(
        {
            column_label("metric", loc): table["metric"].map(lambda m: column_label(m, loc)),
            column_label("region_id", loc): table["region_id"].map(
                lambda r: loc._("Total") if r == "total" else names.get(r, r)
            ),
        }
    )
    for plan in plans:
        shown[plan] = table[plan].astype(float).to_numpy()
    for plan in plans[1:]:
        shown[difference_label(plan, base, loc)] = (table[plan].astype(float) - table[base].astype(float)).to_numpy()
    return shown


def comparison_text(table: pd.DataFrame, shown: pd.DataFrame, loc: Locale) -> pd.DataFrame:
    """`comparison_table` with every number formatted for its row: shares as percentages (two
    decimals), everything else whole; differences with a sign."""
    share_rows = table["metric"].isin(PERCENT_COLUMNS).to_numpy()
    text = shown.copy()
    numbers = list(shown.columns[2:])
    plans = len(table.columns) - 2
    for i, column in enumerate(numbers):
        signed = i >= plans
        cells = []
        for value, is_share in zip(shown[column], share_rows, strict=True):
            # round before formatting, so that a difference of 1e-6 reads 0, not -0
            value = round(float(value), SHARE_DECIMALS + 2) if is_share else round(float(value)) + 0.0
            cell = loc.percent(value, SHARE_DECIMALS) if is_share else loc.number(value)
            if signed and value > 0 and any(digit in cell for digit in "123456789"):
                cell = "+" + cell
            cells.append(cell)
        text[column] = cells
    return text


def comparison_report_html(
    table: pd.DataFrame,
    views: list[ResultView],
    path: str | os.PathLike,
    region_names: Mapping[str, str] | None = None,
    lang: str | None = None,
    scenarios: Sequence[Scenario | None] | None = None,
    synthetic: bool = False,
) -> Path:
    """Write one self-contained HTML comparison of plans and return its path.

    `table` is `compare(views)` (metric, region_id, one column per plan, in the order of `views`).
    The first plan is the base: winners and losers per region against it, and a difference column
    per plan. Figures: days beyond 90 and patients over 90 at the end per region and plan, cost per
    plan, and the share over 90 days over time. `region_names` maps ids to display names (default:
    the known Mellansverige names, else the id); `scenarios` (one per view, None for unknown) name
    each plan's fairness settings; `synthetic` shows the synthetic-data banner. Written atomically.
    """
    loc = Locale.for_lang(lang)
    plans = [str(c) for c in table.columns[2:]]
    if len(plans) != len(views):
        raise ValueError(f"the table has {len(plans)} plan columns but {len(views)} views were given")
    ids = [r for r in table["region_id"].unique() if r != "total"]
    names = {r: KNOWN_REGION_NAMES.get(r, r) for r in ids} | dict(region_names or {})
    colours = region_colours(ids)
    table = in_reading_order(table, names)
    base = plans[0]
    facts = pd.DataFrame(
        {
            loc._("Plan"): plans,
            loc._("Start week"): [
                loc.week(v.summary["start_week"]) if v.summary.get("start_week") else "" for v in views
            ],
            loc._("Weeks"): [v.summary.get("horizon_weeks", "") for v in views],
            column_label("treated", loc): [
                loc.patients(float(v.summary.get("objective_terms", {}).get("treated", 0.0))) for v in views
            ],
        }
    )
    shown = comparison_table(table, names, loc)
    text = comparison_text(table, shown, loc)
    right = tuple(text.columns[2:])
    body = [
        "<h1>" + html.escape(loc._("Comparison of {n} plans").format(n=len(plans))) + "</h1>",
        "<p class='lead'>"
        + html.escape(
            loc._(
                "Each plan's results per home region and in total, against the first plan ({base}). Days beyond "
                "90 days count 7 days per patient and week over the care guarantee; lower is better."
            ).format(base=base)
        )
        + "</p>",
        table_html(facts, loc, caption=loc._("Plans compared"), right=(column_label("treated", loc),)),
    ]
    for i, plan in enumerate(plans[1:], start=1):
        outcome = against_base(table, plan, base, names, loc)
        caption = loc._("Winners and losers: {plan} against {base}").format(plan=plan, base=base)
        body += ["<h2>" + html.escape(caption) + "</h2>", table_html(outcome, loc, verdict_column=loc._("Verdict"))]
        scenario = scenarios[i] if scenarios is not None and i < len(scenarios) else None
        lines = fairness_settings(scenario, loc)
        body.append("<ul class='note'>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>")
    patients = loc._("patients")
    body += [
        figure_html(
            plan_bars_figure(table, "breach_days_90", plans, names, COMPARE_DAYS_TITLE, loc._("days"), loc),
            loc._("How to read: one bar per plan in each home region; lower bars are better."),
        ),
        figure_html(
            plan_bars_figure(table, "over_90_end", plans, names, COMPARE_OVER_90_TITLE, patients, loc),
            loc._("How to read: patients still over 90 days at the end of the horizon; lower is better."),
        ),
        figure_html(
            cost_figure(table, views, plans, names, colours, loc),
            loc._(
                "How to read: what each home region pays under the price list (to other regions: internal "
                "transfers), and extra theatre days bought, in MSEK."
            ),
        ),
        figure_html(
            share_figure(views, plans, loc),
            loc._("How to read: the share of waiting patients over 90 days week by week, one line per plan."),
        ),
        "<h2>" + html.escape(loc._("Side by side")) + "</h2>",
        table_html(
            text,
            loc,
            caption=loc._("Every measure per home region and in total, with the difference to {base}").format(
                base=base
            ),
            right=right,
        ),
    ]
    title = loc._("capplan: comparison of {plans}").format(plans=", ".join(plans))
    return replace_text(path, page_html(title, body, loc, synthetic=synthetic))
