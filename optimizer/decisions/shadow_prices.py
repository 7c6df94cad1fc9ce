"""Shadow prices in breach-days: how many breach-days over 90 one more theatre day or bed-day avoids.

The plan's own duals (`PlanResult.shadow_prices`) are in objective units: a mix of weighted
breach-days over 90/180/365, waiting-days, kSEK and km. They cannot be converted exactly into
breach-days by dividing by a weight: the dual of a capacity row is the objective's change, and part
of that change is money and travel (a day at home saves a price-list payment and a journey), part is
waiting-days, and the tiers weigh a patient over a year twice or four times. So instead the LP is
re-solved with breach-days over 90 as its only term (weights over_90 = 1, all others 0, no fairness
rule, no purchase offers): the duals of its capacity rows are then exactly breach-days (over 90
days, each day a patient waits beyond the guarantee counted once) avoided per extra theatre day or
bed-day, to first order, on the capacity the regions have.

A weekly value is what one more day *in that week alone* avoids. Summed over the horizon per
hospital × specialty it is what one more day in every week avoids to first order; adding many days
at once avoids at most that (the value falls as capacity is added: the LP is convex), which the
purchase options (`optimizer.decisions.purchases`) measure by re-planning.
"""

from __future__ import annotations

import pandas as pd

from models.dataset import Dataset
from models.scenario import Scenario
from optimizer.decisions.options import without_offers
from optimizer.planning import dataset_for, plan, resolve_scenario

#: Weights that make the objective the breach-days over 90 and nothing else.
BREACH_DAYS_ONLY = {"over_90": 1, "over_180": 0, "over_365": 0, "waiting": 0, "cost_per_ksek": 0, "travel_per_km": 0}

#: Columns of breach_day_prices.csv.
SUMMARY_COLUMNS = [
    "resource",
    "hospital_id",
    "specialty",
    "breach_days_per_extra_day_each_week",
    "best_week",
    "best_week_breach_days",
    "weeks_binding",
]


def breach_days_scenario(scenario: Scenario) -> Scenario:
    """The scenario with breach-days over 90 as the only objective term, no fairness, no offers."""
    policy = {"fairness": [], "no_region_worse_off": False}
    plain = without_offers(scenario)
    data = plain.to_yaml_dict()
    data["weights"] = BREACH_DAYS_ONLY
    data["policy"] = {**data["policy"], **policy}
    data["name"] = f"{scenario.name}-breach-days"
    return Scenario.model_validate({**data, "changes": plain.changes})


def weekly_breach_day_prices(scenario: Scenario | str | None, dataset: Dataset | None = None) -> pd.DataFrame:
    """Breach-days over 90 avoided by one more theatre day (per hospital × specialty × week) or
    bed-day (per hospital × week): resource, hospital_id, specialty, week, breach_days_avoided."""
    scenario, base_dir = resolve_scenario(scenario)
    dataset = dataset if dataset is not None else dataset_for(scenario, base_dir)
    result = plan(breach_days_scenario(scenario), dataset=dataset)
    table = result.shadow_prices.rename(columns={"saving_per_extra_day": "breach_days_avoided"})
    return table.reset_index(drop=True)


def summarise_prices(weekly: pd.DataFrame) -> pd.DataFrame:
    """Per resource × hospital × specialty: the sum of the weekly values over the horizon, the week
    where one more day avoids most and its value, and the number of weeks where capacity binds."""
    if weekly.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    keys = ["resource", "hospital_id", "specialty"]
    best = weekly.loc[weekly.groupby(keys)["breach_days_avoided"].idxmax(), [*keys, "week", "breach_days_avoided"]]
    best = best.rename(columns={"week": "best_week", "breach_days_avoided": "best_week_breach_days"})
    sums = weekly.groupby(keys, as_index=False).agg(
        breach_days_per_extra_day_each_week=("breach_days_avoided", "sum"),
        weeks_binding=("breach_days_avoided", lambda v: int((v > 1e-9).sum())),
    )
    table = sums.merge(best, on=keys)
    table = table.sort_values("breach_days_per_extra_day_each_week", ascending=False)
    return table[SUMMARY_COLUMNS].reset_index(drop=True)


def breach_day_prices(scenario: Scenario | str | None, dataset: Dataset | None = None) -> pd.DataFrame:
    """`summarise_prices` of `weekly_breach_day_prices`: one row per hospital × specialty (theatre
    days) and per hospital (bed-days), most valuable first."""
    return summarise_prices(weekly_breach_day_prices(scenario, dataset))
