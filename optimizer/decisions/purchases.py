"""Purchase options ranked by SEK per breach-day avoided, each planned as a warm-started variant.

The baseline is the scenario without its own purchase offers. Each option is the baseline plus that
option bought in full: its days are a contract, paid whether or not every day is used, so in the
variant they cost the plan nothing (cost 0 in the LP) and the option's price is days a week × weeks
× price per day. Breach-days avoided = the baseline's breach-days over 90 − the variant's (the LP
plans, planned with the scenario's own weights). The ranking is by SEK per breach-day avoided,
cheapest first; an option that avoids nothing has no SEK per breach-day (empty) and comes last.

Every variant carries every option, the inactive ones at `INACTIVE_DAYS` a week, so that all
variants have one LP structure and `plan_variants` re-solves each from the last one's model and
basis instead of building anew (`optimizer.solvers.strategy.WarmStart`). 1e-9 days a week treat
fewer than 1e-7 patients over a horizon: below what any table shows.
"""

from __future__ import annotations

import time

import pandas as pd

from models.dataset import Dataset
from models.scenario import Scenario
from models.weeks import week_labels
from optimizer.decisions.options import PurchaseOption, check_options, scenario_options, without_offers
from optimizer.planning import dataset_for, plan_variants, resolve_scenario
from optimizer.results.plan_result import PlanResult

#: Days a week of an option that a variant does not buy (> 0 keeps its LP column: one structure).
INACTIVE_DAYS = 1e-9

#: Columns of purchase_options.csv.
PURCHASE_COLUMNS = [
    "rank",
    "hospital_id",
    "specialty",
    "days_per_week",
    "price_per_day_sek",
    "weeks",
    "days_bought",
    "days_used",
    "cost_sek",
    "breach_days_avoided",
    "breach_days_365_avoided",
    "over_90_end_avoided",
    "sek_per_breach_day",
    "warm_started",
    "seconds",
]


def option_weeks(option: PurchaseOption, scenario: Scenario) -> int:
    """Weeks of the horizon in which the option offers days."""
    labels = week_labels(scenario.start_week, scenario.horizon_weeks)
    if option.weeks is None:
        return len(labels)
    change = option.change()
    return sum(change.weeks.contains(label) for label in labels)


def variant(scenario: Scenario, options: list[PurchaseOption], active: int | None) -> Scenario:
    """The baseline with every option: option `active` bought in full (cost 0 in the LP), the others at
    `INACTIVE_DAYS`; `active` None is the baseline itself."""
    base = without_offers(scenario)
    changes = [
        option.change(days_per_week=None if k == active else INACTIVE_DAYS, price=0.0)
        for k, option in enumerate(options)
    ]
    name = f"{scenario.name}-baseline" if active is None else f"{scenario.name}-option-{active + 1}"
    return base.model_copy(update={"changes": [*base.changes, *changes], "name": name})


def _extra_days_used(result: PlanResult, option: PurchaseOption) -> float:
    theatre = result.lp.theatre_use
    at = (theatre["hospital_id"] == option.hospital_id) & (theatre["specialty"] == option.specialty)
    return float(theatre.loc[at, "extra_days_used"].sum())


def rank_purchases(
    scenario: Scenario | str | None,
    options: list[PurchaseOption] | None = None,
    dataset: Dataset | None = None,
) -> pd.DataFrame:
    """Each purchase option's cost, breach-days avoided and SEK per breach-day avoided, best first.

    `options` default to the scenario's `extra_capacity` offers; raises ValueError when there are none.
    """
    scenario, base_dir = resolve_scenario(scenario)
    options = list(options) if options is not None else scenario_options(scenario)
    if not options:
        raise ValueError("no purchase options: the scenario offers no extra_capacity and no options were given")
    dataset = dataset if dataset is not None else dataset_for(scenario, base_dir)
    check_options(options, dataset)
    variants = [variant(scenario, options, None)] + [variant(scenario, options, k) for k in range(len(options))]
    rows = []
    clock = time.perf_counter()
    planned = plan_variants(variants, dataset=dataset)
    base = next(planned)
    clock = time.perf_counter()
    base_terms, base_end = base.lp.terms, base.lp.region_totals["over_90_end"].sum()
    for option, result in zip(options, planned, strict=True):
        seconds, clock = time.perf_counter() - clock, time.perf_counter()
        days = option.days_per_week * option_weeks(option, scenario)
        avoided = base_terms["breach_days_90"] - result.lp.terms["breach_days_90"]
        cost = days * option.price_per_day_sek
        rows.append(
            {
                "hospital_id": option.hospital_id,
                "specialty": option.specialty,
                "days_per_week": option.days_per_week,
                "price_per_day_sek": option.price_per_day_sek,
                "weeks": option.weeks or "",
                "days_bought": days,
                "days_used": _extra_days_used(result, option),
                "cost_sek": cost,
                "breach_days_avoided": avoided,
                "breach_days_365_avoided": base_terms["breach_days_365"] - result.lp.terms["breach_days_365"],
                "over_90_end_avoided": base_end - result.lp.region_totals["over_90_end"].sum(),
                "sek_per_breach_day": cost / avoided if avoided > 1e-6 else float("nan"),
                "warm_started": result.warm_started,
                "seconds": seconds,
            }
        )
    table = (
        pd.DataFrame(rows).sort_values("sek_per_breach_day", kind="stable", na_position="last").reset_index(drop=True)
    )
    table.insert(0, "rank", range(1, len(table) + 1))
    return table[PURCHASE_COLUMNS]
