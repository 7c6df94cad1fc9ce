"""HTML fragments of the decision tables, in the planning group's units and language (Swedish by default).

Each function takes a table (from `optimizer.money_tables`, `optimizer.breach_day_prices`,
`optimizer.rank_purchases` or `optimizer.fewest_extra_days`) and a `presentation.i18n.Locale`, and
returns a fragment (a heading, a sentence that says what is counted, a table). Money in MSEK, patients
whole, theatre days with one decimal; model units never appear here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape

import pandas as pd

from optimizer import PlanResult, TargetAnswer, money_tables
from presentation.i18n import Locale
from presentation.labels import KNOWN_REGION_NAMES

Format = Callable[[object], str]


def _table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, Format]], caption: str) -> str:
    """A plain HTML table: `columns` maps a column to its heading and how to write its values."""
    head = "".join(f"<th scope='col'>{escape(title)}</th>" for title, _ in columns.values())
    rows = []
    for record in frame.to_dict("records"):
        cells = "".join(f"<td>{escape(fmt(record[name]))}</td>" for name, (_, fmt) in columns.items())
        rows.append(f"<tr>{cells}</tr>")
    return (
        f"<div class='table-wrap'><table><caption>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _heading(text: str, level: int = 2) -> str:
    return f"<h{level}>{escape(text)}</h{level}>"


def _name(names: Mapping[str, str] | None) -> Format:
    lookup = dict(names or {})
    return lambda value: lookup.get(str(value), KNOWN_REGION_NAMES.get(str(value), str(value)))


def money_section(
    balances: pd.DataFrame,
    proposals: pd.DataFrame,
    loc: Locale,
    region_names: Mapping[str, str] | None = None,
    hospital_names: Mapping[str, str] | None = None,
    procedure_names: Mapping[str, str] | None = None,
) -> str:
    """Net balance per region (internal), new money apart, and the agreement proposals (small flows apart)."""
    msek = loc.sek
    region, hospital, procedure = _name(region_names), _name(hospital_names), _name(procedure_names)
    intro = loc._(
        "Payments under the price list between the regions stay within the healthcare region: what one region "
        "pays, another receives, so the net balances sum to zero. New money leaves it: care bought from private "
        "providers and extra theatre days."
    )
    balance_table = _table(
        balances,
        {
            "region_id": (loc._("Region (county council)"), region),
            "patients_sent": (loc._("Patients sent"), loc.patients),
            "patients_received": (loc._("Patients received"), loc.patients),
            "paid_internal_sek": (loc._("Paid to other regions"), msek),
            "received_internal_sek": (loc._("Received from other regions"), msek),
            "net_internal_sek": (loc._("Net (paid − received)"), msek),
            "private_purchases_sek": (loc._("Private providers"), msek),
            "extra_days_sek": (loc._("Extra theatre days"), msek),
            "new_money_sek": (loc._("New money"), msek),
        },
        loc._("Net balance per region (whole-patient plan)"),
    )
    agreed = proposals[proposals["status"] == "agreement"]
    small = proposals[proposals["status"] == "too_small"]
    proposal_columns = {
        "payer_region": (loc._("Home region (pays)"), region),
        "provider_hospital": (loc._("Hospital"), hospital),
        "procedure_id": (loc._("Procedure"), procedure),
        "quarter": (loc._("Quarter"), str),
        "patients": (loc._("Patients"), loc.patients),
        "amount_sek": (loc._("Amount"), msek),
    }
    small_arcs = small.groupby(["payer_region", "provider_hospital", "procedure_id"])["patients"].sum()
    small_note = loc._(
        "{arcs} flows with fewer patients over the plan than the minimum for an agreement ({patients} patients "
        "in all) are listed apart: too small to agree on."
    ).format(arcs=loc.number(len(small_arcs)), patients=loc.patients(float(small_arcs.sum())))
    parts = [
        _heading(loc._("Money between the regions")),
        f"<p class='note'>{escape(intro)}</p>",
        balance_table,
        _heading(loc._("Agreement proposals"), level=3),
        _table(agreed, proposal_columns, loc._("Agreement proposals per quarter (whole patients)")),
        f"<p class='note'>{escape(small_note)}</p>",
    ]
    if len(small):
        parts.append(_table(small, proposal_columns, loc._("Too small to agree on")))
    return "\n".join(parts)


def shadow_price_section(prices: pd.DataFrame, loc: Locale, hospital_names: Mapping[str, str] | None = None) -> str:
    """Breach-days over 90 avoided by one more theatre day (or bed-day) in every week, most valuable first."""
    hospital = _name(hospital_names)
    resource = {"theatre_days": loc._("Theatre days"), "bed_days": loc._("Bed-days")}
    intro = loc._(
        "Days over the 90-day guarantee that one more theatre day (or bed-day) would save, summed over the "
        "weeks of the plan: each week's value is what one more day in that week alone saves."
    )
    table = _table(
        prices.head(20),
        {
            "resource": (loc._("Resource"), lambda v: resource.get(str(v), str(v))),
            "hospital_id": (loc._("Hospital"), hospital),
            "specialty": (loc._("Specialty"), str),
            "breach_days_per_extra_day_each_week": (loc._("Days over 90 saved"), loc.number),
            "best_week": (loc._("Most valuable week"), loc.week),
            "weeks_binding": (loc._("Weeks at full capacity"), loc.number),
        },
        loc._("Where one more day saves most days over the guarantee"),
    )
    return "\n".join([_heading(loc._("Value of one more day")), f"<p class='note'>{escape(intro)}</p>", table])


def purchases_section(ranked: pd.DataFrame, loc: Locale, hospital_names: Mapping[str, str] | None = None) -> str:
    """Purchase options ranked by SEK per day over the guarantee saved."""
    hospital = _name(hospital_names)
    intro = loc._(
        "Each option planned with its days bought in full: the days over the 90-day guarantee it saves against "
        "the plan without purchases, and what each saved day costs."
    )
    table = _table(
        ranked,
        {
            "rank": (loc._("Rank"), loc.number),
            "hospital_id": (loc._("Hospital"), hospital),
            "specialty": (loc._("Specialty"), str),
            "days_per_week": (loc._("Days a week"), lambda v: loc.number(float(v), 1)),
            "cost_sek": (loc._("Cost"), loc.sek),
            "breach_days_avoided": (loc._("Days over 90 saved"), loc.number),
            "sek_per_breach_day": (
                loc._("SEK per day saved"),
                lambda v: "–" if pd.isna(v) else loc.number(float(v)),
            ),
        },
        loc._("Purchase options, cheapest per saved day first"),
    )
    return "\n".join([_heading(loc._("Purchase options")), f"<p class='note'>{escape(intro)}</p>", table])


def target_section(answer: TargetAnswer, loc: Locale, hospital_names: Mapping[str, str] | None = None) -> str:
    """The answer to the target question, in words and as a table of days to buy."""
    hospital = _name(hospital_names)
    heading = _heading(loc._("Theatre days needed to meet the target"))
    if not answer.reachable:
        text = loc._(
            "No purchase can bring the share over 90 days below {share} by {week}, not even unlimited theatre "
            "days at every candidate hospital."
        ).format(share=loc.percent(answer.level), week=loc.week(answer.week))
        return f"{heading}<p class='lead'>{escape(text)}</p>"
    text = loc._(
        "{days} extra theatre days bring the share over 90 days to {share} by {week} (target {target})."
    ).format(
        days=loc.number(answer.days or 0.0),
        share=loc.percent(answer.achieved_share or 0.0),
        week=loc.week(answer.week),
        target=loc.percent(answer.level),
    )
    parts = [heading, f"<p class='lead'>{escape(text)}</p>"]
    if not (answer.achieved_share is not None and answer.achieved_share <= answer.level + 1e-9):
        warning = loc._(
            "The target is not met when the plan is made again with these days: treat the number as a minimum."
        )
        parts.append(f"<p class='note'>{escape(warning)}</p>")
    parts.append(
        _table(
            answer.purchases,
            {
                "hospital_id": (loc._("Hospital"), hospital),
                "specialty": (loc._("Specialty"), str),
                "days_per_week": (loc._("Days a week"), loc.number),
                "days": (loc._("Theatre days"), loc.number),
                "cost_sek": (loc._("Cost"), lambda v: "–" if pd.isna(v) else loc.sek(float(v))),
            },
            loc._("Theatre days to buy"),
        )
    )
    return "\n".join(parts)


def report_sections(result: PlanResult, loc: Locale | None = None) -> list[str]:
    """The decision sections a plan's report carries (those its result already holds: money)."""
    loc = loc or Locale.for_lang()
    dataset = result.instance.dataset
    tables = money_tables(result)
    procedure_name = "name_sv" if loc.lang == "sv" else "name"  # the dataset's Swedish names in Swedish output
    return [
        money_section(
            tables["net_balances"],
            tables["agreement_proposals"],
            loc,
            dict(zip(dataset.regions["region_id"], dataset.regions["name"], strict=True)),
            dict(zip(dataset.hospitals["hospital_id"], dataset.hospitals["name"], strict=True)),
            dict(zip(dataset.procedures["procedure_id"], dataset.procedures[procedure_name], strict=True)),
        )
    ]
