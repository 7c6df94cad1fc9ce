"""Reports people look at: one self-contained HTML page per plan or comparison, and an Excel workbook.

The HTML files carry plotly.js inline (once, in the page head), so they open offline, from a mail
attachment or a file share. Figures use the same colour for a region everywhere, Swedish region
names where the dataset has them, and say what their axes count. Numbers are written with a space
between thousands and a decimal point (``1 234.5``), which reads the same in Swedish and English.

The Excel workbook has one sheet per table with the same column names as the CSV result files, so a
planner can filter and pivot there what the report only summarises.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative, sequential
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from optimizer.compare import ResultView
from optimizer.plan import PlanResult, collaboration_value
from optimizer.results import cumulative_treated, waiting_bands

#: Region names of Sjukvårdsregion Mellansverige by the bundled dataset's ids, used when a table
#: carries only ids (a comparison of result folders) and no dataset names are given.
KNOWN_REGION_NAMES = {
    "dalarna": "Region Dalarna",
    "gavleborg": "Region Gävleborg",
    "sormland": "Region Sörmland",
    "uppsala": "Region Uppsala",
    "varmland": "Region Värmland",
    "vastmanland": "Region Västmanland",
    "orebro": "Region Örebro län",
}
REGION_PALETTE = qualitative.Safe[:10] + qualitative.Dark2
PLAN_PALETTE = qualitative.Bold
BAND_COLOURS = [sequential.YlOrRd[i] for i in (1, 2, 3, 5, 6, 7, 8)]
OVER_90_BANDS = ("91-120", "121-180", "181-365", "366+")
LEVEL_ORDER = {"university": 0, "county": 1, "district": 2, "private": 3}
FONT = "Segoe UI, Helvetica, Arial, sans-serif"

#: Plain-language column headings of the HTML tables (the Excel sheets keep the file column names).
LABELS = {
    "region_id": "Region",
    "payer_region": "Home region (pays)",
    "provider_region": "Treating region",
    "hospital_id": "Hospital",
    "resource": "Resource",
    "specialty": "Specialty",
    "week": "Week",
    "metric": "Measure",
    "patients": "Patients",
    "amount_sek": "Amount (SEK)",
    "breach_days_90": "Breach-days > 90",
    "breach_days_180": "Breach-days > 180",
    "breach_days_365": "Breach-days > 365",
    "weighted_breach_days": "Weighted breach-days",
    "over_90_end": "Over 90 days at end",
    "over_180_end": "Over 180 days at end",
    "over_365_end": "Over 365 days at end",
    "share_over_90_end": "Share over 90 days at end",
    "treated": "Treated",
    "treated_elsewhere": "Treated in another region",
    "cost_sek": "Paid (SEK)",
    "received_sek": "Received (SEK)",
    "patient_km": "Patient-km",
    "theatre_utilisation": "Theatre utilisation",
    "saving_per_extra_day": "Objective saved per extra day",
    "waiting_days": "Waiting days",
    "weighted_breach_days_saved": "Weighted breach-days saved",
    "breach_days_90_saved": "Breach-days > 90 saved",
    "over_90_end_saved": "Over 90 at end: fewer",
    "extra_cost_sek": "Extra cost (SEK)",
}
PERCENT_COLUMNS = ("share_over_90_end", "theatre_utilisation", "utilisation", "share_over_90")


# --------------------------------------------------------------------------------------------------
# Names, colours and number formats


def region_names(result: PlanResult) -> dict[str, str]:
    """Display name per region id: the dataset's name, else a known Mellansverige name, else the id."""
    regions = result.instance.dataset.regions
    names = dict(zip(regions["region_id"], regions["name"], strict=True))
    return {r: (n if isinstance(n, str) and n and n != r else KNOWN_REGION_NAMES.get(r, r)) for r, n in names.items()}


def region_colours(region_ids) -> dict[str, str]:
    """One colour per region id, assigned in sorted id order so every report agrees."""
    ids = sorted({str(r) for r in region_ids if str(r) != "total"})
    return {r: REGION_PALETTE[i % len(REGION_PALETTE)] for i, r in enumerate(ids)}


