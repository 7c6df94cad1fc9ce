"""Money as the planning group thinks of it: internal balances between the regions, new money apart,
and agreement proposals in whole patients.

Price-list payments between the seven regions are transfers inside the healthcare region: what one
region pays another receives, so they sum to zero and cost the group nothing together. New money
leaves the group: purchases from private providers (under the price list) and extra theatre days
bought (`extra_capacity`). A region's care at its own public hospitals is never charged, so no
"Region X pays Region X" row can appear; a region's purchase from a private clinic in its own
county is new money, not an internal transfer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.weeks import parse_iso_week
from optimizer.model.instance import Instance
from optimizer.results.plan_result import PlanResult

#: Columns of net_balances.csv.
BALANCE_COLUMNS = [
    "region_id",
    "patients_sent",
    "patients_received",
    "paid_internal_sek",
    "received_internal_sek",
    "net_internal_sek",
    "private_purchases_sek",
    "extra_days_sek",
    "new_money_sek",
]

#: Columns of agreement_proposals.csv.
AGREEMENT_COLUMNS = [
    "status",
    "payer_region",
    "provider_hospital",
    "provider_region",
    "private",
    "procedure_id",
    "quarter",
    "patients",
    "amount_sek",
    "patients_over_horizon",
]


def charged_flows(inst: Instance, y: np.ndarray) -> pd.DataFrame:
    """One row per charged flow column with patients: payer, provider hospital and region, private
    (a private provider), procedure, week index t, patients and SEK under the price list."""
    flows = inst.flows
    private_ids = inst.dataset.hospitals.loc[inst.dataset.hospitals["level"] == "private", "hospital_id"]
    keep = flows["charged"].to_numpy() & (y > 1e-9)
    table = flows.loc[keep, ["region_id", "hospital_id", "provider_region", "procedure_id", "t", "price_sek"]]
    table = table.rename(columns={"region_id": "payer_region", "hospital_id": "provider_hospital"})
    table["private"] = table["provider_hospital"].isin(set(private_ids))
    table["patients"] = y[keep]
    table["amount_sek"] = table["patients"] * table["price_sek"]
    return table.drop(columns="price_sek").reset_index(drop=True)


def net_balances(inst: Instance, y: np.ndarray, theatre_use: pd.DataFrame) -> pd.DataFrame:
    """Per region: internal payments (paid, received, net = paid − received) and new money apart.

    Internal: price-list payments to another region's public hospital; the net balances sum to
    zero over the regions. New money: `private_purchases_sek` (the region's patients at private
    providers, under the price list) and `extra_days_sek` (extra theatre days bought at the region's
    hospitals, `theatre_use.extra_cost_sek`); `new_money_sek` is their sum. Patients sent and
    received count internal flows only. `y` is the plan's flow vector (the whole-patient plan's for
    the figures people read); `theatre_use` its theatre table.
    """
    flows = charged_flows(inst, y)
    internal = flows[~flows["private"]]
    private = flows[flows["private"]]
    regions = pd.Index(inst.dataset.regions["region_id"], name="region_id")

    def by(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
        return frame.groupby(key)[column].sum().reindex(regions).fillna(0.0)

    hospital_region = inst.dataset.hospitals.set_index("hospital_id")["region_id"]
    extra = theatre_use["extra_cost_sek"].groupby(theatre_use["hospital_id"].map(hospital_region)).sum()
    table = pd.DataFrame(
        {
            "patients_sent": by(internal, "payer_region", "patients"),
            "patients_received": by(internal, "provider_region", "patients"),
            "paid_internal_sek": by(internal, "payer_region", "amount_sek"),
            "received_internal_sek": by(internal, "provider_region", "amount_sek"),
            "private_purchases_sek": by(private, "payer_region", "amount_sek"),
            "extra_days_sek": extra.reindex(regions).fillna(0.0).astype(float),
        },
        index=regions,
    )
    table["net_internal_sek"] = table["paid_internal_sek"] - table["received_internal_sek"]
    table["new_money_sek"] = table["private_purchases_sek"] + table["extra_days_sek"]
    return table.reset_index()[BALANCE_COLUMNS]


def quarter_of(week: str) -> str:
    """The calendar quarter of an ISO week's Monday, e.g. `2025-W14` → `2025-Q1` (Monday 31 March)."""
    monday = parse_iso_week(week)
    return f"{monday.year}-Q{(monday.month - 1) // 3 + 1}"


def agreement_proposals(inst: Instance, y: np.ndarray, min_cases: float) -> pd.DataFrame:
    """Agreements to propose: payer region × provider hospital × procedure × quarter, whole patients.

    `y` is the whole-patient plan's flow vector. Every charged flow (another region's hospital or a
    private provider) is a candidate; an arc (payer × provider hospital × procedure) whose
    patients over the whole horizon are fewer than `min_cases` (`policy.min_agreement_cases`) is
    marked `too_small` and listed apart: it is too small to agree on. The rest are `agreement`,
    one row per quarter with its patients and SEK under the price list.
    """
    flows = charged_flows(inst, y)
    columns = ["payer_region", "provider_hospital", "provider_region", "private", "procedure_id"]
    if flows.empty:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    quarters = {t: quarter_of(week) for t, week in enumerate(inst.weeks, start=1)}
    flows["quarter"] = flows["t"].map(quarters)
    table = flows.groupby([*columns, "quarter"], as_index=False)[["patients", "amount_sek"]].sum()
    table["patients_over_horizon"] = table.groupby(columns)["patients"].transform("sum")
    table["status"] = np.where(table["patients_over_horizon"] + 1e-9 < min_cases, "too_small", "agreement")
    table = table.sort_values(["status", "payer_region", "provider_hospital", "procedure_id", "quarter"])
    return table[AGREEMENT_COLUMNS].reset_index(drop=True)


def money_tables(result: PlanResult) -> dict[str, pd.DataFrame]:
    """The whole-patient plan's `net_balances` and `agreement_proposals` (with the scenario's
    `policy.min_agreement_cases`), by result-file stem."""
    inst, y = result.instance, result.integer_y
    return {
        "net_balances": net_balances(inst, y, result.integer.theatre_use),
        "agreement_proposals": agreement_proposals(inst, y, result.scenario.policy.min_agreement_cases),
    }
