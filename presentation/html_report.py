"""The plan report: one self-contained HTML page per plan, in Swedish by default.

People's figures first (waiting, over 90 days, treated, theatre days, bed-days, money), then the
production plan, winners and losers against each region alone, the figures (each with a line on
how to read it) and the tables; the model's figures (objective, LP bound, gap, solve time,
shadow prices) in an appendix. The comparison page is `presentation.comparison_report`.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from models.atomic import replace_text
from models.objective import OBJECTIVE_TERMS, objective_contributions, term_weights
from optimizer import PlanResult, SimulationResult, collaboration_value
from presentation import decision_sections
from presentation.capacity_pressure import bed_pressure, theatre_pressure
from presentation.comparison_report import comparison_report_html
from presentation.display import for_people, name_maps, whole_numbers
from presentation.figures import (
    _hospital_labels,
    band_tables,
    bands_figure,
    bands_region_figure,
    flows_figure,
    pressure_heatmap,
    waiting_figure,
)
from presentation.html_page import facts_html, figure_html, page_html
from presentation.html_tables import table_html
from presentation.i18n import Locale
from presentation.labels import (
    BEDS_PRESSURE_TITLE,
    OVER_90_BANDS,
    TERM_TITLES,
    THEATRE_PRESSURE_TITLE,
    column_label,
    region_colours,
    region_names,
    specialty_name,
    swedish_key,
)
from presentation.outcomes import against_alone, fairness_settings
from presentation.production_plan import month_of_week, procedure_before_after, production_plan_table
from presentation.simulation_figures import simulation_region_figure, simulation_total_figure

__all__ = ["comparison_report_html", "plan_report_html", "people_figures"]


def people_figures(result: PlanResult) -> dict[str, float]:
    """The whole-patient plan's figures in people's units: patients waiting and over 90 days at the
    start and at the end, treated, theatre days and bed-days available and used, and SEK paid under
    the price list and for extra theatre days bought."""
    before, _ = band_tables(result, whole_patient=True)
    kpis = result.integer.region_kpis
    last = kpis[kpis["t"] == kpis["t"].max()]
    terms = result.integer.terms
    theatre, beds = result.integer.theatre_use, result.integer.bed_use
    return {
        "waiting_start": float(before["patients"].sum()),
        "over_90_start": float(before[before["band"].astype(str).isin(OVER_90_BANDS)]["patients"].sum()),
        "waiting_end": float(last["waiting"].sum()),
        "over_90_end": float(last["over_90"].sum()),
        "treated": float(terms["treated"]),
        "theatre_days_available": float((theatre["theatre_days"] + theatre["extra_days_used"]).sum()),
        "theatre_days_used": float(theatre["used_days"].sum()),
        "bed_days_available": float(beds["bed_days"].sum()),
        "bed_days_used": float(beds["used_bed_days"].sum()),
        "treatment_cost_sek": float(terms["treatment_cost_sek"]),
        "extra_capacity_sek": float(terms["extra_capacity_sek"]),
    }


def _header(result: PlanResult, loc: Locale) -> str:
    scenario, weeks = result.scenario, list(result.instance.weeks)
    f = people_figures(result)
    first, last = loc.week(weeks[0]), loc.week(weeks[-1])
    lead = loc._(
        "Over {n} weeks ({first} to {last}) the plan schedules surgery for {treated} patients from "
        "{regions} regions. Patients waiting more than 90 days (the care guarantee): {over_start} at the "
        "start, {over_end} of {waiting_end} still waiting at the end."
    ).format(
        n=len(weeks),
        first=first,
        last=last,
        treated=loc.patients(f["treated"]),
        regions=len(result.instance.dataset.regions),
        over_start=loc.patients(f["over_90_start"]),
        over_end=loc.patients(f["over_90_end"]),
        waiting_end=loc.patients(f["waiting_end"]),
    )
    of = loc._("{used} of {available}")
    facts = {
        loc._("Scenario"): scenario.name,
        loc._("Weeks"): f"{first} – {last} ({len(weeks)})",
        loc._("Waiting (excl. MoV/PvV): start → end"): f"{loc.patients(f['waiting_start'])} → "
        + loc.patients(f["waiting_end"]),
        loc._("Over 90 days: start → end"): f"{loc.patients(f['over_90_start'])} → {loc.patients(f['over_90_end'])}",
        loc._("Treated"): loc.patients(f["treated"]),
        loc._("Theatre days used"): of.format(
            used=loc.number(f["theatre_days_used"]), available=loc.number(f["theatre_days_available"])
        ),
        loc._("Bed-days used"): of.format(
            used=loc.number(f["bed_days_used"]), available=loc.number(f["bed_days_available"])
        ),
        loc._("Paid under the price list (internal between the regions)"): loc.sek(f["treatment_cost_sek"]),
        loc._("Extra theatre days bought (new money)"): loc.sek(f["extra_capacity_sek"]),
    }
    title = loc._("Surgery plan: {name}").format(name=scenario.name)
    description = f"<p class='note'>{html.escape(scenario.description)}</p>" if scenario.description else ""
    how = loc._(
        "The figures are those of the whole-patient plan, the one handed out; the model's figures are in the appendix."
    )
    return (
        f"<h1>{html.escape(title)}</h1>{description}<p class='lead'>{html.escape(lead)}</p>"
        + facts_html(facts)
        + f"<p class='howto'>{html.escape(how)}</p>"
    )


def _production_plan(result: PlanResult, loc: Locale) -> list[str]:
    """Per procedure group before and after, and per specialty × hospital × month, one collapsible
    table per specialty (the group's "Väntande, salsdagar och vårddygn inom Ortopedi")."""
    procedures = procedure_before_after(result, loc)
    monthly = production_plan_table(result, loc)
    specialty_column = column_label("specialty", loc)
    months = sorted({month_of_week(w) for w in result.instance.weeks})
    parts = [
        "<h2>" + html.escape(loc._("Production plan")) + "</h2>",
        "<p class='note'>"
        + html.escape(
            loc._(
                "Waiting patients, theatre days and bed-days per procedure group and per specialty, hospital "
                "and month ({first} to {last}), in the whole-patient plan."
            ).format(first=loc.date(months[0], "LLLL y"), last=loc.date(months[-1], "LLLL y"))
        )
        + "</p>",
        table_html(procedures, loc, caption=loc._("Per procedure group: at the start and at the end of the horizon")),
        "<p class='howto'>"
        + html.escape(
            loc._(
                "How to read: new decisions are the forecast decisions to treat within the horizon; waiting at end "
                "= waiting at start + new decisions − treated."
            )
        )
        + "</p>",
    ]
    # one collapsed table per specialty (a hospital-month per row is long): orthopaedics first, the
    # group's first specialty, then by name
    specialties = result.integer.specialty_plan["specialty"].unique()
    for specialty in sorted(specialties, key=lambda s: (s != "orthopaedics", swedish_key(specialty_name(s, loc)))):
        name = specialty_name(specialty, loc)
        rows = monthly[monthly[specialty_column] == name].drop(columns=specialty_column)
        summary = loc._("Waiting, theatre days and bed-days: {specialty}").format(specialty=name)
        parts.append(f"<details><summary>{html.escape(summary)}</summary>{table_html(rows, loc)}</details>")
    return parts


def _winners_and_losers(result: PlanResult, standalone: PlanResult, names: dict, loc: Locale) -> list[str]:
    table = against_alone(collaboration_value(result, standalone), names, loc)
    settings = "".join(f"<li>{html.escape(line)}</li>" for line in fairness_settings(result.scenario, loc))
    return [
        "<h2>" + html.escape(loc._("Winners and losers: each region together and alone")) + "</h2>",
        "<p class='note'>"
        + html.escape(
            loc._(
                "Days waited beyond the 90-day care guarantee over the horizon, and patients over 90 days at the end, "
                "for each region's own patients: in the joint plan and with each region planning alone on its own "
                "hospitals. Green rows are better together, red rows worse; the verdict is in the last column. Both "
                "are the linear programme's plans (as the value of collaboration), rounded to whole patients and "
                "days, so their totals differ slightly from the whole-patient plan's figures above."
            )
        )
        + "</p>",
        table_html(table, loc, verdict_column=loc._("Verdict")),
        f"<ul class='note'>{settings}</ul>",
    ]


def _figures(result: PlanResult, names: dict, loc: Locale) -> list[str]:
    colours = region_colours(names)
    weeks = list(result.instance.weeks)
    labels = _hospital_labels(result, names)
    before, after = band_tables(result, whole_patient=True)
    theatre_unit, bed_unit = loc._("theatre days"), loc._("bed-days")
    return [
        "<h2>" + html.escape(loc._("Waiting over time")) + "</h2>",
        figure_html(
            waiting_figure(result.integer.region_kpis, names, colours, loc),
            loc._(
                "How to read: solid lines count patients still waiting at the end of each week per home region "
                "(MoV/PvV excluded, as in the national statistics); dashed lines those over 90 days, for whom the "
                "care guarantee is broken."
            ),
        ),
        "<h2>" + html.escape(loc._("What binds: theatre days and bed-days")) + "</h2>",
        figure_html(
            pressure_heatmap(theatre_pressure(result), labels, weeks, THEATRE_PRESSURE_TITLE, theatre_unit, loc),
            loc._(
                "How to read: blue cells have theatre days left idle (how blue: the share of the week's); red "
                "cells are full while patients listed there are over their limit (how red: the weeks of that "
                "hospital's theatre days it would take to treat them); white cells are full with nobody over the "
                "limit. Available = the planned share of the theatre days (the rest is kept for cancellations and "
                "emergencies) plus extra days bought; point at a cell for its days."
            ),
        ),
        figure_html(
            pressure_heatmap(bed_pressure(result), labels, weeks, BEDS_PRESSURE_TITLE, bed_unit, loc),
            loc._(
                "How to read: blue is the share of the week's elective bed-days left unused; white cells use every "
                "bed-day."
            ),
        ),
        "<h2>" + html.escape(loc._("Flows between regions")) + "</h2>",
        figure_html(
            flows_figure(result, names, loc),
            loc._(
                "How to read: rows are the patients' home regions, columns the region of the hospital that "
                "operates; the diagonal is treated at home."
            ),
        ),
        "<h2>" + html.escape(loc._("Waiting-time bands")) + "</h2>",
        figure_html(
            bands_figure(before, after, weeks, loc),
            loc._(
                "How to read: waiting patients by days waited at the plan start and at the end of the horizon; "
                "bars right of the dashed line are over the care guarantee."
            ),
        ),
        figure_html(
            bands_region_figure(before, after, names, weeks, loc),
            loc._(
                "How to read: one pair of bars per home region, at the start and at the end, stacked by days waited."
            ),
        ),
    ]


def _tables(result: PlanResult, loc: Locale) -> list[str]:
    maps = name_maps(result, loc)
    totals = result.integer.region_totals
    totals = pd.concat([totals, totals.sum(numeric_only=True).to_frame().T.assign(region_id="total")])
    columns = ["region_id", "treated", "treated_elsewhere", "breach_days_90", "over_90_end", "over_365_end"]
    shown = whole_numbers(for_people(totals, loc, maps, columns))
    shown[loc._("Paid under the price list (MSEK)")] = (totals["treatment_cost_sek"].to_numpy() / 1e6).round(1)
    paid = result.integer.payments
    payments = whole_numbers(for_people(paid.drop(columns="amount_sek"), loc, maps))  # whole patients
    payments[loc._("Amount (MSEK)")] = (paid["amount_sek"].to_numpy() / 1e6).round(1)
    return [
        "<h2>" + html.escape(loc._("Regions and payments")) + "</h2>",
        table_html(shown, loc, caption=loc._("Per home region over the horizon (whole-patient plan)")),
        table_html(
            payments,
            loc,
            caption=loc._("Payments under the price list (home region pays the treating region)"),
        ),
    ]


def _appendix(result: PlanResult, standalone: PlanResult | None, names: dict, loc: Locale) -> list[str]:
    headline, seconds, w = result.headline(), result.seconds, result.scenario.weights
    terms = result.integer.terms
    facts = {
        loc._("Objective of the whole-patient plan (lower is better)"): loc.number(headline["objective"], 1),
        loc._("LP bound"): loc.number(headline["lp_bound"], 1),
        loc._("Gap"): loc.number(headline["gap"], 1) + f" ({loc.percent(headline['gap_relative'] or 0.0, 2)})",
        loc._("Treated in the LP (fractional)"): loc.number(result.lp.terms["treated"], 1),
        loc._("Build / solve time"): f"{loc.number(seconds.get('build', 0.0), 2)} s / "
        + f"{loc.number(seconds.get('solve', 0.0), 2)} s",
        loc._("Strategy"): result.strategy,
    }
    contribution, weight = objective_contributions(terms, w), term_weights(w)
    objective = pd.DataFrame(
        {
            loc._("Term"): [loc._(TERM_TITLES[name]) for name in OBJECTIVE_TERMS],
            loc._("Value"): [terms[n] / 1000 if n == "cost_sek" else terms[n] for n in OBJECTIVE_TERMS],
            loc._("Weight"): [f"{(weight[n] * 1000 if n == 'cost_sek' else weight[n]):g}" for n in OBJECTIVE_TERMS],
            loc._("Contribution to the objective"): [contribution[n] for n in OBJECTIVE_TERMS],
        }
    )
    maps = name_maps(result, loc)
    prices = for_people(result.shadow_prices.head(20), loc, maps)
    parts = [
        "<section class='appendix'><h2>" + html.escape(loc._("Appendix: the model's figures")) + "</h2>",
        "<p class='note'>"
        + html.escape(
            loc._(
                "The linear programme minimises weighted breach-days (7 days per patient and week over a threshold, "
                "weighted by tier), waiting, cost and travel. These are the model's units, not the planning "
                "group's."
            )
        )
        + "</p>",
        facts_html(facts),
        table_html(objective, loc, caption=loc._("The objective and its terms (whole-patient plan)")),
        table_html(
            prices,
            loc,
            caption=loc._("Top 20 shadow prices: objective saved by one more theatre day or bed-day"),
            decimals={column_label("saving_per_extra_day", loc): 2},
        ),
    ]
    if standalone is not None:
        value = for_people(collaboration_value(result, standalone), loc, maps)
        parts.append(table_html(value.round(1), loc, caption=loc._("Value of collaboration in the model's units (LP)")))
    parts.append("</section>")
    return parts


def _changes_section(result: PlanResult, loc: Locale) -> list[str]:
    """A re-plan's "What changed since the previous plan": counts per kind of change (none otherwise)."""
    counts = result.extra_summary.get("changes")
    if counts is None:
        return []
    kinds = {
        "moved hospital": loc._("Offered another hospital"),
        "moved week": loc._("Offered another week"),
        "no longer proposed": loc._("No longer proposed"),
        "newly proposed": loc._("Newly proposed"),
    }
    table = pd.DataFrame({loc._("Change"): list(kinds.values()), loc._("Patients"): [int(counts[k]) for k in kinds]})
    note = loc._(
        "{changed} of the previous plan's {previous} proposals in these weeks changed ({share}); {frozen} in the "
        "frozen weeks were booked as proposed. Each patient is listed in changes.csv."
    ).format(
        changed=loc.number(counts["changed"]),
        previous=loc.number(counts["previous_proposals"]),
        share=loc.percent(counts["changed_share"]),
        frozen=loc.number(counts["frozen_bookings"]),
    )
    return [
        "<h2>" + html.escape(loc._("What changed since the previous plan")) + "</h2>",
        "<p class='note'>" + html.escape(note) + "</p>",
        table_html(table, loc, caption=loc._("Patients per kind of change")),
    ]


def _simulation_section(simulation: SimulationResult, names: dict, loc: Locale) -> list[str]:
    """The simulation's bands: how the plan may turn out under random demand, cancellations and answers."""
    settings = simulation.plan.scenario.simulation
    how = (
        loc._("re-planned every week")
        if simulation.replan == "weekly"
        else loc._("replayed as planned, without re-planning")
    )
    note = loc._(
        "The plan {how}, {draws} times (seed {seed}), under random new decisions, theatre days lost to "
        "cancellations (default rate {rate}) and patients' answers to offers at another hospital (declined: "
        "{declined}). simulation_bands.csv has every region, procedure and week."
    ).format(
        how=how,
        draws=simulation.draws,
        seed=simulation.seed,
        rate=loc.percent(settings.default_cancellation_rate),
        declined=settings.declined,
    )
    read = loc._("How to read: lines are medians over the draws; the bands run from P10 to P90.")
    return [
        "<h2>" + html.escape(loc._("Simulation")) + "</h2>",
        "<p class='note'>" + html.escape(note) + "</p>",
        figure_html(simulation_total_figure(simulation.bands, simulation.draws, loc), read),
        figure_html(simulation_region_figure(simulation.bands, names, region_colours(names), loc), read),
    ]


def plan_report_html(
    result: PlanResult,
    path: str | os.PathLike,
    standalone: PlanResult | None = None,
    lang: str | None = None,
    synthetic: bool = False,
    simulation: SimulationResult | None = None,
    breach_day_prices: pd.DataFrame | None = None,
) -> Path:
    """Write one self-contained HTML report of a plan and return its path.

    In `lang` (default: `CAPPLAN_LANG`, else Swedish). Sections: people's figures, the production
    plan (per procedure group before and after; per specialty × hospital × month), winners and
    losers against each region alone (with `standalone`, default `result.standalone`) beside the
    fairness settings, waiting over time, what binds (idle and short theatre days, unused bed-days),
    flows between regions, waiting-time bands, region and payment tables, and the appendix with the
    model's figures. `synthetic` puts the synthetic-data banner on top. With a `simulation` of the
    plan, its bands follow the header (`_simulation_section`). Written atomically.
    """
    loc = Locale.for_lang(lang)
    standalone = standalone if standalone is not None else result.standalone
    names = region_names(result)
    body = [_header(result, loc)]
    if simulation is not None:
        body += _simulation_section(simulation, names, loc)
    body += _changes_section(result, loc)
    body += _production_plan(result, loc)
    if standalone is not None:
        body += _winners_and_losers(result, standalone, names, loc)
    body += _figures(result, names, loc)
    body += _tables(result, loc)
    body += decision_sections.report_sections(result, loc)  # money: internal balances, new money, agreements
    if breach_day_prices is not None:  # `optimizer.breach_day_prices`: the value of one more day, in breach-days
        hospitals = result.instance.dataset.hospitals
        hospital_names = dict(zip(hospitals["hospital_id"], hospitals["name"], strict=True))
        body.append(decision_sections.shadow_price_section(breach_day_prices, loc, hospital_names))
    body += _appendix(result, standalone, names, loc)
    title = "capplan: " + result.scenario.name
    synthetic = synthetic or result.instance.dataset.synthetic  # the dataset says so (`models.provenance`)
    return replace_text(path, page_html(title, body, loc, synthetic=synthetic))