_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}"})  # the three characters after z in ASCII


def swedish_key(name: str) -> str:
    """Sort key putting å, ä, ö after z, as Swedish readers expect (Västmanland before Örebro)."""
    return str(name).casefold().translate(_SWEDISH_ORDER)


def _number(value, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return f"{value:,d}".replace(",", "\u00a0")
    if isinstance(value, (float, np.floating)):
        return f"{value:,.{decimals}f}".replace(",", "\u00a0")
    return str(value)


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
                cells.append(f"<td class='num'>{_number(100 * value)}\u00a0%</td>")
            elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
                cells.append(f"<td class='num'>{_number(value)}</td>")
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _layout(fig: go.Figure, title: str, height: int = 480, **axes) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        height=height,
        template="plotly_white",
        font={"family": FONT, "size": 13},
        separators=". ",
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
        legend={"orientation": "v"},
        **axes,
    )
    return fig


# --------------------------------------------------------------------------------------------------
# Plan figures

WAITING_TITLE = "Waiting over time per region, and the 90-day care guarantee"
THEATRE_TITLE = "Theatre utilisation per hospital and week"
BEDS_TITLE = "Bed-day utilisation per hospital and week"
FLOWS_TITLE = "Patients by home region and treating region"
BANDS_TITLE = "Waiting-time bands at plan start and at end of horizon"
BANDS_REGION_TITLE = "Waiting-time bands per region, plan start and end of horizon"


