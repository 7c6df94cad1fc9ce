"""A finished run as the coordinator reads it: key figures, waiting over time, the production plan and
the flows between hospitals, all in people's units (whole patients, theatre days, bed-days, MSEK).

`run_view(tables, summary, dataset, loc)` works on the run's stored result tables (the CSV files of
`presentation.result_files`) and its dataset, and returns plain JSON: formatted cells for tables and
plotly figure dicts for `Plotly.newPlot`. The headline figures are those of the whole-patient plan
(`integer_region_kpis.csv`, `integer_plan.csv`), as in the report.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from api.web.labels import DatasetNames
from models import Dataset
from models.summary import region_summary, totals
from presentation.i18n import Locale
from presentation.labels import FONT, region_colours

OUTLINE_FILE = Path(__file__).parent / "static" / "sweden.geojson"
#: How many of the largest flows the map draws (more become an unreadable web; the table lists all).
MAP_FLOWS = 40


def _whole(value: float) -> int:
    """Whole patients (or days), half rounded up, as `Locale.patients` shows them."""
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def _last_week(kpis: pd.DataFrame) -> pd.DataFrame:
    return kpis[kpis["t"] == kpis["t"].max()]


def key_figures(tables: dict[str, pd.DataFrame], dataset_totals: dict, loc: Locale) -> list[dict[str, str]]:
    """The fact box: patients waiting and over 90 days before and after, treated, days used, money."""
    kpis = tables["integer_region_kpis.csv"]
    end = _last_week(kpis)
    waiting_end, over_90_end = end["waiting"].sum(), end["over_90"].sum()
    plan = tables["integer_plan.csv"]
    hospital_region = tables["hospitals.csv"].set_index("hospital_id")["region_id"]
    elsewhere = plan[plan["hospital_id"].map(hospital_region) != plan["region_id"]]["patients"].sum()
    theatre = tables["theatre_use.csv"]
    available = (theatre["theatre_days"] + theatre["extra_days_used"]).sum()
    totals = tables["region_totals.csv"]
    share_end = over_90_end / waiting_end if waiting_end else 0.0
    start_share = dataset_totals.get("share_over_90", 0.0)
    return [
        {
            "label": loc._("Patients waiting"),
            "value": loc.patients(waiting_end),
            "note": loc._("at the end; {n} at the start").format(n=loc.patients(dataset_totals.get("waiting", 0))),
        },
        {
            "label": loc._("Waited over 90 days"),
            "value": loc.patients(over_90_end),
            "note": loc._("{share} at the end; {start} at the start").format(
                share=loc.percent(share_end), start=loc.percent(start_share)
            ),
        },
        {
            "label": loc._("Patients treated in the plan"),
            "value": loc.patients(plan["patients"].sum()),
            "note": loc._("of whom {n} in another region").format(n=loc.patients(elsewhere)),
        },
        {
            "label": loc._("Theatre days (salsdagar) used"),
            "value": loc.number(theatre["used_days"].sum()),
            "note": loc._("of {n} available").format(n=loc.number(available)),
        },
        {
            "label": loc._("Bed-days (vårddygn) used"),
            "value": loc.number(tables["bed_use.csv"]["used_bed_days"].sum()),
            "note": loc._("elective bed-days"),
        },
        {
            "label": loc._("New money: extra theatre days bought"),
            "value": loc.sek(totals["extra_capacity_sek"].sum()),
            "note": loc._("payments between the regions are internal: {amount}").format(
                amount=loc.sek(totals["treatment_cost_sek"].sum())
            ),
        },
    ]


def _layout(fig: go.Figure, title: str, loc: Locale, **extra) -> dict:
    fig.update_layout(
        separators=",\u00a0" if loc.lang == "sv" else ".,",  # decimal sign, thousands separator
        title={"text": title, "x": 0, "font": {"size": 16}},
        font={"family": FONT, "size": 13},
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.15},
        **extra,
    )
    return json.loads(fig.to_json())


def waiting_figure(kpis: pd.DataFrame, start: pd.DataFrame, names: DatasetNames, loc: Locale) -> dict:
    """Patients waiting and over 90 days at the start (the list as it is: `start`, per region) and at the
    end of each week of the whole-patient plan; each region's over-90 line one click away."""
    weeks = sorted(kpis["week"].unique())
    labels = [loc._("Start")] + [loc.week(w) for w in weeks]
    before = start.set_index("region_id")[["waiting", "over_90"]].rename(index=str)
    weekly = kpis.set_index(["week", "region_id"])[["waiting", "over_90"]]
    kpis = pd.concat([before.assign(week="").set_index("week", append=True).swaplevel(), weekly]).reset_index()
    weeks = ["", *weeks]
    total = kpis.groupby("week")[["waiting", "over_90"]].sum().reindex(weeks)
    fig = go.Figure()
    fig.add_scatter(x=labels, y=total["waiting"].round(), name=loc._("Waiting, all regions"), line={"width": 3})
    fig.add_scatter(
        x=labels, y=total["over_90"].round(), name=loc._("Over 90 days, all regions"), line={"width": 3, "dash": "dash"}
    )
    colours = region_colours(sorted(kpis["region_id"].unique()))
    for region, rows in kpis.groupby("region_id"):
        series = rows.set_index("week")["over_90"].reindex(weeks).round()
        name = loc._("Over 90 days: {region}").format(region=names.regions.get(region, region))
        fig.add_scatter(x=labels, y=series, name=name, visible="legendonly", line={"color": colours[region]})
    fig.update_yaxes(title=loc._("Patients"), rangemode="tozero", gridcolor="#ddd", tickformat=",d")
    return _layout(fig, loc._("Waiting at the start and at the end of each week (whole-patient plan)"), loc, height=420)


