"""The plotly figures of the plan and comparison reports (also used by the notebooks)."""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.shares import share
from optimizer import PlanResult, ResultView, cumulative_treated, waiting_bands
from presentation.i18n import Locale
from presentation.labels import (
    BAND_COLOURS,
    BANDS_REGION_TITLE,
    BANDS_TITLE,
    COMPARE_COST_TITLE,
    COMPARE_SHARE_TITLE,
    FLOWS_TITLE,
    FONT,
    LEVEL_ORDER,
    PLAN_PALETTE,
    WAITING_TITLE,
    swedish_key,
)


def _locale(loc: Locale | None) -> Locale:
    return loc if loc is not None else Locale.for_lang()


def _layout(fig: go.Figure, title: str, loc: Locale, height: int = 480, **axes) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        height=height,
        template="plotly_white",
        font={"family": FONT, "size": 13},
        separators=loc.plotly_separators,
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
        legend={"orientation": "v"},
        **axes,
    )
    return fig


# --------------------------------------------------------------------------------------------------
# Plan figures


def waiting_figure(
    kpis: pd.DataFrame, names: Mapping[str, str], colours: Mapping[str, str], loc: Locale | None = None
) -> go.Figure:
    """Patients waiting (solid) and over 90 days (dashed) per region and week; share over 90 below."""
    loc = _locale(loc)
    waiting_word, over_word = loc._("waiting"), loc._("over 90 days")
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.09,
        row_heights=[0.6, 0.4],
        subplot_titles=(
            loc._("Patients waiting (solid) and waiting over 90 days (dashed)"),
            loc._("Share of waiting patients over 90 days"),
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
                hovertemplate=f"{html.escape(name)}<br>%{{x}}: %{{y:,.0f}} {waiting_word}<extra></extra>",
                **common,
            ),
            row=1,
            col=1,
        )
        hover = f"{html.escape(name)}<br>%{{x}}: "
        fig.add_trace(
            go.Scatter(
                y=rows["over_90"],
                name=f"{name}, {over_word}",
                mode="lines",
                showlegend=False,
                line={"color": colour, "dash": "dash", "width": 2.5},
                x=rows["week"],
                legendgroup=region,
                hovertemplate=hover + "%{y:,.0f} " + over_word + "<extra></extra>",
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
                hovertemplate=hover + "%{y:.1f} % " + over_word + "<extra></extra>",
                **common,
            ),
            row=2,
            col=1,
        )
    fig.update_yaxes(title_text=loc._("patients"), rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=loc._("% over 90 days"), rangemode="tozero", ticksuffix=" %", row=2, col=1)
    fig.update_xaxes(type="category", row=1, col=1)
    fig.update_xaxes(type="category", title_text=loc._("ISO week (end of week)"), row=2, col=1)
    return _layout(fig, loc._(WAITING_TITLE), loc, height=720)


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
    use: pd.DataFrame,
    used: str,
    available: str,
    labels: pd.DataFrame,
    weeks: list[str],
    title: str,
    unit: str,
    loc: Locale | None = None,
) -> go.Figure:
    """Heat map hospital × week of Σused / Σavailable; blank where the hospital has nothing available."""
    loc = _locale(loc)
    sums = use.groupby(["hospital_id", "week"])[[used, available]].sum()
    share_used = share(sums[used], sums[available], empty=np.nan).unstack("week")
    order = labels[labels["hospital_id"].isin(sums.index.get_level_values(0))]
    share_used = share_used.reindex(index=order["hospital_id"], columns=weeks)
    used_grid = sums[used].unstack("week").reindex(index=order["hospital_id"], columns=weeks)
    avail_grid = sums[available].unstack("week").reindex(index=order["hospital_id"], columns=weeks)
    z = 100 * share_used.to_numpy(dtype=float)
    text = {"texttemplate": "%{z:.0f}", "textfont": {"size": 9}} if z.size <= 400 else {}  # else hover only
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=weeks,
            y=order["label"].tolist(),
            zmin=0,
            zmax=max(100.0, float(np.nanmax(z, initial=0.0))),
            colorscale="Blues",
            colorbar={"title": {"text": loc._("% used")}, "ticksuffix": " %"},
            xgap=1,
            ygap=1,
            **text,
            customdata=np.dstack([used_grid.to_numpy(dtype=float), avail_grid.to_numpy(dtype=float)]),
            hovertemplate="%{y}<br>%{x}: %{z:.0f} % "
            + loc._("used")
            + "<br>%{customdata[0]:,.1f} / %{customdata[1]:,.1f} "
            + unit
            + "<extra></extra>",
        )
    )
    fig.update_xaxes(type="category", title_text=loc._("ISO week"))
    fig.update_yaxes(autorange="reversed", title_text="")
    return _layout(fig, loc._(title), loc, height=max(320, 140 + 24 * len(order)))


