"""The plotly figures of a simulation: P10–P90 bands with the median, per week (in figures.py's style)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from presentation.figures import _layout
from presentation.i18n import N_, Locale
from presentation.labels import swedish_key

#: Metrics of simulation_bands.csv, as the figures title them (translated where shown).
METRIC_TITLES = {
    "waiting": N_("Patients waiting"),
    "over_90": N_("Waiting over 90 days"),
    "breach_days": N_("Breach-days in the week (past each priority's limit)"),
    "treated": N_("Treated in the week"),
}
MEDIAN_COLOUR = "rgb(31, 119, 180)"


def _rgba(colour: str, alpha: float) -> str:
    """A plotly colour (`#rrggbb` or `rgb(r, g, b)`) with transparency."""
    if colour.startswith("#") and len(colour) == 7:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        return f"rgba({r}, {g}, {b}, {alpha})"
    if colour.startswith("rgb("):
        return colour.replace("rgb(", "rgba(").replace(")", f", {alpha})")
    return colour


def _band(fig: go.Figure, rows: pd.DataFrame, name: str, colour: str, row: int, legend: bool) -> None:
    """P10–P90 as a filled band (upper edge, then lower edge filled to it) and P50 as a line."""
    common = {"x": rows["week"], "legendgroup": name, "hoverinfo": "x+y"}
    fig.add_trace(go.Scatter(y=rows["p90"], line={"width": 0}, showlegend=False, name=f"{name} P90", **common), row, 1)
    fig.add_trace(
        go.Scatter(
            y=rows["p10"],
            fill="tonexty",
            fillcolor=_rgba(colour, 0.18),
            line={"width": 0},
            showlegend=False,
            name=f"{name} P10",
            **common,
        ),
        row,
        1,
    )
    fig.add_trace(
        go.Scatter(y=rows["p50"], name=name, line={"color": colour}, showlegend=legend, mode="lines", **common), row, 1
    )


def simulation_total_figure(bands: pd.DataFrame, draws: int, loc: Locale) -> go.Figure:
    """Waiting, over 90 days and breach-days of all regions together: P10–P90 band, median line."""
    metrics = [m for m in ("waiting", "over_90", "breach_days") if m in set(bands["metric"])]
    titles = [loc._(METRIC_TITLES[m]) for m in metrics]
    fig = make_subplots(rows=len(metrics), cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=titles)
    total = bands[bands["level"] == "total"].sort_values("week")
    median = loc._("All regions (median)")
    for i, metric in enumerate(metrics, start=1):
        _band(fig, total[total["metric"] == metric], median, MEDIAN_COLOUR, i, legend=i == 1)
    title = loc._("Simulated outcome over {draws} draws: median and P10–P90 band").format(draws=draws)
    return _layout(fig, title, loc, height=260 * len(metrics))


def simulation_region_figure(
    bands: pd.DataFrame, names: Mapping[str, str], colours: Mapping[str, str], loc: Locale, metric: str = "over_90"
) -> go.Figure:
    """One metric per region: each region's P10–P90 band and median."""
    fig = make_subplots(rows=1, cols=1)
    rows = bands[(bands["level"] == "region") & (bands["metric"] == metric)].sort_values("week")
    groups = dict(list(rows.groupby("key", sort=True)))
    for region in sorted(groups, key=lambda r: swedish_key(names.get(r, r))):
        _band(fig, groups[region], names.get(region, region), colours.get(region, "grey"), 1, legend=True)
    title = loc._("{metric} per region: median and P10–P90 band").format(metric=loc._(METRIC_TITLES[metric]))
    return _layout(fig, title, loc, yaxis_title=loc._("patients"))