def waiting_figure(kpis: pd.DataFrame, names: Mapping[str, str], colours: Mapping[str, str]) -> go.Figure:
    """Patients waiting (solid) and over 90 days (dashed) per region and week; share over 90 below."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.09,
        row_heights=[0.6, 0.4],
        subplot_titles=(
            "Patients waiting (solid) and waiting over 90 days (dashed)",
            "Share of waiting patients over 90 days",
        ),
    )
    groups = dict(list(kpis.sort_values("t").groupby("region_id", sort=True)))
    for region in sorted(groups, key=lambda r: swedish_key(names.get(r, r))):
        rows = groups[region]
        name, colour = names.get(region, region), colours.get(region, "grey")
        common = {"x": rows["week"], "legendgroup": region, "line": {"color": colour}}
        fig.add_trace(
            go.Scatter(
                y=rows["waiting"],
                name=name,
                mode="lines+markers",
                marker={"size": 4},
                hovertemplate=f"{html.escape(name)}<br>%{{x}}: %{{y:,.0f}} waiting<extra></extra>",
                **common,
            ),
            row=1,
            col=1,
        )
        hover = f"{html.escape(name)}<br>%{{x}}: "
        fig.add_trace(
            go.Scatter(
                y=rows["over_90"],
                name=f"{name}, over 90 days",
                mode="lines",
                showlegend=False,
                line={"color": colour, "dash": "dash", "width": 2.5},
                x=rows["week"],
                legendgroup=region,
                hovertemplate=hover + "%{y:,.0f} over 90 days<extra></extra>",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                y=100 * rows["share_over_90"],
                name=name,
                mode="lines",
                showlegend=False,
                hovertemplate=hover + "%{y:.1f} % over 90 days<extra></extra>",
                **common,
            ),
            row=2,
            col=1,
        )
    fig.update_yaxes(title_text="patients", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="% over 90 days", rangemode="tozero", ticksuffix=" %", row=2, col=1)
    fig.update_xaxes(type="category", row=1, col=1)
    fig.update_xaxes(type="category", title_text="ISO week (end of week)", row=2, col=1)
    return _layout(fig, WAITING_TITLE, height=720)


def _hospital_labels(result: PlanResult, names: Mapping[str, str]) -> pd.DataFrame:
    """hospital_id → display label, ordered by region, level and name."""
    hospitals = result.instance.dataset.hospitals.copy()
    hospitals["region_name"] = hospitals["region_id"].map(lambda r: names.get(r, r))
    hospitals["order"] = hospitals["level"].map(LEVEL_ORDER).fillna(9)
    hospitals = hospitals.sort_values(
        ["region_name", "order", "name"], key=lambda c: c.map(swedish_key) if c.name != "order" else c
    )
    hospitals["label"] = hospitals["name"].astype(str) + " · " + hospitals["region_name"]
    return hospitals[["hospital_id", "label"]]


def utilisation_heatmap(
    use: pd.DataFrame, used: str, available: str, labels: pd.DataFrame, weeks: list[str], title: str, unit: str
) -> go.Figure:
    """Heat map hospital × week of Σused / Σavailable; blank where the hospital has nothing available."""
    sums = use.groupby(["hospital_id", "week"])[[used, available]].sum()
    share = (sums[used] / sums[available].where(sums[available] > 0)).unstack("week")
    order = labels[labels["hospital_id"].isin(sums.index.get_level_values(0))]
    share = share.reindex(index=order["hospital_id"], columns=weeks)
    used_grid = sums[used].unstack("week").reindex(index=order["hospital_id"], columns=weeks)
    avail_grid = sums[available].unstack("week").reindex(index=order["hospital_id"], columns=weeks)
    z = 100 * share.to_numpy(dtype=float)
    text = {"texttemplate": "%{z:.0f}", "textfont": {"size": 9}} if z.size <= 400 else {}  # else hover only
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=weeks,
            y=order["label"].tolist(),
            zmin=0,
            zmax=max(100.0, float(np.nanmax(z, initial=0.0))),
            colorscale="Blues",
            colorbar={"title": {"text": "% used"}, "ticksuffix": " %"},
            xgap=1,
            ygap=1,
            **text,
            customdata=np.dstack([used_grid.to_numpy(dtype=float), avail_grid.to_numpy(dtype=float)]),
            hovertemplate="%{y}<br>%{x}: %{z:.0f} % used<br>%{customdata[0]:,.1f} of %{customdata[1]:,.1f} "
            + unit
            + "<extra></extra>",
        )
    )
    fig.update_xaxes(type="category", title_text="ISO week")
    fig.update_yaxes(autorange="reversed", title_text="")
    return _layout(fig, title, height=max(320, 140 + 24 * len(order)))


def flows_figure(result: PlanResult, names: Mapping[str, str]) -> go.Figure:
    """Matrix of patients planned for surgery: home region (rows) × treating hospital's region (columns)."""
    alloc = result.lp.allocations
    provider = result.instance.dataset.hospitals.set_index("hospital_id")["region_id"]
    regions = sorted(set(result.instance.dataset.regions["region_id"]), key=lambda r: swedish_key(names.get(r, r)))
    matrix = (
        alloc.assign(provider_region=alloc["hospital_id"].map(provider))
        .pivot_table(index="region_id", columns="provider_region", values="patients", aggfunc="sum")
        .reindex(index=regions, columns=regions)
        .fillna(0.0)
    )
    z = matrix.to_numpy(dtype=float)
    row_share = np.divide(z, z.sum(axis=1, keepdims=True), out=np.zeros_like(z), where=z.sum(axis=1, keepdims=True) > 0)
    labels = [names.get(r, r) for r in regions]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            colorscale="Purples",
            colorbar={"title": {"text": "patients"}},
            texttemplate="%{z:,.0f}",
            xgap=2,
            ygap=2,
            customdata=100 * row_share,
            hovertemplate="Home region %{y}<br>treated in %{x}: %{z:,.1f} patients"
            "<br>(%{customdata:.1f} % of the home region's planned operations)<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="treating region (hospital's region)", side="bottom")
    fig.update_yaxes(title_text="home region", autorange="reversed")
    return _layout(fig, FLOWS_TITLE + " (diagonal: treated at home)", height=max(380, 160 + 50 * len(regions)))


def band_tables(result: PlanResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Waiting patients per region and band at the plan start and at the end of the horizon."""
    before = waiting_bands(result.instance)
    after = waiting_bands(result.instance, cumulative_treated(result.instance, result.y))
    return before, after


def bands_figure(before: pd.DataFrame, after: pd.DataFrame, weeks: list[str]) -> go.Figure:
    """Grouped bars per band, summed over regions, with the 90-day line between 61-90 and 91-120."""
    fig = go.Figure()
    for table, name, colour in (
        (before, f"Plan start ({weeks[0]})", "#9e9e9e"),
        (after, f"End of horizon ({weeks[-1]})", "#1f5fa8"),
    ):
        totals = table.groupby("band", observed=False)["patients"].sum()
        fig.add_trace(
            go.Bar(
                x=[str(b) for b in totals.index],
                y=totals.to_numpy(),
                name=name,
                marker_color=colour,
                texttemplate="%{y:,.0f}",
                textposition="outside",
                hovertemplate=f"{name}<br>%{{x}} days: %{{y:,.1f}} patients<extra></extra>",
            )
        )
    bands = [str(b) for b in before["band"].cat.categories] if hasattr(before["band"], "cat") else []
    if "91-120" in bands:
        fig.add_vline(
            x=bands.index("91-120") - 0.5,
            line_dash="dash",
            line_color="#c0392b",
            annotation_text="90-day care guarantee",
            annotation_position="top right",
        )
    fig.update_xaxes(type="category", title_text="days waited")
    fig.update_yaxes(title_text="patients waiting", rangemode="tozero")
    return _layout(fig, BANDS_TITLE, barmode="group")


def bands_region_figure(
    before: pd.DataFrame, after: pd.DataFrame, names: Mapping[str, str], weeks: list[str]
) -> go.Figure:
    """Stacked bands per region: one bar at the plan start and one at the end of the horizon."""
    whens = ["start", "end"]
    both = pd.concat([before.assign(when=whens[0]), after.assign(when=whens[1])])
    both["region"] = both["region_id"].map(lambda r: names.get(r, r))
    regions = sorted(both["region"].unique(), key=swedish_key)
    fig = go.Figure()
    bands = [str(b) for b in both["band"].cat.categories] if hasattr(both["band"], "cat") else sorted(both["band"])
    for band, colour in zip(bands, BAND_COLOURS * 2, strict=False):
        grid = (
            both[both["band"].astype(str) == band]
            .pivot_table(index="region", columns="when", values="patients", aggfunc="sum")
            .reindex(index=regions, columns=whens)
            .fillna(0.0)
        )
        x = [[r for r in regions for _ in whens], [w for _ in regions for w in whens]]
        fig.add_trace(
            go.Bar(
                x=x,
                y=grid.to_numpy().ravel(),
                name=f"{band} days",
                marker_color=colour,
                hovertemplate=f"%{{x}}<br>{band} days: %{{y:,.1f}} patients<extra></extra>",
            )
        )
    fig.update_yaxes(title_text="patients waiting", rangemode="tozero")
    fig.update_xaxes(title_text=f"home region: start = plan start ({weeks[0]}), end = end of horizon ({weeks[-1]})")
    return _layout(fig, BANDS_REGION_TITLE, barmode="stack", legend_title_text="days waited")


# --------------------------------------------------------------------------------------------------
# HTML pages

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


def _write_atomic(path: str | os.PathLike, write) -> Path:
    """Call `write(temporary_path)` and move the file into `path` only when it is complete."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _write_text(path: str | os.PathLike, text: str) -> Path:
    return _write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def _with_names(
    table: pd.DataFrame, names: Mapping[str, str], columns=("region_id", "payer_region", "provider_region")
) -> pd.DataFrame:
    table = table.copy()
    for column in columns:
        if column in table:
            table[column] = table[column].map(lambda r: names.get(r, "Total" if r == "total" else r))
    return table


def _header(result: PlanResult, before: pd.DataFrame, names: Mapping[str, str]) -> str:
    scenario, terms, weeks = result.scenario, result.lp.terms, result.instance.weeks
    w = scenario.weights
    over_90_start = float(before[before["band"].astype(str).isin(OVER_90_BANDS)]["patients"].sum())
    kpis = result.lp.region_kpis
    last = kpis[kpis["t"] == kpis["t"].max()]
    over_90_end, waiting_end = float(last["over_90"].sum()), float(last["waiting"].sum())
    lead = (
        f"Over {len(weeks)} weeks ({weeks[0]} to {weeks[-1]}) the plan schedules surgery for "
        f"<b>{_number(terms['treated'], 0)}</b> patients from {len(names)} regions. Patients waiting more "
        f"than 90 days (the care guarantee): <b>{_number(over_90_start, 0)}</b> at the start, "
        f"<b>{_number(over_90_end, 0)}</b> of {_number(waiting_end, 0)} still waiting at the end of the horizon."
    )
    contributions = [
        ("Breach-days over 90 days", terms["breach_days_90"], w.over_90, w.over_90 * terms["breach_days_90"]),
        ("Breach-days over 180 days", terms["breach_days_180"], w.over_180, w.over_180 * terms["breach_days_180"]),
        ("Breach-days over 365 days", terms["breach_days_365"], w.over_365, w.over_365 * terms["breach_days_365"]),
        ("Waiting days (all patients)", terms["waiting_days"], w.waiting, w.waiting * terms["waiting_days"]),
        ("Cost (kSEK)", terms["cost_sek"] / 1000, w.cost_per_ksek, w.cost_per_ksek * terms["cost_sek"] / 1000),
        ("Patient travel (km)", terms["patient_km"], w.travel_per_km, w.travel_per_km * terms["patient_km"]),
    ]
    objective = pd.DataFrame(contributions, columns=["term", "value", "weight", "contribution to objective"])
    objective["weight"] = [f"{v:g}" for v in objective["weight"]]  # weights like 0.05 need their digits
    seconds = result.seconds
    facts = {
        "Scenario": html.escape(scenario.name),
        "Weeks": f"{weeks[0]} – {weeks[-1]} ({len(weeks)} weeks)",
        "Status": html.escape(result.status),
        "Objective (lower is better)": _number(result.objective, 1),
        "Treated": _number(terms["treated"], 1) + f" (integer plan: {_number(result.integer.terms['treated'], 0)})",
        "Cost": f"{_number(terms['cost_sek'] / 1e6, 2)} MSEK",
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
    body += [
        "<h2>Tables</h2>",
        _table_html(totals, caption="Region totals over the horizon (per home region)"),
        _table_html(payments, caption="Payments under the price list (home region pays the treating region)"),
        _table_html(prices, caption="Top 20 shadow prices: objective saved by one more theatre day or bed-day"),
    ]
    if standalone is not None:
        value = _with_names(collaboration_value(result, standalone), names)
        body += [
            "<h2>Value of collaboration</h2><p class='note'>The joint plan against each region planning "
            "alone on its own hospitals. Positive 'saved' columns: the region is better off together.</p>",
            _table_html(value, caption="Joint plan against the standalone baseline"),
        ]
    return _write_text(path, _page(f"capplan: {result.scenario.name}", body))


# --------------------------------------------------------------------------------------------------
# Comparison page

COMPARE_BREACH_TITLE = "Weighted breach-days per region and plan"
COMPARE_OVER_90_TITLE = "Patients over 90 days at the end of the horizon, per region and plan"
COMPARE_COST_TITLE = "Cost per plan"
COMPARE_SHARE_TITLE = "Share waiting over 90 days over time, all regions"


def _plan_bars(
    table: pd.DataFrame, metric: str, plans: list[str], names: Mapping[str, str], title: str, unit: str
) -> go.Figure:
    rows = table[(table["metric"] == metric) & (table["region_id"] != "total")]
    rows = rows.sort_values("region_id", key=lambda c: c.map(lambda r: swedish_key(names.get(r, r))))
    regions = [names.get(r, r) for r in rows["region_id"]]
    fig = go.Figure()
    for i, plan_name in enumerate(plans):
        fig.add_trace(
            go.Bar(
                x=regions,
                y=rows[plan_name].to_numpy(dtype=float),
                name=plan_name,
                marker_color=PLAN_PALETTE[i % len(PLAN_PALETTE)],
                hovertemplate=f"{html.escape(plan_name)}<br>%{{x}}: %{{y:,.0f}} {unit}<extra></extra>",
            )
        )
    fig.update_yaxes(title_text=unit, rangemode="tozero")
    fig.update_xaxes(title_text="home region")
    return _layout(fig, title, barmode="group", legend_title_text="plan")


def _cost_figure(
    table: pd.DataFrame, views: list[ResultView], plans: list[str], names: Mapping[str, str], colours: Mapping[str, str]
) -> go.Figure:
    """Stacked MSEK per plan: paid by each home region, plus extra capacity bought (objective cost − paid)."""
    rows = table[(table["metric"] == "cost_sek") & (table["region_id"] != "total")]
    fig = go.Figure()
    for _, row in rows.iterrows():
        region = row["region_id"]
        fig.add_trace(
            go.Bar(
                x=plans,
                y=row[plans].to_numpy(dtype=float) / 1e6,
                name=names.get(region, region),
                marker_color=colours.get(region, "grey"),
                hovertemplate="%{x}<br>"
                + html.escape(names.get(region, region))
                + " pays %{y:,.2f} MSEK<extra></extra>",
            )
        )
    paid = rows[plans].sum().to_numpy(dtype=float)
    total = np.array(
        [float(v.summary.get("objective_terms", {}).get("cost_sek", p)) for v, p in zip(views, paid, strict=True)]
    )
    if np.any(total - paid > 1.0):
        fig.add_trace(
            go.Bar(
                x=plans,
                y=np.clip(total - paid, 0, None) / 1e6,
                name="extra capacity",
                marker_color="#555",
                hovertemplate="%{x}<br>extra capacity %{y:,.2f} MSEK<extra></extra>",
            )
        )
    fig.update_yaxes(title_text="MSEK", rangemode="tozero")
    fig.update_xaxes(title_text="plan", type="category")
    return _layout(fig, COMPARE_COST_TITLE + " (MSEK, by paying region)", barmode="stack")


def _share_figure(views: list[ResultView], plans: list[str]) -> go.Figure:
    fig = go.Figure()
    for i, (plan_name, view) in enumerate(zip(plans, views, strict=True)):
        sums = view.region_kpis.groupby(["t", "week"], as_index=False)[["over_90", "waiting"]].sum().sort_values("t")
        share = 100 * sums["over_90"] / sums["waiting"].where(sums["waiting"] > 0)
        fig.add_trace(
            go.Scatter(
                x=sums["week"],
                y=share,
                name=plan_name,
                mode="lines+markers",
                line={"color": PLAN_PALETTE[i % len(PLAN_PALETTE)]},
                hovertemplate=f"{html.escape(plan_name)}<br>%{{x}}: %{{y:.1f}} %<extra></extra>",
            )
        )
    fig.update_yaxes(title_text="% of waiting patients over 90 days", ticksuffix=" %", rangemode="tozero")
    fig.update_xaxes(title_text="ISO week (end of week)", type="category")
    return _layout(fig, COMPARE_SHARE_TITLE, legend_title_text="plan")


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
            f"{_number(100 * v)}\u00a0%" if p else v for v, p in zip(shown[plan_name], percent_rows, strict=True)
        ]
    body = [
        f"<h1>Comparison of {len(plans)} plans</h1>",
        "<p class='lead'>Each plan's results per home region and in total. Breach-days count 7 days per "
        "patient and week over the threshold; lower is better.</p>",
        _table_html(pd.DataFrame(facts), caption="Plans compared"),
        _figure_html(
            _plan_bars(table, "weighted_breach_days", plans, names, COMPARE_BREACH_TITLE, "weighted breach-days")
        ),
        _figure_html(_plan_bars(table, "over_90_end", plans, names, COMPARE_OVER_90_TITLE, "patients")),
        _figure_html(_cost_figure(table, views, plans, names, colours)),
        _figure_html(_share_figure(views, plans)),
        "<h2>Side by side</h2>",
        _table_html(shown, percent=(), caption="Every measure per home region and in total"),
    ]
    return _write_text(path, _page("capplan: comparison of " + ", ".join(plans), body))


# --------------------------------------------------------------------------------------------------
# Tables and Excel


def plan_tables(result: PlanResult) -> dict[str, pd.DataFrame]:
    """Every table of a plan by sheet name (LP tables, integer plan, bands, collaboration if attached)."""
    before, after = band_tables(result)
    tables = {
        "allocations": result.lp.allocations,
        "integer_plan": result.integer.allocations,
        "region_kpis": result.lp.region_kpis,
        "region_totals": result.lp.region_totals,
        "theatre_use": result.lp.theatre_use,
        "bed_use": result.lp.bed_use,
        "payments": result.lp.payments,
        "shadow_prices": result.shadow_prices,
        "waiting_bands_before": before.assign(band=before["band"].astype(str)),
        "waiting_bands_after": after.assign(band=after["band"].astype(str)),
    }
    if result.standalone is not None:
        tables["collaboration"] = collaboration_value(result, result.standalone)
    return {name: table.reset_index(drop=True) for name, table in tables.items()}


EXCEL_MAX_ROWS = 1_048_575  # below the header
_INVALID_SHEET_CHARACTERS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _sheet_names(names) -> list[str]:
    """Excel-safe sheet names: no []:*?/\\, at most 31 characters, unique (case-insensitively)."""
    out: list[str] = []
    for name in names:
        base = (str(name).translate(_INVALID_SHEET_CHARACTERS).strip("'") or "sheet")[:31]
        candidate, i = base, 1
        while candidate.lower() in {o.lower() for o in out}:
            i += 1
            candidate = f"{base[: 31 - len(str(i)) - 1]}~{i}"
        out.append(candidate)
    return out


def _cell_value(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _number_format(column: str, series: pd.Series) -> str | None:
    """Excel number format of a column: percentages for shares, thousands for other numbers."""
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_float_dtype(series):
        return "0.0%" if column in PERCENT_COLUMNS else "#,##0.00"
    if pd.api.types.is_integer_dtype(series):
        return "#,##0"
    return None


def _write_sheet(sheet, table: pd.DataFrame, header_font, header_fill) -> None:
    """Header row (bold, filled, frozen, with a filter), the rows, number formats and column widths."""
    from openpyxl.utils import get_column_letter

    table = table.reset_index(drop=True)
    for column in table.columns:  # object columns holding only numbers (e.g. optional extra days)
        if pd.api.types.is_object_dtype(table[column]):
            numeric = pd.to_numeric(table[column], errors="coerce")
            if numeric.notna().sum() == table[column].notna().sum():
                table[column] = numeric
    sheet.append([str(c) for c in table.columns])
    for record in table.itertuples(index=False, name=None):
        sheet.append([_cell_value(v) for v in record])
    for i, column in enumerate(table.columns, start=1):
        letter = get_column_letter(i)
        sheet[f"{letter}1"].font, sheet[f"{letter}1"].fill = header_font, header_fill
        fmt = _number_format(str(column), table[column])
        if fmt and len(table):
            for (cell,) in sheet.iter_rows(min_row=2, max_row=len(table) + 1, min_col=i, max_col=i):
                cell.number_format = fmt
        sample = [_number(v, 2) if fmt else str(v) for v in table[column].head(500)]
        width = max([len(str(column))] + [len(s) for s in sample]) + 2
        sheet.column_dimensions[letter].width = min(max(width, 8), 60)
    sheet.freeze_panes = "A2"
    if len(table.columns):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"


def excel_export(tables: dict[str, pd.DataFrame], path: str | os.PathLike) -> Path:
    """Write one sheet per table into an .xlsx workbook (atomically) and return its path.

    Column names as in the CSV files, header bold and frozen with a filter, widths from the content,
    numbers formatted (shares and utilisation as percentages).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")
    for sheet_name, table in zip(_sheet_names(tables), tables.values(), strict=True):
        if len(table) > EXCEL_MAX_ROWS:
            raise ValueError(f"table {sheet_name} has {len(table)} rows, more than an Excel sheet holds")
        _write_sheet(workbook.create_sheet(sheet_name), table, header_font=bold, header_fill=fill)
    if not workbook.sheetnames:
        workbook.create_sheet("empty")
    return _write_atomic(path, workbook.save)