def _plan_rows(specialty_plan: pd.DataFrame, names: DatasetNames, loc: Locale) -> list[list[str]]:
    """One row per specialty × hospital over the weeks of `specialty_plan`: waiting in its first and
    last week, theatre days available and used, bed-days used."""
    weeks = sorted(specialty_plan["week"].unique())
    first, last = (specialty_plan[specialty_plan["week"] == w] for w in (weeks[0], weeks[-1]))
    keys = ["specialty", "hospital_id"]
    sums = specialty_plan.groupby(keys)[["available_theatre_days", "used_theatre_days", "used_bed_days"]].sum()
    table = sums.join(first.set_index(keys)["patients_waiting"].rename("waiting_first"))
    table = table.join(last.set_index(keys)["patients_waiting"].rename("waiting_last")).fillna(0.0)
    table = table.reset_index()
    table["specialty_name"] = table["specialty"].map(names.specialties).fillna(table["specialty"])
    table["hospital_name"] = table["hospital_id"].map(names.hospitals).fillna(table["hospital_id"])
    rows = []
    for r in table.sort_values(["specialty_name", "hospital_name"]).itertuples():
        used = r.used_theatre_days / r.available_theatre_days if r.available_theatre_days else 0.0
        rows.append(
            [
                r.specialty_name,
                r.hospital_name,
                loc.patients(r.waiting_first),
                loc.patients(r.waiting_last),
                loc.number(r.available_theatre_days, 1),
                loc.number(r.used_theatre_days, 1),
                loc.percent(used, 0),
                loc.number(r.used_bed_days),
            ]
        )
    return rows


def _month(iso_week: str) -> str:
    """The month (YYYY-MM) a plan week belongs to: the month of its Thursday, as ISO weeks count."""
    year, week = iso_week.split("-W")
    return dt.date.fromisocalendar(int(year), int(week), 4).strftime("%Y-%m")


def production_plan(specialty_plan: pd.DataFrame, names: DatasetNames, loc: Locale) -> dict:
    """The production plan per specialty × hospital for the whole horizon and for each month in it."""
    weeks = sorted(specialty_plan["week"].unique())
    whole = loc._("Whole plan: {first} – {last}").format(first=loc.week(weeks[0]), last=loc.week(weeks[-1]))
    periods = [{"label": whole, "rows": _plan_rows(specialty_plan, names, loc)}]
    months = specialty_plan["week"].map(_month)
    for month, part in specialty_plan.groupby(months, sort=True):
        part_weeks = sorted(part["week"].unique())
        day = dt.date.fromisoformat(month + "-01")
        label = "{month}: {first} – {last}".format(  # punctuation only: nothing to translate
            month=loc.date(day, "LLLL yyyy").capitalize(),
            first=loc.week(part_weeks[0]),
            last=loc.week(part_weeks[-1]),
        )
        periods.append({"label": label, "rows": _plan_rows(part, names, loc)})
    columns = [
        loc._("Specialty"),
        loc._("Hospital"),
        loc._("Waiting, first week"),
        loc._("Waiting, last week"),
        loc._("Theatre days available"),
        loc._("Theatre days used"),
        loc._("Share used"),
        loc._("Bed-days used"),
    ]
    return {"columns": columns, "periods": periods}


def hospital_flows(plan: pd.DataFrame) -> pd.DataFrame:
    """Whole patients from their listed hospital to another treating hospital, summed over the horizon."""
    moved = plan[plan["hospital_id"] != plan["listed_hospital_id"]]
    flows = moved.groupby(["listed_hospital_id", "hospital_id"], as_index=False)["patients"].sum()
    return flows[flows["patients"] >= 0.5].sort_values("patients", ascending=False, kind="stable")


