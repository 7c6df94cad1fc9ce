"""Winners and losers: which regions are better or worse off in a plan than in a base plan.

Against "alone" (the standalone baseline, `optimizer.collaboration_value`) in the plan report, and
against the first plan of a comparison. Measured in people's units: days waited beyond the 90-day
care guarantee over the horizon, and patients over 90 days at the end. A verdict carries a sign and
words, so it reads without colour; the fairness settings that could change it are named beside it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from models.scenario import Scenario
from presentation.i18n import N_, Locale
from presentation.labels import swedish_key

#: What a fairness rule's `by` shares out between.
FAIRNESS_BY = {"procedure": N_("procedure"), "region": N_("region")}
#: A change smaller than this (days or patients) is "unchanged": rounding noise, not a verdict.
TOLERANCE = 0.5


def verdict(change: float, loc: Locale) -> str:
    """Words for a change in days beyond the guarantee (negative: fewer, better)."""
    if change < -TOLERANCE:
        return loc._("better")
    if change > TOLERANCE:
        return loc._("worse")
    return loc._("unchanged")


def signed_percent(change: float, base: float, loc: Locale) -> str:
    """A change as a signed percentage of its base ("+84,0 %"); empty when the base is zero."""
    if abs(base) < TOLERANCE:
        return ""
    share = round(change / base, 3)  # the shown precision (one decimal of a per cent): no "−0,0 %"
    if share == 0:
        return "\u00b1" + loc.percent(0.0)
    text = loc.percent(share)
    return text if text.startswith(("-", "\u2212")) else "+" + text


def outcome_table(
    rows: pd.DataFrame, names: Mapping[str, str], base_label: str, plan_label: str, loc: Locale
) -> pd.DataFrame:
    """Per region (and in total): days beyond 90 and patients over 90 at the end, in the base and in
    the plan, the change (signed) and the verdict.

    `rows` has region_id, base_days, plan_days, base_over_90, plan_over_90 (and a "total" row).
    Regions in Swedish alphabetical order of their names, the total last.
    """
    order = rows["region_id"].map(lambda r: (r == "total", swedish_key(names.get(r, r))))
    rows = rows.iloc[sorted(range(len(rows)), key=lambda i: order.iloc[i])].reset_index(drop=True)
    days_change = rows["plan_days"] - rows["base_days"]
    over_change = rows["plan_over_90"] - rows["base_over_90"]
    total = loc._("Total")
    days = loc._("Days waited beyond 90 days")
    over = loc._("Over 90 days at end")
    return pd.DataFrame(
        {
            loc._("Region"): rows["region_id"].map(lambda r: total if r == "total" else names.get(r, r)),
            f"{days}: {base_label}": rows["base_days"].round(0).astype("int64"),
            f"{days}: {plan_label}": rows["plan_days"].round(0).astype("int64"),
            loc._("Change"): days_change.round(0).astype("int64"),
            loc._("Change (%)"): [
                signed_percent(c, b, loc) for c, b in zip(days_change, rows["base_days"], strict=True)
            ],
            f"{over}: {base_label}": rows["base_over_90"].round(0).astype("int64"),
            f"{over}: {plan_label}": rows["plan_over_90"].round(0).astype("int64"),
            loc._("Change in patients"): over_change.round(0).astype("int64"),
            loc._("Verdict"): [verdict(c, loc) for c in days_change],
        }
    )


def against_alone(collaboration: pd.DataFrame, names: Mapping[str, str], loc: Locale) -> pd.DataFrame:
    """Winners and losers of a joint plan against each region alone (`collaboration_value`'s table)."""
    rows = pd.DataFrame(
        {
            "region_id": collaboration["region_id"],
            "base_days": collaboration["standalone_breach_days_90"],
            "plan_days": collaboration["joint_breach_days_90"],
            "base_over_90": collaboration["standalone_over_90_end"],
            "plan_over_90": collaboration["joint_over_90_end"],
        }
    )
    return outcome_table(rows, names, loc._("alone"), loc._("together"), loc)


def against_base(comparison: pd.DataFrame, plan: str, base: str, names: Mapping[str, str], loc: Locale) -> pd.DataFrame:
    """Winners and losers of plan `plan` against plan `base` of a comparison table (`compare(views)`)."""

    def metric(name: str, column: str) -> pd.Series:
        return comparison[comparison["metric"] == name].set_index("region_id")[column]

    days = metric("breach_days_90", base)
    rows = pd.DataFrame(
        {
            "region_id": days.index,
            "base_days": days.to_numpy(),
            "plan_days": metric("breach_days_90", plan).reindex(days.index).to_numpy(),
            "base_over_90": metric("over_90_end", base).reindex(days.index).to_numpy(),
            "plan_over_90": metric("over_90_end", plan).reindex(days.index).to_numpy(),
        }
    )
    return outcome_table(rows, names, base, plan, loc)


def fairness_settings(scenario: Scenario | None, loc: Locale) -> list[str]:
    """The scenario's fairness settings in words, and how to switch them on (for the text beside the
    winners and losers)."""
    lines = []
    if scenario is not None:
        rules = scenario.policy.fairness
        if rules:
            described = ", ".join(
                loc._("by {by} (share {share}, weight {weight})").format(
                    by=loc._(FAIRNESS_BY.get(rule.by, rule.by)),
                    share=loc.number(rule.share, 2),
                    weight=loc.number(rule.weight, 2),
                )
                for rule in rules
            )
            lines.append(loc._("Fairness is on: {rules}.").format(rules=described))
        else:
            lines.append(loc._("Fairness (policy.fairness) is off in this scenario."))
        if scenario.policy.no_region_worse_off:
            lines.append(loc._("No region worse off (policy.no_region_worse_off) is on."))
        else:
            lines.append(loc._("No region worse off (policy.no_region_worse_off) is off."))
    lines.append(
        loc._(
            "To switch them on, add under policy: in the scenario YAML: no_region_worse_off: true (no region "
            "gets more weighted breach-days than alone), or fairness: [{by: region}] (every region's patients "
            "treated in proportion to what the capacity covers) or fairness: [{by: procedure}]."
        )
    )
    return lines