def pressure_heatmap(
    pressure: pd.DataFrame, labels: pd.DataFrame, weeks: list[str], title: str, unit: str, loc: Locale | None = None
) -> go.Figure:
    """Heat map hospital × week of what binds (`presentation.capacity_pressure`): idle capacity in
    blue, shortage in red, white where capacity is used in full and nobody over the limit waits."""
    loc = _locale(loc)
    order = labels[labels["hospital_id"].isin(pressure["hospital_id"])]

    def grid(column: str) -> np.ndarray:
        table = pressure.pivot_table(index="hospital_id", columns="week", values=column, aggfunc="first")
        return table.reindex(index=order["hospital_id"], columns=weeks).to_numpy(dtype=float)

    # one scale, two meanings: above 0 the share of the week's capacity left idle (0..1); below 0 the
    # weeks of capacity it would take to treat those over their limit, scaled so that the 90th
    # percentile of the shortages is the deepest red (a fixed cap would paint everything red)
    relative, slack, short, available = grid("relative"), grid("slack_days"), grid("short_days"), grid("available")
    weeks_short = -relative[relative < 0]
    cap = max(1.0, float(np.ceil(np.percentile(weeks_short, 90)))) if weeks_short.size else 1.0
    z = np.where(relative < 0, np.maximum(relative / cap, -1.0), np.minimum(relative, 1.0))
    text = {"texttemplate": "%{customdata[3]}", "textfont": {"size": 9}} if z.size <= 400 else {}
    idle, lacking, of_week = loc._("idle"), loc._("short"), loc._("available")
    weeks_word = loc._("weeks of capacity short")
    cell_text = np.where(
        relative < 0, np.char.mod("%.0f", np.nan_to_num(-relative)), np.char.mod("%.0f", 100 * np.nan_to_num(relative))
    )
    tick_values = [-1.0, -0.5, 0.0, 0.5, 1.0]
    tick_text = [
        loc._("≥ {n} weeks short").format(n=loc.number(cap)),
        loc._("{n} weeks short").format(n=loc.number(cap / 2, 1)),
        loc._("full"),
        loc._("{n} idle").format(n=loc.percent(0.5, 0)),
        loc._("{n} idle").format(n=loc.percent(1.0, 0)),
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=weeks,
            y=order["label"].tolist(),
            zmin=-1.0,
            zmax=1.0,
            zmid=0.0,
            colorscale="RdBu",
            colorbar={"title": {"text": unit}, "tickvals": tick_values, "ticktext": tick_text},
            xgap=1,
            ygap=1,
            **text,
            customdata=np.dstack([slack, short, available, cell_text, np.nan_to_num(-np.minimum(relative, 0))]),
            hovertemplate="%{y}<br>%{x}<br>"
            + idle
            + ": %{customdata[0]:,.1f} "
            + unit
            + "<br>"
            + lacking
            + ": %{customdata[1]:,.1f} "
            + unit
            + "<br>"
            + of_week
            + ": %{customdata[2]:,.1f} "
            + unit
            + "<br>"
            + weeks_word
            + ": %{customdata[4]:,.1f}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category", title_text=loc._("ISO week"))
    fig.update_yaxes(autorange="reversed", title_text="")
    return _layout(fig, loc._(title), loc, height=max(320, 140 + 24 * len(order)))


