"""A simulation run's bands as the results page shows them: P10–P90 bands with the median (P50) of
patients waiting and patients over 90 days, week by week, for all regions and for each region.

`simulation_view(bands, names, loc)` works on the run's `simulation_bands.csv` (long format: level, key,
week, metric, p10, p50, p90, mean, draws; `optimizer.simulation.bands`) and returns plain JSON: one
plotly figure dict per choice of the page's region selector, in whole patients.
"""

from __future__ import annotations

import json

import pandas as pd
from plotly.subplots import make_subplots

from api.web.labels import DatasetNames
from presentation.i18n import Locale
from presentation.labels import FONT, swedish_key
from presentation.production_plan import whole

#: The metrics shown, top to bottom (the bands also hold breach-days and treated: in the CSV and report).
SHOWN = ("waiting", "over_90")
BAND_COLOUR = "rgba(31, 119, 180, 0.20)"
MEDIAN_COLOUR = "rgb(31, 119, 180)"
#: The selector's value for all regions together (the bands' level `total`).
ALL = "total"


def _metric_titles(loc: Locale) -> dict[str, str]:
    return {"waiting": loc._("Patients waiting"), "over_90": loc._("Patients waiting over 90 days")}


def band_figure(rows: pd.DataFrame, title: str, loc: Locale) -> dict:
    """Waiting (top) and over 90 days (below) of one member of the bands: the P10–P90 band filled, the
    median as a line; values in whole patients, weeks as people write them."""
    titles = _metric_titles(loc)
    fig = make_subplots(
        rows=len(SHOWN), cols=1, shared_xaxes=True, vertical_spacing=0.12, subplot_titles=[titles[m] for m in SHOWN]
    )
    band_name, median_name = loc._("P10–P90 (8 of 10 draws)"), loc._("Median (P50)")
    for i, metric in enumerate(SHOWN, start=1):
        part = rows[rows["metric"] == metric].sort_values("week")
        x = [loc.week(w) for w in part["week"]]
        common = {"x": x, "mode": "lines", "hoverinfo": "x+y+name"}
        # the upper edge first, then the lower edge filled up to it ("tonexty")
        fig.add_scatter(y=whole(part["p90"]), name="P90", line={"width": 0}, showlegend=False, **common, row=i, col=1)
        fig.add_scatter(
            y=whole(part["p10"]),
            name=band_name,
            fill="tonexty",
            fillcolor=BAND_COLOUR,
            line={"width": 0},
            legendgroup="band",
            showlegend=i == 1,
            **common,
            row=i,
            col=1,
        )
        fig.add_scatter(
            y=whole(part["p50"]),
            name=median_name,
            line={"color": MEDIAN_COLOUR, "width": 2.5},
            legendgroup="median",
            showlegend=i == 1,
            **common,
            row=i,
            col=1,
        )
        fig.update_yaxes(title_text=loc._("patients"), rangemode="tozero", row=i, col=1)
    fig.update_layout(
        separators=",\u00a0" if loc.lang == "sv" else ".,",
        title={"text": title, "x": 0, "font": {"size": 16}},
        font={"family": FONT, "size": 13},
        margin={"l": 70, "r": 20, "t": 80, "b": 50},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.12},
        height=620,
    )
    return json.loads(fig.to_json())


def simulation_view(bands: pd.DataFrame, names: DatasetNames, loc: Locale) -> dict:
    """The region selector's choices (all regions first, then the regions in Swedish order) and a band
    figure for each, the number of draws, and a line on how to read the bands."""
    draws = int(bands["draws"].max()) if len(bands) else 0
    shown = bands[bands["metric"].isin(SHOWN)]
    members = shown.loc[shown["level"] == "region", "key"].unique()
    regions = sorted(members, key=lambda r: swedish_key(names.regions.get(r, r)))
    choices = [{"id": ALL, "name": loc._("All regions")}]
    choices += [{"id": r, "name": names.regions.get(r, r)} for r in regions]
    figures = {}
    for choice in choices:
        level = "total" if choice["id"] == ALL else "region"
        rows = shown[shown["level"] == level]
        if level == "region":
            rows = rows[rows["key"] == choice["id"]]
        title = loc._("{who}: simulated weeks over {draws} draws").format(who=choice["name"], draws=draws)
        figures[choice["id"]] = band_figure(rows, title, loc)
    how_to_read = loc._(
        "How to read the bands: the line is the median week by week (half of the {draws} draws lie above it, "
        "half below); the shaded band runs from P10 to P90, so in 8 of 10 draws the week's figure lay "
        "inside it. A wide band means the outcome is uncertain."
    ).format(draws=draws)
    return {"draws": draws, "choices": choices, "figures": figures, "how_to_read": how_to_read}
