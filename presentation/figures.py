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


def plan_bars_figure(
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


def cost_figure(
    table: pd.DataFrame, views: list[ResultView], plans: list[str], names: Mapping[str, str], colours: Mapping[str, str]
) -> go.Figure:
    """Stacked MSEK per plan: paid under the price list by each home region, plus extra capacity bought."""
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


def share_figure(views: list[ResultView], plans: list[str]) -> go.Figure:
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
    fig.update_yaxes(title_text="% of waiting patients over 90 days", ticksuffix=" %", rangemode="tozero")
    fig.update_xaxes(title_text="ISO week (end of week)", type="category")
    return _layout(fig, COMPARE_SHARE_TITLE, legend_title_text="plan")
