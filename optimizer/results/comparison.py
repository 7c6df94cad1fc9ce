"""Side-by-side comparison of plans: per region and in total, one column per plan.

A plan can be an in-memory `PlanResult` or a result folder written by `capplan run` (so proposals
made elsewhere, or runs from last week, compare the same way). Both become a `ResultView`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models.numbers import clean_noise
from models.shares import share
from optimizer.results.plan_result import PlanResult

#: Metrics of the comparison table, in display order, and how a region's value is totalled.
METRICS: dict[str, str] = {
    "weighted_breach_days": "sum",
    "breach_days_90": "sum",
    "breach_days_180": "sum",
    "breach_days_365": "sum",
    "over_90_end": "sum",
    "over_180_end": "sum",
    "over_365_end": "sum",
    "share_over_90_end": "ratio",
    "treated": "sum",
    "treated_elsewhere": "sum",
    "treatment_cost_sek": "sum",
    "extra_capacity_sek": "sum",
    "cost_sek": "sum",
    "received_sek": "sum",
    "patient_km": "sum",
    "theatre_utilisation": "ratio",
}


@dataclass
class ResultView:
    """The tables of one plan that a comparison needs."""

    name: str
    summary: dict
    region_totals: pd.DataFrame
    region_kpis: pd.DataFrame
    theatre_use: pd.DataFrame
    payments: pd.DataFrame
    hospitals: pd.DataFrame  # hospital_id, region_id

    @classmethod
    def from_plan(cls, result: PlanResult) -> ResultView:
        return cls(
            name=result.scenario.name,
            summary=result.summary(),
            region_totals=result.lp.region_totals,
            region_kpis=result.lp.region_kpis,
            theatre_use=result.lp.theatre_use,
            payments=result.lp.payments,
            hospitals=result.instance.dataset.hospitals[["hospital_id", "region_id"]],
        )

    @classmethod
    def from_folder(cls, folder: str | Path) -> ResultView:
        folder = Path(folder)
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        return cls(
            name=summary.get("scenario", folder.name),
            summary=summary,
            region_totals=pd.read_csv(folder / "region_totals.csv"),
            region_kpis=pd.read_csv(folder / "region_kpis.csv"),
            theatre_use=pd.read_csv(folder / "theatre_use.csv"),
            payments=pd.read_csv(folder / "payments.csv"),
            hospitals=pd.read_csv(folder / "hospitals.csv"),
        )

    def region_metrics(self) -> pd.DataFrame:
        """One row per region and a 'total' row, one column per metric."""
        table = self.region_totals.set_index("region_id").copy()
        if "treatment_cost_sek" not in table:  # a folder written before the costs had one name each
            table["treatment_cost_sek"] = table["cost_sek"]
            table["cost_sek"] = table["treatment_cost_sek"] + table["extra_capacity_sek"]
        last = self.region_kpis[self.region_kpis["t"] == self.region_kpis["t"].max()].set_index("region_id")
        table["waiting_end"] = last["waiting"].reindex(table.index).fillna(0.0)
        received = self.payments.groupby("provider_region")["amount_sek"].sum() if len(self.payments) else {}
        table["received_sek"] = pd.Series(received, dtype=float).reindex(table.index).fillna(0.0)
        use = self.theatre_use.merge(self.hospitals, on="hospital_id")
        use = use.assign(available=use["theatre_days"] + use["extra_days_used"])
        sums = use.groupby("region_id")[["used_days", "available"]].sum().reindex(table.index).fillna(0.0)
        table["used_days"], table["available_days"] = sums["used_days"], sums["available"]
        total = table.sum(numeric_only=True).rename("total")
        table = pd.concat([table, total.to_frame().T])
        table["share_over_90_end"] = share(table["over_90_end"], table["waiting_end"])
        table["theatre_utilisation"] = share(table["used_days"], table["available_days"])
        return table[list(METRICS)]


def compare(views: list[ResultView]) -> pd.DataFrame:
    """Long table: metric, region_id, one column per plan (names made unique), in METRICS order."""
    names = _unique([v.name for v in views])
    columns = {}
    for name, view in zip(names, views, strict=True):
        columns[name] = view.region_metrics().stack()
    table = pd.DataFrame(columns)
    table.index.names = ["region_id", "metric"]
    table = table.reset_index()
    table["metric"] = pd.Categorical(table["metric"], categories=list(METRICS), ordered=True)
    regions = sorted(r for r in table["region_id"].unique() if r != "total") + ["total"]
    table["region_id"] = pd.Categorical(table["region_id"], categories=regions, ordered=True)
    table = table.sort_values(["metric", "region_id"]).reset_index(drop=True)
    table["metric"] = table["metric"].astype(str)
    table["region_id"] = table["region_id"].astype(str)
    return clean_noise(table[["metric", "region_id", *names]])  # 7e-15 patients is 0 to a reader


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out
