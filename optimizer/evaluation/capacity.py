"""The evaluator's capacity checks: theatre days, bed-days, agreements and budgets of a set of flows.

Part of the independent evaluator (`optimizer.evaluation`): it uses only `models`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.dataset import Dataset
from models.scenario import ExtraCapacity, Scenario
from optimizer.evaluation.flows import VIOLATION_COLUMNS, violation_frame


def extra_offers(scenario: Scenario, labels: list[str]) -> pd.DataFrame:
    """The scenario's `extra_capacity` offers, one row per hospital × specialty × plan week."""
    rows = [
        (change.hospital_id, change.specialty, week, change.theatre_days_per_week, change.cost_per_day_sek)
        for change in scenario.changes
        if isinstance(change, ExtraCapacity)
        for week in labels
        if change.weeks is None or change.weeks.contains(week)
    ]
    offers = pd.DataFrame(rows, columns=["hospital_id", "specialty", "week", "days", "cost_per_day_sek"])
    return offers.astype({"days": float, "cost_per_day_sek": float})


def theatre_use(
    dataset: Dataset,
    scenario: Scenario,
    flows: pd.DataFrame,
    labels: list[str],
    tolerance: float,
    out: list[pd.DataFrame],
) -> pd.DataFrame:
    """Theatre days per hospital × specialty × week: need = Σ patients / rate vs capacity + extra offered.

    Extra days are bought only beyond base capacity, cheapest offer first, up to what is offered.
    """
    keys = ["hospital_id", "specialty", "week"]
    need = flows.assign(need=flows["patients"] / flows["rate"]).groupby(keys, as_index=False)["need"].sum()
    capacity = dataset.capacity[dataset.capacity["week"].isin(set(labels))]
    capacity = capacity.groupby(keys, as_index=False)["theatre_days"].sum().rename(columns={"theatre_days": "capacity"})
    capacity["capacity"] *= scenario.policy.planned_utilisation  # the rest is kept for cancellations
    table = need.merge(capacity, on=keys, how="outer").fillna({"need": 0.0, "capacity": 0.0})
    offers = extra_offers(scenario, labels).merge(table, on=keys, how="inner")
    offers = offers.sort_values(keys + ["cost_per_day_sek"], ignore_index=True)
    offered_before = offers.groupby(keys)["days"].cumsum() - offers["days"]
    offers["used"] = np.clip(offers["need"] - offers["capacity"] - offered_before, 0.0, offers["days"])
    offers["cost"] = offers["used"] * offers["cost_per_day_sek"]
    extra = offers.groupby(keys, as_index=False).agg(
        extra_offered=("days", "sum"), extra_used=("used", "sum"), extra_cost_sek=("cost", "sum")
    )
    table = table.merge(extra, on=keys, how="left").fillna(
        {"extra_offered": 0.0, "extra_used": 0.0, "extra_cost_sek": 0.0}
    )
    table = table.sort_values(keys, ignore_index=True)
    bound = table["capacity"] + table["extra_offered"]
    over = table["need"] - bound
    bad = over > tolerance * np.maximum(1.0, bound)
    if bad.any():
        rows = table[bad]
        messages = [
            f"needs {n:.6g} theatre days, {c:.6g} available + {x:.6g} extra offered"
            for n, c, x in zip(rows["need"], rows["capacity"], rows["extra_offered"], strict=True)
        ]
        out.append(
            violation_frame(
                "theatre_days",
                rows["hospital_id"] + "/" + rows["specialty"] + "/" + rows["week"],
                over[bad],
                pd.Series(messages),
            )
        )
    return table[keys + ["need", "capacity", "extra_offered", "extra_used", "extra_cost_sek"]]


def bed_use(
    dataset: Dataset, flows: pd.DataFrame, labels: list[str], tolerance: float, out: list[pd.DataFrame]
) -> pd.DataFrame:
    """Bed-days per hospital × week: Σ patients · bed_days_per_case vs beds.csv (missing = 0)."""
    keys = ["hospital_id", "week"]
    need = flows.assign(need=flows["patients"] * flows["bed_days_per_case"]).groupby(keys, as_index=False)["need"].sum()
    beds = dataset.beds[dataset.beds["week"].isin(set(labels))]
    beds = beds.groupby(keys, as_index=False)["bed_days"].sum().rename(columns={"bed_days": "capacity"})
    table = need.merge(beds, on=keys, how="outer").fillna({"need": 0.0, "capacity": 0.0})
    table = table.sort_values(keys, ignore_index=True)
    over = table["need"] - table["capacity"]
    bad = over > tolerance * np.maximum(1.0, table["capacity"])
    if bad.any():
        rows = table[bad]
        messages = [
            f"needs {n:.6g} bed-days, {c:.6g} available" for n, c in zip(rows["need"], rows["capacity"], strict=True)
        ]
        out.append(
            violation_frame("bed_days", rows["hospital_id"] + "/" + rows["week"], over[bad], pd.Series(messages))
        )
    return table


def agreement_violations(scenario: Scenario, flows: pd.DataFrame, tolerance: float, out: list[pd.DataFrame]) -> None:
    """Cases payer region → provider hospital/region (optionally one procedure) within [min, max]."""
    rows = []
    for agreement in scenario.policy.agreements:
        mask = flows["region_id"] == agreement.payer_region
        if agreement.provider_hospital is not None:
            mask &= flows["hospital_id"] == agreement.provider_hospital
        else:
            mask &= flows["hospital_region"] == agreement.provider_region
        if agreement.procedure_id is not None:
            mask &= flows["procedure_id"] == agreement.procedure_id
        cases = float(flows.loc[mask, "patients"].sum())
        key = f"{agreement.payer_region}->{agreement.provider_hospital or agreement.provider_region}"
        key += f"/{agreement.procedure_id}" if agreement.procedure_id else ""
        if agreement.min_cases - cases > tolerance * max(1.0, agreement.min_cases):
            rows.append(
                (
                    "agreements",
                    key,
                    agreement.min_cases - cases,
                    f"{cases:.6g} cases, below the agreed minimum {agreement.min_cases:g}",
                )
            )
        if agreement.max_cases is not None and cases - agreement.max_cases > tolerance * max(1.0, agreement.max_cases):
            rows.append(
                (
                    "agreements",
                    key,
                    cases - agreement.max_cases,
                    f"{cases:.6g} cases, above the agreed maximum {agreement.max_cases:g}",
                )
            )
    if rows:
        out.append(pd.DataFrame(rows, columns=VIOLATION_COLUMNS))


def budget_violations(scenario: Scenario, payments: pd.DataFrame, tolerance: float, out: list[pd.DataFrame]) -> None:
    """SEK a payer region pays on charged arcs over the horizon ≤ its budget."""
    paid = payments.groupby("payer_region")["sek"].sum()
    rows = []
    for region, budget in scenario.policy.budgets_sek.items():
        spent = float(paid.get(region, 0.0))
        if spent - budget > tolerance * max(1.0, budget):
            rows.append(("budgets", region, spent - budget, f"pays {spent:,.0f} SEK, budget {budget:,.0f} SEK"))
    if rows:
        out.append(pd.DataFrame(rows, columns=VIOLATION_COLUMNS))