def flows_figure(result: PlanResult, names: Mapping[str, str], loc: Locale | None = None) -> go.Figure:
    """Matrix of patients planned for surgery (whole-patient plan): home region (rows) × treating
    hospital's region (columns)."""
    loc = _locale(loc)
    alloc = result.integer.allocations
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
            colorbar={"title": {"text": loc._("patients")}},
            texttemplate="%{z:,.0f}",
            xgap=2,
            ygap=2,
            customdata=100 * row_share,
            hovertemplate=loc._("Home region")
            + " %{y}<br>"
            + loc._("treated in")
            + " %{x}: %{z:,.0f} "
            + loc._("patients")
            + "<br>(%{customdata:.1f} % "
            + loc._("of the home region's planned operations")
            + ")<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=loc._("treating region (hospital's region)"), side="bottom")
    fig.update_yaxes(title_text=loc._("home region"), autorange="reversed")
    title = loc._(FLOWS_TITLE) + " " + loc._("(diagonal: treated at home)")
    return _layout(fig, title, loc, height=max(380, 160 + 50 * len(regions)))


def band_tables(result: PlanResult, whole_patient: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Waiting patients per region and band at the plan start and at the end of the horizon (of the LP,
    or with `whole_patient` of the whole-patient plan, the one handed out)."""
    y = result.integer_y if whole_patient else result.y
    before = waiting_bands(result.instance)
    after = waiting_bands(result.instance, cumulative_treated(result.instance, y))
    return before, after


def bands_figure(before: pd.DataFrame, after: pd.DataFrame, weeks: list[str], loc: Locale | None = None) -> go.Figure:
    """Grouped bars per band, summed over regions, with the 90-day line between 61-90 and 91-120."""
    loc = _locale(loc)
    fig = go.Figure()
    start_label = loc._("Plan start ({week})").format(week=loc.week(weeks[0]))
    end_label = loc._("End of horizon ({week})").format(week=loc.week(weeks[-1]))
    days_word, patients_word = loc._("days"), loc._("patients")
    for table, name, colour in ((before, start_label, "#9e9e9e"), (after, end_label, "#1f5fa8")):
        totals = table.groupby("band", observed=False)["patients"].sum()
        fig.add_trace(
            go.Bar(
                x=[str(b) for b in totals.index],
                y=totals.to_numpy(),
                name=name,
                marker_color=colour,
                texttemplate="%{y:,.0f}",
                textposition="outside",
                hovertemplate=f"{name}<br>%{{x}} {days_word}: %{{y:,.0f}} {patients_word}<extra></extra>",
            )
        )
    bands = [str(b) for b in before["band"].cat.categories] if hasattr(before["band"], "cat") else []
    if "91-120" in bands:
        fig.add_vline(
            x=bands.index("91-120") - 0.5,
            line_dash="dash",
            line_color="#c0392b",
            annotation_text=loc._("90-day care guarantee"),
            annotation_position="top right",
        )
    fig.update_xaxes(type="category", title_text=loc._("days waited"))
    fig.update_yaxes(title_text=loc._("patients waiting"), rangemode="tozero")
    return _layout(fig, loc._(BANDS_TITLE), loc, barmode="group")


def bands_region_figure(
    before: pd.DataFrame, after: pd.DataFrame, names: Mapping[str, str], weeks: list[str], loc: Locale | None = None
) -> go.Figure:
    """Stacked bands per region: one bar at the plan start and one at the end of the horizon."""
    loc = _locale(loc)
    whens = [loc._("start"), loc._("end")]
    days_word, patients_word = loc._("days"), loc._("patients")
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
                name=f"{band} {days_word}",
                marker_color=colour,
                hovertemplate=f"%{{x}}<br>{band} {days_word}: %{{y:,.0f}} {patients_word}<extra></extra>",
            )
        )
    fig.update_yaxes(title_text=loc._("patients waiting"), rangemode="tozero")
    axis = loc._("home region: start = plan start ({start}), end = end of horizon ({end})")
    fig.update_xaxes(title_text=axis.format(start=loc.week(weeks[0]), end=loc.week(weeks[-1])))
    return _layout(fig, loc._(BANDS_REGION_TITLE), loc, barmode="stack", legend_title_text=loc._("days waited"))


# --------------------------------------------------------------------------------------------------
# HTML pages


def plan_bars_figure(
    table: pd.DataFrame,
    metric: str,
    plans: list[str],
    names: Mapping[str, str],
    title: str,
    unit: str,
    loc: Locale | None = None,
) -> go.Figure:
    """Grouped bars: one metric of a comparison table per home region and plan."""
    loc = _locale(loc)
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
    fig.update_xaxes(title_text=loc._("home region"))
    return _layout(fig, loc._(title), loc, barmode="group", legend_title_text=loc._("plan"))


def cost_figure(
    table: pd.DataFrame,
    views: list[ResultView],
    plans: list[str],
    names: Mapping[str, str],
    colours: Mapping[str, str],
    loc: Locale | None = None,
) -> go.Figure:
    """Stacked MSEK per plan: paid under the price list by each home region, plus extra capacity bought."""
    loc = _locale(loc)
    pays = loc._("pays")
    rows = table[(table["metric"] == "treatment_cost_sek") & (table["region_id"] != "total")]
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
                + f" {pays} %{{y:,.2f}} MSEK<extra></extra>",
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
                name=loc._("extra theatre days bought"),
                marker_color="#555",
                hovertemplate="%{x}<br>" + loc._("extra theatre days bought") + " %{y:,.2f} MSEK<extra></extra>",
            )
        )
    fig.update_yaxes(title_text="MSEK", rangemode="tozero")
    fig.update_xaxes(title_text=loc._("plan"), type="category")
    title = loc._(COMPARE_COST_TITLE) + " " + loc._("(MSEK, by paying region)")
    return _layout(fig, title, loc, barmode="stack")


def share_figure(views: list[ResultView], plans: list[str], loc: Locale | None = None) -> go.Figure:
    """The share of waiting patients over 90 days per week, one line per plan."""
    loc = _locale(loc)
    fig = go.Figure()
    for i, (plan_name, view) in enumerate(zip(plans, views, strict=True)):
        sums = view.region_kpis.groupby(["t", "week"], as_index=False)[["over_90", "waiting"]].sum().sort_values("t")
        share_over_90 = 100 * share(sums["over_90"], sums["waiting"], empty=np.nan)
        fig.add_trace(
            go.Scatter(
                x=sums["week"],
                y=share_over_90,
                name=plan_name,
                mode="lines+markers",
                line={"color": PLAN_PALETTE[i % len(PLAN_PALETTE)]},
                hovertemplate=f"{html.escape(plan_name)}<br>%{{x}}: %{{y:.1f}} %<extra></extra>",
            )
        )
    fig.update_yaxes(title_text=loc._("% of waiting patients over 90 days"), ticksuffix=" %", rangemode="tozero")
    fig.update_xaxes(title_text=loc._("ISO week (end of week)"), type="category")
    return _layout(fig, loc._(COMPARE_SHARE_TITLE), loc, legend_title_text=loc._("plan"))