def flows_table(flows: pd.DataFrame, hospitals: pd.DataFrame, names: DatasetNames, loc: Locale) -> dict:
    region_of = hospitals.set_index("hospital_id")["region_id"]
    rows = [
        [
            names.hospitals.get(f.listed_hospital_id, f.listed_hospital_id),
            names.regions.get(region_of.get(f.listed_hospital_id), ""),
            names.hospitals.get(f.hospital_id, f.hospital_id),
            names.regions.get(region_of.get(f.hospital_id), ""),
            loc.patients(f.patients),
        ]
        for f in flows.itertuples()
    ]
    columns = [
        loc._("From (listed at)"),
        loc._("Home region"),
        loc._("To (treated at)"),
        loc._("Treating region"),
        loc._("Patients"),
    ]
    return {"columns": columns, "rows": rows}


def _outline_traces(name: str) -> list[go.Scatter]:
    """Sweden's outline (Natural Earth via world-atlas, shipped in static/) as plain line traces."""
    geometry = json.loads(OUTLINE_FILE.read_text(encoding="utf-8"))["features"][0]["geometry"]
    lon: list[float | None] = []
    lat: list[float | None] = []
    for polygon in geometry["coordinates"]:
        for ring in polygon:
            lon += [p[0] for p in ring] + [None]
            lat += [p[1] for p in ring] + [None]
    style = {"color": "#8a8a8a", "width": 1}
    return [go.Scatter(x=lon, y=lat, mode="lines", line=style, name=name, hoverinfo="skip", showlegend=False)]


def flows_map(flows: pd.DataFrame, hospitals: pd.DataFrame, names: DatasetNames, loc: Locale) -> dict:
    """Hospitals (by region) and the largest flows between them on longitude/latitude axes, no tiles."""
    fig = go.Figure(_outline_traces(loc._("Sweden")))
    at = hospitals.set_index("hospital_id")[["lat", "lon"]]
    top = flows.head(MAP_FLOWS)
    widest = top["patients"].max() if len(top) else 1.0
    for f in top.itertuples():
        a, b = at.loc[f.listed_hospital_id], at.loc[f.hospital_id]
        text = loc._("{a} → {b}: {n} patients").format(
            a=names.hospitals.get(f.listed_hospital_id),
            b=names.hospitals.get(f.hospital_id),
            n=loc.patients(f.patients),
        )
        fig.add_scatter(  # a line with an arrow head at the treating hospital
            x=[a["lon"], b["lon"]],
            y=[a["lat"], b["lat"]],
            mode="lines+markers",
            line={"width": 1 + 7 * f.patients / widest, "color": "rgba(200, 80, 30, 0.55)"},
            marker={"symbol": "arrow", "angleref": "previous", "size": [0, 14], "color": "rgba(200, 80, 30, 0.9)"},
            hovertext=text,
            hoverinfo="text",
            showlegend=False,
        )
    colours = region_colours(sorted(hospitals["region_id"].unique()))
    for region, rows in hospitals.groupby("region_id"):
        fig.add_scatter(
            x=rows["lon"],
            y=rows["lat"],
            mode="markers",
            marker={"size": 11, "color": colours[region], "line": {"color": "white", "width": 1}},
            name=names.regions.get(region, region),
            text=[names.hospitals.get(h, h) for h in rows["hospital_id"]],
            hoverinfo="text",
        )
    pad = 0.6
    fig.update_xaxes(
        range=[hospitals["lon"].min() - pad, hospitals["lon"].max() + pad], showgrid=False, title=loc._("Longitude")
    )
    # one degree of latitude is about twice one of longitude at 60° N: keep the map's shape
    fig.update_yaxes(
        range=[hospitals["lat"].min() - pad / 2, hospitals["lat"].max() + pad / 2],
        scaleanchor="x",
        scaleratio=2.0,
        showgrid=False,
        title=loc._("Latitude"),
    )
    title = loc._("Patients treated at another hospital than the one they are listed at (largest flows)")
    return _layout(fig, title, loc, height=640)


def run_view(tables: dict[str, pd.DataFrame], dataset: Dataset, loc: Locale) -> dict:
    """Everything the results page shows of one finished run, formatted for `loc`."""
    names = DatasetNames.of(dataset, loc)
    hospitals = dataset.hospitals[["hospital_id", "region_id", "lat", "lon"]]
    flows = hospital_flows(tables["integer_plan.csv"])
    synthetic = loc._("Synthetic data: these figures are estimates, not official statistics.")
    return {
        "banner": synthetic if dataset.synthetic else None,  # the dataset's own word (`models.provenance`)
        "key_figures": key_figures(tables, totals(dataset), loc),
        "waiting_figure": waiting_figure(tables["integer_region_kpis.csv"], region_summary(dataset), names, loc),
        "production_plan": production_plan(tables["specialty_plan.csv"], names, loc),
        "flows": flows_table(flows, hospitals, names, loc),
        "flows_map": flows_map(flows, hospitals, names, loc),
        # for the target question's form and answer: the plan's weeks, and names of hospitals and specialties
        "weeks": [{"id": w, "label": loc.week(w)} for w in sorted(tables["integer_region_kpis.csv"]["week"].unique())],
        "names": {"hospitals": names.hospitals, "specialties": names.specialties},
    }
